"""Optimizers with ``torch.optim``'s names, defaults and update rules."""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "lr_scheduler", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop"]
