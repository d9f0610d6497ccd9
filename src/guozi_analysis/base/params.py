"""Loading the district's YAML parameters from ``params/``."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from guozi_analysis.base import config

#: The C parser when PyYAML was built with libyaml (about ten times faster), else the Python one.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: Parsed files by (path, modification time, size): a profile batch reads the same few files per enterprise.
_CACHE: dict[tuple[str, int, int], dict] = {}


def read_yaml(path: Path, *, what: str = "参数文件") -> dict:
    """Read one YAML file and return its mapping; Chinese errors name ``what`` and the file.

    A file unchanged since it was last read (same modification time and size) is not parsed again;
    the caller gets its own copy, so changing it changes nothing for the next caller.
    """
    try:
        stat = Path(path).stat()
        key = (str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size)
        if key in _CACHE:
            return copy.deepcopy(_CACHE[key])
        data = yaml.load(Path(path).read_text("utf-8"), Loader=_LOADER)  # noqa: S506 - a safe loader
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"{what}不存在：{path}") from exc
    except yaml.YAMLError as exc:
        raise ValueError(f"{what} {path} 不是合法的 YAML：{exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{what} {path} 的顶层应为键值映射")
    _CACHE[key] = data
    return copy.deepcopy(data)


def load_yaml(name: str, *, params_dir: Path | None = None) -> dict:
    """Read ``params/<name>`` and return its mapping, with a Chinese error naming the file."""
    return read_yaml((params_dir or config.PARAMS_DIR) / name)


def district_settings(*, params_dir: Path | None = None) -> dict:
    """The district block and report block of ``params/district.yaml``."""
    return load_yaml("district.yaml", params_dir=params_dir)
