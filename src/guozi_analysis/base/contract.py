"""The data contract as code: every table, field, type, unit and vocabulary.

Every module of the project agrees on these names. Field names are English and
fixed (fields may be added, never renamed); the Chinese labels are the column
headers a district's spreadsheets carry. ``docs/data-contract.md`` is generated
from this module by :func:`render_contract_markdown`.

Internal units: money in 万元 (float), percentages as percent numbers
(65.3 means 65.3 %), counts as integers, dates as datetimes, periods as
``"YYYY-MM"`` (monthly) or ``"YYYY-MM-H1"``/``"YYYY-MM-H2"`` (half-monthly).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DTYPES",
    "FREQUENCIES",
    "Field",
    "Table",
    "TABLES",
    "table",
    "labels_zh",
    "header_to_field",
    "money_fields",
    "pandera_schema",
    "render_contract_markdown",
    "SUPPLEMENTARY_TABLES",
    "LEDGER_TABLES",
    "INTAKE_TABLES",
    "KUAIBAO_LAYOUT_MD",
]

#: Allowed field types. ``period`` is a ``YYYY-MM`` or ``YYYY-MM-Hn`` string.
DTYPES = ("str", "float", "int", "bool", "date", "period")
#: Allowed table frequencies.
FREQUENCIES = ("static", "monthly", "half_monthly", "yearly", "event")

_DTYPE_ZH = {"str": "文本", "float": "数值", "int": "整数", "bool": "是/否", "date": "日期", "period": "期间"}
_FREQ_ZH = {
    "static": "名录（随时更新）",
    "monthly": "月报",
    "half_monthly": "半月报",
    "yearly": "年度",
    "event": "事件（发生时报送）",
}


@dataclass(frozen=True)
class Field:
    """One column of a contract table.

    ``unit`` is the internal unit (money is always 万元); ``vocabulary`` lists
    the allowed values of a categorical text field.
    """

    name: str
    label_zh: str
    dtype: str
    unit: str | None = None
    required: bool = True
    vocabulary: tuple[str, ...] | None = None
    description_zh: str = ""

    @property
    def is_money(self) -> bool:
        """True when the field holds an amount of money (stored in 万元)."""
        return self.unit == "万元"


@dataclass(frozen=True)
class Table:
    """One contract table: name, Chinese sheet name, frequency, key and fields."""

    name: str
    label_zh: str
    frequency: str
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    description_zh: str = ""

    @property
    def field_names(self) -> list[str]:
        """Field names in contract order."""
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        """The field called ``name`` (KeyError with a Chinese message otherwise)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"表「{self.label_zh}」没有字段 {name}")


# ---------------------------------------------------------------------------
# field helpers (module-private, keep the table definitions short)


def _s(name, label, *, required=True, vocab=None, desc=""):
    return Field(name, label, "str", None, required, tuple(vocab) if vocab else None, desc)


def _m(name, label, *, required=True, desc=""):
    return Field(name, label, "float", "万元", required, None, desc)


def _n(name, label, unit, *, required=True, desc=""):
    return Field(name, label, "float", unit, required, None, desc)


def _i(name, label, unit, *, required=True, desc=""):
    return Field(name, label, "int", unit, required, None, desc)


def _b(name, label, *, required=True, desc=""):
    return Field(name, label, "bool", None, required, None, desc)


def _d(name, label, *, required=True, desc=""):
    return Field(name, label, "date", None, required, None, desc)


def _p(label="期间", *, desc="月报 YYYY-MM"):
    return Field("period", label, "period", None, True, None, desc)


def _eid(label="企业编码", name="enterprise_id", *, required=True):
    return Field(name, label, "str", None, required, None, "企业名录中的企业编码（如 G01-01 或统一社会信用代码）")


_INDUSTRY = ("工业", "非工业", "科研设计")
_FUNCTION = ("竞争类", "功能类", "公益类")

_ROSTER = Table(
    "roster",
    "企业名录",
    "static",
    ("enterprise_id",),
    (
        _eid(),
        _s("name", "企业名称"),
        _s("short_name", "企业简称"),
        _s("parent_id", "上级企业编码", required=False, desc="集团为空；隶属关系只由本列确定，不看编码的形式"),
        _i("level", "企业级次", None, desc="1 集团，2 二级子企业，3 三级子企业"),
        _s("industry_class", "行业分类", vocab=_INDUSTRY),
        _s("function_class", "功能分类", vocab=_FUNCTION),
        _n("shareholding_pct", "上级持股比例", "%", desc="上级企业持股比例；集团为区国资委持股比例"),
        _b("is_group", "是否集团"),
        _s("main_business", "主营业务", required=False,
           desc="企业的主营业务（一句话）；企业画像以此开篇，未填时画像不写主营业务，校验时提示"),
    ),
    "区属国有企业名录：六大集团及其二、三级子企业。",
)

