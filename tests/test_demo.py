"""The demo generator: determinism, layout, committed files equal a fresh generation."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
import yaml

from guozi_analysis.base.config import DEMO_DIR
from guozi_analysis.demo import build_demo_tables, generate_demo, xlsx_bytes


def _hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo_a")
    generate_demo(out)
    return out


def test_two_generations_are_byte_identical(fresh, tmp_path):
    files = generate_demo(tmp_path)
    assert all(p.exists() for p in files)
    assert _hashes(fresh) == _hashes(tmp_path)


def test_committed_demo_equals_fresh_generation(fresh):
    committed = _hashes(DEMO_DIR)
    assert committed, "data/demo 未生成"
    assert committed == _hashes(fresh)


def test_layout_and_size(fresh):
    files = [p for p in fresh.rglob("*") if p.is_file()]
    assert len(files) <= 150
    assert sum(p.stat().st_size for p in files) < 15 * 1024 * 1024
    raw = fresh / "raw"
    assert (raw / "roster.xlsx").exists() and (raw / "targets.xlsx").exists()
    assert (fresh / "ground_truth.yaml").exists() and (fresh / "README.md").exists()
    months = sorted(p.name for p in raw.iterdir() if p.is_dir() and p.name.startswith("2022"))
    assert months == [f"2022-{m:02d}" for m in range(1, 12)]
    assert sorted(p.name for p in (raw / "2022-11").glob("*.xlsx"))[0] == "G01_澜海城投集团.xlsx"
    assert all(len(list((raw / m).glob("*.xlsx"))) == 6 for m in months)
    csv_bytes = (raw / "history" / "financials.csv").read_bytes()
    assert csv_bytes.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM for Excel
    lines = csv_bytes.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("企业编码,期间,资产总额") and lines[1].startswith(",,单位：万元")


def test_workbook_has_fixed_timestamps_and_chinese_sheets(fresh):
    from openpyxl import load_workbook

    path = fresh / "raw" / "2022-11" / "G03_澜海产发集团.xlsx"
    with zipfile.ZipFile(path) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2022, 12, 1, 0, 0, 0)}
        core = zf.read("docProps/core.xml").decode()
    assert "2022-12-01T00:00:00Z" in core
    wb = load_workbook(path, read_only=True)
    assert wb.sheetnames[:3] == ["财务快报", "固定资产投资项目", "股权投资"]
    assert wb.properties.created.year == 2022 and wb.properties.modified.month == 12
    rows = list(wb["财务快报"].iter_rows(values_only=True, max_row=3))
    assert rows[0][:3] == ("企业编码", "期间", "资产总额")
    assert rows[1][2] == "单位：万元" and rows[2][1] == "2022-11"
    wb.close()
    jan = load_workbook(fresh / "raw" / "2022-01" / "G03_澜海产发集团.xlsx", read_only=True)
    assert "财务快报" not in jan.sheetnames  # January is not reported
    jan.close()


def test_xlsx_writer_roundtrip():
    from datetime import date

    from openpyxl import load_workbook

    data = xlsx_bytes([("表<一>", [["名称", "金额", "日期", "标志"], ["甲&乙", 1.25, date(2022, 3, 4), True],
                                   [None, 7, None, False]])])
    assert data == xlsx_bytes([("表<一>", [["名称", "金额", "日期", "标志"], ["甲&乙", 1.25, date(2022, 3, 4), True],
                                           [None, 7, None, False]])])
    wb = load_workbook(io.BytesIO(data))
    ws = wb["表<一>"]
    assert [c.value for c in ws[2]] == ["甲&乙", 1.25, __import__("datetime").datetime(2022, 3, 4), "是"]
    assert [c.value for c in ws[3]] == [None, 7, None, "否"]


def test_ground_truth_file_lists_designed_entities():
    truth = yaml.safe_load((DEMO_DIR / "ground_truth.yaml").read_text(encoding="utf-8"))
    rules = truth["rules"]
    assert truth["period"] == "2022-11"
    assert [e["enterprise_id"] for e in rules["debt_to_asset_ratio_above_80"]["entities"]] == ["G01-05", "G03-02-01"]
    assert [e["enterprise_id"] for e in rules["negative_interest_coverage"]["entities"]] == ["G04-03"]
    assert [e["enterprise_id"] for e in truth["warnings"]["maturity_wall"]["entities"]] == ["G04"]
    assert len(rules["guarantee_to_non_related"]["entities"]) == 1
    assert len(rules["guarantee_above_shareholding"]["entities"]) == 1
    assert [e["guarantee_id"] for e in rules["guarantee_to_distressed"]["entities"]] == ["DB016", "DB017"]
    assert [e["guarantor_id"] for e in rules["guarantee_to_financial_subsidiary"]["entities"]] == ["G01"]
    inside = truth["others_inside"]
    # 已获利息倍数 on interest incurred (issue 19): the lowest of the others is 0.61, recomputed, not 1.5
    assert inside["max_debt_to_asset_ratio"] <= 72 and inside["min_interest_coverage"] >= 0.5
    assert inside["max_maturity_month_share"] <= 40


def test_other_seed_keeps_the_designed_risks():
    tables, truth = build_demo_tables(seed=7)
    ids = [e["enterprise_id"] for e in truth["rules"]["debt_to_asset_ratio_above_80"]["entities"]]
    assert ids == ["G01-05", "G03-02-01"]
    assert len(tables["roster"]) == 46
