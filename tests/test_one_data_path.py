"""One data path: the quick command and the book read the same accepted rows, so they name the same
key-supervision enterprises — on the demo, and on the demo with one row quarantined."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from guozi_analysis.base import config
from guozi_analysis.intake.inbox import open_inbox
from guozi_analysis.running.shared import shared_results

PERIOD = "2022-11"
SRC = Path(__file__).resolve().parents[1] / "src"


def _cli_risk(data_dir: Path) -> pd.DataFrame:
    """`guozi risk` run as an analyst runs it (a separate process), its CSV parsed."""
    done = subprocess.run([sys.executable, "-m", "guozi_analysis.running.cli", "risk", "--period", PERIOD,
                           "--data", str(data_dir)], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(SRC)})
    assert done.stdout.startswith("\ufeff")
    assert "读取" in done.stderr and str(data_dir.resolve()) in done.stderr  # the inbox read is named
    return pd.read_csv(io.StringIO(done.stdout[1:]), dtype=str)


def _book_list(data_dir: Path) -> tuple[list[str], float]:
    """What the book prints: the shared step's list (risk chapter) and the review's count."""
    results = shared_results(PERIOD, inbox=open_inbox(data_dir))
    items = results["narrative_items"].set_index("item")
    return sorted(results["risk_list"]["entity_id"]), items.loc["key_supervision_count", "value"]


def _quarantine_one_row(inbox: Path, *, enterprise: str) -> None:
    """Break one 财务快报 row of ``enterprise`` in 2022-11 (text in a money cell): intake must quarantine it."""
    path = next((inbox / "2022-11").glob(f"{enterprise.split('-')[0]}_*.xlsx"))
    wb = load_workbook(path)
    ws = wb["财务快报"]
    for row in ws.iter_rows(min_row=3):
        if row[0].value == enterprise and row[1].value == PERIOD:
            row[2].value = "约九万"  # 资产总额
            break
    else:  # pragma: no cover - the demo always has this row
        raise AssertionError(enterprise)
    wb.save(path)


@pytest.mark.slow  # ingests the demo twice (about a minute)
@pytest.mark.parametrize("broken", [None, "G04-03"])
def test_cli_and_book_name_the_same_enterprises(tmp_path, broken):
    inbox = tmp_path / "inbox"
    shutil.copytree(config.DEMO_DIR / "raw", inbox)
    if broken:
        _quarantine_one_row(inbox, enterprise=broken)
    cli = _cli_risk(inbox)
    book, count = _book_list(inbox)
    assert sorted(cli["企业编码"]) == book
    assert count == len(book)
    report = open_inbox(inbox).report
    quarantined = sum(f.quarantined for f in report.files)
    assert quarantined == (1 if broken else 0)
    if broken:  # the quarantined enterprise has no 2022-11 figures, so the rules cannot put it on the list
        assert broken not in book
    else:
        assert "G04-03" in book  # negative interest coverage in the demo's ground truth