_FIN_FIELDS = (
    _eid(),
    _p(),
    # balance sheet (period end)
    _m("total_assets", "资产总额"),
    _m("current_assets", "流动资产"),
    _m("cash", "货币资金"),
    _m("accounts_receivable", "应收账款"),
    _m("inventory", "存货"),
    _m("contract_assets", "合同资产", required=False),
    _m("total_liabilities", "负债总额"),
    _m("current_liabilities", "流动负债"),
    _m("short_term_borrowings", "短期借款"),
    _m("notes_payable", "应付票据", required=False),
    _m("current_portion_long_term_debt", "一年内到期的非流动负债"),
    _m("long_term_borrowings", "长期借款"),
    _m("bonds_payable", "应付债券"),
    _m("other_interest_bearing_debt", "其他带息负债", required=False, desc="短期融资券、融资租赁、信托及其他非标"),
    # issue 19: 带息负债 adjustment items (optional; blank counts as 0 with a warning)
    _m("lease_liabilities", "租赁负债", required=False,
       desc="期末数，含一年内到期部分；计入带息负债；未填按 0 计并提示"),
    _m("perpetual_bonds", "永续债", required=False,
       desc="其他权益工具中的永续债（列为权益的永续中票、可续期公司债等）；计入带息负债；未填按 0 计并提示"),
    _m("total_equity", "所有者权益合计"),
    _m("minority_equity", "少数股东权益", required=False),
    _m("paid_in_capital", "实收资本"),
    _m("state_capital", "国有资本及权益"),
    # year-to-date flows
    _m("revenue", "营业总收入", desc="本年累计"),
    # issue 19: 营业收入 beside 营业总收入 (optional for history; blank → a warning, never replaced by 营业总收入)
    _m("operating_revenue", "营业收入", required=False,
       desc="本年累计；营业总收入中扣除利息收入、手续费及佣金收入、已赚保费等金融业务收入后的营业收入；"
            "一般企业与营业总收入相等；未填则以营业收入为分母的指标不计算"),
    _m("operating_cost", "营业成本", desc="本年累计"),
    _m("taxes_and_surcharges", "税金及附加", desc="本年累计"),
    _m("selling_expenses", "销售费用", desc="本年累计"),
    _m("admin_expenses", "管理费用", desc="本年累计"),
    _m("rd_expenses", "研发费用", desc="本年累计"),
    _m("financial_expenses", "财务费用", desc="本年累计"),
    _m("interest_expense", "费用化利息支出", desc="本年累计"),
    _m("capitalized_interest", "资本化利息支出", required=False,
       desc="本年累计；计入已获利息倍数的分母；未填按 0 计并提示"),
    _m("other_gains", "其他收益等", required=False,
       desc="本年累计；其他收益（含政府补助）、公允价值变动、资产处置等损益，使营业利润勾稽闭合"),
    _m("operating_profit", "营业利润", desc="本年累计"),
    _m("investment_income", "投资收益", desc="本年累计"),
    _m("non_operating_income", "营业外收入", desc="本年累计"),
    _m("non_operating_expenses", "营业外支出", desc="本年累计"),
    _m("total_profit", "利润总额", desc="本年累计；= 营业利润 + 营业外收入 − 营业外支出"),
    _m("income_tax", "所得税费用", desc="本年累计"),
    _m("net_profit", "净利润", desc="本年累计；= 利润总额 − 所得税费用"),
    _m("net_profit_parent", "归属于母公司所有者的净利润", desc="本年累计"),
    _m("employee_compensation", "职工薪酬", desc="本年累计"),
    _m("depreciation", "计提折旧", desc="本年累计"),
    _m("taxes_payable_total", "应交税费总额", desc="本年累计"),
    _m("taxes_paid", "已交税费总额", desc="本年累计"),
    _m("rd_investment", "研发经费投入", desc="本年累计"),
    _m("cash_from_sales", "销售商品、提供劳务收到的现金", desc="本年累计"),
    _m("operating_cash_inflow", "经营活动现金流入小计", desc="本年累计"),
    _m("net_operating_cash_flow", "经营活动产生的现金流量净额", desc="本年累计"),
    _m("state_capital_objective_increase", "国有资本客观增加因素", required=False, desc="本年累计；未填按 0 计并提示"),
    _m("state_capital_objective_decrease", "国有资本客观减少因素", required=False, desc="本年累计；未填按 0 计并提示"),
    _i("headcount_end", "从业人员期末人数", "人"),
    _i("headcount_avg", "本年平均从业人数", "人"),
)

_FINANCIALS = Table(
    "financials",
    "财务快报",
    "monthly",
    ("enterprise_id", "period"),
    _FIN_FIELDS,
    "企业财务快报：资产负债为期末数，损益、现金流为本年累计数；1月不报，2月报1—2月累计；"
    "集团报合并数（已含子企业）。",
)

