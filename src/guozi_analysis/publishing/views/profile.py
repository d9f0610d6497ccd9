"""The 企业画像 (one enterprise's profile) from that enterprise's own slices of the shared results.

The shared step splits its stored results by entity once (:func:`split_by_entity`):
``by_entity/<编码>/`` holds, under the shared files' own names, only the rows a profile needs (the
enterprise, its ancestors and — for a group — its subsidiaries, plus the district totals), and
its standing among its peers (``peer_standing``, computed once for every enterprise by the shared step:
:func:`guozi_analysis.analyses.peers.peer_standings`). A profile reads those few small files, each once,
never the whole shared result, so its cost does not grow with the number of enterprises; what every
profile reads alike (the catalogue, the rules' advice) is read once per kernel.

Every view returns what a reader sees: names not codes, Chinese headers, missing values as "—".
"""

from __future__ import annotations

from functools import lru_cache
from html import escape as html_escape
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from guozi_analysis.analyses.peers import peer_standings
from guozi_analysis.analyses.ranking import OVERALL, size_indicators
from guozi_analysis.analyses.ranking import load_settings as ranking_settings
from guozi_analysis.analyses.risk.rules import default_rules_path, load_rules
from guozi_analysis.base import config
from guozi_analysis.base.entities import EnterpriseTree
from guozi_analysis.base.periods import as_of_date
from guozi_analysis.base.store import read_shared, write_table
from guozi_analysis.indicators.catalogue import catalogue_frame, load_catalogue
from guozi_analysis.publishing.text import date_zh, markdown, supported_text
from guozi_analysis.publishing.views import forecast as forecast_views
from guozi_analysis.publishing.views.context import Context, ParameterError, open_context
from guozi_analysis.publishing.views.overview import COUNT_UNITS, PEER_INDICATORS, WAN_PER_YI

SLICE_DIR = "by_entity"
MISSING = "—"
#: Indicators shown beside the peer set (一利五率 and the two scale lines a reader looks for first).
PEER_SET = (*PEER_INDICATORS, "revenue", "roa")
#: Columns of a group's subsidiaries summary (indicator id → header without unit).
SUBSIDIARY_COLUMNS = {"revenue": "营业总收入", "total_profit": "利润总额", "debt_to_asset_ratio": "资产负债率"}
#: Shared files split by entity, and the column naming the entity in each.
_ENTITY_COLUMN = {
    "indicators": "entity_id", "indicator_history": "entity_id", "risk_evaluation": "entity_id",
    "risk_distress": "entity_id", "forecast_projections": "enterprise_id", "forecast_targets": "enterprise_id",
    "forecast_paths": "entity_id", "table_financials": "enterprise_id", "table_projects": "enterprise_id",
    "contract_warnings": "entity_id", "inspection_status": "enterprise_id", "contract_life": "enterprise_id",
    "ranking_composite": "entity_id",  # its 晾晒 scores and ranks: the assessment's opening
    "peer_standing": "entity_id",  # its standing among its peers: the peers table and the assessment
}
_TREND_NAMES = {"revenue": "营业总收入", "total_profit": "利润总额", "debt_to_asset_ratio": "资产负债率"}
_LEVEL_ZH = {1: "一级（集团）", 2: "二级子企业", 3: "三级子企业"}


def split_by_entity(processed_dir: Path | str) -> int:
    """Write each entity's slices (``by_entity/<id>/``) once; returns how many.

    A slice keeps the shared files' names and columns, so the chapter views read it like the whole
    result. It holds the entity's own rows, the district's indicators (shown beside), and for a
    group its subsidiaries' indicators and risk rows (the subsidiaries summary). Its roster holds
    the entity's ancestors and subtree, so the enterprise tree of the slice is whole.
    """
    src = Path(processed_dir)
    roster = pd.read_parquet(src / "table_roster.parquet")
    tree = EnterpriseTree.from_roster(roster)
    ids = roster["enterprise_id"].astype(str).str.strip()
    if not (src / "peer_standing.parquet").exists() and (src / "indicators.parquet").exists():
        # results stored without the standings (an older run, a hand-made folder): computed here once
        write_table(peer_standings(pd.read_parquet(src / "indicators.parquet"), roster), src / "peer_standing.parquet")
    frames = {name: pd.read_parquet(src / f"{name}.parquet") for name in _ENTITY_COLUMN
              if (src / f"{name}.parquet").exists()}
    frames = {name: f for name, f in frames.items() if _ENTITY_COLUMN[name] in f.columns}  # e.g. no ledgers this month
    slices: dict[str, tuple[pa.Table, dict[str, tuple[int, int]]]] = {}
    for name, frame in frames.items():  # one sorted Arrow table per file; an entity's rows are one slice of it
        key = frame[_ENTITY_COLUMN[name]].astype(str)
        order = key.sort_values(kind="stable")
        table = pa.Table.from_pandas(frame.iloc[order.index.to_numpy()] if len(frame) else frame,
                                     preserve_index=False)
        sorted_keys = order.to_numpy()
        bounds, start = {}, 0
        for k, count in pd.Series(sorted_keys).value_counts(sort=False).sort_index().items():
            bounds[str(k)], start = (start, int(count)), start + int(count)
        slices[name] = (table, bounds)
    roster_table = pa.Table.from_pandas(roster, preserve_index=False)
    coverage = pq.read_table(src / "coverage.parquet") if (src / "coverage.parquet").exists() else None

    def write(table: pa.Table, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)

    for entity in tree.order:
        out = src / SLICE_DIR / entity
        family = set(tree.ancestors(entity)) | set(tree.subtree(entity))
        write(roster_table.filter(pa.array(ids.isin(family).to_numpy())), out / "table_roster.parquet")
        if coverage is not None:  # who did not report: every profile's tables carry the district's note
            write(coverage, out / "coverage.parquet")
        below = tree.descendants(entity)
        for name, (table, bounds) in slices.items():
            keys = [entity, *below] if name in ("indicators", "risk_evaluation") else [entity]
            if name == "indicators":
                keys.append("DISTRICT")
            parts = [table.slice(*bounds[k]) for k in keys if k in bounds]
            if parts and (entity in bounds or name == "indicators"):
                write(pa.concat_tables(parts), out / f"{name}.parquet")
    return len(tree.order)


