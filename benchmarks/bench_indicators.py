"""Benchmark: the library's vectorised financial-statement indicators vs plain numpy.

Synthetic data: 10,000 enterprises × 60 months of 财务快报 line items (600,000 rows), plus the
opening (previous year-end) and last-year columns the indicators read. Both sides compute the same
formulas on the same arrays in the same run; the script prints both times (best of several repeats)
and their ratio. Goal: ratio ≤ 2.

Run: ``.venv/bin/python benchmarks/bench_indicators.py``
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from guozi_analysis.indicators.formulas import REGISTRY, inputs_of
from guozi_analysis.indicators.panel import BALANCE_ITEMS, FINANCIAL_ITEMS

N_ENTERPRISES = 10_000
N_MONTHS = 60
REPEATS = 5

#: The financial-statement indicators (inputs are 快报 line items only).
FINANCIAL_INDICATORS = [
    "debt_to_asset_ratio", "roe", "operating_cash_ratio", "rd_intensity", "labour_productivity", "roa",
    "cost_profit_margin", "cash_earnings_coverage", "state_capital_preservation_ratio", "revenue_growth",
    "total_profit_growth", "total_asset_turnover", "receivables_turnover", "current_asset_turnover",
    "two_funds_ratio", "interest_bearing_debt", "interest_bearing_debt_ratio", "cash_to_short_term_debt",
    "interest_coverage", "quick_ratio", "cash_current_liabilities_ratio",
]


def synthetic_panel(seed: int = 20221130) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = N_ENTERPRISES * N_MONTHS
    data: dict[str, np.ndarray] = {}
    for name in FINANCIAL_ITEMS:
        data[name] = rng.uniform(10.0, 10_000.0, n)
    data["total_equity"] = rng.uniform(-500.0, 10_000.0, n)  # some negative equity
    data["interest_expense"] = np.where(rng.random(n) < 0.05, 0.0, data["interest_expense"])  # zero interest
    data["net_profit"] = rng.uniform(-1_000.0, 5_000.0, n)
    data["total_profit"] = rng.uniform(-1_000.0, 6_000.0, n)
    data["revenue"][rng.random(n) < 0.01] = np.nan  # missing submissions
    for name in BALANCE_ITEMS:
        data[f"open_{name}"] = data[name] * rng.uniform(0.8, 1.2, n)
    data["ly_revenue"] = data["revenue"] * rng.uniform(0.7, 1.3, n)
    data["ly_total_profit"] = rng.uniform(-1_000.0, 6_000.0, n)
    data["months_elapsed"] = np.tile(np.arange(N_MONTHS) % 12 + 1, N_ENTERPRISES).astype(float)
    data["months_elapsed"][data["months_elapsed"] == 1] = 2.0  # Jan–Feb reported together
    return pd.DataFrame(data)


def library(panel: pd.DataFrame) -> dict[str, pd.Series]:
    out = {}
    for name in FINANCIAL_INDICATORS:
        func = REGISTRY[name]
        out[name] = func(**{arg: panel[arg] for arg in inputs_of(func)})
    return out


def _div(num, den):
    with np.errstate(divide="ignore", invalid="ignore"):
        res = num / den
    return np.where((den == 0) | np.isnan(den), np.nan, res)


def _pos(x):
    return np.where(x > 0, x, np.nan)


def plain_numpy(a: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    m = a["months_elapsed"]
    ann = 12.0 / m
    avg_eq = (a["total_equity"] + a["open_total_equity"]) / 2
    avg_ta = (a["total_assets"] + a["open_total_assets"]) / 2
    avg_ar = (a["accounts_receivable"] + a["open_accounts_receivable"]) / 2
    avg_ca = (a["current_assets"] + a["open_current_assets"]) / 2
    rev = _pos(a["revenue"])
    ibd = (a["short_term_borrowings"] + a["current_portion_long_term_debt"] + a["long_term_borrowings"]
           + a["bonds_payable"] + a["other_interest_bearing_debt"])
    costs = (a["operating_cost"] + a["taxes_and_surcharges"] + a["selling_expenses"] + a["admin_expenses"]
             + a["rd_expenses"] + a["financial_expenses"])
    labour = (a["net_profit"] - a["investment_income"] + a["employee_compensation"] + a["taxes_payable_total"]
              + a["depreciation"])
    return {
        "debt_to_asset_ratio": _div(a["total_liabilities"], a["total_assets"]) * 100,
        "roe": _div(a["net_profit"] * ann, _pos(avg_eq)) * 100,
        "operating_cash_ratio": _div(a["net_operating_cash_flow"], rev) * 100,
        "rd_intensity": _div(a["rd_investment"], rev) * 100,
        "labour_productivity": _div(labour * ann, _pos(a["headcount_avg"])),
        "roa": _div((a["total_profit"] + a["interest_expense"]) * ann, _pos(avg_ta)) * 100,
        "cost_profit_margin": _div(a["total_profit"], _pos(costs)) * 100,
        "cash_earnings_coverage": _div(a["net_operating_cash_flow"], _pos(a["net_profit"])),
        "state_capital_preservation_ratio": _div(
            a["state_capital"] - a["state_capital_objective_increase"] + a["state_capital_objective_decrease"],
            _pos(a["open_state_capital"])) * 100,
        "revenue_growth": _div(a["revenue"] - a["ly_revenue"], _pos(a["ly_revenue"])) * 100,
        "total_profit_growth": _div(a["total_profit"] - a["ly_total_profit"],
                                    np.where(a["ly_total_profit"] != 0, np.abs(a["ly_total_profit"]), np.nan)) * 100,
        "total_asset_turnover": _div(a["revenue"] * ann, _pos(avg_ta)),
        "receivables_turnover": _div(a["revenue"] * ann, _pos(avg_ar)),
        "current_asset_turnover": _div(a["revenue"] * ann, _pos(avg_ca)),
        "two_funds_ratio": _div(a["accounts_receivable"] + a["inventory"], _pos(a["current_assets"])) * 100,
        "interest_bearing_debt": ibd,
        "interest_bearing_debt_ratio": _div(ibd, _pos(a["total_liabilities"])) * 100,
        "cash_to_short_term_debt": _div(a["cash"], _pos(a["short_term_borrowings"]
                                                          + a["current_portion_long_term_debt"] + a["notes_payable"])),
        "interest_coverage": _div(a["total_profit"] + a["interest_expense"], _pos(a["interest_expense"])),
        "quick_ratio": _div(a["current_assets"] - a["inventory"], _pos(a["current_liabilities"])) * 100,
        "cash_current_liabilities_ratio": _div(a["net_operating_cash_flow"] * ann, _pos(a["current_liabilities"])) * 100,
    }


def best_of(func, arg, repeats=REPEATS) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func(arg)
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    panel = synthetic_panel()
    arrays = {c: panel[c].to_numpy() for c in panel.columns}
    t_lib, lib = best_of(library, panel)
    t_np, ref = best_of(plain_numpy, arrays)
    for name in FINANCIAL_INDICATORS:  # same numbers on both sides
        np.testing.assert_allclose(lib[name].to_numpy(), ref[name], rtol=1e-12, equal_nan=True)
    ratio = t_lib / t_np
    print(f"基准：{N_ENTERPRISES:,} 户 × {N_MONTHS} 个月 = {len(panel):,} 行，{len(FINANCIAL_INDICATORS)} 项财务指标，"
          f"各取 {REPEATS} 次最快")
    print(f"  本库向量化计算：{t_lib * 1000:8.1f} ms")
    print(f"  纯 numpy 基线： {t_np * 1000:8.1f} ms")
    print(f"  比值（本库/基线）：{ratio:.2f}（目标 ≤ 2）")


if __name__ == "__main__":
    main()
