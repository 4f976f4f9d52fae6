"""PyTorch code runs unchanged on neuralab (issue 11): every snippet in ``_idioms_*.py`` is run
once with ``torch`` and once with ``neuralab`` through the same code, and the results must agree
(same keys, shapes, dtypes, Python types and exception classes; values within the snippet's
rounding bound, see ``_idioms_harness``)."""

from __future__ import annotations

import _idioms_autograd  # noqa: F401  (each module registers its snippets)
import _idioms_data  # noqa: F401
import _idioms_nn  # noqa: F401
import _idioms_tensors  # noqa: F401
import _idioms_training  # noqa: F401
import pytest
import torch
from _idioms_harness import SNIPPETS, Idiom, assert_same

import neuralab


def test_enough_snippets() -> None:
    assert len(SNIPPETS) >= 70
    assert len({s.name for s in SNIPPETS}) == len(SNIPPETS)


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.name for s in SNIPPETS])
def test_idiom_matches_torch(snippet: Idiom) -> None:
    expected = snippet.fn(torch)
    assert isinstance(expected, dict) and expected, "a snippet returns a non-empty dict"
    actual = snippet.fn(neuralab)
    assert_same(actual, expected, snippet, snippet.name)
