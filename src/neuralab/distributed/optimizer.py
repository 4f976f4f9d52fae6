"""``DistributedOptimizer``: gradients averaged over the ranks, then the wrapped optimizer's step.

Data parallelism in Horovod's shape: every rank holds the whole model, computes the gradient of
the mean loss over its own shard of the global batch, and before each update the gradients are
averaged, g = (1/N) Σ_r g_r. With equal shards of B/N examples that is exactly the gradient of
the mean loss over the global batch of B, so N ranks follow one process that takes the whole
batch (up to the rounding of the sums' order).

The gradients are packed into a few flat buffers ("buckets", at most ``bucket_bytes`` each, one
per dtype; float64 stays float64) and each bucket is reduced by one ``Allreduce``: one call per
bucket instead of one per parameter, since each call costs a latency (tens of µs on one machine,
more across a network). Overlapping the reduction with the backward pass (Horovod's hooks) is
not done: on a CPU the backward pass already uses every core, and neuralab's autograd has no
per-gradient hooks to start a reduction early.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..autograd.grad_mode import enable_grad
from ..optim.optimizer import Optimizer
from ..tensor import Tensor
from . import core

DEFAULT_BUCKET_BYTES = 25 << 20  # PyTorch DDP's default bucket_cap_mb


def _reduction_dtype(dtype: np.dtype) -> np.dtype:
    """float32/float64 gradients are reduced as they are; others (float16) in float64, which
    every MPI library has."""
    return dtype if dtype in (np.dtype(np.float32), np.dtype(np.float64)) \
        else np.dtype(np.float64)


class DistributedOptimizer(Optimizer):
    """Wrap ``optimizer`` so that ``step()`` first averages every parameter's ``.grad`` over
    the ranks, then updates as ``optimizer.step()`` would: the training loop is the one that
    runs on one machine. ``param_groups`` are the wrapped optimizer's own (a learning-rate
    scheduler can be given either); ``zero_grad``, ``state_dict``, ``load_state_dict`` and
    ``add_param_group`` pass through.

    A parameter whose gradient is None on some ranks (unused in their forward pass) counts as
    zero there, as in PyTorch's DDP; one that is None on every rank stays None (not updated).
    ``model``, when given, names the parameters in the error raised at construction if the
    ranks' parameter shapes differ. Start every rank from the same weights:
    ``broadcast_parameters(model)``.
    """

    def __init__(self, optimizer: Optimizer, model: Any = None,
                 bucket_bytes: int = DEFAULT_BUCKET_BYTES) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"DistributedOptimizer: optimizer must be a neuralab Optimizer, "
                            f"got {type(optimizer).__name__}")
        if isinstance(optimizer, DistributedOptimizer):
            raise ValueError("DistributedOptimizer: optimizer is already a "
                             "DistributedOptimizer (its gradients would be averaged twice)")
        if isinstance(bucket_bytes, bool) or not isinstance(bucket_bytes, (int, np.integer)) \
                or bucket_bytes <= 0:
            raise ValueError(f"DistributedOptimizer: bucket_bytes must be a positive integer, "
                             f"got {bucket_bytes!r}")
        # No Optimizer.__init__: the groups, defaults and state are the wrapped optimizer's.
        object.__setattr__(self, "optimizer", optimizer)
        self.bucket_bytes = int(bucket_bytes)
        self.synchronize_calls = 0  # Allreduce calls made so far (what the tests count)
        core.init()
        self._check_same_parameters(model)

    # ------------------------------------------------------------------ pass-through
    @property
    def param_groups(self) -> list[dict[str, Any]]:  # type: ignore[override]
        return self.optimizer.param_groups

    @param_groups.setter
    def param_groups(self, groups: list[dict[str, Any]]) -> None:
        self.optimizer.param_groups = groups

    @property
    def defaults(self) -> dict[str, Any]:  # type: ignore[override]
        return self.optimizer.defaults

    @defaults.setter
    def defaults(self, value: dict[str, Any]) -> None:
        self.optimizer.defaults = value

    def __getattr__(self, name: str) -> Any:
        # Anything else (an optimizer's own attributes) is the wrapped optimizer's.
        if name == "optimizer":
            raise AttributeError(name)
        return getattr(self.optimizer, name)

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none)

    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        self.optimizer.add_param_group(param_group)

    def state_dict(self) -> dict[str, Any]:
        """The wrapped optimizer's state (identical on every rank, since every rank applies
        the same averaged gradients): it reloads into a plain optimizer on one machine."""
        return self.optimizer.state_dict()

    def check_state_dict(self, state_dict: Any) -> list[tuple[dict[str, Any], list[dict]]]:
        return self.optimizer.check_state_dict(state_dict)

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        self.optimizer.load_state_dict(state_dict)

    def __repr__(self) -> str:
        return f"DistributedOptimizer({self.optimizer!r})"

    # ------------------------------------------------------------------ the step
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Average the gradients over the ranks, then the wrapped optimizer's step. With a
        ``closure`` (recomputes the loss and gradients): an optimizer that takes one (LBFGS)
        gets a closure that also averages gradients and loss at each evaluation; any other
        gets its loss computed first, as PyTorch's ``Optimizer.step(closure)``."""
        if closure is None:
            self.synchronize()
            return self.optimizer.step()
        if type(self.optimizer).step is not Optimizer.step:  # its step takes a closure
            def averaged() -> Any:
                loss = closure()
                self.synchronize()
                return core.all_reduce(float(loss), "mean")
            return self.optimizer.step(averaged)
        with enable_grad():
            loss = closure()
        self.synchronize()
        self.optimizer.step()
        return loss

    def _params(self) -> list[Tensor]:
        return [p for group in self.param_groups for p in group["params"]]

    def _buckets(self) -> list[list[Tensor]]:
        """Parameters grouped by reduction dtype, in parameter order, cut into buckets of at
        most ``bucket_bytes`` (a larger parameter has a bucket of its own). The layout is a
        function of the parameters alone, so it is the same on every rank."""
        by_dtype: dict[np.dtype, list[list[Tensor]]] = {}
        sizes: dict[np.dtype, int] = {}
        for param in self._params():
            if not param.requires_grad:
                continue
            dtype = _reduction_dtype(param.dtype)
            nbytes = param.numel() * dtype.itemsize
            buckets = by_dtype.setdefault(dtype, [[]])
            if buckets[-1] and sizes[dtype] + nbytes > self.bucket_bytes:
                buckets.append([])
                sizes[dtype] = 0
            buckets[-1].append(param)
            sizes[dtype] = sizes.get(dtype, 0) + nbytes
        return [b for buckets in by_dtype.values() for b in buckets if b]

    def synchronize(self) -> None:
        """Replace every gradient by its mean over the ranks: per bucket, the gradients and
        one "has a gradient" flag per parameter go into one flat buffer, reduced by one
        Allreduce (sum); then grad = Σ_r g_r / N (a missing gradient counts as zero)."""
        size = core.world_size()
        if size == 1:
            return
        for bucket in self._buckets():
            dtype = _reduction_dtype(bucket[0].dtype)
            counts = [p.numel() for p in bucket]
            total = sum(counts)
            flat = np.zeros(total + len(bucket), dtype)  # the flags after the gradients
            offset = 0
            for i, (param, n) in enumerate(zip(bucket, counts)):
                if param._grad is not None:
                    flat[offset:offset + n] = param._grad._data.ravel()
                    flat[total + i] = 1
                offset += n
            core.reduce_array(flat, "sum")
            self.synchronize_calls += 1
            flat[:total] /= size
            offset = 0
            for i, (param, n) in enumerate(zip(bucket, counts)):
                if flat[total + i] > 0:
                    mean = flat[offset:offset + n].reshape(param.shape).astype(param.dtype,
                                                                                 copy=False)
                    if param._grad is None:
                        param._grad = Tensor._from_op(mean.copy(), False)
                    else:  # in place, as the gradient a user may hold a reference to
                        param._grad._data[...] = mean
                        param._grad._bump_version()
                offset += n

    def _check_same_parameters(self, model: Any) -> None:
        """Every rank must optimize the same parameter shapes in the same order (else the
        buckets would not line up): one bcast of rank 0's layout, compared everywhere."""
        comm = core.communicator()
        if comm is None:
            return
        layout = [(tuple(p.shape), p.dtype.str, p.requires_grad) for p in self._params()]
        theirs = comm.bcast(layout if comm.Get_rank() == 0 else None, root=0)
        names: dict[int, str] = {}
        if model is not None and hasattr(model, "named_parameters"):
            names = {id(p): name for name, p in model.named_parameters()}

        def difference() -> str:
            if len(layout) != len(theirs):
                return (f"DistributedOptimizer: rank {comm.Get_rank()} optimizes "
                        f"{len(layout)} parameters, rank 0 {len(theirs)}")
            i = next(i for i, (a, b) in enumerate(zip(layout, theirs)) if a != b)
            name = names.get(id(self._params()[i]), f"parameter {i}")
            return (f"DistributedOptimizer: {name} is {layout[i]} on rank {comm.Get_rank()} "
                    f"but {theirs[i]} on rank 0 (shape, dtype, requires_grad): the ranks "
                    f"built different models")

        core.agree(layout == theirs, difference)
