"""Benchmark (not a test): what a profile notebook costs beyond starting its kernel and imports.

Measured in the same run, through the runner's own mechanism (one subprocess + papermill per
notebook, the project kernel):
  * a per-enterprise profile notebook on the demo district;
  * an "empty" notebook with the same parameters cell that starts the same kernel and imports
    the same libraries, and does nothing else.
The ratio profile / empty should be at most 1.3: the heavy work belongs in the shared step.
Then the whole demo run (`run_period`, --jobs 2) is timed end to end.

    .venv/bin/python benchmarks/bench_runner.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from guozi_analysis.base import config
from guozi_analysis.running import runner as pipeline

IMPORTS = ("import pandas as pd\nimport matplotlib.pyplot as plt\n"
           "from guozi_analysis.base import fonts\nfrom guozi_analysis.analyses import risk\nfrom guozi_analysis.publishing import views")


def empty_notebook(template: Path, out: Path) -> Path:
    """Same parameters cell as the profile notebook, then only the imports."""
    profile = nbformat.read(template, as_version=4)
    params = next(c for c in profile.cells if "parameters" in c.metadata.get("tags", []))
    nb = new_notebook(metadata=profile.metadata)
    nb.cells = [params, new_code_cell(IMPORTS)]
    nbformat.write(nb, out)
    return out


def timed(job: pipeline.NotebookJob) -> float:
    result = pipeline.execute_job(job)
    if result.status != "成功":
        raise SystemExit(f"{job.label} 执行失败：{result.error}")
    return result.seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        processed = tmp / "processed"
        t0 = time.perf_counter()
        pipeline.compute_shared("2022-11", raw_dir=config.DEMO_DIR / "raw", processed_dir=processed)
        shared = time.perf_counter() - t0
        template = config.NOTEBOOKS_DIR / pipeline.PROFILE_NOTEBOOK
        empty = empty_notebook(template, tmp / "empty.ipynb")
        params = {"period": "2022-11", "entity_id": "G01", "processed_dir": str(processed), "output_dir": str(tmp)}
        profile_s, empty_s = [], []
        for k in range(args.repeat):  # interleaved so that machine load affects both alike
            empty_s.append(timed(pipeline.NotebookJob("empty", empty, tmp / f"e{k}.ipynb", params)))
            profile_s.append(timed(pipeline.NotebookJob("profile", template, tmp / f"p{k}.ipynb", params)))
        p, e = statistics.median(profile_s), statistics.median(empty_s)
        print(f"共享步骤（指标、预警、排名、考核、叙述、预测）：{shared:.1f} 秒")
        print(f"画像笔记本：中位数 {p:.2f} 秒 {['%.2f' % s for s in profile_s]}")
        print(f"空笔记本（同内核、同导入）：中位数 {e:.2f} 秒 {['%.2f' % s for s in empty_s]}")
        print(f"比值 画像/空 = {p / e:.2f}（目标 ≤ 1.3）")

        t0 = time.perf_counter()
        summary = pipeline.run_period("2022-11", jobs=2, runs_dir=tmp / "runs", publish_to=tmp / "executed",
                                      log=lambda m: None)
        wall = time.perf_counter() - t0
        print(f"示范区整期运行（--jobs 2，{len(summary.results)} 本笔记本）：{wall:.1f} 秒，"
              f"{'全部成功' if summary.ok else '有失败'}")


if __name__ == "__main__":
    main()
