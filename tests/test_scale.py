"""Issue 18: a larger demo district on demand, and incremental intake of an inbox."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from guozi_analysis.base.config import DEMO_DIR
from guozi_analysis.demo import generate_demo
from guozi_analysis.intake.inbox import open_inbox


def _hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_larger_demo_is_deterministic_and_has_the_structure(tmp_path):
    from guozi_analysis.intake.ingestion import read_submission

    a, b = tmp_path / "a", tmp_path / "b"
    generate_demo(a, enterprises=60)
    generate_demo(b, enterprises=60)
    assert _hashes(a) == _hashes(b)
    roster = read_submission(a / "raw" / "roster.xlsx")[0]["roster"]
    assert len(roster) == 60 and roster["enterprise_id"].is_unique and roster["name"].is_unique
    assert roster["short_name"].is_unique
    groups = roster[roster["is_group"]]
    # 46 + a 14-enterprise prefix of the second copy (its G07 whole, G08 in part)
    assert list(groups["enterprise_id"]) == [f"G{i:02d}" for i in range(1, 9)]
    assert set(roster["level"]) == {1, 2, 3}
    assert set(roster["parent_id"].dropna()) <= set(roster["enterprise_id"])
    assert len(list((a / "raw" / "2022-11").glob("*.xlsx"))) == 8
    truth = yaml.safe_load((a / "ground_truth.yaml").read_text(encoding="utf-8"))
    assert truth["enterprises"] == 60 and truth["groups"] == 8
    high = [e["enterprise_id"] for e in truth["rules"]["debt_to_asset_ratio_above_80"]["entities"]]
    # the planted cases of every copy, renamed with the copy's group numbers
    assert high == ["G01-05", "G03-02-01", "G07-05"]
    assert [e["enterprise_id"] for e in truth["warnings"]["maturity_wall"]["entities"]] == ["G04"]


def _small_inbox(root: Path, months: list[str]) -> Path:
    inbox = root / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    shutil.copy2(DEMO_DIR / "raw" / "roster.xlsx", inbox / "roster.xlsx")
    for m in months:
        (inbox / m).mkdir(exist_ok=True)
        for p in sorted((DEMO_DIR / "raw" / m).glob("G0[12]_*.xlsx")):
            shutil.copy2(p, inbox / m / p.name)
    return inbox


def test_second_open_ingests_only_the_new_file_and_equals_a_rebuild(tmp_path):
    inbox = _small_inbox(tmp_path, ["2022-10"])
    cache = tmp_path / "cache"
    first = open_inbox(inbox, cache_dir=cache)
    assert first.ingested == 3 and not first.reused
    new = sorted((DEMO_DIR / "raw" / "2022-11").glob("G01_*.xlsx"))[0]
    (inbox / "2022-11").mkdir()
    shutil.copy2(new, inbox / "2022-11" / new.name)
    second = open_inbox(inbox, cache_dir=cache)
    assert second.ingested == 1
    assert sorted(second.tables["financials"]["period"].unique()) == ["2022-10", "2022-11"]
    assert len(second.report.files) == 4
    again = open_inbox(inbox, cache_dir=cache)
    assert again.reused and again.ingested == 0
    full = open_inbox(inbox, cache_dir=tmp_path / "other")
    assert full.ingested == 4
    for name, df in full.tables.items():
        pd.testing.assert_frame_equal(second.tables[name], df, check_like=False)


def test_changed_file_supersedes_its_previous_version(tmp_path):
    inbox = _small_inbox(tmp_path, ["2022-10"])
    cache = tmp_path / "cache"
    open_inbox(inbox, cache_dir=cache)
    # the G02 file of 2022-10 is replaced by G02's 2022-11 workbook renamed: a new version of the same file
    target = sorted((inbox / "2022-10").glob("G02_*.xlsx"))[0]
    src = sorted((DEMO_DIR / "raw" / "2022-11").glob("G02_*.xlsx"))[0]
    shutil.copy2(src, target)
    second = open_inbox(inbox, cache_dir=cache)
    assert second.ingested == 1
    # the file now holds 2022-11 rows in a 2022-10 folder: intake says so, and nothing else of the store moves
    g01 = second.tables["financials"]
    assert set(g01.loc[g01["enterprise_id"] == "G01", "period"]) == {"2022-10"}


def test_reading_in_worker_processes_stores_what_one_process_stores(tmp_path, monkeypatch):
    """The parallel read (a big batch) gives the same store, findings and quarantine as the serial one."""
    from guozi_analysis.intake import ingestion

    inbox = tmp_path / "inbox"
    (inbox / "2022-11").mkdir(parents=True)
    shutil.copy(DEMO_DIR / "raw" / "roster.xlsx", inbox / "roster.xlsx")
    for path in sorted((DEMO_DIR / "raw" / "2022-11").glob("*.xlsx"))[:3]:
        shutil.copy(path, inbox / "2022-11" / path.name)
    bad = inbox / "2022-11" / "G09_坏文件.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    monkeypatch.setattr(ingestion, "PARALLEL_MIN_FILES", 2)
    out = {}
    for jobs in (1, 2):
        report = ingestion.ingest([inbox], raw_store=tmp_path / f"raw{jobs}", processed_dir=tmp_path / f"p{jobs}",
                                  jobs=jobs)
        store = ingestion.load_processed(tmp_path / f"p{jobs}")
        out[jobs] = (report, store)
    (r1, s1), (r2, s2) = out[1], out[2]
    assert [(f.rule, f.file, f.sheet, f.row, f.message) for f in r1.findings] == \
        [(f.rule, f.file, f.sheet, f.row, f.message) for f in r2.findings]
    assert any(f.file == bad.name and f.is_error for f in r2.findings)
    assert [(f.status, f.accepted, f.quarantined) for f in r1.files] == \
        [(f.status, f.accepted, f.quarantined) for f in r2.files]
    assert sum(f.accepted for f in r2.files) > 500  # 690 rows of the roster and three groups
    assert set(s1) == set(s2)
    for name in s1:
        a = s1[name].drop(columns=[c for c in ("received_at", "source_file") if c in s1[name]])
        b = s2[name].drop(columns=[c for c in ("received_at", "source_file") if c in s2[name]])
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_many_series_projected_by_workers_match_one_process(monkeypatch):
    """project_items gives the same projections whatever the number of worker processes."""
    import numpy as np

    from guozi_analysis.analyses import forecast

    rng = np.random.default_rng(3)
    rows = []
    for k in range(4):
        for year in range(2017, 2023):
            cum = 0.0
            for month in range(1, 13 if year < 2022 else 11):
                cum += 100 + 10 * k + 5 * month + rng.normal(0, 3)
                if month > 1:
                    rows.append({"enterprise_id": f"E{k}", "period": f"{year}-{month:02d}", "revenue": cum})
    frame = pd.DataFrame(rows)
    monkeypatch.setattr(forecast, "PARALLEL_MIN_SERIES", 2)
    one = forecast.project_items(frame, items=("revenue",), as_of="2022-10", n_sims=200, jobs=1)
    two = forecast.project_items(frame, items=("revenue",), as_of="2022-10", n_sims=200, jobs=2)
    cols = ["enterprise_id", "item", "method", "median", "lo80", "hi80", "lo95", "hi95", "backtest_wape"]
    assert len(one) == 4 and one["median"].notna().all()
    pd.testing.assert_frame_equal(one[cols], two[cols])
    for a, b in zip(one["samples"], two["samples"]):
        np.testing.assert_array_equal(a, b)


_HELD = __import__("threading").Lock()


def _square_if_free(x: int) -> int:
    """In a worker: x² when the module's lock can be taken, else -1 (a forked worker inherits it taken)."""
    if not _HELD.acquire(timeout=3):
        return -1
    _HELD.release()
    return x * x


