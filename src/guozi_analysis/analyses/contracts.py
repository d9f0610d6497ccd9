"""合同全轨迹与督查整改闭环 (issue 17): each contract's life, money against contracts, the inspection loop.

Inputs are the ledger tables of the data contract (``contracts``, ``contract_milestones``,
``contract_payment_plan``, ``transactions``, ``inspection_findings``). They are ledgers: every period an
enterprise sends its whole ledger as at the period's end, so each analysis first takes, per enterprise,
the latest snapshot not after the analysed month (:func:`ledger_snapshot`). Dates are compared with the
period's as-of date (month end). Money in 万元, ages in days. Missing tables give empty frames, never 0.

Warnings come from ``params/contract_rules.yaml`` through the risk engine
(:func:`guozi_analysis.analyses.risk.evaluate_cases`): every warning carries its value, threshold, rule,
basis and traffic light; whether a rule lists an enterprise for key supervision is the district's choice
(``on_list``, default false). :func:`shared_frames` is the shared-step hook.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from guozi_analysis.analyses.risk.data import entity_frame
from guozi_analysis.analyses.risk.engine import FLAG_COLUMNS, evaluate_cases, key_supervision_list
from guozi_analysis.analyses.risk.rules import RuleSet, parse_rules
from guozi_analysis.base import config
from guozi_analysis.base.contract import FINDING_SOURCES
from guozi_analysis.base.entities import EnterpriseTree
from guozi_analysis.base.params import read_yaml
from guozi_analysis.base.periods import as_of_date, closed_month

__all__ = [
    "CONTRACT_CHECKS", "CONTRACT_FAMILIES", "WARNING_COLUMNS", "load_contract_rules", "ledger_snapshot",
    "contract_life", "overdue_installments", "ageing_table", "split_contracts", "counterparty_concentration",
    "transactions_without_contract", "finding_status", "open_findings_by_age", "closure_rate_by_source",
    "repeat_findings", "contract_warnings", "SUMMARY_ITEMS", "contract_summary", "shared_frames",
]

#: Rule families of the contract and inspection rules (their traffic-light columns).
CONTRACT_FAMILIES = ("合同履约", "合同审批", "交易对手", "资金流水", "督查整改")
#: Columns of :func:`contract_warnings`: the risk engine's flag columns plus the case.
WARNING_COLUMNS = [*FLAG_COLUMNS, "case_id"]
_OPEN_CONTRACT = ("履行中", "变更")
_OPEN_FINDING = ("未整改", "整改中")
_CLOSED_FINDING = ("已整改", "已销号")
_DEFAULT_BUCKETS = (30, 90, 180, 365)
_TXN_DIRECTION = {"付款": "付", "收款": "收"}


def _rules_path() -> Path:
    return config.PARAMS_DIR / "contract_rules.yaml"


def load_contract_rules(path: Path | str | dict | None = None) -> tuple[RuleSet, tuple[int, ...]]:
    """The contract and inspection rules (default ``params/contract_rules.yaml``) and the ageing buckets (days)."""
    data = path if isinstance(path, dict) else read_yaml(Path(path) if path else _rules_path(), what="合同预警规则文件")
    buckets = tuple(int(x) for x in data.get("ageing_buckets_days", _DEFAULT_BUCKETS))
    return parse_rules(data, checks=frozenset(CONTRACT_CHECKS), families=CONTRACT_FAMILIES), buckets


# ---------------------------------------------------------------------------
# reading the ledgers


def ledger_snapshot(tables: Mapping[str, pd.DataFrame], name: str, *, period: str) -> pd.DataFrame:
    """Rows of ledger ``name`` from each enterprise's latest snapshot not after ``period``'s closed month.

    An enterprise that did not resubmit this month keeps its previous ledger. Missing table → empty frame.
    The frame is returned as is (not copied) when it holds one snapshot only.
    """
    df = tables.get(name)
    if df is None or not len(df):
        return pd.DataFrame()
    month = closed_month(period)
    first = df["period"].iloc[0]
    if isinstance(first, str) and first[:7] <= month and bool((df["period"] == first).all()):
        return df  # one snapshot (the usual case)
    codes, uniques = pd.factorize(df["period"], use_na_sentinel=True)
    labels = np.array([str(u)[:7] for u in uniques], dtype=object)
    valid = labels <= month
    if valid.all() and len(uniques) == 1 and (codes >= 0).all():
        return df
    order = np.argsort(labels, kind="mergesort")
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(len(labels))
    row_rank = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
    row_ok = (codes >= 0) & valid[np.maximum(codes, 0)]
    row_rank = np.where(row_ok, row_rank, -1)
    ent, _ = pd.factorize(df["enterprise_id"].astype("object"))
    best = np.full(ent.max() + 2 if len(ent) else 1, -1, dtype=np.int64)
    np.maximum.at(best, ent, row_rank)
    keep = row_ok & (row_rank == best[ent])
    return df.loc[keep].reset_index(drop=True)


def _as_of(period: str) -> pd.Timestamp:
    return pd.Timestamp(as_of_date(period))


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, errors="coerce")


def _bucket_labels(buckets) -> list[str]:
    edges = [0, *buckets]
    labels = [f"{a + 1 if a else 1}—{b}天" if a else f"≤{b}天" for a, b in zip(edges[:-1], edges[1:])]
    return [*labels, f">{buckets[-1]}天"]


def _bucket(days: pd.Series, buckets) -> pd.Series:
    labels = np.array(_bucket_labels(buckets), dtype=object)
    idx = np.searchsorted(np.asarray(buckets, dtype=float), days.to_numpy(dtype=float), side="left")
    return pd.Series(labels[idx], index=days.index, dtype="object")


def _fmt_wan(x: float) -> str:
    return f"{x:,.2f} 万元"


# ---------------------------------------------------------------------------
# each contract's life


def _contracts_index(con: pd.DataFrame) -> pd.DataFrame:
    con = con.drop_duplicates("contract_id", keep="last")
    return con.set_index(pd.Index(con["contract_id"].astype(str), name=None), drop=False)


def _factorize(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes (−1 for missing) and unique values; Arrow-backed strings are dictionary-encoded by Arrow."""
    arr = getattr(values.array, "_pa_array", None)
    if arr is not None:
        enc = (arr.combine_chunks() if hasattr(arr, "combine_chunks") else arr).dictionary_encode()
        codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        return codes, pd.Index(pd.array(enc.dictionary, dtype=values.dtype))
    codes, uniques = pd.factorize(values)
    return codes, pd.Index(uniques)


