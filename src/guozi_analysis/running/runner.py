"""The per-period run: shared computation once, then papermill notebooks, then swap into place.

A run writes everything into a fresh folder ``runs/<period>/<stamp>/`` and only
replaces the published executed notebooks (``reports/<kind>/<label>``, :func:`publication_place`) when every
notebook succeeded, so a failed run never damages the last good publication.
Each notebook is executed in its own subprocess (papermill's Python API), which
gives an overall timeout per notebook and isolates failures.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from math import ceil
from pathlib import Path

import pandas as pd

from guozi_analysis import __version__
from guozi_analysis.base import config
from guozi_analysis.base.parallel import cluster_size, current_cluster, in_fresh_process, log_task, on_cluster
from guozi_analysis.base.periods import parse_period, quarter_of
from guozi_analysis.base.store import file_sha256, release_memory, write_table
from guozi_analysis.intake.inbox import default_inbox, open_inbox, resolve_inbox
from guozi_analysis.publishing.book import EDITIONS, PROFILES_FOLDER, prepare_book, write_bulletin_sources
from guozi_analysis.publishing.profiles import build_volume, search_entries
from guozi_analysis.publishing.render import render
from guozi_analysis.publishing.views.profile import split_by_entity
from guozi_analysis.running.batch import BASELINE
from guozi_analysis.running.shared import default_profile_entities, shared_results

PROFILE_NOTEBOOK = "90_enterprise_profile.ipynb"
#: Most profiles executed on one kernel (one task of a Dask cluster): enough to spread the batch's
#: start over many (~5 CPU s: the batch process imports nbformat, whose jsonschema compiles a grammar
#: for 2 s, the kernel starts and imports the library, the first profile warms the caches), few enough
#: that the batches spread over the workers (at 2,000 profiles: 10 batches; 50 cost 40 starts).
PROFILE_BATCH_MAX = 200
#: What a half-month run (YYYY-MM-H1/H2) executes: the 晾晒 workbook and its 通报, no profiles.
HALF_MONTH_NOTEBOOKS = ("60_half_month_ranking.ipynb", "bulletins/half_month.ipynb")
#: The publications (see :func:`publication_kind`): what each executes besides the review's chapters,
#: and the folder of ``reports/`` its executed notebooks are published to (one per period label).
PUBLICATIONS = {
    "review": {"notebooks": None, "folder": "review", "name_zh": "年度工作总结"},
    "monthly": {"notebooks": ("bulletins/monthly.ipynb",), "folder": "monthly", "name_zh": "月度经济运行通报"},
    "quarterly": {"notebooks": ("bulletins/quarterly.ipynb",), "folder": "quarterly", "name_zh": "季度经济运行分析"},
    "half_month": {"notebooks": HALF_MONTH_NOTEBOOKS, "folder": "half-month", "name_zh": "半月晾晒通报"},
}


def runs_profiles(kind: str) -> bool:
    """Whether a publication carries a profile per enterprise (the review does; a bulletin runs only
    its own notebooks)."""
    return PUBLICATIONS[kind]["notebooks"] is None


def publication_kind(period: str, *, review: bool = False) -> str:
    """Which publication a period label asks for.

    ``YYYY-MM-H1/H2`` → 半月晾晒通报; ``YYYY-Qn`` → 季度经济运行分析; ``YYYY-MM`` → 月度通报, or the
    year-end review (年度工作总结) with ``review=True``.
    """
    p = parse_period(period)
    if p.is_half_monthly:
        return "half_month"
    if quarter_of(period):
        return "quarterly"
    return "review" if review else "monthly"
#: Exit code of the notebook subprocess when the kernel did not start: not in time, or it died before it
#: answered (EX_TEMPFAIL: worth a retry; on a loaded machine both happen, the notebook is not at fault).
KERNEL_START_EXIT = 75
#: How many times a notebook whose kernel did not start is tried in all.
KERNEL_START_ATTEMPTS = 2
_KERNEL_START_TIMEOUT = re.compile(r"Kernel didn't respond in \d+ seconds")
#: Frames of jupyter_client/nbclient that only run while a kernel is starting.
_KERNEL_START_FRAMES = {"start_kernel", "_async_start_kernel", "async_start_new_kernel", "start_new_kernel",
                        "async_start_new_kernel_client", "start_new_kernel_client", "wait_for_ready",
                        "_async_wait_for_ready", "_launch_kernel", "_async_launch_kernel"}


class UnknownEntity(ValueError):
    """``--entities`` names an enterprise code the period's roster does not have."""


def close_codes(code: str, known: list[str]) -> list[str]:
    """Roster codes ``code`` was probably meant to be: the same letters in another case, else similar ones."""
    same = [k for k in known if k.upper() == code.upper()]
    return same or difflib.get_close_matches(code.upper(), sorted(known), n=3, cutoff=0.6)


def check_entities(entities: list[str] | None, roster_ids: list[str]) -> None:
    """Raise :class:`UnknownEntity` (in Chinese, with close matches) unless every entity is in the roster."""
    known = set(roster_ids)
    unknown = [e for e in entities or [] if e not in known]
    if not unknown:
        return
    suggestions = {code: close_codes(code, sorted(known)) for code in unknown}
    hints = [f"「{code}」是不是 {'、'.join(close)}？" for code, close in suggestions.items() if close]
    if not all(suggestions.values()):
        hints.append(f"集团编号有：{'、'.join(sorted(e for e in known if '-' not in e))}。")
    raise UnknownEntity(f"企业名录中没有编号 {'、'.join(unknown)}，未执行任何笔记本。" + "".join(hints))


@dataclass(frozen=True)
class PublicationPlace:
    """Where one publication of one period lives (see :func:`publication_place`)."""

    kind: str
    label: str
    executed: Path
    build: Path

    @property
    def html(self) -> Path:
        """The folder a reader copies: its pages, PDF, Word draft and workbooks (the review's internal
        edition also holds the profiles volume in ``profiles/``)."""
        return self.build / "html" if self.kind == "review" else self.build

    @property
    def public(self) -> Path:
        """The review's public edition (its own pages, PDF and Word draft), beside the internal one."""
        return self.build / "public"


