"""Issue 27: the short bulletins (半月晾晒通报, 月度通报, 季度分析) keep within their page limits whatever the
number of enterprises, name every enterprise a reader must act on, and their workbooks keep every row.

The fast tests pin the list helpers on small frames (values worked out by hand); the slow ones publish the
three bulletins of a generated district of 500 enterprises (11 copies of the demo, 66 groups) once per module.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from guozi_analysis.base.store import read_shared
from guozi_analysis.publishing.lists import ELSEWHERE, in_sentence, ranked, take_rows
from guozi_analysis.publishing.published import keyed


def _settings(monkeypatch, **conf):
    from guozi_analysis.publishing import lists

    base = {"rows": 60, "top": 15, "columns": 12, "column_top": 5, "bulletin_top": 5, "names": 12}
    monkeypatch.setattr(lists, "list_settings", lambda: base | conf)


def _groups() -> pd.DataFrame:
    values = [3.0, 1.0, 4.0, 1.5, 5.0, 9.0, 2.0, 6.0, np.nan, 5.5]
    frame = pd.DataFrame({"企业": [f"G{k}" for k in range(10)] + ["全区"], "收入（亿元）": values + [100.0]})
    return keyed(frame, period="2022-10", entities=[f"G{k}" for k in range(10)] + ["DISTRICT"],
                 columns={"收入（亿元）": ("revenue", "", "亿元")})


def test_a_short_table_of_groups_is_printed_whole_in_the_rosters_order(monkeypatch):
    _settings(monkeypatch, rows=11)
    frame = _groups()
    assert ranked(frame, by="收入（亿元）", total=[False] * 10 + [True]) is frame  # 11 rows ≤ rows=11


def test_a_long_table_of_groups_keeps_the_total_the_flagged_and_both_ends_of_the_ranking(monkeypatch):
    _settings(monkeypatch, rows=5)
    out = ranked(_groups(), by="收入（亿元）", total=[False] * 10 + [True], keep=[k == 1 for k in range(11)],
                 what="未报送的集团", top=2, elsewhere="工作簿")
    # 10 groups ranked by 收入, largest first: G5 9, G7 6, G9 5.5, G4 5, G2 4, G0 3, G6 2, G3 1.5, G1 1, G8 (blank, last)
    # first 2: G5, G7; last 2: G1, G8; flagged G1 already among them → 4 groups, then the district where it stood (last)
    assert list(out["企业"]) == ["G5", "G7", "G1", "G8", "全区"]
    assert list(out.index) == [0, 1, 2, 3, 4]  # row numbers afresh: a printed table shows no old row numbers
    assert out.attrs["guozi_figures"]["entities"] == ["G5", "G7", "G1", "G8", "DISTRICT"]
    assert out.attrs["guozi_figures"]["rows"] == 5
    # 10 groups (the total row is not one), 4 shown, 6 in the workbook
    assert out.attrs["notes"] == ["共10家，本表列出未报送的集团及按收入从高到低排列的前2名和后2名（4家）；其余6家见工作簿。"]
    low = ranked(_groups(), by="收入（亿元）", total=[False] * 10 + [True], ascending=True, top=1)
    # smallest first: G1 1 … G5 9, blank G8 last → first G1, last G8
    assert list(low["企业"]) == ["G1", "G8", "全区"]
    assert low.attrs["notes"] == [f"共10家，本表列出按收入从低到高排列的前1名和后1名（2家）；其余8家见{ELSEWHERE}。"]


def test_taking_rows_cuts_the_key_row_by_row():
    frame = keyed(pd.DataFrame({"a": [1.0, 2.0, 3.0]}), period="2022-10", entities=["A", "B", "C"],
                  units=["亿元", "%", "亿元"], columns={"a": ("revenue", "", None, ["X", "Y", "Z"])})
    out = take_rows(frame, [2, 0])
    key = out.attrs["guozi_figures"]
    assert list(out["a"]) == [3.0, 1.0]
    assert (key["rows"], key["entities"], key["units"]) == (2, ["C", "A"], ["亿元", "亿元"])
    assert key["columns"]["a"][3] == ["Z", "X"]  # a column's entity given row by row follows its rows


def test_names_in_a_sentence_are_cut_past_the_limit(monkeypatch):
    _settings(monkeypatch, names=3, bulletin_top=2)
    assert in_sentence(["甲", "乙", "丙"]) == "甲、乙、丙"  # 3 ≤ names=3: all
    assert in_sentence(["甲", "乙", "丙", "丁"]) == "甲、乙等4家"  # 4 > 3: the first bulletin_top=2 and the count


# ------------------------------------------------------------------------------------------------
# the three bulletins of a district of 500 enterprises
# ------------------------------------------------------------------------------------------------
BULLETINS = {"half_month": "2022-11-H2", "monthly": "2022-10", "quarterly": "2022-Q3"}


@pytest.fixture(scope="module")
def district500(tmp_path_factory):
    """Publishes the three bulletins of a generated district of 500 enterprises (the intake store in a
    temporary folder; one intake shared by the three runs). About 15 min on a quiet 2-core machine."""
    from guozi_analysis.base import config
    from guozi_analysis.demo import generate_demo
    from guozi_analysis.running import runner as pipeline

    root = tmp_path_factory.mktemp("pages500")
    generate_demo(root / "district", enterprises=500)
    reports = root / "reports"
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(config, "PROCESSED_DIR", root / "processed")  # the intake store, not the project's
        for kind, label in BULLETINS.items():
            folder = pipeline.PUBLICATIONS[kind]["folder"]
            place = pipeline.PublicationPlace(kind, label, reports / folder / label, reports / "_build" / folder / label)
            summary = pipeline.run_period(label, jobs=2, raw_dir=root / "district" / "raw", runs_dir=root / "runs",
                                          publish_to=place.executed, publication=kind, log=lambda m: None)
            assert summary.ok, summary.table()
            written = pipeline.render_bulletin(place, period=label, engine="builtin", log=lambda m: None)
            out[kind] = {"pdf": written["pdf"], "place": place, "processed": summary.run_dir / "processed"}
    return out


def _printed(pdf) -> tuple[int, str]:
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    return len(reader.pages), re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in reader.pages))


def _limit(kind: str) -> int:
    from guozi_analysis.base.params import load_yaml

    return int(load_yaml("bulletins.yaml")["pages"][kind])


def _cells(book) -> set[str]:
    from openpyxl import load_workbook

    return {str(c) for ws in load_workbook(book, read_only=True).worksheets for row in ws.iter_rows(values_only=True)
            for c in row if c is not None}


def _book(place, pattern: str):
    found = sorted({p.name: p for p in [*place.build.rglob("*.xlsx"), *place.executed.rglob("*.xlsx")]
                    if pattern in p.name}.values())
    assert found, f"没有工作簿 *{pattern}*"
    return found[0]


def _short(processed) -> dict[str, str]:
    roster = read_shared(processed, "table_roster")
    return dict(zip(roster["enterprise_id"].astype(str), roster["short_name"].astype(str)))


def _groups_of(processed) -> list[str]:
    roster = read_shared(processed, "table_roster")
    return list(roster.loc[roster["is_group"].astype(bool), "enterprise_id"].astype(str))


def _missing(names: list[str], text: str) -> list[str]:
    return [n for n in names if re.sub(r"\s+", "", n) not in text]


@pytest.mark.slow
def test_the_half_month_bulletin_of_500_is_bounded_and_names_every_red_light_and_missing_report(district500):
    got = district500["half_month"]
    pages, text = _printed(got["pdf"])
    assert pages <= _limit("half_month"), pages
    short, processed = _short(got["processed"]), got["processed"]
    groups = _groups_of(processed)
    assert len(groups) > 12  # about 11 copies of the demo's six groups: the long case
    ranking = read_shared(processed, "ranking")
    red = ranking.loc[(ranking["level"] == "group") & (ranking["light"] == "红灯"), "entity_id"].astype(str).unique()
    assert not _missing([short[e] for e in red], text)
    quality = read_shared(processed, "quality_summary")
    late = quality.loc[~quality["financials_submitted"].astype(bool) | (quality["quarantined"] > 0), "enterprise_id"]
    assert not _missing([short[e] for e in late.astype(str) if e in short], text)
    cells = _cells(_book(got["place"], "晾晒"))
    assert not [e for e in ranking["entity_id"].astype(str).unique() if short.get(e, e) not in cells
                and e not in cells and e != "DISTRICT"][:10]


@pytest.mark.slow
def test_the_monthly_of_500_is_bounded_and_names_every_new_listing_and_red_light(district500):
    got = district500["monthly"]
    pages, text = _printed(got["pdf"])
    assert pages <= _limit("monthly"), pages
    short, processed = _short(got["processed"]), got["processed"]
    changes = read_shared(processed, "risk_changes")
    moved = changes.loc[changes["change"].isin(["新列入", "移出"]), "entity_id"].astype(str)
    assert not _missing([short.get(e, e) for e in moved], text)
    from guozi_analysis.analyses.operations import loss_makers
    from guozi_analysis.publishing.views import bulletins, open_context

    ctx = open_context(period=BULLETINS["monthly"], processed_dir=processed)
    pace = bulletins.pace_table(ctx, whole=True)
    assert not _missing(list(pace.loc[pace["灯号"] == "红灯", "企业"]), text)  # every red light
    losses = loss_makers(read_shared(processed, "table_financials"), periods=["2022-10"],
                         entities=list(short))
    assert not _missing([short[e] for e in losses.loc["2022-10", "loss_entities"]], text)  # every loss maker
    cells = _cells(_book(got["place"], "月度通报"))
    assert not _missing([short[g] for g in _groups_of(processed)], "".join(cells))  # every group in the workbook


@pytest.mark.slow
def test_the_quarterly_of_500_is_bounded_and_its_workbook_has_every_group(district500):
    got = district500["quarterly"]
    pages, text = _printed(got["pdf"])
    assert pages <= _limit("quarterly"), pages
    short, processed = _short(got["processed"]), got["processed"]
    flags = read_shared(processed, "risk_flags")
    walled = flags.loc[(flags["rule_id"] == "maturity_wall") & flags["triggered"].astype(bool), "entity_id"]
    groups = _groups_of(processed)
    assert not _missing([short[g] for g in walled.astype(str) if g in groups], text)
    from openpyxl import load_workbook

    book = load_workbook(_book(got["place"], "季度分析"), read_only=True)
    for sheet in ("分集团", "投资进度", "分集团单季", "分季度营业总收入", "债务集中到期"):
        cells = {str(c) for row in book[sheet].iter_rows(values_only=True) for c in row if c is not None}
        assert not [short[g] for g in groups if short[g] not in cells], sheet
