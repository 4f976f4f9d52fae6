"""The seed lab: experiments that check the notes' claims, as functions returning results.

Importing this package registers every experiment; ``EXPERIMENTS`` maps names to them.
"""

from .registry import EXPERIMENTS, Experiment, ExperimentResult, Finding, experiment, run_experiment
from .xor import XorResult, train_xor

__all__ = ["EXPERIMENTS", "Experiment", "ExperimentResult", "Finding", "XorResult", "experiment",
           "run_experiment", "train_xor"]