#: Appended to the label of a run on another inbox than the district's (``2022-11@<收件目录名>``).
INBOX_MARK = "@"


def publication_place(period: str, kind: str | None = None, *, raw_dir: Path | str | None = None) -> PublicationPlace:
    """The one layout of every publication: executed notebooks in ``reports/<kind>/<label>/``, what
    readers get in ``reports/_build/<kind>/<label>/`` (``review``, ``monthly``, ``quarterly``,
    ``half-month``; the label is the period: ``2022-11``, ``2022-Q3``, ``2022-11-H2``).

    A run on another inbox than the district's configured one (``--data``) publishes beside the
    district's own, under ``<label>@<收件目录名>``, never over it.
    """
    kind = kind or publication_kind(period, review=True)
    label = period if quarter_of(period) else parse_period(period).label
    if raw_dir is not None:
        inbox = Path(raw_dir).resolve()
        if inbox != default_inbox().resolve():
            label = f"{label}{INBOX_MARK}{inbox.name}"
    folder = PUBLICATIONS[kind]["folder"]
    return PublicationPlace(kind, label, config.REPORTS_DIR / folder / label, config.BUILD_DIR / folder / label)


def default_publication(period: str, kind: str | None = None, *, raw_dir: Path | str | None = None) -> Path:
    """Where a run's executed notebooks are published (``reports/review/2022-11``,
    ``reports/monthly/2022-10``, ``reports/quarterly/2022-Q3``, ``reports/half-month/…``)."""
    return publication_place(period, kind, raw_dir=raw_dir).executed


@dataclass(frozen=True)
class NotebookJob:
    """One notebook to execute: its template, where the executed copy goes, and its parameters."""

    label: str
    template: Path
    output: Path
    parameters: dict


@dataclass
class JobResult:
    label: str
    output: str
    status: str  # "成功" / "失败" / "超时"
    seconds: float
    error: str = ""
    failed_cell: int | None = None
    attempts: int = 1  # 2 when the kernel was slow to start and the notebook was tried again


@dataclass
class RunSummary:
    period: str
    run_dir: Path
    results: list[JobResult] = field(default_factory=list)
    published: bool = False
    reused: bool = False

    @property
    def ok(self) -> bool:
        return all(r.status == "成功" for r in self.results)

    def table(self, *, failed_only: bool = False) -> str:
        """Plain-text summary: notebook, status, seconds, error (``failed_only``: the failed notebooks only)."""
        lines = [f"{'笔记本':<40} {'状态':<4} {'秒':>7}  错误"]
        for r in self.results:
            if failed_only and r.status == "成功":
                continue
            where = f"（第 {r.failed_cell} 个单元格）" if r.failed_cell is not None else ""
            lines.append(f"{r.label:<40} {r.status:<4} {r.seconds:7.1f}  {where}{r.error}")
        return "\n".join(lines)


def district_notebooks(notebooks_dir: Path | None = None) -> list[Path]:
    """The district-wide notebooks in reading order (every numbered notebook but the profile)."""
    nb_dir = notebooks_dir or config.NOTEBOOKS_DIR
    return sorted(p for p in nb_dir.glob("[0-9][0-9]_*.ipynb") if p.name != PROFILE_NOTEBOOK)


def plan_jobs(
    period: str,
    entities: list[str],
    *,
    run_dir: Path,
    processed_dir: Path,
    notebooks_dir: Path | None = None,
    publication: str | None = None,
) -> list[NotebookJob]:
    """Jobs for one period: the review's district notebooks and one profile per entity, or the
    notebooks of another publication (``publication``, default by the period: see :func:`publication_kind`)."""
    nb_dir = notebooks_dir or config.NOTEBOOKS_DIR
    outputs = run_dir / "executed" / "outputs"  # workbooks the notebooks write are published with them
    period = parse_period(period).label  # a quarter's notebooks read its last month
    common = {"period": period, "processed_dir": str(processed_dir), "output_dir": str(outputs)}
    kind = publication or publication_kind(period, review=True)
    notebooks = district_notebooks(nb_dir)
    if not runs_profiles(kind):
        notebooks, entities = [nb_dir / name for name in PUBLICATIONS[kind]["notebooks"]], []
    jobs = [
        NotebookJob(p.name, p, run_dir / "executed" / p.name, {**common, "entity_id": "DISTRICT"})
        for p in notebooks
    ]
    profile = nb_dir / PROFILE_NOTEBOOK
    for entity in entities:
        out = run_dir / "executed" / "profiles" / f"profile_{entity}.ipynb"
        jobs.append(NotebookJob(f"profile_{entity}", profile, out, {**common, "entity_id": entity}))
    return jobs


