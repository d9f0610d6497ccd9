"""issue 28: notebooks/ stays clean whatever saves it (JupyterLab's pre-save hook, the git clean filter), and
the project sets up and runs with Python alone (scripts/setup.py, no make or bash)."""

from __future__ import annotations

import copy
import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from guozi_analysis.base import config
from guozi_analysis.running import notebooks as clean

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
NOTEBOOK = "10_district_overview.ipynb"


def _executed(nb: dict) -> dict:
    """``nb`` as JupyterLab holds it after Run All: outputs, execution counts, cell timings."""
    nb = copy.deepcopy(nb)
    for k, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
        cell["execution_count"] = k + 1
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["2022-11\n"]}]
        cell["metadata"]["execution"] = {"iopub.status.idle": "2022-12-05T06:00:00Z"}
    return nb


def _cells(nb: dict) -> list:
    """Each cell's type, source text and metadata (nbformat writes a source as a list of lines)."""
    return [(c["cell_type"], "".join(c["source"]), c["metadata"]) for c in nb["cells"]]


def _has_outputs(nb: dict) -> bool:
    return any(c.get("outputs") or c.get("execution_count") is not None for c in nb["cells"]
               if c["cell_type"] == "code")


@pytest.fixture()
def project(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(config.NOTEBOOKS_DIR, root / "notebooks")
    return root


def test_saving_from_jupyterlab_keeps_outputs_out_of_notebooks(project):
    """What JupyterLab does on save (FileContentsManager.save: run the pre-save hook on the model, then write
    its content): the tracked notebook is written without outputs, the executed copy goes to lab/."""
    tracked = project / "notebooks" / NOTEBOOK
    committed = tracked.read_text("utf-8")
    model = {"type": "notebook", "format": "json", "content": _executed(json.loads(committed))}
    assert _has_outputs(model["content"])
    manager = SimpleNamespace(root_dir=str(project), log=logging.getLogger("test"))
    clean.pre_save_hook(model=model, path=f"notebooks/{NOTEBOOK}", contents_manager=manager,
                        notebooks_dir=project / "notebooks", lab_dir=project / "lab")
    nbformat.write(nbformat.from_dict(model["content"]), tracked)  # the contents manager's write
    saved = json.loads(tracked.read_text("utf-8"))
    assert not _has_outputs(saved)
    assert not any("execution" in c["metadata"] for c in saved["cells"])
    assert _cells(saved) == _cells(json.loads(committed))  # the sources and the parameters tag as committed
    copy_ = json.loads((project / "lab" / NOTEBOOK).read_text("utf-8"))
    assert _has_outputs(copy_) and copy_["cells"][1]["outputs"][0]["text"] == ["2022-11\n"]


def test_the_hook_leaves_other_files_and_folders_alone(project):
    manager = SimpleNamespace(root_dir=str(project), log=None)
    nb = _executed(json.loads((project / "notebooks" / NOTEBOOK).read_text("utf-8")))
    elsewhere = {"type": "notebook", "content": copy.deepcopy(nb)}
    clean.pre_save_hook(model=elsewhere, path=f"lab/{NOTEBOOK}", contents_manager=manager,
                        notebooks_dir=project / "notebooks", lab_dir=project / "lab")
    assert elsewhere["content"] == nb  # an analyst's own copy keeps its outputs
    text = {"type": "file", "format": "text", "content": "x"}
    clean.pre_save_hook(model=text, path="notebooks/readme.txt", contents_manager=manager,
                        notebooks_dir=project / "notebooks", lab_dir=project / "lab")
    assert text["content"] == "x" and not (project / "lab").exists()


def test_the_project_config_installs_the_hook():
    ns = {"get_config": lambda: SimpleNamespace(ContentsManager=SimpleNamespace())}
    exec((ROOT / "jupyter_server_config.py").read_text("utf-8"), ns)
    hook = ns["c"].ContentsManager.pre_save_hook
    module, name = hook.rsplit(".", 1)
    assert getattr(importlib.import_module(module), name) is clean.pre_save_hook


def test_a_real_contents_manager_saves_without_outputs(project, monkeypatch):
    """JupyterLab's save path itself: the project's jupyter_server_config.py loaded as ``jupyter lab --config``
    loads it (traitlets' PyFileConfigLoader), the server's FileContentsManager configured from it (the hook is
    the dotted name in the file, imported by the manager), then ``save`` — what autosave and Ctrl-S call.
    jupyter_server is in the test extra (a light wheel; JupyterLab itself is only in the lab extra)."""
    from jupyter_server.services.contents.filemanager import FileContentsManager
    from traitlets.config.loader import PyFileConfigLoader

    monkeypatch.setattr(config, "NOTEBOOKS_DIR", project / "notebooks")  # the scratch project's folders
    monkeypatch.setattr(clean, "LAB_DIR", project / "lab")
    settings = PyFileConfigLoader("jupyter_server_config.py", path=str(ROOT)).load_config()
    manager = FileContentsManager(root_dir=str(project), config=settings)
    assert manager.pre_save_hook is clean.pre_save_hook  # imported from the config's dotted name
    tracked = project / "notebooks" / NOTEBOOK
    committed = json.loads(tracked.read_text("utf-8"))
    model = manager.get(f"notebooks/{NOTEBOOK}")
    model["content"] = nbformat.from_dict(_executed(model["content"]))
    manager.save(model, f"notebooks/{NOTEBOOK}")
    saved = json.loads(tracked.read_text("utf-8"))
    assert not _has_outputs(saved) and _cells(saved) == _cells(committed)
    assert _has_outputs(json.loads((project / "lab" / NOTEBOOK).read_text("utf-8")))
    other = manager.get(f"notebooks/{NOTEBOOK}")  # a notebook outside notebooks/ keeps what it shows
    other["content"] = nbformat.from_dict(_executed(other["content"]))
    manager.save(other, "scratch.ipynb")
    assert _has_outputs(json.loads((project / "scratch.ipynb").read_text("utf-8")))


def test_committed_notebooks_pass_the_filter_unchanged():
    for path in sorted(config.NOTEBOOKS_DIR.rglob("*.ipynb")):
        text = path.read_text("utf-8")
        assert clean.clean_text(text) == text, path.name


def test_git_commits_a_notebook_without_outputs(tmp_path):
    """The clean filter as ``make env`` / ``scripts/setup.py`` configures it, in a scratch repository."""
    if shutil.which("git") is None:
        pytest.skip("git 不可用")
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / ".gitattributes", repo / ".gitattributes")
    executed = _executed(json.loads((config.NOTEBOOKS_DIR / NOTEBOOK).read_text("utf-8")))
    (repo / "notebooks" / NOTEBOOK).write_text(json.dumps(executed, ensure_ascii=False, indent=1), "utf-8")
    env = {**os.environ, "PYTHONPATH": str(SRC), "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path)}

    def git(*args):
        return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout

    git("init", "-q")
    git("config", f"filter.{clean.GIT_FILTER}.clean", f'"{sys.executable}" -m guozi_analysis.running.notebooks')
    git("add", ".")
    staged = json.loads(git("show", f":notebooks/{NOTEBOOK}"))
    assert not _has_outputs(staged)
    assert staged["cells"] == json.loads((config.NOTEBOOKS_DIR / NOTEBOOK).read_text("utf-8"))["cells"]
    assert _has_outputs(json.loads((repo / "notebooks" / NOTEBOOK).read_text("utf-8")))  # the working copy keeps them


# ------------------------------------------------------------------------------------------------
# scripts/setup.py: Python only
# ------------------------------------------------------------------------------------------------
def _setup():
    spec = importlib.util.spec_from_file_location("guozi_setup", ROOT / "scripts" / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_setup_builds_the_make_env_commands_for_windows_and_linux(tmp_path):
    setup = _setup()
    win = setup.env_commands(tmp_path / ".venv", python="py", windows=True)
    assert win[0] == ["py", "-m", "venv", str(tmp_path / ".venv")]
    py = str(tmp_path / ".venv" / "Scripts/python.exe")
    assert win[1:4] == [[py, "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
                        [py, "-m", "pip", "install", "--quiet", "-e", ".[test]"],
                        [py, "-m", "ipykernel", "install", "--sys-prefix", "--name", "guozi-analysis",
                         "--display-name", "Python (guozi-analysis)"]]
    assert win[4][:3] == ["git", "config", "filter.guozi-nbstrip.clean"]
    assert win[4][3].endswith("Scripts/python.exe -m guozi_analysis.running.notebooks")
    assert setup.GIT_FILTER == clean.GIT_FILTER
    linux = setup.env_commands(tmp_path / ".venv", python="python3.11", windows=False, lab=True, git=False)
    assert linux[2] == [str(tmp_path / ".venv" / "bin/python"), "-m", "pip", "install", "--quiet", "-e", ".[test,lab]"]
    assert not any(c[0] == "git" for c in linux)


def test_setup_report_and_lab_commands(tmp_path):
    setup = _setup()
    py = str(tmp_path / "v" / "bin/python")
    assert setup.report_commands(tmp_path / "v", period="2022-10", review=False, windows=False) == [
        [py, "-m", "guozi_analysis.running.cli", "report", "--period", "2022-10", "--jobs", "2"]]
    as_root = setup.lab_commands(tmp_path / "v", root=True, windows=False)
    assert as_root[0] == [py, "-m", "guozi_analysis.running.cli", "run", "--period", "2022-11", "--jobs", "2"]
    lab = as_root[1]
    assert lab[:3] == [py, "-m", "jupyterlab"] and "--allow-root" in lab and lab[-1] == "notebooks/"
    assert f"--config={ROOT / 'jupyter_server_config.py'}" in lab
    assert "--allow-root" not in setup.lab_commands(tmp_path / "v", root=False, windows=False)[1]
    assert "root" in setup.ROOT_NOTE and "--allow-root" in setup.ROOT_NOTE


def test_setup_dry_run_prints_the_commands_and_runs_nothing(tmp_path):
    venv = tmp_path / "venv"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "setup.py"), "report", "--venv", str(venv),
                           "--period", "2022-10", "--no-review", "--dry-run"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].endswith("-m guozi_analysis.running.cli report --period 2022-10 --jobs 2")
    assert not venv.exists()
