"""The `guozi` command line, called as an analyst would (in-process, through `main`)."""

import csv
import io

import pytest

from guozi_analysis.running import cli


def test_help_lists_every_job(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for command in ("demo", "template", "ingest", "catalogue", "indicators", "ranking", "risk", "assess",
                    "targets", "run", "report", "render"):
        assert command in out


def test_catalogue_prints_66_indicators_as_csv(capsys):
    assert cli.main(["catalogue"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("\ufeff")  # UTF-8 with BOM for Excel
    rows = list(csv.DictReader(io.StringIO(out[1:])))
    assert len(rows) == 66  # the district's 64 + 流动比率 + 国有资本保值增值率（预计） (issue 19)
    assert list(rows[0]) == ["指标编号", "报表", "指标名称", "单位", "方向", "口径", "汇总方式", "公式", "来源"]
    assert {r["报表"] for r in rows} == {"争突破", "扩投资", "稳增长", "盘资产", "保民生", "稳金融"}
    assert {r["方向"] for r in rows} <= {"越高越好", "越低越好", "区间内为好"}


def test_catalogue_english_headers_for_scripts(capsys):
    assert cli.main(["catalogue", "--english"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out[1:])))
    assert len(rows) == 66 and list(rows[0])[:3] == ["id", "table", "name_zh"]


@pytest.mark.slow
def test_indicators_command_writes_csv_and_excel_for_the_demo(tmp_path, capsys):
    import pandas as pd

    assert cli.main(["indicators", "--period", "2022-11", "--out", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "indicators.csv", encoding="utf-8-sig")
    assert (tmp_path / "indicators.xlsx").exists()
    levels = set(table.iloc[:, 2])  # enterprises, groups and the district
    assert len(levels) == 3
    assert table.iloc[:, 0].nunique() == 46 + 1  # 46 enterprises + DISTRICT


def test_bad_period_is_reported_in_chinese_without_a_traceback(capsys):
    assert cli.main(["run", "--period", "2022-13"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：") and "期间格式错误" in err and "Traceback" not in err


def test_catalogue_command_states_definitions_and_sources():
    """Issue 19: 已获利息倍数 counts 资本化利息, 流动比率 is a row, every row names a source or says 本区定义."""
    from guozi_analysis.running.commands import catalogue_command

    rows = {r["指标编号"]: r for r in csv.DictReader(io.StringIO(catalogue_command()[1:]))}
    assert "资本化利息支出" in rows["interest_coverage"]["公式"]
    assert rows["current_ratio"]["指标名称"] == "流动比率" and rows["current_ratio"]["公式"] == "流动资产 / 流动负债 × 100"
    assert "营业收入" in rows["revenue_growth"]["公式"] and "营业总收入" not in rows["revenue_growth"]["公式"]
    assert rows["revenue"]["指标名称"] == "营业总收入"
    assert rows["state_capital_preservation_ratio_ytd"]["指标名称"] == "国有资本保值增值率（预计）"
    official = ("《", "国资委", "国资发", "财政部", "财务快报")
    for iid, row in rows.items():
        source = row["来源"]
        assert source and "本项目" not in source, iid
        assert "本区定义" in source or any(word in source for word in official), iid
