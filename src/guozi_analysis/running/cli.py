"""`guozi` command line: one subcommand per job an analyst runs.

The parser speaks Chinese (usage, help and every argparse error), and :func:`main` turns the
everyday mistakes (a wrong parameter, a missing file, an absent Quarto) into a one-line Chinese
message and a non-zero exit code instead of a traceback.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import errno
import os
import re
import sys
import unicodedata
from pathlib import Path

from guozi_analysis import __version__
from guozi_analysis.base import config
from guozi_analysis.base.figures import FIGURES_FILE, conflicts, conflicts_text, read_figures
from guozi_analysis.base.params import load_yaml
from guozi_analysis.base.periods import parse_period
from guozi_analysis.demo import generate_demo
from guozi_analysis.intake.inbox import check_enterprises, resolve_inbox
from guozi_analysis.intake.template import template_command
from guozi_analysis.publishing.book import EDITIONS
from guozi_analysis.publishing.coverage import coverage_sentence
from guozi_analysis.publishing.render import QuartoError, RenderError, quarto_available
from guozi_analysis.publishing.views.context import Context
from guozi_analysis.running.commands import (
    assessment_command,
    catalogue_command,
    contracts_command,
    indicators_command,
    ingest_command,
    ranking_command,
    risk_command,
    targets_command,
)
from guozi_analysis.running.runner import (
    PUBLICATIONS,
    RunLocked,
    cluster_session,
    latest_review,
    publication_kind,
    publication_place,
    render_bulletin,
    render_review,
    run_period,
)

# ---------------------------------------------------------------------------------------------
# argparse in Chinese
# ---------------------------------------------------------------------------------------------

#: argparse's type names as said in an error message (``invalid int value``).
_TYPE_NAMES = {"int": "整数", "float": "数字", "positive_int": "正整数"}

_ARGUMENT_MESSAGE = re.compile(r"^argument (?P<name>.+?): (?P<message>.+)$", re.S)


def display_width(text: str) -> int:
    """Terminal columns of ``text``: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class ChineseHelpFormatter(argparse.HelpFormatter):
    """Help and usage with the Chinese ``用法：`` prefix and ``选项：`` headings, aligned for Chinese text.

    argparse measures text with ``len``; a Chinese character is two columns wide on a terminal,
    so the usage continuation lines and the help column are shifted back into place here.
    """

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)

    def start_section(self, heading):
        self._headings = [*getattr(self, "_headings", []), heading]
        super().start_section(heading)

    def format_help(self) -> str:
        text = super().format_help()
        for heading in getattr(self, "_headings", []):
            text = re.sub(rf"^(\s*){re.escape(heading)}:$", rf"\g<1>{heading}：", text, flags=re.M)
        return text

    def _format_usage(self, usage, actions, groups, prefix):
        text = super()._format_usage(usage, actions, groups, prefix)
        shift = " " * (display_width(prefix or "") - len(prefix or ""))
        first, *rest = text.split("\n")
        return "\n".join([first, *(shift + line if line.startswith(" ") else line for line in rest)])

    def _format_action(self, action):
        text = super()._format_action(action)
        header = self._format_action_invocation(action)
        extra = display_width(header) - len(header)
        first, newline, rest = text.partition("\n")
        start = first.find(header)
        after = first[start + len(header):] if start >= 0 else ""
        if extra <= 0 or not after.strip():
            return text
        padding = len(after) - len(after.lstrip(" "))
        if padding - extra >= 2:
            first = first[:start + len(header)] + after[extra:]
        else:  # no room left: the help goes under the option, at the help column
            first = first[:start + len(header)] + "\n" + " " * (start + len(header) + padding) + after.lstrip(" ")
        return first + newline + rest