def open_profile(*, period: str, entity_id: str, processed_dir: str | Path = "") -> Context:
    """The profile notebook's context: the entity's own slice of the shared results (Chinese errors)."""
    root = Path(processed_dir) if processed_dir else config.shared_dir(period)
    folder = root / SLICE_DIR / str(entity_id)
    if not (root / SLICE_DIR).is_dir() and (root / "table_roster.parquet").exists():
        split_by_entity(root)  # a bulletin's run does not split its results; the first profile opened does
    if not folder.is_dir():
        raise ParameterError(f"参数 entity_id 有误：企业编号「{entity_id}」不在企业名录中（{root} 中没有其画像数据）")
    return open_context(period=period, entity_id=str(entity_id), processed_dir=folder)


# ------------------------------------------------------------------------------------------
# what a profile reads: its slices each once per profile, what every profile reads alike once per kernel
# ------------------------------------------------------------------------------------------
def _memo(ctx: Context, key, make):
    """``make()`` once per context: kept on the context itself, so a new context (another profile, or the same
    one after the shared step ran again) starts afresh and nothing outlives the profile."""
    memo = ctx.__dict__.setdefault("_profile_memo", {})  # a frozen dataclass still has its __dict__
    if key not in memo:
        memo[key] = make()
    return memo[key]


def _slice(ctx: Context, name: str) -> pd.DataFrame:
    """The entity's slice ``name`` (empty frame when it has none), read once per profile: several views read
    one slice (risks, supervision, subsidiaries). Callers filter or copy it, never change it in place."""
    return _memo(ctx, ("slice", name), lambda: read_shared(ctx.processed_dir, name, optional=True))


def _risk_rows(ctx: Context) -> pd.DataFrame:
    ev = _slice(ctx, "risk_evaluation")
    return ev if len(ev.columns) else pd.DataFrame(columns=["entity_id", "triggered"])


@lru_cache(maxsize=2)
def _catalogue_meta(catalogue) -> pd.DataFrame:
    """The catalogue frame by indicator id, with each unit as shown (亿元 for 万元) and its factor."""
    meta = catalogue_frame(catalogue)
    shown = meta["unit"].map(_unit)
    return meta.assign(shown_unit=shown.map(lambda t: t[0]), factor=shown.map(lambda t: t[1]).astype(float)) \
        .set_index("id", drop=False)


def _meta() -> pd.DataFrame:
    """:func:`_catalogue_meta` of the current catalogue (``load_catalogue`` reloads it when its file changes)."""
    return _catalogue_meta(load_catalogue())


@lru_cache(maxsize=2)
def _advice_of(path: str, mtime: float) -> dict[str, str]:
    return {rule.id: rule.advice for rule in load_rules(path).rules}


def _advice() -> dict[str, str]:
    """Each warning rule's 监管要点 (``advice`` in ``params/risk_rules.yaml``), read again when the file changes."""
    path = default_rules_path()
    return _advice_of(str(path), path.stat().st_mtime)


# ------------------------------------------------------------------------------------------
# display helpers
# ------------------------------------------------------------------------------------------
def _unit(meta_unit: str) -> tuple[str, float]:
    return ("亿元", 1 / WAN_PER_YI) if meta_unit == "万元" else (meta_unit, 1.0)


def _text(values, digits: int = 2) -> list[str]:
    """Numbers as reader text (thousands separators, ``digits`` decimals); missing as "—"."""
    out = []
    for v in values:
        out.append(MISSING if v is None or pd.isna(v) else f"{float(v):,.{digits}f}")
    return out


def _by_unit(values, units) -> list[str]:
    """Reader text of each value in its unit: whole numbers for counts (家、个……), 2 decimals otherwise."""
    return [_text([v], 0 if u in COUNT_UNITS else 2)[0] for v, u in zip(values, units)]


