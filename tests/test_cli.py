"""The `guozi` command line, called as an analyst would: in-process through `main`, and as a real
process for the mistakes (what reaches the terminal is what is asserted).
"""

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from guozi_analysis.running import cli

SRC = Path(__file__).resolve().parents[1] / "src"
#: argparse's own English, which must never reach an analyst.
ENGLISH = ("usage:", "options:", "positional arguments", "invalid choice", "the following arguments are required",
           "error:", "unrecognized arguments", "expected one argument", "invalid int value", "Traceback")
COMMANDS = ("demo", "template", "ingest", "catalogue", "indicators", "ranking", "risk", "contracts", "assess", "targets", "run",
            "report", "render")


def guozi(*args: str, path: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the real `guozi` entry point of this tree in a subprocess (``path`` replaces ``PATH``)."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    if path is not None:
        env["PATH"] = path
    return subprocess.run([sys.executable, "-m", "guozi_analysis.running.cli", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=300)


def assert_chinese_usage_error(proc: subprocess.CompletedProcess, *expected: str) -> None:
    """Exit code 2, the Chinese usage line and message on stderr, none of argparse's English."""
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("用法：guozi")
    assert "错误：" in proc.stderr
    for text in expected:
        assert text in proc.stderr
    for word in ENGLISH:
        assert word not in proc.stderr


def test_help_lists_every_job(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert command in out


@pytest.mark.parametrize("args", [["--help"], ["risk", "--help"], ["run", "--help"], ["ingest", "--help"]])
def test_help_is_chinese(args):
    proc = guozi(*args)
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.startswith("用法：guozi")
    assert "选项：" in proc.stdout and "显示本帮助并退出" in proc.stdout
    for word in ENGLISH:
        assert word not in proc.stdout


def test_top_level_help_names_the_subcommands_and_version_in_chinese():
    out = guozi("--help").stdout
    assert "子命令：" in out and "显示版本号并退出" in out
    assert "债务风险预警" in out


def test_subcommand_help_describes_the_options_in_chinese():
    out = guozi("run", "--help").stdout
    assert "--kernel-start-timeout 秒" in out
    assert "--period 期间" in out and "期间，如 2022-11" in out


def test_help_columns_line_up_with_chinese_text():
    lines = guozi("run", "--help").stdout.splitlines()
    jobs = next(line for line in lines if line.startswith("  --jobs"))
    force = next(line for line in lines if line.startswith("  --force"))
    assert cli.display_width(jobs[:jobs.index("同时执行")]) == cli.display_width(force[:force.index("输入未变")])


def test_unknown_subcommand():
    proc = guozi("rsik")
    assert_chinese_usage_error(proc, "未知的子命令「rsik」", "可用：demo、template、", "是不是「risk」")


def test_no_subcommand():
    proc = guozi()
    assert_chinese_usage_error(proc, "缺少子命令，可用：demo、template、ingest、catalogue")


def test_missing_argument():
    proc = guozi("risk")
    assert_chinese_usage_error(proc, "guozi risk：错误：缺少必需的参数：--period")


def test_missing_value_of_an_option():
    proc = guozi("risk", "--period")
    assert_chinese_usage_error(proc, "参数 --period 后面缺少取值")


def test_invalid_choice():
    proc = guozi("render", "--engine", "qaurto")
    assert_chinese_usage_error(proc, "参数 --engine 的取值「qaurto」无效", "可选：auto、quarto、builtin",
                               "是不是「quarto」")


def test_invalid_number():
    assert_chinese_usage_error(guozi("assess", "--year", "二〇二二", "--out", "x"), "参数 --year 应为整数，收到「二〇二二」")
    assert_chinese_usage_error(guozi("run", "--period", "2022-11", "--jobs", "0"), "参数 --jobs：应为正整数，收到「0」")


def test_unrecognized_argument():
    proc = guozi("catalogue", "--all")
    assert_chinese_usage_error(proc, "无法识别的参数：--all")


def test_ambiguous_option():
    proc = guozi("run", "--period", "2022-11", "--e", "G01")
    assert_chinese_usage_error(proc, "选项 --e 有歧义，可能是：--entities、--engine")


@pytest.mark.parametrize("args", [["render", "--engine", "quarto"],
                                  ["report", "--period", "2022-11", "--engine", "quarto"]])
def test_quarto_asked_for_but_absent_is_said_before_any_work(args, tmp_path):
    proc = guozi(*args, path=str(tmp_path))  # a PATH without quarto
    assert proc.returncode == 2
    assert proc.stdout == ""  # nothing ran: no shared step, no notebook
    assert proc.stderr.startswith("错误：本机未安装 Quarto")
    assert "conda-forge" in proc.stderr and "--engine builtin" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_catalogue_prints_69_indicators_as_csv(capsys):
    assert cli.main(["catalogue"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("\ufeff")  # UTF-8 with BOM for Excel
    rows = list(csv.DictReader(io.StringIO(out[1:])))
    assert len(rows) == 69  # the district's 64 + 流动比率 + 国有资本保值增值率（预计） (issue 19) + 存量资产盘活率 (issue 25) + 营业成本、三项费用 (issue 26)
    assert list(rows[0]) == ["指标编号", "报表", "指标名称", "单位", "方向", "口径", "汇总方式", "公式", "来源"]
    assert {r["报表"] for r in rows} == {"争突破", "扩投资", "稳增长", "盘资产", "保民生", "稳金融"}
    assert {r["方向"] for r in rows} <= {"越高越好", "越低越好", "区间内为好"}


def test_catalogue_english_headers_for_scripts(capsys):
    assert cli.main(["catalogue", "--english"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out[1:])))
    assert len(rows) == 69 and list(rows[0])[:3] == ["id", "table", "name_zh"]


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


@pytest.mark.parametrize("exc, expected, code", [
    (KeyError("G99"), "错误：数据中找不到「G99」", 2),
    (FileNotFoundError(2, "No such file or directory", "/无此目录/a.xlsx"), "错误：找不到文件或目录：/无此目录/a.xlsx", 2),
    (PermissionError(13, "Permission denied", "/etc/x"), "错误：没有访问权限：/etc/x", 2),
    (cli.RenderError("排版失败：字体缺失"), "错误：排版失败：字体缺失", 1),
    (cli.RunLocked("另一个 guozi run 正在运行"), "错误：另一个 guozi run 正在运行", 2),
])
def test_everyday_errors_end_with_one_chinese_line(monkeypatch, capsys, exc, expected, code):
    def fails(args):
        raise exc

    monkeypatch.setattr(cli, "_cmd_catalogue", fails)
    monkeypatch.delenv("GUOZI_DEBUG", raising=False)
    assert cli.main(["catalogue"]) == code
    captured = capsys.readouterr()
    assert captured.err.startswith(expected) and captured.err.count("\n") == 1
    assert "Traceback" not in captured.err and "Errno" not in captured.err and "Permission" not in captured.err


def test_a_bug_keeps_its_traceback(monkeypatch):
    def fails(args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(cli, "_cmd_catalogue", fails)
    with pytest.raises(ZeroDivisionError):
        cli.main(["catalogue"])


def test_run_options_from_the_period_file_must_be_positive_numbers(tmp_path, monkeypatch):
    from guozi_analysis.base import config

    (tmp_path / "periods").mkdir()
    (tmp_path / "periods" / "2022-11.yaml").write_text("run:\n  kernel_start_timeout: 一分钟\n", "utf-8")
    monkeypatch.setattr(config, "PARAMS_DIR", tmp_path)
    args = cli.build_parser().parse_args(["run", "--period", "2022-11", "--jobs", "3"])
    opts = cli.period_options(args)
    assert cli.positive_option(opts, "jobs", period="2022-11") == 3
    assert cli.positive_option(opts, "cell_timeout", period="2022-11") == 600
    with pytest.raises(ValueError, match="kernel_start_timeout 应为正整数，现为「一分钟」"):
        cli.positive_option(opts, "kernel_start_timeout", period="2022-11")
    args = cli.build_parser().parse_args(["run", "--period", "2022-11", "--kernel-start-timeout", "120"])
    assert cli.positive_option(cli.period_options(args), "kernel_start_timeout", period="2022-11") == 120


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


def test_run_lists_notebooks_once_and_only_the_failures_again(monkeypatch, capsys, tmp_path):
    """issue 28: the notebooks were each listed as they finished (progress bar or log lines); the command's
    closing output adds the failed ones with their cell and error, and nothing when all succeeded."""
    from guozi_analysis.running import runner

    results = [runner.JobResult("10_district_overview.ipynb", "", "成功", 3.0),
               runner.JobResult("profile_G02", "", "失败", 1.0, "企业 G02 的数据损坏", 2)]
    outcome = {"results": results[:1]}
    monkeypatch.setattr(cli, "check_enterprises", lambda *a, **k: None)
    monkeypatch.setattr(cli, "run_period", lambda *a, **k: runner.RunSummary("2022-11", tmp_path,
                                                                             list(outcome["results"])))
    assert cli.main(["run", "--period", "2022-11"]) == 0
    assert "10_district_overview" not in capsys.readouterr().out
    outcome["results"] = results
    assert cli.main(["run", "--period", "2022-11"]) == 1
    out = capsys.readouterr().out
    assert "profile_G02" in out and "（第 2 个单元格）企业 G02 的数据损坏" in out
    assert "10_district_overview" not in out


def test_stdout_is_flushed_line_by_line_when_it_is_a_file(tmp_path):
    """issue 28: in a scheduler's log each stage's line arrives when the stage ends, not in a burst."""
    with open(tmp_path / "log.txt", "w", encoding="utf-8") as stream:
        saved = (sys.stdout, sys.stderr)
        sys.stdout = stream
        try:
            cli.line_buffered()
            assert stream.line_buffering
        finally:
            sys.stdout, sys.stderr = saved