def kernel_name() -> str:
    """The project's named kernel if registered, else the running interpreter's default kernel."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager  # deferred: heavy dependency, loaded on first use

        if config.KERNEL_NAME in KernelSpecManager().find_kernel_specs():
            return config.KERNEL_NAME
    except Exception:  # pragma: no cover - jupyter_client always present with papermill
        pass
    return "python3"


def execute_job(
    job: NotebookJob,
    *,
    cell_timeout: int = 600,
    notebook_timeout: int = 1800,
    start_timeout: int = 60,
    launch=None,
) -> JobResult:
    """Execute one notebook in a subprocess; never raises for a notebook failure.

    A kernel that does not answer within ``start_timeout`` seconds (a loaded machine) gets one
    more try before the notebook counts as failed. ``launch(spec, timeout)`` runs one attempt and
    returns a :class:`subprocess.CompletedProcess` (default: :func:`launch_notebook`; tests pass a fake).
    """
    launch = launch or launch_notebook
    job.output.parent.mkdir(parents=True, exist_ok=True)
    spec = {
        "template": str(job.template),
        "output": str(job.output),
        "parameters": job.parameters,
        "kernel": kernel_name(),
        "cell_timeout": cell_timeout,
        "start_timeout": start_timeout,
        "cwd": str(job.template.parent),
    }
    start = time.perf_counter()
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        try:
            proc = launch(spec, notebook_timeout)
        except subprocess.TimeoutExpired:
            return JobResult(job.label, str(job.output), "超时", time.perf_counter() - start,
                             f"超过整本时限 {notebook_timeout} 秒", attempts=attempt)
        if not kernel_not_started(proc):
            break
    seconds = time.perf_counter() - start
    if proc.returncode == 0:
        return JobResult(job.label, str(job.output), "成功", seconds, attempts=attempt)
    if kernel_not_started(proc):
        return JobResult(job.label, str(job.output), "失败", seconds, not_started_reason(proc, start_timeout),
                         attempts=attempt)
    cell, message = _failure_from_output(job.output, proc.stderr)
    return JobResult(job.label, str(job.output), "失败", seconds, message, cell, attempts=attempt)


def execute_batch(
    batch: list[NotebookJob],
    *,
    cell_timeout: int = 600,
    notebook_timeout: int = 1800,
    start_timeout: int = 60,
    baseline: bool = True,
) -> list[JobResult]:
    """Execute several notebooks on one kernel in a subprocess (:mod:`guozi_analysis.running.batch`).

    Same contract as :func:`execute_job` for each notebook (never raises; a failing notebook is one
    failed result, the others go on). The time limit of the whole batch is ``notebook_timeout`` per
    notebook. With ``baseline`` the results end with the empty-notebook floor (label
    :data:`~guozi_analysis.running.batch.BASELINE`), measured on the same kernel after the first notebook.
    """
    if not batch:
        return []
    for job in batch:
        job.output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="guozi-batch-") as tmp:
        results_file = Path(tmp) / "results.jsonl"
        spec = {"jobs": [{"label": j.label, "template": str(j.template), "output": str(j.output),
                          "parameters": j.parameters} for j in batch],
                "results": str(results_file), "kernel": kernel_name(), "cell_timeout": cell_timeout,
                "start_timeout": start_timeout, "cwd": str(batch[0].template.parent), "baseline": baseline}
        spec_file = Path(tmp) / "spec.json"
        spec_file.write_text(json.dumps(spec, ensure_ascii=False), "utf-8")
        proc, reason = None, ""
        for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
            try:
                proc = subprocess.run([sys.executable, "-m", "guozi_analysis.running.batch", str(spec_file)],
                                      capture_output=True, text=True, timeout=notebook_timeout * len(batch),
                                      env={**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
            except subprocess.TimeoutExpired:
                reason = f"超过整批时限 {notebook_timeout * len(batch)} 秒"
                break
            if not kernel_not_started(proc):
                break
        lines = results_file.read_text("utf-8").splitlines() if results_file.exists() else []
    done = {}
    for line in lines:
        item = json.loads(line)
        done[item["label"]] = item
    if proc is not None and proc.returncode != 0 and not reason:
        if kernel_not_started(proc):
            reason = not_started_reason(proc, start_timeout)
        else:
            tail = [ln for ln in (proc.stderr or "").strip().splitlines() if ln.strip()]
            reason = f"批量执行进程异常退出：{tail[-1] if tail else proc.returncode}"
    results = []
    for job in batch:
        item = done.get(job.label)
        if item is None:
            results.append(JobResult(job.label, str(job.output), "失败", 0.0, reason or "未执行（批量执行中断）"))
        elif item["status"] == "成功":
            results.append(JobResult(job.label, str(job.output), "成功", item["seconds"]))
        else:
            cell, message = _failure_from_output(job.output, item["error"])
            status = "超时" if item["status"] == "超时" else "失败"
            results.append(JobResult(job.label, str(job.output), status, item["seconds"], message or item["error"],
                                     cell))
    if BASELINE in done:
        results.append(JobResult(BASELINE, "", "成功", done[BASELINE]["seconds"]))
    return results


def launch_notebook(spec: dict, timeout: int) -> subprocess.CompletedProcess:
    """One attempt at a notebook: this module run as a subprocess (raises ``TimeoutExpired`` after ``timeout``)."""
    return subprocess.run(
        [sys.executable, "-m", "guozi_analysis.running.runner", json.dumps(spec, ensure_ascii=False)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"},
    )


def kernel_not_started(proc: subprocess.CompletedProcess) -> bool:
    """Whether an attempt failed because the kernel did not start: not in time, or it died before it answered
    (worth one retry; see :func:`is_kernel_start_failure`)."""
    if proc.returncode == 0:
        return False
    return proc.returncode == KERNEL_START_EXIT or bool(_KERNEL_START_TIMEOUT.search(proc.stderr or ""))


#: What the notebook subprocess prints when its kernel died before it answered (see :func:`_run_one`).
KERNEL_DIED_MARK = "内核启动失败"


def not_started_reason(proc: subprocess.CompletedProcess, start_timeout: int) -> str:
    """The analyst's reason for a notebook whose kernel did not start in two attempts."""
    died = [ln for ln in (proc.stderr or "").splitlines() if ln.startswith(KERNEL_DIED_MARK)]
    if died:
        return f"{died[-1]}；重试一次仍未启动（机器负载过高或端口冲突时可再运行一次）"
    return (f"内核启动超时：{start_timeout} 秒内没有响应，重试一次仍未启动"
            "（机器负载过高时可用 --kernel-start-timeout 放宽时限）")


def _in_kernel_start(exc: BaseException) -> bool:
    """Whether ``exc`` was raised in jupyter_client's or nbclient's kernel-start frames."""
    frames = {frame.name for frame in traceback.extract_tb(exc.__traceback__)}
    return bool(frames & _KERNEL_START_FRAMES)


def is_kernel_start_timeout(exc: BaseException) -> bool:
    """Whether ``exc`` is jupyter_client's start timeout, or a ``TimeoutError`` raised while the kernel started.

    A cell running too long (nbclient's ``CellTimeoutError``, also a ``TimeoutError``) is not: it is
    raised outside the kernel-start frames.
    """
    if isinstance(exc, RuntimeError) and _KERNEL_START_TIMEOUT.search(str(exc)):
        return True
    return isinstance(exc, TimeoutError) and _in_kernel_start(exc)