_PROJECTS = Table(
    "projects",
    "固定资产投资项目",
    "half_monthly",
    ("project_id", "period"),
    (
        _s("project_id", "项目编码"),
        _eid("项目业主企业编码"),
        _p(desc="半月报 YYYY-MM-H1（截至15日）或 YYYY-MM-H2（截至月末）"),
        _s("project_name", "项目名称"),
        _s("project_type", "项目类型", vocab=("基础设施", "产业项目", "民生工程", "城市更新", "生态治理")),
        _s("status", "项目状态", vocab=("新开工", "续建", "竣工", "储备")),
        _b("is_city_key", "是否市级重点工程"),
        _b("is_strategic_emerging", "是否战略性新兴产业"),
        _m("total_investment", "项目总投资"),
        _m("annual_plan", "本年计划投资"),
        _m("completed_ytd", "本年累计完成投资"),
        _m("completed_cumulative", "开累完成投资"),
        _d("start_date", "开工日期", required=False),
        _d("planned_end_date", "计划竣工日期"),
    ),
    "固定资产投资项目进度，每半月报送；在建项目 = 状态为新开工或续建。",
)

_EQUITY = Table(
    "equity_investments",
    "股权投资",
    "monthly",
    ("investment_id", "period"),
    (
        _s("investment_id", "股权投资编码"),
        _eid("投资企业编码"),
        _p(),
        _s("target_name", "被投资企业"),
        _s("sector", "投向领域", vocab=("智能制造", "集成电路", "新材料", "生物医药", "数字经济", "新能源", "其他")),
        _b("is_strategic_emerging", "是否战略性新兴产业"),
        _m("planned_amount", "本年计划投资额"),
        _m("completed_ytd", "本年累计完成投资额"),
    ),
    "股权投资项目，每月报送。",
)

_FUNDS = Table(
    "funds",
    "国有基金",
    "monthly",
    ("fund_id", "period"),
    (
        _s("fund_id", "基金编码"),
        _eid("管理企业编码"),
        _p(),
        _s("fund_name", "基金名称"),
        _s("fund_type", "基金类型", vocab=("产业基金", "人才基金", "科创基金")),
        _m("aum", "实际在管规模"),
        _i("sub_funds", "参股基金数", "支"),
        _i("projects_invested", "对外投资项目数", "个"),
        _d("established_date", "设立日期"),
    ),
    "区级国有基金运行情况。",
)

_LISTINGS = Table(
    "listings",
    "上市培育",
    "monthly",
    ("item_id", "period"),
    (
        _s("item_id", "培育事项编码"),
        _eid("投资企业编码"),
        _p(),
        _s("company_name", "培育企业名称"),
        _s("stage", "上市进程", vocab=("启动上市", "完成股改", "报辅", "报会", "已上市")),
        _b("is_out_of_province", "是否省外企业"),
        _s("invest_mode", "投资方式", vocab=("直接", "间接")),
    ),
    "国资直接或间接投资企业的上市培育进程。",
)

_DEBTS = Table(
    "debts",
    "融资明细",
    "monthly",
    ("debt_id", "period"),
    (
        _s("debt_id", "融资编码"),
        _eid("融资主体企业编码"),
        _p(),
        _s("instrument_type", "融资品种",
           vocab=("银行贷款", "企业债券", "中期票据", "短期融资券", "融资租赁", "信托及其他非标")),
        _b("is_direct_financing", "是否直接融资"),
        _m("balance", "期末余额"),
        _n("annual_rate", "年利率", "%"),
        _d("issue_date", "起息日"),
        _d("maturity_date", "到期日"),
    ),
    "期末存续的带息融资逐笔明细（月末快照）。",
)

_CREDIT = Table(
    "credit_lines",
    "授信",
    "monthly",
    ("line_id", "period"),
    (
        _s("line_id", "授信编码"),
        _eid(),
        _p(),
        _s("bank_name", "授信机构"),
        _m("line_amount", "授信额度"),
        _m("used_amount", "已使用额度"),
        _b("is_committed", "是否承诺性授信"),
        _b("signed_at_fair", "是否投融资对接会签约"),
    ),
    "金融机构授信情况。",
)

_RATINGS = Table(
    "ratings",
    "主体信用评级",
    "event",
    ("enterprise_id", "rating_date"),
    (
        _eid(),
        _d("rating_date", "评级日期"),
        _s("rating", "主体信用等级", vocab=("AAA", "AA+", "AA", "AA-", "A+")),
        _s("agency", "评级机构"),
        _s("outlook", "评级展望", vocab=("稳定", "正面", "负面")),
    ),
    "主体信用评级结果，发生评级（含跟踪评级）当月报送。",
)

