"""The seed notes' claims S1–S23 (shared/SEED-CLAIMS.md), in English and Korean."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Claim:
    id: str
    title_en: str
    text_en: str
    title_ko: str
    text_ko: str
    note: str = "000"  # which seed note it comes from: "000" or "002"

    def title(self, lang: str = "en") -> str:
        return self.title_ko if lang == "ko" else self.title_en

    def text(self, lang: str = "en") -> str:
        return self.text_ko if lang == "ko" else self.text_en


_CLAIMS = [
    Claim("S1", "Perceptron",
          "A perceptron adds its weighted inputs; with bias b = −θ it outputs 0 when "
          "x1·w1 + x2·w2 + … + b ≤ 0, else 1.",
          "퍼셉트론",
          "퍼셉트론은 가중치를 곱한 입력을 모두 더하고, 편향 b = −θ로 쓰면 "
          "x1·w1 + x2·w2 + … + b ≤ 0 일 때 0, 아니면 1을 출력한다."),
    Claim("S2", "Chaining perceptrons",
          "A perceptron receiving 0/1 signals weights them, adds its bias and fires when the total "
          "is above 0: networks are perceptrons feeding perceptrons.",
          "퍼셉트론의 연결",
          "0/1 신호를 받은 퍼셉트론은 각자의 가중치를 곱하고 편향을 더해 0보다 크면 활성화된다. "
          "신경망은 퍼셉트론이 퍼셉트론에 신호를 보내는 구조다."),
    Claim("S3", "Step and sigmoid",
          "Step: 0 below 0, 1 above. Sigmoid σ(x) = 1/(1+e^−x): a smooth curve between 0 and 1.",
          "계단 함수와 시그모이드",
          "계단 함수는 0보다 작으면 0, 크면 1. 시그모이드 σ(x) = 1/(1+e^−x)는 0과 1 사이의 "
          "부드러운 곡선이다."),
    Claim("S4", "Saturation",
          "Sigmoid's slope shrinks as |x| grows; this is why ReLU, max(0, x), is used.",
          "포화",
          "시그모이드의 기울기는 |x|가 커질수록 줄어든다. 그래서 ReLU, max(0, x)를 쓴다."),
    Claim("S5", "Why smooth",
          "Sigmoid is differentiable, so a layer passes on graded values instead of 0/1 and "
          "information (and gradient) keeps flowing; it never cuts a signal to exactly 0.",
          "부드러운 함수를 쓰는 이유",
          "시그모이드는 미분 가능해서 0/1 대신 연속적인 값을 전달하므로 정보(와 기울기)가 계속 "
          "흐른다. 신호를 정확히 0으로 끊지 않는다."),
    Claim("S6", "ReLU and Leaky ReLU",
          "ReLU stops learning for inputs below 0 and keeps learning above, which can cause "
          "'dead neurons'; Leaky ReLU keeps a small slope (typically 0.01) below 0 so the gradient "
          "never vanishes completely.",
          "ReLU와 Leaky ReLU",
          "ReLU는 0 아래 입력에서는 학습을 멈추고 위에서는 계속 학습한다. 이 때문에 '죽은 뉴런'이 "
          "생길 수 있고, Leaky ReLU는 0 아래에 작은 기울기(보통 0.01)를 남겨 기울기가 완전히 "
          "사라지지 않게 한다."),
    Claim("S7", "Leaky ReLU Q&A",
          "Leaky ReLU passes a little 'negative information', weakening ReLU's sparse activation, "
          "but mitigates dead neurons; which activation is best depends on the problem. The note "
          "says a negative input gives a small positive output.",
          "Leaky ReLU 질의응답",
          "Leaky ReLU는 약간의 '부정적인 정보'를 전달해 ReLU의 희소 활성화를 약화시키지만 죽은 "
          "뉴런 문제를 완화한다. 어떤 활성화 함수가 좋은지는 문제에 따라 다르다. 노트는 음수 입력에 "
          "작은 양수 출력이 나온다고 말한다."),
    Claim("S8", "Layers are matrices",
          "A layer is a matrix: input @ W1 + b1 gives every node of layer 1 at once; h1 @ W2 + b2 "
          "gives layer 2. Training means editing the numbers in these matrices.",
          "층은 행렬이다",
          "층은 행렬이다. 입력 @ W1 + b1 로 1층의 모든 노드 값이 한 번에 나오고, h1 @ W2 + b2 로 "
          "2층 값이 나온다. 학습은 이 행렬들의 숫자를 고치는 일이다."),
    Claim("S9", "Loss and batches",
          "A loss function says how large the error of the forward pass is; with mini-batches the "
          "errors of the batch are averaged, which makes learning more efficient.",
          "손실함수와 배치",
          "손실함수는 순전파 결과의 오차가 얼마나 큰지 알려준다. 미니배치에서는 배치 오차의 "
          "평균을 내어 더 효율적으로 학습한다."),
    Claim("S10", "MSE and CEE",
          "MSE: the mean of squared errors over output nodes. CEE: uses the log of the predicted "
          "probability of the right answer.",
          "MSE와 CEE",
          "MSE는 출력 노드 오차 제곱의 평균이고, CEE(교차 엔트로피 오차)는 정답 확률의 로그를 "
          "이용한다."),
    Claim("S11", "Mean, not max",
          "Averaging the errors measures the whole data set and weighs every example equally; the "
          "largest error reflects one case and is dominated by outliers.",
          "최댓값이 아니라 평균",
          "오차의 평균은 전체 데이터를 평가하고 모든 예제를 똑같이 반영한다. 가장 큰 오차만 보면 "
          "한 사례만 반영하고 이상치에 좌우된다."),
    Claim("S12", "An analogy",
          "neuron > brain > intelligence corresponds to perceptron > neural network > AI.",
          "비유", "뉴런 > 뇌 > 지능 은 퍼셉트론 > 인공신경망 > 인공지능 에 대응한다.", "002"),
    Claim("S13", "A line",
          "A perceptron's job is to find the best straight line that splits the data; a threshold "
          "(weights and bias) and an activation decide what passes. The first perceptrons used the "
          "step function.",
          "직선",
          "퍼셉트론의 목적은 데이터를 나누는 가장 좋은 직선을 찾는 것이다. 가중치와 편향으로 만든 "
          "역치와 활성함수가 무엇을 통과시킬지 정한다. 최초의 퍼셉트론은 계단 함수를 썼다.", "002"),
    Claim("S14", "First limit: XOR",
          "No single line separates XOR; a single perceptron cannot learn it.",
          "첫 번째 한계: XOR", "XOR은 직선 하나로 나눌 수 없어 퍼셉트론 하나로는 학습할 수 없다.",
          "002"),
    Claim("S15", "Hidden layers",
          "Stacking perceptrons with a hidden layer solves XOR: the hidden layer moves the points "
          "into a space where a line works.",
          "은닉층",
          "은닉층을 둔 다층 퍼셉트론은 XOR을 해결한다. 은닉층이 점들을 직선으로 나눌 수 있는 "
          "공간으로 옮긴다.", "002"),
    Claim("S16", "Backpropagation",
          "The error is sent backwards, opposite to the data flow, and every weight is updated from "
          "its derivative, obtained with the chain rule.",
          "역전파",
          "오차를 데이터가 흐르는 반대 방향으로 전파하며, 연쇄 법칙으로 구한 미분으로 모든 가중치를 "
          "갱신한다.", "002"),
    Claim("S17", "Second limit: vanishing gradients",
          "With sigmoid each layer multiplies the gradient by σ'(x) ≤ 0.25; the deeper the net, the "
          "closer the early layers' gradient gets to 0 and they stop learning.",
          "두 번째 한계: 기울기 소실",
          "시그모이드를 쓰면 층마다 기울기에 σ'(x) ≤ 0.25 가 곱해진다. 신경망이 깊을수록 앞쪽 층의 "
          "기울기가 0에 가까워져 학습이 멈춘다.", "002"),
    Claim("S18", "ReLU",
          "Replacing sigmoid with ReLU (derivative 1 for positive inputs) fixes it and is the most "
          "used activation today; its weakness is that inputs ≤ 0 pass no gradient.",
          "ReLU",
          "시그모이드를 ReLU(양수 입력에서 미분 1)로 바꾸면 해결되며 오늘날 가장 많이 쓰인다. "
          "약점은 0 이하 입력에서 기울기가 전달되지 않는 것이다.", "002"),
    Claim("S19", "Modern models",
          "The architectures that followed: the CNN line (LeNet, AlexNet, VGG, GoogLeNet, ResNet).",
          "현대 모델", "이후 등장한 구조: CNN 계열(LeNet, AlexNet, VGG, GoogLeNet, ResNet).", "002"),
    Claim("S20", "Fully connected layers",
          "Dense layers need very many weights and try to learn relations between all inputs; "
          "modern models use them mostly as the output stage, not as hidden layers.",
          "완전 연결 층",
          "완전 연결 층은 가중치가 너무 많이 필요하고 입력 사이의 모든 관계를 학습하려 한다. 현대 "
          "모델은 은닉층보다 주로 출력층으로 쓴다.", "002"),
    Claim("S21", "MNIST and sparse labels",
          "MNIST labels are one-hot: one 1, the rest 0.",
          "MNIST와 희소 레이블", "MNIST 레이블은 원-핫이다: 하나만 1이고 나머지는 0.", "002"),
    Claim("S22", "Softmax",
          "Softmax is the output activation for multi-class classification; the note says it does "
          "not fit 'when there are many classes' and a sigmoid is used instead.",
          "소프트맥스",
          "소프트맥스는 다중 클래스 분류의 출력 활성함수다. 노트는 '분류할 클래스가 여러 개일 때' "
          "적합하지 않아 시그모이드를 쓴다고 말한다.", "002"),
    Claim("S23", "CrossEntropyLoss",
          "PyTorch's nn.CrossEntropyLoss applies (log-)softmax itself and takes raw scores; not every "
          "cross-entropy function does — the textbook CEE takes probabilities.",
          "CrossEntropyLoss",
          "PyTorch의 nn.CrossEntropyLoss는 softmax를 포함하고 있어 원시 점수(logit)를 받는다. 모든 "
          "교차 엔트로피 함수가 그렇지는 않다 — 교과서의 CEE는 확률을 받는다.", "002"),
]

CLAIMS: dict[str, Claim] = {claim.id: claim for claim in _CLAIMS}
