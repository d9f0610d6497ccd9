"""Notebook views of the debt-risk chapter: key-supervision list, changes, lights, flags, maturities,
stress tests and the distress model.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from guozi_analysis.analyses.risk.data import fmt_wan
from guozi_analysis.analyses.risk.distress import MODEL_LABEL
from guozi_analysis.analyses.risk.maturity import OVERDUE_LABEL, TREE_BASIS
from guozi_analysis.analyses.risk.report import LEVEL_ZH
from guozi_analysis.analyses.risk.rules import LIGHTS, OPERATOR_ZH, SEVERITIES, as_ruleset
from guozi_analysis.base.store import read_shared
from guozi_analysis.publishing.display import NOTES, with_notes
from guozi_analysis.publishing.lists import ELSEWHERE, bounded, list_settings, shown_rows
from guozi_analysis.publishing.text import WAN_PER_YI, markdown
from guozi_analysis.publishing.views.context import short_names
from guozi_analysis.publishing.views.figures import finish_figure, new_figure

# ------------------------------------------------------------------------------------------
# notebook views (read the parquet files of the shared step)
# ------------------------------------------------------------------------------------------
#: Most severe first (the order a long list of flags is cut in).
SEVERITY_ORDER = tuple(reversed(SEVERITIES))
#: The light of a 重点监管 rule.
RED = LIGHTS["重点监管"]
#: The light of a 预警 rule.
AMBER = LIGHTS["预警"]
#: The change of an enterprise on the list in both periods (``analyses.risk.engine.list_changes``).
STAYS = "继续监管"


def _read(ctx, key: str) -> pd.DataFrame:
    return read_shared(ctx.processed_dir, key, what="风险预警共享结果")


def supervision_list_table(ctx) -> pd.DataFrame:
    """重点监管对象名单: enterprise, level, severity, the rules and the full explanation.

    Every listed enterprise is named, however many; when the list is longer than a publication prints
    whole (``params/bulletins.yaml`` ``lists.rows``) each takes one line (:func:`_compact_list`): its group,
    the rules it hit and their values; the full explanation (line, rule and basis) is left to the
    profiles and the workbook.
    """
    lst = _read(ctx, "risk_list")
    out = pd.DataFrame({
        "企业名称": lst["entity_name"],
        "层级": lst["level"].map(LEVEL_ZH),
        "严重程度": lst["severity"],
        "触发规则": lst["rule_names"],
        "说明": lst["messages"],
    }).reset_index(drop=True)
    if shown_rows(len(out)).all():
        return out
    return _compact_list(ctx, lst.reset_index(drop=True))


def _figure(value: float, unit: str) -> str:
    """A rule's value as a list line prints it: 82.78%, 1.02倍, 19,030.42万元."""
    if pd.isna(value):
        return "—"
    return f"{value:,.2f}{unit}"


def _compact_list(ctx, lst: pd.DataFrame) -> pd.DataFrame:
    """The long key-supervision list, one line per enterprise: its name, its group (short name), the rules
    that listed it and each rule's value this period (the stored ``risk_flags`` of the rules ``on_list``)."""
    flags = _read(ctx, "risk_flags")
    fired = flags.loc[flags["triggered"].astype(bool) & flags["on_list"].astype(bool)]
    values = {(str(e), str(r)): _figure(v, str(u)) for e, r, v, u in
              zip(fired["entity_id"], fired["rule_id"], fired["value"], fired["unit"])}
    names = {str(r): str(n) for r, n in zip(fired["rule_id"], fired["rule_name"])}
    short = short_names(ctx)
    tree = ctx.tree

    def group(entity: str) -> str:
        if entity not in tree:
            return "—"
        g = tree.group_of(entity)
        return "（本集团）" if g == entity else short.get(g, g)

    def rules(entity: str, ids: str) -> str:
        parts = [p for p in re.split(r"[,，、;；\s]+", str(ids)) if p]
        return "；".join(f"{names.get(p, p)} {values.get((entity, p), '—')}" for p in parts)

    ids = lst["entity_id"].astype(str)
    out = pd.DataFrame({"企业名称": lst["entity_name"], "所属集团": [group(e) for e in ids],
                        "严重程度": lst["severity"].astype(str),
                        "触发规则及本期值": [rules(e, r) for e, r in zip(ids, lst["rule_ids"])]})
    severities = out["严重程度"].unique()
    alike = f"，严重程度均为{severities[0]}" if len(severities) == 1 else ""
    if alike:
        out = out.drop(columns=["严重程度"])
    return with_notes(out, f"名单共{len(out):,}家，逐家一行列出{alike}；每家的阈值、规则依据和逐笔明细见{ELSEWHERE}，"
                           "本附录“预警提示”列出严重程度最高的各条。")


