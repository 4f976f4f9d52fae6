"""Snippets from the "Tensors" basics tutorial and the torch.Tensor docs: creation, attributes,
devices, indexing and assignment, in-place ops, shapes, dtypes and promotion, the NumPy bridge.

Each snippet receives the library as ``torch`` and uses only ``torch.`` names.
"""

from __future__ import annotations

import math

import numpy as np
from _idioms_harness import idiom

RNG = np.random.default_rng(11)
GRID = np.round(RNG.normal(size=(4, 4)), 3)  # fixed data in place of torch.rand


@idiom()
def tensor_from_data(torch):
    data = [[1, 2], [3, 4]]
    x_data = torch.tensor(data)
    floats = torch.tensor([[1., -1.], [1., -1.]])
    return {"x": x_data, "dtype": x_data.dtype, "floats": floats, "fdtype": floats.dtype,
            "shape": x_data.shape, "bool": torch.tensor([True, False]).dtype,
            "scalar": torch.tensor(3.5), "mixed": torch.tensor([1, 2.5]).dtype}


@idiom()
def tensor_from_numpy_shares_memory(torch):
    np_array = np.array([[1, 2], [3, 4]])
    x_np = torch.from_numpy(np_array)
    np.add(np_array, 1, out=np_array)
    n = np.ones(5)
    t = torch.from_numpy(n)
    np.add(n, 1, out=n)
    return {"x_np": x_np, "dtype": x_np.dtype, "t": t, "tdtype": t.dtype}


@idiom()
def tensor_numpy_bridge(torch):
    t = torch.ones(5)
    n = t.numpy()
    t.add_(1)
    return {"n": n, "t": t, "ndtype": str(n.dtype)}


@idiom()
def np_array_of_tensor(torch):
    t = torch.tensor([[1.5, 2.0], [3.0, 4.0]])
    as_array = np.array(t)
    copied = np.array(t, copy=True)
    t[0, 0] = 0.0
    return {"as_array": as_array, "copied": copied, "dtype": str(as_array.dtype),
            "asarray": np.asarray(torch.arange(3))}


@idiom()
def like_functions(torch):
    x_data = torch.tensor([[1, 2], [3, 4]])
    x_ones = torch.ones_like(x_data)
    x_rand = torch.rand_like(x_data, dtype=torch.float)
    x_zeros = torch.zeros_like(x_rand)
    full = torch.full_like(x_data, 7)
    return {"ones": x_ones, "rand_shape": x_rand.shape, "rand_dtype": x_rand.dtype,
            "in_range": bool(((x_rand >= 0) & (x_rand < 1)).all()), "zeros": x_zeros,
            "full": full}


@idiom()
def creation_from_shape(torch):
    shape = (2, 3,)
    rand_tensor = torch.rand(shape)
    ones_tensor = torch.ones(shape)
    zeros_tensor = torch.zeros(shape)
    return {"rand": rand_tensor.shape, "rand_dtype": rand_tensor.dtype, "ones": ones_tensor,
            "zeros": zeros_tensor, "varargs": torch.zeros(2, 3).shape,
            "randn": torch.randn(4, 5).shape, "empty": torch.empty(3, 2).shape,
            "empty_dtype": torch.empty(2, dtype=torch.int64).dtype}


@idiom()
def creation_dtypes(torch):
    return {"zeros_int32": torch.zeros([2, 4], dtype=torch.int32),
            "ones_f64": torch.ones([2, 4], dtype=torch.float64),
            "ones_default": torch.ones(3).dtype,
            "full_int": torch.full((2, 3), 7), "full_float": torch.full((2, 2), 1.5),
            "full_bool": torch.full((2,), True).dtype,
            "tensor_np": torch.tensor(np.array([[1, 2, 3], [4, 5, 6]])),
            "tensor_np32": torch.tensor(np.zeros(2, dtype=np.float32)).dtype}


