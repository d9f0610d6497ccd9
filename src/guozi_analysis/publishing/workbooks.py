"""The printable half-monthly 晾晒 workbook (six sheets, one per report table) and its CSV.

:func:`publication_frame` lays the rankings of :mod:`guozi_analysis.ranking` out as one long table
with Chinese headers (units in the headers or in the 单位 column); :func:`write_ranking_workbook`
splits it into the six report sheets (争突破、扩投资、稳增长、盘资产、保民生、稳金融), each with

* a title row naming the half month and the as-of date (数据截至), a second row with the as-of date
  of each frequency and 序时进度, then the frozen header row;
* per peer set (集团, then 子企业): the table's composite score (本表综合得分) first, then every
  indicator of the table, entities in rank order;
* conditional colours: lights (绿灯/黄灯/红灯) filled green/yellow/red, ↑ in green and ↓ in red —
  the words and arrows stay readable in grey print;
* landscape A4, fit to one page wide, header row repeated on every page, page numbers in the footer.

:func:`ranking_command` is the CLI entry: it loads the raw submissions, builds the rankings and
writes ``晾晒排名_<period>.xlsx`` and ``晾晒排名_<period>.csv``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from guozi_analysis.analyses import ranking as _ranking
from guozi_analysis.analyses.assessment import (
    PRE_ASSESSMENT,
    _isnan,
    _num,
)
from guozi_analysis.analyses.risk.engine import format_value
from guozi_analysis.base import config
from guozi_analysis.base import periods as _periods
from guozi_analysis.indicators.catalogue import Catalogue, load_catalogue
from guozi_analysis.indicators.formulas import LEVEL_ZH, compute_indicators
from guozi_analysis.intake.quality import _FILE_ZH, QUALITY_LABELS_ZH, _split, missing_submissions, quality_report
from guozi_analysis.intake.validate import findings_frame
from guozi_analysis.publishing.published import keyed
from guozi_analysis.publishing.text import date_zh, light_rule_note, pace_note

__all__ = ["HEADERS", "COMPOSITE_ID", "publication_frame", "write_ranking_workbook", "write_ranking_csv",
           "CONTRACT_SHEET_HEADERS", "write_contract_sheet"]

COMPOSITE_ID = "composite"
COMPOSITE_NAME = "本表综合得分"

#: Column headers of the publication (and the CSV), in order.
HEADERS = [
    "报表", "层级", "指标编号", "指标", "单位", "数据截至", "名次", "名次说明", "企业编号", "企业名称", "所属集团",
    "比较组", "数值", "上期名次", "较上期", "序时进度（%）", "与序时进度差（百分点）", "信号灯", "说明",
]
#: The printed sheets' columns: the table is the sheet itself and the indicator ids (``composite``,
#: ``revenue`` …) are for scripts (the CSV), so neither is printed.
_SHEET_HEADERS = [h for h in HEADERS if h not in ("报表", "指标编号")]
_WIDTHS = {"层级": 7, "指标": 24, "单位": 8, "数据截至": 11, "名次": 6, "名次说明": 8,
           "企业编号": 11, "企业名称": 30, "所属集团": 14, "比较组": 8, "数值": 15, "上期名次": 8, "较上期": 8,
           "序时进度（%）": 10, "与序时进度差（百分点）": 12, "信号灯": 7, "说明": 28}
_INTEGER_UNITS = {"个", "家", "支", "人"}
_LEVEL_ZH = {"group": "集团", "enterprise": "子企业"}
DISTRICT_REFERENCE = "全区合计（参考）"
#: 企业编号 of the district reference rows in the CSV; the printed sheets leave that cell blank.
DISTRICT_ID = "DISTRICT"


def _movement_text(frame: pd.DataFrame) -> pd.Series:
    movement = frame["movement"].astype(str)
    size = frame["rank_change"].astype("Float64").abs().astype("Int64").astype("string").fillna("")
    return (movement + size.where(movement.isin(["↑", "↓"]), "")).astype("string")


def _group_names(ranking: pd.DataFrame, roster: pd.DataFrame | None) -> dict[str, str]:
    if roster is not None and len(roster):
        col = "short_name" if "short_name" in roster else "name"
        return dict(zip(roster["enterprise_id"].astype(str), roster[col].astype(str)))
    groups = ranking.loc[ranking["level"] == "group"].drop_duplicates("entity_id")
    return dict(zip(groups["entity_id"].astype(str), groups["entity_name"].astype(str)))


def _indicator_rows(ranking: pd.DataFrame, groups: Mapping[str, str]) -> pd.DataFrame:
    status = ranking["status"].astype(str)
    return pd.DataFrame({
        "报表": ranking["table_name"].astype(str),
        "层级": ranking["level"].map(_LEVEL_ZH),
        "指标编号": ranking["indicator_id"].astype(str),
        "指标": ranking["indicator_name"].astype(str),
        "单位": ranking["unit"].astype(str),
        "数据截至": ranking["as_of"].astype(str),
        "名次": ranking["rank"].astype("Int64"),
        "名次说明": status.where(status.ne("正常"), ""),
        "企业编号": ranking["entity_id"].astype(str),
        "企业名称": ranking["entity_name"].astype(str),
        "所属集团": ranking["group_id"].astype(str).map(groups).fillna(""),
        "比较组": ranking["peer_class"].astype(str),
        "数值": ranking["value"].astype(float),
        "上期名次": ranking["previous_rank"].astype("Int64"),
        "较上期": _movement_text(ranking),
        "序时进度（%）": ranking["pace"].astype(float),
        "与序时进度差（百分点）": ranking["pace_gap"].astype(float),
        "信号灯": ranking["light"].astype(str),
        "说明": ranking["reason"].astype(str),
        "_level": ranking["level"].map({"group": 0, "enterprise": 1}),
        "_table": ranking["table_order"].astype(int),
        "_order": ranking["indicator_order"].astype(int) + 1,
        "_seq": np.arange(len(ranking)),
    })


def _reference_rows(ranking: pd.DataFrame) -> pd.DataFrame:
    """One 全区合计（参考） row per indicator and peer set: the district total, never ranked."""
    ref = ranking.loc[ranking["district_value"].notna()].drop_duplicates(["level", "indicator_id"])
    return pd.DataFrame({
        "报表": ref["table_name"].astype(str),
        "层级": ref["level"].map(_LEVEL_ZH),
        "指标编号": ref["indicator_id"].astype(str),
        "指标": ref["indicator_name"].astype(str),
        "单位": ref["unit"].astype(str),
        "数据截至": ref["as_of"].astype(str),
        "名次": pd.array([pd.NA] * len(ref), dtype="Int64"),
        "名次说明": "参考",
        "企业编号": DISTRICT_ID,
        "企业名称": DISTRICT_REFERENCE,
        "所属集团": "",
        "比较组": "",
        "数值": ref["district_value"].astype(float),
        "上期名次": pd.array([pd.NA] * len(ref), dtype="Int64"),
        "较上期": "",
        "序时进度（%）": np.nan,
        "与序时进度差（百分点）": np.nan,
        "信号灯": "",
        "说明": "全区合计，仅供参考，不参与排名",
        "_level": ref["level"].map({"group": 0, "enterprise": 1}),
        "_table": ref["table_order"].astype(int),
        "_order": ref["indicator_order"].astype(int) + 1,
        "_seq": -1,
    })


def _composite_rows(composite: pd.DataFrame, as_of: str, groups: Mapping[str, str]) -> pd.DataFrame:
    comp = composite.loc[composite["table"] != _ranking.OVERALL]
    label = comp["rank_label"].astype(str)
    return pd.DataFrame({
        "报表": comp["table_name"].astype(str),
        "层级": comp["level"].map(_LEVEL_ZH),
        "指标编号": COMPOSITE_ID,
        "指标": COMPOSITE_NAME,
        "单位": "分",
        "数据截至": as_of,
        "名次": comp["rank"].astype("Int64"),
        "名次说明": np.where(comp["is_tie"], "并列", np.where(comp["score"].isna(), label, "")),
        "企业编号": comp["entity_id"].astype(str),
        "企业名称": comp["entity_name"].astype(str),
        "所属集团": comp["group_id"].astype(str).map(groups).fillna(""),
        "比较组": comp["peer_class"].astype(str) if "peer_class" in comp else _ranking.ALL_CLASSES,
        "数值": comp["score"].astype(float),
        "上期名次": comp["previous_rank"].astype("Int64"),
        "较上期": _movement_text(comp),
        "序时进度（%）": np.nan,
        "与序时进度差（百分点）": np.nan,
        "信号灯": "",
        "说明": np.where(comp["n_missing"] > 0, comp["n_missing"].astype(str) + " 项指标未报送", ""),
        "_level": comp["level"].map({"group": 0, "enterprise": 1}),
        "_table": comp["table_order"].astype(int),
        "_order": 0,
        "_seq": np.arange(len(comp)),
    })


def publication_frame(ranking: pd.DataFrame, composite: pd.DataFrame, *,
                      roster: pd.DataFrame | None = None) -> pd.DataFrame:
    """The publication as one long table with the Chinese :data:`HEADERS`.

    Rows are ordered by report table, peer set (集团 before 子企业), then the table's composite
    score (指标编号 ``composite``) followed by each indicator in catalogue order: the district total
    (全区合计（参考）, not ranked) first, then the entities class by class (比较组) in rank order.
    Size indicators (名次说明 规模指标) have no rank and are listed largest first.
    Money stays in 万元 and percentages as percent numbers (the 单位 column says which).
    """
    ranking = _ranking.complete_columns(ranking)
    groups = _group_names(ranking, roster)
    as_of = str(ranking["as_of"].max()) if len(ranking) else ""
    rows = pd.concat([_composite_rows(composite, as_of, groups), _reference_rows(ranking),
                      _indicator_rows(ranking, groups)], ignore_index=True)
    rows = rows.sort_values(["_table", "_level", "_order", "_seq"], kind="stable")
    return rows[HEADERS].reset_index(drop=True)


def write_ranking_csv(path: Path | str, frame: pd.DataFrame) -> Path:
    """Write :func:`publication_frame` output as UTF-8 CSV with BOM (opens correctly in Excel)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return path


