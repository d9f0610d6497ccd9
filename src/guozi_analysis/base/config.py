"""Every path the project uses, in one place.

Nothing is computed at import time beyond joining paths. The project root is
found from the environment variable ``GUOZI_ROOT`` when set (so an installed
package can point at a district's working folder), otherwise from the source
checkout this module lives in.
"""

from __future__ import annotations

import os
from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parents[3]


def project_root() -> Path:
    """The folder holding ``params/``, ``data/``, ``notebooks/`` and ``reports/``."""
    env = os.environ.get("GUOZI_ROOT")
    return Path(env).resolve() if env else _SOURCE_ROOT


PROJECT_ROOT = project_root()
PARAMS_DIR = PROJECT_ROOT / "params"
DATA_DIR = PROJECT_ROOT / "data"
DEMO_DIR = DATA_DIR / "demo"
RAW_DIR = DATA_DIR / "raw"
PROCESSED_DIR = DATA_DIR / "processed"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
REPORTS_DIR = PROJECT_ROOT / "reports"
#: What readers get, one folder per publication and period (``running.runner.publication_place``).
BUILD_DIR = REPORTS_DIR / "_build"
DOCS_DIR = PROJECT_ROOT / "docs"

#: Name of the Jupyter kernel that ``make`` registers for the project's venv.
KERNEL_NAME = "guozi-analysis"


def shared_dir(period: str) -> Path:
    """Where the last good run of ``period`` leaves its shared results for JupyterLab sessions."""
    return PROCESSED_DIR / "shared" / period
