"""The inbox: the one folder a district fills, and the one way every command reads it.

An inbox holds what the enterprises sent, laid out as described in the README::

    <inbox>/roster.xlsx            企业名录 (required; any file whose name holds "roster" or "企业名录")
    <inbox>/targets.xlsx           年度目标 (optional)
    <inbox>/history/<table>.csv    history migrated from earlier systems (optional)
    <inbox>/YYYY-MM/*.xlsx|csv     the period's submissions (any file name; sheets are recognised)

:func:`open_inbox` is the single data path of the project: it validates every file through
:func:`guozi_analysis.intake.ingestion.ingest` (errors are quarantined, never dropped) into a
processed store kept per inbox under ``data/processed/inboxes/``, and returns the accepted rows.
The store is reused while neither the inbox's files nor the package's code change; otherwise it is
rebuilt beside the old one and swapped in, so a failed rebuild never damages the last good store.

Which inbox: the ``--data DIR`` of a command, else ``data.inbox`` in ``params/district.yaml``
(the bundled demo district by default). Nothing here falls back to the demo silently: the inbox
read is always named in :attr:`Inbox.description`.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import pickle
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from filelock import FileLock

from guozi_analysis import __version__
from guozi_analysis.base import config
from guozi_analysis.base.params import district_settings
from guozi_analysis.base.periods import closed_month, parse_period
from guozi_analysis.base.store import file_sha256, hash_tree, release_memory
from guozi_analysis.intake.ingestion import IngestReport, ingest, load_processed, read_submission

#: Words in a file name that mark the roster (it is ingested first; the others are checked against it).
ROSTER_WORDS = ("roster", "企业名录")
SUBMISSION_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".ods")
_REPORT_FILE = "report.pkl"
_KEY_FILE = "key.json"


class InboxError(ValueError):
    """The inbox cannot be read as asked; the message (Chinese) says what to do."""


@dataclass(frozen=True)
class Inbox:
    """An ingested inbox: where it is, the accepted tables, the intake report and the store used."""

    path: Path
    tables: dict[str, pd.DataFrame]
    report: IngestReport
    store_dir: Path
    reused: bool
    is_demo: bool
    #: files ingested by this call (0 when the store was reused; only the new files of an incremental run)
    ingested: int = 0

    @property
    def description(self) -> str:
        """One line for the terminal: which inbox was read and what intake made of it."""
        kind = "示范区数据" if self.is_demo else "收件目录"
        quarantined = sum(f.quarantined for f in self.report.files)
        state = "沿用已校验的加工数据" if self.reused else "已重新接收校验"
        return (f"读取{kind}：{self.path}（{len(self.report.files)} 个文件，隔离 {quarantined} 行；{state}）")

    def roster(self) -> pd.DataFrame:
        return self.tables["roster"]


def default_inbox(*, params_dir: Path | None = None) -> Path:
    """The inbox named in ``params/district.yaml`` (``data.inbox``, relative to the project root)."""
    settings = district_settings(params_dir=params_dir)
    value = (settings.get("data") or {}).get("inbox") or "data/demo/raw"
    path = Path(value)
    return path if path.is_absolute() else config.PROJECT_ROOT / path


def resolve_inbox(data_dir: Path | str | None = None, *, params_dir: Path | None = None) -> Path:
    """``data_dir`` when given, else the district's configured inbox; checked to exist."""
    path = Path(data_dir) if data_dir else default_inbox(params_dir=params_dir)
    if not path.exists():
        raise InboxError(f"收件目录不存在：{path}。请检查 --data 参数或 params/district.yaml 中的 data.inbox。")
    if not path.is_dir():
        raise InboxError(f"收件目录应为文件夹：{path}（单个文件请放进一个文件夹再读取）。")
    return path.resolve()


def submission_files(inbox: Path) -> list[Path]:
    """Every submission file below ``inbox`` (Excel temp files and hidden files excluded)."""
    return sorted(p for p in inbox.rglob("*") if p.is_file() and p.suffix.lower() in SUBMISSION_SUFFIXES
                  and not p.name.startswith(("~$", ".")))


def roster_files(inbox: Path) -> list[Path]:
    """The roster file(s) of an inbox: by name (企业名录/roster), else any top-level file holding a 企业名录 table."""
    named = [p for p in submission_files(inbox) if any(w in p.name.lower() for w in ROSTER_WORDS)]
    if named:
        return named
    top = [p for p in submission_files(inbox) if p.parent == inbox]
    return [p for p in top if "roster" in read_submission(p)[0]]


def check_inbox(inbox: Path) -> None:
    """Fail early, in Chinese, on an inbox without files or without a roster."""
    files = submission_files(inbox)
    if not files:
        raise InboxError(f"收件目录 {inbox} 中没有报送文件（xlsx、xls、csv、ods）。")
    if not roster_files(inbox):
        raise InboxError(f"收件目录 {inbox} 中没有企业名录：请在目录顶层放入企业名录文件（含“企业名录”工作表，"
                         "可用 `guozi template` 生成模板），其余报送都要据此核对企业编码。")