def test_workers_do_not_inherit_a_lock_another_thread_holds():
    """The parent may have threads (the runner's notebook threads, a kernel, a Dask client): workers are
    spawned, so a lock one of those threads holds is not inherited taken (a forked worker waited forever)."""
    import threading

    from guozi_analysis.base.parallel import map_in_processes

    release = threading.Event()
    holder = threading.Thread(target=lambda: (_HELD.acquire(), release.wait(30), _HELD.release()))
    holder.start()
    try:
        assert map_in_processes(_square_if_free, [1, 2, 3], jobs=2) == [1, 4, 9]
    finally:
        release.set()
        holder.join()


# ------------------------------------------------------------------------------------------------
# issue 27: lists in a publication are bounded (flagged + first/last N), the rest in the profiles and
# workbooks; a short list is printed whole
# ------------------------------------------------------------------------------------------------
def test_a_short_list_is_printed_whole():
    from guozi_analysis.publishing.lists import bounded, shown_rows

    assert shown_rows(5, rows=5, top=1).all()  # 5 rows ≤ rows=5: all
    frame = pd.DataFrame({"企业名称": list("ABCDE")})
    out = bounded(frame, rows=5, top=1)
    assert out is frame and not out.attrs.get("notes")


def test_a_long_list_keeps_the_flagged_and_both_ends_and_says_where_the_rest_are():
    from guozi_analysis.publishing.lists import ELSEWHERE, bounded

    frame = pd.DataFrame({"企业名称": [f"E{k}" for k in range(10)]})
    keep = [k == 4 for k in range(10)]
    out = bounded(frame, keep=keep, rows=5, top=2, what="亮红灯的企业")
    # 10 rows > 5: first 2 (E0, E1), last 2 (E8, E9) and the flagged E4 → 5 shown, 5 elsewhere
    assert list(out["企业名称"]) == ["E0", "E1", "E4", "E8", "E9"]
    assert out.attrs["notes"] == [f"共10家，本表列出亮红灯的企业及前2名和后2名（5家）；其余5家见{ELSEWHERE}。"]
    head = bounded(frame, rows=5, top=3, ends="head", unit="条")
    # head only: E0..E2, 7 elsewhere
    assert list(head["企业名称"]) == ["E0", "E1", "E2"]
    assert head.attrs["notes"] == [f"共10条，本表列出前3条（3条）；其余7条见{ELSEWHERE}。"]


