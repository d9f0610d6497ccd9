"""The enterprise tree, and a district whose codes carry no structure grouped exactly like the demo.

Unit tests build small rosters by hand. The recoded-district tests read the demo through the
validating ingest, give every enterprise an unrelated 统一社会信用代码-like code (children share no
prefix with their parents), run indicators, the 晾晒 ranking and the risk rules on both districts, map
the recoded results back and require them to be identical.
"""

from __future__ import annotations

import random
import re
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from guozi_analysis.analyses import risk
from guozi_analysis.analyses.ranking import build_ranking
from guozi_analysis.base import config, contract
from guozi_analysis.base.entities import EnterpriseTree, EnterpriseTreeError, roster_problems
from guozi_analysis.indicators import compute_indicators
from guozi_analysis.intake.ingestion import ingest, load_processed

PERIOD = "2022-11"
HALF = "2022-11-H2"


# ------------------------------------------------------------------------------------------------
# the tree on hand-made rosters
# ------------------------------------------------------------------------------------------------
def _roster(rows: list[tuple]) -> pd.DataFrame:
    """(enterprise_id, parent_id, level) rows → a roster frame."""
    ids, parents, levels = zip(*rows)
    return pd.DataFrame({"enterprise_id": list(ids), "parent_id": list(parents), "level": list(levels)})


#: Codes with no structure at all; the second group is listed first and a subsidiary's code
#: looks like a child of the other group.
PLAIN = _roster([
    ("91330100MA2K0007", None, 1),
    ("91330100MA2K0003", "91330100MA2K0007", 2),
    ("91330100MA2K0001-01", "91330100MA2K0003", 3),  # shaped like a child of …0001, is not
    ("91330100MA2K0001", None, 1),
    ("913301007", "91330100MA2K0001", 2),  # shaped like a child of …0007's prefix, is not
    ("X", "91330100MA2K0007", 2),
])


def test_tree_groups_codes_without_structure():
    tree = EnterpriseTree.from_roster(PLAIN)
    a, b = "91330100MA2K0007", "91330100MA2K0001"
    assert tree.groups == (a, b)
    assert tree.order == (a, "91330100MA2K0003", "91330100MA2K0001-01", "X", b, "913301007")
    assert tree.group_of("91330100MA2K0001-01") == a
    assert tree.group_of("913301007") == b
    assert tree.group_of(b) == b
    assert tree.parent("91330100MA2K0001-01") == "91330100MA2K0003"
    assert tree.parent(a) is None
    assert tree.ancestors("91330100MA2K0001-01") == ("91330100MA2K0003", a)
    assert tree.ancestors(a) == ()
    assert tree.children(a) == ("91330100MA2K0003", "X")
    assert tree.subtree(a) == (a, "91330100MA2K0003", "91330100MA2K0001-01", "X")
    assert tree.descendants("91330100MA2K0003") == ("91330100MA2K0001-01",)
    assert tree.subtree("X") == ("X",)
    assert [tree.depth(e) for e in tree.order] == [1, 2, 3, 2, 1, 2]
    assert tree.is_group(b) and not tree.is_group("X")
    assert len(tree) == 6 and "X" in tree and "G01" not in tree and list(tree) == list(tree.order)
    with pytest.raises(KeyError, match="G01 不在企业名录中"):
        tree.group_of("G01")


def test_tree_frames_for_rollups():
    tree = EnterpriseTree.from_roster(PLAIN)
    a, b = "91330100MA2K0007", "91330100MA2K0001"
    groups = tree.group_map()
    assert groups.name == "group_id" and groups.index.name == "entity_id"
    assert groups.to_dict() == {a: a, "91330100MA2K0003": a, "91330100MA2K0001-01": a, "X": a,
                                b: b, "913301007": b}
    pairs = tree.pairs()
    assert list(pairs.columns) == ["ancestor_id", "entity_id"]
    got = sorted(map(tuple, pairs.to_numpy().tolist()))
    want = sorted([(a, a), ("91330100MA2K0003", "91330100MA2K0003"), (a, "91330100MA2K0003"),
                   ("91330100MA2K0001-01", "91330100MA2K0001-01"), ("91330100MA2K0003", "91330100MA2K0001-01"),
                   (a, "91330100MA2K0001-01"), ("X", "X"), (a, "X"), (b, b), ("913301007", "913301007"),
                   (b, "913301007")])
    assert got == want
    # a roll-up: every entity gets the sum over its subtree
    own = pd.Series({"91330100MA2K0001-01": 5.0, "X": 7.0, "913301007": 1.0, b: 2.0})
    rolled = pairs.assign(v=pairs["entity_id"].map(own).fillna(0.0)).groupby("ancestor_id")["v"].sum()
    assert rolled.to_dict() == {a: 12.0, "91330100MA2K0003": 5.0, "91330100MA2K0001-01": 5.0, "X": 7.0,
                                b: 3.0, "913301007": 1.0}
    frame = tree.frame()
    assert list(frame.index) == list(tree.order)
    assert frame.loc["X", ["parent_id", "group_id", "depth", "is_group"]].tolist() == [a, a, 2, False]
    assert frame.loc[b, "parent_id"] == "" and bool(frame.loc[b, "is_group"])


