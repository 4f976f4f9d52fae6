"""``Parameter``: a leaf tensor that a ``Module`` registers as learnable."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor, get_default_dtype


class Parameter(Tensor):
    """A Tensor that requires grad (by default) and is found by ``Module.parameters()``.

    ``Parameter(data=None, requires_grad=True)``: a Tensor or NumPy array is shared, not
    copied (as in PyTorch); no data gives an empty tensor of the default float dtype.
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=get_default_dtype())
        super().__init__(data, requires_grad=requires_grad)

    def __deepcopy__(self, memo: dict) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        # As PyTorch: the copy has the values and requires_grad, not the gradient.
        result = type(self)(self._data.copy(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_rebuild_parameter, (self._data, self.requires_grad))

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


def _rebuild_parameter(data: np.ndarray, requires_grad: bool) -> Parameter:
    return Parameter(data, requires_grad)