def _roster(ctx: Context) -> pd.DataFrame:
    """The slice's roster by enterprise code (several views of one profile look names up)."""
    return _memo(ctx, "roster", lambda: ctx.roster.assign(
        _id=ctx.roster["enterprise_id"].astype(str).str.strip()).set_index("_id"))


def _row(ctx: Context) -> pd.Series:
    return _roster(ctx).loc[ctx.entity_id]


def _name(ctx: Context, entity: str | None) -> str:
    if not entity:
        return MISSING
    roster = _roster(ctx)
    return str(roster.loc[entity, "name"]) if entity in roster.index else MISSING


# ------------------------------------------------------------------------------------------
# views
# ------------------------------------------------------------------------------------------
def title(ctx: Context):
    """The profile's heading (the enterprise's name) and one line: short name, level, class, as-of date."""
    row = _row(ctx)
    level = _LEVEL_ZH.get(ctx.tree.depth(ctx.entity_id), f"{ctx.tree.depth(ctx.entity_id)}级子企业")
    line = "｜".join(str(x) for x in (row["short_name"], level, row["function_class"], row["industry_class"],
                                     f"数据截至{date_zh(as_of_date(ctx.period))}") if pd.notna(x))
    business = _main_business(row)
    return markdown(f"# {row['name']} {{.unnumbered}}\n\n{line}" + (f"\n\n**主营业务**：{business}。" if business else ""))


def _main_business(row: pd.Series) -> str:
    """The roster's 主营业务 (optional column; "" when the roster has none: the profile leaves it out)."""
    value = row.get("main_business")
    return "" if value is None or pd.isna(value) else str(value).strip().rstrip("。")


def facts(ctx: Context) -> pd.DataFrame:
    """Who the enterprise is: names, level, group, parent, classes, shareholding, subsidiaries (no codes)."""
    row = _row(ctx)
    tree = ctx.tree
    is_group = tree.is_group(ctx.entity_id)
    share = row.get("shareholding_pct")
    items = {
        "企业名称": row["name"],
        "简称": row["short_name"],
        "层级": _LEVEL_ZH.get(tree.depth(ctx.entity_id), f"{tree.depth(ctx.entity_id)}级子企业"),
        "所属集团": "（本企业为集团）" if is_group else _name(ctx, tree.group_of(ctx.entity_id)),
        "上级企业": MISSING if is_group else _name(ctx, tree.parent(ctx.entity_id)),
        "功能分类": row["function_class"],
        "行业分类": row["industry_class"],
        "主营业务": _main_business(row) or MISSING,
        "国有持股比例（%）": _text([share])[0],
        "直属子企业（家）": str(len(tree.children(ctx.entity_id))),
        "全部子企业（家）": str(len(tree.descendants(ctx.entity_id))),
    }
    out = pd.DataFrame({"内容": [MISSING if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
                                for v in items.values()]}, index=pd.Index(list(items), name="项目"))
    return out


def _peer_label(level: str, klass: str, n: int) -> str:
    """同类企业的称呼：「全部集团（6家）」「竞争类子企业（22家）」."""
    if level == "group":
        return f"{'全部集团' if klass == '全部' else klass + '集团'}（{n}家）"
    return f"{klass}子企业（{n}家）"


def _standing(ctx: Context) -> tuple[str, str, int, pd.DataFrame]:
    """``(level, class, set size, standing by indicator)`` of the enterprise among its peers (``params/ranking.yaml``
    classes), from its slice of the shared step's ``peer_standing``
    (:func:`guozi_analysis.analyses.peers.peer_standings`); the indicators of :data:`PEER_SET`."""
    rows = _slice(ctx, "peer_standing")
    if not len(rows):
        raise FileNotFoundError(f"缺少企业「{ctx.entity_id}」的同类比较结果 peer_standing.parquet（{ctx.processed_dir}）："
                                "请重新运行本期的共享计算步骤（guozi run）。")
    first = rows.iloc[0]
    standing = rows.drop_duplicates("indicator_id").set_index("indicator_id").reindex(list(PEER_SET))
    return str(first["level"]), str(first["peer_class"]), int(first["set_size"]), standing


def peers(ctx: Context) -> pd.DataFrame:
    """The enterprise beside its peer set (``params/ranking.yaml`` classes): own value, median, best, rank
    (:func:`guozi_analysis.analyses.peers.peer_standing`)."""
    meta = _meta()
    level, klass, n, standing = _standing(ctx)
    records = []
    for ind in PEER_SET:
        unit, factor = _unit(meta.loc[ind, "unit"])
        row = standing.loc[ind]
        rank = row["rank"]
        records.append({"指标": meta.loc[ind, "name_zh"], "单位": unit, "本企业": row["value"] * factor,
                        "同类中位数": row["median"] * factor, "同类最好": row["best"] * factor,
                        "名次": MISSING if pd.isna(rank) else f"{int(rank)}/{int(row['n'])}"})
    out = pd.DataFrame(records).set_index("指标")
    for col in ("本企业", "同类中位数", "同类最好"):
        out[col] = _text(out[col])
    out.index.name = f"同类：{_peer_label(level, klass, n)}"
    return out


