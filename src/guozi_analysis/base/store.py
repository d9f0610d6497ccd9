"""The processed store: one parquet dataset per table, written atomically.

Everything here can be rebuilt from the raw files (cookiecutter-data-science's
rule); a failed write never leaves a half-written file behind, because each
file is written beside its final name and then renamed over it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import hashlib
import os
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa


def _file_mode() -> int:
    """The mode an ordinary new file gets under the process's umask (0666 & ~umask)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new file, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, _file_mode())  # mkstemp makes 0600; a published file is readable like any other
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_table(df: pd.DataFrame, path: Path) -> Path:
    """Write ``df`` as parquet at ``path`` atomically; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        df.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_table(path: Path) -> pd.DataFrame:
    """Read a parquet table written by :func:`write_table`, naming the file if it is missing."""
    if not path.exists():
        raise FileNotFoundError(f"加工数据不存在：{path}。请先运行 `guozi run --period …` 生成共享结果。")
    return pd.read_parquet(path)


def read_shared(processed_dir: Path | str, name: str, *, what: str = "共享结果", optional: bool = False) -> pd.DataFrame:
    """One stored result of a run's shared step (``<processed_dir>/<name>.parquet``), as every chapter reads it.

    Missing: an empty frame when ``optional``, else a Chinese error naming the file.
    """
    path = Path(processed_dir) / f"{name}.parquet"
    if path.exists():
        return pd.read_parquet(path)
    if optional:
        return pd.DataFrame()
    raise FileNotFoundError(f"缺少{what} {path.name}（{path.parent}）：请先运行本期的共享计算步骤（guozi run）。")


def file_sha256(path: Path) -> str:
    """Content hash of one file (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def hash_tree(root: Path) -> dict[str, str]:
    """``{relative path: sha256}`` for every file below ``root``, sorted by path."""
    return {
        str(p.relative_to(root)): file_sha256(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim``, looked up once per process (``find_library`` runs ``ldconfig``); ``None``
    where the C library has none (musl and others) or cannot be found."""
    libc = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(libc).malloc_trim if libc else None
    except (OSError, AttributeError):
        return None


def release_memory() -> int:
    """Give the memory a finished step freed back to the system; returns the process's RSS after it (bytes).

    Freed frames stay in the allocators' pools (glibc's heap, Arrow's memory pool) and keep counting in
    the process's resident memory, so a long run's later steps (notebooks, Typst) would stack on the
    intake's and the shared step's high-water mark. Called after a step has written its tables and
    dropped them (issue 27); it changes no result. Where ``malloc_trim`` is not available (not glibc)
    only the collection and the Arrow pool release are done.
    """
    gc.collect()
    try:
        pa.default_memory_pool().release_unused()
    except (AttributeError, NotImplementedError):  # an older pyarrow, or a pool that cannot release
        pass
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0
