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

from . import periods as _periods
from . import ranking as _ranking

__all__ = ["HEADERS", "COMPOSITE_ID", "publication_frame", "write_ranking_workbook", "write_ranking_csv",
           "ranking_command"]

COMPOSITE_ID = "composite"
COMPOSITE_NAME = "本表综合得分"

#: Column headers of the publication (and the CSV), in order.
HEADERS = [
    "报表", "层级", "指标编号", "指标", "单位", "数据截至", "名次", "名次说明", "企业编号", "企业名称", "所属集团",
    "数值", "上期名次", "较上期", "序时进度（%）", "与序时进度差（百分点）", "信号灯", "说明",
]
_SHEET_HEADERS = HEADERS[1:]
_WIDTHS = {"层级": 7, "指标编号": 10, "指标": 24, "单位": 8, "数据截至": 11, "名次": 6, "名次说明": 8,
           "企业编号": 11, "企业名称": 30, "所属集团": 14, "数值": 15, "上期名次": 8, "较上期": 8,
           "序时进度（%）": 10, "与序时进度差（百分点）": 12, "信号灯": 7, "说明": 28}
_INTEGER_UNITS = {"个", "家", "支", "人"}
_LEVEL_ZH = {"group": "集团", "enterprise": "子企业"}


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
    })


def publication_frame(ranking: pd.DataFrame, composite: pd.DataFrame, *,
                      roster: pd.DataFrame | None = None) -> pd.DataFrame:
    """The publication as one long table with the Chinese :data:`HEADERS`.

    Rows are ordered by report table, peer set (集团 before 子企业), then the table's composite
    score (指标编号 ``composite``) followed by each indicator in catalogue order, entities by rank.
    Money stays in 万元 and percentages as percent numbers (the 单位 column says which).
    """
    groups = _group_names(ranking, roster)
    as_of = str(ranking["as_of"].max()) if len(ranking) else ""
    rows = pd.concat([_composite_rows(composite, as_of, groups), _indicator_rows(ranking, groups)],
                     ignore_index=True)
    rows = rows.sort_values(["_table", "_level", "_order", "名次", "企业编号"], kind="stable")
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


def _as_of_line(ranking: pd.DataFrame, period: str) -> str:
    from .narrative import date_zh

    dates = ranking.drop_duplicates("frequency").set_index("frequency")["as_of"].astype(str)
    names = {"half_monthly": "半月报送指标", "monthly": "月度指标", "annual": "年度指标"}
    order = [f for f in ("half_monthly", "monthly", "annual") if f in dates]
    parts = [f"{names[f]}截至{date_zh(dates[f])}" for f in order]
    paces = dict.fromkeys(dates[f] for f in order if f != "annual")
    pace = "；".join(f"{_ranking.pace_percent(d):.2f}%（截至{date_zh(d)}）" for d in paces)
    return (f"数据截至：{'；'.join(parts)}。序时进度：{pace}。"
            f"名次相同者并列；未报送、不适用者列末位。金额单位：万元。")


def _style_sheet(ws, frame: pd.DataFrame, *, title: str, subtitle: str, colours: Mapping[str, str],
                 labels: Mapping) -> None:
    from openpyxl.formatting.rule import CellIsRule, FormulaRule
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

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
    for i, values in enumerate(frame[_SHEET_HEADERS].itertuples(index=False), start=first):
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
    ws.column_dimensions[get_column_letter(col["指标编号"])].hidden = True
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
    from openpyxl import Workbook

    from .catalogue import load_catalogue

    settings = _ranking.load_settings() if settings is None else settings
    catalogue = catalogue or load_catalogue()
    colours = _colours(settings)
    frame = publication_frame(ranking, composite, roster=roster)
    period = str(ranking["period"].iloc[0]) if len(ranking) else ""
    from .narrative import date_zh

    as_of = _periods.as_of_date(period) if period else None
    subtitle = _as_of_line(ranking, period) if period else ""
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


def ranking_command(period: str, out_dir: Path | str, raw_dir: Path | str | None = None) -> list[Path]:
    """CLI entry: rank the district for the half month ``period`` and write the workbook and CSV.

    ``period`` is ``"YYYY-MM-H1"``/``"YYYY-MM-H2"`` (a monthly ``"YYYY-MM"`` is published as its
    ``H2``); ``raw_dir`` defaults to the demo district. Returns
    ``[<out_dir>/晾晒排名_<period>.xlsx, <out_dir>/晾晒排名_<period>.csv]``.
    """
    from .analysis import load_tables

    half = _ranking.ranking_period(period)
    tables = load_tables(raw_dir=Path(raw_dir) if raw_dir else None)
    frames = _ranking.build_ranking(tables, period=half)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    roster = tables.get("roster")
    xlsx = write_ranking_workbook(out / f"晾晒排名_{half}.xlsx", frames["ranking"], frames["ranking_composite"],
                                  roster=roster)
    csv = write_ranking_csv(out / f"晾晒排名_{half}.csv",
                            publication_frame(frames["ranking"], frames["ranking_composite"], roster=roster))
    return [xlsx, csv]