@idiom()
def arange_linspace_eye(torch):
    return {"arange": torch.arange(5), "arange_range": torch.arange(1, 4),
            "arange_step": torch.arange(0, 1, 0.25),
            "arange_f64": torch.arange(5, dtype=torch.float64),
            "linspace": torch.linspace(-1, 1, 5),
            "linspace_f64": torch.linspace(-math.pi, math.pi, 7, dtype=torch.float64),
            "eye": torch.eye(3), "eye_rect": torch.eye(2, 3),
            "arange_float_end": torch.arange(3.0)}


@idiom()
def as_tensor_shares_memory(torch):
    a = np.array([1.0, 2.0, 3.0])
    t = torch.as_tensor(a)
    a[0] = -1.0
    from_list = torch.as_tensor([1, 2, 3])
    cast = torch.as_tensor(a, dtype=torch.float32)
    return {"t": t, "from_list": from_list, "cast": cast}


@idiom()
def manual_seed_reproducible(torch):
    torch.manual_seed(0)
    a = torch.rand(3)
    b = torch.randn(2, 2)
    torch.manual_seed(0)
    c = torch.rand(3)
    d = torch.randn(2, 2)
    return {"same_rand": bool((a == c).all()), "same_randn": bool((b == d).all()),
            "randint": torch.randint(0, 10, (3,)).dtype,
            "randperm": sorted(torch.randperm(5).tolist())}


@idiom()
def tensor_attributes(torch):
    tensor = torch.tensor(GRID[:3], dtype=torch.float32)
    return {"shape": tensor.shape, "size": tensor.size(), "size1": tensor.size(1),
            "dtype": tensor.dtype, "device": str(tensor.device), "ndim": tensor.ndim,
            "dim": tensor.dim(), "numel": tensor.numel(), "requires_grad": tensor.requires_grad}


@idiom()
def device_idiom(torch):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tensor = torch.ones(2, 2)
    if torch.cuda.is_available():
        tensor = tensor.to("cuda")
    moved = tensor.to(device)
    cpu = torch.device("cpu")
    return {"device": device, "moved": str(moved.device), "same": moved.device == cpu,
            "cpu": str(cpu), "type": cpu.type, "cpu_call": str(tensor.cpu().device),
            "to_both": torch.ones(2).to(cpu, torch.float64).dtype,
            "to_other": torch.ones(2).to(torch.zeros(1, dtype=torch.int64))}


@idiom()
def creation_on_device(torch):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return {"zeros": str(torch.zeros(3, device=device).device),
            "tensor": torch.tensor([1.0, 2.0], device=device).device,
            "arange": torch.arange(3, device="cpu").device,
            "ones_like": torch.ones_like(torch.zeros(2), device=device).device}


@idiom()
def indexing_and_slicing(torch):
    tensor = torch.ones(4, 4)
    tensor[:, 1] = 0
    return {"tensor": tensor, "first_row": tensor[0], "first_column": tensor[:, 0],
            "last_column": tensor[..., -1], "element": tensor[1, 1],
            "chained": tensor[1][2], "item": tensor[0, 1].item()}


@idiom()
def item_assignment(torch):
    x = torch.tensor([[1, 2, 3], [4, 5, 6]])
    x[0][1] = 8
    x[1, 2] = -1
    x[1, :2] = torch.tensor([7, 7])
    return {"x": x, "picked": x[1][2]}


@idiom()
def mask_assignment(torch):
    t = torch.tensor(GRID, dtype=torch.float64)
    positives = t[t > 0]
    clipped = t.clone()
    clipped[clipped < 0] = 0
    mask = t.abs() > 1
    t[mask] = 1.0
    return {"positives": positives, "clipped": clipped, "t": t, "mask": mask,
            "count": int(mask.sum())}


@idiom()
def where_and_clamp(torch):
    x = torch.tensor(GRID, dtype=torch.float32)
    return {"where": torch.where(x > 0, x, torch.zeros_like(x)),
            "clamp": x.clamp(min=0), "clamp_both": torch.clamp(x, -0.5, 0.5),
            "max_min": x.clamp(max=0.5)}


