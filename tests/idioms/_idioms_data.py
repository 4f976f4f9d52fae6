"""Snippets from "Datasets & DataLoaders", "Transforms" and the quickstart: TensorDataset,
DataLoader batches (no shuffle, so both libraries see the same order), a custom Dataset
subclass, default collation, random_split and Subset.
"""

from __future__ import annotations

import numpy as np
from _idioms_harness import idiom

RNG = np.random.default_rng(5)
IMAGES = np.round(RNG.uniform(size=(10, 1, 3, 3)), 3).astype(np.float32)
LABELS = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3])


@idiom()
def tensor_dataset_basics(torch):
    data = torch.utils.data
    ds = data.TensorDataset(torch.tensor(IMAGES), torch.tensor(LABELS))
    image, label = ds[2]
    return {"len": len(ds), "image": image, "label": label, "label_dtype": label.dtype,
            "is_tuple": isinstance(ds[0], tuple), "n_tensors": len(ds.tensors),
            "is_dataset": isinstance(ds, data.Dataset)}


@idiom()
def dataloader_batches_in_order(torch):
    data = torch.utils.data
    ds = data.TensorDataset(torch.tensor(IMAGES), torch.tensor(LABELS))
    dataloader = data.DataLoader(ds, batch_size=4)
    shapes = [(tuple(X.shape), tuple(y.shape)) for X, y in dataloader]
    X, y = next(iter(dataloader))
    return {"shapes": shapes, "len": len(dataloader), "X": X, "y": y, "X_dtype": X.dtype,
            "y_dtype": y.dtype, "dataset_len": len(dataloader.dataset),
            "batch_size": dataloader.batch_size, "last": list(dataloader)[-1][1]}


@idiom()
def dataloader_drop_last(torch):
    data = torch.utils.data
    ds = data.TensorDataset(torch.tensor(IMAGES), torch.tensor(LABELS))
    loader = data.DataLoader(ds, batch_size=4, shuffle=False, drop_last=True)
    return {"len": len(loader), "sizes": [len(X) for X, _ in loader]}


@idiom()
def quickstart_batch_shapes(torch):
    data = torch.utils.data
    test_dataloader = data.DataLoader(
        data.TensorDataset(torch.tensor(IMAGES), torch.tensor(LABELS)), batch_size=6)
    out = {}
    for X, y in test_dataloader:
        out["X"] = X.shape  # [N, C, H, W]
        out["y"] = (y.shape, y.dtype)
        break
    return out


def _custom_dataset(torch):
    class CustomImageDataset(torch.utils.data.Dataset):
        def __init__(self, images, labels, transform=None, target_transform=None):
            self.images = images
            self.labels = labels
            self.transform = transform
            self.target_transform = target_transform

        def __len__(self):
            return len(self.labels)

        def __getitem__(self, idx):
            image = torch.tensor(self.images[idx])
            label = int(self.labels[idx])
            if self.transform:
                image = self.transform(image)
            if self.target_transform:
                label = self.target_transform(label)
            return image, label

    return CustomImageDataset


@idiom()
def custom_dataset_collates_ints(torch):
    CustomImageDataset = _custom_dataset(torch)
    ds = CustomImageDataset(IMAGES, LABELS)
    loader = torch.utils.data.DataLoader(ds, batch_size=3)
    images, labels = next(iter(loader))
    first_image, first_label = ds[0]
    return {"len": len(ds), "label_type": type(first_label).__name__, "first": first_image,
            "images": images, "labels": labels, "labels_dtype": labels.dtype,
            "n_batches": len(loader), "last_size": [len(b[1]) for b in loader][-1]}


@idiom()
def custom_dataset_with_transforms(torch):
    CustomImageDataset = _custom_dataset(torch)

    def one_hot(y):
        return torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(y), value=1)

    ds = CustomImageDataset(IMAGES, LABELS, transform=lambda img: img.flatten() * 2,
                            target_transform=one_hot)
    loader = torch.utils.data.DataLoader(ds, batch_size=4)
    x, y = next(iter(loader))
    return {"x": x, "y": y, "sample_y": ds[5][1]}


@idiom()
def default_collate_of_python_and_numpy(torch):
    class Pairs(torch.utils.data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.full(2, i, dtype=np.float32), float(i) / 2, i

    class Dicts(torch.utils.data.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return {"image": torch.full((2,), float(i)), "landmarks": i}

    arrays, halves, ints = next(iter(torch.utils.data.DataLoader(Pairs(), batch_size=5)))
    batch = next(iter(torch.utils.data.DataLoader(Dicts(), batch_size=4)))
    return {"arrays": arrays, "halves": halves, "ints": ints, "keys": sorted(batch),
            "image": batch["image"], "landmarks": batch["landmarks"]}


@idiom()
def random_split_sizes(torch):
    data = torch.utils.data
    ds = data.TensorDataset(torch.tensor(IMAGES), torch.tensor(LABELS))
    train, test = data.random_split(ds, [8, 2])
    a, b = data.random_split(ds, [0.7, 0.3])
    seen = sorted(int(train[i][1]) for i in range(len(train))) + \
        sorted(int(test[i][1]) for i in range(len(test)))
    return {"sizes": [len(train), len(test)], "fractions": [len(a), len(b)],
            "covers": sorted(list(train.indices) + list(test.indices)) == list(range(10)),
            "labels": sorted(seen), "item": type(train[0]).__name__,
            "error": _split_error(data, ds)}


def _split_error(data, ds):
    try:
        data.random_split(ds, [5, 3])
    except ValueError:
        return "ValueError"
    return None


@idiom()
def subset_and_shuffle(torch):
    data = torch.utils.data
    ds = data.TensorDataset(torch.tensor(IMAGES), torch.tensor(LABELS))
    sub = data.Subset(ds, [0, 2, 4])
    torch.manual_seed(0)
    loader = data.DataLoader(ds, batch_size=3, shuffle=True)
    labels = torch.cat([y for _, y in loader])
    return {"sub_len": len(sub), "sub_label": sub[1][1], "shuffled_sorted":
            labels.sort().values, "n": len(loader)}
