"""Benchmark (not a test): the period run at 46, 500 and 2,000 enterprises, stage by stage (issue 18).

For each size the district is generated with ``guozi demo --enterprises N --out DIR``, then each stage
runs in a fresh child process (so its time and peak memory are its own):

  ingest     ``open_inbox`` on a fresh store (read, validate, store every file)
  reuse      ``open_inbox`` again on the unchanged inbox (must cost next to nothing)
  shared     the shared step (``shared_results``: indicators, history, risk, ranking, forecasts, ...)
  bulletin   ``guozi report --period P --data DIR`` (the 月度通报: shared step, its notebook, its PDF)
  run        ``guozi run --period P --review --data DIR`` (shared step + the review's notebooks + a profile
             for every enterprise; the per-profile cost and the empty notebook on the same kernel are
             read from the run's manifest)
  render     ``guozi render`` (HTML + PDF of the review, both editions, and the profiles volume)

next to floors measured in the same run on the same files: python-calamine reading every workbook
(``floor_read``), a plain pandas groupby of the 快报 sums by enterprise and month (``floor_groupby``) and
an empty notebook on the project kernel (``floor_notebook``). Printed per stage: seconds, peak RSS of the
stage's processes (MB), milliseconds per enterprise and the ratio to its floor; growth between sizes is
the ratio of per-enterprise costs (1.0 = linear).

    .venv/bin/python benchmarks/bench_scale.py                       # quick: 46 and 500, ingest/reuse/shared
    .venv/bin/python benchmarks/bench_scale.py --sizes 46,500,2000 --stages all

Goals on a 2-core machine: 2,000 enterprises end to end under 15 minutes, peak memory under 4 GB,
per-enterprise cost flat across sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
STAGES = ("ingest", "reuse", "shared", "bulletin", "run", "render")
QUICK = ("ingest", "reuse", "shared")
PERIOD = "2022-11"

_CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
{body}
seconds = time.perf_counter() - t0
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
rss = max(me.ru_maxrss, kids.ru_maxrss)
cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
print("@@" + json.dumps(dict(seconds=seconds, cpu=cpu, rss_mb=rss / 1024, **extra)))
"""

_BODIES = {
    "ingest": """
from guozi_analysis.intake.inbox import open_inbox
box = open_inbox({raw!r}, cache_dir={cache!r})
rows = int(sum(f.submitted for f in box.report.files))
extra = dict(rows=rows, files=len(box.report.files), ingested=box.ingested)
""",
    "reuse": """
from guozi_analysis.intake.inbox import open_inbox
box = open_inbox({raw!r}, cache_dir={cache!r})
assert box.reused, "store was rebuilt"
extra = dict(ingested=box.ingested)
""",
    "shared": """
from guozi_analysis.intake.inbox import open_inbox
from guozi_analysis.running.shared import shared_results
box = open_inbox({raw!r}, cache_dir={cache!r})
t1 = time.perf_counter()
res = shared_results({period!r}, inbox=box)
extra = dict(shared_only=time.perf_counter() - t1, frames=len(res))
""",
    "floor_read": """
from pathlib import Path
import pandas as pd
from python_calamine import CalamineWorkbook
rows = 0
for p in sorted(Path({raw!r}).rglob("*")):
    if p.suffix == ".xlsx":
        wb = CalamineWorkbook.from_path(str(p))
        for name in wb.sheet_names:
            rows += max(len(wb.get_sheet_by_name(name).to_python()) - 2, 0)
    elif p.suffix == ".csv":
        rows += len(pd.read_csv(p, skiprows=[1], dtype=str))
extra = dict(rows=rows)
""",
    "floor_groupby": """
import pandas as pd
from guozi_analysis.intake.ingestion import load_processed
import glob
store = glob.glob({cache!r} + "/*/processed")[0]
fin = load_processed(store, tables=["financials"])["financials"]
t1 = time.perf_counter()
money = [c for c in fin.columns if fin[c].dtype == "float64"]
for _ in range(24):  # as many passes as the 24-month indicator history
    sums = fin.groupby(["enterprise_id", "period"])[money].sum()
extra = dict(groupby_only=time.perf_counter() - t1)
""",
}


def child(stage: str, **fmt) -> dict:
    code = _CHILD.format(body=_BODIES[stage].format(**fmt))
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    line = next((x for x in out.stdout.splitlines() if x.startswith("@@")), None)
    if out.returncode or line is None:
        raise SystemExit(f"{stage} 失败：\n{out.stderr[-3000:]}")
    return json.loads(line[2:])


def cli(args: list[str]) -> dict:
    """A ``guozi`` command in a child process: its time and the peak RSS of its processes."""
    code = _CHILD.format(body=(
        "import subprocess\n"
        f"r = subprocess.run({[PY, '-m', 'guozi_analysis.running.cli', *args]!r}, capture_output=True, text=True)\n"
        "assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]\n"
        "extra = {}\n"))
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    line = next((x for x in out.stdout.splitlines() if x.startswith("@@")), None)
    if out.returncode or line is None:
        raise SystemExit(f"guozi {' '.join(args)} 失败：\n{out.stderr[-3000:]}")
    return json.loads(line[2:])