def list_changes_table(ctx, *, whole: bool = False) -> pd.DataFrame:
    """名单变动: who entered and who left since the previous period (and who stays); a long one (more than
    ``lists.rows``) is cut to the head, who entered or left first, unless ``whole``."""
    ch = _read(ctx, "risk_changes")
    flags = _read(ctx, "risk_flags")
    names = {rule.id: rule.name_zh for rule in as_ruleset(None).rules}
    names.update(zip(flags["rule_id"].astype(str), flags["rule_name"].astype(str)))

    def rule_names(ids) -> str:
        if ids is None or (isinstance(ids, float) and pd.isna(ids)):
            return "—"
        parts = [p for p in re.split(r"[,，、;；\s]+", str(ids)) if p]
        return "、".join(names.get(p, "其他规则") for p in parts) or "—"

    out = pd.DataFrame({
        "企业名称": ch["entity_name"],
        "变动": ch["change"],
        "本期触发规则": ch["rule_ids_current"].map(rule_names),
        "上期触发规则": ch["rule_ids_previous"].map(rule_names),
    }).reset_index(drop=True)
    if whole or shown_rows(len(out)).all():
        return out
    moved = out["变动"].astype(str) != STAYS
    out = pd.concat([out.loc[moved], out.loc[~moved]], ignore_index=True)  # who entered or left, first
    return bounded(out, ends="head", order="新列入和移出名单的在前")


def traffic_light_table(ctx, *, levels: tuple[str, ...] = ("district", "group", "enterprise")) -> pd.DataFrame:
    """红黄绿灯: entity × rule family (红 = 重点监管, 黄 = 预警或关注, 绿 = 未触发, — = 无数据)."""
    lights = _read(ctx, "risk_traffic_lights")
    lights = lights.loc[lights["level"].isin(levels)]
    out = lights.drop(columns=["level", "entity_id"]).rename(columns={"entity_name": "企业名称"})
    out = out.reset_index(drop=True)
    if shown_rows(len(out)).all():
        return out
    # a long table: the district, then the entities with most red lights (then most amber ones)
    shown = out.drop(columns=["企业名称"]).astype(str)
    district = (lights["level"] == "district").to_numpy()
    order = pd.DataFrame({"d": ~district, "red": -(shown == RED).sum(axis=1), "amber": -(shown == AMBER).sum(axis=1)})
    out = out.loc[order.sort_values(["d", "red", "amber"], kind="stable").index].reset_index(drop=True)
    return bounded(out, keep=np.arange(len(out)) < int(district.sum()), ends="head", what="全区合计",
                   order="红灯、黄灯最多的")


#: The mildest severity: listed by count in the book, one by one only in the workbook and profiles.
ATTENTION = "关注"


def flags_table(ctx, *, entity_id: str | None = None, attention: bool = True) -> pd.DataFrame:
    """Every fired rule (one row each) with the Chinese explanation; ``attention=False`` leaves out 关注."""
    flags = _read(ctx, "risk_flags")
    if entity_id is not None:
        flags = flags.loc[flags["entity_id"] == entity_id]
    if not attention:
        flags = flags.loc[flags["severity"].astype(str) != ATTENTION]
    out = pd.DataFrame({
        "企业名称": flags["entity_name"],
        "规则类别": flags["family"],
        "规则": flags["rule_name"],
        "严重程度": flags["severity"],
        "信号灯": flags["light"],
        "列入名单": flags["on_list"].map({True: "是", False: "否"}),
        "说明": flags["message"],
    }).reset_index(drop=True)
    if entity_id is not None or shown_rows(len(out)).all():
        return out
    # a long list: the most severe first (the order of the rules' severities), then cut; each line its value
    # and line instead of the explanation, which grows with the district (the district's lists every
    # guarantee of every group) and stays in the profiles and the workbook
    out = out.drop(columns=["信号灯", "列入名单", "说明"]).assign(
        本期值=[_figure(v, str(u)) for v, u in zip(flags["value"], flags["unit"])],
        阈值=[_figure(v, str(u)) for v, u in zip(flags["threshold"], flags["unit"])])
    rank = {s: k for k, s in enumerate(SEVERITY_ORDER)}
    order = out["严重程度"].astype(str).map(rank).fillna(len(rank)).sort_values(kind="stable").index
    out = bounded(out.loc[order].reset_index(drop=True), ends="head", unit="条", order="严重程度最高的")
    return with_notes(out, f"每条的完整说明（逐笔明细、口径和规则依据）见{ELSEWHERE}。")


