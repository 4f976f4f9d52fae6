"""Hostile model and tensor files: every content gives a Module or one ModelFileError line that
names the file — never another exception, a hang or an allocation beyond the file's own size.
Also: writes that fail (disk full, read-only) name the file and leave the old one intact."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from _hostile import no_hang, png_declaring
from _system import mounted_tmpfs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neuralab as nl
from neuralab import nn
from neuralab.io import (
    ModelFileError,
    load,
    load_tensors,
    model_file,
    read_metadata,
    save,
    save_tensors,
)
from neuralab.io import files as files_module

ARCH = "neuralab.architecture"
META = {"neuralab.format_version": "1", "neuralab.version": "test"}
FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def raw(header: object, data: bytes = b"", length: int | None = None) -> bytes:
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return (len(text) if length is None else length).to_bytes(8, "little") + text + data


def model_bytes(layer: object, tensors: dict | None = None) -> bytes:
    """A model file whose architecture is Sequential(layer) (layer: dict or raw JSON text)."""
    arch = layer if isinstance(layer, str) else json.dumps(
        {"type": "Sequential", "children": [layer]})
    header: dict = {"__metadata__": {**META, ARCH: arch}}
    data, offset = b"", 0
    for name, array in (tensors or {}).items():
        blob = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        data, offset = data + blob, offset + len(blob)
    return raw(header, data)


def assert_refused(path, expected: str = "", readers=(load, load_tensors)) -> list[str]:
    """Every reader raises ModelFileError: one line, naming the file and containing
    ``expected`` (alternatives separated by " | ")."""
    messages = []
    for reader in readers:
        with pytest.raises(ModelFileError) as info:
            reader(path)
        message = str(info.value)
        assert str(path) in message and "\n" not in message and len(message) < 1000, message
        assert any(part in message for part in expected.split(" | ")), (expected, message)
        messages.append(message)
    return messages


def load_or_refuse(path) -> None:
    """The fuzzing oracle: a Module, or a ModelFileError naming the file; nothing else."""
    try:
        model = load(path)
    except ModelFileError as error:
        message = str(error)
        assert str(path) in message and "\n" not in message and len(message) < 2000, message
    else:
        assert isinstance(model, nn.Module) and not model.training


@pytest.fixture
def good_model(tmp_path) -> bytes:
    nl.manual_seed(0)
    path = tmp_path / "good.safetensors"
    save(nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.MaxPool2d(2), nn.Flatten(1, -1),
                       nn.Linear(2, 3), nn.Dropout(0.5), nn.LogSoftmax(1)), path)
    return path.read_bytes()


# ------------------------------------------------------------------------ absurd architectures
LINEAR = {"type": "Linear", "in_features": 2, "out_features": 2, "bias": False,
          "dtype": "float32"}
CONV = {"type": "Conv2d", "in_channels": 1, "out_channels": 1, "kernel_size": [1, 1],
        "stride": [1, 1], "padding": [0, 0], "dilation": [1, 1], "bias": False,
        "dtype": "float32"}
POOL = {"type": "MaxPool2d", "kernel_size": [2, 2], "stride": [2, 2], "padding": [0, 0]}
AVG = {**POOL, "type": "AvgPool2d", "count_include_pad": True}
BN = {"type": "BatchNorm1d", "num_features": 2, "eps": 1e-5, "momentum": 0.1, "affine": False,
      "track_running_stats": False, "dtype": "float32"}
G = 10**9


@pytest.mark.parametrize("layer, message", ids=range(34), argvalues=[
    ({**LINEAR, "in_features": G, "out_features": G},
     "layer '0' (Linear): the architecture needs at least 1,000,000,000,000,000,000 parameter"),
    ({**LINEAR, "in_features": -3}, "'in_features' must be an integer >= 1, got -3"),
    ({**LINEAR, "out_features": 2.0}, "'out_features' must be an integer >= 1, got 2.0"),
    ({**LINEAR, "out_features": True}, "'out_features' must be an integer >= 1, got True"),
    ({**LINEAR, "in_features": 10**30}, "'in_features' must be an integer >= 1, got 1000"),
    ({**CONV, "in_channels": G, "out_channels": G, "kernel_size": [3, 3]},
     "(Conv2d): the architecture needs at least 9,000,000,000,000,000,000 parameter"),
    ({**CONV, "kernel_size": [G, 1]}, "'kernel_size' must be a pair of integers, each from 1 to "
                                      "1024, got [1000000000, 1]"),
    ({**CONV, "padding": [0, G]}, "'padding' must be a pair of integers from 0 to 1024"),
    ({**CONV, "dilation": [0, 1]}, "'dilation' must be a pair of integers, each from 1 to 1024"),
    ({**CONV, "stride": [2, 2], "padding": "same"}, "padding 'same' needs stride [1, 1]"),
    ({**POOL, "kernel_size": [G, G], "padding": [G // 2, G // 2]},
     "layer '0' (MaxPool2d): setting 'kernel_size' must be a pair of integers, each from 1"),
    ({**POOL, "kernel_size": [3, 3], "padding": [5, 0]},
     "layer '0' (MaxPool2d): padding [5, 0] must be at most half the kernel size "
     "[3, 3]"),
    ({**AVG, "kernel_size": [2, 2], "padding": [2, 2]}, "(AvgPool2d): padding [2, 2]"),
    ({**POOL, "stride": [0, 1]}, "'stride' must be a pair of integers, each from 1 to 1024"),
    ({**POOL, "kernel_size": [2.0, 2]}, "'kernel_size' must be a pair of integers"),
    ({**AVG, "count_include_pad": 1}, "'count_include_pad' must be true or false"),
    ({"type": "AdaptiveAvgPool2d", "output_size": [G, G]},
     "(AdaptiveAvgPool2d): setting 'output_size' must be a pair of integers from 1 to 1024"),
    ({"type": "AdaptiveAvgPool2d", "output_size": [0, None]}, "'output_size' must be a pair"),
    ({"type": "Flatten", "start_dim": 1, "end_dim": 10**18},
     "(Flatten): setting 'end_dim' must be an integer from -64 to 63"),
    ({"type": "Softmax", "dim": -65}, "(Softmax): setting 'dim' must be an integer from -64"),
    ({"type": "LogSoftmax", "dim": 1.5},
     "'dim' must be an integer from -64 to 63, or null, got 1.5"),
    ({"type": "Softmax"}, "(Softmax): missing setting 'dim' (an integer from -64 to 63, or null)"),
    ({"type": "ReLU", "inplace": 1}, "(ReLU): setting 'inplace' must be true or false, got 1"),
    ({"type": "LeakyReLU", "negative_slope": 0.1, "inplace": "yes"},
     "(LeakyReLU): setting 'inplace' must be true or false, got 'yes'"),
    ({"type": "Dropout", "p": 0.5, "inplace": None},
     "(Dropout): setting 'inplace' must be true or false, got None"),
    ({**BN, "affine": True, "bias": 0}, "(BatchNorm1d): setting 'bias' must be true or false"),
    ({"type": "Dropout", "p": -0.1}, "'p' must be a finite number from 0.0 to 1.0, got -0.1"),
    ('{"type": "Sequential", "children": [{"type": "Dropout", "p": NaN}]}',
     "not valid JSON (NaN is not valid JSON"),
    ('{"type": "Sequential", "children": [{"type": "LeakyReLU", "negative_slope": 1e999}]}',
     "'negative_slope' must be a finite number, got inf"),
    ({**BN, "eps": -1e-5}, "(BatchNorm1d): setting 'eps' must be a finite number >= 0.0"),
    ({**BN, "momentum": 7}, "'momentum' must be a finite number from 0 to 1, or null, got 7"),
    ({**BN, "num_features": 0}, "'num_features' must be an integer >= 1, got 0"),
    ({**BN, "num_features": G, "affine": True}, "needs at least 2,000,000,000 parameter values"),
    ({**BN, "num_features": G, "affine": True, "bias": False},
     "needs at least 1,000,000,000 parameter values"),
])
def test_absurd_settings_are_refused_naming_the_layer(tmp_path, layer, message):
    path = tmp_path / "model.safetensors"
    path.write_bytes(model_bytes(layer))
    (error,) = assert_refused(path, message, readers=(load,))
    assert "architecture, layer '0'" in error or "not valid JSON" in error


def test_too_many_modules_and_nesting(tmp_path):
    path = tmp_path / "model.safetensors"
    many = {"type": "Sequential",
            "children": [{"type": "ReLU"}] * (model_file.MAX_MODULES + 1)}
    path.write_bytes(model_bytes(json.dumps(many)))
    assert_refused(path, "more than 10,000 modules", readers=(load,))
    path.write_bytes(model_bytes("[" * 100_000 + "]" * 100_000))
    assert_refused(path, "not valid JSON (nested too deeply)", readers=(load,))
    path.write_bytes(model_bytes('{"type": "ReLU", "type": "Tanh"}'))
    assert_refused(path, "duplicate key 'type'", readers=(load,))


def test_the_largest_allowed_settings_still_load(tmp_path):
    layers = [{**POOL, "kernel_size": [1024, 1024], "stride": [1024, 1024],
               "padding": [512, 512]},
              {"type": "AdaptiveAvgPool2d", "output_size": [1024, None]},
              {"type": "Flatten", "start_dim": -64, "end_dim": 63},
              {"type": "Dropout", "p": 1}, {**BN, "momentum": None, "eps": 0}]
    path = tmp_path / "model.safetensors"
    path.write_bytes(model_bytes(json.dumps({"type": "Sequential", "children": layers})))
    model = load(path)
    assert model[0].padding == (512, 512) and model[1].output_size == (1024, None)
    assert model[4].momentum is None and model[4].eps == 0.0


def test_save_refuses_what_load_would_refuse(tmp_path):
    path = tmp_path / "m.safetensors"
    with pytest.raises(ValueError, match=r"cannot save: architecture, layer '0' \(MaxPool2d\): "
                                         "setting 'kernel_size'.*1 to 1024"):
        save(nn.Sequential(nn.MaxPool2d(2000)), path)
    assert not path.exists()


def test_architecture_is_checked_before_the_weights_are_read(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    path.write_bytes(model_bytes(LINEAR, {"0.weight": np.ones((3, 3))}))
    reads = []

    class NumpySpy:  # files.py's numpy, recording the arrays it allocates for tensor data
        def __getattr__(self, name):
            return getattr(np, name)

        def empty(self, *args, **kwargs):
            reads.append(args)
            return np.empty(*args, **kwargs)

    monkeypatch.setattr(files_module, "np", NumpySpy())
    assert_refused(path, "'0.weight': the file has shape (3, 3) float32, the architecture "
                         "needs (2, 2) float32", readers=(load,))
    assert reads == []
    path.write_bytes(model_bytes(LINEAR, {"0.weight": np.ones((2, 2))}))
    assert load(path)[0].weight.shape == (2, 2) and reads == [((2, 2),)]


# ------------------------------------------------------------------------ hostile files
@pytest.mark.parametrize("content, message", ids=range(19), argvalues=[
    (b"", "file is 0 bytes long, too short"),
    ((2**63).to_bytes(8, "little") + b"{}", "header length field says 9,223,372,036,854,775,808"),
    (raw(b"{}", length=10**6), "only 2 follow it; the file is truncated"),
    (raw(b'{"a": "\xff\xfe"}'), "header is not valid JSON ('utf-8' codec can't decode"),
    (raw(b'{"__metadata__": {}, "__metadata__": {}}'), "duplicate key '__metadata__'"),
    (raw(b"[" * 100_000 + b"]" * 100_000), "header is not valid JSON (nested too deeply)"),
    (raw(b"[" + b"[]," * 1_000_001 + b"[]]"), "more than 1,000,000 objects and lists"),
    (raw({"__metadata__": {"a": 1}}), "'__metadata__' must map strings to strings; 'a' is int"),
    (raw({"__metadata__": ["x"]}), "'__metadata__' must map strings to strings, got list"),
    (raw({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, bytes(4)),
     "tensor 'w': data_offsets [0, 8] lie outside the 4 bytes"),
    (raw({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
          "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, bytes(8)),
     "tensors 'a' and 'b' overlap"),
    (raw({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, bytes(8)),
     "4 bytes before tensor 'a' belong to no tensor"),
    (raw({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, bytes(8)),
     "4 trailing bytes after the last tensor"),
    (raw({"a": {"dtype": "Q7", "shape": [1], "data_offsets": [0, 1]}}, bytes(1)),
     "dtype 'Q7' is not one NumPy can load"),
    (raw({"a": {"dtype": "F32", "shape": [2**62, 2**62, 0], "data_offsets": [0, 0]}}),
     "shape [4611686018427387904, 4611686018427387904, 0] is too large for any array"),
    (raw({"a": {"dtype": "F32", "shape": [1] * 65, "data_offsets": [0, 4]}}, bytes(4)),
     "is not a list of at most 64 non-negative ints"),
    (raw({"a": {"dtype": "F32", "shape": [True], "data_offsets": [0, 4]}}, bytes(4)),
     "shape [True] is not a list"),
    (raw({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": 1}}, bytes(4)),
     "unexpected header field(s) 'x'"),
    (raw({"x" * 10**6: {"dtype": "F32"}}), "tensor 'xxxxxxxxxxxxxxxxxxxxxxxxxx"),
])
def test_hostile_tensor_files(tmp_path, content, message):
    path = tmp_path / "hostile.safetensors"
    path.write_bytes(content)
    assert_refused(path, message)


def test_metadata_reads_only_a_bounded_header(tmp_path):
    path = tmp_path / "m.safetensors"
    path.write_bytes(raw({"__metadata__": {"classes": "[1]"}}, length=2**63 - 1))
    assert_refused(path, "more than the 16,000,000 allowed", readers=(read_metadata,))
    path.write_bytes(raw({"__metadata__": {"classes": "[1]", **META}}))
    assert read_metadata(path) == {"classes": "[1]"}


def test_special_files_are_refused_without_reading(tmp_path):
    fifo = tmp_path / "fifo.safetensors"
    os.mkfifo(fifo)
    with no_hang():
        for path, kind in [("/dev/zero", "a character device"), (str(fifo), "a pipe"),
                           (str(tmp_path), "a directory")]:
            for reader in (load, load_tensors, read_metadata):
                with pytest.raises(ModelFileError, match=f"is {kind}") as info:
                    reader(path)
                assert str(info.value).startswith(path)


def test_sparse_10_gb_files_fail_fast(tmp_path):
    zeros = tmp_path / "zeros.safetensors"
    with open(zeros, "wb") as file:
        file.truncate(10 * 2**30)
    assert_refused(zeros, "header length field says 0 bytes")
    # A real header describing 10 GB of data that does not fit the architecture: refused from
    # the header alone (the subprocess test below proves nothing gets allocated).
    claim = tmp_path / "claim.safetensors"
    head = model_bytes(LINEAR)[:0]
    header = {"__metadata__": {**META, ARCH: json.dumps({"type": "Sequential",
                                                         "children": [LINEAR]})},
              "0.weight": {"dtype": "F32", "shape": [2**31 * 5 // 4],
                           "data_offsets": [0, 10 * 2**30]}}
    with open(claim, "wb") as file:
        file.write(head + raw(header))
        file.truncate(file.tell() + 10 * 2**30)
    assert_refused(claim, "'0.weight': the file has shape (2684354560,) float32",
                   readers=(load,))


def test_names_with_control_characters_stay_on_one_line(tmp_path):
    path = tmp_path / "bad\nname.safetensors"
    path.write_bytes(b"x")
    with pytest.raises(ModelFileError) as info:
        load(path)
    assert "\n" not in str(info.value) and repr(str(path)) in str(info.value)


def test_bool_tensors_read_any_nonzero_byte_as_true(tmp_path):
    path = tmp_path / "b.safetensors"
    path.write_bytes(raw({"m": {"dtype": "BOOL", "shape": [3], "data_offsets": [0, 3]}},
                         bytes([0, 1, 7])))
    mask = load_tensors(path)[0]["m"]
    assert mask.dtype == bool and mask.tolist() == [False, True, True]


# ------------------------------------------------------------------------ fuzzing
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.sampled_from([0, 1, 2, -1])
    | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3),
    max_leaves=6)


@st.composite
def architectures(draw) -> dict:
    """A registered module's real description with some settings replaced by random values."""
    nl.manual_seed(0)
    examples = [nn.Linear(2, 3), nn.Conv2d(1, 2, 3, padding=1), nn.MaxPool2d(2), nn.AvgPool2d(3),
                nn.AdaptiveAvgPool2d((2, None)), nn.BatchNorm2d(2), nn.BatchNorm1d(3),
                nn.Flatten(), nn.Dropout(), nn.LeakyReLU(), nn.Softmax(1), nn.LogSoftmax(1),
                nn.ReLU()]
    module = draw(st.sampled_from(examples))
    description = model_file._describe(nn.Sequential(module), "")
    layer = description["children"][0]
    for key in draw(st.lists(st.sampled_from(sorted(layer)), max_size=3, unique=True)):
        if draw(st.booleans()):
            layer[key] = draw(JSON_VALUES)
        else:
            del layer[key]
    if draw(st.booleans()):
        layer[draw(st.text(max_size=4))] = draw(JSON_VALUES)
    return description


