"""Set up and run guozi-analysis with Python alone: no GNU make, no bash (a Windows desk, a 信创 machine).

    python scripts/setup.py                 # = make env：建 .venv、安装本项目、注册内核、设置提交时清除笔记本输出
    python scripts/setup.py report          # = make report（--period 2022-11 --jobs 2，年度工作总结）
    python scripts/setup.py lab             # = make lab：JupyterLab（保存时清除 notebooks/ 的输出）
    python scripts/setup.py env --dry-run   # 只列出将执行的命令，不执行

Only the standard library is used (this runs before anything is installed). Every step is an argument
list run without a shell, so the same commands work on Windows (``.venv\\Scripts\\python.exe``) and on Linux.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KERNEL = "guozi-analysis"
KERNEL_DISPLAY = "Python (guozi-analysis)"
GIT_FILTER = "guozi-nbstrip"  # guozi_analysis.running.notebooks.GIT_FILTER
#: JupyterLab settings for an offline office: no news feed, no update check, so no prompt about either
#: (keys from schemas/@jupyterlab/apputils-extension/notification.json, JupyterLab 4).
LAB_OVERRIDES = {"@jupyterlab/apputils-extension:notification": {"checkForUpdates": False, "fetchNews": "false"}}


def venv_python(venv: Path, *, windows: bool | None = None) -> Path:
    """The virtual environment's interpreter: ``Scripts\\python.exe`` on Windows, ``bin/python`` elsewhere."""
    windows = os.name == "nt" if windows is None else windows
    return venv / ("Scripts/python.exe" if windows else "bin/python")


