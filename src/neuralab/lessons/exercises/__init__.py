"""One module per lesson (``lessonNN.py``) with its exercises' checks and solutions."""