def test_a_ranking_split_by_class_is_cut_class_by_class():
    from guozi_analysis.publishing.lists import shown_rows

    blocks = ["竞争类"] * 6 + ["功能类"] * 3
    # 9 rows > rows=4; top=1 per block: 竞争类 rows 0 and 5, 功能类 rows 6 and 8
    assert list(shown_rows(9, blocks=blocks, rows=4, top=1)) == [True, False, False, False, False, True,
                                                                 True, False, True]


def test_the_demo_lists_are_printed_whole():
    """The demo district's longest list (47 rows of traffic lights: district, 6 groups, 40 subsidiaries) is
    within ``lists.rows``, so the demo's publications lose nothing."""
    from guozi_analysis.publishing.lists import list_settings

    conf = list_settings()
    assert conf["rows"] >= 47 and conf["top"] >= 1
    assert conf["columns"] >= 6  # the demo's six groups as columns


@pytest.mark.slow
def test_the_review_of_500_enterprises_is_bounded_and_names_every_flagged_enterprise(tmp_path_factory,
                                                                                    monkeypatch):
    """issue 27, at 500 enterprises (11 copies of the demo, 66 groups): the internal review stays within
    ``pages.review`` (150; 269 pages before the lists were bounded), names every enterprise of the
    key-supervision list, and the 晾晒 workbook still has every enterprise. One profile (G01) is enough:
    the profiles volume is another publication. About 10 min on a quiet 2-core machine."""
    from openpyxl import load_workbook
    from pypdf import PdfReader

    from guozi_analysis.base import config
    from guozi_analysis.base.params import load_yaml
    from guozi_analysis.running import runner as pipeline

    root = tmp_path_factory.mktemp("scale500")
    generate_demo(root / "district", enterprises=500)
    monkeypatch.setattr(config, "PROCESSED_DIR", root / "processed")  # the intake store, not the project's
    reports = root / "reports"
    reports.mkdir()
    place = pipeline.PublicationPlace("review", "2022-11", reports / "review" / "2022-11",
                                      reports / "_build" / "review" / "2022-11")
    summary = pipeline.run_period("2022-11", entities=["G01"], jobs=2, raw_dir=root / "district" / "raw",
                                  runs_dir=root / "runs", publish_to=place.executed, log=lambda m: None)
    assert summary.ok, summary.table()
    written = pipeline.render_review(place, engine="builtin", editions=("internal",), reports_dir=reports,
                                     log=lambda m: None)
    reader = PdfReader(written["internal"]["pdf"])
    assert len(reader.pages) <= load_yaml("bulletins.yaml")["pages"]["review"]
    text = re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in reader.pages))
    listed = pd.read_parquet(next((root / "runs").rglob("risk_list.parquet")))  # the run's shared results
    assert len(listed) > 60  # more than a publication prints whole: the list is the bounded case
    missing = [n for n in listed["entity_name"].astype(str) if re.sub(r"\s+", "", n) not in text]
    assert not missing, missing[:10]
    roster = pd.read_parquet(next((root / "runs").rglob("table_roster.parquet")))
    book = next(p for p in (place.executed / "outputs").glob("*.xlsx") if "晾晒" in p.name)
    cells = {str(c) for ws in load_workbook(book, read_only=True).worksheets for row in ws.iter_rows(values_only=True)
             for c in row if c is not None}
    absent = [n for n in roster["name"].astype(str) if n not in cells]
    assert not absent, absent[:10]


