"""What the suite needs from the machine: system packages and root-only set-ups.

A test that needs something the machine lacks is skipped with the reason on a developer's
machine, but *fails* under ``CI=true``: ``.ci/run`` installs every system package the tests
need, so in CI a missing one means the install broke, and a skip would hide it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI") == "true"
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def unavailable(reason: str) -> None:
    """Skip the running test for ``reason`` — or fail it under CI=true."""
    if IN_CI:
        pytest.fail(f"{reason}; under CI=true this test must run, not skip", pytrace=False)
    pytest.skip(reason)


def needs(available: bool, reason: str) -> pytest.MarkDecorator:
    """Mark a test (or, as ``pytestmark``, a module) that runs only when ``available``.

    The check happens at set-up time (``conftest.pytest_runtest_setup``), through
    ``unavailable``: a skip on a developer's machine, a failure in CI."""
    return pytest.mark.needs_system(available=available, reason=reason)


fashion_mnist_installed = needs(
    (FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz").exists(),
    "Debian's dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)")
MPIRUN = shutil.which("mpirun")
mpi_installed = needs(
    MPIRUN is not None and importlib.util.find_spec("mpi4py") is not None,
    "mpirun (Debian's openmpi-bin) and mpi4py (pip install 'neuralab[dist]') are needed")
chromium_installed = needs(
    CHROMIUM is not None, "Debian's chromium is not installed (apt-get install chromium)")


@contextmanager
def mounted_tmpfs(directory: Path, size: str = "64k", read_only: bool = False) -> Iterator[Path]:
    """A fresh tmpfs of ``size`` mounted on ``directory`` (created), unmounted afterwards: a
    real 'No space left on device' or 'Read-only file system' (chmod is no bar to root).

    Mounting needs root: without it the test is ``unavailable`` (skipped; failed in CI)."""
    if os.geteuid() != 0:
        unavailable("a small tmpfs (disk-full and read-only tests) needs root to mount")
    directory.mkdir(parents=True)
    options = f"size={size}" + (",ro" if read_only else "")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(directory)],
                          capture_output=True, text=True)
    if done.returncode:
        unavailable(f"cannot mount a tmpfs here ({done.stderr.strip()})")
    try:
        yield directory
    finally:
        subprocess.run(["umount", str(directory)], check=False)


@contextmanager
def file_permissions_apply() -> Iterator[None]:
    """Make file permissions bind, as for an ordinary user: root ignores them, so as root the
    block runs with the effective user ``nobody`` (and root again afterwards)."""
    if os.name != "posix":
        unavailable("POSIX file permissions")
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)  # nobody
    try:
        yield
    finally:
        os.seteuid(0)