def _code_key() -> str:
    """Fingerprint of the package code that reads an inbox (a change invalidates every store)."""
    code = sorted(Path(__file__).resolve().parents[1].rglob("*.py"))
    payload = {"code": [file_sha256(p) for p in code], "version": __version__}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _inbox_key(inbox: Path, files: dict[str, str] | None = None, code: str | None = None) -> str:
    """Fingerprint of the inbox's files and of the package code that reads them."""
    payload = {"files": files if files is not None else hash_tree(inbox), "code": code or _code_key()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _slot(inbox: Path, cache_dir: Path) -> Path:
    digest = hashlib.sha256(str(inbox).encode()).hexdigest()[:10]
    return cache_dir / f"{inbox.name}-{digest}"


def _read_slot(slot: Path, key: str) -> tuple[dict[str, pd.DataFrame], IngestReport] | None:
    try:
        stored = json.loads((slot / _KEY_FILE).read_text("utf-8"))
        if stored.get("key") != key:
            return None
        with open(slot / _REPORT_FILE, "rb") as fh:
            report = pickle.load(fh)
    except (OSError, ValueError, pickle.UnpicklingError, AttributeError, EOFError):
        return None
    return load_processed(slot / "processed"), report


def _link_tree(src: Path, dst: Path) -> None:
    """Copy a store folder by hard links (its files are replaced, never rewritten in place), else by copies."""
    def link(a, b):
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)
    shutil.copytree(src, dst, copy_function=link)