_GUARANTEES = Table(
    "guarantees",
    "对外担保",
    "monthly",
    ("guarantee_id", "period"),
    (
        _s("guarantee_id", "担保编码"),
        _eid("担保人企业编码", "guarantor_id"),
        _p(),
        _s("beneficiary_name", "被担保人名称"),
        _s("beneficiary_id", "被担保人企业编码", required=False, desc="名录外企业为空"),
        _s("relation", "与担保人关系", vocab=("全资子企业", "控股子企业", "参股企业", "非关联企业")),
        _n("shareholding_pct", "担保人持股比例", "%", desc="担保人对被担保人的持股比例"),
        _m("guaranteed_debt", "被担保债务金额"),
        _m("amount", "担保金额"),
        _d("start_date", "担保起始日"),
        _d("end_date", "担保到期日"),
        # issue 19: the 国资发财评规〔2021〕75号 checks (all optional; a roster-coded beneficiary is looked up)
        _m("beneficiary_net_assets", "被担保人净资产", required=False,
           desc="被担保人最近一期净资产；为负即资不抵债；名录内企业可留空，按其快报所有者权益合计判断"),
        _i("beneficiary_loss_years", "被担保人连续亏损年数", "年", required=False,
           desc="截至最近一个完整年度连续亏损的年数；名录内企业可留空，按其快报净利润判断"),
        _b("beneficiary_negative_ocf", "被担保人经营净现金流为负", required=False,
           desc="被担保人最近一个完整年度经营活动产生的现金流量净额是否为负；名录内企业可留空"),
        _b("is_financial_subsidiary", "被担保人是否金融子企业", required=False,
           desc="财务公司、小额贷款、融资担保、融资租赁、保理等金融类子企业填“是”"),
        _s("counter_guarantee", "反担保情况", required=False, vocab=("已落实", "未落实", "不适用"),
           desc="超股比担保、对参股企业担保应落实反担保"),
    ),
    "对外担保余额明细；超股比担保额 = 担保金额 − 持股比例 × 被担保债务（大于 0 即超股比）。",
)

_IDLE = Table(
    "idle_assets",
    "存量资产盘活",
    "monthly",
    ("asset_id", "period"),
    (
        _s("asset_id", "资产编码"),
        _eid(),
        _p(),
        _s("asset_name", "资产名称"),
        _s("asset_type", "资产类型", vocab=("土地", "房产", "股权", "特许经营权", "自然资源", "其他")),
        _m("book_value", "账面价值"),
        _s("status", "盘活状态", vocab=("已梳理", "推进中", "已盘活")),
        _m("revitalised_value_ytd", "本年累计盘活金额"),
        _s("method", "盘活方式", required=False,
           vocab=("出租", "出售", "资产注入", "REITs", "特许经营", "补办产权证")),
    ),
    "待盘活存量资产清单及进展。",
)

_REFORMS = Table(
    "reforms",
    "改革事项",
    "monthly",
    ("item_id", "period"),
    (
        _s("item_id", "改革事项编码"),
        _eid(),
        _p(),
        _s("item_type", "改革类型", vocab=("混合所有制改革", "中长期激励", "董事会建设", "经理层任期制")),
        _s("status", "推进状态", vocab=("储备", "推进中", "已完成")),
        _d("completed_date", "完成日期", required=False),
    ),
    "国企改革事项台账。",
)

_LIVELIHOOD = Table(
    "livelihood",
    "民生实事",
    "monthly",
    ("task_id", "period"),
    (
        _s("task_id", "任务编码"),
        _eid("责任企业编码"),
        _p(),
        _s("task_name", "任务名称"),
        _s("category", "任务类别", vocab=("城市运行", "公共服务", "城市更新", "防汛防台", "疫情防控")),
        _n("annual_target", "年度目标量", None),
        _n("completed_ytd", "本年累计完成量", None),
        _s("unit", "计量单位"),
    ),
    "国企承担的民生实事任务进度；完成量的计量单位见“计量单位”列。",
)

_TARGETS = Table(
    "targets",
    "年度目标",
    "yearly",
    ("enterprise_id", "year", "item"),
    (
        _eid(),
        _i("year", "年度", None),
        _s("item", "目标项目", desc="指标编码或报表项目，如 revenue、total_profit、investment_completed"),
        _s("item_name", "目标项目名称", required=False),
        _n("target_value", "目标值", None),
        _s("unit", "计量单位"),
    ),
    "区国资委下达的年度目标；enterprise_id 为 DISTRICT 表示全区目标。目标值按“计量单位”列计量。",
)

