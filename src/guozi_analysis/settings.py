"""Loading the district's YAML parameters from ``params/``."""

from __future__ import annotations

from pathlib import Path

import yaml

from . import config


def load_yaml(name: str, *, params_dir: Path | None = None) -> dict:
    """Read ``params/<name>`` and return its mapping, with a Chinese error naming the file."""
    path = (params_dir or config.PARAMS_DIR) / name
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"参数文件不存在：{path}") from exc
    except yaml.YAMLError as exc:
        raise ValueError(f"参数文件 {path} 不是合法的 YAML：{exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"参数文件 {path} 的顶层应为键值映射")
    return data


def district_settings(*, params_dir: Path | None = None) -> dict:
    """The district block and report block of ``params/district.yaml``."""
    return load_yaml("district.yaml", params_dir=params_dir)