#: jupyter_client's words when the kernel process exits before it answers (e.g. a port taken meanwhile by
#: another kernel on a busy machine).
_KERNEL_DIED = re.compile(r"Kernel died before replying")


def is_kernel_start_failure(exc: BaseException) -> bool:
    """Whether ``exc`` says the kernel never ran a cell for a passing reason: a start timeout, or a kernel
    that died while it started (:data:`_KERNEL_DIED`, raised in the kernel-start frames). A notebook's own
    error, raised while a cell runs, and a kernel that cannot start at all (no such kernel, no executable:
    another error) are not."""
    return is_kernel_start_timeout(exc) or (bool(_KERNEL_DIED.search(str(exc))) and _in_kernel_start(exc))


def _failure_from_output(output: Path, stderr: str) -> tuple[int | None, str]:
    """Find the failing cell (papermill tags it) and the error line of a failed notebook."""
    try:
        nb = json.loads(output.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        tail = [ln for ln in stderr.strip().splitlines() if ln.strip()]
        return None, tail[-1] if tail else "未知错误"
    code_index = 0
    for cell in nb.get("cells", []):
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("cell_type") != "code" or "injected-parameters" in tags:
            continue
        code_index += 1  # numbered as in the template notebook the analyst opens
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return code_index, f"{out.get('ename')}: {out.get('evalue')}"
    tail = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    return None, tail[-1] if tail else "未知错误"


def _run_one(spec: dict) -> int:
    """Subprocess body: execute one notebook with papermill's Python API.

    Returns the process exit code: 0, or :data:`KERNEL_START_EXIT` when the kernel did not start in time
    or died before it answered (the parent then tries once more); any other failure raises.
    """
    import papermill as pm  # deferred: heavy dependency, loaded on first use

    try:
        pm.execute_notebook(
            spec["template"],
            spec["output"],
            parameters=spec["parameters"],
            kernel_name=spec["kernel"],
            language="python",
            execution_timeout=spec["cell_timeout"],
            start_timeout=spec.get("start_timeout", 60),
            cwd=spec["cwd"],
            progress_bar=False,
            log_output=False,
        )
    except Exception as exc:
        if is_kernel_start_timeout(exc):
            print(f"内核启动超时（{spec.get('start_timeout', 60)} 秒）：{exc}", file=sys.stderr)
        elif is_kernel_start_failure(exc):
            print(f"{KERNEL_DIED_MARK}：{exc}", file=sys.stderr)
        else:
            raise
        return KERNEL_START_EXIT
    return 0


def input_manifest(raw_dir: Path, params_dir: Path) -> dict[str, str]:
    """Content hashes of every input file (raw data and parameters)."""
    hashes = {}
    for root, prefix in ((raw_dir, "data"), (params_dir, "params")):
        for p in sorted(root.rglob("*")):
            if p.is_file() and not p.name.startswith("."):
                hashes[f"{prefix}/{p.relative_to(root)}"] = file_sha256(p)
    return hashes


def roster_ids(processed_dir: Path) -> list[str]:
    """Every enterprise code of the roster the shared step wrote."""
    roster = pd.read_parquet(processed_dir / "table_roster.parquet", columns=["enterprise_id"])
    return sorted(roster["enterprise_id"].astype(str))


#: An inbox with at least this many files (a city's or a province's) has its intake, its shared step and the
#: split by entity each run in a fresh process (:func:`guozi_analysis.base.parallel.in_fresh_process`) that
#: gives all its memory back when it ends; a district's few dozen files are taken in this process, where the
#: fresh interpreters' start-up (seconds) would cost more than they save (issue 27).
FRESH_PROCESS_MIN_FILES = 200


def compute_shared(period: str, *, raw_dir: Path, processed_dir: Path, log=print,
                   profiles: bool = True) -> dict[str, Path]:
    """What every notebook reads: the accepted tables and every analysis's results, written once.

    With ``profiles`` (the review's run) the results are also split by entity, so that each profile
    reads only its own slice; a bulletin's run leaves that out (thousands of small files at a
    province's size), and a profile opened later splits them then (:func:`open_profile`).

    For an inbox of :data:`FRESH_PROCESS_MIN_FILES` files or more, intake, the shared step and the split
    run one after the other, each in a fresh process (the shared step reuses the store intake wrote, the
    split reads the files the shared step wrote), so none carries another's heap and this process, which
    goes on to run the notebooks and the rendering, holds none of them. Each stage logs one timed line.
    """
    fresh = sum(1 for p in Path(raw_dir).rglob("*") if p.is_file()) >= FRESH_PROCESS_MIN_FILES

    def step(func, *args, what: str):
        if fresh:
            return in_fresh_process(func, *args, what=what)
        out = func(*args)
        release_memory()  # the next step, the notebooks, Typst and the volume do not stack on this one's peak
        return out

    with stage(log, "接收校验") as said:
        said(step(_intake_step, raw_dir, what="接收校验"))
    with stage(log, "共享步骤（指标、预警、排名、考核、预测）") as said:
        written = step(_shared_step, period, raw_dir, processed_dir, what="共享步骤")
        if profiles:  # each profile reads only its own slice
            step(split_by_entity, processed_dir, what="按企业拆分共享结果")
        said(f"{len(written)} 项结果 → {processed_dir}")
    return written


def _intake_step(raw_dir: Path) -> str:
    """Intake of the inbox (or the reuse of its store); what it did, in one line."""
    return open_inbox(raw_dir).description


def _shared_step(period: str, raw_dir: Path, processed_dir: Path) -> dict[str, Path]:
    """The shared step on the stored inbox, its results written and freed table by table; the files."""
    results = shared_results(period, inbox=open_inbox(raw_dir), workbook_dir=processed_dir / "store")
    written = {}
    for name in list(results):
        written[name] = write_table(results.pop(name), processed_dir / f"{name}.parquet")
    return written


def swap_in(incoming: Path, target: Path) -> None:
    """Put the folder ``incoming`` in the place of ``target`` (same parent folder): the previous
    ``target`` stays whole until the last moment and is removed only after the swap."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(target.name + ".previous")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(incoming, target)
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def stage(log, name: str):
    """One log line when the stage ``name`` ends: the clock time, the stage, what it did (given to the
    yielded function, optional) and how long it took, e.g. ``06:00:41 接收校验：87 个文件…（用时 12.3 秒）``.
    A scheduler's log then shows every stage as it finishes (stdout is flushed line by line, see the CLI)."""
    started = time.perf_counter()
    detail: list[str] = []
    yield detail.append
    log(stage_line(name, "；".join(detail), time.perf_counter() - started))


def stage_line(name: str, detail: str, seconds: float) -> str:
    """``HH:MM:SS 名称：说明（用时 N 秒）`` — the one line a stage (or a batch of notebooks) logs."""
    return f"{datetime.now():%H:%M:%S} {name}{'：' + detail if detail else ''}（用时 {seconds:.1f} 秒）"


def publish(run_dir: Path, target: Path, *, staged_name: str = "executed") -> None:
    """Swap ``run_dir/<staged_name>`` into ``target`` (the previous publication is kept until the swap)."""
    staged = run_dir / staged_name
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = target.with_name(target.name + ".incoming")
    shutil.rmtree(incoming, ignore_errors=True)
    shutil.copytree(staged, incoming)
    swap_in(incoming, target)


def _staged(place: PublicationPlace):
    """A fresh folder beside the publication's build folder, removed unless swapped in."""
    place.build.parent.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=f".{place.build.name}-incoming-", dir=place.build.parent)


