"""Issue 25, as a new user tried it: a 2022-12 inbox where one group of six has reported.

`guozi report --period 2022-12` and `--review` run as commands on a copy of the demo inbox with a
2022-12 folder holding 澜海水务集团's workbook only (its November workbook relabelled December; history/
and 年度目标 stay). Both complete, publish, say in the first paragraph who is missing, print no sentence
with a missing number and no statement of absence drawn from the missing data, and exit with the
incomplete-data code 3. The project is pointed at a temporary root (``GUOZI_ROOT``), so the repository's
own publications are untouched. Marked slow: it executes the 月度通报 and the whole review once.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from guozi_analysis.base import config
from guozi_analysis.publishing.text import missing_numbers
from guozi_analysis.running.cli import INCOMPLETE_EXIT

pytestmark = pytest.mark.slow
PERIOD = "2022-12"
REPORTED = "G05_澜海水务集团.xlsx"
MISSING = "5家集团（澜海城投集团、澜海交投集团、澜海产发集团、澜海文旅集团、城市更新公司）未报送本期财务快报"


def december_inbox(root: Path) -> Path:
    """The demo inbox plus a 2022-12 folder with one group's workbook (periods relabelled 2022-12)."""
    inbox = root / "inbox"
    shutil.copytree(config.DEMO_DIR / "raw", inbox)
    wb = openpyxl.load_workbook(inbox / "2022-11" / REPORTED)
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("2022-11"):
                    cell.value = PERIOD + cell.value[7:]
    (inbox / PERIOD).mkdir()
    wb.save(inbox / PERIOD / REPORTED)
    return inbox


@pytest.fixture(scope="module")
def december(tmp_path_factory):
    root = tmp_path_factory.mktemp("december")
    for name in ("params", "notebooks", "docs"):
        (root / name).symlink_to(config.PROJECT_ROOT / name)
    (root / "reports").mkdir()
    (root / "data").mkdir()
    inbox = december_inbox(root)
    env = {**os.environ, "GUOZI_ROOT": str(root)}

    def guozi(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "guozi_analysis.running.cli", "report", "--period", PERIOD,
                               "--data", str(inbox), "--engine", "builtin", *args],
                              cwd=root, env=env, capture_output=True, text=True, timeout=3600)

    return {"root": root, "monthly": guozi(), "review": guozi("--review")}


def _pdf_text(path: Path) -> str:
    return re.sub(r"\s+", "", "".join(p.extract_text() or "" for p in PdfReader(path).pages)).replace("\u2212", "-")


def _pdfs(root: Path, pattern: str) -> list[Path]:
    return sorted((root / "reports" / "_build").rglob(pattern))


def _markdown_outputs(folder: Path) -> list[str]:
    """Every Markdown paragraph the executed notebooks under ``folder`` printed (the sentences)."""
    texts = []
    for nb in sorted(folder.rglob("*.ipynb")):
        for cell in json.loads(nb.read_text("utf-8"))["cells"]:
            for out in cell.get("outputs", []):
                md = out.get("data", {}).get("text/markdown")
                if md:
                    texts.append("".join(md))
    return texts


@pytest.mark.parametrize("kind", ["monthly", "review"])
def test_the_run_publishes_and_exits_with_the_incomplete_data_code(december, kind):
    done = december[kind]
    assert done.returncode == INCOMPLETE_EXIT, done.stderr[-3000:]
    assert MISSING in done.stderr and f"退出码 {INCOMPLETE_EXIT}" in done.stderr


def test_the_monthly_bulletin_says_who_is_missing_first_and_states_nothing_from_absent_data(december):
    [pdf] = [p for p in _pdfs(december["root"], "*.pdf") if "monthly" in p.name]
    text = _pdf_text(pdf)
    first = text.split("一、总体情况", 1)[1].split("二、主要指标", 1)[0]
    assert first.startswith("本期数据不完整：" + MISSING)
    assert "已报送企业本年完成投资" in first  # the total is said to cover the reporters only
    assert not re.search(r"同比(?:增长|下降|持平|变动)", first)  # the district's 同比 needs the missing groups' data
    assert "全区合计（仅含已报送企业）" in text and text.count("全区合计仅含已报送企业") >= 4  # every table's note
    assert "本期数据未显示需要特别说明的情况" not in text
    # 重点监管名单变化: the 8 enterprises that did not report are not counted as 移出
    table = text.split("、风险变化", 1)[1].split("、重点工作任务", 1)[0]  # its section (numbered after 亏损企业)
    assert "移出0" in table and "未报送，无法比较8" in table
    texts = _markdown_outputs(december["root"] / "reports" / "monthly")
    assert texts and [t for t in texts if missing_numbers(t)] == []


def test_the_december_review_and_profiles_complete_without_absent_statements(december):
    root = december["root"]
    books = [p for p in _pdfs(root, "*.pdf") if "profile" not in str(p).lower() and "monthly" not in str(p)]
    assert books, "the review was not rendered"
    text = "".join(_pdf_text(p) for p in books)
    assert "数据截至2022年12月31日。本期数据不完整：" + MISSING in text  # the 前言's first paragraph
    assert "本期没有企业列入重点监管对象" not in text
    assert not re.search(r"在建[固定资产投资]*项目—个", text)
    profiles = [p for p in _pdfs(root, "*.pdf") if re.fullmatch(r"G\d\d(-\d\d)*\.pdf", p.name)]
    assert len(profiles) == 46  # the volume rendered (an empty 全年预计 table no longer breaks it)
    texts = _markdown_outputs(root / "reports" / "review")  # the review's executed notebooks (2022-12@inbox)
    assert texts and [t[:200] for t in texts if missing_numbers(t)] == []