@FUZZ
@given(architecture=architectures(), with_weights=st.booleans())
def test_fuzzed_architectures_load_or_raise_model_file_error(tmp_path, architecture,
                                                             with_weights):
    path = tmp_path / "fuzz.safetensors"
    tensors = {"0.weight": np.ones((3, 2))} if with_weights else {}
    path.write_bytes(model_bytes(json.dumps(architecture), tensors))
    load_or_refuse(path)


@st.composite
def headers(draw) -> bytes:
    """Valid-looking headers with one or more fields mutated."""
    entry = {"dtype": draw(st.sampled_from(["F32", "F64", "I64", "BOOL", "BF16", "f32", ""])),
             "shape": draw(st.lists(st.integers(-2, 2**64), max_size=4)
                           | st.just([2, 3]) | JSON_VALUES),
             "data_offsets": draw(st.lists(st.integers(-8, 2**64), min_size=0, max_size=3)
                                  | st.just([0, 24]) | JSON_VALUES)}
    header = {draw(st.sampled_from(["0.weight", "0.bias", "", "__metadata__"])): entry,
              "__metadata__": draw(st.just({**META, ARCH: json.dumps(
                  {"type": "Sequential", "children": [LINEAR]})}) | JSON_VALUES)}
    data = draw(st.binary(max_size=40))
    text = json.dumps(header).encode()
    length = draw(st.just(len(text)) | st.integers(0, 2**64 - 1))
    return length.to_bytes(8, "little") + text + data