def assessment(ctx: Context):
    """A short written assessment against the peers: the 晾晒 六表总分 and its rank in the peer set (stored
    ranking scores), then the main efficiency indicators on which the enterprise is better or worse than the
    peers' median (size indicators — revenue, profit — are scale, not performance, and are left out). A
    figure that is missing leaves its sentence out."""
    level, klass, n, standing = _standing(ctx)
    peer = _peer_label(level, klass, n)
    meta = _meta()
    sentences = []
    composite = _slice(ctx, "ranking_composite")
    overall = composite.loc[composite["table"] == OVERALL] if len(composite) else composite
    if len(overall) and pd.notna(overall["score"].iloc[0]) and pd.notna(overall["rank"].iloc[0]):
        row = overall.iloc[0]
        tie = f"（{ranking_settings()['labels']['tie']}）" if bool(row.get("is_tie", False)) else ""
        klass_n = int(row["n_entities"])
        sentences.append(f"在{_peer_label(level, str(row['peer_class']), klass_n)}中，本期半月晾晒六表总分"
                         f"{float(row['score']):.2f}分，排第{int(row['rank'])}名{tie}。")
    size = size_indicators()
    ranked = [i for i in PEER_SET if i not in size]
    side = standing.loc[ranked, "better_than_median"]
    better = [str(meta.loc[i, "name_zh"]) for i in ranked if pd.notna(side[i]) and bool(side[i])]
    worse = [str(meta.loc[i, "name_zh"]) for i in ranked if pd.notna(side[i]) and not bool(side[i])]
    parts = ([f"{'、'.join(better)}优于同类中位数"] if better else []) + \
        ([f"{'、'.join(worse)}不及同类中位数"] if worse else [])
    if parts:
        lead = "与同类企业相比，" if sentences else f"与同类{peer}相比，"
        sentences.append(lead + "；".join(parts) + "（逐项比较见下表）。")
    if not sentences:
        return markdown("本期没有可与同类企业比较的数据。")
    return markdown(supported_text("**总体评价**：" + "".join(sentences)))


def supervision(ctx: Context):
    """监管要点: for each warning rule the enterprise triggered this period (stored risk results), the rule,
    this period's value and the supervisor's point (the rule's ``advice`` in ``params/risk_rules.yaml``)."""
    ev = _risk_rows(ctx)
    hit = ev.loc[(ev["entity_id"] == ctx.entity_id) & ev["triggered"].astype(bool)]
    advice = _advice()
    points = []
    for r in hit.itertuples():
        text = advice.get(str(getattr(r, "rule_id", "")), "")
        if not text:  # a model output or a rule without advice: shown in the warnings table, no point here
            continue
        unit, factor = _unit(str(r.unit or ""))
        value = "" if pd.isna(r.value) else f"（本期{_text([r.value * factor])[0]}{unit}）"
        points.append(f"**{r.rule_name}**{value}：{text}")
    if not points:
        return markdown("本期未触发需要提出监管要点的预警规则，按常规开展监管。")
    return markdown("\n".join(f"{k}. {t}" for k, t in enumerate(dict.fromkeys(points), 1)))


def _own_and_district(ctx: Context) -> tuple[dict[str, tuple[float, object]], dict[str, float]]:
    """The entity's ``{indicator: (value, reason)}`` and the district's ``{indicator: value}`` (first row of each;
    both indicator tables of a profile read them)."""
    return _memo(ctx, "own_and_district", lambda: _values_of(ctx))


def _values_of(ctx: Context) -> tuple[dict[str, tuple[float, object]], dict[str, float]]:
    ind = ctx.indicators
    own: dict[str, tuple[float, object]] = {}
    dist: dict[str, float] = {}
    reasons = ind["reason"].astype(object).to_numpy() if "reason" in ind else [None] * len(ind)
    for entity, indicator, value, reason in zip(ind["entity_id"].astype(object).to_numpy(),
                                                ind["indicator_id"].astype(object).to_numpy(),
                                                ind["value"].to_numpy(dtype=float, na_value=np.nan), reasons):
        if entity == ctx.entity_id and indicator not in own:
            own[indicator] = (value, reason)
        elif entity == "DISTRICT" and indicator not in dist:
            dist[indicator] = value
    return own, dist