def _number_format(unit: str) -> str:
    if unit in _INTEGER_UNITS:
        return "#,##0"
    if unit == "万元":
        return "#,##0.00"
    return "0.00"


def _as_of_line(ranking: pd.DataFrame, period: str, *, settings: Mapping) -> str:

    dates = ranking.drop_duplicates("frequency").set_index("frequency")["as_of"].astype(str)
    names = {"half_monthly": "半月报送指标", "monthly": "月度指标", "annual": "年度指标"}
    order = [f for f in ("half_monthly", "monthly", "annual") if f in dates]
    parts = [f"{names[f]}截至{date_zh(dates[f])}" for f in order]
    paces = dict.fromkeys(dates[f] for f in order if f != "annual")
    pace = pace_note(*paces)
    ranking = _ranking.complete_columns(ranking)
    classes = [c for c in ranking["peer_class"].astype(str).unique() if c != _ranking.ALL_CLASSES]
    rules = "名次相同者并列；未报送、不适用者列本组末位。"
    if ranking["is_size"].astype(bool).any():
        rules += "规模指标（名次说明为“规模指标”）只列示、不排名，不计入综合得分。"
    if classes:
        rules += f"子企业按功能定位分{'、'.join(classes)}分别排名（比较组）。"
    rules += "全区合计数列作参考。"
    light = light_rule_note(settings["progress"])
    return f"数据截至：{'；'.join(parts)}。{pace}{light}{rules}金额单位：万元。"