@FUZZ
@given(content=headers() | st.binary(max_size=64))
def test_fuzzed_headers_and_random_bytes(tmp_path, content):
    path = tmp_path / "fuzz.safetensors"
    path.write_bytes(content)
    load_or_refuse(path)
    try:
        read_metadata(path)
    except ModelFileError as error:
        assert str(path) in str(error)


@FUZZ
@given(data=st.data())
def test_fuzzed_prefixes_and_byte_flips_of_a_real_file(tmp_path, good_model, data):
    content = bytearray(good_model)
    for _ in range(data.draw(st.integers(0, 3))):
        content[data.draw(st.integers(0, len(content) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(content)))
    path = tmp_path / "fuzz.safetensors"
    path.write_bytes(bytes(content[:cut]))
    load_or_refuse(path)


def test_the_fuzzers_reach_both_outcomes(tmp_path, good_model):
    """The oracle is not vacuous: an untouched file loads, a cut one is refused."""
    path = tmp_path / "m.safetensors"
    path.write_bytes(good_model)
    assert isinstance(load(path), nn.Sequential)
    path.write_bytes(good_model[:-1])
    assert_refused(path, "trailing | truncated | outside")


# ------------------------------------------------------------------------ memory and time
HOSTILE_SCRIPT = textwrap.dedent("""
    import json, os, resource, sys, time
    import neuralab, neuralab.io, neuralab.imaging, PIL.Image, PIL.PngImagePlugin
    from neuralab.io import ModelFileError
    def vm_bytes():
        for line in open("/proc/self/status"):
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    baseline = vm_bytes()
    limit = baseline + 512 * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    results = {}
    for name, call, path in json.loads(sys.argv[1]):
        function = {"load": neuralab.io.load, "read_metadata": neuralab.io.read_metadata,
                    "image": neuralab.imaging.load_digit_image}[call]
        start = time.perf_counter()
        try:
            function(path)
            outcome = ("returned", "")
        except BaseException as error:
            outcome = (type(error).__name__, str(error))
        results[name] = (*outcome, time.perf_counter() - start)
    print(json.dumps({"baseline": baseline, "limit": limit, "results": results}))
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc are Linux")
def test_hostile_files_fail_fast_within_a_memory_limit(tmp_path):
    def put(name: str, content: bytes, sparse: int = 0) -> str:
        path = tmp_path / name
        with open(path, "wb") as file:
            file.write(content)
            if sparse:
                file.truncate(sparse)
        return str(path)

    huge_linear = put("linear.safetensors", model_bytes({**LINEAR, "in_features": G,
                                                         "out_features": G}))
    huge_pool = put("pool.safetensors", model_bytes(
        {"type": "AdaptiveAvgPool2d", "output_size": [G, G]}))
    huge_length = put("length.safetensors", (2**63).to_bytes(8, "little") + b"{}")
    sparse = put("sparse.safetensors", b"", 10 * 2**30)
    header = {"__metadata__": {**META, ARCH: json.dumps({"type": "Sequential",
                                                         "children": [LINEAR]})},
              "0.weight": {"dtype": "F32", "shape": [2**31 * 5 // 4],
                           "data_offsets": [0, 10 * 2**30]}}
    claim = put("claim.safetensors", raw(header), len(raw(header)) + 10 * 2**30)
    ints = put("ints.safetensors", raw(b"[" + b"0," * 7_999_000 + b"0]"))
    bomb = put("bomb.png", png_declaring(100_000, 100_000))
    over = put("over.png", png_declaring(8_000, 8_000))
    cases = [("linear", "load", huge_linear), ("pool", "load", huge_pool),
             ("length", "load", huge_length), ("length_meta", "read_metadata", huge_length),
             ("dev_zero", "load", "/dev/zero"), ("dev_zero_meta", "read_metadata", "/dev/zero"),
             ("sparse", "load", sparse), ("claim", "load", claim), ("ints", "load", ints),
             ("bomb", "image", bomb), ("over", "image", over)]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", HOSTILE_SCRIPT, json.dumps(cases)],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    expected = {
        "linear": "needs at least 1,000,000,000,000,000,000 parameter",
        "pool": "'output_size' must be a pair of integers from 1 to 1024",
        "length": "more than the 16,000,000 allowed", "length_meta": "more than the 16,000,000",
        "dev_zero": "is a character device", "dev_zero_meta": "is a character device",
        "sparse": "header length field says 0 bytes", "claim": "the file has shape",
        "ints": "the tensors do not match|not an object",
        "bomb": "image is too large", "over": "8000×8000 pixels, more than the 40,000,000",
    }
    for name, call, path in cases:
        kind, message, seconds = report["results"][name]
        assert kind in (("ValueError",) if call == "image" else ("ModelFileError",)), (
            name, kind, message)
        assert path in message and "\n" not in message, (name, message)
        assert __import__("re").search(expected[name], message), (name, message)
        # A hang guard, not a speed test: reading the 10 GB files or parsing a huge header
        # would take minutes; refusing them takes milliseconds.
        assert seconds < 30, (name, seconds)


# ------------------------------------------------------------------------ failing writes
@pytest.fixture
def small_tmpfs(tmp_path):
    """A 64 KiB tmpfs (root only): a real 'No space left on device'."""
    with mounted_tmpfs(tmp_path / "full", "64k") as folder:
        yield folder


@pytest.fixture
def read_only_tmpfs(tmp_path):
    """A read-only tmpfs, since root ignores file permissions."""
    with mounted_tmpfs(tmp_path / "ro", "64k", read_only=True) as folder:
        yield folder


def test_disk_full_names_the_file_and_keeps_the_old_one(small_tmpfs):
    nl.manual_seed(0)
    path = small_tmpfs / "model.safetensors"
    save(nn.Sequential(nn.Linear(2, 2)), path)
    before = path.read_bytes()
    big = nn.Sequential(nn.Linear(200, 100))  # 80 KB of weights on a 64 KiB file system
    with pytest.raises(OSError) as info:
        save(big, path)
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(path)
    assert str(path) in str(info.value) and "No space left" in str(info.value)
    with pytest.raises(OSError) as info:
        save_tensors(path, {"w": np.zeros(20_000, dtype=np.float32)})
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(path)
    assert path.read_bytes() == before and os.listdir(small_tmpfs) == ["model.safetensors"]
    assert load(path)[0].weight.shape == (2, 2)


def test_read_only_destination_names_the_file(read_only_tmpfs):
    path = read_only_tmpfs / "model.safetensors"
    with pytest.raises(OSError) as info:
        save(nn.Sequential(nn.ReLU()), path)
    assert info.value.errno == errno.EROFS and info.value.filename == str(path)
    assert str(path) in str(info.value) and os.listdir(read_only_tmpfs) == []
