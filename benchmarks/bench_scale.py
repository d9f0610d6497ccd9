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
    .venv/bin/python benchmarks/bench_scale.py --sizes 500,2000,10000 --stages all \
        --inboxes /work/scale --json bench-scale.json                # reuse /work/scale/d<N>/raw, keep the numbers

Memory: each stage's child process is watched from outside (``/proc``, every half second): the peak of
the whole process tree's RSS (the run, its notebook kernels, its worker processes, Typst) is printed
beside the largest single process's peak (``getrusage``) and, per enterprise, in KB. With ``--inboxes DIR``
an already generated district ``DIR/d<N>/raw`` is used as it is (read-only: stores and caches go to the
work folder); otherwise the district is generated in the work folder. ``--json FILE`` writes every
measurement (and the growth table) for later comparison.

Goals on a 2-core machine (issue 27): 2,000 enterprises, the review run with every profile, under 15
minutes and 3 GB; per-enterprise cost (time and memory) flat across sizes (growth ≤ 1.2 from 500 to 10,000).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
STAGES = ("ingest", "reuse", "shared", "bulletin", "run", "render")
#: not in ``all`` (it is run + render in one command): ``guozi report --period P --review``, the whole review run
EXTRA = ("review",)
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


def _tree_rss(root: int) -> tuple[int, dict[int, tuple[str, int]]]:
    """RSS (KB) of ``root`` and all its descendants, and each process's (name, RSS) — from ``/proc``."""
    parent, info = {}, {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                stat = fh.read()
            with open(f"/proc/{d}/statm") as fh:
                pages = int(fh.read().split()[1])
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        parent[int(d)] = int(stat[stat.rindex(")") + 2:].split()[1])
        info[int(d)] = (name, pages * os.sysconf("SC_PAGE_SIZE") // 1024)
    tree, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in info:
            tree[pid] = info[pid]
        todo.extend(p for p, pp in parent.items() if pp == pid)
    return sum(kb for _, kb in tree.values()), tree


#: ``--trace FILE``: every sample is also appended to this file as it is taken (a long run can be followed,
#: and an interrupted one still says where its memory went)
TRACE: Path | None = None


def _watched(cmd: list[str], env: dict, samples: list, what: str = "") -> subprocess.CompletedProcess:
    """Run ``cmd``; every half second append (seconds, tree RSS in MB, largest process, its MB) to ``samples``."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            total, tree = _tree_rss(proc.pid)
            if tree:
                big = max(tree.values(), key=lambda x: x[1])
                samples.append((round(time.perf_counter() - t0, 1), round(total / 1024), big[0], round(big[1] / 1024)))
                if TRACE is not None:
                    with open(TRACE, "a", encoding="utf-8") as fh:
                        fh.write(f"{what}\t{time.strftime('%H:%M:%S')}\t" + "\t".join(map(str, samples[-1])) + "\n")

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    out, err = proc.communicate()
    done.set()
    watcher.join()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _run_child(code: str, what: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    samples: list = []
    out = _watched([PY, "-c", code], env, samples, what)
    line = next((x for x in out.stdout.splitlines() if x.startswith("@@")), None)
    if out.returncode or line is None:
        raise SystemExit(f"{what} 失败：\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
    res = json.loads(line[2:])
    res["tree_mb"] = max((s[1] for s in samples), default=float("nan"))
    res["samples"] = samples
    return res


def child(stage: str, **fmt) -> dict:
    return _run_child(_CHILD.format(body=_BODIES[stage].format(**fmt)), stage)


def cli(args: list[str]) -> dict:
    """A ``guozi`` command in a child process: its time and the peak RSS of its processes."""
    code = _CHILD.format(body=(
        "import subprocess\n"
        f"r = subprocess.run({[PY, '-m', 'guozi_analysis.running.cli', *args]!r}, capture_output=True, text=True)\n"
        "assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]\n"
        "extra = dict(log=r.stdout[-6000:])\n"))
    return _run_child(code, f"guozi {' '.join(args)}")


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
                    help=f"阶段，逗号分隔，或 all（{','.join(STAGES)}；另有 review＝整次年度报告运行；默认 {','.join(QUICK)}）")
    ap.add_argument("--work", help="工作目录（默认临时目录，结束后保留以便复查）")
    ap.add_argument("--inboxes", help="已生成的各规模收件箱所在目录（DIR/d<N>/raw，只读；没有的规模仍在工作目录生成）")
    ap.add_argument("--json", help="把全部测量（含每半秒的内存采样）写入此 JSON 文件")
    ap.add_argument("--trace", help="内存采样边测边追加到此文件（秒、进程树MB、最大进程及其MB）")
    args = ap.parse_args(argv)
    global TRACE
    TRACE = Path(args.trace) if args.trace else None
    sizes = [int(x) for x in args.sizes.split(",")]
    stages = STAGES if args.stages == "all" else tuple(s for s in args.stages.split(",") if s)
    work = Path(args.work or tempfile.mkdtemp(prefix="bench-scale-"))
    print(f"工作目录 {work}；阶段 {', '.join(stages)}")
    rows = []
    for n in sizes:
        out = work / f"d{n}"
        given = Path(args.inboxes) / f"d{n}" / "raw" if args.inboxes else None
        t0 = time.perf_counter()
        if given is not None and given.is_dir():
            raw_dir = given
        else:
            raw_dir = out / "raw"
            if not raw_dir.exists():
                subprocess.run([PY, "-m", "guozi_analysis.running.cli", "demo", "--enterprises", str(n), "--out",
                                str(out)], check=True, env=dict(os.environ, PYTHONPATH=str(ROOT / "src")), cwd=ROOT,
                               capture_output=True)
        gen = time.perf_counter() - t0
        out.mkdir(parents=True, exist_ok=True)
        raw, cache = str(raw_dir), str(out / "cache")
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
        if "review" in stages:  # the whole review run as a user starts it: shared step, notebooks, profiles, render
            res["review"] = cli(["report", "--period", PERIOD, "--review", "--data", raw, "--jobs", "2", "--force"])
        rows.append(res)
        report(rows)
        if args.json:
            Path(args.json).write_text(json.dumps({"work": str(work), "stages": list(stages), "sizes": rows,
                                                   "growth": growth_table(rows)}, ensure_ascii=False, indent=1),
                                       "utf-8")
    if {"run", "render"} & set(stages):
        s = empty_notebook_seconds(work)
        print(f"\n空笔记本（同一内核，含启动与导入）：{s:.2f} s；每本笔记本的下限")
    return 0


ORDER = ("generate", "floor_read", "ingest", "reuse", "shared", "floor_groupby", "bulletin", "run", "render",
         "review")


def _mb(r: dict) -> float:
    """A stage's memory: the peak of its whole process tree when sampled, else its largest process's."""
    tree = r.get("tree_mb", float("nan"))
    return tree if tree == tree else r["rss_mb"]


def growth_table(rows: list[dict]) -> dict:
    """Per stage, between consecutive sizes and from the first to the last: the ratio of the
    per-enterprise time and of the per-enterprise memory (1.0 = linear; the goal is ≤ 1.2)."""
    out = {}
    for st in ORDER[1:]:
        have = [r for r in rows if st in r]
        if len(have) < 2:
            continue
        pairs = list(zip(have, have[1:])) + ([(have[0], have[-1])] if len(have) > 2 else [])
        out[st] = [{"from": a["n"], "to": b["n"],
                    "time": (b[st]["seconds"] / b["n"]) / (a[st]["seconds"] / a["n"]),
                    "memory": (_mb(b[st]) / b["n"]) / (_mb(a[st]) / a["n"])} for a, b in pairs]
    return out


def report(rows: list[dict]) -> None:
    print(f"\n{'阶段':<10}{'企业':>7}{'秒':>10}{'CPU秒':>9}{'单进程MB':>10}{'进程树MB':>10}{'毫秒/企业':>11}"
          f"{'KB/企业':>9}{'对下限':>9}{'时间增长':>9}{'内存增长':>9}")
    for i, res in enumerate(rows):
        n = res["n"]
        for st in ORDER:
            if st not in res:
                continue
            r = res[st]
            sec = r["seconds"]
            ratio = ""
            if st == "ingest" and "floor_read" in res:
                ratio = f"{sec / res['floor_read']['seconds']:.1f}×"
            if st == "shared" and "floor_groupby" in res:
                ratio = f"{r['shared_only'] / max(res['floor_groupby']['groupby_only'], 1e-6):.0f}×"
            if st in ("run", "render") and res.get("profiles", {}).get("empty_notebook"):
                prof = res["profiles"]  # the notebooks' floor: the empty notebook on the same kernel
                ratio = f"{prof['per_profile_after_first'] / max(prof['empty_notebook'], 1e-6):.0f}×"
            before = next((p for p in reversed(rows[:i]) if st in p), None)
            tg = mg = ""
            if before is not None and st != "generate":  # against the size before (1.0 = linear)
                tg = f"{(sec / n) / (before[st]['seconds'] / before['n']):.2f}"
                mg = f"{(_mb(r) / n) / (_mb(before[st]) / before['n']):.2f}"
            cpu = r.get("cpu", float("nan"))
            print(f"{st:<10}{n:>7}{sec:>10.1f}{cpu:>9.1f}{r['rss_mb']:>10.0f}{r.get('tree_mb', float('nan')):>10.0f}"
                  f"{1000 * sec / n:>11.1f}{1024 * _mb(r) / n:>9.0f}{ratio:>9}{tg:>9}{mg:>9}")
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