# --- issue 14: 上年同期 figures reported with the current 快报 (begin) ---------------------------
_FINANCIALS_LY = Table(
    "financials_ly",
    "财务快报上年同期",
    "monthly",
    ("enterprise_id", "period"),
    (_eid(), _p(desc="本期 YYYY-MM（数值为上年同期数）"),
     *(Field(f.name, f.label_zh, f.dtype, f.unit, False, f.vocabulary, f.description_zh) for f in _FIN_FIELDS[2:])),
    "本期快报所附的上年同期数（快报“上年同期累计数”列，或列式报送的“财务快报上年同期”工作表）：期间为本期，"
    "数值为上年同月的期末数/本年累计数（已按重述、合并口径调整）。计算同比增长时优先使用本表，缺失时取上年报送的快报。",
)
#: Tables a district may send beside the core tables (not in :data:`TABLES`: no template sheet, no demo rows).
SUPPLEMENTARY_TABLES: dict[str, Table] = {_FINANCIALS_LY.name: _FINANCIALS_LY}
# --- issue 14 (end) -------------------------------------------------------------------------------

#: Every contract table by name, in the contract's order.
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        _ROSTER,
        _FINANCIALS,
        _PROJECTS,
        _EQUITY,
        _FUNDS,
        _LISTINGS,
        _DEBTS,
        _CREDIT,
        _RATINGS,
        _GUARANTEES,
        _IDLE,
        _REFORMS,
        _LIVELIHOOD,
        _TARGETS,
    )
}


# ---- 重点工作任务台账 (issue 19, 2023 plan) — one self-contained block, kept last --------------------
_KEY_TASKS = Table(
    "key_tasks",
    "重点工作任务台账",
    "monthly",
    ("task_id", "period"),
    (
        _s("task_id", "任务编码"),
        _i("year", "目标年度", None),
        _p(desc="月报 YYYY-MM：进展截至的月份"),
        _s("item", "目标项目", desc="与 params/targets_<年度>.yaml 的 item 一致，如 cadre_exchange_count"),
        _s("task_name", "任务名称"),
        _s("responsible", "责任处室", desc="国资委内设处室名称"),
        _eid("责任企业编码", required=False),
        _n("target_value", "目标值", None),
        _s("unit", "计量单位"),
        _n("progress_value", "本年累计完成", None, required=False, desc="截至本月末本年累计完成量；尚未开展时留空"),
        _s("progress_note", "进展情况", required=False),
        _s("evidence", "佐证材料", required=False, desc="文件名、发文号或其他可核查的材料"),
    ),
    "工作思路中财务报表不反映的量化任务（干部交流、廉政阵地、制度修订、激励试点等）的逐月进展与佐证。",
)
TABLES[_KEY_TASKS.name] = _KEY_TASKS
# ---- end of 重点工作任务台账 block --------------------------------------------------------------------

# ---- 合同、资金流水与督查问题台账 (issue 17, 国资慧聚 2.0) — one self-contained block ----------------------
#: Contract types, directions and statuses (合同台账).
CONTRACT_TYPES = ("工程", "采购", "销售", "租赁", "借款", "担保", "咨询", "其他")
CONTRACT_STATUSES = ("拟签", "履行中", "变更", "终止", "完成", "纠纷")
FINDING_SOURCES = ("国资前哨督查", "审计", "巡察", "纪检", "日常监管")
FINDING_STATUSES = ("未整改", "整改中", "已整改", "已销号")
_LEDGER_NOTE = "台账式报送：每期报送截至期末的完整台账，期间填本期；分析取每家企业不晚于分析期的最近一期。"

_CONTRACTS = Table(
    "contracts",
    "合同台账",
    "monthly",
    ("contract_id", "period"),
    (
        _s("contract_id", "合同编号", desc="企业内唯一、各期不变"),
        _p(desc="月报 YYYY-MM：台账截至的月份"),
        _eid("签约企业编码"),
        _s("contract_name", "合同名称"),
        _s("counterparty_name", "相对方名称"),
        _s("counterparty_credit_code", "相对方统一社会信用代码", required=False, desc="已知时填写"),
        _b("counterparty_related", "相对方是否关联方"),
        _b("counterparty_state_owned", "相对方是否国有企业"),
        _s("contract_type", "合同类型", vocab=CONTRACT_TYPES),
        _s("direction", "收支方向", vocab=("收款", "付款"), desc="本企业收款（销售、出租等）或付款（工程、采购等）"),
        _m("amount", "合同金额", desc="现行金额（含已生效的变更）"),
        _m("original_amount", "原合同金额", required=False, desc="签订时金额；未变更可留空（视同合同金额）"),
        _d("signed_date", "签订日期"),
        _d("start_date", "履行开始日期"),
        _d("end_date", "履行截止日期"),
        _s("approval_route", "审批方式", vocab=("部门审批", "总经理办公会", "董事会", "上级集团审批")),
        _b("collective_decision", "是否经三重一大集体决策", desc="达到本区三重一大集体决策金额标准的合同应为“是”"),
        _s("status", "合同状态", vocab=CONTRACT_STATUSES),
        _d("terminated_date", "终止日期", required=False, desc="状态为终止时填写；终止后不应再付款"),
    ),
    "合同全生命周期台账：相对方、类型、金额、审批路径（含三重一大集体决策）、状态。" + _LEDGER_NOTE,
)

