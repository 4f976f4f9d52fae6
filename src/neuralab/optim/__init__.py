"""Optimizers with ``torch.optim``'s names, defaults and update rules."""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adaptive import Adadelta, Adamax, NAdam, RAdam
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "lr_scheduler", "Adadelta", "Adagrad", "Adam", "Adamax", "AdamW", "LBFGS",
           "NAdam", "Optimizer", "RAdam", "RMSprop"]
