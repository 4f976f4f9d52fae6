"""The seed lab: experiments that check the notes' claims, as functions returning results."""

from .xor import XorResult, train_xor

__all__ = ["XorResult", "train_xor"]
