"""Everyday inbox mistakes, run from the real command line: a Chinese message, exit ≠ 0, no traceback,
and no work started (no run folder, no notebook)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from guozi_analysis.base import config

SRC = Path(__file__).resolve().parents[1] / "src"


def guozi(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run([sys.executable, "-m", "guozi_analysis.running.cli", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=300)


def _assert_chinese_failure(done: subprocess.CompletedProcess, *needles: str) -> None:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    assert any(line.startswith("错误：") for line in done.stderr.splitlines()), done.stderr
    for needle in needles:
        assert needle in done.stderr, done.stderr


def test_missing_inbox_folder(tmp_path):
    missing = tmp_path / "没有这个目录"
    _assert_chinese_failure(guozi("risk", "--period", "2022-11", "--data", str(missing)), "收件目录不存在",
                            str(missing))


def test_inbox_without_a_roster(tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(config.DEMO_DIR / "raw" / "2022-11", inbox / "2022-11")
    for command in (["report", "--period", "2022-11"], ["indicators", "--period", "2022-11", "--out",
                                                         str(tmp_path / "out")], ["ingest"]):
        args = [*command, "--data", str(inbox)] if command[0] != "ingest" else ["ingest", str(inbox)]
        _assert_chinese_failure(guozi(*args), "没有企业名录")
    assert not (tmp_path / "out").exists()


def test_empty_inbox(tmp_path):
    (tmp_path / "inbox").mkdir()
    _assert_chinese_failure(guozi("risk", "--period", "2022-11", "--data", str(tmp_path / "inbox")), "没有报送文件")


def test_unknown_enterprise_is_reported_before_any_notebook(tmp_path):
    before = set((config.PROJECT_ROOT / "runs").glob("2022-11/*")) if (config.PROJECT_ROOT / "runs").exists() \
        else set()
    done = guozi("run", "--period", "2022-11", "--entities", "G99", "G01")
    _assert_chinese_failure(done, "「G99」", "未执行任何笔记本")
    assert "G01」" not in done.stderr  # only the unknown code is named
    after = set((config.PROJECT_ROOT / "runs").glob("2022-11/*")) if (config.PROJECT_ROOT / "runs").exists() \
        else set()
    assert after == before  # no run folder: nothing was started


@pytest.mark.slow  # reads the demo inbox (cached after the first ingest)
def test_period_without_data(tmp_path):
    done = guozi("risk", "--period", "2030-01")
    _assert_chinese_failure(done, "没有 2030-01 的财务快报数据", "2022-11")
    done = guozi("assess", "--year", "2031", "--out", str(tmp_path / "out"))
    _assert_chinese_failure(done, "没有 2031 年的财务快报数据")


def test_template_names_the_inbox_it_took_the_roster_from(tmp_path):
    done = guozi("template", "--period", "2022-11", "--out", str(tmp_path / "t.xlsx"))
    assert done.returncode == 0, done.stderr
    assert "企业名录取自收件目录" in done.stderr and "data/demo/raw" in done.stderr
    _assert_chinese_failure(guozi("template", "--period", "2022-11", "--enterprise", "G99",
                                  "--out", str(tmp_path / "x.xlsx")), "「G99」")


def test_a_roster_is_recognised_by_its_content_whatever_its_name(tmp_path):
    from guozi_analysis.intake.inbox import roster_codes

    inbox = tmp_path / "inbox"
    shutil.copytree(config.DEMO_DIR / "raw", inbox)
    (inbox / "roster.xlsx").rename(inbox / "单位清单.xlsx")
    codes = roster_codes(inbox)
    assert len(codes) == 46 and "G01" in codes


def test_ingest_on_the_demo_says_it_in_a_few_lines(demo_inbox, tmp_path):
    """issue 28: an inbox whose files are all fine gives a summary, not one line per file (87 files);
    ``--verbose`` lists the files."""
    done = guozi("ingest", str(demo_inbox.path), "--findings", str(tmp_path / "问题清单.csv"))
    assert done.returncode == 0, done.stderr
    lines = (done.stdout + done.stderr).splitlines()
    assert len(lines) <= 15, lines
    assert any(line.startswith("共收到 87 个文件：") and "错误 0 项，警告 0 项" in line for line in lines)
    assert not any("：已处理（" in line for line in lines)
    verbose = guozi("ingest", str(demo_inbox.path), "--findings", str(tmp_path / "问题清单.csv"), "--verbose")
    assert sum("：已处理（" in line for line in verbose.stdout.splitlines()) == 87