def _style_sheet(ws, frame: pd.DataFrame, *, title: str, subtitle: str, colours: Mapping[str, str],
                 labels: Mapping) -> None:
    from openpyxl.formatting.rule import CellIsRule, FormulaRule  # deferred: heavy dependency, loaded on first use
    from openpyxl.styles import (  # deferred: heavy dependency, loaded on first use
        Alignment,
        Border,
        Font,
        PatternFill,
        Side,
    )
    from openpyxl.utils import get_column_letter  # deferred: heavy dependency, loaded on first use
    from openpyxl.worksheet.properties import PageSetupProperties  # deferred: heavy dependency, loaded on first use

    ncol = len(_SHEET_HEADERS)
    last = get_column_letter(ncol)
    ws["A1"] = title
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells(f"A1:{last}1")
    ws["A2"] = subtitle
    ws["A2"].font = Font(size=9)
    ws.merge_cells(f"A2:{last}2")
    thin = Side(style="thin", color="808080")
    header_fill = PatternFill("solid", fgColor=colours.get("header", "D9D9D9"))
    for j, name in enumerate(_SHEET_HEADERS, start=1):
        cell = ws.cell(row=3, column=j, value=name)
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
        ws.column_dimensions[get_column_letter(j)].width = _WIDTHS.get(name, 10)
    ws.row_dimensions[3].height = 30
    col = {name: j for j, name in enumerate(_SHEET_HEADERS, start=1)}
    units = frame["单位"].astype(str).tolist()
    first, end = 4, 3 + len(frame)
    pace_cols = (col["序时进度（%）"], col["与序时进度差（百分点）"])
    bold = Font(bold=True)
    composite = (frame["指标编号"] == COMPOSITE_ID).to_numpy()
    printed = frame.assign(企业编号=frame["企业编号"].mask(frame["企业编号"] == DISTRICT_ID, None))
    for i, values in enumerate(printed[_SHEET_HEADERS].itertuples(index=False), start=first):
        for j, value in enumerate(values, start=1):
            if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
                continue
            cell = ws.cell(row=i, column=j, value=value.item() if hasattr(value, "item") else value)
            if j == col["数值"]:
                cell.number_format = _number_format(units[i - first])
            elif j in pace_cols:
                cell.number_format = "0.00"
            if composite[i - first]:
                cell.font = bold
    if end >= first:
        light = f"{get_column_letter(col['信号灯'])}{first}:{get_column_letter(col['信号灯'])}{end}"
        lights = labels["lights"]
        for key in ("green", "yellow", "red"):
            fill = PatternFill("solid", fgColor=colours[key], bgColor=colours[key])
            ws.conditional_formatting.add(light, CellIsRule(operator="equal", formula=[f'"{lights[key]}"'],
                                                            fill=fill))
        move_col = get_column_letter(col["较上期"])
        moves = f"{move_col}{first}:{move_col}{end}"
        ws.conditional_formatting.add(moves, FormulaRule(formula=[f'LEFT({move_col}{first},1)="↑"'],
                                                         font=Font(color=colours["up_font"], bold=True)))
        ws.conditional_formatting.add(moves, FormulaRule(formula=[f'LEFT({move_col}{first},1)="↓"'],
                                                         font=Font(color=colours["down_font"], bold=True)))
    ws.freeze_panes = "A4"
    ws.auto_filter.ref = f"A3:{last}{max(end, 3)}"
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddHeader.center.text = title


