"""guozi_analysis.ingest: raw store, processed history, supersede, quarantine, crash safety, CLI body."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent / "data" / "bad"))
import make_corpus as mc  # noqa: E402

from guozi_analysis.base.store import hash_tree
from guozi_analysis.intake import ingestion as ing
from guozi_analysis.intake.template import write_submission

TODAY = "2022-12-05"


@pytest.fixture()
def dirs(tmp_path):
    raw, proc = tmp_path / "raw", tmp_path / "proc"
    write_submission(tmp_path / "roster.xlsx", {"roster": mc.roster()})
    rep = ing.ingest([tmp_path / "roster.xlsx"], raw_store=raw, processed_dir=proc, today=TODAY)
    assert rep.ok
    return tmp_path, raw, proc


def _run(paths, raw, proc):
    return ing.ingest(paths, raw_store=raw, processed_dir=proc, today=TODAY)


def test_accepted_rows_are_typed_and_traceable(dirs):
    tmp, raw, proc = dirs
    p = write_submission(tmp / "G01_2022-10.xlsx", {"financials": mc.fin(mc.fin_row("G01", "2022-10"))},
                         money_unit="元")
    rep = _run([p], raw, proc)
    assert rep.ok and rep.files[0].accepted == 1
    fin = pd.read_parquet(proc / "financials.parquet")
    # 元 in the units line → 万元 inside: 100000 万元 written as 1e9 元
    assert fin.loc[0, "total_assets"] == pytest.approx(100000.0)
    assert fin.loc[0, "headcount_end"] == 500 and str(fin["headcount_end"].dtype) == "Int64"
    assert fin.loc[0, "source_row"] == 3
    assert fin.loc[0, "source_file"] == rep.files[0].stored_as
    assert rep.files[0].stored_as.endswith("_G01_2022-10.xlsx") and len(rep.files[0].stored_as.split("_")[0]) == 16


def test_reingest_same_file_changes_no_byte(dirs):
    tmp, raw, proc = dirs
    p = write_submission(tmp / "a.xlsx", {"financials": mc.fin(mc.fin_row("G01", "2022-10"))})
    _run([p], raw, proc)
    before = hash_tree(proc), hash_tree(raw)
    rep = _run([p], raw, proc)
    assert [f.rule for f in rep.findings] == ["file_already_received"]
    assert (hash_tree(proc), hash_tree(raw)) == before


def test_rebuild_is_deterministic(dirs, tmp_path):
    tmp, raw, proc = dirs
    files = [write_submission(tmp / f"m{m}.xlsx", {"financials": mc.fin(mc.fin_row("G01", f"2022-{m:02d}"),
                                                                          mc.fin_row("G01-01", f"2022-{m:02d}", 0.3))})
             for m in (9, 10)]
    _run(files, raw, proc)
    other = tmp_path / "other"
    _run([tmp / "roster.xlsx"], other / "raw", other / "proc")
    _run(files, other / "raw", other / "proc")
    for name in ("financials.parquet", "roster.parquet", "quarantine.parquet"):
        assert (proc / name).read_bytes() == (other / "proc" / name).read_bytes()


def test_resubmission_supersedes(dirs):
    tmp, raw, proc = dirs
    first = write_submission(tmp / "v1.xlsx", {"financials": mc.fin(mc.fin_row("G01", "2022-10"))})
    r2 = mc.fin_row("G01", "2022-10")
    r2["revenue"] = 12345.0
    second = write_submission(tmp / "v2.xlsx", {"financials": mc.fin(r2)})
    _run([first], raw, proc)
    _run([second], raw, proc)
    fin = pd.read_parquet(proc / "financials.parquet")
    assert len(fin) == 1 and fin.loc[0, "revenue"] == 12345.0
    log = pd.read_parquet(proc / "submissions.parquet")
    rows = log[log["table"] == "financials"].sort_values("seq")
    assert rows["status"].tolist() == ["已被替代", "有效"]
    assert rows["superseded_by"].iloc[0] == rows["source_file"].iloc[1]
    assert len(list(raw.iterdir())) == 3  # roster, v1, v2 all kept


def test_quarantine_keeps_reasons_and_values(dirs):
    tmp, raw, proc = dirs
    r = mc.fin_row("G01", "2022-10")
    r["total_assets"] *= 1.01
    p = write_submission(tmp / "bad.xlsx", {"financials": mc.fin(r, mc.fin_row("G01-01", "2022-10", 0.3))})
    rep = _run([p], raw, proc)
    assert (rep.files[0].accepted, rep.files[0].quarantined, rep.files[0].status) == (1, 1, "部分隔离")
    q = pd.read_parquet(proc / "quarantine.parquet")
    assert q["rules"].tolist() == ["identity_balance"]
    assert q["source_row"].tolist() == [3] and q["enterprise_id"].tolist() == ["G01"]
    assert "资产总额" in q.loc[0, "reasons"] and '"total_assets": 101000.0' in q.loc[0, "values_json"]


def test_crash_mid_ingest_leaves_store_as_it_was(dirs, monkeypatch):
    tmp, raw, proc = dirs
    _run([write_submission(tmp / "a.xlsx", {"financials": mc.fin(mc.fin_row("G01", "2022-10"))})], raw, proc)
    before = hash_tree(proc)
    calls = {"n": 0}
    real = ing.write_table

    def flaky(df, path):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("磁盘已满")
        return real(df, path)

    monkeypatch.setattr(ing, "write_table", flaky)
    p = write_submission(tmp / "b.xlsx", {"financials": mc.fin(mc.fin_row("G01", "2022-11")),
                                          "debts": mc.debts()})
    with pytest.raises(OSError):
        _run([p], raw, proc)
    assert hash_tree(proc) == before
    assert not [x for x in proc.iterdir() if x.name.startswith(".staging")]


def test_folders_csv_and_missing_paths(dirs):
    tmp, raw, proc = dirs
    folder = tmp / "inbox"
    folder.mkdir()
    df = mc.fin(mc.fin_row("G02", "2022-10", 0.5))
    from guozi_analysis.base import contract

    labels = contract.labels_zh("financials")
    out = df.rename(columns=labels)
    units = {labels[f]: "单位：万元" for f in contract.money_fields("financials")}
    csv = pd.concat([pd.DataFrame([units]), out], ignore_index=True)
    csv.to_csv(folder / "财务快报_G02.csv", index=False, encoding="utf-8-sig")
    (folder / "~$lock.xlsx").write_bytes(b"x")
    rep = _run([folder, tmp / "nope.xlsx"], raw, proc)
    assert [f.rule for f in rep.errors] == ["file_missing"]
    assert rep.files[0].accepted == 1
    fin = pd.read_parquet(proc / "financials.parquet")
    assert fin.loc[0, "source_row"] == 3 and fin.loc[0, "total_assets"] == 50000.0


def test_ingest_command_exit_codes(dirs, capsys, monkeypatch):
    tmp, raw, proc = dirs
    good = write_submission(tmp / "g.xlsx", {"financials": mc.fin(mc.fin_row("G01", "2022-10"))})
    rep, code = ing.ingest_command([good], raw_store=raw, processed_dir=proc, today=TODAY)
    assert code == 0 and "入库 1 行" in capsys.readouterr().out
    (tmp / "e.xlsx").write_bytes(b"")
    rep, code = ing.ingest_command([tmp / "e.xlsx"], raw_store=raw, processed_dir=proc, today=TODAY)
    out = capsys.readouterr().out
    assert code == 1 and "空文件" in out and "Traceback" not in out


def test_template_round_trip(dirs):
    """A template filled in by an enterprise is accepted without a single finding."""
    from openpyxl import load_workbook

    from guozi_analysis.intake.template import write_template

    tmp, raw, proc = dirs
    path = write_template(tmp / "t.xlsx", period="2022-10", enterprise_id="G01", roster=mc.roster())
    wb = load_workbook(path)
    ws = wb["财务快报"]
    headers = [c.value for c in ws[1]]
    rows = {"G01": mc.fin_row("G01", "2022-10"), "G01-01": mc.fin_row("G01-01", "2022-10", 0.3)}
    for r in (3, 4):
        rec = rows[ws.cell(row=r, column=1).value]
        from guozi_analysis.base import contract

        for j, h in enumerate(headers, start=1):
            f = contract.header_to_field("financials")[h]
            if j > 2:
                ws.cell(row=r, column=j, value=rec[f])
    wb.save(path)
    rep = _run([path], raw, proc)
    assert rep.findings == [] and rep.files[0].accepted == 2


def test_quality_report_workbook_and_markdown(dirs):
    from openpyxl import load_workbook

    from guozi_analysis.intake.quality import quality_markdown, quality_report
    from guozi_analysis.publishing.workbooks import write_quality_workbook

    tmp, raw, proc = dirs
    r = mc.fin_row("G01", "2022-11")
    r["total_assets"] *= 1.01
    p = write_submission(tmp / "q.xlsx", {"financials": mc.fin(r, mc.fin_row("G01-01", "2022-11", 0.3))})
    (tmp / "e.xlsx").write_bytes(b"")
    rep = _run([p, tmp / "e.xlsx"], raw, proc)
    q = quality_report(rep, period="2022-11", roster=mc.roster()).set_index("enterprise_id")
    assert q.loc["G01", "errors"] == 1 and q.loc["G01", "quarantined"] == 1 and q.loc["G01", "accepted"] == 0
    assert q.loc["G01-01", "accepted"] == 1 and q.loc["G01-01", "errors"] == 0
    assert q.loc["G02", "submitted"] == 0 and not q.loc["G02", "financials_submitted"]
    assert q.loc["（未识别企业）", "errors"] == 1  # the empty file
    fin = pd.read_parquet(proc / "financials.parquet")
    out = write_quality_workbook(tmp / "质量.xlsx", rep, period="2022-11", roster=mc.roster(), financials=fin)
    wb = load_workbook(out)
    assert wb.sheetnames == ["概况", "问题清单", "文件统计", "未报送"]
    missing = [c.value for c in wb["未报送"]["A"]][1:]
    assert missing == ["G01", "G02"]  # G01's only row was quarantined
    md = quality_markdown(rep, period="2022-11", roster=mc.roster(), financials=fin)
    assert md.startswith("# 数据质量（2022-11）") and "资产负债表不平衡" in md and "未报送财务快报" in md
    # findings only: row counts unknown
    q2 = quality_report(rep.findings, period="2022-11")
    assert q2["submitted"].isna().all()


def test_findings_file_is_a_problem_list_an_analyst_acts_on(dirs):
    """issue 28: every cell finding names file, sheet, row, column, 企业编码, 期间, value, rule and the table in
    Chinese; a blank cell says （空） instead of leaving 值 empty; errors come before warnings."""
    from openpyxl import load_workbook

    from guozi_analysis.intake.validate import BLANK_ZH, findings_frame
    from guozi_analysis.publishing.workbooks import write_quality_workbook

    tmp, raw, proc = dirs
    warn = mc.fin_row("G01-01", "2022-11", 0.3)
    warn["lease_liabilities"] = None  # Excel row 3: a blank optional item → warning blank_counted_as_zero
    bad = mc.fin_row("G01", "2022-11")
    bad["total_assets"] *= 1.01  # Excel row 4: 100000 × 1.01 = 101000 ≠ 62000 + 38000 → error identity_balance
    p = write_submission(tmp / "q.xlsx", {"financials": mc.fin(warn, bad)})
    rep = _run([p], raw, proc)
    assert sorted(f.rule for f in rep.findings) == ["blank_counted_as_zero", "identity_balance"]
    frame = findings_frame(rep.findings, chinese=True)
    cols = ["文件", "工作表", "行号", "列", "值", "规则", "级别", "报表", "企业编码", "期间"]
    assert frame[cols].astype(str).values.tolist() == [
        ["q.xlsx", "财务快报", "4", "资产总额", "101000", "identity_balance", "错误", "财务快报", "G01", "2022-11"],
        ["q.xlsx", "财务快报", "3", "租赁负债", BLANK_ZH, "blank_counted_as_zero", "警告", "财务快报", "G01-01",
         "2022-11"],
    ]
    # the same rows in the data-quality workbook's 问题清单 sheet
    out = write_quality_workbook(tmp / "质量.xlsx", rep, period="2022-11", roster=mc.roster())
    ws = load_workbook(out)["问题清单"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, (c.value for c in r))) for r in ws.iter_rows(min_row=2)]
    assert [(r["级别"], r["报表"], r["值"], r["企业编码"], r["期间"]) for r in rows] == [
        ("错误", "财务快报", "101000", "G01", "2022-11"), ("警告", "财务快报", BLANK_ZH, "G01-01", "2022-11")]
    # the terminal summary: totals, the file not received in full, then the problems, errors first
    lines = rep.summary_zh().splitlines()
    assert lines[0] == "共收到 1 个文件：报送 2 行，入库 1 行，隔离 1 行，剔除 0 行；错误 1 项，警告 1 项。"
    assert "部分隔离（报送 2，入库 1，隔离 1）" in lines[2]
    assert lines[4].startswith("  [错误]") and lines[5].startswith("  [警告]")


def test_a_number_stored_as_text_names_its_cell(dirs):
    """issue 28: the one-cell 数字以文本形式存储 warning carries the cell's value, enterprise and period."""
    import openpyxl

    tmp, raw, proc = dirs
    p = write_submission(tmp / "t.xlsx", {"financials": mc.fin(mc.fin_row("G01", "2022-11"))})
    wb = openpyxl.load_workbook(p)
    mc._set(wb["财务快报"], "资产总额", 3, "100000")  # the number typed as text
    wb.save(p)
    rep = _run([p], raw, proc)
    hits = [f for f in rep.findings if f.rule == "number_as_text"]
    assert [(f.row, f.column, f.value, f.enterprise_id, f.period) for f in hits] == [
        (3, "资产总额", "100000", "G01", "2022-11")]