def empty_notebook_seconds(work: Path) -> float:
    """An empty notebook (the profile's parameters cell and imports) on the project kernel, via the runner."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    sys.path.insert(0, str(ROOT / "src"))
    from bench_runner import empty_notebook, timed  # noqa: E402 (benchmarks folder)

    from guozi_analysis.base import config
    from guozi_analysis.running import runner as pipeline

    template = config.NOTEBOOKS_DIR / pipeline.PROFILE_NOTEBOOK
    nb = empty_notebook(template, work / "empty.ipynb")
    params = {"period": PERIOD, "entity_id": "G01", "processed_dir": str(work), "output_dir": str(work)}
    return timed(pipeline.NotebookJob("empty", nb, work / "empty-out.ipynb", params))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="46,500", help="企业数，逗号分隔（默认 46,500；完整：46,500,2000）")
    ap.add_argument("--stages", default=",".join(QUICK),
                    help=f"阶段，逗号分隔，或 all（{','.join(STAGES)}；默认 {','.join(QUICK)}）")
    ap.add_argument("--work", help="工作目录（默认临时目录，结束后保留以便复查）")
    args = ap.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",")]
    stages = STAGES if args.stages == "all" else tuple(s for s in args.stages.split(",") if s)
    work = Path(args.work or tempfile.mkdtemp(prefix="bench-scale-"))
    print(f"工作目录 {work}；阶段 {', '.join(stages)}")
    rows = []
    for n in sizes:
        out = work / f"d{n}"
        t0 = time.perf_counter()
        if not (out / "raw").exists():
            subprocess.run([PY, "-m", "guozi_analysis.running.cli", "demo", "--enterprises", str(n), "--out", str(out)],
                           check=True, env=dict(os.environ, PYTHONPATH=str(ROOT / "src")), cwd=ROOT,
                           capture_output=True)
        gen = time.perf_counter() - t0
        raw, cache = str(out / "raw"), str(out / "cache")
        res = {"n": n, "generate": {"seconds": gen, "rss_mb": float("nan")}}
        # on a shared machine wall time includes waiting for a core: CPU seconds are printed beside it
        res["floor_read"] = child("floor_read", raw=raw)
        for st in ("ingest", "reuse", "shared"):
            if st in stages or (st == "ingest" and {"reuse", "shared"} & set(stages)):
                res[st] = child(st, raw=raw, cache=cache, period=PERIOD)
        if "ingest" in res:
            res["floor_groupby"] = child("floor_groupby", cache=cache)
        if "bulletin" in stages:  # `guozi report --period 2022-11 --data DIR`: the 月度通报, no profiles
            res["bulletin"] = cli(["report", "--period", PERIOD, "--data", raw, "--jobs", "2", "--force"])
        if "run" in stages:  # the year-end review's notebooks and a profile for every enterprise
            res["run"] = cli(["run", "--period", PERIOD, "--review", "--data", raw, "--jobs", "2", "--force"])
            # another inbox than the district's publishes beside the district's own: reports/review/<期间>@raw
            timing = json.loads((ROOT / "reports" / "review" / f"{PERIOD}@{Path(raw).name}" / "manifest.json")
                                .read_text("utf-8"))
            res["profiles"] = timing.get("profile_timing", {})
        if "render" in stages:  # the review (HTML + PDF, both editions) and the profiles volume
            res["render"] = cli(["render", "--period", PERIOD, "--data", raw])
        rows.append(res)
        report(rows)
    if {"run", "render"} & set(stages):
        s = empty_notebook_seconds(work)
        print(f"\n空笔记本（同一内核，含启动与导入）：{s:.2f} s；每本笔记本的下限")
    return 0


def report(rows: list[dict]) -> None:
    print(f"\n{'阶段':<10}{'企业':>7}{'秒':>10}{'CPU秒':>9}{'峰值MB':>9}{'毫秒/企业':>11}{'对下限':>9}{'增长':>7}")
    first = rows[0]
    for res in rows:
        n = res["n"]
        for st in ("generate", "floor_read", "ingest", "reuse", "shared", "floor_groupby", "bulletin", "run",
                   "render"):
            if st not in res:
                continue
            r = res[st]
            sec = r["seconds"]
            ratio = ""
            if st == "ingest" and "floor_read" in res:
                ratio = f"{sec / res['floor_read']['seconds']:.1f}×"
            if st == "shared" and "floor_groupby" in res:
                ratio = f"{r['shared_only'] / max(res['floor_groupby']['groupby_only'], 1e-6):.0f}×"
            growth = ""
            if res is not first and st in first:
                growth = f"{(sec / n) / (first[st]['seconds'] / first['n']):.2f}"
            cpu = r.get("cpu", float("nan"))
            print(f"{st:<10}{n:>7}{sec:>10.1f}{cpu:>9.1f}{r['rss_mb']:>9.0f}{1000 * sec / n:>11.1f}{ratio:>9}{growth:>7}")
        if "ingest" in res:
            i, f = res["ingest"], res["floor_read"]
            print(f"  接收 {i['rows']} 行，{i['rows'] / i['seconds']:.0f} 行/秒（按 CPU 时间 {i['rows'] / i['cpu']:.0f}；"
                  f"calamine 读取同样的文件 {f['rows'] / f['seconds']:.0f} 行/秒）；{i['files']} 个文件")
        if "shared" in res:
            print(f"  共享步骤本身 {res['shared']['shared_only']:.1f} 秒")
        prof = res.get("profiles") or {}
        if prof.get("per_profile_after_first") is not None:
            print(f"  企业画像 {prof['profiles']} 份（{prof['batches']} 批）：首份 {prof['first_profile']:.2f} 秒，"
                  f"其后每份 {prof['per_profile_after_first']:.2f} 秒；同一内核上的空笔记本 "
                  f"{prof['empty_notebook']:.2f} 秒（下限），比值 "
                  f"{prof['per_profile_after_first'] / max(prof['empty_notebook'], 1e-6):.0f}×")


if __name__ == "__main__":
    sys.exit(main())