@idiom()
def torch_equal(torch):
    x = torch.tensor(GRID, dtype=torch.float32)
    return {"same": torch.equal(x.clamp(min=0), torch.where(x > 0, x, 0 * x)),
            "method": x.equal(x.clone()), "different": torch.equal(x, x + 1),
            "shape": torch.equal(x, x[:2])}


@idiom()
def inplace_operators(torch):
    t = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    alias = t
    t += 1
    t -= 0.5
    t *= 2
    t /= 4
    i = torch.tensor([5, 6])
    i += 1
    i *= 3
    return {"t": t, "same_object": alias is t, "i": i, "dtype": i.dtype}


@idiom()
def inplace_methods(torch):
    t = torch.tensor(GRID, dtype=torch.float64)
    same = t.add_(1) is t
    t.mul_(2)
    t.sub_(0.5)
    t.div_(3)
    clamped = t.clone().clamp_(min=0, max=1)
    filled = torch.zeros(2, 3).fill_(2.5)
    zeroed = t.clone().zero_()
    dest = torch.zeros(4, 4, dtype=torch.float64)
    dest.copy_(t)
    return {"t": t, "same": same, "clamped": clamped, "filled": filled, "zeroed": zeroed,
            "dest": dest}


@idiom()
def add_with_alpha(torch):
    a = torch.tensor([1.0, 2.0], dtype=torch.float64)
    b = torch.tensor([10.0, 20.0], dtype=torch.float64)
    a.add_(b, alpha=-0.05)
    return {"a": a, "add": torch.add(a, b, alpha=2), "sub": torch.sub(b, a)}


@idiom()
def inplace_int_with_float_fails(torch):
    i = torch.tensor([1, 2, 3])
    out = {"err": None}
    try:
        i += 0.5
    except RuntimeError:
        out["err"] = "RuntimeError"
    out["i"] = i
    return out


@idiom()
def view_reshape_flatten(torch):
    x = torch.arange(16.0).reshape(4, 4)
    y = x.view(16)
    z = x.view(-1, 8)
    y[0] = 100.0  # a view shares memory
    images = torch.zeros(5, 1, 4, 4)
    return {"x": x, "y": y.shape, "z": z.shape, "reshape": x.reshape(2, -1).shape,
            "flatten1": images.flatten(1).shape, "torch_flatten": torch.flatten(images, 1).shape,
            "flatten_all": images.flatten().shape, "view_batch": images.view(5, -1).shape,
            "size_arg": images.view(images.size(0), -1).shape}


@idiom()
def cat_and_stack(torch):
    tensor = torch.tensor(GRID[:2, :3], dtype=torch.float32)
    t1 = torch.cat([tensor, tensor, tensor], dim=1)
    t0 = torch.cat((tensor, tensor))
    stacked = torch.stack([tensor, tensor])
    stacked1 = torch.stack([tensor[0], tensor[1]], dim=1)
    return {"t1": t1, "t0": t0, "stacked": stacked, "stacked1": stacked1}


@idiom()
def unsqueeze_squeeze_transpose(torch):
    x = torch.tensor(GRID[:2, :3], dtype=torch.float64)
    return {"unsqueeze0": x.unsqueeze(0).shape, "unsqueeze_last": x.unsqueeze(-1).shape,
            "squeeze": x.unsqueeze(0).squeeze().shape,
            "squeeze_dim": torch.zeros(2, 1, 3).squeeze(1).shape,
            "T": x.T, "transpose": x.transpose(0, 1), "torch_unsq":
            torch.unsqueeze(x, 1).shape, "none_index": x[:, None].shape}


@idiom()
def tolist_item(torch):
    t = torch.tensor([[1, 2], [3, 4]])
    f = torch.tensor([0.5, 1.5])
    return {"tolist": t.tolist(), "ftolist": f.tolist(), "item": torch.tensor([[1]]).item(),
            "fitem": torch.tensor(2.5).item(), "bitem": torch.tensor(True).item(),
            "sum_item": t.sum().item(), "int": int(t[0, 1]), "float": float(f[1])}