def test_a_long_quality_table_puts_the_problem_rows_first_and_points_to_the_workbook(monkeypatch):
    from guozi_analysis.publishing import lists
    from guozi_analysis.publishing.views.quality import _bounded_tables

    monkeypatch.setattr(lists, "list_settings", lambda: {"rows": 3, "top": 2, "columns": 12, "column_top": 5})
    lines = ["## 分企业情况", "", "| 企业编码 | 错误数 | 警告数 | 隔离行数 |", "| --- | --- | --- | --- |",
             "| A | 0 | 0 | 0 |", "| B | 0 | 0 | 0 |", "| C | 0 | 1 | 0 |", "| D | 2 | 0 | 5 |", "", "尾"]
    out = _bounded_tables(lines)
    # 4 rows > rows=3: problem rows C (1 warning) and D (2 errors) first, then the head of 2 → C, D
    assert out[4:6] == ["| C | 0 | 1 | 0 |", "| D | 2 | 0 | 5 |"]
    assert out[6:8] == ["", "共4行，本表列出有错误、警告或隔离行的前2行（2行）；其余2行见数据质量工作簿。"]
    assert out[-2:] == ["", "尾"]
    assert _bounded_tables(lines[:7]) == lines[:7]  # 1 row: whole


def test_profile_page_answers_with_its_characters_not_its_text(tmp_path, monkeypatch):
    """Issue 27: the volume's font subset is built from each page's character set, so the process that
    collects 2,000 pages holds a few hundred characters each, not every page's HTML."""
    from guozi_analysis.publishing import profiles

    def chapter(notebook, *, work, pdf, meta, date):  # the built-in renderer's answer, without Typst
        Path(pdf).parent.mkdir(parents=True, exist_ok=True)
        Path(pdf).write_bytes(b"%PDF")
        return "甲企业画像", "<p>营收增长</p>"

    monkeypatch.setattr(profiles, "render_chapter", chapter)
    entry = {"code": "G01", "page": "G01.html", "pdf": "pdf/G01.pdf"}
    stage = tmp_path / "stage"
    chars = profiles._render_profile((tmp_path / "p.ipynb", entry, tmp_path / "work", stage, "澜海区画像", "副标题",
                                      None))
    page = (stage / "G01.html").read_text("utf-8")
    assert chars == frozenset(page)  # exactly the characters of the page it wrote
    # the body's four characters, the title's, the volume's name (nav and <title>) and the tags' letters
    assert set("营收增长甲企业画像澜海区副标题") <= chars and {"<", "/", "p", ">"} <= chars
    assert len(chars) < len(page)  # a set: each character once however often the page prints it


def test_the_indicator_history_is_each_months_indicators_in_turn(demo_tables):
    """Issue 27: the history's months are computed stacked, in one pass per indicator; the result is each
    month's own indicators one month after the other, row for row and dtype for dtype."""
    from guozi_analysis.indicators.formulas import compute_indicators
    from guozi_analysis.running.shared import indicator_history

    got = indicator_history(demo_tables, period="2022-11", months=3)
    expected = pd.concat([compute_indicators(demo_tables, period=p, roster=demo_tables["roster"])
                          for p in ("2022-09", "2022-10", "2022-11")], ignore_index=True)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got["period"].unique().tolist() == ["2022-09", "2022-10", "2022-11"]  # month after month
    # by hand: G01's debt-to-asset ratio of October is its 负债合计 / 资产总计 of October, in %
    fin = demo_tables["financials"]
    row = fin.loc[(fin["enterprise_id"] == "G01") & (fin["period"].astype(str).str[:7] == "2022-10")].iloc[-1]
    at = got.loc[(got["entity_id"] == "G01") & (got["period"] == "2022-10") & (got["indicator_id"] == "debt_to_asset_ratio")]
    assert at["value"].item() == pytest.approx(float(row["total_liabilities"]) / float(row["total_assets"]) * 100)


def test_blocks_must_cover_the_panel():
    from guozi_analysis.indicators.formulas import compute_from_panel

    panel = pd.DataFrame({"entity_id": ["G01", "G02"], "entity_name": ["甲", "乙"], "level": ["集团", "集团"],
                          "period": ["2022-11", "2022-11"]})
    with pytest.raises(ValueError, match="blocks 的行数之和（3）与面板行数（2）不符"):
        compute_from_panel(panel, blocks=[1, 2])