def render_review(place: PublicationPlace, *, engine: str = "auto", editions: tuple[str, ...] = tuple(EDITIONS),
                  jobs: int = 2, reports_dir: Path | None = None, log=print) -> dict[str, dict[str, Path]]:
    """Publish the review of ``place`` (its executed notebooks) into ``place.build`` in one swap.

    Everything is built in a staging folder first — the internal edition (``html/``: pages, PDF, Word
    draft, the workbooks it links to, and the profiles volume in ``html/profiles/``) and the public
    edition (``public/``) — and swapped into place at the end, so a failure anywhere leaves the
    earlier publication of the period as it was, book and profiles together. An edition not asked
    for is carried over from the earlier publication. Returns ``{edition: {format: path}}`` (and
    ``{"profiles": {"html": index}}`` when the volume was built). Each edition and the volume log one
    timed line (:func:`stage`) with the files, named where they will be once swapped in.
    """
    reports_dir = reports_dir or config.REPORTS_DIR
    folders = {"internal": "html", "public": "public"}
    written: dict[str, dict[str, Path]] = {}
    with _staged(place) as tmp:
        staging = Path(tmp) / place.build.name
        staging.mkdir()
        prepare_book(executed_dir=place.executed, reports_dir=reports_dir,
                     output_dirs={e: staging / f for e, f in folders.items()})
        for edition, folder in folders.items():
            if edition not in editions and (place.build / folder).is_dir():
                shutil.copytree(place.build / folder, staging / folder)

        def final(path: Path) -> Path:
            return place.build / path.relative_to(staging)

        for edition in editions:
            out = staging / folders[edition]
            internal = edition == "internal"
            extra = search_entries(place.executed, folder=PROFILES_FOLDER) if internal else None
            with stage(log, f"渲染{EDITIONS[edition]}") as said:
                result = render(reports_dir, engine=engine, edition=edition, output_dir=out, extra_search=extra)
                said("；".join(f"{fmt}（{result.engine}）: {final(p)}" for fmt, p in result.outputs.items()))
            written[edition] = dict(result.outputs)
            if internal and extra:  # the profiles volume, inside the internal edition's folder
                with stage(log, "渲染企业画像（另册）") as said:
                    index = build_volume(place.executed, out_dir=out / PROFILES_FOLDER, jobs=jobs)
                    said(f"{final(index)}（每家企业一页网页、一份 PDF：{final(index.parent / 'pdf')}）")
                written["profiles"] = {"html": index}
        swap_in(staging, place.build)
    prepare_book(executed_dir=place.executed, reports_dir=reports_dir,  # Quarto users: the folders as published
                 output_dirs={"internal": place.html, "public": place.public})
    return {e: {fmt: final(p) for fmt, p in out.items()} for e, out in written.items()}


def render_bulletin(place: PublicationPlace, *, period: str, engine: str = "auto", log=print) -> dict[str, Path]:
    """Publish a 月度通报 / 季度分析 / 半月晾晒通报 from its executed notebooks into ``place.build`` (pages,
    PDF, Word draft and the workbooks it cites, in one folder), staged and swapped in at the end; one
    timed line (:func:`stage`)."""
    with _staged(place) as tmp:
        staging = Path(tmp) / place.build.name
        with stage(log, f"渲染{PUBLICATIONS[place.kind]['name_zh']}") as said:
            write_bulletin_sources(place.kind, label=place.label, period=period, executed_dir=place.executed,
                                   output_dir=staging)
            result = render(place.executed, engine=engine, output_dir=staging)
            said("；".join(f"{fmt}（{result.engine}）: {place.build / p.relative_to(staging)}"
                          for fmt, p in result.outputs.items()))
        swap_in(staging, place.build)
    write_bulletin_sources(place.kind, label=place.label, period=period, executed_dir=place.executed,
                           output_dir=place.build)
    return {fmt: place.build / p.relative_to(staging) for fmt, p in result.outputs.items()}


def latest_review() -> PublicationPlace | None:
    """The district's most recently published review (executed notebooks with a run manifest), if any."""
    found = []
    for manifest in (config.REPORTS_DIR / PUBLICATIONS["review"]["folder"]).glob("*/manifest.json"):
        if INBOX_MARK in manifest.parent.name:
            continue
        try:
            finished = json.loads(manifest.read_text("utf-8")).get("finished", "")
        except ValueError:
            continue
        found.append((finished, manifest.parent.name))
    return publication_place(max(found)[1], "review") if found else None


