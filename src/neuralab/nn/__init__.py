"""Neural-network building blocks with PyTorch's names and shapes."""

from . import functional, init, utils
from .activations import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Step, Tanh
from .layers import Dropout, Flatten, Identity, Linear, Sequential
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module
from .parameter import Parameter

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout", "Flatten", "Identity",
    "LeakyReLU", "Linear", "LogSoftmax", "MSELoss", "Module", "NLLLoss", "Parameter", "ReLU",
    "Sequential", "Sigmoid", "Softmax", "Step", "Tanh", "functional", "init", "utils",
]
