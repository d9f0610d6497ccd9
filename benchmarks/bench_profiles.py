"""Benchmark (not a test): what one enterprise profile costs on a reused kernel, and what the volume costs.

Measured in the same run, through the runner's own batch mechanism (one subprocess, one kernel):
  * every profile of the demo district (46) executed in turn on one kernel, namespace cleared between;
  * the floor: an empty notebook (the parameters cells only) on the same kernel, after the first profile.
Printed: the first profile (kernel start and imports), the mean per profile after the first, the
floor, and their ratio, and the CPU seconds of the batch (its process and kernel; on a busy machine the
wall clock mostly measures waiting); the goal is under 0.3 s per profile after the first. Then the profiles volume
is rendered (one HTML page and one PDF per enterprise) and its size and pages per PDF printed.

    .venv/bin/python benchmarks/bench_profiles.py [--entities 46] [--jobs 2] [--data RAW] [--processed DIR]
                                                  [--no-volume] [--out RUN]

``--data`` takes another inbox (e.g. a generated district of 500, read only); ``--processed`` keeps the
shared step's results in DIR and reuses them when DIR already holds them (then the shared step's time
is not measured); ``--out`` keeps the executed profiles in RUN; ``--no-volume`` stops after the profiles.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

from pypdf import PdfReader

from guozi_analysis.base import config
from guozi_analysis.publishing.profiles import build_volume
from guozi_analysis.running import runner as pipeline
from guozi_analysis.running.batch import BASELINE

PERIOD = "2022-11"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=0, help="只测前 N 家（默认全部）")
    parser.add_argument("--jobs", type=int, default=2, help="出版另册的并行数")
    parser.add_argument("--data", type=Path, default=config.DEMO_DIR / "raw", help="收件箱（默认示例区）")
    parser.add_argument("--processed", type=Path, default=None, help="共享结果目录（已有则沿用，不再计算）")
    parser.add_argument("--out", type=Path, default=None, help="保留执行后的画像笔记本的运行目录")
    parser.add_argument("--no-volume", action="store_true", help="只测画像，不出版另册")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        run_dir = args.out.resolve() if args.out else tmp / "run"
        processed = args.processed.resolve() if args.processed else run_dir / "processed"
        t0 = time.perf_counter()
        if not (processed / "indicators.parquet").exists():
            pipeline.compute_shared(PERIOD, raw_dir=args.data, processed_dir=processed, log=lambda m: None)
        shared = time.perf_counter() - t0
        entities = pipeline.default_profile_entities(processed)
        entities = entities[: args.entities] if args.entities else entities
        jobs = [j for j in pipeline.plan_jobs(PERIOD, entities, run_dir=run_dir, processed_dir=processed)
                if j.template.name == pipeline.PROFILE_NOTEBOOK]
        t0 = time.perf_counter()
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        results = pipeline.execute_batch(jobs, baseline=True)
        batch = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
        failed = [r for r in results if r.status != "成功"]
        if failed:
            raise SystemExit(f"画像执行失败：{failed[0].label} {failed[0].error}")
        seconds = [r.seconds for r in results if r.label != BASELINE]
        empty = next(r.seconds for r in results if r.label == BASELINE)
        after = statistics.mean(seconds[1:]) if len(seconds) > 1 else seconds[0]
        print(f"共享步骤（含按企业切片）: {shared:6.1f} 秒" + ("（沿用已有结果）" if shared < 1 else ""))
        print(f"画像 {len(seconds)} 本，一个内核: 共 {batch:5.1f} 秒；首本 {seconds[0]:.2f} 秒（含内核启动与导入）")
        print(f"首本之后每本: {after:.3f} 秒（中位数 {statistics.median(seconds[1:] or seconds):.3f}）；"
              f"同一内核上的空笔记本: {empty:.3f} 秒；比值 {after / empty:.1f}；目标 < 0.3 秒："
              f"{'达到' if after < 0.3 else '未达到'}")
        print(f"整批 CPU（批处理进程与内核，含内核启动与导入）: {cpu:.1f} 秒，平均每本 {cpu / len(seconds):.3f} 秒"
              "（机器繁忙时比墙钟时间更能说明画像本身的开销）")
        if args.no_volume:
            return
        executed = run_dir / "executed"
        (executed / "manifest.json").write_text(json.dumps({"period": PERIOD, "run_dir": str(run_dir)}), "utf-8")
        t0 = time.perf_counter()
        index = build_volume(executed, out_dir=tmp / "profiles", jobs=args.jobs)
        render = time.perf_counter() - t0
        html = sum(p.stat().st_size for p in index.parent.rglob("*") if p.is_file() and p.suffix in (".html", ".css",
                                                                                                       ".woff"))
        pdfs = sorted((index.parent / "pdf").glob("*.pdf"))
        pages = [len(PdfReader(p).pages) for p in pdfs if p.stem in entities]
        print(f"另册出版: {render:5.1f} 秒（每家 {render / len(entities):.2f} 秒，{args.jobs} 路并行）；"
              f"HTML {html / 1e6:.1f} MB（每家 {html / 1e3 / len(entities):.0f} KB）；"
              f"PDF 每份 {min(pages)}–{max(pages)} 页（平均 {statistics.mean(pages):.1f}），"
              f"共 {sum(p.stat().st_size for p in pdfs) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
