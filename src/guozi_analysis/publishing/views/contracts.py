"""Notebook views of the chapter 合同与资金全轨迹 and its section 督查问题整改 (issue 17).

Every function reads the shared step's ``contract_*`` / ``inspection_*`` parquet files and returns a table
with Chinese headers (names, never codes; missing values shown as 「—」) or a matplotlib figure. Nothing here
computes an analysis.
"""

from __future__ import annotations

import pandas as pd

from guozi_analysis.base.store import read_shared
from guozi_analysis.publishing.lists import bounded, shown_rows
from guozi_analysis.publishing.text import WAN_PER_YI
from guozi_analysis.publishing.views.figures import finish_figure, new_figure

__all__ = ["coverage_table", "warnings_table", "ageing_table", "ageing_chart", "lagging_contracts_table",
           "concentration_table", "closure_table", "open_findings_table", "closure_chart"]

_DASH = "—"


def _read(ctx, key: str) -> pd.DataFrame:
    return read_shared(ctx.processed_dir, key, what="合同与督查共享结果")


def _names(ctx) -> pd.Series:
    roster = ctx.roster
    return pd.Series(roster["name"].astype(str).to_numpy(), index=roster["enterprise_id"].astype(str))


def _num(values, digits: int = 2, scale: float = 1.0) -> list[str]:
    out = []
    for v in values:
        try:
            x = float(v)
        except (TypeError, ValueError):
            out.append(_DASH)
            continue
        out.append(_DASH if pd.isna(x) else f"{x / scale:,.{digits}f}")
    return out


def _text(series: pd.Series) -> pd.Series:
    return series.astype("object").where(series.notna(), _DASH).astype(str).replace({"": _DASH, "nan": _DASH,
                                                                                      "None": _DASH})


def coverage_table(ctx) -> pd.DataFrame:
    """系统覆盖：contracts tracked, amount (亿元), transactions, share tied to contracts, warnings, findings."""
    s = _read(ctx, "contract_summary").set_index("item")
    units = {"contract_amount": ("亿元", WAN_PER_YI, 2), "transaction_amount": ("亿元", WAN_PER_YI, 2),
             "linked_share": ("%", 1.0, 1), "contracts": ("份", 1.0, 0), "enterprises": ("家", 1.0, 0),
             "transactions": ("笔", 1.0, 0), "warnings": ("条", 1.0, 0), "findings": ("项", 1.0, 0),
             "findings_closed": ("项", 1.0, 0), "findings_overdue": ("项", 1.0, 0)}
    rows = []
    for item, row in s.iterrows():
        unit, scale, digits = units.get(item, ("", 1.0, 0))
        rows.append({"项目": row["label_zh"], "数值": _num([row["value"]], digits, scale)[0], "单位": unit or _DASH})
    return pd.DataFrame(rows).set_index("项目")