_CONTRACT_MILESTONES = Table(
    "contract_milestones",
    "合同履约节点",
    "monthly",
    ("contract_id", "milestone_no", "period"),
    (
        _s("contract_id", "合同编号"),
        _i("milestone_no", "节点序号", None),
        _p(desc="月报 YYYY-MM：台账截至的月份"),
        _eid("签约企业编码"),
        _s("milestone_name", "节点名称"),
        _d("planned_date", "计划完成日期"),
        _d("actual_date", "实际完成日期", required=False, desc="尚未完成留空"),
    ),
    "合同履约节点（开工、交付、验收等）的计划与实际日期。" + _LEDGER_NOTE,
)

_CONTRACT_PAYMENT_PLAN = Table(
    "contract_payment_plan",
    "合同收付款计划",
    "monthly",
    ("contract_id", "installment_no", "period"),
    (
        _s("contract_id", "合同编号"),
        _i("installment_no", "期次", None),
        _p(desc="月报 YYYY-MM：台账截至的月份"),
        _eid("签约企业编码"),
        _d("due_date", "计划收付款日期"),
        _m("planned_amount", "计划收付款金额"),
        _i("milestone_no", "对应节点序号", None, required=False, desc="按节点收付款时填写"),
    ),
    "合同约定的分期收付款计划；方向与合同的收支方向一致。" + _LEDGER_NOTE,
)

_TRANSACTIONS = Table(
    "transactions",
    "收付款流水",
    "monthly",
    ("transaction_id", "period"),
    (
        _s("transaction_id", "流水编号"),
        _p(desc="月报 YYYY-MM：台账截至的月份"),
        _eid("收付款企业编码"),
        _s("contract_id", "合同编号", required=False, desc="无合同的收付款留空（将列为预警）"),
        _d("transaction_date", "收付款日期"),
        _s("direction", "收付方向", vocab=("收", "付")),
        _m("amount", "金额"),
        _s("method", "结算方式", vocab=("银行转账", "票据", "现金", "其他")),
        _s("voucher_no", "凭证号"),
        _s("counterparty_name", "对方名称", required=False),
    ),
    "资金收付流水，以合同编号与合同台账贯通（交易数据贯通）。" + _LEDGER_NOTE,
)

_INSPECTION_FINDINGS = Table(
    "inspection_findings",
    "督查问题台账",
    "monthly",
    ("finding_id", "period"),
    (
        _s("finding_id", "问题编号"),
        _p(desc="月报 YYYY-MM：台账截至的月份"),
        _eid("责任企业编码"),
        _s("source", "问题来源", vocab=FINDING_SOURCES),
        _d("found_date", "发现日期"),
        _s("category", "问题类别",
           vocab=("三重一大决策", "合同管理", "资金管理", "工程建设", "资产管理", "财务核算", "选人用人", "其他")),
        _s("description", "问题描述"),
        _m("amount_involved", "涉及金额", required=False),
        _s("responsible_unit", "责任部门"),
        _d("deadline", "整改期限", desc="不得早于发现日期"),
        _s("status", "整改状态", vocab=FINDING_STATUSES),
        _d("closed_date", "整改完成日期", required=False),
        _s("closure_evidence", "销号佐证", required=False, desc="已销号的问题应写明佐证材料"),
    ),
    "国资前哨督查、审计、巡察、纪检和日常监管发现的问题及整改闭环。" + _LEDGER_NOTE,
)

#: Ledger tables (issue 17): in the template and intake, optional per inbox (a district without them
#: ingests cleanly; a template sheet left out is not an error).
LEDGER_TABLES: dict[str, Table] = {
    t.name: t for t in (_CONTRACTS, _CONTRACT_MILESTONES, _CONTRACT_PAYMENT_PLAN, _TRANSACTIONS, _INSPECTION_FINDINGS)
}
# ---- end of 合同、资金流水与督查问题台账 block -----------------------------------------------------------

#: Every table intake reads: the core tables, then the supplementary ones (issue 14), then the ledgers (issue 17).
INTAKE_TABLES: dict[str, Table] = {**TABLES, **SUPPLEMENTARY_TABLES, **LEDGER_TABLES}


def table(name: str) -> Table:
    """The contract table called ``name`` (KeyError with a Chinese message otherwise)."""
    try:
        return INTAKE_TABLES[name]
    except KeyError:
        raise KeyError(f"数据契约中没有表 {name}；可用的表：{', '.join(TABLES)}") from None


