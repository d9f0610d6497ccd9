"""Loading the district's YAML parameters from ``params/``."""

from __future__ import annotations

from pathlib import Path

import yaml

from guozi_analysis.base import config


def read_yaml(path: Path, *, what: str = "参数文件") -> dict:
    """Read one YAML file and return its mapping; Chinese errors name ``what`` and the file."""
    try:
        data = yaml.safe_load(Path(path).read_text("utf-8"))
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"{what}不存在：{path}") from exc
    except yaml.YAMLError as exc:
        raise ValueError(f"{what} {path} 不是合法的 YAML：{exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{what} {path} 的顶层应为键值映射")
    return data


def load_yaml(name: str, *, params_dir: Path | None = None) -> dict:
    """Read ``params/<name>`` and return its mapping, with a Chinese error naming the file."""
    return read_yaml((params_dir or config.PARAMS_DIR) / name)


def district_settings(*, params_dir: Path | None = None) -> dict:
    """The district block and report block of ``params/district.yaml``."""
    return load_yaml("district.yaml", params_dir=params_dir)