@idiom()
def arithmetic_tutorial(torch):
    tensor = torch.tensor(GRID, dtype=torch.float64)
    y1 = tensor @ tensor.T
    y2 = tensor.matmul(tensor.T)
    y3 = torch.matmul(tensor, tensor.T)
    z1 = tensor * tensor
    z2 = tensor.mul(tensor)
    z3 = torch.mul(tensor, tensor)
    agg = tensor.sum()
    return {"y1": y1, "y2": y2, "y3": y3, "z1": z1, "z2": z2, "z3": z3,
            "agg": agg.item(), "agg_type": type(agg.item()).__name__}


@idiom()
def out_argument(torch):
    tensor = torch.tensor(GRID, dtype=torch.float64)
    y3 = torch.zeros(4, 4, dtype=torch.float64)
    torch.matmul(tensor, tensor.T, out=y3)
    z3 = torch.zeros(4, 4, dtype=torch.float64)
    torch.mul(tensor, tensor, out=z3)
    return {"y3": y3, "z3": z3}


@idiom()
def dtype_conversions(torch):
    x = torch.tensor([1.7, -2.2, 3.5])
    return {"double": x.double(), "float": x.double().float(), "long": x.long(),
            "int": x.int(), "to64": x.to(torch.float64).dtype, "type32":
            x.double().type(torch.float32).dtype, "bool": x.bool(),
            "to_dtype_kw": x.to(dtype=torch.float64).dtype, "half": x.half().dtype,
            "aliases": [torch.float is torch.float32, torch.double is torch.float64,
                        torch.long is torch.int64, torch.int is torch.int32],
            "is_floating": [x.is_floating_point(), x.long().is_floating_point()]}


@idiom()
def promotion_mixed_arithmetic(torch):
    i = torch.tensor([1, 2, 3])
    f32 = torch.tensor([1.0, 2.0, 3.0])
    f64 = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    b = torch.tensor([True, False, True])
    i32 = torch.tensor([1, 2, 3], dtype=torch.int32)
    results = {
        "int_plus_float": i + 1.5, "int_div_int": i / i,
        "f32_plus_f64": f32 + f64, "f32_times_0d64": f32 * torch.tensor(2.0, dtype=torch.float64),
        "f32_plus_int": f32 + i, "f32_pow_int": f32 ** i, "i32_plus_i64": i32 + i,
        "bool_plus_int": b + 1, "int_times_true": i * True,
        "i32_plus_pyint": i32 + 5, "compare": (f32 > i).dtype, "i64_pow_2": i ** 2,
        "f64_mean": f64.mean(), "int_sum": i.sum(), "bool_sum": b.sum(),
    }
    return {k: (v.dtype if hasattr(v, "dtype") else v) for k, v in results.items()} \
        | {"values": i + 1.5}


@idiom()
def reductions_with_dim(torch):
    x = torch.tensor(GRID, dtype=torch.float64)
    values, indices = x.max(dim=1)
    return {"sum1": x.sum(dim=1), "mean0k": x.mean(dim=0, keepdim=True), "max": x.max(),
            "max_values": values, "max_indices": indices, "min0": x.min(0).values,
            "argmin0": x.min(0).indices, "amax": x.amax(dim=1), "argmax": x.argmax(),
            "argmax_keep": x.argmax(dim=1, keepdim=True), "sum_all": x.sum()}


@idiom()
def floor_division_std_and_t(torch):
    x = torch.tensor(GRID, dtype=torch.float64)
    i = torch.tensor([7, -7, 9])
    return {"floordiv": i // 2, "floordiv_dtype": (i // 2).dtype, "remainder": i % 4,
            "std": x.std(), "std_dim": x.std(dim=0), "var": x.var(), "t": x.t(),
            "mm": x.mm(x.t())}


@idiom()
def boolean_masks_logic(torch):
    x = torch.tensor(GRID, dtype=torch.float64)
    pos, big = x > 0, x.abs() > 0.5
    return {"and": pos & big, "or": pos | big, "not": ~pos, "xor": pos ^ big,
            "any": bool(pos.any()), "all": (pos | ~pos).all().item(),
            "count": (pos & big).sum().item(), "float_mean": pos.float().mean()}
