"""Dense layers vs convolutions (S20), and the parameter counts of the CNN line (S19).

Parameter counts come from the layer shapes, by formula:
  Dense(in → out):               in·out + out
  Conv(C_in → C_out, k×k):       C_out·C_in·k² (+ C_out bias)
  BatchNorm(C):                  2·C (γ and β)
  output size of conv/pool:      ⌊(H + 2·pad − k) / stride⌋ + 1
A dense layer's weights grow with the input's size; a convolution's depend only on its channels
and kernel. The experiment trains a dense net and a LeNet-style CNN on 28×28 Fashion-MNIST.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import nn
from ..nn import functional as F
from ..tensor import Tensor
from ._classify import accuracy, r, train
from .registry import ExperimentResult, Finding, experiment


# ------------------------------------------------------------------ layer shapes and counts
@dataclass(frozen=True)
class Conv:
    """k×k convolution to ``out`` channels."""

    out: int
    k: int
    stride: int = 1
    pad: int = 0
    bias: bool = True


@dataclass(frozen=True)
class Pool:
    """k×k max pooling (no parameters); stride defaults to k."""

    k: int
    stride: int | None = None
    pad: int = 0


@dataclass(frozen=True)
class BatchNorm:
    """Batch normalisation over channels: γ and β per channel."""


@dataclass(frozen=True)
class AdaptiveAvg:
    """Average pooling to a ``size``×``size`` map (size 1: global average pooling)."""

    size: int


@dataclass(frozen=True)
class Residual:
    """ResNet basic block: 3×3 conv + BN, 3×3 conv + BN, plus a 1×1 conv + BN shortcut when the
    stride or the channel count changes (convolutions without bias, as in ResNet)."""

    out: int
    stride: int = 1


@dataclass(frozen=True)
class Dense:
    """Fully connected layer to ``out`` units (the input is flattened first)."""

    out: int


Layer = Conv | Pool | BatchNorm | AdaptiveAvg | Residual | Dense


@dataclass(frozen=True)
class LayerCount:
    """One row of a parameter table."""

    name: str
    shape: tuple[int, ...]  # output shape, without the batch axis
    params: int
    dense: bool


def _out(size: int, k: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - k) // stride + 1


def layer_table(layers: tuple[Layer, ...], input_shape: tuple[int, int, int]) -> list[LayerCount]:
    """Output shape and parameter count of every layer, from the (C, H, W) input shape."""
    rows = []
    c, h, w = input_shape
    flat: int | None = None
    for layer in layers:
        if isinstance(layer, Conv):
            params = layer.out * c * layer.k ** 2 + (layer.out if layer.bias else 0)
            c, h, w = layer.out, _out(h, layer.k, layer.stride, layer.pad), \
                _out(w, layer.k, layer.stride, layer.pad)
            name = f"conv {layer.k}×{layer.k}"
        elif isinstance(layer, Pool):
            stride = layer.stride or layer.k
            h, w = _out(h, layer.k, stride, layer.pad), _out(w, layer.k, stride, layer.pad)
            params, name = 0, f"max-pool {layer.k}×{layer.k}"
        elif isinstance(layer, BatchNorm):
            params, name = 2 * c, "batch norm"
        elif isinstance(layer, AdaptiveAvg):
            h = w = layer.size
            params, name = 0, "average pool"
        elif isinstance(layer, Residual):
            s = layer.stride
            params = 9 * c * layer.out + 2 * layer.out + 9 * layer.out ** 2 + 2 * layer.out
            if s != 1 or c != layer.out:
                params += c * layer.out + 2 * layer.out  # 1×1 projection shortcut + its BN
            c, h, w = layer.out, _out(h, 3, s, 1), _out(w, 3, s, 1)
            name = "residual block"
        elif isinstance(layer, Dense):
            fan_in = flat if flat is not None else c * h * w
            params, flat, name = fan_in * layer.out + layer.out, layer.out, "dense"
        else:
            raise TypeError(f"layer_table: unknown layer {layer!r}")
        shape = (flat,) if flat is not None else (c, h, w)
        rows.append(LayerCount(name, shape, params, isinstance(layer, Dense)))
    return rows


def count_parameters(layers: tuple[Layer, ...], input_shape: tuple[int, int, int]) -> int:
    """Σ parameters of ``layers`` for inputs of shape (C, H, W)."""
    return sum(row.params for row in layer_table(layers, input_shape))


def dense_share(layers: tuple[Layer, ...], input_shape: tuple[int, int, int]) -> float:
    """Fraction of the parameters that sit in the dense (fully connected) layers."""
    rows = layer_table(layers, input_shape)
    return sum(row.params for row in rows if row.dense) / sum(row.params for row in rows)


_VGG16_CONVS = (64, 64, "P", 128, 128, "P", 256, 256, 256, "P", 512, 512, 512, "P",
                512, 512, 512, "P")

# LeNet-5 as usually rebuilt (LeCun et al. 1998, with every C3 map connected to all S2 maps and
# plain max-pooling); C5 is a 5×5 convolution over a 5×5 map, i.e. a dense layer 400 → 120.
LENET5: tuple[Layer, ...] = (Conv(6, 5), Pool(2), Conv(16, 5), Pool(2), Dense(120), Dense(84),
                             Dense(10))
# AlexNet as in torchvision (single-GPU variant of Krizhevsky et al. 2012).
ALEXNET: tuple[Layer, ...] = (
    Conv(64, 11, 4, 2), Pool(3, 2), Conv(192, 5, 1, 2), Pool(3, 2), Conv(384, 3, 1, 1),
    Conv(256, 3, 1, 1), Conv(256, 3, 1, 1), Pool(3, 2), AdaptiveAvg(6),
    Dense(4096), Dense(4096), Dense(1000))
VGG16: tuple[Layer, ...] = (
    *(Pool(2) if v == "P" else Conv(int(v), 3, 1, 1) for v in _VGG16_CONVS),
    Dense(4096), Dense(4096), Dense(1000))
RESNET18: tuple[Layer, ...] = (
    Conv(64, 7, 2, 3, bias=False), BatchNorm(), Pool(3, 2, 1),
    Residual(64), Residual(64), Residual(128, 2), Residual(128), Residual(256, 2),
    Residual(256), Residual(512, 2), Residual(512), AdaptiveAvg(1), Dense(1000))
FAMOUS: dict[str, tuple[tuple[Layer, ...], tuple[int, int, int], int]] = {
    # name: (layers, input shape, year)
    "LeNet-5": (LENET5, (1, 32, 32), 1998),
    "AlexNet": (ALEXNET, (3, 224, 224), 2012),
    "VGG-16": (VGG16, (3, 224, 224), 2014),
    "ResNet-18": (RESNET18, (3, 224, 224), 2015),
}

# The two nets trained here, on 28×28 grey images.
IMAGE = (1, 28, 28)
LR = 2e-3  # Adam, for both nets: few epochs on a small subset
DENSE_NET: tuple[Layer, ...] = (Dense(256), Dense(128), Dense(10))
LENET_28: tuple[Layer, ...] = (Conv(6, 5, pad=2), Pool(2), Conv(16, 5), Pool(2), Dense(120),
                               Dense(84), Dense(10))


def build(layers: tuple[Layer, ...], input_shape: tuple[int, int, int]) -> nn.Sequential:
    """A neuralab model for Conv/Pool/Dense layers: ReLU after every conv and hidden dense layer,
    Flatten before the first dense layer."""
    modules: list[nn.Module] = []
    c = input_shape[0]
    flat = False
    for i, layer in enumerate(layers):
        if isinstance(layer, Conv):
            modules += [nn.Conv2d(c, layer.out, layer.k, stride=layer.stride, padding=layer.pad,
                                  bias=layer.bias), nn.ReLU()]
            c = layer.out
        elif isinstance(layer, Pool):
            modules.append(nn.MaxPool2d(layer.k, stride=layer.stride or layer.k,
                                        padding=layer.pad))
        elif isinstance(layer, Dense):
            if not flat:
                modules.append(nn.Flatten())
                flat = True
            fan_in = layer_table(layers[:i + 1], input_shape)[-2].shape if i else input_shape
            modules.append(nn.Linear(int(np.prod(fan_in)), layer.out))
            if i < len(layers) - 1:
                modules.append(nn.ReLU())
        else:
            raise TypeError(f"build: {type(layer).__name__} is not supported here")
    return nn.Sequential(*modules)


# ------------------------------------------------------------------ data
def images_28(quick: bool, seed: int) -> tuple[str, np.ndarray, np.ndarray, np.ndarray,
                                               np.ndarray]:
    """A training/test subset of 28×28 images: Fashion-MNIST if it is on disk, else the 8×8
    digits scaled ×3 and padded to 28×28 (no download during an experiment)."""
    n_train, n_test = (1500, 1000) if quick else (10000, 2000)
    rng = np.random.default_rng(seed)
    from .. import data

    try:
        train_set, test_set = data.fashion_mnist(train=True, download=False), \
            data.fashion_mnist(train=False, download=False)
        name = "Fashion-MNIST"
    except (data.DatasetNotFoundError, data.ChecksumError, OSError):
        # Not installed here: fall back to data every install has.
        train_set, test_set = data.digits(train=True, seed=seed), data.digits(train=False,
                                                                               seed=seed)
        name = "digits 8×8 scaled to 28×28"
    (x, y), (xt, yt) = train_set.tensors, test_set.tensors
    i = rng.choice(len(y), min(n_train, len(y)), replace=False)
    j = rng.choice(len(yt), min(n_test, len(yt)), replace=False)
    x, y, xt, yt = np.asarray(x[i]), np.asarray(y[i]), np.asarray(xt[j]), np.asarray(yt[j])
    if x.shape[-1] == 8:
        def grow(a: np.ndarray) -> np.ndarray:
            big = np.kron(a, np.ones((1, 1, 3, 3), dtype=a.dtype))
            return np.pad(big, ((0, 0), (0, 0), (2, 2), (2, 2)))
        x, xt = grow(x), grow(xt)
    return name, x.astype(np.float32), y, xt.astype(np.float32), yt


# ------------------------------------------------------------------ the experiment
@dataclass
class DenseVsCnnResult(ExperimentResult):
    """Parameter counts of dense nets and CNNs, and their accuracy on 28×28 images."""

    dataset: str
    quick: bool
    n_train: int
    n_test: int
    dense_params: int
    dense_first_layer: int
    dense_model_params: int  # counted on the built neuralab model
    cnn_params: int  # by formula
    cnn_conv_params: int
    cnn_dense_share: float
    cnn_model_params: int  # counted on the built neuralab model
    dense_epochs: int
    cnn_epochs: int
    dense_acc: list[float]  # test accuracy per epoch
    cnn_acc: list[float]
    dense_seconds: float
    cnn_seconds: float
    famous: dict[str, dict[str, float]]  # name -> params, dense params, dense share, year
    image_sizes: list[int]
    dense_first_by_size: list[int]  # first dense layer (256 units) on s×s grey images
    conv_first_by_size: list[int]  # first conv layer (6 filters 5×5) on the same images

    def findings(self) -> list[Finding]:
        fam = self.famous
        listing_en = "; ".join(
            f"{k} ({int(v['year'])}) {int(v['params']):,} parameters, "
            f"{v['dense_share']:.1%} in dense layers" for k, v in fam.items())
        listing_ko = "; ".join(
            f"{k}({int(v['year'])}년) 파라미터 {int(v['params']):,}개, 그중 완전 연결 층 "
            f"{v['dense_share']:.1%}" for k, v in fam.items())
        s19 = Finding(
            "S19", "context",
            f"The CNN line, counted from the layer shapes by formula (and checked against "
            f"PyTorch modules in the tests): {listing_en}. GoogLeNet (2014) and ResNet (2015) "
            f"replaced the big dense stack with global average pooling and one output layer.",
            f"CNN 계열의 파라미터 수를 층의 모양에서 공식으로 계산했다(테스트에서 PyTorch 모듈과 "
            f"대조): {listing_ko}. GoogLeNet(2014)과 ResNet(2015)은 큰 완전 연결 층들을 전역 평균 "
            f"풀링과 출력층 하나로 바꾸었다.",
            ("dense-vs-cnn_famous.png",),
        )
        ratio = self.dense_params / self.cnn_params
        first_share = self.dense_first_layer / self.dense_params
        big_dense, big_conv = self.dense_first_by_size[-1], self.conv_first_by_size[-1]
        size = self.image_sizes[-1]
        resnet = fam["ResNet-18"]["dense_share"]
        d_acc = self.dense_acc[-1]
        # how the CNN's accuracy compares, decided once for both languages
        outcome = ("caught up" if self.cnn_acc[-1] >= d_acc - 0.01 else
                   "too little training" if self.quick else "dense ahead")
        acc_en = (f"Trained on {self.n_train:,} {self.dataset} images (Adam, lr {LR:g}), "
                  f"test accuracy on {self.n_test:,}: dense net {d_acc:.1%} after "
                  f"{self.dense_epochs} epochs, CNN {self.cnn_acc[-1]:.1%} after "
                  f"{self.cnn_epochs}" + {
                      "caught up": f": the CNN is as accurate with {ratio:.1f}× fewer weights.",
                      "too little training": ": with this little training the CNN has not "
                      "caught up yet (the full run trains longer on more images).",
                      "dense ahead": ": at this training budget the dense net is ahead."}[outcome])
        acc_ko = (f"{self.dataset} 이미지 {self.n_train:,}장으로 학습(Adam, 학습률 {LR:g})한 뒤 "
                  f"{self.n_test:,}장에서 잰 테스트 정확도: 완전 연결 신경망 {d_acc:.1%}"
                  f"({self.dense_epochs} 에폭), CNN {self.cnn_acc[-1]:.1%}({self.cnn_epochs} "
                  f"에폭)" + {
                      "caught up": f". CNN은 가중치가 {ratio:.1f}배 적은데도 정확도가 비슷하거나 "
                      "더 높다.",
                      "too little training": ". 학습이 이만큼 짧으면 CNN이 아직 따라잡지 못한다"
                      "(전체 실행은 더 많은 이미지로 더 오래 학습한다).",
                      "dense ahead": ". 이 학습량에서는 완전 연결 신경망이 앞선다."}[outcome])
        s20 = Finding(
            "S20", "confirmed",
            f"On 28×28 images a dense net 784-256-128-10 needs {self.dense_params:,} weights, "
            f"{first_share:.0%} of them in its first layer (every pixel to every unit); a "
            f"LeNet-style CNN needs {self.cnn_params:,} ({ratio:.1f}× fewer), its convolutions "
            f"only {self.cnn_conv_params:,}: {self.cnn_dense_share:.1%} of its weights are the "
            f"dense layers at the end, the output stage. A dense layer grows with the image "
            f"(first layer of 256 units: {self.dense_first_by_size[0]:,} at 28×28, "
            f"{big_dense:,} at {size}×{size}), a convolution does not ({big_conv} for six 5×5 "
            f"filters at any size). {acc_en} Later models shrink the dense part to one output "
            f"layer (ResNet-18: {resnet:.1%} of its parameters).",
            f"28×28 이미지에서 784-256-128-10 완전 연결 신경망은 가중치가 {self.dense_params:,}개 "
            f"필요하고 그중 {first_share:.0%}가 첫 층에 있다(모든 픽셀이 모든 유닛에 연결). LeNet "
            f"형태의 CNN은 {self.cnn_params:,}개({ratio:.1f}배 적음)이고 합성곱은 "
            f"{self.cnn_conv_params:,}개뿐이다: 가중치의 {self.cnn_dense_share:.1%}가 끝에 있는 완전 "
            f"연결 층, 즉 출력 단계에 있다. 완전 연결 층은 이미지가 커질수록 커지지만(유닛 256개인 "
            f"첫 층: 28×28에서 {self.dense_first_by_size[0]:,}개, {size}×{size}에서 "
            f"{big_dense:,}개) 합성곱은 크기와 무관하다(5×5 필터 6개는 항상 {big_conv}개). "
            f"{acc_ko} 이후의 모델은 완전 연결 부분을 출력층 하나로 줄였다(ResNet-18: 파라미터의 "
            f"{resnet:.1%}).",
            ("dense-vs-cnn_params.png",) + (("dense-vs-cnn_accuracy.png",)
                                            if self.dense_acc else ()),
        )
        return [s19, s20]

    def draw(self, out_dir: Path) -> list[Path]:
        from ..plot import _pyplot, save_figure

        plt = _pyplot()
        out_dir = Path(out_dir)
        fig, (ax_b, ax_s) = plt.subplots(1, 2, figsize=(12, 4.2))
        names = ["dense net\n784-256-128-10", "LeNet-style\nCNN"]
        dense_part = [self.dense_params, self.cnn_params - self.cnn_conv_params]
        conv_part = [0, self.cnn_conv_params]
        ax_b.bar(names, dense_part, color="C1", label="dense layers")
        ax_b.bar(names, conv_part, bottom=dense_part, color="C0", label="convolutions")
        for k, total in enumerate((self.dense_params, self.cnn_params)):
            ax_b.text(k, total, f"{total:,}", ha="center", va="bottom")
        ax_b.set(ylabel="parameters", ylim=(0, self.dense_params * 1.15),
                 title="Parameters on 28×28 images")
        ax_b.legend()
        ax_s.plot(self.image_sizes, self.dense_first_by_size, "o-",
                  label="first dense layer (256 units)")
        ax_s.plot(self.image_sizes, self.conv_first_by_size, "s-",
                  label="first conv layer (6 filters 5×5)")
        ax_s.set(xscale="log", yscale="log", xlabel="image side (pixels)", ylabel="parameters",
                 title="First layer vs image size")
        ax_s.minorticks_off()
        ax_s.set_xticks(self.image_sizes, [str(s) for s in self.image_sizes])
        ax_s.legend()
        for ax in (ax_b, ax_s):
            ax.grid(alpha=0.3)
        paths = [save_figure(fig, out_dir / "dense-vs-cnn_params.png")]

        fig, ax = plt.subplots(figsize=(8, 4))
        names = list(self.famous)
        totals = np.array([self.famous[n]["params"] for n in names])
        dense = np.array([self.famous[n]["dense_params"] for n in names])
        ax.bar(names, dense / 1e6, color="C1", label="dense layers")
        ax.bar(names, (totals - dense) / 1e6, bottom=dense / 1e6, color="C0",
               label="convolutions (+ batch norm)")
        for k, n in enumerate(names):
            ax.text(k, totals[k] / 1e6, f"{totals[k] / 1e6:.2f} M\n"
                    f"{self.famous[n]['dense_share']:.0%} dense", ha="center", va="bottom",
                    fontsize=8)
        ax.set(ylabel="parameters (millions)", ylim=(0, totals.max() / 1e6 * 1.2),
               title="The CNN line: where the parameters are")
        ax.legend()
        ax.grid(alpha=0.3, axis="y")
        paths.append(save_figure(fig, out_dir / "dense-vs-cnn_famous.png"))

        if self.dense_acc:
            fig, ax = plt.subplots(figsize=(6.5, 4))
            ax.plot(np.arange(1, len(self.dense_acc) + 1), np.array(self.dense_acc) * 100,
                    "o-", label=f"dense net ({self.dense_params:,} parameters)")
            ax.plot(np.arange(1, len(self.cnn_acc) + 1), np.array(self.cnn_acc) * 100,
                    "s-", label=f"CNN ({self.cnn_params:,} parameters)")
            ax.set(xlabel="epoch", ylabel="test accuracy (%)",
                   title=f"{self.dataset}, {self.n_train:,} training images")
            ax.grid(alpha=0.3)
            ax.legend()
            paths.append(save_figure(fig, out_dir / "dense-vs-cnn_accuracy.png"))
        return paths


def _fit(layers: tuple[Layer, ...], x: np.ndarray, y: np.ndarray, xt: np.ndarray,
         yt: np.ndarray, epochs: int, seed: int) -> tuple[nn.Module, list[float], float]:
    from ..random import manual_seed

    manual_seed(seed)
    model = build(layers, IMAGE)
    started = time.perf_counter()
    curves = train(model, lambda m, idx: F.cross_entropy(m(Tensor(x[idx])), y[idx]), len(x),
                   epochs=epochs, batch_size=64, lr=LR, seed=seed, adam=True,
                   score=lambda m: accuracy(m, xt, yt))
    return model, [r(v) for v in curves.score], time.perf_counter() - started


@experiment("dense-vs-cnn", claims=("S19", "S20"),
            title_en="Dense layers vs convolutions: parameters and accuracy",
            title_ko="완전 연결 층 대 합성곱: 파라미터 수와 정확도")
def run_dense_vs_cnn(quick: bool = False, seed: int = 0) -> DenseVsCnnResult:
    """Count parameters by formula; train a dense net and a LeNet-style CNN."""
    dataset, x, y, xt, yt = images_28(quick, seed)
    dense_epochs, cnn_epochs = (3, 3) if quick else (8, 8)
    dense_model, dense_acc, dense_seconds = _fit(DENSE_NET, x, y, xt, yt, dense_epochs, seed)
    cnn_model, cnn_acc, cnn_seconds = _fit(LENET_28, x, y, xt, yt, cnn_epochs, seed)

    rows = layer_table(LENET_28, IMAGE)
    famous = {}
    for name, (layers, shape, year) in FAMOUS.items():
        table = layer_table(layers, shape)
        total, dense = sum(t.params for t in table), sum(t.params for t in table if t.dense)
        famous[name] = {"params": total, "dense_params": dense, "dense_share": r(dense / total),
                        "year": year}
    sizes = [28, 56, 112, 224]
    return DenseVsCnnResult(
        dataset=dataset, quick=quick, n_train=len(y), n_test=len(yt),
        dense_params=count_parameters(DENSE_NET, IMAGE),
        dense_first_layer=layer_table(DENSE_NET, IMAGE)[0].params,
        dense_model_params=dense_model.num_parameters(),
        cnn_params=sum(t.params for t in rows),
        cnn_conv_params=sum(t.params for t in rows if not t.dense),
        cnn_dense_share=r(dense_share(LENET_28, IMAGE)),
        cnn_model_params=cnn_model.num_parameters(),
        dense_epochs=dense_epochs, cnn_epochs=cnn_epochs, dense_acc=dense_acc, cnn_acc=cnn_acc,
        dense_seconds=r(dense_seconds, 2),
        cnn_seconds=r(cnn_seconds, 2),
        famous=famous, image_sizes=sizes,
        dense_first_by_size=[count_parameters((Dense(256),), (1, s, s)) for s in sizes],
        conv_first_by_size=[count_parameters((Conv(6, 5),), (1, s, s)) for s in sizes],
    )