def warnings_table(ctx, *, families: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Every warning (one per contract, transaction, milestone, finding or enterprise) with the explanation."""
    w = _read(ctx, "contract_warnings")
    if families is not None:
        w = w.loc[w["family"].isin(families)]
    out = pd.DataFrame({
        "企业名称": _text(w["entity_name"]),
        "类别": _text(w["family"]),
        "预警规则": _text(w["rule_name"]),
        "预警等级": _text(w["severity"]),
        "信号灯": _text(w["light"]),
        "说明（数值、阈值、规则与依据）": _text(w["message"]),
    }).reset_index(drop=True)
    if not shown_rows(len(out)).all():  # a list cut short: the red warnings first, every one of them
        red = out["信号灯"] == "红"
        out = pd.concat([out.loc[red], out.loc[~red]], ignore_index=True)
        out = bounded(out, ends="head", unit="条", order="红灯在前的")
    return out.reset_index(drop=True).rename_axis("序号").rename(index=lambda k: k + 1)


def ageing_table(ctx) -> pd.DataFrame:
    """逾期账龄：overdue payables and receivables (万元) by ageing band, with the total."""
    a = _read(ctx, "contract_ageing").set_index("what")
    a = a.assign(合计=a.sum(axis=1))
    out = a.apply(lambda col: _num(col, 2))
    out.index.name = "逾期款项（万元）"
    return out


def ageing_chart(ctx):
    """Stacked bars: overdue payables and receivables (万元) by ageing band."""
    a = _read(ctx, "contract_ageing").set_index("what")
    fig, ax = new_figure(figsize=(7, 3.4))
    if not a.to_numpy().sum():
        ax.text(0.5, 0.5, "无逾期款项", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return finish_figure(fig)
    shades = ["0.85", "0.7", "0.5", "0.3", "0.1"]
    left = pd.Series(0.0, index=a.index)
    for k, band in enumerate(a.columns):
        ax.barh(a.index, a[band], left=left, color=shades[k % len(shades)], edgecolor="0.1", linewidth=0.5,
                label=band)
        left += a[band]
    ax.set_xlabel("逾期金额（万元）")
    ax.set_title(f"合同逾期款项账龄（截至{ctx.period}）")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), fontsize=8, ncol=len(a.columns), frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return finish_figure(fig)


def lagging_contracts_table(ctx, *, top: int = 15) -> pd.DataFrame:
    """Contracts behind their payment plan or with late milestones (largest gap first)."""
    life = _read(ctx, "contract_life")
    needed = ["contract_id", "enterprise_id", "contract_name", "counterparty_name", "direction", "amount",
              "planned_to_date", "settled", "gap", "milestones_late", "status"]
    if not set(needed) <= set(life.columns):  # no 合同台账 this period
        life = pd.DataFrame({c: pd.Series(dtype=float if c in ("amount", "gap") else object) for c in needed})
        life["milestones_late"] = life["milestones_late"].astype(float)
    lag = life.loc[(life["gap"] > 0.005) | (life["milestones_late"] > 0)]
    lag = lag.sort_values(["gap", "contract_id"], ascending=[False, True], kind="mergesort").head(top)
    names = _names(ctx)
    return pd.DataFrame({
        "企业名称": lag["enterprise_id"].astype(str).map(names).fillna(_DASH).to_numpy(),
        "合同名称": _text(lag["contract_name"]).to_numpy(),
        "相对方": _text(lag["counterparty_name"]).to_numpy(),
        "收支方向": _text(lag["direction"]).to_numpy(),
        "合同金额（万元）": _num(lag["amount"]),
        "计划应收付（万元）": _num(lag["planned_to_date"]),
        "实际收付（万元）": _num(lag["settled"]),
        "差额（万元）": _num(lag["gap"]),
        "逾期未完成节点": [f"{int(x)}" for x in lag["milestones_late"]],
        "合同状态": _text(lag["status"]).to_numpy(),
    }).rename(index=lambda k: k + 1).rename_axis("序号")


def concentration_table(ctx, *, top: int = 10) -> pd.DataFrame:
    """相对方集中度: enterprises with the highest top-counterparty share, with the related-party share."""
    c = _read(ctx, "contract_concentration").sort_values(["top_share", "enterprise_id"], ascending=[False, True],
                                                          kind="mergesort").head(top)
    names = _names(ctx)
    return pd.DataFrame({
        "企业名称": c["enterprise_id"].astype(str).map(names).fillna(_DASH).to_numpy(),
        "合同份数": [f"{int(x)}" for x in c["n_contracts"]],
        "合同总额（万元）": _num(c["total"]),
        "最大相对方": _text(c["top_counterparty"]).to_numpy(),
        "最大相对方占比（%）": _num(c["top_share"], 1),
        "关联方合同占比（%）": _num(c["related_share"], 1),
    }).rename(index=lambda k: k + 1).rename_axis("序号")


def closure_table(ctx) -> pd.DataFrame:
    """整改闭环：findings, closed, open and overdue by source, and the closure rate (%)."""
    c = _read(ctx, "inspection_closure")
    return pd.DataFrame({
        "问题来源": c["source"].astype(str).to_numpy(),
        "问题数": [f"{int(x)}" for x in c["findings"]],
        "已整改或销号": [f"{int(x)}" for x in c["closed"]],
        "未完成整改": [f"{int(x)}" for x in c["open"]],
        "其中逾期": [f"{int(x)}" for x in c["overdue"]],
        "整改完成率（%）": _num(c["closure_rate"], 1),
    }).set_index("问题来源")


def open_findings_table(ctx) -> pd.DataFrame:
    """未完成整改的问题：by enterprise (name) and age since found."""
    o = _read(ctx, "inspection_open_by_age")
    names = _names(ctx)
    out = o.drop(columns=["enterprise_id"]).astype(int).astype(str)
    out.index = o["enterprise_id"].astype(str).map(names).fillna(_DASH).to_numpy()
    out.index.name = "企业名称（按发现至今天数）"
    if not shown_rows(len(out)).all() and "合计" in o:  # a long list: the most open findings first
        out = out.iloc[o["合计"].reset_index(drop=True).sort_values(ascending=False, kind="stable").index]
        out = bounded(out, ends="head", order="未完成整改问题最多的")
    return out


def closure_chart(ctx):
    """Bars: closure rate (%) by source of the findings."""
    c = _read(ctx, "inspection_closure")
    c = c.loc[c["source"] != "合计"]
    fig, ax = new_figure(figsize=(7, 3.0))
    if not len(c):
        ax.text(0.5, 0.5, "无督查问题数据", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return finish_figure(fig)
    ax.bar(c["source"], c["closure_rate"].fillna(0.0), color="0.55", edgecolor="0.1", linewidth=0.5)
    for x, (rate, n) in enumerate(zip(c["closure_rate"], c["findings"])):
        ax.text(x, (0 if pd.isna(rate) else rate) + 2, f"{_num([rate], 0)[0]}%（{int(n)}项）", ha="center", fontsize=8)
    ax.set_ylim(0, 115)
    ax.set_ylabel("整改完成率（%）")
    ax.set_title(f"各来源问题整改完成率（截至{ctx.period}）")
    ax.grid(axis="y", alpha=0.3)
    return finish_figure(fig)