def attention_note(ctx):
    """How many 关注-level signals there are (they are not listed one by one in the book)."""
    flags = _read(ctx, "risk_flags")
    n = int((flags["severity"].astype(str) == ATTENTION).sum())
    return markdown(f"另有关注级提示{n}条（未达到预警程度），不在此逐条列出，见各企业画像。" if n else "本期无关注级提示。")


def maturity_table(ctx, *, months: int = 12) -> pd.DataFrame:
    """Groups and the district × the next ``months`` months: balance falling due (亿元)."""
    prof = _read(ctx, "risk_maturity_profile")
    prof = prof.loc[prof["level"].isin(["district", "group"])]
    labels = [m for m in dict.fromkeys(prof["month"]) if m != OVERDUE_LABEL][:months]
    wide = prof.pivot_table(index=["entity_id", "entity_name"], columns="month", values="balance", aggfunc="sum",
                            sort=False)
    wide = (wide.reindex(columns=labels) / WAN_PER_YI).round(2)
    if not shown_rows(len(wide)).all():  # many groups: the district and the groups owing most in the window
        district = wide.index.get_level_values(0) == "DISTRICT"
        wide = pd.concat([wide.loc[district], wide.loc[~district].loc[
            wide.loc[~district].sum(axis=1).sort_values(ascending=False, kind="stable").index]])
        wide = bounded(wide, keep=np.arange(len(wide)) < int(district.sum()), ends="head", what="全区合计",
                       order="到期金额最多的")
    wide.index = wide.index.get_level_values(1)
    wide.index.name = "企业（到期金额，亿元）"
    return wide


def maturity_scope_note(ctx):
    """The note under the maturity table that reconciles it with the 集中到期 warnings of 预警提示.

    The table sums each group's whole tree (含全部下属企业); the warning takes the scope on which the
    largest month weighs most, for some groups their own instruments (本企业自身). Per such group warned
    in 预警提示 (``risk_flags``) the
    note prints the wall month and the next 12 months on both scopes and the difference, what the
    subsidiaries owe (stored ``risk_maturity_scopes``: difference = whole tree − own, 万元 as the warning prints).
    """
    scopes = _read(ctx, "risk_maturity_scopes")
    flags = _read(ctx, "risk_flags")
    text = f"注：本表按{TREE_BASIS}口径（企业自身及全部下属企业的融资明细）统计各月到期金额。"
    if not len(scopes) or not len(flags):
        return markdown(text)
    warned = set(flags.loc[(flags["rule_id"] == "maturity_wall") & flags["triggered"].astype(bool), "entity_id"])
    scopes = scopes.loc[(scopes["level"] == "group") & scopes["entity_id"].isin(warned)]  # the table's rows, warned
    if not len(scopes):
        return markdown(text)
    parts, top = [], int(list_settings()["top"])
    if not shown_rows(len(scopes)).all():  # many warned groups: the largest walls, the others counted
        scopes = scopes.sort_values("month_own", ascending=False, kind="stable")
        rest, scopes = len(scopes) - top, scopes.head(top)
    else:
        rest = 0
    for r in scopes.itertuples():
        parts.append(
            f"{r.entity_name}按{r.wall_basis}口径{r.wall_month}到期{fmt_wan(r.month_own)}、未来{int(r.months)}个月到期合计"
            f"{fmt_wan(r.window_own)}，按本表口径分别为{fmt_wan(r.month_tree)}、{fmt_wan(r.window_tree)}，"
            f"差额{fmt_wan(r.month_subsidiaries)}、{fmt_wan(r.window_subsidiaries)}为其下属企业的到期融资")
    text += ("“预警提示”中的债务集中到期按单月集中度较高的口径判断：" + "；".join(parts) + "。").replace(" 万元", "万元")
    if rest:
        text += f"另有{rest:,}家预警的集团两种口径的对照见{ELSEWHERE}。"
    return markdown(text)


