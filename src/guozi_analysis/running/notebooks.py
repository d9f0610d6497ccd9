"""Committed notebooks stay clean: no outputs, no execution counts in ``notebooks/``.

Two guards, both on this one stripper (:func:`strip_outputs`):

* **JupyterLab** (``make lab``, or ``jupyter lab --config=jupyter_server_config.py``): the project's
  ``jupyter_server_config.py`` sets :func:`pre_save_hook` as the contents manager's pre-save hook. Saving a
  notebook under ``notebooks/`` (autosave included) writes it without outputs; the analyst's executed copy,
  outputs and all, is saved to ``lab/`` (same relative path, not committed) — what is seen in the browser is
  kept, and the tracked file stays as committed.
* **git** (set up by ``make env`` or ``python scripts/setup.py``): a clean filter ``guozi-nbstrip`` runs
  ``python -m guozi_analysis.running.notebooks`` on every ``notebooks/**/*.ipynb`` that is added or committed
  (``.gitattributes``), so a notebook saved by another editor is committed without outputs too.

Plain ``json``: no Jupyter package is needed for either.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from guozi_analysis.base import config

__all__ = ["strip_outputs", "clean_text", "pre_save_hook", "lab_copy_path", "LAB_DIR", "GIT_FILTER"]

#: Where JupyterLab saves the analyst's executed copy of a project notebook (git-ignored).
LAB_DIR = config.PROJECT_ROOT / "lab"
#: The git clean filter's name (``.gitattributes``: ``notebooks/**/*.ipynb filter=guozi-nbstrip``).
GIT_FILTER = "guozi-nbstrip"
#: Per-cell metadata JupyterLab adds on running a cell (timings, scroll state): not part of the notebook.
_RUN_METADATA = ("execution", "collapsed", "scrolled")


def strip_outputs(nb: dict) -> dict:
    """``nb`` (a notebook as a dict, changed in place and returned) without outputs, execution counts and
    the per-cell run metadata; sources, tags (``parameters``) and notebook metadata are kept."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        metadata = cell.get("metadata")
        if isinstance(metadata, dict):
            for key in _RUN_METADATA:
                metadata.pop(key, None)
    return nb


def clean_text(text: str) -> str:
    """A notebook's JSON text without outputs, written as Jupyter writes it (indent 1, keys in their order,
    non-ASCII kept, final newline), so a clean notebook passes through unchanged."""
    nb = strip_outputs(json.loads(text))
    return json.dumps(nb, ensure_ascii=False, indent=1) + "\n"


def _project_notebook(path: Path, notebooks_dir: Path) -> Path | None:
    """``path`` relative to ``notebooks_dir`` when it is a notebook inside it, else ``None``."""
    try:
        return path.resolve().relative_to(notebooks_dir.resolve())
    except ValueError:
        return None


def lab_copy_path(relative: Path | str, lab_dir: Path | None = None) -> Path:
    """Where the executed copy of ``notebooks/<relative>`` is saved from JupyterLab."""
    return (lab_dir or LAB_DIR) / relative


def pre_save_hook(model: dict, path: str, contents_manager, *, notebooks_dir: Path | None = None,
                  lab_dir: Path | None = None, **kwargs) -> None:
    """Jupyter server's ``ContentsManager.pre_save_hook``: a notebook saved under ``notebooks/`` is stripped
    of its outputs before it is written; when it had outputs, the unstripped copy is first written to
    ``lab/<same path>`` (the analyst's folder). Other files and notebooks elsewhere are saved as they are.

    ``path`` is the API path (relative to the server's root directory, ``contents_manager.root_dir``).
    """
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    root = Path(getattr(contents_manager, "root_dir", None) or config.PROJECT_ROOT)
    relative = _project_notebook(root / path, notebooks_dir or config.NOTEBOOKS_DIR)
    if relative is None:
        return
    content = model["content"]
    has_outputs = any(c.get("outputs") or c.get("execution_count") is not None
                      for c in content.get("cells", []) if c.get("cell_type") == "code")
    if has_outputs:
        copy = lab_copy_path(relative, lab_dir)
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(json.dumps(content, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        log = getattr(contents_manager, "log", None)
        if log is not None:
            log.info("notebooks/%s 保存时已清除输出；含输出的副本另存为 %s", relative, copy)
    strip_outputs(content)


def main(argv: list[str] | None = None) -> int:
    """The git clean filter: a notebook on stdin, the same notebook without outputs on stdout.

    ``python -m guozi_analysis.running.notebooks FILE…`` strips the given files in place instead.
    """
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        data = sys.stdin.buffer.read().decode("utf-8")
        sys.stdout.buffer.write(clean_text(data).encode("utf-8") if data.strip() else data.encode("utf-8"))
        return 0
    for name in argv:
        path = Path(name)
        text = path.read_text("utf-8")
        cleaned = clean_text(text)
        if cleaned != text:
            path.write_text(cleaned, encoding="utf-8")
            print(f"已清除输出：{path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