def test_tree_reads_blank_parents_and_does_not_touch_the_roster():
    roster = pd.DataFrame({"enterprise_id": [" A ", "B", "C", "D"], "parent_id": [np.nan, "A", " ", "nan"],
                           "level": ["1", 2.0, 1, pd.NA], "is_group": ["是", "否", True, None]})
    before = roster.copy()
    tree = EnterpriseTree.from_roster(roster)
    assert tree.groups == ("A", "C", "D") and tree.parent("B") == "A"
    pd.testing.assert_frame_equal(roster, before)
    assert EnterpriseTree.from_parents({"P": None, "Q": "P"}).subtree("P") == ("P", "Q")


@pytest.mark.parametrize(("rows", "words"), [
    ([("A", None, 1), ("B", "Z9", 2)], ["B", "Z9", "不在企业名录中"]),
    ([("A", "B", 1), ("B", "C", 2), ("C", "A", 3), ("D", None, 1)], ["A、B、C", "循环"]),
    ([("A", "A", 1)], ["A", "是它自己"]),
    ([("A", None, 1), ("B", "A", 2), ("B", None, 1)], ["重复", "B"]),
    ([("A", None, 1), ("", "A", 2)], ["第 2 条", "为空"]),
    ([("DISTRICT", None, 1)], ["DISTRICT", "全区合计"]),
    ([("A", None, 1), ("B", "A", 3)], ["企业级次", "B", "3", "应为 2 级"]),
    ([("A", None, 2)], ["企业级次", "A", "应为 1 级"]),
])
def test_bad_roster_is_a_chinese_error_naming_the_code(rows, words):
    with pytest.raises(EnterpriseTreeError) as info:
        EnterpriseTree.from_roster(_roster(rows))
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert message.startswith("企业名录的企业层级关系有误")
    for word in words:
        assert word in message, (word, message)
    assert info.value.problems and all(p in message for p in info.value.problems)


def test_is_group_flag_must_match_the_parent_chain():
    roster = _roster([("A", None, 1), ("B", "A", 2)]).assign(is_group=[False, True])
    problems = roster_problems(roster)
    assert len(problems) == 1 and "是否集团" in problems[0] and "A（" in problems[0] and "B（" in problems[0]
    assert roster_problems(roster, check_levels=False) == []
    assert EnterpriseTree.from_roster(roster, check_levels=False).groups == ("A",)


def test_every_problem_is_reported_at_once():
    problems = roster_problems(_roster([("A", None, 1), ("B", "Q", 2), ("C", "R", 2)]))
    assert len(problems) == 2 and "Q" in problems[0] and "R" in problems[1]


# ------------------------------------------------------------------------------------------------
# the demo district, recoded
# ------------------------------------------------------------------------------------------------
#: Fields holding a roster code (checked against the contract below).
CODE_FIELDS = {"enterprise_id", "parent_id", "guarantor_id", "beneficiary_id"}


@pytest.fixture(scope="session")
def demo_tables(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """The demo district read through the validating ingest (once per session)."""
    tmp = tmp_path_factory.mktemp("demo_ingest")
    ingest([Path(config.DEMO_DIR) / "raw"], raw_store=tmp / "raw", processed_dir=tmp / "processed")
    tables = load_processed(tmp / "processed")
    assert {"roster", "financials", "debts", "guarantees"} <= set(tables)
    return tables


def _uscc(rng: random.Random) -> str:
    """An 18-character 统一社会信用代码-like code."""
    alphabet = string.digits + "ABCDEFGHJKLMNPQRTUWXY"
    return "9133" + f"{rng.randint(0, 99):02d}" + f"{rng.randint(0, 99):02d}" + "MA" + "".join(
        rng.choice(alphabet) for _ in range(8))


def _code_map(roster: pd.DataFrame) -> dict[str, str]:
    """Old code → new code: groups keep their order, everyone else gets an unrelated shuffled code."""
    rng = random.Random(20221130)
    ids = roster["enterprise_id"].astype(str).tolist()
    fresh: list[str] = []
    while len(fresh) < len(ids):
        code = _uscc(rng)
        if code not in fresh:
            fresh.append(code)
    groups = [e for e, p in zip(ids, roster["parent_id"]) if pd.isna(p) or not str(p).strip()]
    group_codes = sorted(fresh[:len(groups)])  # group order preserved, also when sorted by code
    others = fresh[len(groups):]
    rng.shuffle(others)
    mapping = dict(zip(groups, group_codes))
    mapping.update(zip([e for e in ids if e not in mapping], others))
    return mapping


def _recode(tables: dict[str, pd.DataFrame], codes: dict[str, str], debts: dict[str, str]) -> dict[str, pd.DataFrame]:
    out = {}
    for name, frame in tables.items():
        new = frame.copy()
        for col in CODE_FIELDS & set(new.columns):
            new[col] = new[col].map(lambda v: codes.get(v, v)).astype(frame[col].dtype)
        if name == "debts":
            new["debt_id"] = new["debt_id"].map(debts).astype(frame["debt_id"].dtype)
        out[name] = new
    return out


def _back(frame: pd.DataFrame, reverse: dict[str, str]) -> pd.DataFrame:
    """Map every recoded code back, in id columns and inside any text."""
    pattern = re.compile("|".join(sorted(map(re.escape, reverse), key=len, reverse=True)))
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: pattern.sub(lambda m: reverse[m.group(0)], v) if isinstance(v, str)
                                    else v).astype(frame[col].dtype)
    return out


