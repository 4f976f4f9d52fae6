"""Data: datasets, the DataLoader, IDX files, verified downloads and ready-made data sets.

``from neuralab.data import DataLoader, TensorDataset, fashion_mnist, digits``. Importing this
package needs only NumPy and the standard library; scikit-learn loads inside ``digits()``.
"""

from .dataset import Dataset, TensorDataset, random_split, train_val_split
from .digits import digits
from .download import ChecksumError, DownloadError, download, verify_file
from .idx import IDXError, read_idx, write_idx
from .labels import one_hot
from .loader import DataLoader
from .mnist import (
    FASHION_MNIST,
    MNIST,
    DatasetFile,
    DatasetNotFoundError,
    DatasetSpec,
    data_root,
    fashion_mnist,
    load_idx_dataset,
    mnist,
)
from .tabular import MAX_CLASSES, TableNotFoundError, load_table

__all__ = [
    "FASHION_MNIST", "MAX_CLASSES", "MNIST", "ChecksumError", "DataLoader", "Dataset",
    "DatasetFile", "DatasetNotFoundError", "DatasetSpec", "DownloadError", "IDXError",
    "TableNotFoundError", "TensorDataset",
    "data_root", "digits", "download", "fashion_mnist", "load_idx_dataset", "load_table",
    "mnist", "one_hot", "random_split", "read_idx", "train_val_split", "verify_file",
    "write_idx",
]
