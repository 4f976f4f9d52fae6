"""The seed lab: experiments that check the notes' claims, as functions returning results.

Importing this package registers every experiment; ``EXPERIMENTS`` maps names to them.
"""

# Importing an experiment module registers its experiments.
from . import (  # noqa: F401
    activations_lab,
    analogy_lab,
    backprop_lab,
    dead_relu_lab,
    dense_vs_cnn_lab,
    losses_lab,
    mean_vs_max_lab,
    multilabel_lab,
    perceptron_lab,
    softmax_ce_lab,
    vanishing_lab,
    xor_lab,
)
from .registry import EXPERIMENTS, Experiment, ExperimentResult, Finding, experiment, run_experiment
from .xor import XorResult, train_xor

__all__ = ["EXPERIMENTS", "Experiment", "ExperimentResult", "Finding", "XorResult", "experiment",
           "run_experiment", "train_xor"]