_DEFAULT_COLOURS = {"green": "C6EFCE", "yellow": "FFEB9C", "red": "FFC7CE", "up_font": "006100",
                    "down_font": "9C0006", "header": "D9D9D9"}


def _colours(settings: Mapping) -> dict[str, str]:
    given = (settings.get("workbook") or {}).get("colours") or {}
    colours = {**_DEFAULT_COLOURS, **given}
    for key, value in colours.items():
        if not isinstance(value, str) or not re.fullmatch(r"[0-9A-Fa-f]{6}", value):
            raise ValueError(f"参数文件 ranking.yaml：workbook.colours.{key} 应为加引号的六位十六进制颜色，如 \"C6EFCE\"")
    return colours


def write_ranking_workbook(path: Path | str, ranking: pd.DataFrame, composite: pd.DataFrame, *,
                           roster: pd.DataFrame | None = None, settings: Mapping | None = None,
                           catalogue=None) -> Path:
    """Write the printable workbook: one sheet per report table, in catalogue table order.

    ``ranking`` / ``composite`` come from :func:`guozi_analysis.ranking.build_ranking` (both peer
    sets). ``roster`` gives groups' short names for the 所属集团 column. Returns the path written.
    """
    from openpyxl import Workbook  # deferred: heavy dependency, loaded on first use


    settings = _ranking.load_settings() if settings is None else settings
    catalogue = catalogue or load_catalogue()
    colours = _colours(settings)
    frame = publication_frame(ranking, composite, roster=roster)
    period = str(ranking["period"].iloc[0]) if len(ranking) else ""

    as_of = _periods.as_of_date(period) if period else None
    subtitle = _as_of_line(ranking, period, settings=settings) if period else ""
    wb = Workbook()
    wb.remove(wb.active)
    for table in sorted(catalogue.tables, key=lambda t: t.order):
        ws = wb.create_sheet(title=table.name_zh[:31])
        part = frame.loc[frame["报表"] == table.name_zh].reset_index(drop=True)
        title = (f"“六张报表”晾晒排名·{table.name_zh}（{_ranking.period_zh(period)}，"
                 f"数据截至{date_zh(as_of)}）") if period else f"“六张报表”晾晒排名·{table.name_zh}"
        _style_sheet(ws, part, title=title, subtitle=subtitle, colours=colours, labels=settings["progress"])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    wb.save(tmp)
    tmp.replace(path)
    return path