def indicators(ctx: Context, *, tables: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The enterprise's indicators this period (本企业 / 全区), grouped by report table; "说明" says why one is missing.

    Amounts in 亿元 (stored in 万元), counts as whole numbers, everything else with 2 decimals; missing "—".

    ``tables`` limits the rows to those report tables (catalogue ``table`` ids), e.g. ``("investment",)``;
    by default every table but investment (shown in its own section).
    """
    meta = _meta()
    meta = meta.loc[meta["table"].isin(tables)] if tables else meta.loc[meta["table"] != "investment"]
    own, dist = _own_and_district(ctx)
    ids = meta["id"].to_list()
    factor = meta["factor"].to_numpy()
    units = meta["shown_unit"].to_numpy()
    reason = [own[i][1] if i in own else None for i in ids]
    out = pd.DataFrame({
        "报表": meta["table_name_zh"].to_numpy(),
        "指标": meta["name_zh"].to_numpy(),
        "单位": units,
        "本企业": _by_unit(np.array([own[i][0] if i in own else np.nan for i in ids]) * factor, units),
        "全区": _by_unit(np.array([dist.get(i, np.nan) for i in ids]) * factor, units) if dist else MISSING,
        "说明": [str(r) if isinstance(r, str) and r else "" for r in reason],
    })
    return out.set_index(["报表", "指标"])


def projects(ctx: Context, *, top: int = 8) -> pd.DataFrame | object:
    """The enterprise's largest investment projects this period (by annual plan), amounts in 亿元."""
    path = Path(ctx.processed_dir) / "table_projects.parquet"
    rows = pd.read_parquet(path) if path.exists() else pd.DataFrame()
    if len(rows):  # the latest report of the period's month (projects are reported by half month)
        month = rows.loc[rows["period"].astype(str).str[:7] == ctx.period[:7], "period"].astype(str)
        rows = rows.loc[rows["period"].astype(str) == (month.max() if len(month) else "")]
    if not len(rows):
        return markdown("本期没有报送在建投资项目。")
    rows = rows.sort_values(["annual_plan", "project_name"], ascending=[False, True]).head(top)
    plan, done = rows["annual_plan"].astype(float), rows["completed_ytd"].astype(float)
    rate = (done / plan.where(plan > 0)) * 100
    out = pd.DataFrame({
        "项目": rows["project_name"].astype(str).to_numpy(),
        "类型": rows["project_type"].astype(object).fillna(MISSING).to_numpy(),
        "状态": rows["status"].astype(object).fillna(MISSING).to_numpy(),
        "总投资（亿元）": _text(rows["total_investment"].astype(float) / WAN_PER_YI),
        "年度计划（亿元）": _text(plan / WAN_PER_YI),
        "本年完成（亿元）": _text(done / WAN_PER_YI),
        "年度完成率（%）": _text(rate),
    })
    return out.set_index("项目")


def risks(ctx: Context):
    """The warnings this enterprise triggered (stored risk results): rule, severity, value, threshold, message."""
    ev = _risk_rows(ctx)
    own = ev.loc[ev["entity_id"] == ctx.entity_id]
    hit = own.loc[own["triggered"].astype(bool)]
    if not len(hit):
        return markdown(f"本期未触发预警规则（已检查 {len(own)} 条）。")
    out = pd.DataFrame({
        "规则": hit["rule_name"].astype(str).to_numpy(),
        "类别": hit["family"].astype(object).fillna(MISSING).to_numpy(),
        "严重程度": hit["severity"].astype(object).fillna(MISSING).to_numpy(),
        "本期值": _text(hit["value"]),
        "阈值": _text(hit["threshold"]),
        "单位": hit["unit"].astype(object).fillna("").to_numpy(),
        "列入重点监管": hit["on_list"].map({True: "是", False: "否"}).to_numpy(),
        "说明": hit["message"].astype(object).fillna("").to_numpy(),
    })
    return out.set_index("规则")


def forecasts(ctx: Context):
    """Year-end projections against targets where the forecast covers this enterprise, else one sentence."""
    path = Path(ctx.processed_dir) / "forecast_projections.parquet"
    if not path.exists():
        return markdown("本企业不单独做年末预测（年末预测对象为各集团与全区）。")
    table = forecast_views.projection_table(ctx)
    if table.empty:  # a sentence, not an empty table (issue 25: it broke the December profiles' PDF)
        return markdown("本期没有本企业的全年预计：本企业本期未报送数据，或本年数据不足以预测。")
    # one enterprise: its items side by side (a column each), the figures down the side, so the table
    # fits a portrait page instead of squeezing fourteen columns into it
    wide = table.droplevel("企业")
    shown = pd.DataFrame({item: [_forecast_cell(field, wide.at[item, field]) for field in wide.columns]
                          for item in wide.index}, index=pd.Index(wide.columns, name="项目"))
    return shown.reset_index()


def _forecast_cell(field: str, value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return MISSING
    if isinstance(value, str):
        return value or MISSING
    return _text([value], 0 if field == "回测年数" else 2)[0]


def forecast_chart(ctx: Context):
    """The revenue fan chart where a forecast exists (None otherwise: the cell shows nothing).

    The review's 预测区间图 (:func:`~guozi_analysis.publishing.views.forecast.fan_layers`: the same past
    years, this year, 80 %/95 % bands, median, target and year-end note), drawn directly as SVG like
    :func:`trend`: a matplotlib figure cost about a second per group's profile (issue 27).
    """
    if not (Path(ctx.processed_dir) / "forecast_paths.parquet").exists():
        return None
    from IPython.display import SVG  # deferred: heavy dependency, loaded on first use

    history, projection, title = forecast_views.fan_inputs(ctx, item="revenue")
    return SVG(data=_fan_svg(forecast_views.fan_layers(history, projection, past_years=2), title=title,
                             unit="亿元"))


#: The SVG charts' font: the page's bundled Chinese font in HTML (the renderer inlines the SVG), Typst's in the PDF.
_SVG_FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, SimHei, sans-serif"


def _polylines(points: list[tuple[float, float] | None], style: str) -> list[str]:
    """SVG polylines through ``points``, broken where a point is ``None``; a lone point as a dot."""
    out, run = [], []
    for p in [*points, None]:
        if p is not None:
            run.append(f"{p[0]:.1f},{p[1]:.1f}")
            continue
        if len(run) == 1:
            cx, cy = run[0].split(",")
            out.append(f'<circle cx="{cx}" cy="{cy}" r="1.8" fill="#333"/>')
        elif run:
            out.append(f'<polyline points="{" ".join(run)}" fill="none" {style}/>')
        run = []
    return out


def _fan_svg(layers: dict, *, title: str, unit: str) -> str:
    """The 预测区间图 as one SVG (greyscale-readable: grey levels and dash patterns only)."""
    width, height, left, right, top, bottom = 760.0, 360.0, 62.0, 16.0, 34.0, 52.0
    year, month = layers["year"], layers["month"]
    values = [row for _, row in layers["past"]] + [layers["current"][:month]]
    if layers["bands"] is not None:
        values.append(layers["bands"][1].ravel())
    if layers["target"] is not None:
        values.append(np.array([layers["target"]]))
    flat = np.concatenate([np.asarray(v, dtype=float) for v in values])
    flat = flat[np.isfinite(flat)]
    ticks = _nice_ticks(float(flat.min()), float(flat.max()), count=6) if flat.size else [0.0, 1.0]
    lo, hi = ticks[0], ticks[-1]
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(m: float) -> float:
        return left + plot_w * (m - 0.5) / 12

    def py(v: float) -> float:
        return top + plot_h * (hi - v) / (hi - lo)

    def points(months, row) -> list[tuple[float, float] | None]:
        return [(px(m), py(v)) if np.isfinite(v) else None for m, v in zip(months, row)]

    digits = 0 if abs(hi - lo) >= 4 else 2
    out = [f'<text x="{width / 2:.0f}" y="20" font-size="14" text-anchor="middle">{html_escape(title)}</text>']
    for t in ticks:
        out.append(f'<line x1="{left:.0f}" y1="{py(t):.1f}" x2="{width - right:.0f}" y2="{py(t):.1f}" stroke="#e6e6e6"/>')
        out.append(f'<text x="{left - 5:.0f}" y="{py(t) + 3.5:.1f}" font-size="10" text-anchor="end">{t:,.{digits}f}</text>')
    out.append(f'<rect x="{left:.0f}" y="{top:.0f}" width="{plot_w:.0f}" height="{plot_h:.0f}" fill="none" stroke="#222"/>')
    for m in range(1, 13):
        out.append(f'<text x="{px(m):.1f}" y="{top + plot_h + 15:.0f}" font-size="10" text-anchor="middle">{m}月</text>')
    out.append(f'<text x="{left + plot_w / 2:.0f}" y="{height - 12:.0f}" font-size="11" text-anchor="middle">月份</text>')
    out.append(f'<text x="16" y="{top + plot_h / 2:.0f}" font-size="11" text-anchor="middle" '
               f'transform="rotate(-90 16 {top + plot_h / 2:.0f})">本年累计（{html_escape(unit)}）</text>')
    legend: list[tuple[str, str]] = []  # (sample, label)
    dashes = ["1.5,2", "6,2,1.5,2", "5,3"]
    months = range(1, 13)
    for k, (y, row) in enumerate(layers["past"]):
        style = f'stroke="#999" stroke-width="1.2" stroke-dasharray="{dashes[k % len(dashes)]}"'
        out.extend(_polylines(points(months, row), style))
        legend.append((f"<line {{pos}} {style}/>", f"{y}年实际"))
    if layers["bands"] is not None:
        xs, q = layers["bands"]
        for k_lo, k_hi, fill, label in ((0, 4, "#d9d9d9", "95%区间"), (1, 3, "#a6a6a6", "80%区间")):
            ring = [(px(m), py(v)) for m, v in zip(xs, q[k_lo])] + [(px(m), py(v)) for m, v in zip(xs[::-1], q[k_hi][::-1])]
            if all(np.isfinite(c) for p in ring for c in p):
                out.append(f'<polygon points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in ring)}" fill="{fill}"/>')
            legend.append((f'<rect {{box}} fill="{fill}"/>', label))
    cur_style = 'stroke="#000" stroke-width="2.2"'
    out.extend(_polylines(points(list(months)[:month], layers["current"][:month]), cur_style))
    out.extend(f'<circle cx="{p[0]:.1f}" cy="{p[1]:.1f}" r="2.6" fill="#000"/>'
               for p in points(list(months)[:month], layers["current"][:month]) if p is not None)
    legend.insert(len(layers["past"]), (f"<line {{pos}} {cur_style}/>", f"{year}年实际"))
    if layers["bands"] is not None:
        xs, q = layers["bands"]
        style = 'stroke="#000" stroke-width="1.6" stroke-dasharray="5,3"'
        out.extend(_polylines(points(xs, q[2]), style))
        legend.append((f"<line {{pos}} {style}/>", "预测中位数"))
    if layers["target"] is not None and lo <= layers["target"] <= hi:
        style = 'stroke="#4d4d4d" stroke-width="1.2" stroke-dasharray="1.2,1.2"'
        out.append(f'<line x1="{left:.0f}" y1="{py(layers["target"]):.1f}" x2="{width - right:.0f}" '
                   f'y2="{py(layers["target"]):.1f}" {style}/>')
        legend.append((f"<line {{pos}} {style}/>", "年度目标"))
    if np.isfinite(layers["median"]):
        # the lines end just above the note's height (the top of the 95 % band), inside the plot
        y0 = min(max(py(layers["note_at"]) - 8 - 13 * (len(layers["note"]) - 1), top + 10), top + plot_h - 8)
        for k, line in enumerate(layers["note"]):
            out.append(f'<text x="{px(12) - 8:.1f}" y="{y0 + 13 * k + 3.5:.1f}" font-size="10" '
                       f'text-anchor="end">{html_escape(line)}</text>')
    # the legend on a white ground: a line crossing the upper left (e.g. the target) does not run through it
    out.append(f'<rect x="{left + 4:.0f}" y="{top + 3:.0f}" width="{36 + 11 * max((len(lbl) for _, lbl in legend), default=0):.0f}" '
               f'height="{14 * len(legend) + 4:.0f}" fill="#fff" fill-opacity="0.9"/>')
    for k, (sample, label) in enumerate(legend):
        y = top + 12 + 14 * k
        out.append(sample.format(pos=f'x1="{left + 8:.0f}" y1="{y:.1f}" x2="{left + 30:.0f}" y2="{y:.1f}"',
                                 box=f'x="{left + 8:.0f}" y="{y - 4:.1f}" width="22" height="8"'))
        out.append(f'<text x="{left + 36:.0f}" y="{y + 3.5:.1f}" font-size="10">{html_escape(label)}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{_SVG_FONT}" fill="#222">{"".join(out)}</svg>')


def _nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """About ``count`` round tick values covering ``low``..``high`` (1, 2, 2.5 or 5 times a power of ten)."""
    if not np.isfinite(low) or not np.isfinite(high):
        return [0.0, 1.0]
    if high - low < 1e-12:
        low, high = low - 1, high + 1
    raw = (high - low) / count
    power = 10 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = np.floor(low / step) * step
    return [float(first + k * step) for k in range(int(np.ceil((high - first) / step)) + 1)]


def _svg_panel(x0: float, width: float, title: str, series: list[tuple[np.ndarray, str]], months: list[str]) -> str:
    """One line-chart panel as SVG elements: title, y grid with labels, month labels, one polyline per run."""
    top, height, left = 22.0, 150.0, 44.0
    values = np.concatenate([v[np.isfinite(v)] for v, _ in series]) if series else np.array([])
    ticks = _nice_ticks(float(values.min()), float(values.max())) if values.size else [0.0, 1.0]
    lo, hi = ticks[0], ticks[-1]
    n = max(len(months) - 1, 1)

    def xy(k: int, v: float) -> str:
        return f"{x0 + left + (width - left - 8) * k / n:.1f},{top + height * (hi - v) / (hi - lo):.1f}"

    out = [f'<text x="{x0 + left:.0f}" y="14" font-size="11">{html_escape(title)}</text>']
    for t in ticks:
        y = top + height * (hi - t) / (hi - lo)
        out.append(f'<line x1="{x0 + left:.0f}" y1="{y:.1f}" x2="{x0 + width - 8:.0f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{x0 + left - 4:.0f}" y="{y + 3:.1f}" font-size="9" text-anchor="end">{t:,.{0 if abs(hi - lo) >= 4 else 2}f}</text>')
    step = 6 if len(months) > 12 else (1 if (width - left) / max(len(months), 1) >= 22 else 3)
    for k in range(0, len(months), step):
        out.append(f'<text x="{xy(k, lo).split(",")[0]}" y="{top + height + 13:.0f}" font-size="9" '
                   f'text-anchor="middle">{months[k]}</text>')
    for v, style in series:
        points = [(x0 + left + (width - left - 8) * k / n, top + height * (hi - float(value)) / (hi - lo))
                  if np.isfinite(value) else None for k, value in enumerate(v)]
        out.extend(_polylines(points, f'stroke-width="1.4" {style}'))
    return "".join(out)


def _by_month(hist: pd.DataFrame, indicator: str, year: int) -> np.ndarray:
    """The stored monthly values of one indicator in ``year`` as twelve numbers (NaN for a month without one;
    of two rows of one month, the later one)."""
    out = np.full(12, np.nan)
    prefix = f"{year}-"
    for ind, label, value in zip(hist["indicator_id"].to_numpy(), hist["period"].to_numpy(),
                                 hist["value"].to_numpy(dtype=float, na_value=np.nan)):
        label = str(label)
        if ind == indicator and label.startswith(prefix):
            out[int(label[5:7]) - 1] = value
    return out


def trend(ctx: Context):
    """Monthly trend, this year against last year by month: revenue and total profit (YTD, 亿元) and the
    debt-to-asset ratio (%), as one SVG of three small panels (solid this year, dashed last year).

    Drawn directly as SVG (Chinese labels in the page's bundled font once inlined by the renderer): no
    plotting library in a profile's path, which keeps the profile's cost near the floor of an empty notebook.
    """
    from IPython.display import SVG  # deferred: heavy dependency, loaded on first use

    hist = ctx.history
    hist = hist.loc[(hist["entity_id"] == ctx.entity_id) & hist["indicator_id"].isin(_TREND_NAMES)]
    year = int(str(ctx.period)[:4])
    months = [f"{m}月" for m in range(1, 13)]
    solid, dashed = 'stroke="#222"', 'stroke="#888" stroke-dasharray="5,3"'
    panels = []
    for k, (indicator, title, scale) in enumerate((("revenue", "营业总收入（本年累计，亿元）", WAN_PER_YI),
                                                   ("total_profit", "利润总额（本年累计，亿元）", WAN_PER_YI),
                                                   ("debt_to_asset_ratio", "资产负债率（%）", 1.0))):
        series = [(_by_month(hist, indicator, year) / scale, solid), (_by_month(hist, indicator, year - 1) / scale, dashed)]
        panels.append(_svg_panel(250 * k, 245, title, series, months))
    legend = (f'<line x1="260" y1="193" x2="284" y2="193" {solid} stroke-width="1.4"/>'
              f'<text x="288" y="196" font-size="9">{year}年</text>'
              f'<line x1="340" y1="193" x2="364" y2="193" {dashed} stroke-width="1.4"/>'
              f'<text x="368" y="196" font-size="9">{year - 1}年</text>')
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="750" height="200" viewBox="0 0 750 200" '
           f'font-family="{_SVG_FONT}" fill="#222">'
           f'{"".join(panels)}{legend}</svg>')
    return SVG(data=svg)


def ledgers(ctx: Context):
    """合同与督查: the enterprise's contracts tracked, its contract and inspection warnings, its open findings.

    Read from its slices of the shared contract results; a district without ledgers says so.
    """
    life, warnings, findings = (read_shared(ctx.processed_dir, name, optional=True)
                                for name in ("contract_life", "contract_warnings", "inspection_status"))
    rows = []
    for r in warnings.itertuples():
        rows.append({"类别": "合同与督查预警", "事项": str(r.rule_name), "说明": str(r.message).split("。规则：")[0]})
    if len(findings):
        for r in findings.loc[findings["is_open"].astype(bool)].itertuples():
            deadline = "—" if pd.isna(r.deadline) else pd.Timestamp(r.deadline).strftime("%Y-%m-%d")
            rows.append({"类别": "未销号督查问题", "事项": f"{r.category}（{r.source}）",
                         "说明": f"{pd.Timestamp(r.found_date).strftime('%Y-%m-%d')}发现，整改期限{deadline}，{r.status}"})
    count = len(life)
    amount = float(life["amount"].sum()) / WAN_PER_YI if count else 0.0
    head = (f"台账中跟踪本企业合同{count}份，金额{amount:,.2f}亿元。" if count else "本企业本期没有报送合同台账。")
    if not rows:
        return markdown(head + "本期没有合同与督查预警，也没有未销号的督查问题。")
    from IPython.display import display  # deferred: heavy dependency, loaded on first use

    display(markdown(head))
    return pd.DataFrame(rows)


def subsidiaries(ctx: Context):
    """The subsidiaries (whole subtree): level, class, revenue, profit, debt ratio and warnings triggered."""
    below = list(ctx.tree.descendants(ctx.entity_id))
    if not below:
        return markdown("本企业没有下属子企业。")
    roster = _roster(ctx)
    ind = ctx.indicators
    wide = ind.loc[ind["indicator_id"].isin(SUBSIDIARY_COLUMNS)].pivot_table(
        index="entity_id", columns="indicator_id", values="value", aggfunc="first", dropna=False)
    wide = wide.reindex(index=below, columns=list(SUBSIDIARY_COLUMNS))
    ev = _risk_rows(ctx)
    warnings = ev.loc[ev["triggered"].astype(bool)].groupby("entity_id").size().reindex(below).fillna(0)
    out = pd.DataFrame({
        "企业": [str(roster.loc[e, "short_name"]) for e in below],
        "层级": [_LEVEL_ZH.get(ctx.tree.depth(e), f"{ctx.tree.depth(e)}级子企业") for e in below],
        "功能分类": [str(roster.loc[e, "function_class"]) for e in below],
        "营业总收入（亿元）": _text(wide["revenue"] / WAN_PER_YI),
        "利润总额（亿元）": _text(wide["total_profit"] / WAN_PER_YI),
        "资产负债率（%）": _text(wide["debt_to_asset_ratio"]),
        "触发预警（条）": [str(int(n)) for n in warnings],
    })
    return out.set_index("企业")