def maturity_chart(ctx, *, entity_id: str = "DISTRICT", months: int = 24, wall_pct: float = 40.0):
    """Bar chart of the balance falling due each month (亿元), the largest of the next 12 months darker.

    A dashed line marks ``wall_pct`` % of the next 12 months' total (the 集中到期 line).
    """
    prof = _read(ctx, "risk_maturity_profile")
    prof = prof.loc[(prof["entity_id"] == entity_id) & (prof["month"] != OVERDUE_LABEL)].head(months)
    fig, ax = new_figure(figsize=(8, 3.6))
    if prof.empty:
        ax.text(0.5, 0.5, "无到期融资数据", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return finish_figure(fig)
    values = prof["balance"].to_numpy(dtype=float) / WAN_PER_YI
    first12 = values[:12]
    top = int(first12.argmax()) if len(first12) else -1
    colours = ["0.15" if k == top else "0.65" for k in range(len(values))]
    ax.bar(range(len(values)), values, color=colours, edgecolor="0.1", linewidth=0.5)
    line = first12.sum() * wall_pct / 100.0
    ax.axhline(line, color="0.1", linestyle="--", linewidth=1,
               label=f"未来12个月到期合计的{wall_pct:.0f}%（{line:.2f} 亿元）")
    ax.set_ylim(0, max(float(values.max()), line) * 1.25)
    ax.set_xticks(range(len(values)))
    ax.set_xticklabels(prof["month"].str[2:], rotation=60, fontsize=7)
    name = prof["entity_name"].iloc[0]
    ax.set_title(f"{name}：未来{len(values)}个月债务到期分布（截至{ctx.period}）")
    ax.set_ylabel("到期金额（亿元）")
    ax.set_xlabel("到期月份")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    return finish_figure(fig)


def stress_summary_table(ctx) -> pd.DataFrame:
    """压力测试汇总: per scenario, new flags and list entries, cash shortfall and exposure (亿元)."""
    s = _read(ctx, "risk_stress_summary")
    out = pd.DataFrame({
        "情景": s["scenario_name"],
        "触发规则数": s["flags"],
        "新增触发": s["new_flags"],
        "名单企业数": s["listed"],
        "新增名单企业": s["new_listed_ids"].replace("", "—"),
        "存在现金缺口的企业数": s["shortfall_entities"],
        "全区最大现金缺口（亿元）": (s["district_shortfall"] / WAN_PER_YI).round(2),
        "名单企业融资余额（亿元）": (s["listed_debt"] / WAN_PER_YI).round(2),
        "名单企业对外担保（亿元）": (s["listed_guarantees"] / WAN_PER_YI).round(2),
        "全区融资余额（亿元）": (s["district_debt"] / WAN_PER_YI).round(2),
        "全区对外担保（亿元）": (s["district_guarantees"] / WAN_PER_YI).round(2),
    })
    return out.set_index("情景")


def stress_crossings_table(ctx, *, only_new: bool = True) -> pd.DataFrame:
    """Lines crossed under each scenario (by default only those not crossed in the baseline)."""
    c = _read(ctx, "risk_stress_crossings")
    c = c.loc[c["scenario_id"] != "baseline"]
    if only_new:
        c = c.loc[c["new"]]
    out = pd.DataFrame({
        "情景": c["scenario_name"],
        "企业名称": c["entity_name"],
        "规则": c["rule_name"],
        "严重程度": c["severity"],
        "冲击前": c["value_before"].round(2),
        "冲击后": c["value"].round(2),
        "阈值": c["threshold"].round(2),
        "单位": c["unit"],
    }).reset_index(drop=True)
    if shown_rows(len(out)).all():
        return out
    # a long list: the first rows of each scenario (the summary above counts them all)
    parts = [bounded(part.reset_index(drop=True), ends="head", unit="条") for _, part in
             out.groupby("情景", sort=False)]
    notes = [f"{name}：{part.attrs[NOTES][0]}" for name, part in zip(out["情景"].drop_duplicates(), parts)
             if part.attrs.get(NOTES)]
    for part in parts:
        part.attrs = {}
    return with_notes(pd.concat(parts, ignore_index=True), *notes)


def entity_risk_section(ctx) -> pd.DataFrame:
    """One entity's risk picture for the profile notebook: every rule, its value, line and status.

    Rows are the rules in file order plus the Altman Z'' model row (labelled as a model). The entity
    is ``ctx.entity_id`` (``DISTRICT`` gives the district aggregate).
    """

    ev = _read(ctx, "risk_evaluation")
    ev = ev.loc[ev["entity_id"] == ctx.entity_id]
    status = ev["status"].where(~ev["triggered"], ev["severity"].map(lambda s: f"{s}（{LIGHTS[s]}）"))
    out = pd.DataFrame({
        "规则类别": ev["family"],
        "规则": ev["rule_name"],
        "本期值": ev["value"].round(2),
        "阈值": ev["threshold"].round(2),
        "单位": ev["unit"],
        "结果": status,
        "列入名单": (ev["on_list"] & ev["triggered"]).map({True: "是", False: "否"}),
        "说明": ev["message"].where(ev["triggered"], ev["note"]),
    })
    z = _read(ctx, "risk_distress")
    z = z.loc[z["entity_id"] == ctx.entity_id]
    if len(z):
        out = pd.concat([out, pd.DataFrame({
            "规则类别": ["模型参考"], "规则": ["Altman Z''"], "本期值": [round(float(z["z2"].iloc[0]), 2)],
            "阈值": [float("nan")], "单位": [""], "结果": [z["zone"].iloc[0]], "列入名单": ["否"],
            "说明": [f"{MODEL_LABEL}；{z['source'].iloc[0]}"],
        })], ignore_index=True)
    return out.reset_index(drop=True)


def distress_table(ctx, *, entity_id: str | None = None) -> pd.DataFrame:
    """Notebook view: Z'' by entity with Chinese headers, read from ``risk_distress.parquet``."""
    scores = pd.read_parquet(Path(ctx.processed_dir) / "risk_distress.parquet")
    if entity_id is not None:
        scores = scores.loc[scores["entity_id"] == entity_id]
    out = pd.DataFrame({
        "企业名称": scores["entity_name"],
        "X1 营运资金/资产": scores["x1"].round(3),
        "X2 留存收益近似/资产": scores["x2"].round(3),
        "X3 年化息税前利润/资产": scores["x3"].round(3),
        "X4 账面权益/负债": scores["x4"].round(3),
        "Z''": scores["z2"].round(2),
        "Z''（新兴市场版，+3.25）": scores["z2_em"].round(2),
        "区间（模型参考）": scores["zone"],
    }).reset_index(drop=True)
    if entity_id is not None or shown_rows(len(out)).all():
        return out
    # a long list: lowest Z'' first; every entity in the distress zone is printed
    out = out.iloc[scores["z2"].reset_index(drop=True).sort_values(kind="stable").index].reset_index(drop=True)
    return bounded(out, ends="head", order="Z''最低的")


def list_basis(ctx=None, *, rules=None):
    """Which rules put an enterprise on the key-supervision list, written from the district's rules
    (``on_list``), with their thresholds and bases in words — never a fixed sentence."""
    ruleset = as_ruleset(rules)
    listed = [r for r in ruleset.rules if r.on_list]
    if not listed:
        return markdown("本区目前没有设定列入重点监管对象的规则，各项预警只作提示。")
    items = []
    for rule in listed:
        limit = ""
        if rule.threshold.by is None and rule.threshold.value is not None and rule.unit in ("%", "倍"):
            limit = f"（{OPERATOR_ZH[rule.op]}{rule.threshold.value:g}{rule.unit}）"
        items.append(f"- {rule.name_zh}{limit}；依据：{rule.source}")
    others = sum(1 for r in ruleset.rules if not r.on_list)
    lines = ["触发下列任一规则的企业列入重点监管对象（区国资委在风险规则中设定）：", "", *items, ""]
    if others:
        lines.append(f"另有 {others} 条规则只作预警或关注提示，不据此列入名单。每条说明都写明实际值、阈值、规则和依据。")
    return markdown("\n".join(lines))