# --------------------------------------------------------------------------------------------
# Chinese presentation
# --------------------------------------------------------------------------------------------
RANKING_HEADERS = {
    "rank": "排名", "enterprise_id": "企业编号", "enterprise_name": "企业", "function_class": "功能分类",
    "industry": "行业", "weight_profile": "权重档", "status": "考核类型", "base_score": "指标得分",
    "bonus": "加分", "penalty": "扣分", "total_score": "总分", "grade": "等级", "projected": "含预计数",
    "note": "说明",
}


SHEET_HEADERS = {
    "enterprise_id": "企业编号", "enterprise_name": "企业", "item_type": "类别", "item_name": "考核项目",
    "method": "计分方法", "unit": "单位", "weight": "权重（分）", "value": "实际值", "projected": "是否预计",
    "target": "目标值", "target_source": "目标来源", "standards": "标准值", "standards_source": "标准值来源",
    "points": "得分", "workings": "计分过程", "basis": "数据口径",
}


def _kind_column(projected: pd.Series) -> pd.Series:
    """评估性质 of each row: 预评估（含预计数） before December data, else 年度考核（实际数）."""
    flags = projected.astype(bool)
    return pd.Series(np.where(flags, f"{PRE_ASSESSMENT}（含预计数）", "年度考核（实际数）"), index=projected.index)


def _ranking_display(ranking: pd.DataFrame) -> pd.DataFrame:
    cols = ["rank", "enterprise_name", "function_class", "status", "base_score", "bonus", "penalty",
            "total_score", "grade", "projected", "note"]
    out = ranking[cols].copy()
    out["rank"] = out["rank"].astype("string").fillna("—")
    out["projected"] = out["projected"].map({True: "是（预计）", False: "否"})
    out = out.rename(columns=RANKING_HEADERS)
    out["评估性质"] = _kind_column(ranking["projected"]).to_numpy()
    return out


def ranking_keyed(shown: pd.DataFrame, ranking: pd.DataFrame, *, period: str) -> pd.DataFrame:
    """A ranking as shown (:func:`_ranking_display`, same rows) keyed by enterprise: the scores and the
    grade of the year's assessment (the book's table and the workbook's sheet print the same keys)."""
    year = int(pd.to_numeric(ranking["year"], errors="coerce").iloc[0]) if "year" in ranking and len(ranking) \
        else int(period[:4])
    basis = f"{year}年度考核"
    columns = {RANKING_HEADERS[c]: (f"assessment.{c}", basis, "分") for c in ("base_score", "bonus", "penalty",
                                                                           "total_score")}
    columns[RANKING_HEADERS["grade"]] = ("assessment.grade", basis, "")
    columns[RANKING_HEADERS["rank"]] = ("assessment.rank", basis, "")
    return keyed(shown, period=period, entities=list(ranking["enterprise_id"].astype(str)), columns=columns)


def _sheet_display(sheet: pd.DataFrame) -> pd.DataFrame:
    cols = ["enterprise_name", "item_type", "item_name", "method", "weight", "value", "unit", "target",
            "standards", "standards_source", "points", "workings"]
    out = sheet[cols].copy()
    value_text = [("—" if _isnan(v) else _num(v)) + ("（预计）" if p else "")
                  for v, p in zip(sheet["value"], sheet["projected"])]
    out["value"] = value_text
    out["target"] = ["" if _isnan(v) else _num(v) for v in sheet["target"]]
    out["weight"] = ["" if _isnan(v) else _num(v) for v in sheet["weight"]]
    out = out.rename(columns=SHEET_HEADERS)
    out["评估性质"] = _kind_column(sheet.groupby("enterprise_id")["projected"].transform("any")).to_numpy()
    return out


