"""Op-table rows of the convolution area: grouped / depthwise / padded conv2d, conv1d and
conv_transpose2d, each against torch and finite differences (small shapes)."""

from __future__ import annotations

import torch.nn.functional as TF
from _case_kit import case, normal

from neuralab.nn import functional as F

CASES = [
    case("conv2d_groups", "conv2d", lambda x, w, b: F.conv2d(x, w, b, 1, 1, 1, 2),
         lambda x, w, b: TF.conv2d(x, w, b, 1, 1, 1, 2),
         normal(2, 4, 5, 6), normal(6, 2, 3, 3), normal(6)),
    case("conv2d_depthwise", "conv2d", lambda x, w, b: F.conv2d(x, w, b, 2, 1, (1, 2), 3),
         lambda x, w, b: TF.conv2d(x, w, b, 2, 1, (1, 2), 3),
         normal(2, 3, 6, 7), normal(6, 1, 3, 2), normal(6)),
    case("conv2d_depthwise_same", "conv2d", lambda x, w: F.conv2d(x, w, None, 1, "same", (1, 2), 4),
         lambda x, w: TF.conv2d(x, w, None, 1, "same", (1, 2), 4),
         normal(2, 4, 5, 6), normal(8, 1, 3, 3)),
    case("conv1d", "conv1d", lambda x, w, b: F.conv1d(x, w, b, 2, 1, 2),
         lambda x, w, b: TF.conv1d(x, w, b, 2, 1, 2), normal(2, 3, 9), normal(4, 3, 3), normal(4)),
    case("conv1d_groups_same", "conv1d", lambda x, w: F.conv1d(x, w, None, 1, "same", 2, 2),
         lambda x, w: TF.conv1d(x, w, None, 1, "same", 2, 2), normal(4, 7), normal(4, 2, 3)),
    case("conv_transpose2d", "conv_transpose2d",
         lambda x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1),
         lambda x, w, b: TF.conv_transpose2d(x, w, b, 2, 1, 1),
         normal(2, 3, 4, 5), normal(3, 2, 3, 3), normal(2)),
    case("conv_transpose2d_groups_dilation", "conv_transpose2d",
         lambda x, w, b: F.conv_transpose2d(x, w, b, (2, 1), (1, 0), (1, 0), 2, (1, 2)),
         lambda x, w, b: TF.conv_transpose2d(x, w, b, (2, 1), (1, 0), (1, 0), 2, (1, 2)),
         normal(2, 4, 3, 4), normal(4, 3, 2, 3), normal(6)),
]

CASES += [
    case("unfold", "unfold", lambda x: F.unfold(x, (2, 3), (1, 2), 1, (2, 1)),
         lambda x: TF.unfold(x, (2, 3), (1, 2), 1, (2, 1)), normal(2, 3, 6, 7)),
    case("unfold_unbatched", "unfold", lambda x: F.unfold(x, 2, stride=2),
         lambda x: TF.unfold(x, 2, stride=2), normal(2, 4, 5)),
    case("fold", "fold", lambda x: F.fold(x, (5, 6), (2, 3), (1, 2), 1, (2, 1)),
         lambda x: TF.fold(x, (5, 6), (2, 3), (1, 2), 1, (2, 1)), normal(2, 12, 12)),
    case("fold_overlapping_unbatched", "fold", lambda x: F.fold(x, 4, 2),
         lambda x: TF.fold(x, 4, 2), normal(8, 9)),
]
