"""The 半月晾晒通报's league tables and its 表扬/提醒 (issue 26), on a hand-made ranking."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from guozi_analysis.analyses import ranking as rk
from guozi_analysis.base.params import load_yaml
from guozi_analysis.publishing.published import frame_figures
from guozi_analysis.publishing.views import half_month

# One indicator per table, weight 1 each; points = 100 × (n − rank) / (n − 1) within the class.
#   groups (n = 3):      争突破 G01 100, G02 50, G03 0;   扩投资 G01 50, G02 100, G03 0
#     六表总分 (two tables, weights 1): G01 (100 + 50) / 2 = 75, G02 (50 + 100) / 2 = 75, G03 0
#     → G01 and G02 share rank 1 (并列), G03 rank 3
#   subsidiaries, 竞争类 (n = 2): E1 100 and 100 → 100, E2 0 and 0 → 0; 公益类: E3 alone, 100 and 100 → 100
POINTS = {
    ("group", "全部", "G01"): (100.0, 50.0), ("group", "全部", "G02"): (50.0, 100.0),
    ("group", "全部", "G03"): (0.0, 0.0),
    ("enterprise", "竞争类", "E1"): (100.0, 100.0), ("enterprise", "竞争类", "E2"): (0.0, 0.0),
    ("enterprise", "公益类", "E3"): (100.0, 100.0),
}
SHORT = {"G01": "甲集团", "G02": "乙集团", "G03": "丙集团", "E1": "子一", "E2": "子二", "E3": "子三"}


def _ranking() -> pd.DataFrame:
    rows = []
    for (level, klass, entity), points in POINTS.items():
        for (table, name, order), p in zip((("breakthrough", "争突破", 1), ("investment", "扩投资", 2)), points):
            rows.append({"level": level, "table": table, "table_name": name, "table_order": order,
                         "period": "2022-11-H2", "entity_id": entity, "entity_name": f"{SHORT[entity]}全称",
                         "group_id": entity[:3], "peer_class": klass, "weight": 1.0, "points": p,
                         "status": "正常", "is_size": False})
    return pd.DataFrame(rows)


def _ctx(tmp_path):
    ranking = _ranking()
    ranking.assign(light="").to_parquet(tmp_path / "ranking.parquet")
    rk.composite_scores(ranking).to_parquet(tmp_path / "ranking_composite.parquet")
    roster = pd.DataFrame({"enterprise_id": list(SHORT), "short_name": list(SHORT.values())})
    return SimpleNamespace(processed_dir=tmp_path, roster=roster, period="2022-11-H2")


def test_the_league_table_prints_every_score_with_ties_as_ties(tmp_path):
    ctx = _ctx(tmp_path)
    groups = half_month.league_table(ctx, level="group")
    assert list(groups.columns) == ["名次", "争突破", "扩投资", "六表总分", "较上期"]
    assert list(groups.index) == ["甲集团", "乙集团", "丙集团"]
    assert groups["名次"].tolist() == ["1（并列）", "1（并列）", "3"]
    assert groups["六表总分"].tolist() == [75.0, 75.0, 0.0]
    assert groups.loc["乙集团", "扩投资"] == 100.0 and groups.loc["甲集团", "扩投资"] == 50.0
    # the printed scores stay keyed to their entity and table (published-figure register)
    figures = {(f["entity"], f["item"]): f["text"] for f in frame_figures(groups)}
    assert float(figures[("G02", "ranking.investment")]) == 100.0
    subs = half_month.league_table(ctx, level="enterprise")
    assert list(subs.columns[:2]) == ["名次（类内）", "分类"]
    assert list(subs.index) == ["子一", "子二", "子三"]  # 竞争类 before 公益类 (params/ranking.yaml order)
    assert subs["名次（类内）"].tolist() == ["1", "2", "1"]
    assert subs["六表总分"].tolist() == [100.0, 0.0, 100.0]


def test_praise_and_remind_name_the_top_and_bottom_in_the_districts_wording(tmp_path):
    ctx = _ctx(tmp_path)
    text = half_month.praise_and_remind(ctx).data
    wording = load_yaml("bulletins.yaml")["half_month"]
    praise = wording["praise"].format(scope="集团", names="甲集团、乙集团（并列）", score="75.00")
    remind = wording["remind"].format(scope="集团", names="丙集团", score="0.00")
    assert praise in text and remind in text
    assert wording["praise"].format(scope="竞争类子企业", names="子一", score="100.00") in text
    assert wording["remind"].format(scope="竞争类子企业", names="子二", score="0.00") in text
    assert "子三" not in text  # 公益类 has one member: no first and last


def test_praise_and_remind_say_nothing_when_everybody_ties(tmp_path):
    ctx = _ctx(tmp_path)
    comp = pd.read_parquet(tmp_path / "ranking_composite.parquet")
    comp["score"], comp["rank"] = 50.0, 1
    comp.to_parquet(tmp_path / "ranking_composite.parquet")
    text = half_month.praise_and_remind(ctx).data
    assert "表扬" not in text.replace("未作表扬", "") and "位列" not in text