class ChineseArgumentParser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` whose help, section titles and errors are Chinese.

    Errors print the usage line and ``<prog>：错误：<中文说明>`` on stderr and exit with code 2.
    Subparsers must be created with ``parser_class=ChineseArgumentParser`` (see :func:`build_parser`).
    """

    def __init__(self, *args, add_help: bool = True, formatter_class=ChineseHelpFormatter, **kwargs):
        super().__init__(*args, add_help=False, formatter_class=formatter_class, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助并退出")

    def error(self, message: str):
        """Print the usage and the Chinese form of argparse's ``message``, then exit with code 2."""
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{translate_error(message, self)}\n"
                     f"（查看说明：{self.prog} --help）\n")


def _action_name(action: argparse.Action) -> str:
    """How argparse names ``action`` in its messages (``--period``, ``-h/--help``, the metavar or dest)."""
    if action.option_strings:
        return "/".join(action.option_strings)
    if action.metavar not in (None, argparse.SUPPRESS):
        return str(action.metavar)
    return str(action.dest)


def _find_action(parser: argparse.ArgumentParser, name: str) -> argparse.Action | None:
    return next((a for a in parser._actions if _action_name(a) == name), None)


def _subcommands(parser: argparse.ArgumentParser) -> list[str]:
    """The subcommand names of ``parser`` (empty for a leaf parser)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


def _unquote(text: str) -> str:
    """``'x'`` (a repr in argparse's message) → ``x``."""
    text = text.strip()
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    return value if isinstance(value, str) else text


def _listing(items) -> str:
    return "、".join(items)


def _split_choices(text: str) -> list[str]:
    return [_unquote(c) for c in text.split(", ") if c.strip()]


def _did_you_mean(value: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.5)
    return f"；是不是「{close[0]}」？" if close else ""


def _translate_argument_error(name: str, message: str, parser: argparse.ArgumentParser) -> str:
    """Chinese for ``argument <name>: <message>`` (an error about one argument)."""
    action = _find_action(parser, name)
    if m := re.match(r"^invalid choice: (?P<value>.+?) \(choose from (?P<choices>.*)\)$", message, re.S):
        value, choices = _unquote(m["value"]), _split_choices(m["choices"])
        if isinstance(action, argparse._SubParsersAction):
            return f"未知的子命令「{value}」，可用：{_listing(choices)}{_did_you_mean(value, choices)}"
        return f"参数 {name} 的取值「{value}」无效，可选：{_listing(choices)}{_did_you_mean(value, choices)}"
    if m := re.match(r"^invalid (?P<type>\S+) value: (?P<value>.+)$", message, re.S):
        kind = _TYPE_NAMES.get(m["type"], m["type"])
        return f"参数 {name} 应为{kind}，收到「{_unquote(m['value'])}」"
    if message == "expected one argument":
        return f"参数 {name} 后面缺少取值"
    if message == "expected at least one argument":
        return f"参数 {name} 至少需要一个取值"
    if message == "expected at most one argument":
        return f"参数 {name} 最多只能有一个取值"
    if m := re.match(r"^expected (?P<n>\d+) arguments?$", message):
        return f"参数 {name} 需要 {m['n']} 个取值"
    if m := re.match(r"^ignored explicit argument (?P<value>.+)$", message):
        return f"选项 {name} 不接受取值（收到「{_unquote(m['value'])}」）"
    if m := re.match(r"^not allowed with argument (?P<other>.+)$", message):
        return f"参数 {name} 不能与 {m['other']} 同时使用"
    return f"参数 {name}：{message}"


def translate_error(message: str, parser: argparse.ArgumentParser) -> str:
    """The Chinese form of an argparse error ``message`` raised by ``parser``."""
    if m := _ARGUMENT_MESSAGE.match(message):
        return _translate_argument_error(m["name"], m["message"], parser)
    if m := re.match(r"^the following arguments are required: (?P<names>.+)$", message, re.S):
        names = m["names"].split(", ")
        commands = _subcommands(parser)
        if commands and any(isinstance(_find_action(parser, n), argparse._SubParsersAction) for n in names):
            return f"缺少子命令，可用：{_listing(commands)}"
        return f"缺少必需的参数：{_listing(names)}"
    if m := re.match(r"^unrecognized arguments: (?P<args>.+)$", message, re.S):
        return f"无法识别的参数：{m['args']}"
    if m := re.match(r"^ambiguous option: (?P<option>\S+) could match (?P<matches>.+)$", message, re.S):
        return f"选项 {m['option']} 有歧义，可能是：{_listing(m['matches'].split(', '))}"
    if m := re.match(r"^one of the arguments (?P<names>.+) is required$", message, re.S):
        return f"以下参数必须给出一个：{_listing(m['names'].split(' '))}"
    if m := re.match(r"^unexpected option string: (?P<option>.+)$", message, re.S):
        return f"意外的选项：{m['option']}"
    return f"参数有误：{message}"


def positive_int(text: str) -> int:
    """argparse type: a whole number above zero (jobs, seconds)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为正整数，收到「{text}」") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"应为正整数，收到「{text}」")
    return value


# ---------------------------------------------------------------------------------------------
# Everyday mistakes → one Chinese line
# ---------------------------------------------------------------------------------------------

QUARTO_MISSING = (
    "本机未安装 Quarto，无法用 --engine quarto 渲染。"
    "可从 conda-forge 安装（conda install -c conda-forge quarto，或用本项目的 environment.yml），"
    "或改用 --engine builtin（内置渲染器）或 --engine auto（有 Quarto 用 Quarto，否则用内置渲染器）。"
)

#: Operating-system errors said in Chinese (the rest keep the system's wording).
_OS_ERRORS = {
    errno.ENOENT: "找不到文件或目录",
    errno.EACCES: "没有访问权限",
    errno.EPERM: "没有操作权限",
    errno.EISDIR: "这是目录，不是文件",
    errno.ENOTDIR: "不是目录",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "文件系统只读",
    errno.EEXIST: "已存在",
}


class EngineUnavailable(ValueError):
    """The rendering engine asked for on the command line is not installed."""


def require_engine(engine: str | None) -> None:
    """Stop before any work when ``--engine quarto`` is asked for and Quarto is absent."""
    if engine == "quarto" and not quarto_available():
        raise EngineUnavailable(QUARTO_MISSING)


def user_error(exc: BaseException) -> tuple[str, int] | None:
    """The Chinese message and exit code for an everyday mistake, or ``None`` for a genuine bug."""
    if isinstance(exc, OSError) and exc.errno in _OS_ERRORS and exc.filename:  # the system's English wording
        return f"{_OS_ERRORS[exc.errno]}：{exc.filename}", 2
    if isinstance(exc, KeyError):  # a code or a column the data does not have
        key = exc.args[0] if exc.args else ""
        return f"数据中找不到「{key}」，请检查期间、企业编号和数据目录是否正确", 2
    if isinstance(exc, (ValueError, OSError, RunLocked)):  # wrong parameter, missing file, a run under way
        return str(exc), 2
    if isinstance(exc, (QuartoError, RenderError)):  # the book could not be rendered
        return str(exc), 1
    return None


# ---------------------------------------------------------------------------------------------
# Subcommands
# ---------------------------------------------------------------------------------------------


def _cmd_demo(args: argparse.Namespace) -> int:
    n = args.enterprises
    if n is not None and n != 46 and not args.out:
        out = config.PROJECT_ROOT / "data" / f"demo-{n}"
    else:
        out = Path(args.out) if args.out else config.DEMO_DIR
    files = generate_demo(out, enterprises=n)
    print(f"已生成示范区数据 {len(files)} 个文件 → {out}" + (f"（{n} 家企业；收件目录 {out / 'raw'}）" if n else ""))
    return 0


def _cmd_ingest(args: argparse.Namespace) -> int:
    return ingest_command(args.data, findings_out=args.findings, verbose=args.verbose)


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


def _cmd_contracts(args: argparse.Namespace) -> int:
    sys.stdout.write(contracts_command(args.period, args.data, english=args.english))
    return 0


def _cmd_risk(args: argparse.Namespace) -> int:
    sys.stdout.write(risk_command(args.period, args.data, english=args.english))
    return 0


#: Run options a period's ``params/periods/<period>.yaml`` ``run:`` block may set, and their defaults.
RUN_DEFAULTS = {"jobs": 2, "cell_timeout": 600, "notebook_timeout": 1800, "kernel_start_timeout": 60}
RUN_OPTIONS = ("entities", "data", "scheduler", "workers", *RUN_DEFAULTS)


def period_options(args: argparse.Namespace) -> dict:
    """Run options: ``params/periods/<period>.yaml`` first, then whatever the command line sets."""

    path = config.PARAMS_DIR / "periods" / f"{args.period}.yaml"
    options = load_yaml(f"periods/{args.period}.yaml").get("run", {}) if path.exists() else {}
    options = dict(options or {})
    for key in RUN_OPTIONS:
        value = getattr(args, key, None)
        if value is not None:
            options[key] = value
    return options


def positive_option(options: dict, key: str, *, period: str) -> int:
    """``options[key]`` (or its default) as a positive whole number; a Chinese error names the file otherwise."""
    value = options.get(key, RUN_DEFAULTS[key])
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if isinstance(value, bool) or number <= 0 or str(number) != str(value).strip():
        raise ValueError(f"运行参数 {key} 应为正整数，现为「{value}」（见 params/periods/{period}.yaml 的 run: 部分）")
    return number


#: Exit code of ``guozi run`` / ``guozi report`` when everything was published but some enterprises had not
#: reported: the publications say who is missing, their totals cover the reporters only.
INCOMPLETE_EXIT = 3
#: The exit codes, as ``guozi report --help`` and the README state them.
EXIT_CODES_ZH = ("退出码：0 全部成功；1 有笔记本执行失败（未出版，上次发布的保持不变）；2 用法或输入有误；"
                 f"{INCOMPLETE_EXIT} 已出版，但本期有企业未报送数据（出版物首段写明缺报企业，合计数仅含已报送企业）。")


def incomplete_message(period: str, run_dir: Path) -> str | None:
    """The Chinese warning for a run published on incomplete data (None when everybody reported)."""
    processed = Path(run_dir) / "processed"
    if not (processed / "indicators.parquet").exists():
        return None
    sentence = coverage_sentence(Context(period=period, entity_id="DISTRICT", processed_dir=processed))
    if not sentence:
        return None
    return f"注意：{sentence}已按已报送数据出版（退出码 {INCOMPLETE_EXIT}）。"


def _cmd_run(args: argparse.Namespace) -> int:
    opts = period_options(args)
    numbers = {key: positive_option(opts, key, period=args.period) for key in RUN_DEFAULTS}
    parse_period(args.period)
    check_enterprises(opts.get("entities"), opts.get("data"))  # seconds: the roster alone, before any work
    try:
        summary = run_period(
            args.period,
            entities=opts.get("entities"),
            jobs=numbers["jobs"],
            raw_dir=Path(opts["data"]) if opts.get("data") else None,
            cell_timeout=numbers["cell_timeout"],
            notebook_timeout=numbers["notebook_timeout"],
            start_timeout=numbers["kernel_start_timeout"],
            force=args.force,
            scheduler=opts.get("scheduler"),
            workers=int(opts["workers"]) if opts.get("workers") else None,
            publication=publication_kind(args.period, review=getattr(args, "review", False)),
        )
    except RunLocked as exc:
        print(exc, file=sys.stderr)
        return 2
    if not summary.ok:  # the notebooks were each listed once as they finished; the failures again, with the cell
        print(summary.table(failed_only=True))
        return 1
    warning = incomplete_message(args.period, summary.run_dir)
    if warning:
        print(warning, file=sys.stderr)
        return INCOMPLETE_EXIT
    return 0


def _review_place(args: argparse.Namespace):
    """The review ``guozi render`` / ``guozi report --review`` publishes: the period and inbox given,
    else the district's most recently published review."""
    period = getattr(args, "period", None)
    if period:
        data = period_options(args).get("data")
        return publication_place(period, "review", raw_dir=resolve_inbox(data) if data else None)
    place = latest_review()
    if place is None:
        raise FileNotFoundError("还没有可出版的年度工作总结（reports/review/ 下没有运行记录）：请先运行 "
                                "`guozi report --period 2022-11 --review` 或 `guozi run --period … --review`。")
    return place


def _cmd_render(args: argparse.Namespace) -> int:
    require_engine(args.engine)
    place = _review_place(args)
    editions = (args.edition,) if getattr(args, "edition", None) else tuple(EDITIONS)
    render_review(place, engine=args.engine, editions=editions, jobs=max(1, int(getattr(args, "jobs", None) or 2)),
                  log=print)
    print(f"年度工作总结（{place.label}）已出版到 {place.build}：拷贝 {place.html} 整个目录即可离线阅读（企业画像另册在其中的 profiles/）")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    require_engine(args.engine)  # before the notebooks run, not after
    opts = period_options(args)
    # one Dask client (when asked for) for the whole run: intake, shared step, notebooks and rendering
    with cluster_session(opts.get("scheduler"), int(opts["workers"]) if opts.get("workers") else None, log=print):
        code = _cmd_run(args)
        if code not in (0, INCOMPLETE_EXIT):
            print("分析未全部成功，未渲染报告；上次发布的报告保持不变。", file=sys.stderr)
            return code

        kind = publication_kind(args.period, review=args.review)
        rendered = _cmd_render(args) if kind == "review" else _render_bulletin(kind, args)
    return rendered or code  # published on incomplete data: said in the text and by the exit code


def _cmd_figures(args: argparse.Namespace) -> int:
    """Check the published-figure lists (``figures.csv``) of publications: one key, one value."""
    paths = args.check or [str(config.REPORTS_DIR / "_build")]
    found = read_figures(paths)
    if not len(found):
        print(f"没有找到数字清单 {FIGURES_FILE}：{'、'.join(paths)}（请先出版）", file=sys.stderr)
        return 2
    clash = conflicts(found)
    print(f"已核对 {found['source'].nunique()} 份数字清单、{len(found)} 个数字。")
    print(conflicts_text(clash))
    return 1 if len(clash) else 0


def _render_bulletin(kind: str, args: argparse.Namespace) -> int:
    """Render a 月度通报 / 季度分析 / 半月晾晒通报 from its published notebooks into its own folder."""
    data = period_options(args).get("data")
    place = publication_place(args.period, kind, raw_dir=resolve_inbox(data) if data else None)
    render_bulletin(place, period=args.period, engine=args.engine, log=print)
    print(f"{PUBLICATIONS[kind]['name_zh']}（{place.label}）已出版到 {place.build}（网页、PDF、Word 稿与所附工作簿，整个目录可拷贝）")
    return 0


# ---------------------------------------------------------------------------------------------
# Parser
# ---------------------------------------------------------------------------------------------

_DATA_HELP = "收件目录（默认 params/district.yaml 的 data.inbox，示范区为 data/demo/raw）"
_ENGLISH_HELP = "CSV 用英文表头（供脚本读取）"
ENGINES = ["auto", "quarto", "builtin"]


def _add(sub, name: str, helptext: str, func) -> ChineseArgumentParser:
    """One subcommand whose ``--help`` repeats its one-line description."""
    p = sub.add_parser(name, help=helptext, description=helptext)
    p.set_defaults(func=func)
    return p


def _add_run_options(p: ChineseArgumentParser) -> None:
    p.add_argument("--period", required=True, metavar="期间", help="期间，如 2022-11、2022-Q3 或 2022-11-H2")
    p.add_argument("--entities", nargs="*", metavar="企业编号", help="只为这些企业生成画像（默认全部企业）")
    p.add_argument("--jobs", type=positive_int, metavar="个数", help="同时执行的笔记本数（默认 2）")
    p.add_argument("--cell-timeout", dest="cell_timeout", type=positive_int, metavar="秒",
                   help="单个单元格时限（秒，默认 600）")
    p.add_argument("--notebook-timeout", dest="notebook_timeout", type=positive_int, metavar="秒",
                   help="单本笔记本总时限（秒，默认 1800）")
    p.add_argument("--kernel-start-timeout", dest="kernel_start_timeout", type=positive_int, metavar="秒",
                   help="等待内核启动的时限（秒，默认 60；超时自动重试一次）")
    p.add_argument("--data", metavar="目录", help=_DATA_HELP)
    p.add_argument("--scheduler", metavar="地址", help="把整次运行（接收校验、共享步骤、笔记本、画像渲染）分发到 Dask 调度器，如 tcp://10.0.0.5:8786（各机共享项目目录）")
    p.add_argument("--workers", type=positive_int, metavar="个数", help="在本机启动 Dask LocalCluster，工作进程数")
    p.add_argument("--force", action="store_true", help="输入未变也强制重跑")
    p.add_argument("--engine", default="auto", choices=ENGINES, help="渲染引擎（report 用；默认 auto）")
    p.add_argument("--review", action="store_true",
                   help="出版年度工作总结（YYYY-MM 期间；不加时 YYYY-MM 出版月度通报，YYYY-Qn 季度分析，H1/H2 半月晾晒通报）")


def build_parser() -> ChineseArgumentParser:
    parser = ChineseArgumentParser(prog="guozi", description="区/市国资委企业监测分析与年度报告工具")
    parser.add_argument("--version", action="version", version=f"guozi-analysis {__version__}",
                        help="显示版本号并退出")
    sub = parser.add_subparsers(title="子命令", dest="command", metavar="<子命令>", required=True,
                                parser_class=ChineseArgumentParser)

    p = _add(sub, "demo", "（重新）生成示范区数据，逐字节确定", _cmd_demo)
    p.add_argument("--out", metavar="目录", help="输出目录（默认 data/demo；指定 --enterprises 时默认 data/demo-<N>）")
    p.add_argument("--enterprises", type=int, metavar="N",
                   help="生成 N 家企业（46 至 50000）的更大示范区，结构相同、按设计越线的企业按比例增加（用于基准与测试）；"
                        "缺省为提交的 46 家示范区")

    p = _add(sub, "template", "生成某期的 Excel 报送模板（每表一张工作表、中文表头、单位行、下拉选项）",
             _cmd_template)
    p.add_argument("--period", required=True, metavar="期间", help="期间，如 2022-11 或 2022-11-H1")
    p.add_argument("--enterprise", metavar="企业编号", help="企业编号（预填该企业及其子企业）；缺省为全区")
    p.add_argument("--out", metavar="文件或目录",
                   help="输出文件（缺少 .xlsx 时自动补上）或已有目录（文件名自动生成）；默认 data/templates/")
    p.add_argument("--data", metavar="目录", help="取企业名录的收件目录（默认 params/district.yaml 的 data.inbox）")

    p = _add(sub, "ingest", "接收报送文件：原样只读保存、校验（中文问题清单）、入库或隔离", _cmd_ingest)
    p.add_argument("data", nargs="?", metavar="收件目录", help=_DATA_HELP)
    p.add_argument("--findings", metavar="文件", help="完整问题清单 CSV 的输出路径（默认写在该收件目录的加工数据旁）")
    p.add_argument("--verbose", action="store_true", help="逐个文件列出处理结果（默认只列未全部入库的文件）")

    p = _add(sub, "catalogue", "以 CSV 打印指标目录（六张报表的64项指标及补充的流动比率、国有资本保值增值率预计数）", _cmd_catalogue)
    p.add_argument("--english", action="store_true", help=_ENGLISH_HELP)

    p = _add(sub, "indicators", "计算某期全部指标，写出 indicators.csv 与 Excel", _cmd_indicators)
    p.add_argument("--period", required=True, metavar="期间", help="期间，如 2022-11")
    p.add_argument("--out", required=True, metavar="目录", help="输出目录")
    p.add_argument("--data", metavar="目录", help=_DATA_HELP)
    p.add_argument("--english", action="store_true", help=_ENGLISH_HELP)

    p = _add(sub, "ranking", "半月晾晒：六张报表排名，写出可打印的 Excel 与 CSV", _cmd_ranking)
    p.add_argument("--period", required=True, metavar="期间", help="半月期间，如 2022-11-H2")
    p.add_argument("--out", required=True, metavar="目录", help="输出目录")
    p.add_argument("--data", metavar="目录", help=_DATA_HELP)

    p = _add(sub, "risk", "债务风险预警：以 CSV 打印重点监管对象名单（与书中同一名单）", _cmd_risk)
    p.add_argument("--period", required=True, metavar="期间", help="期间，如 2022-11")
    p.add_argument("--data", metavar="目录", help=_DATA_HELP)
    p.add_argument("--english", action="store_true", help=_ENGLISH_HELP)

    p = _add(sub, "contracts", "合同全轨迹与督查整改：以 CSV 打印合同、资金流水与督查问题预警", _cmd_contracts)
    p.add_argument("--period", required=True, metavar="期间", help="期间，如 2022-11")
    p.add_argument("--data", metavar="目录", help=_DATA_HELP)
    p.add_argument("--english", action="store_true", help=_ENGLISH_HELP)

    p = _add(sub, "assess", "年度经营业绩考核：计分表、排名与等级（Excel + CSV）", _cmd_assess)
    p.add_argument("--year", type=int, required=True, metavar="年度", help="考核年度，如 2022")
    p.add_argument("--out", required=True, metavar="目录", help="输出目录")
    p.add_argument("--data", metavar="目录", help=_DATA_HELP)

    p = _add(sub, "targets", "提出下一年度考核目标建议（写入 params/targets/<年>_proposed.yaml）", _cmd_targets)
    p.add_argument("--year", type=int, required=True, metavar="年度", help="依据的年度，如 2022（建议 2023 年目标）")
    p.add_argument("--data", metavar="目录", help=_DATA_HELP)

    p = _add(sub, "run", "执行本期全部分析笔记本（papermill）", _cmd_run)
    p.epilog = EXIT_CODES_ZH
    _add_run_options(p)
    p = _add(sub, "report", "执行本期分析并出版：月度通报、季度分析、半月晾晒通报，或加 --review 出版年度工作总结（HTML + PDF）",
             _cmd_report)
    p.epilog = EXIT_CODES_ZH
    _add_run_options(p)

    p = _add(sub, "figures", "核对出版物的数字清单（figures.csv）：同一口径的数字在各出版物中只有一个值，不一致的逐项列出",
             _cmd_figures)
    p.add_argument("--check", nargs="*", metavar="目录或文件",
                   help="要核对的出版物目录（含其下全部 figures.csv）或清单文件；默认 reports/_build")

    p = _add(sub, "render", "把已执行的年度工作总结渲染成书（有 Quarto 用 Quarto，否则内置渲染器）", _cmd_render)
    p.add_argument("--period", metavar="期间", help="出版哪一期（默认最近一次执行的年度工作总结）")
    p.add_argument("--data", metavar="目录", help="该期所用的收件目录（与运行时的 --data 相同）")
    p.add_argument("--engine", default="auto", choices=ENGINES, help="渲染引擎（默认 auto）")
    p.add_argument("--edition", choices=["internal", "public"], help="只出版一个版本（默认两个都出版）")
    return parser


def line_buffered() -> None:
    """Flush stdout and stderr at every line when they are not a terminal (a scheduler's log file or pipe):
    each stage's line reaches the log when the stage ends, not in a burst when the buffer fills or at exit."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if not stream.isatty():
                stream.reconfigure(line_buffering=True)
        except (AttributeError, ValueError, OSError):  # a replaced stream (pytest's capture) or a closed one
            pass


def main(argv: list[str] | None = None) -> int:
    """Run one ``guozi`` subcommand; everyday mistakes end with ``错误：…`` on stderr, never a traceback."""
    args = build_parser().parse_args(argv)
    line_buffered()
    try:
        return args.func(args)
    except BrokenPipeError:  # `guozi catalogue | head`: the reader left early, nothing is wrong
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except Exception as exc:
        said = user_error(exc)
        if said is None or os.environ.get("GUOZI_DEBUG"):  # a bug (or a developer asking): keep the traceback
            raise
        message, code = said
        print(f"错误：{message}", file=sys.stderr)
        return code


if __name__ == "__main__":
    raise SystemExit(main())