def _positions(con: pd.DataFrame, ids: pd.Series) -> np.ndarray:
    """Position of each id in ``con``'s (unique) contract ids, −1 when unknown or blank: the ids are
    factorised once, then only their distinct values are looked up."""
    codes, uniques = _factorize(ids)
    where = con.index.get_indexer(uniques if uniques.dtype == con.index.dtype else uniques.astype(con.index.dtype))
    lookup = np.r_[where, -1]  # code −1 (missing) → the last slot
    return lookup[codes]


def _sum_by(pos: np.ndarray, values, n: int, mask=None) -> np.ndarray:
    ok = pos >= 0 if mask is None else (pos >= 0) & mask
    return np.bincount(pos[ok], weights=np.asarray(values, dtype=float)[ok], minlength=n)


def contract_life(tables: Mapping[str, pd.DataFrame], *, period: str) -> pd.DataFrame:
    """One row per contract (latest ledger): plan due to date, paid/received, gap, milestones, end date.

    * ``planned_to_date`` = Σ 计划收付款金额 with 计划日期 ≤ as-of date (万元);
    * ``settled`` = Σ 流水金额 on the contract in its own direction (付 for 付款, 收 for 收款) dated ≤ as-of;
    * ``gap`` = planned_to_date − settled (positive: behind plan); ``settled_share`` = settled ÷ amount × 100
      (%; NaN when the amount is 0); ``milestones_due`` / ``milestones_done`` / ``milestones_late``
      (planned ≤ as-of and no actual date); ``days_past_end`` = as-of − 履行截止日期 for open contracts.
    Direction: a larger gap is worse. Source: 合同台账, 合同收付款计划, 合同履约节点, 收付款流水.
    A ledger not sent leaves its columns NaN.
    """
    con = ledger_snapshot(tables, "contracts", period=period)
    if not len(con):
        return pd.DataFrame()
    as_of = _as_of(period)
    con = _contracts_index(con)
    n = len(con)
    plan = ledger_snapshot(tables, "contract_payment_plan", period=period)
    trx = ledger_snapshot(tables, "transactions", period=period)
    ms = ledger_snapshot(tables, "contract_milestones", period=period)
    out = con[["contract_id", "enterprise_id", "contract_name", "counterparty_name", "contract_type", "direction",
               "status", "amount", "original_amount", "signed_date", "end_date", "counterparty_related"]].copy()
    out["amount"] = out["amount"].astype(float)
    if len(plan):
        pos = _positions(con, plan["contract_id"])
        due = (_dates(plan["due_date"]) <= as_of).to_numpy()
        out["planned_to_date"] = _sum_by(pos, plan["planned_amount"], n, due)
        total = _sum_by(pos, plan["planned_amount"], n)
        out["planned_total"] = np.where(np.bincount(pos[pos >= 0], minlength=n) > 0, total, np.nan)
    else:
        out["planned_to_date"], out["planned_total"] = np.nan, np.nan
    out["settled"] = _settled(trx, con, as_of) if len(trx) else np.nan
    out["gap"] = out["planned_to_date"] - out["settled"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["settled_share"] = np.where(out["amount"] > 0, out["settled"] / out["amount"] * 100.0, np.nan)
    if len(ms):
        pos = _positions(con, ms["contract_id"])
        planned = (_dates(ms["planned_date"]) <= as_of).to_numpy()
        done = ms["actual_date"].notna().to_numpy()
        ones = np.ones(len(ms))
        out["milestones_due"] = _sum_by(pos, ones, n, planned).astype(int)
        out["milestones_done"] = _sum_by(pos, ones, n, done).astype(int)
        out["milestones_late"] = _sum_by(pos, ones, n, planned & ~done).astype(int)
    else:
        out["milestones_due"] = out["milestones_done"] = out["milestones_late"] = 0
    end = _dates(out["end_date"])
    open_ = out["status"].astype(str).isin(_OPEN_CONTRACT)
    out["days_past_end"] = np.where(open_ & (end < as_of), (as_of - end).dt.days, np.nan)
    return out.reset_index(drop=True)


def _settled(trx: pd.DataFrame, con: pd.DataFrame, as_of: pd.Timestamp) -> np.ndarray:
    """Σ transactions per contract of ``con`` (indexed by id, in its order) in the contract's own direction,
    dated ≤ as-of (万元, to the 0.01 reported)."""
    pos = _positions(con, trx["contract_id"])
    receives = (con["direction"] == "收款").to_numpy(dtype=bool)
    received = (trx["direction"] == "收").to_numpy(dtype=bool)
    dated = (_dates(trx["transaction_date"]) <= as_of).to_numpy()
    ok = dated & (pos >= 0)
    ok &= received == receives[np.maximum(pos, 0)]
    return _sum_by(pos, trx["amount"], len(con), ok).round(2)


def overdue_installments(tables: Mapping[str, pd.DataFrame], *, period: str, buckets=_DEFAULT_BUCKETS,
                         life: pd.DataFrame | None = None) -> pd.DataFrame:
    """Installments due by the as-of date and not (fully) paid or received, with their ageing.

    Payments are matched to installments first-due-first: installment *i* is unpaid by
    ``min(planned_i, max(0, Σ_{k≤i} planned_k − settled))``. ``days_overdue`` = as-of − due date; ``bucket``
    is its ageing band (``buckets`` in days, e.g. ≤30, 31—90 …). Columns: contract_id, enterprise_id,
    direction (付款/收款), installment_no, due_date, planned_amount, unpaid, days_overdue, bucket.
    ``life`` (:func:`contract_life` of the same period) saves summing the transactions again.
    """
    cols = ["contract_id", "enterprise_id", "direction", "installment_no", "due_date", "planned_amount", "unpaid",
            "days_overdue", "bucket"]
    con = ledger_snapshot(tables, "contracts", period=period)
    plan = ledger_snapshot(tables, "contract_payment_plan", period=period)
    if not len(con) or not len(plan):
        return pd.DataFrame(columns=cols)
    as_of = _as_of(period)
    con = _contracts_index(con)
    con = con.loc[~con["status"].astype(str).isin(("拟签", "终止")).to_numpy()]
    if life is not None and len(life):
        settled = life.set_index(life["contract_id"].astype(str))["settled"].reindex(con.index).fillna(0.0)
        settled = settled.to_numpy(dtype=float)
    else:
        trx = ledger_snapshot(tables, "transactions", period=period)
        settled = _settled(trx, con, as_of) if len(trx) else np.zeros(len(con))
    pos = _positions(con, plan["contract_id"])
    known = pos >= 0
    pos = pos[known]
    due = _dates(plan["due_date"]).to_numpy()[known]
    no = plan["installment_no"].to_numpy(dtype=float)[known]
    amount = plan["planned_amount"].to_numpy(dtype=float)[known]
    order = np.lexsort((no, due, pos))  # contract, then due date, then installment number
    pos, due, amount = pos[order], due[order], amount[order]
    rows = np.flatnonzero(known)[order]
    cum = np.cumsum(amount)
    start = np.r_[True, pos[1:] != pos[:-1]]
    before = np.where(start, cum - amount, np.nan)
    before = pd.Series(before).ffill().to_numpy()  # running total of the earlier contracts
    cum = cum - before
    unpaid = np.minimum(amount, np.maximum(0.0, cum - settled[pos])).round(2)
    hit = (due <= np.datetime64(as_of)) & (unpaid > 0.005)
    p = plan.iloc[rows[hit]][["contract_id", "installment_no", "due_date", "planned_amount"]].copy()
    p["due_date"] = _dates(p["due_date"])
    p["unpaid"] = unpaid[hit]
    p["days_overdue"] = (as_of - p["due_date"]).dt.days.to_numpy()
    p["direction"] = con["direction"].to_numpy()[pos[hit]]
    p["enterprise_id"] = con["enterprise_id"].to_numpy()[pos[hit]]
    p["bucket"] = _bucket(p["days_overdue"], buckets)
    return p[cols].reset_index(drop=True)


def ageing_table(overdue: pd.DataFrame, *, buckets=_DEFAULT_BUCKETS) -> pd.DataFrame:
    """Overdue amounts (万元) by direction (rows: 应付逾期/应收逾期) and ageing band (columns, in order)."""
    labels = _bucket_labels(buckets)
    if not len(overdue):
        return pd.DataFrame(0.0, index=["应付逾期", "应收逾期"], columns=labels)
    what = overdue["direction"].map({"付款": "应付逾期", "收款": "应收逾期"})
    table = overdue.assign(what=what).pivot_table(index="what", columns="bucket", values="unpaid", aggfunc="sum")
    return table.reindex(index=["应付逾期", "应收逾期"], columns=labels).fillna(0.0)


def split_contracts(contracts: pd.DataFrame, *, threshold: float, window_days: int = 90,
                    min_contracts: int = 2) -> pd.DataFrame:
    """Groups of contracts each below the collective-decision ``threshold`` (万元), same enterprise and same
    counterparty, signed within ``window_days`` of the group's first, whose sum reaches the threshold.

    For each enterprise × counterparty, each contract starts a window [signed, signed + window_days]; the
    window with the largest sum (first on ties) is the case. Excludes 拟签. Columns: enterprise_id,
    counterparty_name, case_id (the contract ids joined by ``、``), n_contracts, total, first_date, last_date.
    """
    cols = ["enterprise_id", "counterparty_name", "case_id", "n_contracts", "total", "first_date", "last_date"]
    if not len(contracts):
        return pd.DataFrame(columns=cols)
    c = contracts.loc[(contracts["amount"].astype(float) < threshold)
                      & ~contracts["status"].astype(str).isin(("拟签",))].copy()
    c["signed_date"] = _dates(c["signed_date"])
    size = c.groupby(["enterprise_id", "counterparty_name"])["contract_id"].transform("size")
    c = c.loc[(size >= min_contracts).to_numpy()]  # only counterparties with several contracts can be split
    c = c.sort_values(["enterprise_id", "counterparty_name", "signed_date", "contract_id"], kind="mergesort")
    rows = []
    for (eid, cp), g in c.groupby(["enterprise_id", "counterparty_name"], sort=True):
        if len(g) < min_contracts:
            continue
        d = g["signed_date"].to_numpy()
        amounts = g["amount"].to_numpy(dtype=float)
        best = None
        for i in range(len(g)):
            inside = (d >= d[i]) & (d <= d[i] + np.timedelta64(window_days, "D"))
            total = float(amounts[inside].sum())
            if inside.sum() >= min_contracts and (best is None or total > best[0] + 1e-9):
                best = (total, inside)
        if best is None or best[0] < threshold:
            continue
        sel = g.loc[best[1]]
        rows.append({"enterprise_id": eid, "counterparty_name": cp, "case_id": "、".join(sel["contract_id"].astype(str)),
                     "n_contracts": len(sel), "total": round(best[0], 2), "first_date": sel["signed_date"].min(),
                     "last_date": sel["signed_date"].max()})
    return pd.DataFrame(rows, columns=cols)


def counterparty_concentration(contracts: pd.DataFrame, *, top_n: int = 1) -> pd.DataFrame:
    """Per enterprise: total contract amount (excl. 拟签), the top ``top_n`` counterparties' share and the
    related-party share (both %, component sums divided, NaN when the total is 0).

    Columns: enterprise_id, total, n_contracts, top_counterparty, top_amount, top_share, related_amount,
    related_share.
    """
    cols = ["enterprise_id", "total", "n_contracts", "top_counterparty", "top_amount", "top_share",
            "related_amount", "related_share"]
    if not len(contracts):
        return pd.DataFrame(columns=cols)
    c = contracts.loc[~contracts["status"].astype(str).isin(("拟签",)).to_numpy()]
    c = c.assign(amount=c["amount"].astype(float),
                 related=np.where(c["counterparty_related"].fillna(False).astype(bool), c["amount"].astype(float), 0.0))
    g = c.groupby("enterprise_id", sort=True)
    out = pd.DataFrame({"total": g["amount"].sum(), "n_contracts": g.size(), "related_amount": g["related"].sum()})
    by = c.groupby(["enterprise_id", "counterparty_name"], sort=True)["amount"].sum().reset_index()
    by = by.sort_values(["enterprise_id", "amount", "counterparty_name"], ascending=[True, False, True],
                        kind="mergesort")
    top = by.groupby("enterprise_id", sort=True).head(top_n).groupby("enterprise_id", sort=True)
    out["top_counterparty"] = top["counterparty_name"].agg(lambda x: "、".join(x.astype(str)))
    out["top_amount"] = top["amount"].sum()
    positive = out["total"] > 0
    out["top_share"] = np.where(positive, out["top_amount"] / out["total"].where(positive) * 100.0, np.nan)
    out["related_share"] = np.where(positive, out["related_amount"] / out["total"].where(positive) * 100.0, np.nan)
    return out.rename_axis("enterprise_id").reset_index()[cols]


def transactions_without_contract(tables: Mapping[str, pd.DataFrame], *, period: str) -> pd.DataFrame:
    """Transactions dated ≤ as-of whose 合同编号 is blank (columns of the ledger)."""
    trx = ledger_snapshot(tables, "transactions", period=period)
    if not len(trx):
        return pd.DataFrame()
    blank = (trx["contract_id"].isna() | (trx["contract_id"] == "")).to_numpy(dtype=bool)
    return trx.loc[blank & (_dates(trx["transaction_date"]) <= _as_of(period)).to_numpy()].reset_index(drop=True)


# ---------------------------------------------------------------------------
# the inspection closed loop


def finding_status(tables: Mapping[str, pd.DataFrame], *, period: str, buckets=_DEFAULT_BUCKETS) -> pd.DataFrame:
    """Every finding of the latest ledgers with ``is_open`` (未整改/整改中), ``is_closed`` (已整改/已销号),
    ``age_days`` = as-of − 发现日期, ``age_bucket`` and ``days_overdue`` = as-of − 整改期限 for open findings
    past their deadline (NaN otherwise)."""
    f = ledger_snapshot(tables, "inspection_findings", period=period)
    if not len(f):
        return pd.DataFrame()
    as_of = _as_of(period)
    f = f.copy()
    status = f["status"].astype(str)
    f["is_open"] = status.isin(_OPEN_FINDING)
    f["is_closed"] = status.isin(_CLOSED_FINDING)
    f["age_days"] = (as_of - _dates(f["found_date"])).dt.days
    f["age_bucket"] = _bucket(f["age_days"], buckets)
    deadline = _dates(f["deadline"])
    f["days_overdue"] = np.where(f["is_open"] & (deadline < as_of), (as_of - deadline).dt.days, np.nan)
    return f


def open_findings_by_age(status: pd.DataFrame, *, buckets=_DEFAULT_BUCKETS) -> pd.DataFrame:
    """Open findings counted by enterprise (rows) and age band (columns), with a 合计 column."""
    labels = _bucket_labels(buckets)
    if not len(status):
        return pd.DataFrame(columns=[*labels, "合计"])
    o = status.loc[status["is_open"]]
    table = pd.crosstab(o["enterprise_id"], o["age_bucket"]).reindex(columns=labels, fill_value=0)
    return table.assign(合计=table.sum(axis=1)).astype(int)


def closure_rate_by_source(status: pd.DataFrame) -> pd.DataFrame:
    """Per source and overall: findings, closed (已整改 + 已销号), open, overdue, closure rate (%, closed ÷
    findings; NaN when none). Columns: source, findings, closed, open, overdue, closure_rate."""
    cols = ["source", "findings", "closed", "open", "overdue", "closure_rate"]
    if not len(status):
        return pd.DataFrame(columns=cols)
    g = status.assign(overdue=status["days_overdue"].notna()).groupby("source", sort=False)
    out = pd.DataFrame({"findings": g.size(), "closed": g["is_closed"].sum(), "open": g["is_open"].sum(),
                        "overdue": g["overdue"].sum()})
    out = out.reindex([s for s in FINDING_SOURCES if s in out.index])
    out.loc["合计"] = out.sum()
    out = out.astype(int)
    out["closure_rate"] = np.where(out["findings"] > 0, out["closed"] / out["findings"].where(out["findings"] > 0)
                                   * 100.0, np.nan)
    return out.rename_axis("source").reset_index()[cols]


def repeat_findings(status: pd.DataFrame) -> pd.DataFrame:
    """Enterprise × category with two or more findings: enterprise_id, category, n_findings, case_id (ids)."""
    cols = ["enterprise_id", "category", "n_findings", "case_id"]
    if not len(status):
        return pd.DataFrame(columns=cols)
    rows = []
    for (eid, cat), g in status.sort_values("finding_id").groupby(["enterprise_id", "category"], sort=True):
        if len(g) >= 2:
            rows.append({"enterprise_id": eid, "category": cat, "n_findings": len(g),
                         "case_id": "、".join(g["finding_id"].astype(str))})
    return pd.DataFrame(rows, columns=cols)


# ---------------------------------------------------------------------------
# named checks: case rows (entity_id, case_id, value, detail) for one rule


def _cases(entity, case, value, detail) -> pd.DataFrame:
    return pd.DataFrame({"entity_id": np.asarray(entity, dtype=object).astype(str), "case_id": np.asarray(case,
                         dtype=object).astype(str), "value": np.asarray(value, dtype=float),
                         "detail": np.asarray(detail, dtype=object).astype(str)})


def _c_label(df: pd.DataFrame) -> list[str]:
    return [f"合同「{n}」（相对方{cp}）" for n, cp in zip(df["contract_name"], df["counterparty_name"])]


def _check_payment_overdue(ctx, rule) -> pd.DataFrame:
    od = ctx["overdue"]
    od = od.loc[od["direction"] == rule.params.get("direction", "付款")]
    if not len(od):
        return _cases([], [], [], [])
    worst = od.groupby("contract_id").agg(enterprise_id=("enterprise_id", "first"), days=("days_overdue", "max"),
                                          unpaid=("unpaid", "sum"), n=("unpaid", "size"))
    life = ctx["life"].set_index("contract_id").reindex(worst.index).reset_index()
    word = "未付" if rule.params.get("direction", "付款") == "付款" else "未收"
    detail = [f"{lab}到期{word} {n} 期共 {_fmt_wan(u)}" for lab, n, u in zip(_c_label(life), worst["n"], worst["unpaid"])]
    return _cases(worst["enterprise_id"], worst.index, worst["days"], detail)


def _check_expired_open(ctx, rule) -> pd.DataFrame:
    life = ctx["life"]
    life = life.loc[life["days_past_end"].notna()] if len(life) else life
    if not len(life):
        return _cases([], [], [], [])
    detail = [f"{lab}状态为{s}，履行截止日期 {pd.Timestamp(e):%Y-%m-%d}" for lab, s, e in
              zip(_c_label(life), life["status"], life["end_date"])]
    return _cases(life["enterprise_id"], life["contract_id"], life["days_past_end"], detail)


def _check_milestone_overdue(ctx, rule) -> pd.DataFrame:
    ms = ctx["milestones"]
    if not len(ms):
        return _cases([], [], [], [])
    planned = _dates(ms["planned_date"])
    late = ms.loc[((planned <= ctx["as_of"]) & ms["actual_date"].isna()).to_numpy()]
    late = late.loc[late["contract_id"].astype(str).isin(ctx["contracts"].index)]
    days = (ctx["as_of"] - _dates(late["planned_date"])).dt.days
    names = late["contract_id"].astype(str).map(ctx["contracts"]["contract_name"])
    detail = [f"合同「{n}」第 {k} 个节点“{m}”计划 {pd.Timestamp(p):%Y-%m-%d} 完成，尚未完成" for n, k, m, p in
              zip(names, late["milestone_no"], late["milestone_name"], late["planned_date"])]
    case = [f"{c}#{int(k)}" for c, k in zip(late["contract_id"], late["milestone_no"])]
    return _cases(late["enterprise_id"], case, days, detail)


def _check_amendment_increase(ctx, rule) -> pd.DataFrame:
    c = ctx["contracts"]
    c = c.loc[c["original_amount"].notna() & (c["original_amount"].astype(float) > 0)] if len(c) else c
    if not len(c):
        return _cases([], [], [], [])
    share = (c["amount"].astype(float) / c["original_amount"].astype(float) - 1.0) * 100.0
    detail = [f"{lab}由 {_fmt_wan(o)} 变更为 {_fmt_wan(a)}" for lab, o, a in
              zip(_c_label(c), c["original_amount"], c["amount"])]
    return _cases(c["enterprise_id"], c["contract_id"], share, detail)


def _check_no_collective(ctx, rule) -> pd.DataFrame:
    c = ctx["contracts"]
    if not len(c):
        return _cases([], [], [], [])
    c = c.loc[~c["collective_decision"].fillna(False).astype(bool) & ~c["status"].astype(str).isin(("拟签",))]
    detail = [f"{lab}审批方式为{r}" for lab, r in zip(_c_label(c), c["approval_route"])]
    return _cases(c["enterprise_id"], c["contract_id"], c["amount"], detail)


def _check_split(ctx, rule) -> pd.DataFrame:
    threshold = rule.threshold.for_entity()
    s = split_contracts(ctx["contracts"].reset_index(drop=True), threshold=threshold,
                        window_days=int(rule.params.get("window_days", 90)),
                        min_contracts=int(rule.params.get("min_contracts", 2)))
    names = ctx["contracts"]["contract_name"] if len(ctx["contracts"]) else pd.Series(dtype=str)
    titles = ["、".join(f"「{names.get(c, c)}」" for c in ids.split("、")) for ids in s["case_id"]]
    detail = [f"与{cp}在 {a:%Y-%m-%d} 至 {b:%Y-%m-%d} 签订 {n} 份单笔低于标准的合同（{t}）" for cp, a, b, n, t in
              zip(s["counterparty_name"], s["first_date"], s["last_date"], s["n_contracts"], titles)]
    return _cases(s["enterprise_id"], s["case_id"], s["total"], detail)


def _concentration(ctx, rule) -> pd.DataFrame:
    conc = counterparty_concentration(ctx["contracts"].reset_index(drop=True), top_n=int(rule.params.get("top_n", 1)))
    return conc.loc[conc["total"] >= float(rule.params.get("min_total", 0))]


def _check_top_share(ctx, rule) -> pd.DataFrame:
    c = _concentration(ctx, rule)
    detail = [f"最大相对方{n}合同金额 {_fmt_wan(a)}（合同总额 {_fmt_wan(t)}）" for n, a, t in
              zip(c["top_counterparty"], c["top_amount"], c["total"])]
    return _cases(c["enterprise_id"], c["enterprise_id"], c["top_share"], detail)


def _check_related_share(ctx, rule) -> pd.DataFrame:
    c = _concentration(ctx, rule)
    detail = [f"关联方合同金额 {_fmt_wan(a)}（合同总额 {_fmt_wan(t)}）" for a, t in zip(c["related_amount"], c["total"])]
    return _cases(c["enterprise_id"], c["enterprise_id"], c["related_share"], detail)


def _check_no_contract(ctx, rule) -> pd.DataFrame:
    t = ctx["no_contract"]
    if not len(t):
        return _cases([], [], [], [])
    detail = [f"{pd.Timestamp(d):%Y-%m-%d} {'付给' if di == '付' else '收自'}{cp if isinstance(cp, str) and cp else '未注明对方'}"
              f"的一笔{'付款' if di == '付' else '收款'}" for d, di, cp in
              zip(t["transaction_date"], t["direction"], t["counterparty_name"])]
    return _cases(t["enterprise_id"], t["transaction_id"], t["amount"], detail)


def _check_over_contract(ctx, rule) -> pd.DataFrame:
    life = ctx["life"]
    if not len(life):
        return _cases([], [], [], [])
    word = life["direction"].map({"付款": "累计付款", "收款": "累计收款"})
    detail = [f"{lab}{w} {_fmt_wan(s)}，合同金额 {_fmt_wan(a)}" for lab, w, s, a in
              zip(_c_label(life), word, life["settled"], life["amount"])]
    return _cases(life["enterprise_id"], life["contract_id"], life["settled_share"], detail)


def _check_finding_overdue(ctx, rule) -> pd.DataFrame:
    f = ctx["findings"]
    f = f.loc[f["days_overdue"].notna()] if len(f) else f
    if not len(f):
        return _cases([], [], [], [])
    detail = [f"{src}于 {pd.Timestamp(d):%Y-%m-%d} 发现的“{cat}”问题{st}，整改期限 {pd.Timestamp(dl):%Y-%m-%d}"
              for src, cat, d, st, dl in zip(f["source"], f["category"], f["found_date"], f["status"], f["deadline"])]
    return _cases(f["enterprise_id"], f["finding_id"], f["days_overdue"], detail)


def _check_finding_repeat(ctx, rule) -> pd.DataFrame:
    r = repeat_findings(ctx["findings"])
    found = ctx["findings"].set_index("finding_id")["found_date"] if len(ctx["findings"]) else pd.Series(dtype=object)
    dates = ["、".join(f"{pd.Timestamp(found[i]):%Y-%m-%d}" for i in ids.split("、")) for ids in r["case_id"]]
    detail = [f"“{cat}”类问题先后于 {d} 发现" for cat, d in zip(r["category"], dates)]
    return _cases(r["enterprise_id"], r["case_id"], r["n_findings"], detail)


#: Named checks of ``params/contract_rules.yaml`` (``test: {check: …}``).
CONTRACT_CHECKS = {
    "payment_overdue": _check_payment_overdue,
    "expired_open": _check_expired_open,
    "milestone_overdue": _check_milestone_overdue,
    "amendment_increase": _check_amendment_increase,
    "no_collective_decision": _check_no_collective,
    "split_below_threshold": _check_split,
    "top_counterparty_share": _check_top_share,
    "related_party_share": _check_related_share,
    "transaction_without_contract": _check_no_contract,
    "transaction_over_contract": _check_over_contract,
    "finding_overdue": _check_finding_overdue,
    "finding_repeat": _check_finding_repeat,
}


def _context(tables: Mapping[str, pd.DataFrame], *, period: str, buckets) -> dict:
    con = ledger_snapshot(tables, "contracts", period=period)
    if len(con):
        con = _contracts_index(con)
    life = contract_life(tables, period=period)
    return {
        "as_of": _as_of(period),
        "contracts": con,
        "life": life,
        "overdue": overdue_installments(tables, period=period, buckets=buckets, life=life),
        "milestones": ledger_snapshot(tables, "contract_milestones", period=period),
        "no_contract": transactions_without_contract(tables, period=period),
        "findings": finding_status(tables, period=period, buckets=buckets),
    }


def _entities(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    roster = tables.get("roster")
    if roster is None or not len(roster):
        return pd.DataFrame(columns=["entity_name", "level", "industry_class"])
    return entity_frame(roster, EnterpriseTree.from_roster(roster, check_levels=False))


def contract_warnings(tables: Mapping[str, pd.DataFrame], *, period: str,
                      rules: Path | str | dict | None = None, include_passed: bool = False) -> pd.DataFrame:
    """Every contract and inspection warning of ``period`` (one row per case × rule that fired).

    Each rule of ``params/contract_rules.yaml`` computes its cases with a named check and is evaluated by
    the risk engine (:func:`~guozi_analysis.analyses.risk.evaluate_cases`): value, threshold, severity,
    traffic light, the Chinese message (value, threshold, rule, basis) and ``on_list``. Columns
    :data:`WARNING_COLUMNS`, sorted by rule file order, enterprise and case. No ledgers → empty frame.
    """
    ruleset, buckets = load_contract_rules(rules)
    ctx = _context(tables, period=period, buckets=buckets)
    ents = _entities(tables)
    frames = []
    for rule in ruleset.rules:
        cases = CONTRACT_CHECKS[rule.check](ctx, rule)
        frames.append(evaluate_cases(rule, cases, entities=ents, period=period))
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=WARNING_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    order = {rid: k for k, rid in enumerate(ruleset.ids)}
    out = out.assign(_r=out["rule_id"].map(order)).sort_values(["_r", "entity_id", "case_id"], kind="mergesort")
    out = out.drop(columns="_r").reset_index(drop=True)
    if not include_passed:
        out = out.loc[out["triggered"]].reset_index(drop=True)
    return out[WARNING_COLUMNS]


#: Items of :func:`contract_summary`: (item, Chinese label).
SUMMARY_ITEMS = (
    ("contracts", "跟踪合同份数"), ("contract_amount", "跟踪合同金额"), ("enterprises", "建立合同台账的企业数"),
    ("transactions", "收付款流水笔数"), ("transaction_amount", "收付款流水金额"),
    ("linked_share", "对应合同的流水笔数占比"), ("warnings", "合同与督查预警条数"),
    ("findings", "督查问题数"), ("findings_closed", "已整改或销号的问题数"), ("findings_overdue", "逾期未整改的问题数"),
)


def contract_summary(tables: Mapping[str, pd.DataFrame], warnings: pd.DataFrame, *, period: str) -> pd.DataFrame:
    """What the system covers, long format (entity_id = DISTRICT, item, value, label_zh) for the review's
    traced facts: contracts tracked, their amount (万元), enterprises with a ledger, transactions and their
    amount (万元), share linked to a contract (%), warnings raised, findings, closed, overdue.
    A figure whose ledger was not sent is NaN (never 0)."""
    life = contract_life(tables, period=period)
    trx = ledger_snapshot(tables, "transactions", period=period)
    fnd = finding_status(tables, period=period)
    nan = np.nan
    values = {
        "contracts": len(life) if len(life) else nan,
        "contract_amount": float(life["amount"].sum()) if len(life) else nan,
        "enterprises": life["enterprise_id"].nunique() if len(life) else nan,
        "transactions": len(trx) if len(trx) else nan,
        "transaction_amount": float(trx["amount"].sum()) if len(trx) else nan,
        "linked_share": float(trx["contract_id"].notna().mean() * 100.0) if len(trx) else nan,
        "warnings": len(warnings) if len(life) or len(fnd) else nan,
        "findings": len(fnd) if len(fnd) else nan,
        "findings_closed": int(fnd["is_closed"].sum()) if len(fnd) else nan,
        "findings_overdue": int(fnd["days_overdue"].notna().sum()) if len(fnd) else nan,
    }
    return pd.DataFrame({"entity_id": "DISTRICT", "item": [k for k, _ in SUMMARY_ITEMS],
                         "value": [float(values[k]) for k, _ in SUMMARY_ITEMS],
                         "label_zh": [v for _, v in SUMMARY_ITEMS]})


def shared_frames(tables: Mapping[str, pd.DataFrame], indicators: pd.DataFrame | None = None, *,
                  period: str) -> dict[str, pd.DataFrame]:
    """The contract and inspection frames of one period, keyed by the parquet name the notebooks read.

    Keys: ``contract_warnings``, ``contract_list`` (enterprises listed by rules with ``on_list``),
    ``contract_life``, ``contract_overdue``, ``contract_ageing``, ``contract_concentration``,
    ``inspection_status``, ``inspection_open_by_age``, ``inspection_closure``, ``inspection_repeats``,
    ``contract_summary``.
    """
    _, buckets = load_contract_rules()
    warnings = contract_warnings(tables, period=period)
    overdue = overdue_installments(tables, period=period, buckets=buckets)
    status = finding_status(tables, period=period, buckets=buckets)
    con = ledger_snapshot(tables, "contracts", period=period)
    return {
        "contract_warnings": warnings,
        "contract_list": key_supervision_list(warnings[FLAG_COLUMNS]),
        "contract_life": contract_life(tables, period=period),
        "contract_overdue": overdue,
        "contract_ageing": ageing_table(overdue, buckets=buckets).rename_axis("what").reset_index(),
        "contract_concentration": counterparty_concentration(con),
        "inspection_status": status,
        "inspection_open_by_age": open_findings_by_age(status, buckets=buckets).rename_axis("enterprise_id")
        .reset_index(),
        "inspection_closure": closure_rate_by_source(status),
        "inspection_repeats": repeat_findings(status),
        "contract_summary": contract_summary(tables, warnings, period=period),
    }
