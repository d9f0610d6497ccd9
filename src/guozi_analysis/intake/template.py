"""The Excel submission template: the right workbook for a period and an enterprise.

Layout of every sheet (the same the reader in :mod:`guozi_analysis.ingest` expects):
row 1 the Chinese headers, row 2 the units line (``单位：万元`` over money columns),
data from row 3. Fields with a fixed vocabulary (and 是/否 fields, enterprise ids,
the period) get drop-down lists; the 财务快报 sheet is pre-filled with the enterprise
and its subsidiaries. A first sheet 「填报说明」 explains the rules and lists the
enterprises.

Which sheets: a monthly period (``2022-11``) gets every monthly table plus 主体信用评级;
a half-monthly period (``2022-11-H1``/``-H2``) gets 固定资产投资项目 (investment progress
is reported every half month). 企业名录 and 年度目标 are maintained by the supervisor, not
submitted.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from guozi_analysis.base import config, contract
from guozi_analysis.base.entities import EnterpriseTree
from guozi_analysis.base.periods import is_half_monthly, validate_period
from guozi_analysis.intake.inbox import InboxError, inbox_roster, resolve_inbox
from guozi_analysis.intake.ingestion import TEMPLATE_KEYWORD

__all__ = ["template_tables", "write_template", "write_submission", "template_command", "DATA_ROWS"]

#: Number of rows below the header that carry drop-down validations.
DATA_ROWS = 1000
_MONEY_FORMAT = "#,##0.00"
_DATE_FORMAT = "yyyy-mm-dd"
_INSTRUCTIONS = "填报说明"
#: Header colours: required columns orange, optional ones blue (the 填报说明 sheet explains both, in the same colours).
_REQUIRED_FILL = "FCE4D6"
_OPTIONAL_FILL = "DDEBF7"
_LEGEND_REQUIRED = "8. 橙色表头的列为必填项：不填则该行不能入库（列入问题清单，改正后重新报送）。"
_LEGEND_OPTIONAL = "9. 蓝色表头的列为选填项：没有数据的留空。"


def template_tables(period: str) -> list[str]:
    """Contract tables a submission for ``period`` carries (see the module docstring)."""

    label = validate_period(period)
    if is_half_monthly(label):
        return [n for n, t in contract.TABLES.items() if t.frequency == "half_monthly"]
    core = [n for n, t in contract.TABLES.items() if t.frequency in ("monthly", "event")]
    return core + list(contract.LEDGER_TABLES)  # issue 17: the ledgers (optional: a sheet may be left out)


def _enterprise_tree(roster: pd.DataFrame | None, enterprise_id: str | None) -> pd.DataFrame:
    """Roster rows of ``enterprise_id`` and all its descendants (everything when ``None``), in tree order.

    The subtree follows the roster's parent codes (:class:`~guozi_analysis.base.entities.EnterpriseTree`):
    the enterprise first, then its subsidiaries depth first; the whole roster lists each group
    followed by its subtree.
    """
    if roster is None or not len(roster):
        if enterprise_id is None:
            return pd.DataFrame(columns=["enterprise_id", "name"])
        return pd.DataFrame({"enterprise_id": [enterprise_id], "name": [None]})
    tree = EnterpriseTree.from_roster(roster)
    if enterprise_id is not None and enterprise_id not in tree:
        raise ValueError(f"企业编码 {enterprise_id} 不在企业名录中")
    ids = list(tree.order if enterprise_id is None else tree.subtree(enterprise_id))
    ros = roster.assign(enterprise_id=roster["enterprise_id"].astype("str").str.strip())
    return ros.set_index("enterprise_id", drop=False).loc[ids].reset_index(drop=True)


def _unit_text(f: contract.Field) -> str | None:
    return f"单位：{f.unit}" if f.unit else None


def _style_header(ws, t: contract.Table) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill  # deferred: heavy dependency, loaded on first use
    from openpyxl.utils import get_column_letter  # deferred: heavy dependency, loaded on first use

    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor=_OPTIONAL_FILL)
    req_fill = PatternFill("solid", fgColor=_REQUIRED_FILL)
    for j, f in enumerate(t.fields, start=1):
        c = ws.cell(row=1, column=j, value=f.label_zh)
        c.font = bold
        c.fill = req_fill if f.required else fill
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        u = ws.cell(row=2, column=j, value=_unit_text(f))
        u.font = Font(italic=True, color="808080")
        ws.column_dimensions[get_column_letter(j)].width = max(10, min(30, 2.2 * len(f.label_zh) + 2))
    ws.freeze_panes = "A3"


def _validations(ws, t: contract.Table, *, period: str, ids_ref: str | None, last_row: int) -> None:
    from openpyxl.utils import get_column_letter  # deferred: heavy dependency, loaded on first use
    from openpyxl.worksheet.datavalidation import DataValidation  # deferred: heavy dependency, loaded on first use

    def add(col: int, formula: str, prompt: str) -> None:
        dv = DataValidation(type="list", formula1=formula, allow_blank=True, showDropDown=False)
        dv.error = "请从下拉列表中选择"
        dv.errorTitle = "取值不在规定范围"
        dv.prompt = prompt
        dv.showErrorMessage = True
        letter = get_column_letter(col)
        dv.add(f"{letter}3:{letter}{last_row}")
        ws.add_data_validation(dv)

    for j, f in enumerate(t.fields, start=1):
        if f.vocabulary:
            add(j, '"' + ",".join(f.vocabulary) + '"', "可选：" + "、".join(f.vocabulary))
        elif f.dtype == "bool":
            add(j, '"是,否"', "填“是”或“否”")
        elif f.dtype == "period":
            if contract.table(t.name).frequency == "half_monthly":
                base = period[:7]
                add(j, f'"{base}-H1,{base}-H2"', "半月报期间")
            else:
                add(j, f'"{period}"', "本期期间")
        elif f.name in ("enterprise_id", "guarantor_id") and ids_ref:
            add(j, ids_ref, "填企业编码（见「填报说明」）")
        elif f.dtype == "date":
            dv = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True)
            dv.error = "请填写日期，如 2022-11-30"
            dv.showErrorMessage = True
            letter = get_column_letter(j)
            dv.add(f"{letter}3:{letter}{last_row}")
            ws.add_data_validation(dv)


def _number_formats(ws, t: contract.Table, first: int, last: int) -> None:
    for j, f in enumerate(t.fields, start=1):
        fmt = _MONEY_FORMAT if f.is_money else (_DATE_FORMAT if f.dtype == "date" else None)
        if fmt is None:
            continue
        for r in range(first, last + 1):
            ws.cell(row=r, column=j).number_format = fmt


def _instructions(wb, *, period: str, tables: list[str], tree: pd.DataFrame) -> str | None:
    ws = wb.create_sheet(_INSTRUCTIONS, 0)
    lines = [
        f"国资国企数据报送模板（期间：{period}）",
        "1. 每个工作表第 1 行为中文表头，第 2 行为单位行，第 3 行起逐行填报；请勿修改表头、工作表名或合并单元格。",
        "2. 金额默认以万元计；如以元或亿元填报，请在第 2 行对应列写明“单位：元”或“单位：亿元”。",
        "3. 是/否字段填“是”或“否”；日期填 2022-11-30 形式；期间填 YYYY-MM（半月报 YYYY-MM-H1/H2）。",
        "4. 请填数值，不要填公式；不要添加合计行（合计由系统计算）；缺失数据留空，不要填 0。",
        "5. 财务快报：资产负债为期末数，损益和现金流为本年累计数；1月不单独报送，2月报1—2月累计；集团报合并数。",
        "6. 同一企业同一期间重复报送时，以最后一次报送为准。",
        "7. 合同台账、合同履约节点、合同收付款计划、收付款流水、督查问题台账为台账式报送（每期报截至期末的完整台账），"
        "未建立台账的可删除这些工作表。",
        _LEGEND_REQUIRED,
        _LEGEND_OPTIONAL,
        "10. 第 2 行灰色斜体为单位行（空白表示该列不带单位）；点选后出现下拉箭头的单元格请从下拉列表中选择。",
        "本模板包含工作表：" + "、".join(contract.table(n).label_zh for n in tables),
        "",
        "企业编码表：",
    ]
    from openpyxl.styles import PatternFill  # deferred: heavy dependency, loaded on first use

    legend = {_LEGEND_REQUIRED: _REQUIRED_FILL, _LEGEND_OPTIONAL: _OPTIONAL_FILL}
    for i, text in enumerate(lines, start=1):
        cell = ws.cell(row=i, column=1, value=text)
        if text in legend:
            cell.fill = PatternFill("solid", fgColor=legend[text])
    start = len(lines) + 1
    ws.cell(row=start, column=1, value="企业编码")
    ws.cell(row=start, column=2, value="企业名称")
    for k, rec in enumerate(tree.itertuples(index=False), start=start + 1):
        ws.cell(row=k, column=1, value=str(rec.enterprise_id))
        ws.cell(row=k, column=2, value=getattr(rec, "name", None))
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 40
    if not len(tree):
        return None
    return f"='{_INSTRUCTIONS}'!$A${start + 1}:$A${start + len(tree)}"


def write_template(path, *, period: str, enterprise_id: str | None = None,
                   roster: pd.DataFrame | None = None) -> Path:
    """Write the submission workbook for ``period`` (and ``enterprise_id``'s tree) to ``path``.

    ``roster`` defaults to the processed roster (or the demo roster). Returns the path.
    Raises ``ValueError`` (Chinese) for a malformed period or an unknown enterprise.
    """
    from openpyxl import Workbook  # deferred: heavy dependency, loaded on first use


    period = validate_period(period)
    tables = template_tables(period)
    tree = _enterprise_tree(roster, enterprise_id)
    wb = Workbook()
    wb.remove(wb.active)
    ids_ref = _instructions(wb, period=period, tables=tables, tree=tree)
    fin_period = period[:7]
    for name in tables:
        t = contract.table(name)
        ws = wb.create_sheet(t.label_zh)
        _style_header(ws, t)
        last = 2 + DATA_ROWS
        if name == "financials" and len(tree) and not fin_period.endswith("-01"):
            for k, eid in enumerate(tree["enterprise_id"], start=3):
                ws.cell(row=k, column=1, value=str(eid))
                ws.cell(row=k, column=2, value=fin_period)
        _validations(ws, t, period=period, ids_ref=ids_ref, last_row=last)
        _number_formats(ws, t, 3, min(last, 2 + max(50, len(tree))))
    wb.properties.title = f"国资国企数据报送模板 {period}"
    wb.properties.creator = "guozi-analysis"
    wb.properties.keywords = TEMPLATE_KEYWORD
    wb.properties.description = f"period={period};enterprise={enterprise_id or 'ALL'};tables={','.join(tables)}"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_submission(path, tables: dict[str, pd.DataFrame], *, units: dict[str, str] | None = None,
                     money_unit: str = "万元", keep_template_properties: bool = False) -> Path:
    """Write contract frames as a submission workbook (template layout, values only).

    ``money_unit`` is written in the units line over every money column and the values are
    converted from 万元 to it (元 ×1e4, 亿元 ×1e-4); ``units`` overrides the units-line text
    per field. Used by tests, the bad-input corpus and benchmarks.
    """
    from openpyxl import Workbook  # deferred: heavy dependency, loaded on first use

    factor = {"元": 1e4, "万元": 1.0, "亿元": 1e-4}[money_unit]
    wb = Workbook(write_only=True)
    for name, df in tables.items():
        t = contract.table(name)
        ws = wb.create_sheet(t.label_zh)
        cols = [f for f in t.fields if f.name in df.columns]
        ws.append([f.label_zh for f in cols])
        unit_row = []
        for f in cols:
            text = (units or {}).get(f.name)
            if text is None:
                text = f"单位：{money_unit}" if f.is_money else _unit_text(f)
            unit_row.append(text)
        ws.append(unit_row)
        for rec in df.itertuples(index=False):
            row = []
            for f in cols:
                v = getattr(rec, f.name, None)
                if v is None or (not isinstance(v, str) and pd.isna(v)):
                    row.append(None)
                elif f.dtype == "bool":
                    row.append("是" if bool(v) else "否")
                elif f.dtype == "date":
                    row.append(pd.Timestamp(v).to_pydatetime())
                elif f.is_money:
                    row.append(float(v) * factor)
                elif f.dtype == "int":
                    row.append(int(v))
                elif f.dtype == "float":
                    row.append(float(v))
                else:
                    row.append(str(v))
            ws.append(row)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def template_command(period: str, enterprise_id: str | None = None, out=None, data_dir=None) -> Path:
    """CLI body of ``guozi template --period P [--enterprise ID] [--out PATH] [--data DIR]``.

    The enterprises are pre-filled from the roster of the inbox (``data_dir`` or the district's
    configured one), which is named on stderr. Default ``out``:
    ``data/templates/报送模板_<period>_<enterprise or 全区>.xlsx``. Returns the written path.
    """
    path = resolve_inbox(data_dir)
    roster = inbox_roster(path)
    print(f"企业名录取自收件目录：{path}（{len(roster)} 家企业）", file=sys.stderr)
    if enterprise_id is not None and enterprise_id not in set(roster["enterprise_id"].astype(str)):
        raise InboxError(f"企业编码「{enterprise_id}」不在收件目录 {path} 的企业名录中。")
    return write_template(template_path(out, period=period, enterprise_id=enterprise_id), period=period,
                          enterprise_id=enterprise_id, roster=roster)


def template_path(out=None, *, period: str, enterprise_id: str | None = None) -> Path:
    """Where ``guozi template --out OUT`` writes: ``OUT`` itself when it names an ``.xlsx`` file, ``OUT.xlsx``
    when the suffix is missing, and ``OUT/报送模板_<period>_<enterprise or 全区>.xlsx`` when ``OUT`` is an
    existing folder or ends with a path separator; without ``OUT``, that name under ``data/templates/``."""
    name = f"报送模板_{period}_{enterprise_id or '全区'}.xlsx"
    if out is None:
        return config.DATA_DIR / "templates" / name
    text = str(out)
    path = Path(out)
    if path.is_dir() or text.endswith(("/", "\\")):
        return path / name
    return path if path.suffix.lower() == ".xlsx" else path.with_name(path.name + ".xlsx")