def test_a_blank_main_business_is_a_warning_not_an_error():
    """Issue 26: 主营业务 is optional (the profile leaves it out); a blank one is named per enterprise."""
    from guozi_analysis.intake.validate import check_optional_items

    roster = pd.DataFrame({"enterprise_id": ["G01", "G02", "G03"], "main_business": ["城市建设", None, "  "]})
    found = check_optional_items(roster, "roster")
    assert [(f.rule, f.severity, f.column) for f in found] == [("main_business_missing", "警告", "主营业务")] * 2
    assert check_optional_items(roster.drop(columns="main_business"), "roster") == []  # the schema names the column


def test_calamine_hidden_sheets_are_seen():
    """.xls/.ods sheets are read with python-calamine; its Hidden/VeryHidden marks must count as hidden."""
    from types import SimpleNamespace

    import python_calamine as pc

    from guozi_analysis.intake.ingestion import _calamine_hidden

    assert not _calamine_hidden(SimpleNamespace(visible=pc.SheetVisibleEnum.Visible))
    assert _calamine_hidden(SimpleNamespace(visible=pc.SheetVisibleEnum.Hidden))
    assert _calamine_hidden(SimpleNamespace(visible=pc.SheetVisibleEnum.VeryHidden))
    assert not _calamine_hidden(SimpleNamespace())  # metadata without the field: visible


