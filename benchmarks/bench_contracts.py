"""Benchmark: the contract analyses (issue 17) on 1,000,000 transactions vs a plain pandas groupby.

Synthetic ledgers: 50,000 contracts of 500 enterprises, 4 installments and 4 milestones each, 1,000,000
transactions (2 % without a contract). The library side runs what scales with the transactions — each
contract's life (:func:`contract_life`: plan due, settled in the contract's direction, gap, milestones),
the overdue installments with ageing (:func:`overdue_installments`) and the transactions without a
contract — and, printed beside it, the whole warning run (:func:`contract_warnings`). The baseline is a
plain pandas groupby of the same sums on the same frames in the same run: Σ transactions per contract
and direction up to the as-of date, Σ plan due per contract, the plan's running sum per contract.
Times are the best of ``REPEATS``; the script prints both and their ratio. Goal: ratio ≤ 2.

Run: ``.venv/bin/python benchmarks/bench_contracts.py``
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from guozi_analysis.analyses import contracts as C

N_CONTRACTS = 50_000
N_ENTERPRISES = 500
N_TRANSACTIONS = 1_000_000
N_INSTALLMENTS = 4
REPEATS = 5
PERIOD = "2022-11"


def synthetic_ledgers(seed: int = 20221130) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = np.array([f"HT{k:06d}" for k in range(N_CONTRACTS)], dtype=object)
    eids = np.array([f"E{k:04d}" for k in range(N_ENTERPRISES)], dtype=object)
    owner = eids[rng.integers(0, N_ENTERPRISES, N_CONTRACTS)]
    signed = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 600, N_CONTRACTS), unit="D")
    amount = rng.uniform(10, 2000, N_CONTRACTS).round(2)
    direction = np.where(rng.random(N_CONTRACTS) < 0.3, "收款", "付款")
    contracts = pd.DataFrame({
        "contract_id": ids, "period": PERIOD, "enterprise_id": owner, "contract_name": ids,
        "counterparty_name": np.array([f"相对方{k:05d}" for k in range(20_000)], dtype=object)[
            rng.integers(0, 20_000, N_CONTRACTS)],
        "counterparty_credit_code": None, "counterparty_related": rng.random(N_CONTRACTS) < 0.05,
        "counterparty_state_owned": False, "contract_type": "采购", "direction": direction, "amount": amount,
        "original_amount": np.where(rng.random(N_CONTRACTS) < 0.1, amount / 1.2, np.nan),
        "signed_date": signed, "start_date": signed, "end_date": signed + pd.Timedelta(days=540),
        "approval_route": "总经理办公会", "collective_decision": amount >= 500, "status": "履行中",
        "terminated_date": pd.NaT,
    })
    k = np.repeat(np.arange(N_CONTRACTS), N_INSTALLMENTS)
    no = np.tile(np.arange(1, N_INSTALLMENTS + 1), N_CONTRACTS)
    due = signed.to_numpy()[k] + (no * 135).astype("timedelta64[D]")
    plan = pd.DataFrame({"contract_id": ids[k], "installment_no": no, "period": PERIOD, "enterprise_id": owner[k],
                         "due_date": due, "planned_amount": (amount[k] / N_INSTALLMENTS).round(2),
                         "milestone_no": no})
    milestones = pd.DataFrame({"contract_id": ids[k], "milestone_no": no, "period": PERIOD, "enterprise_id": owner[k],
                               "milestone_name": "节点", "planned_date": due,
                               "actual_date": np.where(rng.random(len(k)) < 0.9, due, np.datetime64("NaT"))})
    t = rng.integers(0, N_CONTRACTS, N_TRANSACTIONS)
    linked = rng.random(N_TRANSACTIONS) >= 0.02
    trx = pd.DataFrame({
        "transaction_id": np.arange(N_TRANSACTIONS).astype(str), "period": PERIOD, "enterprise_id": owner[t],
        "contract_id": np.where(linked, ids[t], None),
        "transaction_date": signed.to_numpy()[t] + rng.integers(0, 700, N_TRANSACTIONS).astype("timedelta64[D]"),
        "direction": np.where(direction[t] == "付款", "付", "收"), "amount": (amount[t] / 25).round(2),
        "method": "银行转账", "voucher_no": "记", "counterparty_name": None,
    })
    roster = pd.DataFrame({"enterprise_id": eids, "name": eids, "short_name": eids, "parent_id": None, "level": 1,
                           "industry_class": "非工业", "function_class": "竞争类", "shareholding_pct": 100.0,
                           "is_group": True})
    return {"roster": roster, "contracts": contracts, "contract_payment_plan": plan, "contract_milestones": milestones,
            "transactions": trx}


def library(tables: dict[str, pd.DataFrame]):
    life = C.contract_life(tables, period=PERIOD)
    overdue = C.overdue_installments(tables, period=PERIOD, life=life)
    loose = C.transactions_without_contract(tables, period=PERIOD)
    return life, overdue, loose


def baseline(tables: dict[str, pd.DataFrame]):
    as_of = pd.Timestamp("2022-11-30")
    trx, plan = tables["transactions"], tables["contract_payment_plan"]
    t = trx.loc[trx["contract_id"].notna() & (trx["transaction_date"] <= as_of)]
    settled = t.groupby(["contract_id", "direction"])["amount"].sum()
    due = plan.loc[plan["due_date"] <= as_of].groupby("contract_id")["planned_amount"].sum()
    running = plan.groupby("contract_id")["planned_amount"].cumsum()
    loose = trx.loc[trx["contract_id"].isna()]
    return settled, due, running, loose


def best(func, tables) -> float:
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        func(tables)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    tables = synthetic_ledgers()
    life, _, _ = library(tables)
    settled, _, _, _ = baseline(tables)
    assert abs(life["settled"].sum() - settled.sum()) / settled.sum() < 0.5  # same data, own-direction subset
    t_lib = best(library, tables)
    t_base = best(baseline, tables)
    t0 = time.perf_counter()
    warnings = C.contract_warnings(tables, period=PERIOD)
    t_all = time.perf_counter() - t0
    print(f"合同分析（{N_TRANSACTIONS:,} 笔流水，{N_CONTRACTS:,} 份合同）：{t_lib:.3f} s")
    print(f"纯 pandas groupby 同样的汇总：{t_base:.3f} s")
    print(f"比值：{t_lib / t_base:.2f}（目标 ≤ 2）")
    print(f"全部合同与督查预警（contract_warnings，{len(warnings):,} 条）：{t_all:.3f} s，"
          f"为基线的 {t_all / t_base:.2f} 倍")


if __name__ == "__main__":
    main()
