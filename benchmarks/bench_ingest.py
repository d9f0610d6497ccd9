"""Benchmark of intake at province size: 2,000 enterprises × 36 months of 财务快报.

Usage: ``.venv/bin/python benchmarks/bench_ingest.py [--enterprises 2000] [--months 36] [--scale 1.0] [--workdir DIR]``

Writes one submission workbook per month (template layout, values in 万元), then ingests them
all into a fresh raw and processed store and prints rows/second (read + validate + store) and
the peak resident memory of the process (``resource.getrusage``). In the same run it measures the
*read floor*: the time python-calamine alone needs to read the same files into Python values, and
prints ingest ÷ floor (goal ≤ 5, issue 27) and peak memory (goal ≤ 1 GB). ``--scale`` multiplies the number of
enterprises (e.g. 0.25 on a busy machine). Not a test.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import python_calamine

from guozi_analysis.base import contract
from guozi_analysis.intake.ingestion import ingest
from guozi_analysis.intake.template import write_submission


def months(n: int) -> list[str]:
    out, y, m = [], 2020, 2
    while len(out) < n:
        out.append(f"{y:04d}-{m:02d}")
        m += 1
        if m == 13:
            y, m = y + 1, 2  # January is not reported
    return out


def synthetic(ids: list[str], period: str, scale: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    n = len(ids)
    m = int(period[5:7])
    df = pd.DataFrame({"enterprise_id": ids, "period": period})
    for f in contract.money_fields("financials"):
        df[f] = np.round(scale * rng.uniform(0.01, 0.5, n), 2)
    df["total_assets"] = np.round(scale * 10, 2)
    df["total_liabilities"] = np.round(df["total_assets"] * 0.6, 2)
    df["total_equity"] = df["total_assets"] - df["total_liabilities"]
    for f in ("revenue", "operating_cost", "taxes_and_surcharges", "selling_expenses", "admin_expenses",
              "rd_expenses", "interest_expense", "employee_compensation", "depreciation", "taxes_paid",
              "rd_investment", "cash_from_sales", "operating_cash_inflow"):
        df[f] = np.round(scale * 0.1 * m, 2)
    df["total_profit"] = df["operating_profit"] + df["non_operating_income"] - df["non_operating_expenses"]
    df["net_profit"] = df["total_profit"] - df["income_tax"]
    df["headcount_end"] = rng.integers(10, 5000, n)
    df["headcount_avg"] = df["headcount_end"]
    return df


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--enterprises", type=int, default=2000)
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies --enterprises")
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args(argv)
    args.enterprises = max(1, int(round(args.enterprises * args.scale)))
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_ingest_"))
    inbox = work / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    ids = [f"G{g:02d}-{s:02d}-{t:02d}" for g in range(1, 100) for s in range(1, 100) for t in range(1, 100)]
    ids = ids[: args.enterprises]
    rng = np.random.default_rng(20221130)
    t0 = time.perf_counter()
    periods = months(args.months)
    scale = rng.lognormal(8, 1, len(ids))
    for p in periods:
        write_submission(inbox / f"财务快报_{p}.xlsx", {"financials": synthetic(ids, p, scale, rng)})
    t_write = time.perf_counter() - t0
    rows = len(ids) * len(periods)
    roster = pd.DataFrame({"enterprise_id": ids})
    files = sorted(inbox.iterdir())
    t0 = time.perf_counter()
    cells = 0
    for path in files:  # the read floor: calamine alone, every sheet into Python values
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            cells += sum(len(r) for r in wb.get_sheet_by_name(name).to_python())
    t_floor = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = ingest(files, raw_store=work / "raw", processed_dir=work / "proc",
                    today="2030-01-01", roster=roster)
    t_ingest = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    accepted = sum(f.accepted for f in report.files)
    print(f"企业 {len(ids)} 家 × {len(periods)} 个月 = {rows:,} 行（每行 {len(contract.table('financials').fields)} 列）")
    print(f"生成报送文件：{t_write:.1f} 秒")
    print(f"导入（读取 + 校验 + 入库）：{t_ingest:.1f} 秒，{rows / t_ingest:,.0f} 行/秒；入库 {accepted:,} 行；"
          f"发现 {len(report.findings)} 项")
    print(f"读取下限（python-calamine 仅读取为 Python 值，{cells:,} 个单元格）：{t_floor:.1f} 秒，"
          f"{rows / t_floor:,.0f} 行/秒")
    print(f"导入 ÷ 读取下限 = {t_ingest / t_floor:.2f} 倍（目标 ≤ 5）")
    print(f"进程峰值内存（RSS）：{peak_mb:,.0f} MB（目标 ≤ 1024 MB）")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if accepted == rows else 1


if __name__ == "__main__":
    sys.exit(main())
