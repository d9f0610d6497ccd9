"""`guozi` command line: one subcommand per job an analyst runs.

Every subcommand imports its heavy modules lazily so that `guozi --help` is fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from guozi_analysis import __version__
from guozi_analysis.base import config
from guozi_analysis.base.params import load_yaml
from guozi_analysis.base.periods import parse_period
from guozi_analysis.demo import generate_demo
from guozi_analysis.intake.inbox import check_enterprises
from guozi_analysis.intake.template import template_command
from guozi_analysis.publishing.book import EDITIONS, prepare_book
from guozi_analysis.publishing.render import render
from guozi_analysis.running.commands import (
    assessment_command,
    catalogue_command,
    indicators_command,
    ingest_command,
    ranking_command,
    risk_command,
    targets_command,
)
from guozi_analysis.running.runner import RunLocked, default_publication, run_period


def _cmd_demo(args: argparse.Namespace) -> int:

    out = Path(args.out) if args.out else config.DEMO_DIR
    files = generate_demo(out)
    print(f"已生成示范区数据 {len(files)} 个文件 → {out}")
    return 0


def _cmd_ingest(args: argparse.Namespace) -> int:
    return ingest_command(args.data, findings_out=args.findings)


def _cmd_template(args: argparse.Namespace) -> int:
    print(template_command(args.period, args.enterprise, args.out, args.data))
    return 0


def _cmd_catalogue(args: argparse.Namespace) -> int:
    sys.stdout.write(catalogue_command(english=args.english))
    return 0


def _cmd_indicators(args: argparse.Namespace) -> int:
    for path in indicators_command(args.period, Path(args.out), args.data, english=args.english):
        print(path)
    return 0


def _cmd_ranking(args: argparse.Namespace) -> int:
    for path in ranking_command(args.period, Path(args.out), args.data):
        print(path)
    return 0


def _cmd_assess(args: argparse.Namespace) -> int:
    for path in assessment_command(args.year, Path(args.out), args.data):
        print(path)
    return 0


def _cmd_targets(args: argparse.Namespace) -> int:
    print(targets_command(args.year, args.data))
    return 0


def _cmd_risk(args: argparse.Namespace) -> int:
    sys.stdout.write(risk_command(args.period, args.data, english=args.english))
    return 0


def period_options(args: argparse.Namespace) -> dict:
    """Run options: ``params/periods/<period>.yaml`` first, then whatever the command line sets."""

    path = config.PARAMS_DIR / "periods" / f"{args.period}.yaml"
    options = load_yaml(f"periods/{args.period}.yaml").get("run", {}) if path.exists() else {}
    for key in ("entities", "jobs", "data", "cell_timeout", "notebook_timeout"):
        value = getattr(args, key, None)
        if value is not None:
            options[key] = value
    return options


def _cmd_run(args: argparse.Namespace) -> int:

    opts = period_options(args)
    parse_period(args.period)
    check_enterprises(opts.get("entities"), opts.get("data"))  # seconds: the roster alone, before any work
    try:
        summary = run_period(
            args.period,
            entities=opts.get("entities"),
            jobs=int(opts.get("jobs", 2)),
            raw_dir=Path(opts["data"]) if opts.get("data") else None,
            cell_timeout=int(opts.get("cell_timeout", 600)),
            notebook_timeout=int(opts.get("notebook_timeout", 1800)),
            force=args.force,
        )
    except RunLocked as exc:
        print(exc, file=sys.stderr)
        return 2
    if summary.results:
        print(summary.table())
    return 0 if summary.ok else 1


def _cmd_render(args: argparse.Namespace) -> int:
    prepare_book()  # the book's sources for the published run (generated, git-ignored)
    editions = [args.edition] if getattr(args, "edition", None) else list(EDITIONS)
    for edition in editions:
        result = render(config.REPORTS_DIR, engine=args.engine, edition=edition)
        for fmt, path in result.outputs.items():
            print(f"{EDITIONS[edition]} {fmt}（{result.engine}）: {path}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    code = _cmd_run(args)
    if code != 0:
        print("分析未全部成功，未渲染报告；上次发布的报告保持不变。", file=sys.stderr)
        return code

    if parse_period(args.period).is_half_monthly:
        print(f"半月晾晒已发布到 {default_publication(args.period)}（含 outputs/ 下的 Excel 晾晒表）；"
              "年度报告按月出版，本次不渲染。")
        return 0
    return _cmd_render(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="guozi", description="区/市国资委企业监测分析与年度报告工具")
    parser.add_argument("--version", action="version", version=f"guozi-analysis {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="（重新）生成示范区数据，逐字节确定")
    p.add_argument("--out", help="输出目录（默认 data/demo）")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("template", help="生成某期的 Excel 报送模板（每表一张工作表、中文表头、单位行、下拉选项）")
    p.add_argument("--period", required=True, help="期间，如 2022-11 或 2022-11-H1")
    p.add_argument("--enterprise", help="企业编号（预填该企业及其子企业）；缺省为全区")
    p.add_argument("--out", help="输出文件路径（默认 data/templates/）")
    p.add_argument("--data", help="取企业名录的收件目录（默认 params/district.yaml 的 data.inbox）")
    p.set_defaults(func=_cmd_template)

    p = sub.add_parser("ingest", help="接收报送文件：原样只读保存、校验（中文问题清单）、入库或隔离")
    p.add_argument("data", nargs="?", help="收件目录（默认 params/district.yaml 的 data.inbox，示范区为 data/demo/raw）")
    p.add_argument("--findings", help="问题清单 CSV 的输出路径（默认写在该收件目录的加工数据旁）")
    p.set_defaults(func=_cmd_ingest)

    p = sub.add_parser("catalogue", help="以 CSV 打印指标目录（六张报表、64项指标）")
    p.add_argument("--english", action="store_true", help="CSV 用英文表头（供脚本读取）")
    p.set_defaults(func=_cmd_catalogue)

    p = sub.add_parser("indicators", help="计算某期全部指标，写出 indicators.csv 与 Excel")
    p.add_argument("--period", required=True, help="期间，如 2022-11")
    p.add_argument("--out", required=True, help="输出目录")
    p.add_argument("--data", help="收件目录（默认 params/district.yaml 的 data.inbox，示范区为 data/demo/raw）")
    p.add_argument("--english", action="store_true", help="CSV 用英文表头（供脚本读取）")
    p.set_defaults(func=_cmd_indicators)

    p = sub.add_parser("ranking", help="半月晾晒：六张报表排名，写出可打印的 Excel 与 CSV")
    p.add_argument("--period", required=True, help="半月期间，如 2022-11-H2")
    p.add_argument("--out", required=True, help="输出目录")
    p.add_argument("--data", help="收件目录（默认 params/district.yaml 的 data.inbox，示范区为 data/demo/raw）")
    p.set_defaults(func=_cmd_ranking)

    p = sub.add_parser("risk", help="债务风险预警：以 CSV 打印重点监管对象名单（编号、名称、等级、规则、说明）")
    p.add_argument("--period", required=True, help="期间，如 2022-11")
    p.add_argument("--data", help="收件目录（默认 params/district.yaml 的 data.inbox，示范区为 data/demo/raw）")
    p.add_argument("--english", action="store_true", help="CSV 用英文表头（供脚本读取）")
    p.set_defaults(func=_cmd_risk)

    p = sub.add_parser("assess", help="年度经营业绩考核：计分表、排名与等级（Excel + CSV）")
    p.add_argument("--year", type=int, required=True, help="考核年度，如 2022")
    p.add_argument("--out", required=True, help="输出目录")
    p.add_argument("--data", help="收件目录（默认 params/district.yaml 的 data.inbox，示范区为 data/demo/raw）")
    p.set_defaults(func=_cmd_assess)

    p = sub.add_parser("targets", help="提出下一年度考核目标建议（写入 params/targets/<年>_proposed.yaml）")
    p.add_argument("--year", type=int, required=True, help="依据的年度，如 2022（建议 2023 年目标）")
    p.add_argument("--data", help="收件目录（默认 params/district.yaml 的 data.inbox，示范区为 data/demo/raw）")
    p.set_defaults(func=_cmd_targets)

    for name, helptext in (("run", "执行本期全部分析笔记本（papermill）"),
                           ("report", "执行本期分析并出版年度报告（HTML + PDF）")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--period", required=True, help="期间，如 2022-11 或 2022-11-H2")
        p.add_argument("--entities", nargs="*", help="只为这些企业生成画像（默认全部集团）")
        p.add_argument("--jobs", type=int, help="同时执行的笔记本数（默认 2）")
        p.add_argument("--cell-timeout", dest="cell_timeout", type=int, help="单个单元格时限（秒，默认 600）")
        p.add_argument("--notebook-timeout", dest="notebook_timeout", type=int,
                       help="单本笔记本总时限（秒，默认 1800）")
        p.add_argument("--data", help="收件目录（默认 params/district.yaml 的 data.inbox，示范区为 data/demo/raw）")
        p.add_argument("--force", action="store_true", help="输入未变也强制重跑")
        p.add_argument("--engine", default="auto", choices=["auto", "quarto", "builtin"],
                       help="渲染引擎（report 用）")
        p.set_defaults(func=_cmd_run if name == "run" else _cmd_report)

    p = sub.add_parser("render", help="把已执行的笔记本渲染成书（有 Quarto 用 Quarto，否则内置渲染器）")
    p.add_argument("--engine", default="auto", choices=["auto", "quarto", "builtin"])
    p.add_argument("--edition", choices=["internal", "public"], help="只出版一个版本（默认两个都出版）")
    p.set_defaults(func=_cmd_render)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # `guozi catalogue | head`: the reader left early, nothing is wrong
        sys.stderr.close()
        return 0
    except (ValueError, FileNotFoundError) as exc:  # a wrong parameter or a missing file: say so, no traceback
        print(f"错误：{exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