def _increment(inbox: Path, slot: Path, files: dict[str, str], code: str) -> list[Path] | None:
    """The inbox files a run still has to ingest into the store of ``slot``, or ``None`` for a full rebuild.

    Incremental when the store was built by the same code and no file was removed and no roster changed:
    then only new files and changed files (a changed file is a new version; its units supersede the
    previous version's rows, as a correction does) are ingested.
    """
    try:
        stored = json.loads((slot / _KEY_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    old = stored.get("files")
    if stored.get("code") != code or not isinstance(old, dict) or not (slot / _REPORT_FILE).exists():
        return None
    if set(old) - set(files):
        return None  # a file was withdrawn: its rows must go, so rebuild
    todo = [rel for rel, sha in files.items() if old.get(rel) != sha]
    paths = [inbox / rel for rel in todo]
    wanted = set(submission_files(inbox))
    paths = [p for p in paths if p in wanted]
    rosters = set(roster_files(inbox)) if paths else set()
    if any(p in rosters for p in paths):
        return None
    return paths


def _merge_reports(old: IngestReport, new: IngestReport, replaced: set[str]) -> IngestReport:
    """The report of the store after an incremental ingest: the earlier files' results, then the new ones."""
    files = [f for f in old.files if f.file not in replaced] + new.files
    subs = [df for df in (old.submissions, new.submissions) if df is not None and len(df)]
    return IngestReport(findings=list(old.findings) + list(new.findings), files=files,
                        submissions=pd.concat(subs, ignore_index=True) if subs else new.submissions)


def _build_slot(inbox: Path, slot: Path, key: str, *, files: dict[str, str] | None = None,
                code: str | None = None) -> tuple[IngestReport, int]:
    """Ingest ``inbox`` into a fresh folder beside ``slot`` and swap it in; the old store survives a failure.

    With the store of an earlier run in ``slot`` (same code), only the files it has not seen are ingested
    into a copy of it (:func:`_increment`). Returns the report and the number of files ingested.
    """
    slot.parent.mkdir(parents=True, exist_ok=True)
    files = files if files is not None else hash_tree(inbox)
    code = code or _code_key()
    todo = _increment(inbox, slot, files, code) if slot.exists() else None
    stage = Path(tempfile.mkdtemp(dir=slot.parent, prefix=f".{slot.name}."))
    try:
        if todo is None:
            report = ingest([inbox], raw_store=stage / "raw", processed_dir=stage / "processed")
            n_files = len(report.files)
        else:
            for part in ("raw", "processed"):
                if (slot / part).exists():
                    _link_tree(slot / part, stage / part)
            with open(slot / _REPORT_FILE, "rb") as fh:
                old_report = pickle.load(fh)
            new_report = ingest(todo, raw_store=stage / "raw", processed_dir=stage / "processed") if todo \
                else IngestReport()
            report = _merge_reports(old_report, new_report, {str(p) for p in todo})
            n_files = len(todo)
        with open(stage / _REPORT_FILE, "wb") as fh:
            pickle.dump(report, fh)
        (stage / _KEY_FILE).write_text(json.dumps({"key": key, "inbox": str(inbox), "code": code, "files": files}),
                                       "utf-8")
        old = slot.with_name(f".{slot.name}.old")
        if old.exists():
            shutil.rmtree(old)
        if slot.exists():
            slot.rename(old)
        stage.rename(slot)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return report, n_files


def open_inbox(data_dir: Path | str | None = None, *, cache_dir: Path | None = None,
               params_dir: Path | None = None) -> Inbox:
    """Validate and ingest the inbox (or reuse its unchanged store) and return the accepted tables.

    Raises :class:`InboxError` (Chinese message) for a missing folder, an inbox without files or
    without a roster, or a roster from which no enterprise was accepted.
    """
    path = resolve_inbox(data_dir, params_dir=params_dir)
    check_inbox(path)
    cache = Path(cache_dir) if cache_dir else config.PROCESSED_DIR / "inboxes"
    slot = _slot(path, cache)
    files = hash_tree(path)
    code = _code_key()
    key = _inbox_key(path, files, code)
    cache.mkdir(parents=True, exist_ok=True)
    with FileLock(str(slot) + ".lock"):
        found = _read_slot(slot, key)
        reused = found is not None
        ingested = 0
        if found is None:
            report, ingested = _build_slot(path, slot, key, files=files, code=code)
            release_memory()  # what intake held is written; the tables are read back below
            found = load_processed(slot / "processed"), report
    tables, report = found
    if "roster" not in tables or not len(tables["roster"]):
        raise InboxError(f"收件目录 {path} 的企业名录没有一行通过校验，无法核对企业：请查看数据质量报告 "
                         f"{slot / 'processed'} 中的隔离记录并更正名录。")
    demo = path == (config.DEMO_DIR / "raw").resolve()
    return Inbox(path=path, tables=tables, report=report, store_dir=slot, reused=reused, is_demo=demo,
                 ingested=ingested)


def available_months(tables: dict[str, pd.DataFrame]) -> list[str]:
    """The months for which 财务快报 rows were accepted, sorted."""
    fin = tables.get("financials")
    if fin is None or not len(fin):
        return []
    return sorted(fin["period"].dropna().astype(str).unique())


def require_period(inbox: Inbox, period: str) -> str:
    """The closed month of ``period`` when the inbox has 财务快报 for it; else a Chinese :class:`InboxError`."""
    parse_period(period)
    month = closed_month(period)
    months = available_months(inbox.tables)
    if month not in months:
        have = f"已有 {months[0]} 至 {months[-1]}" if months else "没有任何财务快报"
        raise InboxError(f"收件目录 {inbox.path} 中没有 {month} 的财务快报数据（{have}），无法分析期间 {period}。")
    return month


def unknown_enterprises(inbox: Inbox, entity_ids) -> list[str]:
    """The codes among ``entity_ids`` that are not in the inbox's roster (DISTRICT is always known)."""
    known = set(inbox.tables["roster"]["enterprise_id"].astype(str)) | {"DISTRICT"}
    return [e for e in entity_ids if str(e) not in known]


def inbox_roster(data_dir: Path | str | None = None, *, params_dir: Path | None = None) -> pd.DataFrame:
    """The roster rows of the inbox's roster file(s), read on their own (seconds, not a full ingest)."""
    path = resolve_inbox(data_dir, params_dir=params_dir)
    check_inbox(path)
    frames = []
    for file in roster_files(path):
        tables, _findings, _counts = read_submission(file)
        if tables.get("roster") is not None:
            frames.append(tables["roster"])
    if not frames:
        raise InboxError(f"收件目录 {path} 的企业名录文件中没有可读的企业名录工作表。")
    return pd.concat(frames, ignore_index=True).drop_duplicates("enterprise_id")


def roster_codes(data_dir: Path | str | None = None, *, params_dir: Path | None = None) -> set[str]:
    """The enterprise codes of the inbox's roster file(s)."""
    return set(inbox_roster(data_dir, params_dir=params_dir)["enterprise_id"].dropna().astype(str))


def check_enterprises(entity_ids, data_dir: Path | str | None = None, *, params_dir: Path | None = None) -> None:
    """Raise a Chinese :class:`InboxError` naming every code of ``entity_ids`` missing from the roster."""
    if not entity_ids:
        return
    known = roster_codes(data_dir, params_dir=params_dir) | {"DISTRICT"}
    unknown = [str(e) for e in entity_ids if str(e) not in known]
    if unknown:
        hints = []
        for code in unknown:
            close = difflib.get_close_matches(code, sorted(known), n=3)
            hints.append(f"「{code}」" + (f"（是否指 {'、'.join(close)}？）" if close else ""))
        raise InboxError(f"企业编码不在企业名录中：{'，'.join(hints)}。未执行任何笔记本。")
