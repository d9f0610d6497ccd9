"""The bad-input corpus: every malformed submission gives its expected finding, never a traceback,
never a silent acceptance; a rejected file leaves the processed store unchanged and the raw store
keeps every file received."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pandas as pd
import pytest
import yaml

from guozi_analysis.base.store import file_sha256
from guozi_analysis.intake.ingestion import ingest, raw_name
from guozi_analysis.intake.validate import ERROR, RULES

BAD = Path(__file__).parent / "data" / "bad"
EXPECTED = yaml.safe_load((BAD / "expected.yaml").read_text(encoding="utf-8"))
TABLE_FILES = ("financials.parquet", "projects.parquet", "debts.parquet", "guarantees.parquet", "roster.parquet")


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("baseline")
    report = ingest([BAD / s for s in EXPECTED["setup"]], raw_store=root / "raw", processed_dir=root / "proc",
                    today=EXPECTED["today"])
    assert report.ok, report.summary_zh()
    return root


def _tables_hash(proc: Path) -> dict:
    return {n: file_sha256(proc / n) for n in TABLE_FILES if (proc / n).exists()}


def test_corpus_is_large_enough():
    assert len(EXPECTED["cases"]) >= 25
    for name in EXPECTED["cases"]:
        assert (BAD / name).exists(), name


@pytest.mark.parametrize("name", sorted(EXPECTED["cases"]))
def test_bad_file(name, baseline, tmp_path):
    exp = EXPECTED["cases"][name]
    work = tmp_path / "store"
    shutil.copytree(baseline, work)
    before = _tables_hash(work / "proc")
    report = ingest([BAD / name], raw_store=work / "raw", processed_dir=work / "proc", today=EXPECTED["today"])
    result = report.files[0]
    rule = exp.get("rule")
    if rule is None:
        assert not report.errors
    else:
        hits = [f for f in report.findings if f.rule == rule]
        assert hits, f"{name}: expected {rule}, got {[f.rule for f in report.findings]}"
        assert all(f.severity == RULES[rule][0] for f in hits)
        assert all(f.message and f.file == name for f in hits)
        if "column" in exp:
            assert exp["column"] in {f.column for f in hits}
        if rule in ("file_not_excel", "file_empty", "file_corrupt", "file_encrypted"):
            assert report.files[0].status == "已拒收"
    if "accepted" in exp:
        assert result.accepted == exp["accepted"]
    if "quarantined" in exp:
        assert result.quarantined == exp["quarantined"]
    # never a silent acceptance: anything not accepted is explained
    if result.accepted < result.submitted:
        assert report.findings
    # the processed tables are unchanged by a file that contributes nothing
    if result.accepted == 0:
        assert _tables_hash(work / "proc") == before
    # quarantined rows are stored with their reasons
    if result.quarantined:
        q = pd.read_parquet(work / "proc" / "quarantine.parquet")
        mine = q[q["original_name"] == name]
        assert len(mine) == result.quarantined
        assert mine["reasons"].str.len().gt(0).all()
    # the raw store holds the file, byte for byte, read-only
    stored = work / "raw" / raw_name(file_sha256(BAD / name), name)
    assert stored.read_bytes() == (BAD / name).read_bytes()
    assert not stored.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def test_whole_corpus_in_one_go(baseline, tmp_path):
    work = tmp_path / "store"
    shutil.copytree(baseline, work)
    files = [BAD / n for n in sorted(EXPECTED["cases"])]
    report = ingest(files, raw_store=work / "raw", processed_dir=work / "proc", today=EXPECTED["today"])
    assert len(report.files) == len(files)
    assert not report.ok
    # every file received is in the raw store (plus the two setup files)
    assert len(list((work / "raw").iterdir())) == len(files) + len(EXPECTED["setup"])
    frame = report.to_frame()
    assert list(frame.columns[:4]) == ["file", "stored_as", "sha256", "status"]
    assert (frame["submitted"] >= frame["accepted"] + frame["quarantined"]).all()


def _minimal_xlsx(path: Path, sheet: str, rows: list[list[str | None]]) -> None:
    """A bare xlsx with shared strings, as a foreign producer would write it (fast to write)."""
    import zipfile
    from xml.sax.saxutils import escape

    strings: dict[str, int] = {}
    out = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, v in enumerate(row):
            if v is None:
                continue
            k = strings.setdefault(v, len(strings))
            cells.append(f'<c r="{chr(65 + c)}{r}" t="s"><v>{k}</v></c>')
        out.append(f'<row r="{r}">{"".join(cells)}</row>')
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
        z.writestr("_rels/.rels", f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} xmlns:r="{rel}"><sheets><sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><sheetData>{"".join(out)}</sheetData></worksheet>')
        sst = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
        z.writestr("xl/sharedStrings.xml", f'<?xml version="1.0" encoding="UTF-8"?><sst {ns} count="{len(strings)}" uniqueCount="{len(strings)}">{sst}</sst>')


def test_huge_sheet(tmp_path):
    """100k rows of 改革事项 in one sheet: read, validated and stored; a bad cell is still pinpointed."""
    from guozi_analysis.base import contract

    t = contract.table("reforms")
    n = 100_000
    rows = [[f.label_zh for f in t.fields if f.required], [None] * 5]
    rows += [[f"R{i:06d}", "G01", "2022-11", "董事会建设", "推进中" if i != 77_777 else "快完成了"] for i in range(n)]
    path = tmp_path / "改革事项_大表.xlsx"
    _minimal_xlsx(path, t.label_zh, rows)
    roster = pd.DataFrame({"enterprise_id": ["G01"]})
    report = ingest([path], raw_store=tmp_path / "raw", processed_dir=tmp_path / "proc", today="2022-12-05",
                    roster=roster)
    assert report.files[0].submitted == n
    assert report.files[0].accepted == n - 1
    bad = [f for f in report.findings if f.severity == ERROR]
    assert [(f.row, f.column, f.rule) for f in bad] == [(77_777 + 3, "推进状态", "vocabulary")]
    stored = pd.read_parquet(tmp_path / "proc" / "reforms.parquet")
    assert len(stored) == n - 1
    assert stored["source_row"].iloc[0] == 3
