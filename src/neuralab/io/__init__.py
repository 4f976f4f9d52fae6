"""Model files and tensor files (safetensors + JSON architecture).

``save(model, path)`` / ``load(path)`` write and read whole models; ``save_tensors`` /
``load_tensors`` and ``atomic_write_bytes`` are the building blocks checkpoints reuse. The
``safetensors`` package is imported only when a file is written; reading is our own, bounded
by the file's real size.
"""

from .files import (
    ModelFileError,
    atomic_write_bytes,
    load_tensors,
    read_tensor_metadata,
    save_tensors,
)
from .model_file import (
    ModuleConfig,
    load,
    read_metadata,
    register_module,
    registered_modules,
    save,
)

__all__ = [
    "ModelFileError", "ModuleConfig", "atomic_write_bytes", "load", "load_tensors",
    "read_metadata", "read_tensor_metadata", "register_module", "registered_modules", "save",
    "save_tensors",
]