@pytest.fixture(scope="session")
def recoded(demo_tables):
    roster = demo_tables["roster"]
    codes = _code_map(roster)
    debt_ids = sorted(demo_tables["debts"]["debt_id"].astype(str).unique())
    shuffled = [f"RZ{k:05d}" for k in random.Random(7).sample(range(10_000, 99_999), len(debt_ids))]
    debts = dict(zip(debt_ids, shuffled))
    reverse = {v: k for k, v in {**codes, **debts}.items()}
    return _recode(demo_tables, codes, debts), codes, reverse


def test_recoding_covers_every_code_field_and_leaves_no_structure(demo_tables, recoded):
    tables, codes, _ = recoded
    old = set(codes)
    # every contract field holding a roster code is recoded: no other text field carries one
    for name, frame in demo_tables.items():
        assert name in {**contract.TABLES, **contract.LEDGER_TABLES}  # issue 17: the demo sends the ledgers too
        for col in frame.columns:
            if col in CODE_FIELDS or not (frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col])):
                continue
            values = set(frame[col].dropna().astype(str))
            assert not values & old, (name, col)
    assert not any(set(f[c].dropna().astype(str)) & old for f in tables.values() for c in CODE_FIELDS & set(f.columns))
    roster = tables["roster"]
    tree = EnterpriseTree.from_roster(roster)
    for e in tree.order:  # no code starts with (or shares the first 12 characters of) its parent's
        p = tree.parent(e)
        assert p is None or (not e.startswith(p) and e[:12] != p[:12]), (e, p)
    assert list(tree.groups) == [codes[g] for g in EnterpriseTree.from_roster(demo_tables["roster"]).groups]
    assert list(tree.groups) == sorted(tree.groups)
    assert list(tree.order) != sorted(tree.order)  # subsidiaries no longer sort under their group


def test_demo_tree_matches_the_demo_codes(demo_tables):
    """On the demo the parent codes and the (prefix-shaped) codes agree: the tree changes nothing there."""
    tree = EnterpriseTree.from_roster(demo_tables["roster"])
    assert tree.groups == ("G01", "G02", "G03", "G04", "G05", "G06")
    assert list(tree.order) == demo_tables["roster"]["enterprise_id"].astype(str).tolist()
    assert all(tree.group_of(e) == e.split("-")[0] for e in tree.order)
    assert all(set(tree.subtree(e)) == {x for x in tree.order if x == e or x.startswith(e + "-")} for e in tree)


@pytest.fixture(scope="session")
def indicators_both(demo_tables, recoded):
    tables, _, _ = recoded
    return (compute_indicators(demo_tables, period=PERIOD, roster=demo_tables["roster"]),
            compute_indicators(tables, period=PERIOD, roster=tables["roster"]))


def _same(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    assert len(a) == len(b)
    a = a.sort_values(keys, kind="stable").reset_index(drop=True)
    b = b.sort_values(keys, kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_recoded_district_has_identical_indicators(indicators_both, recoded):
    original, changed = indicators_both
    _, _, reverse = recoded
    assert original["value"].notna().sum() > 1000
    _same(original, _back(changed, reverse), ["entity_id", "indicator_id"])


def test_recoded_district_has_identical_ranking(demo_tables, recoded, indicators_both):
    tables, _, reverse = recoded
    original = build_ranking(demo_tables, period=HALF)
    changed = build_ranking(tables, period=HALF)
    ranking = _back(changed["ranking"], reverse)
    assert set(original["ranking"]["group_id"]) == {"G01", "G02", "G03", "G04", "G05", "G06"}
    _same(original["ranking"], ranking, ["level", "table", "indicator_id", "entity_id"])
    _same(original["ranking_composite"], _back(changed["ranking_composite"], reverse), ["level", "table", "entity_id"])


def test_recoded_district_has_identical_risk_flags_and_list(demo_tables, recoded, indicators_both):
    tables, _, reverse = recoded
    original_ind, changed_ind = indicators_both
    original = risk.evaluate_rules(demo_tables, original_ind, period=PERIOD, include_passed=True)
    changed = risk.evaluate_rules(tables, changed_ind, period=PERIOD, include_passed=True)
    assert original["triggered"].sum() > 0
    _same(original, _back(changed, reverse), ["entity_id", "rule_id"])
    listed = risk.key_supervision_list(original)
    assert len(listed) > 0
    _same(listed, _back(risk.key_supervision_list(changed), reverse), ["entity_id"])