def labels_zh(name: str) -> dict[str, str]:
    """``{field name: Chinese header}`` for table ``name``, in contract order."""
    return {f.name: f.label_zh for f in table(name).fields}


def header_to_field(name: str) -> dict[str, str]:
    """``{Chinese header: field name}`` for table ``name`` (the reverse of :func:`labels_zh`)."""
    return {f.label_zh: f.name for f in table(name).fields}


def money_fields(name: str) -> list[str]:
    """Fields of table ``name`` holding money (stored in 万元)."""
    return [f.name for f in table(name).fields if f.is_money]


def pandera_schema(name: str, *, coerce: bool = True, unique_keys: bool = True, extra_checks=None):
    """A pandera ``DataFrameSchema`` for table ``name``, built from the contract.

    Checks column presence, types (after intake parsing), vocabularies and that
    required columns hold no missing values. Extra columns (``source_file``,
    ``source_row``) are allowed. ``extra_checks`` maps a field to more pandera checks
    (validation adds its ranges there); ``unique_keys`` checks the table's key.
    """
    import pandera.pandas as pa  # deferred: heavy dependency, loaded on first use

    t = table(name)
    columns = {}
    for f in t.fields:
        checks = []
        if f.vocabulary:
            checks.append(pa.Check.isin(list(f.vocabulary)))
        if f.dtype == "period":
            pattern = r"^\d{4}-(0[1-9]|1[0-2])(-H[12])?$"
            checks.append(pa.Check.str_matches(pattern))
        checks += list((extra_checks or {}).get(f.name, ()))
        dtype = {
            "str": None,
            "period": None,
            "float": "float64",
            "int": "Int64",
            "bool": "boolean",
            "date": "datetime64[ns]",
        }[f.dtype]
        columns[f.name] = pa.Column(dtype, checks=checks or None, nullable=not f.required,
                                    coerce=coerce and f.dtype != "date", required=True)
    return pa.DataFrameSchema(columns, strict=False, unique=list(t.key) if unique_keys else None, name=t.label_zh)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def render_contract_markdown() -> str:
    """The data contract as a Chinese Markdown document (``docs/data-contract.md``)."""
    lines = [
        "# 数据契约",
        "",
        "> 本文件由 `guozi_analysis.contract.render_contract_markdown()` 生成，请勿手工编辑；"
        "修改 `src/guozi_analysis/contract.py` 后重新生成。",
        "",
        "## 通用约定",
        "",
        "- 金额内部统一以**万元**计（浮点数）；报送文件的单位行可写 `单位：元`、`单位：万元` 或 `单位：亿元`，读入时换算为万元。",
        "- 百分比以百分数计（65.3 表示 65.3%）；人数、个数为整数；日期为 ISO 格式（YYYY-MM-DD）。",
        "- 期间：月报 `YYYY-MM`；半月报 `YYYY-MM-H1`（截至 15 日）、`YYYY-MM-H2`（截至月末）。",
        "- 企业编码：集团 `G01`…`G06`，二级子企业 `G01-01`，三级子企业 `G01-01-01`；全区汇总为 `DISTRICT`。",
        "- 集团报送**合并**财务数（已含子企业）：集团财务项目取其合并行，全区 = 六大集团之和。"
        "明细表（项目、融资、担保、资产等）每一项只列在所属企业名下：集团合计 = 集团全部下属企业之和，全区 = 全部行之和。",
        "- 报送文件：第 1 行中文表头，第 2 行单位行（如 `单位：万元`，非数值列留空），第 3 行起为数据；是/否字段填“是”或“否”。",
        "- 缺失值保持为空（NaN），不以 0 代替。",
        "",
        "## 表一览",
        "",
        "| 表名 | 中文名（工作表名） | 频率 | 主键 | 字段数 |",
        "| --- | --- | --- | --- | --- |",
    ]
    for t in {**TABLES, **LEDGER_TABLES}.values():  # issue 17: the ledgers too
        lines.append(
            f"| `{t.name}` | {t.label_zh} | {_FREQ_ZH[t.frequency]} | {', '.join(t.key)} | {len(t.fields)} |"
        )
    for i, t in enumerate(INTAKE_TABLES.values(), start=1):  # issue 14: supplementary tables too
        lines += [
            "",
            f"## {i}. {t.label_zh}（`{t.name}`）",
            "",
            t.description_zh,
            "",
            f"频率：{_FREQ_ZH[t.frequency]}；主键：{'、'.join(f'`{k}`' for k in t.key)}。",
            "",
            "| 字段 | 中文表头 | 类型 | 单位 | 必填 | 取值范围 | 说明 |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for f in t.fields:
            vocab = "、".join(f.vocabulary) if f.vocabulary else ""
            lines.append(
                f"| `{f.name}` | {f.label_zh} | {_DTYPE_ZH[f.dtype]} | {f.unit or ''} | "
                f"{'是' if f.required else '否'} | {_md_escape(vocab)} | {_md_escape(f.description_zh)} |"
            )
    return "\n".join(lines) + "\n" + KUAIBAO_LAYOUT_MD  # issue 14


# --- issue 14: the standard 财务快报 layout and cell semantics, documented (begin) -------------------
KUAIBAO_LAYOUT_MD = """
## 附录 A　财务快报标准格式（财务软件导出的“快报式”报表）

除上述列式报表（第 1 行表头、每行一家企业）外，财务快报也可按财务软件导出的**快报式**报送：
**一张工作表（或一个文件）只含一家企业**，工作表名、文件名不限，按内容识别。

- **表头区**（表格上方）：`编制单位：<企业名称>` 和/或 `企业编码：<编码>`；期间（如 `2022年11月`、
  `2022-11`）；`金额单位：元`（可为 元、千元、万元、亿元，缺省按万元）。可选 `版本：2` 或“更正”字样。
- **表头行**：`项目`，以及数值列 `本月数`（或 `本月`、`期末数`、`期末余额`）、`本年累计数`（或 `本年累计`）、
  `上年同期累计数`（或 `上年同期`、`上年同期数`）；可选 `行次`、`计量单位` 列。某行“计量单位”填写时
  （如人数填 `人`、比率填 `%`），以该行单位为准，不按金额单位换算。
- **项目识别**：按 `params/kuaibao_items.yaml` 的同义词表匹配项目名称（忽略空格、全半角、行首序号与
  “其中：”“减：”“加：”等前缀），或按该文件中本区约定的行次。**不认识的项目逐项列入问题清单**，不静默丢弃；
  一个字段匹配到两行且数值不同为错误。
- **取哪一列**：财务快报表中**资产负债类项目**（期末余额）与从业人员期末人数取 `本月数`（期末数）列
  ——若该列为空而 `本年累计数` 有值，取后者并给出警告；**损益、现金流等本年累计项目**及本年平均从业人数取
  `本年累计数` 列。`上年同期累计数` 列按同样规则写入“财务快报上年同期”表（`financials_ly`）：
  资产负债类为上年同月末数，累计项目为上年同期累计数。
- **换算**：金额一律换算为万元（元 ÷ 10000）。

## 附录 B　上年同期数与同比口径

同比增长率（如营业收入增长率 = 本年累计 ÷ 上年同期累计 − 1）所用的上年同期数，**优先取本期报送的上年同期数**
（快报式的 `上年同期累计数` 列，或列式报送中名为“财务快报上年同期”的工作表，表头与财务快报相同、期间填本期）；
缺失时才取上年同月报送并已入库的快报。上年报送的数不反映其后的重述、合并、划转，故以本期报送为准。
指标输出的“同比口径”列逐企业说明所用来源：`上年同期数取自本期快报` 或 `上年同期数取自上年报送`。

## 附录 C　单元格的读取规则

- 数字按单元格的数字格式读取：百分比格式的 0.0617 与数值 6.17、文本 `6.17%` 在单位为 % 的列中同为 6.17。
- 单位为 % 的列（持股比例、利率）中，未设百分比格式、且介于 0 与 1 之间（含 1）的数值**有两种读法**
  （如 0.7 可能是 0.7% 或 70%），列为错误并给出两种读法，不作猜测；请改填 70 或 `0.7%`。
- 全角数字与标点（`１２３．４`、`，`）按半角读取；科学计数法（`1.2E+05`）照常读取；
  `—`、`-`、`/`、`无`、`N/A`、`#N/A`、`#DIV/0!` 等占位或错误值按空值处理（错误值另有警告），不以 0 代替。
- 单元格内写明单位的金额（`1,234.5万元`、`12.3亿`）按其单位换算为万元并给出警告；单位无法识别为错误。
- 期间以文本或日期填写。数值形式的期间（Excel 会把 `2022.10` 存成 2022.1）无法区分 1 月与 10 月，列为错误，
  绝不按 1 月读取；`2022.11`、`2022.12`、`202211` 等无歧义的数值期间可读，并给出警告。
- 期间同时从单元格、文件名与所在文件夹（`YYYY-MM`）读取，任何不一致即为该文件的错误，该文件不入库。
- 同一批次中，同一企业、同一报表、同一期间收到多份文件时，标明更正（文件名含“更正”“修订”、`版本` 单元格、
  或“(1)”等后一份副本）或文件修改时间较晚者为准；问题清单逐一列出每次替代。更正版中未通过校验的行
  不会删除此前已接收的同一行：原行继续有效，直至收到通过校验的新版本，问题清单对此逐行说明。
"""
# --- issue 14 (end) ----------------------------------------------------------------------------------