def env_commands(venv: Path, *, python: str = sys.executable, lab: bool = False, windows: bool | None = None,
                 git: bool = True) -> list[list[str]]:
    """The commands of ``make env``: create the venv, install the project (with the test extras, and
    JupyterLab when ``lab``), register the kernel, set up the git filter that strips notebook outputs."""
    py = str(venv_python(venv, windows=windows))
    extras = "test,lab" if lab else "test"
    commands = []
    if not venv_python(venv, windows=windows).exists():
        commands.append([python, "-m", "venv", str(venv)])
    commands += [
        [py, "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
        [py, "-m", "pip", "install", "--quiet", "-e", f".[{extras}]"],
        [py, "-m", "ipykernel", "install", "--sys-prefix", "--name", KERNEL, "--display-name", KERNEL_DISPLAY],
    ]
    if git:
        commands += git_filter_commands(py)
    return commands


def git_filter_commands(py: str) -> list[list[str]]:
    """``git config`` for the clean filter named in ``.gitattributes`` (notebooks committed without outputs).

    The interpreter path is relative to the checkout when it lies inside it, so it works from every worktree."""
    try:
        shown = Path(py).absolute().relative_to(ROOT).as_posix()
    except ValueError:
        shown = Path(py).as_posix()
    return [
        ["git", "config", f"filter.{GIT_FILTER}.clean",
         f'{chr(34) + shown + chr(34) if " " in shown else shown} -m guozi_analysis.running.notebooks'],
        ["git", "config", f"filter.{GIT_FILTER}.smudge", "cat"],
    ]


def report_commands(venv: Path, *, period: str = "2022-11", jobs: int = 2, review: bool = True,
                    windows: bool | None = None) -> list[list[str]]:
    """``make report``: run the analyses and publish (the review for a YYYY-MM period unless ``review`` is off)."""
    py = str(venv_python(venv, windows=windows))
    return [[py, "-m", "guozi_analysis.running.cli", "report", "--period", period, "--jobs", str(jobs)]
            + (["--review"] if review else [])]


def is_root() -> bool:
    """True when running as root (JupyterLab refuses to start as root without ``--allow-root``)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def lab_commands(venv: Path, *, period: str = "2022-11", jobs: int = 2, root: bool | None = None,
                 windows: bool | None = None) -> list[list[str]]:
    """``make lab``: this period's notebooks run once (so the demo data is ready), then JupyterLab on the
    project kernel with the project's server config (outputs stripped on save under ``notebooks/``)."""
    py = str(venv_python(venv, windows=windows))
    root = is_root() if root is None else root
    lab = [py, "-m", "jupyterlab", "--notebook-dir=.", f"--config={ROOT / 'jupyter_server_config.py'}",
           f"--MappingKernelManager.default_kernel_name={KERNEL}", "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if root:
        lab.append("--allow-root")
    return [[py, "-m", "guozi_analysis.running.cli", "run", "--period", period, "--jobs", str(jobs)],
            lab + ["notebooks/"]]


ROOT_NOTE = ("注意：当前以 root 身份运行。JupyterLab 默认拒绝以 root 启动，本次已加 --allow-root；"
             "建议改用普通用户运行（root 下打开的笔记本可被任何能访问该端口的人执行代码）。")


def write_lab_overrides(venv: Path) -> Path:
    """JupyterLab's settings overrides in the venv (no news, no update check)."""
    path = venv / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(LAB_OVERRIDES, indent=2) + "\n", encoding="utf-8")
    return path


def run(commands: list[list[str]], *, dry_run: bool) -> int:
    for command in commands:
        print("$ " + subprocess.list2cmdline(command), flush=True)
        if dry_run:
            continue
        if command[0] == "git" and (shutil.which("git") is None or not (ROOT / ".git").exists()):
            print("（未找到 git 或本目录不是 git 仓库：跳过提交时清除笔记本输出的设置）", flush=True)
            continue
        code = subprocess.call(command, cwd=ROOT, env={**os.environ, "OPENBLAS_NUM_THREADS": "1",
                                                       "OMP_NUM_THREADS": "1"})
        if code != 0 and command[0] == "git":  # optional: the project works without it
            print(f"（git 设置未成功，退出码 {code}：提交前请自行清除笔记本输出）", flush=True)
            continue
        if code != 0:
            print(f"命令失败（退出码 {code}）：{subprocess.list2cmdline(command)}", file=sys.stderr)
            return code
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/setup.py",
                                     description="不用 make、bash 建环境与运行（Windows、信创机器亦可）")
    parser.add_argument("action", nargs="?", default="env", choices=["env", "report", "lab"],
                        help="env：建环境（默认）；report：运行并出版；lab：打开 JupyterLab")
    parser.add_argument("--venv", default=str(ROOT / ".venv"), help="虚拟环境目录（默认项目内 .venv）")
    parser.add_argument("--period", default="2022-11", help="期间（report、lab 用；默认 2022-11）")
    parser.add_argument("--jobs", type=int, default=2, help="同时执行的笔记本数（默认 2）")
    parser.add_argument("--no-review", action="store_true", help="report：按期间出版通报，不出版年度工作总结")
    parser.add_argument("--dry-run", action="store_true", help="只列出将执行的命令，不执行")
    args = parser.parse_args(argv)
    venv = Path(args.venv)
    if sys.version_info < (3, 11):
        print(f"需要 Python 3.11 或更新版本，当前为 {sys.version.split()[0]}", file=sys.stderr)
        return 1
    if args.action == "env":
        return run(env_commands(venv), dry_run=args.dry_run)
    if not args.dry_run and not venv_python(venv).exists():
        code = run(env_commands(venv, lab=args.action == "lab"), dry_run=False)
        if code:
            return code
    if args.action == "report":
        return run(report_commands(venv, period=args.period, jobs=args.jobs, review=not args.no_review),
                   dry_run=args.dry_run)
    if not args.dry_run:
        if shutil.which("jupyter-lab", path=str(venv_python(venv).parent)) is None:  # the lab extra, once
            code = run(env_commands(venv, lab=True), dry_run=False)
            if code:
                return code
        write_lab_overrides(venv)
    if is_root():
        print(ROOT_NOTE)
    return run(lab_commands(venv, period=args.period, jobs=args.jobs), dry_run=args.dry_run)


if __name__ == "__main__":
    raise SystemExit(main())