def run_period(
    period: str,
    *,
    entities: list[str] | None = None,
    jobs: int = 2,
    raw_dir: Path | None = None,
    runs_dir: Path | None = None,
    publish_to: Path | None = None,
    notebooks_dir: Path | None = None,
    cell_timeout: int = 600,
    notebook_timeout: int = 1800,
    start_timeout: int = 60,
    force: bool = False,
    scheduler: str | None = None,
    workers: int | None = None,
    publication: str | None = None,
    log=print,
) -> RunSummary:
    """Run every notebook for ``period`` and publish the executed notebooks if all succeed.

    Only one run at a time may publish to the same place: a second one started meanwhile
    stops at once with :class:`RunLocked` (safe under cron). An interrupted run leaves the
    previous publication as it was, since publishing is the last, atomic step.

    ``entities`` are checked against the period's roster as soon as the shared step has read it,
    before any notebook starts (:class:`UnknownEntity`). A notebook whose kernel does not start
    within ``start_timeout`` seconds is tried once more.

    The notebooks run in local threads (``jobs`` at a time) unless ``scheduler`` names a Dask
    distributed scheduler (``tcp://HOST:PORT``, started with ``dask scheduler`` and ``dask worker``
    on machines that share the project folder) or ``workers`` asks for a Dask ``LocalCluster`` of
    that many worker processes on this machine; results come back into the same run folder with
    the same failure isolation, manifest and atomic publication.
    """
    from filelock import FileLock, Timeout  # deferred: heavy dependency, loaded on first use

    parse_period(period)
    publication = publication or publication_kind(period, review=True)
    raw_dir = resolve_inbox(raw_dir)
    runs_dir = runs_dir or config.PROJECT_ROOT / "runs"
    publish_to = publish_to or default_publication(period, publication, raw_dir=raw_dir)
    runs_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(runs_dir / ".guozi-run.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise RunLocked(f"另一个 guozi run 正在运行（锁文件 {lock.lock_file}），本次未执行。") from None
    try:
        return _run_locked(period, entities=entities, jobs=jobs, raw_dir=raw_dir, runs_dir=runs_dir,
                           publish_to=publish_to, notebooks_dir=notebooks_dir, cell_timeout=cell_timeout,
                           notebook_timeout=notebook_timeout, start_timeout=start_timeout, force=force,
                           scheduler=scheduler, workers=workers, publication=publication, log=log)
    finally:
        lock.release()


class RunLocked(RuntimeError):
    """Another run holds the lock."""


def _run_locked(period, *, entities, jobs, raw_dir, runs_dir, publish_to, notebooks_dir, cell_timeout,
                notebook_timeout, start_timeout, force, log, scheduler=None, workers=None,
                publication="review") -> RunSummary:
    inputs = input_manifest(raw_dir, config.PARAMS_DIR)
    code_hash = _code_hash(notebooks_dir or config.NOTEBOOKS_DIR)
    params = {"period": period, "entities": entities, "raw_dir": str(raw_dir), "publication": publication}
    label, period = period, parse_period(period).label  # "2022-Q3" names the run; its data are 2022-09

    previous = _last_manifest(publish_to)
    if (not force and previous and previous.get("inputs") == inputs and previous.get("code") == code_hash
            and previous.get("parameters") == params):
        log("输入、参数与代码均未变化，沿用上次结果（加 --force 强制重跑）。")
        return RunSummary(period, Path(previous["run_dir"]), published=True, reused=True)

    with cluster_session(scheduler, workers, log=log) as client:
        return _run_fresh(period, label=label, entities=entities, jobs=jobs, runs_dir=runs_dir, raw_dir=raw_dir,
                          publish_to=publish_to, notebooks_dir=notebooks_dir, params=params, inputs=inputs,
                          code_hash=code_hash, publication=publication, client=client, scheduler=scheduler,
                          workers=workers, log=log, options={"cell_timeout": cell_timeout,
                                                             "notebook_timeout": notebook_timeout,
                                                             "start_timeout": start_timeout})


def _run_fresh(period, *, label, entities, jobs, runs_dir, raw_dir, publish_to, notebooks_dir, params, inputs,
               code_hash, publication, client, scheduler, workers, log, options) -> RunSummary:
    """A run that does the work (not reused): intake and shared step, notebooks, manifest, publication;
    on ``client``'s Dask cluster when there is one, else in this process and local threads."""
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S_%f")
    run_dir = runs_dir / label / stamp
    processed_dir = run_dir / "processed"
    started = datetime.now().isoformat(timespec="seconds")
    profiles = runs_profiles(publication or publication_kind(period, review=True))
    compute_shared(period, raw_dir=raw_dir, processed_dir=processed_dir, profiles=profiles, log=log)
    check_entities(entities, roster_ids(processed_dir))  # before any notebook starts
    if entities is None and profiles:
        entities = default_profile_entities(processed_dir)
    planned = plan_jobs(period, entities, run_dir=run_dir, processed_dir=processed_dir,
                        notebooks_dir=notebooks_dir, publication=publication)
    summary = RunSummary(period, run_dir)
    units = plan_units(planned, slots=max(1, workers or jobs))
    progress = unit_progress(units, log)
    if client is not None:
        executor = f"Dask {scheduler}" if scheduler else f"Dask LocalCluster（{workers} 个工作进程）"
        log(f"{datetime.now():%H:%M:%S} 笔记本分发到 {executor}")
        results = run_on_dask(planned, client=client, units=units, on_unit=progress, **options)
    else:
        executor = f"本机线程（{max(1, jobs)} 个）"
        results = run_in_threads(planned, jobs=jobs, units=units, on_unit=progress, **options)
    baselines = []
    for result in results:
        if result.label == BASELINE:
            baselines.append(result.seconds)
            continue
        summary.results.append(result)
    timing = profile_timing(units, summary.results, baselines)
    if timing:
        log(f"{datetime.now():%H:%M:%S} 企业画像 {timing['profiles']} 本：首本之后每本 {timing['per_profile_after_first']:.2f} 秒"
            f"（同一内核上的空笔记本 {timing['empty_notebook']:.2f} 秒）")
    manifest = {
        "package_version": __version__,
        "period": period,
        "label": label,
        "publication": publication,
        "parameters": params,
        "inputs": inputs,
        "code": code_hash,
        "started": started,
        "finished": datetime.now().isoformat(timespec="seconds"),
        "run_dir": str(run_dir),
        "executor": executor,
        "profile_timing": timing,
        "notebooks": [asdict(r) for r in summary.results],
    }
    (run_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
    if summary.ok:
        shutil.copy2(run_dir / "manifest.json", run_dir / "executed" / "manifest.json")
        publish(run_dir, publish_to)
        if publish_to == default_publication(label, publication):  # the district's own inbox: refresh JupyterLab's too
            publish(run_dir, config.shared_dir(period), staged_name="processed")
        summary.published = True
        log(f"{datetime.now():%H:%M:%S} 全部 {len(planned)} 个笔记本执行成功，已发布到 {publish_to}")
    else:
        log(f"{datetime.now():%H:%M:%S} 有笔记本失败，上次发布的结果保持不变；本次输出保留在 {run_dir}")
    return summary


def plan_units(planned: list[NotebookJob], *, slots: int = 2) -> list[list[NotebookJob]]:
    """Units of work: the profiles in batches (one kernel each, at most :data:`PROFILE_BATCH_MAX`, at
    least ``slots`` batches so every worker gets some), then each district notebook on its own."""
    profiles = [j for j in planned if j.template.name == PROFILE_NOTEBOOK]
    singles = [[j] for j in planned if j.template.name != PROFILE_NOTEBOOK]
    if not profiles:
        return singles
    count = max(min(slots, len(profiles)), ceil(len(profiles) / PROFILE_BATCH_MAX))
    size = ceil(len(profiles) / count)
    return [profiles[k:k + size] for k in range(0, len(profiles), size)] + singles


def _execute_unit(unit: list[NotebookJob], **options) -> list[JobResult]:
    if len(unit) == 1 and unit[0].template.name != PROFILE_NOTEBOOK:
        return [execute_job(unit[0], **options)]
    return execute_batch(unit, **options)


def _in_plan_order(planned: list[NotebookJob], finished):
    """Yield results in plan order from ``finished`` (``(unit, results)`` pairs in the order the units
    finish); baselines as soon as their unit finishes."""
    by_label: dict[str, JobResult] = {}
    pending = iter(planned)
    waiting = next(pending, None)
    for _unit, results in finished:
        for result in results:
            if result.label == BASELINE:
                yield result
            else:
                by_label[result.label] = result
        while waiting is not None and waiting.label in by_label:
            yield by_label.pop(waiting.label)
            waiting = next(pending, None)
    while waiting is not None:  # pragma: no cover - every unit reports each of its jobs
        yield by_label.pop(waiting.label)
        waiting = next(pending, None)


def _reported(finished, on_unit):
    """Pass ``(unit, results)`` pairs through, telling ``on_unit`` of each as it finishes."""
    for unit, results in finished:
        if on_unit is not None:
            on_unit(unit, results)
        yield unit, results


def run_in_threads(planned: list[NotebookJob], *, jobs: int, units=None, on_unit=None, **options):
    """Execute the units of work in local threads, ``jobs`` at a time; yield results in plan order.

    ``on_unit(unit, results)`` is called as each unit finishes (whatever its place in the plan), so the
    progress shows at once rather than when the units before it in the plan are done."""
    units = units if units is not None else plan_units(planned, slots=max(1, jobs))
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(_execute_unit, unit, **options): unit for unit in units}
        finished = ((futures[fut], fut.result()) for fut in as_completed(futures))
        yield from _in_plan_order(planned, _reported(finished, on_unit))


#: Seconds a run waits for the first worker of a scheduler it is given.
CLUSTER_WORKER_WAIT = 60


@contextmanager
def cluster_session(scheduler: str | None = None, workers: int | None = None, *, log=print):
    """One Dask client for a whole run, put in charge of every map of the run (:func:`on_cluster`):
    intake's file batches, the shared step's series, the notebooks and the volume's pages.

    ``scheduler`` is the address of a running scheduler (``tcp://HOST:PORT``); otherwise ``workers`` asks
    for a ``LocalCluster`` of that many processes here, stopped at the end. Neither: yields ``None`` and
    everything runs on this machine as before. Inside a session already open (``guozi report`` opens
    one for the run and the rendering), yields that one. Logs where the run goes and the Dask
    dashboard's address when the scheduler serves one.
    """
    if not scheduler and not workers:
        yield None
        return
    opened = current_cluster()
    if opened is not None:
        yield opened
        return
    from distributed import Client, LocalCluster  # deferred: heavy dependency, loaded on first use

    cluster = None
    try:
        if scheduler:
            try:
                client = Client(scheduler, timeout=30)
            except OSError as exc:
                raise RunnerError(f"无法连接 Dask 调度器 {scheduler}（{exc}）：请先在该地址运行 `dask scheduler`，"
                                  "并至少启动一个 `dask worker`。") from None
            try:  # a scheduler without workers would keep every task of the run waiting
                client.wait_for_workers(1, timeout=CLUSTER_WORKER_WAIT)
            except (TimeoutError, OSError):
                client.close()
                raise RunnerError(f"Dask 调度器 {scheduler} 在 {CLUSTER_WORKER_WAIT} 秒内没有可用的工作进程：请至少启动一个 "
                                  f"`dask worker {scheduler}`。") from None
            where = f"Dask 调度器 {scheduler}（{cluster_size(client)} 个工作进程）"
        else:
            # the dashboard on a free port (8787 may be another run's); its address is logged below
            cluster = LocalCluster(n_workers=max(1, int(workers)), threads_per_worker=1, dashboard_address=":0",
                                   processes=True)
            client = Client(cluster)
            where = f"Dask LocalCluster（{workers} 个工作进程）"
        link = client.dashboard_link
        log(f"{datetime.now():%H:%M:%S} 本次运行分发到 {where}：接收校验、共享步骤、笔记本与画像渲染"
            + (f"；进度见 Dask 仪表板 {link}" if link else ""))
        with client, on_cluster(client):
            yield client
    finally:
        if cluster is not None:
            cluster.close()


def _notebook_task(unit: list[NotebookJob], **options) -> list[JobResult]:
    """One unit of notebooks as a Dask task: the worker's log line (stage ``profile`` for a batch of
    profiles, ``notebook`` for a district notebook), then :func:`_execute_unit`."""
    log_task("profile" if unit[0].template.name == PROFILE_NOTEBOOK else "notebook", len(unit))
    return _execute_unit(unit, **options)


def run_on_dask(planned: list[NotebookJob], *, client=None, scheduler: str | None = None, workers: int | None = None,
                units=None, on_unit=None, **options) -> list[JobResult]:
    """Execute the units of work (district notebooks, batches of profiles) as Dask tasks; results in plan order.

    On ``client`` (the run's :func:`cluster_session`); without one, a session is opened for these
    notebooks alone from ``scheduler`` / ``workers``. A task lost with its worker counts as failed
    notebooks (with the reason), like any other failure; the run goes on. ``on_unit`` as in
    :func:`run_in_threads`.
    """
    from distributed import as_completed  # deferred: heavy dependency, loaded on first use

    if client is None:
        with cluster_session(scheduler, workers or (None if scheduler else 2), log=lambda m: None) as opened:
            return run_on_dask(planned, client=opened, units=units, on_unit=on_unit, **options)
    units = units if units is not None else plan_units(
        planned, slots=max(1, cluster_size(client) or 2))
    futures = {client.submit(_notebook_task, unit, pure=False, key=f"notebooks-{unit[0].label}-{k}",
                             **options): unit for k, unit in enumerate(units)}

    def outcome(unit, fut):
        try:
            return fut.result()
        except Exception as exc:  # noqa: BLE001 - a lost worker is failed notebooks, not a lost run
            return [JobResult(job.label, str(job.output), "失败", 0.0,
                              f"Dask 任务失败：{type(exc).__name__}：{exc}") for job in unit]

    try:
        finished = ((futures[fut], outcome(futures[fut], fut)) for fut in as_completed(list(futures)))
        return list(_in_plan_order(planned, _reported(finished, on_unit)))
    finally:
        for fut in futures:
            fut.release()


def profile_timing(units, results: list[JobResult], baselines: list[float]) -> dict | None:
    """Per-profile cost after the first of each batch (the kernel start and imports excluded), next to
    the empty notebook on the same kernel; ``None`` when no profile ran."""
    by_label = {r.label: r for r in results}
    first, rest = [], []
    for unit in units:
        timed = [by_label[j.label].seconds for j in unit if j.template.name == PROFILE_NOTEBOOK
                 and j.label in by_label and by_label[j.label].status == "成功"]
        first += timed[:1]
        rest += timed[1:]
    if not first:
        return None
    per = sum(rest) / len(rest) if rest else first[0]
    empty = sum(baselines) / len(baselines) if baselines else float("nan")
    return {"profiles": len(first) + len(rest), "batches": len(first), "first_profile": sum(first) / len(first),
            "per_profile_after_first": per, "empty_notebook": empty}


class RunnerError(ValueError):
    """The run cannot start as asked (e.g. the Dask scheduler cannot be reached)."""


def _code_hash(notebooks_dir: Path) -> str:
    parts = [__version__]
    parts += [file_sha256(p) for p in sorted(notebooks_dir.rglob("*.ipynb"))]
    parts += [file_sha256(p) for p in sorted(Path(__file__).parents[1].rglob("*.py"))]
    return "|".join(parts)


def _last_manifest(publish_to: Path) -> dict | None:
    path = publish_to / "manifest.json"
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def unit_progress(units: list[list[NotebookJob]], log, *, terminal: bool | None = None):
    """What to call as each unit of work finishes: a tqdm bar on a terminal (stderr), otherwise one log
    line per unit — a district notebook by name, a batch of profiles as one line (how many, how many
    failed, the failed ones by name) — so a scheduler's log lists every notebook once, as it finishes."""
    total = sum(len(u) for u in units)
    batches = [u for u in units if u and u[0].template.name == PROFILE_NOTEBOOK]
    number = {id(u): k for k, u in enumerate(batches, start=1)}
    if sys.stderr.isatty() if terminal is None else terminal:
        from tqdm import tqdm  # deferred: heavy dependency, loaded on first use

        bar = tqdm(total=total, desc="执行笔记本", unit="本")

        def step(unit, results) -> None:
            done = [r for r in results if r.label != BASELINE]
            bar.update(len(done))
            if done:
                bar.set_postfix_str(f"{done[-1].label} {done[-1].status}")
            if bar.n >= total:
                bar.close()

        return step

    def line(unit, results) -> None:
        done = [r for r in results if r.label != BASELINE]
        seconds = sum(r.seconds for r in done)
        failed = [r for r in done if r.status != "成功"]
        retried = "（内核启动慢，已重试）" if any(r.attempts > 1 for r in done) else ""
        if id(unit) in number:
            status = f"成功 {len(done) - len(failed)} 本" + (
                f"，未成功 {len(failed)} 本：{'、'.join(r.label for r in failed)}" if failed else "")
            log(stage_line(f"企业画像第 {number[id(unit)]}/{len(batches)} 批（{len(done)} 本）", status + retried,
                           seconds))
            return
        for r in done:
            log(stage_line(f"笔记本 {r.label}", r.status + retried, r.seconds))

    return line


if __name__ == "__main__":  # subprocess entry point used by execute_job
    raise SystemExit(_run_one(json.loads(sys.argv[1])))