def test_release_memory_gives_back_what_a_step_freed():
    """Issue 27: after a step drops its frames, their memory leaves the process (glibc heap, Arrow pool)."""
    import numpy as np

    from guozi_analysis.base.store import release_memory

    before = release_memory()
    frames = [pd.DataFrame({"v": np.arange(20_000, dtype="float64"), "t": [f"企业{i}" for i in range(20_000)]})
              for _ in range(40)]  # ~40 × (160 KB of floats + 20,000 small strings)
    held = release_memory()
    del frames
    after = release_memory()
    assert before > 0 and held > before
    assert after < held  # the dropped frames' memory is no longer resident


def test_intake_and_shared_step_in_fresh_processes_write_what_one_process_writes(tmp_path, monkeypatch):
    """Issue 27: a big inbox's intake and shared step each run in a fresh process (its memory goes back to
    the system when it ends); the config paths go with them and the results are the same files."""
    import os

    from guozi_analysis.base import config
    from guozi_analysis.base.parallel import in_fresh_process
    from guozi_analysis.running import runner

    assert in_fresh_process(os.getpid) != os.getpid()
    with pytest.raises(OSError, match="接收校验所在的进程意外退出.*内存不足"):  # killed: said in Chinese
        in_fresh_process(os._exit, 9, what="接收校验")
    inbox = tmp_path / "inbox"
    shutil.copytree(DEMO_DIR / "raw", inbox)
    out = {}
    for threshold in (10**9, 1):  # in this process, then in fresh ones
        monkeypatch.setattr(config, "PROCESSED_DIR", tmp_path / f"store{threshold}")
        monkeypatch.setattr(runner, "FRESH_PROCESS_MIN_FILES", threshold)
        lines: list[str] = []
        written = runner.compute_shared("2022-11", raw_dir=inbox, processed_dir=tmp_path / f"p{threshold}",
                                        profiles=False, log=lines.append)
        # the intake store is where this process's config says, also when a fresh process wrote it
        assert list((tmp_path / f"store{threshold}" / "inboxes").iterdir())
        assert [re.sub(r"^\S+ (\S+?)[：（].*", r"\1", x) for x in lines] == ["接收校验", "共享步骤"]
        out[threshold] = {name: pd.read_parquet(path) for name, path in written.items()}
    assert out[1].keys() == out[10**9].keys() and len(out[1]) > 20
    for name, frame in out[1].items():
        pd.testing.assert_frame_equal(frame, out[10**9][name], obj=name)
    # an error in the fresh process reaches the caller whole (its Chinese message)
    (inbox / "roster.xlsx").unlink()
    with pytest.raises(Exception, match="名录"):
        runner.compute_shared("2022-11", raw_dir=inbox, processed_dir=tmp_path / "bad", log=lambda m: None)


def test_packed_tables_give_back_exact_frames_one_table_at_a_time():
    """Issue 27: a big batch's files wait pickled; a check gets an exact copy of the table it asks for,
    and only the last table asked for is kept unpacked."""
    from guozi_analysis.intake.ingestion import _Packed

    a = pd.DataFrame({"enterprise_id": pd.array(["G01", None], dtype="str"), "v": [1.5, float("nan")],
                      "n": pd.array([1, None], dtype="Int64")})
    b = pd.DataFrame({"period": pd.array(["2022-11"], dtype="str")})
    packed = _Packed.of({"financials": a, "debts": b})
    assert "financials" in packed and "roster" not in packed and packed._last == (None, None)  # nothing unpacked
    assert list(packed) == ["financials", "debts"] and len(packed) == 2
    pd.testing.assert_frame_equal(packed["financials"], a)
    assert packed["financials"] is packed["financials"]  # asked again: the same frame, not a new copy
    pd.testing.assert_frame_equal(packed["debts"], b)
    assert packed._last[0] == "debts"  # financials' frame is gone with the switch
    assert packed.get("roster") is None and dict(packed.items()).keys() == {"financials", "debts"}


def test_rows_by_gives_each_keys_rows_and_an_empty_slice_for_a_missing_key():
    """Issue 27: each key's rows from one grouping (used wherever a loop over enterprises reads their rows)."""
    from guozi_analysis.base.frames import rows_by

    frame = pd.DataFrame({"eid": ["G01", "G02", "G01"], "v": [1.0, 2.0, 3.0]})
    of = rows_by(frame, "eid")
    pd.testing.assert_frame_equal(of("G01"), frame.iloc[[0, 2]])
    pd.testing.assert_frame_equal(of("G02"), frame.iloc[[1]])
    missing = of("G99")
    assert missing.empty and list(missing.columns) == ["eid", "v"] and missing.dtypes.equals(frame.dtypes)
    by_array = rows_by(frame, frame["eid"].str.slice(0, 2).to_numpy())  # a key made from the rows
    assert len(by_array("G0")) == 3