#: The note printed under every table that shows standard values from the bundled table.
STANDARDS_NOTE = ("标准值（优秀/良好/平均/较低/较差）取自本区的考核标准值表，按行业（工业/非工业/科研设计）"
                  "和规模（大型/中型/小型，按本区规模划分标准）查找，查不到时退回该行业"
                  "“全部”规模或“全行业”。示范区所列为示范数值，非国资委公布的标准值；正式考核请换用当年"
                  "《企业绩效评价标准值》。")


def _bands_display(text: str) -> str:
    """``"A:90;B:80;C:70;D:"`` (the stored grade bands) → 「A ≥ 90；B ≥ 80；C ≥ 70；D 其余」."""
    parts = [p.partition(":") for p in str(text).split(";") if p]
    return "；".join(f"{grade} ≥ {low}" if low else f"{grade} 其余" for grade, _, low in parts)


def write_assessment_workbook(path: Path | str, *, ranking: pd.DataFrame, sheet: pd.DataFrame,
                              scheme: pd.DataFrame) -> Path:
    """Write one year's stored assessment (:func:`guozi_analysis.analyses.assessment.stored_frames`,
    the frames the book's tables read) to an Excel workbook: 说明, 排名与等级, 计分明细, 加减分事项, 考核方案.

    The workbook formats the stored result and computes nothing, so its scores are the book's.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not len(ranking):
        raise ValueError("没有考核结果，不能写考核工作簿")
    first = ranking.iloc[0]
    projected = bool(ranking["projected"].astype(bool).any())
    info = pd.DataFrame({"项目": ["考核年度", "考核方案", "评估性质", "数据口径", "等级划分", "标准值"],
                         "内容": [str(int(first["year"])), str(first["title"]),
                                f"{PRE_ASSESSMENT}（12月快报前按预计全年数计分，结果待正式考核确认）" if projected
                                else "年度考核（全年实际数）", str(first["basis_text"]),
                                _bands_display(first["grade_bands"]), STANDARDS_NOTE]})
    tag = f"（{PRE_ASSESSMENT}）" if projected else ""
    indicators = sheet.loc[sheet["item_type"] == "指标"]
    adjust = sheet.loc[sheet["item_type"] != "指标", ["enterprise_name", "item_type", "item_name", "points", "workings"]]
    scheme = scheme.drop(columns=[c for c in ("year", "indicator_id") if c in scheme.columns]).dropna(axis=1, how="all")
    scheme = scheme.rename(columns={"indicator_name": "考核指标", "method": "计分方法", "direction": "方向",
                                    "rule": "计分规则", **{c: f"权重（{c[7:]}）" for c in scheme.columns
                                                          if c.startswith("weight_")}})
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        info.to_excel(writer, sheet_name=f"说明{tag}", index=False)
        _ranking_display(ranking).to_excel(writer, sheet_name=f"排名与等级{tag}", index=False)
        detail = _sheet_display(indicators)
        detail["数据口径"] = indicators["basis"].to_numpy()
        detail.to_excel(writer, sheet_name=f"计分明细{tag}", index=False)
        adjust.rename(columns=SHEET_HEADERS).to_excel(writer, sheet_name=f"加减分事项{tag}", index=False)
        scheme.to_excel(writer, sheet_name="考核方案", index=False)
    return path


def write_proposed_targets(proposals: pd.DataFrame, *, path: Path | str | None = None,
                           params_dir: Path | None = None) -> Path:
    """Write the proposals to the editable ``params/targets/<year>_proposed.yaml``.

    To adopt them, copy the ``targets`` block into ``params/assessment/<year>.yaml``.
    """
    years = sorted(set(int(y) for y in proposals["year"]))
    if len(years) != 1:
        raise ValueError("目标建议应只含一个年度")
    year = years[0]
    path = Path(path) if path is not None else (params_dir or config.PARAMS_DIR) / "targets" / f"{year}_proposed.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    targets: dict[str, dict[str, float | None]] = {}
    details = []
    for r in proposals.itertuples(index=False):
        value = None if _isnan(r.proposed_target) else float(r.proposed_target)
        targets.setdefault(str(r.enterprise_id), {})[str(r.item)] = value
        details.append({"enterprise_id": str(r.enterprise_id), "item": str(r.item), "item_name": str(r.item_name),
                        "base_value": None if _isnan(r.base_value) else round(float(r.base_value), 2),
                        "base_projected": bool(r.base_projected),
                        "trend_value": None if _isnan(r.trend_value) else round(float(r.trend_value), 2),
                        "proposed_target": value, "rule": str(r.rule)})
    header = (f"# {year}年度经营业绩考核目标建议（由 guozi_analysis.assessment.propose_targets 生成，可编辑）\n"
              f"# 采纳：把下面的 targets 整段复制到 params/assessment/{year}.yaml 的 targets 中（单位：万元）。\n"
              f"# details 为每个目标的测算依据，仅供审阅。\n")
    body = yaml.safe_dump({"year": year, "targets": targets, "details": details}, allow_unicode=True,
                          sort_keys=False, width=200)
    path.write_text(header + body, encoding="utf-8")
    return path


def write_quality_workbook(path, report_or_findings, *, period: str, roster: pd.DataFrame | None = None,
                           financials: pd.DataFrame | None = None, summary: pd.DataFrame | None = None) -> Path:
    """Excel workbook: 概况 (by enterprise), 问题清单 (every finding), 文件统计 (rows per file), 未报送.

    ``financials`` (the processed 财务快报) decides the missing submissions; without it the
    sheet lists the roster's enterprises with no 财务快报 in this report. ``summary``: the
    :func:`~guozi_analysis.intake.quality.quality_report` of the same report, period and roster, when the
    caller has it (the 概况 sheet is that frame).
    """
    findings, units, files = _split(report_or_findings)
    if summary is None:
        summary = quality_report(report_or_findings, period=period, roster=roster)
    if financials is None and units is not None:
        fin_units = units[units["table"] == "financials"]
        financials = fin_units.rename(columns={})[["enterprise_id", "period"]] if len(fin_units) else None
    missing = missing_submissions(period, roster=roster, financials=financials)
    fdf = findings_frame(findings, chinese=True)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        summary.rename(columns=QUALITY_LABELS_ZH).to_excel(xw, sheet_name="概况", index=False)
        fdf.to_excel(xw, sheet_name="问题清单", index=False)
        if files is not None:
            files.drop(columns=["sha256"]).rename(columns=_FILE_ZH).to_excel(xw, sheet_name="文件统计", index=False)
        missing.rename(columns={"enterprise_id": "企业编码", "name": "企业名称", "period": "期间", "table": "报表"}) \
            .to_excel(xw, sheet_name="未报送", index=False)
        for ws in xw.book.worksheets:
            ws.freeze_panes = "A2"
            for col in ws.columns:
                width = max(len(str(c.value or "")) for c in list(col)[:200])
                ws.column_dimensions[col[0].column_letter].width = max(8, min(60, width * 1.6 + 2))
    return path


def _wide_sheet(frame: pd.DataFrame, catalogue: Catalogue, table_id: str) -> pd.DataFrame:
    specs = [s for s in catalogue.enabled() if s.table == table_id]
    sub = frame.loc[frame["table"] == table_id]
    wide = sub.pivot_table(index=["entity_id", "entity_name", "level"], columns="indicator_id", values="value",
                           aggfunc="first", dropna=False, sort=False)
    wide = wide.reindex(columns=[s.id for s in specs])
    wide.columns = [f"{s.name_zh}（{s.unit}）" for s in specs]
    wide = wide.reset_index()
    wide["level"] = wide["level"].map(LEVEL_ZH).fillna(wide["level"])
    return wide.rename(columns={"entity_id": "企业编号", "entity_name": "企业名称", "level": "层级"})


def write_indicator_outputs(tables: Mapping[str, pd.DataFrame], *, period: str, roster: pd.DataFrame | None = None,
                            out_dir: Path | str, catalogue: Catalogue | None = None,
                            english: bool = False) -> list[Path]:
    """Write ``indicators.csv`` (UTF-8 with BOM, Chinese headers; ``english`` for English headers) and
    ``indicators.xlsx``.

    The workbook has a 「全部指标」 sheet (tidy) and one wide sheet per report table (entities ×
    indicators, headers 「指标（单位）」).
    """
    catalogue = catalogue or load_catalogue()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    frame = compute_indicators(tables, period=period, roster=roster, catalogue=catalogue)
    table_names = {t.id: t.name_zh for t in catalogue.tables}
    tidy = pd.DataFrame({
        "企业编号": frame["entity_id"],
        "企业名称": frame["entity_name"],
        "层级": frame["level"].map(LEVEL_ZH),
        "期间": frame["period"],
        "报表": frame["table"].map(table_names),
        "指标编号": frame["indicator_id"],
        "指标名称": frame["name_zh"],
        "数值": frame["value"],
        "单位": frame["unit"],
        "说明": frame["reason"],
        "同比口径": frame["basis"],
    })
    csv_path = out_dir / "indicators.csv"
    if english:
        frame[["entity_id", "entity_name", "level", "period", "table", "indicator_id", "name_zh", "value", "unit",
               "reason", "basis"]].to_csv(csv_path, index=False, encoding="utf-8-sig")
    else:
        tidy.to_csv(csv_path, index=False, encoding="utf-8-sig")
    xlsx_path = out_dir / "indicators.xlsx"
    with pd.ExcelWriter(xlsx_path, engine="openpyxl") as writer:
        tidy.to_excel(writer, sheet_name="全部指标", index=False)
        for table in sorted(catalogue.tables, key=lambda t: t.order):
            if any(s.table == table.id for s in catalogue.enabled()):
                _wide_sheet(frame, catalogue, table.id).to_excel(writer, sheet_name=table.name_zh[:31], index=False)
    return [csv_path, xlsx_path]


# --------------------------------------------------------------------------------------------
# 合同与督查预警 (issue 17): one sheet the monthly 通报 workbook carries
# --------------------------------------------------------------------------------------------
#: Columns of the contract-warning sheet (field → Chinese header), in order.
CONTRACT_SHEET_HEADERS = {"entity_name": "企业名称", "family": "类别", "rule_name": "预警规则", "value": "数值",
                          "threshold": "阈值", "severity": "预警等级", "light": "信号灯",
                          "message": "说明（数值、阈值、规则与依据）"}


def write_contract_sheet(wb, warnings: pd.DataFrame, *, period: str, sheet_name: str = "合同与督查预警"):
    """Add the contract and inspection warnings of ``period`` as one printable sheet of ``wb`` (an openpyxl
    Workbook); returns the worksheet. ``warnings`` is :func:`guozi_analysis.analyses.contracts.contract_warnings`
    (or the shared step's ``contract_warnings``). Title row, as-of line, Chinese headers, values formatted with
    their units, 信号灯 cells shaded; no ids; an empty period says so in one row.
    """
    from openpyxl.styles import Alignment, Font, PatternFill  # deferred: heavy dependency, loaded on first use

    ws = wb.create_sheet(title=sheet_name[:31])
    ws["A1"] = f"合同与督查整改预警（{period}，数据截至{date_zh(_periods.as_of_date(period))}）"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = f"共 {len(warnings)} 条；规则由本区在合同与督查预警参数中设定，信号灯：红 = 重点监管，黄 = 预警，绿 = 关注。"
    headers = list(CONTRACT_SHEET_HEADERS.values())
    ws.append([])
    ws.append(headers)
    for cell in ws[4]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9D9D9")
    fills = {"红": "F4B6B6", "黄": "FFE699", "绿": "C6EFCE"}
    if not len(warnings):
        ws.append(["本期无合同与督查预警"] + ["—"] * (len(headers) - 1))
    for rec in warnings.itertuples(index=False):
        row = [getattr(rec, k) for k in CONTRACT_SHEET_HEADERS]
        row[3] = format_value(rec.value, rec.unit)
        row[4] = format_value(rec.threshold, rec.unit)
        ws.append(["—" if v is None or v == "" else v for v in row])
        light = ws.cell(row=ws.max_row, column=7)
        if light.value in fills:
            light.fill = PatternFill("solid", fgColor=fills[light.value])
    widths = [22, 10, 26, 12, 12, 10, 8, 90]
    for k, w in enumerate(widths, start=1):
        ws.column_dimensions[chr(64 + k)].width = w
    for row in ws.iter_rows(min_row=5):
        row[-1].alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A5"
    ws.print_title_rows = "4:4"
    ws.page_setup.orientation = "landscape"
    return ws