def test_batch_validation_gives_what_file_by_file_validation_gives(tmp_path, monkeypatch):
    """Issue 27: the batch checks (one pass per table, duplicates proved absent by the batch's keys) give
    every file the findings and the store that validating the files one after another gives."""
    from guozi_analysis.base.config import DEMO_DIR

    engaged = []
    real = ing.validate_batch

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        engaged.append(out is not None)
        return out

    # rows the batch must place in their file: an enterprise not in the roster, a period after today; and
    # a 上市培育 row of an enterprise that reports none beside a bad one (the file is partly accepted: the
    # store takes the good row from the batch's rows of the table)
    fin = ing.read_submission(DEMO_DIR / "raw" / "2022-11" / "G01_澜海城投集团.xlsx")[0]["financials"]
    rows = fin.drop(columns=["source_file", "source_sheet", "source_row"]).head(2).copy()
    rows["enterprise_id"] = ["G99", "G99"]
    rows["period"] = ["2022-11", "2023-05"]
    listed = ing.read_submission(DEMO_DIR / "raw" / "2022-11" / "G03_澜海产发集团.xlsx")[0]["listings"]
    listings = listed.drop(columns=["source_file", "source_sheet", "source_row"]).head(2).copy()
    listings["item_id"] = ["SS-X1", "SS-X2"]
    listings["enterprise_id"] = ["G99", "G01-01"]
    extra = write_submission(tmp_path / "extra.xlsx", {"financials": rows, "listings": listings})
    paths = [DEMO_DIR / "raw", extra]
    monkeypatch.setattr(ing, "validate_batch", spy)
    batch = ing.ingest(paths, raw_store=tmp_path / "r1", processed_dir=tmp_path / "p1", today=TODAY)
    assert any(engaged)
    monkeypatch.setattr(ing, "validate_batch", lambda *a, **k: None)
    single = ing.ingest(paths, raw_store=tmp_path / "r2", processed_dir=tmp_path / "p2", today=TODAY)

    def seen(report):
        return [(f.file, f.sheet, f.row, f.column, f.rule, f.message) for f in report.findings]

    assert seen(batch) == seen(single) and len(seen(batch)) > 0
    extra_file = next(f for f in batch.files if f.file == str(extra))
    assert (extra_file.accepted, extra_file.quarantined) == (1, 3)
    stored = pd.read_parquet(tmp_path / "p1" / "listings.parquet")
    assert stored.loc[stored["item_id"] == "SS-X1"].empty
    assert stored.loc[stored["item_id"] == "SS-X2", "enterprise_id"].tolist() == ["G01-01"]
    assert [(f.stored_as, f.accepted) for f in batch.files] == [(f.stored_as, f.accepted) for f in single.files]
    names = sorted(p.name for p in (tmp_path / "p1").glob("*.parquet"))
    assert names == sorted(p.name for p in (tmp_path / "p2").glob("*.parquet")) and names
    for name in names:
        left, right = (pd.read_parquet(tmp_path / p / name).drop(columns="received_at", errors="ignore")
                       for p in ("p1", "p2"))  # the log's clock time differs, nothing else may
        pd.testing.assert_frame_equal(left, right)
