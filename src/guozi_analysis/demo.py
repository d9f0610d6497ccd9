"""Deterministic synthetic demo district (澜海区) as of 2022-11-30.

:func:`generate_demo` writes what a district supervisor actually receives:
an enterprise roster workbook, history CSVs for 2019-01..2021-12, one workbook
per group per month for 2022-01..2022-11 (Chinese headers, a units line), the
annual targets, a ``ground_truth.yaml`` listing the enterprises that cross
the debt-risk lines in 2022-11 by construction, and a short README.

Everything is fictional. The figures are internally consistent: assets =
liabilities + equity, operating profit / total profit / net profit identities
close, YTD revenue and costs never fall within a year, interest-bearing debt
items equal the sum of the debt register of the entity's whole tree, groups
report consolidated figures (their own company + subsidiaries − eliminations).

Regeneration is byte-identical: workbook timestamps and zip entry times are
fixed, rows are sorted, numbers rounded to 0.01.
"""

from __future__ import annotations

import calendar
import csv
import io
import math
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from guozi_analysis.base.config import DEMO_DIR
from guozi_analysis.base.contract import TABLES, table

__all__ = ["AS_OF", "DISTRICT_NAME", "DEFAULT_SEED", "build_demo_tables", "build_ledger_tables", "generate_demo",
           "xlsx_bytes"]

DISTRICT_NAME = "澜海区"
AS_OF = "2022-11"
DEFAULT_SEED = 20221130
#: Largest district ``generate_demo(enterprises=…)`` writes.
MAX_ENTERPRISES = 50_000
FIXED_TIME = datetime(2022, 12, 1, 0, 0, 0)
_ZIP_TIME = (2022, 12, 1, 0, 0, 0)
_Y0 = 2019  # month index 0 = 2019-01
_T = 47  # 2019-01 .. 2022-11
_ASOF_IDX = _T - 1

# --------------------------------------------------------------------------
# roster (fixed, fictional)

# id, name, short name, industry, function, parent's stake %, profile
_ROSTER_SPEC = (
    ("G01", "澜海城市建设投资集团有限公司", "澜海城投集团", "非工业", "功能类", 100.0, "holding"),
    ("G01-01", "澜海城建开发有限公司", "城建开发", "非工业", "功能类", 100.0, "platform"),
    ("G01-01-01", "澜海城建物业服务有限公司", "城建物业", "非工业", "竞争类", 100.0, "service"),
    ("G01-01-02", "澜海市政设计研究院有限公司", "市政设计院", "科研设计", "竞争类", 70.0, "design"),
    ("G01-02", "澜海土地整理开发有限公司", "土地整理", "非工业", "功能类", 100.0, "platform"),
    ("G01-03", "澜海建材科技有限公司", "建材科技", "工业", "竞争类", 65.0, "industrial"),
    ("G01-04", "澜海城投融资担保有限公司", "城投担保", "非工业", "功能类", 100.0, "platform"),
    ("G01-05", "澜海安居置业有限公司", "安居置业", "非工业", "功能类", 100.0, "platform"),
    ("G01-06", "澜海建设工程有限公司", "建设工程", "非工业", "竞争类", 80.0, "service"),
    ("G01-06-01", "澜海路桥养护有限公司", "路桥养护", "非工业", "公益类", 100.0, "public"),
    ("G02", "澜海交通投资集团有限公司", "澜海交投集团", "非工业", "功能类", 100.0, "holding"),
    ("G02-01", "澜海公共交通有限公司", "公交公司", "非工业", "公益类", 100.0, "public"),
    ("G02-02", "澜海港航发展有限公司", "港航发展", "非工业", "功能类", 100.0, "platform"),
    ("G02-02-01", "澜海港口物流有限公司", "港口物流", "非工业", "竞争类", 60.0, "service"),
    ("G02-03", "澜海交通建设有限公司", "交通建设", "非工业", "功能类", 100.0, "platform"),
    ("G02-04", "澜海智慧停车有限公司", "智慧停车", "非工业", "竞争类", 51.0, "service"),
    ("G02-05", "澜海轨道交通投资有限公司", "轨交投资", "非工业", "功能类", 100.0, "platform"),
    ("G03", "澜海产业发展集团有限公司", "澜海产发集团", "工业", "竞争类", 100.0, "holding"),
    ("G03-01", "澜海产业投资有限公司", "产发投资", "非工业", "竞争类", 100.0, "service"),
    ("G03-02", "澜海智能装备有限公司", "智能装备", "工业", "竞争类", 75.0, "industrial"),
    ("G03-02-01", "澜海精密机械有限公司", "精密机械", "工业", "竞争类", 60.0, "industrial"),
    ("G03-03", "澜海新材料科技有限公司", "新材料科技", "工业", "竞争类", 70.0, "industrial"),
    ("G03-04", "澜海科创园区发展有限公司", "科创园区", "非工业", "功能类", 100.0, "platform"),
    ("G03-04-01", "澜海人才创业投资有限公司", "人才创投", "非工业", "竞争类", 100.0, "service"),
    ("G03-05", "澜海电子信息产业有限公司", "电子信息", "工业", "竞争类", 67.0, "industrial"),
    ("G03-06", "澜海工业设计研究院有限公司", "工业设计院", "科研设计", "竞争类", 100.0, "design"),
    ("G04", "澜海文化旅游集团有限公司", "澜海文旅集团", "非工业", "竞争类", 100.0, "holding"),
    ("G04-01", "澜海旅游开发有限公司", "旅游开发", "非工业", "竞争类", 100.0, "platform"),
    ("G04-02", "澜海文化传媒有限公司", "文化传媒", "非工业", "竞争类", 100.0, "service"),
    ("G04-03", "澜海海湾酒店管理有限公司", "海湾酒店", "非工业", "竞争类", 100.0, "service"),
    ("G04-04", "澜海体育发展有限公司", "体育发展", "非工业", "公益类", 100.0, "public"),
    ("G04-05", "澜海会展服务有限公司", "会展服务", "非工业", "竞争类", 55.0, "service"),
    ("G04-05-01", "澜海广告营销有限公司", "广告营销", "非工业", "竞争类", 100.0, "service"),
    ("G05", "澜海水务环境集团有限公司", "澜海水务集团", "非工业", "公益类", 100.0, "holding"),
    ("G05-01", "澜海自来水有限公司", "自来水公司", "非工业", "公益类", 100.0, "public"),
    ("G05-02", "澜海污水处理有限公司", "污水处理", "非工业", "公益类", 100.0, "public"),
    ("G05-03", "澜海环境卫生服务有限公司", "环卫服务", "非工业", "公益类", 100.0, "public"),
    ("G05-04", "澜海生态建设有限公司", "生态建设", "非工业", "功能类", 100.0, "platform"),
    ("G05-04-01", "澜海园林绿化有限公司", "园林绿化", "非工业", "竞争类", 100.0, "service"),
    ("G05-05", "澜海水务工程设计有限公司", "水务设计", "科研设计", "竞争类", 80.0, "design"),
    ("G06", "澜海区城市更新投资建设运营有限公司", "城市更新公司", "非工业", "功能类", 100.0, "holding"),
    ("G06-01", "澜海旧城改造建设有限公司", "旧改建设", "非工业", "功能类", 100.0, "platform"),
    ("G06-02", "澜海城市更新置业有限公司", "更新置业", "非工业", "功能类", 100.0, "platform"),
    ("G06-03", "澜海保障房运营有限公司", "保障房运营", "非工业", "公益类", 100.0, "public"),
    ("G06-04", "澜海城市运营服务有限公司", "城市运营", "非工业", "竞争类", 100.0, "service"),
    ("G06-04-01", "澜海社区商业管理有限公司", "社区商业", "非工业", "竞争类", 100.0, "service"),
)

#: 主营业务 of each roster enterprise (the roster's main_business column; profiles open with it).
_MAIN_BUSINESS = {
    "G01": "城市基础设施投资建设、土地一级开发和城市资源经营",
    "G01-01": "片区综合开发和城市基础设施代建",
    "G01-01-01": "住宅、公共建筑物业管理服务",
    "G01-01-02": "市政道路、桥梁和给排水工程设计咨询",
    "G01-02": "土地收储、整理和一级开发",
    "G01-03": "商品混凝土、装配式建筑构件生产销售",
    "G01-04": "为区属企业和中小企业提供融资担保",
    "G01-05": "保障性住房和安置房建设、销售",
    "G01-06": "房屋建筑和市政工程施工总承包",
    "G01-06-01": "城市道路、桥梁养护和应急抢修",
    "G02": "交通基础设施投资建设和公共交通运营",
    "G02-01": "城市公共汽车客运",
    "G02-02": "港口码头、航道投资建设和运营",
    "G02-02-01": "港口装卸、仓储和物流配送",
    "G02-03": "区内道路、桥梁和交通枢纽建设",
    "G02-04": "公共停车场投资建设和智慧停车运营",
    "G02-05": "轨道交通项目投资和沿线资源开发",
    "G03": "产业投资、园区开发和先进制造",
    "G03-01": "产业项目股权投资和产业基金管理",
    "G03-02": "智能装备研发、制造和销售",
    "G03-02-01": "精密零部件加工制造",
    "G03-03": "新型材料研发、生产和销售",
    "G03-04": "科技园区开发建设、招商和运营服务",
    "G03-04-01": "人才创业项目天使投资和孵化服务",
    "G03-05": "电子元器件和信息产品制造",
    "G03-06": "工业产品设计和技术咨询服务",
    "G04": "文化旅游资源开发、酒店和会展经营",
    "G04-01": "旅游景区开发建设和运营",
    "G04-02": "文化传媒、广告和演艺活动",
    "G04-03": "酒店经营管理",
    "G04-04": "公共体育场馆运营和全民健身服务",
    "G04-05": "会议展览组织和配套服务",
    "G04-05-01": "广告策划和营销推广服务",
    "G05": "城乡供水、污水处理和生态环境治理",
    "G05-01": "城市自来水生产和供应",
    "G05-02": "城镇污水收集处理",
    "G05-03": "道路清扫保洁和垃圾收运",
    "G05-04": "生态修复、河道治理工程建设",
    "G05-04-01": "园林绿化工程施工和养护",
    "G05-05": "水务工程勘察设计",
    "G06": "城市更新项目投资、建设和运营",
    "G06-01": "旧城区改建和棚户区改造",
    "G06-02": "城市更新片区物业开发和租售",
    "G06-03": "保障性租赁住房运营管理",
    "G06-04": "城市公共空间和设施运营服务",
    "G06-04-01": "社区商业物业招商和运营管理",
}

#: Consolidated total assets of each group at 2022-11, 万元 (before noise).
_GROUP_ASSETS = {"G01": 6.0e6, "G02": 3.8e6, "G03": 2.3e6, "G04": 1.3e6, "G05": 2.6e6, "G06": 2.0e6}

#: Risk ground truth, fixed by construction.
_RISK_DEBT_RATIO = {"G01-05": (0.82, 0.86), "G03-02-01": (0.81, 0.87)}
_RISK_COVERAGE = "G04-03"
_RISK_WALL = "G04"
_WALL_MONTH = (2023, 3)

# issue 19: the financial subsidiary whose 营业总收入 includes 利息收入 and 手续费及佣金收入 (so 营业收入 is smaller),
# the share of that financial-business income by year, 租赁负债 of the lessee profiles from 2021 (new lease standard)
# and the perpetual notes classed as equity: all deterministic, no random draws.
_FINANCE_SUBSIDIARY = "G01-04"
#: Lowest 已获利息倍数 (interest incurred) of the enterprises not designed to cross a line.
_MIN_OTHER_COVERAGE = 0.5
_FINANCE_INCOME_SHARE = {2019: 0.30, 2020: 0.34, 2021: 0.38, 2022: 0.44}
_LEASE_PROFILES = {"service": 0.006, "public": 0.004}
_LEASE_FROM = (2021, 1)
_PERPETUAL = {"G02": (100000.0, (2021, 9)), "G05": (60000.0, (2022, 4))}

# Units some groups use in their 2022 workbooks (exercises the unit conversion on intake).
_UNIT_OVERRIDES = {("G05", "financials"): "元", ("G02", "debts"): "亿元"}


def _parent(eid: str) -> str | None:
    return eid.rsplit("-", 1)[0] if "-" in eid else None


def _group(eid: str) -> str:
    return eid.split("-")[0]


def _level(eid: str) -> int:
    return eid.count("-") + 1


def _gidx(year: int, month: int) -> int:
    return (year - _Y0) * 12 + month - 1


def _ym(idx: int) -> tuple[int, int]:
    return _Y0 + idx // 12, idx % 12 + 1


def _period(idx: int) -> str:
    y, m = _ym(idx)
    return f"{y:04d}-{m:02d}"


def _month_end(idx: int) -> date:
    y, m = _ym(idx)
    return date(y, m, _days_in_month(y, m))


def _days_in_month(year: int, month: int) -> int:
    """Number of days in a month."""

    return calendar.monthrange(year, month)[1]


def _add_months(d: date, months: int) -> date:
    idx = d.year * 12 + d.month - 1 + months
    y, m = divmod(idx, 12)
    return date(y, m + 1, min(d.day, _days_in_month(y, m + 1)))


def _idx_of(d: date) -> int:
    return _gidx(d.year, d.month)


def _r2(x: float) -> float:
    return float(round(float(x), 2))


# --------------------------------------------------------------------------
# entities


@dataclass
class _Entity:
    eid: str
    name: str
    short: str
    industry: str
    function: str
    stake: float
    profile: str
    children: list[str] = field(default_factory=list)
    p: dict = field(default_factory=dict)  # parameters
    own: dict = field(default_factory=dict)  # own monthly arrays
    rep: dict = field(default_factory=dict)  # reported monthly arrays


def _entities() -> dict[str, _Entity]:
    ents = {s[0]: _Entity(*s) for s in _ROSTER_SPEC}
    for e in ents.values():
        par = _parent(e.eid)
        if par:
            ents[par].children.append(e.eid)
    return ents


def _tree(ents: dict[str, _Entity], eid: str) -> list[str]:
    out = [eid]
    for c in ents[eid].children:
        out += _tree(ents, c)
    return out


_PROFILE = {
    # turnover, ratio range, ibd share, cost ratio, sell, admin, rd, subsidy, productivity, ca share, cap share
    "holding": dict(turn=(0.02, 0.04), ratio=(0.36, 0.46), ibd=(0.60, 0.68), cost=(0.55, 0.7), sell=0.002,
                    admin=(0.08, 0.12), rd=0.0, sub=(0.02, 0.05), prod=300, ca=(0.35, 0.5), cap=0.55, weight=0.0),
    "platform": dict(turn=(0.06, 0.10), ratio=(0.52, 0.64), ibd=(0.58, 0.68), cost=(0.8, 0.88), sell=0.004,
                     admin=(0.03, 0.05), rd=0.001, sub=(0.03, 0.06), prod=160, ca=(0.55, 0.7), cap=0.7, weight=1.0),
    "industrial": dict(turn=(0.7, 1.05), ratio=(0.45, 0.62), ibd=(0.35, 0.5), cost=(0.78, 0.84), sell=0.03,
                       admin=(0.04, 0.06), rd=0.035, sub=(0.005, 0.01), prod=95, ca=(0.5, 0.65), cap=0.1, weight=0.35),
    "service": dict(turn=(0.35, 0.7), ratio=(0.38, 0.58), ibd=(0.3, 0.48), cost=(0.72, 0.8), sell=0.03,
                    admin=(0.06, 0.09), rd=0.003, sub=(0.005, 0.01), prod=40, ca=(0.3, 0.5), cap=0.1, weight=0.2),
    "public": dict(turn=(0.12, 0.25), ratio=(0.42, 0.6), ibd=(0.45, 0.58), cost=(0.88, 0.95), sell=0.002,
                   admin=(0.04, 0.06), rd=0.002, sub=(0.05, 0.1), prod=28, ca=(0.2, 0.35), cap=0.3, weight=0.45),
    "design": dict(turn=(0.6, 0.9), ratio=(0.3, 0.45), ibd=(0.1, 0.2), cost=(0.68, 0.75), sell=0.01,
                   admin=(0.06, 0.08), rd=0.07, sub=(0.005, 0.01), prod=45, ca=(0.55, 0.7), cap=0.0, weight=0.07),
}

_SEASON = np.array([0.075, 0.06, 0.08, 0.08, 0.082, 0.085, 0.08, 0.082, 0.083, 0.085, 0.088, 0.12])
_SPRING_FESTIVAL_MONTH = {2019: 2, 2020: 1, 2021: 2, 2022: 2}


def _params(ents: dict[str, _Entity], rng: np.random.Generator) -> None:
    for g, gta in _GROUP_ASSETS.items():
        members = _tree(ents, g)
        subs = [m for m in members if m != g]
        w = np.array([_PROFILE[ents[m].profile]["weight"] * rng.lognormal(0, 0.4) for m in subs])
        w = 0.62 * w / w.sum()
        total_own = gta * 1.25
        ents[g].p["ta"] = total_own * 0.38
        for m, wi in zip(subs, w):
            ents[m].p["ta"] = total_own * wi
    for e in ents.values():
        pr = _PROFILE[e.profile]
        p = e.p
        p["growth"] = rng.uniform(0.04, 0.11)
        p["turn"] = rng.uniform(*pr["turn"])
        r1 = rng.uniform(*pr["ratio"])
        if e.eid in _RISK_DEBT_RATIO:
            r1 = rng.uniform(*_RISK_DEBT_RATIO[e.eid])
            r0 = rng.uniform(0.72, 0.77)
        else:
            r0 = float(np.clip(r1 + rng.uniform(-0.05, 0.05), 0.28, 0.66))
        p["r0"], p["r1"] = r0, r1
        p["ibd"] = rng.uniform(*pr["ibd"])
        p["notes"] = rng.uniform(0.03, 0.06) if e.profile == "industrial" else rng.uniform(0.0, 0.01)
        p["cost"] = rng.uniform(*pr["cost"])
        p["tas"] = rng.uniform(0.008, 0.015)
        p["sell"] = pr["sell"] * rng.uniform(0.7, 1.3)
        p["admin"] = rng.uniform(*pr["admin"])
        p["rd"] = pr["rd"] * rng.uniform(0.8, 1.2)
        p["sub"] = rng.uniform(*pr["sub"])
        p["prod"] = 2.5 * pr["prod"] * rng.lognormal(0, 0.2)
        p["ca"] = rng.uniform(*pr["ca"])
        p["cap"] = pr["cap"]
        p["fin"] = rng.uniform(0.9, 1.0)
        p["tax_rate"] = 0.15 if e.profile in ("industrial", "design") else 0.25
        p["salary"] = rng.uniform(12, 20)
        p["fa"] = rng.uniform(0.1, 0.4)
        p["cash"] = rng.uniform(0.12, 0.28)
        p["ar"] = rng.uniform(0.1, 0.25)
        p["inv"] = rng.uniform(0.35, 0.5) if e.profile in ("platform", "holding") else rng.uniform(0.05, 0.25)
        p["contract"] = rng.uniform(0.02, 0.08)
        parts = p["cash"] + p["ar"] + p["inv"] + p["contract"]
        if parts > 0.85:
            for k in ("cash", "ar", "inv", "contract"):
                p[k] *= 0.85 / parts
        p["collect"] = rng.uniform(0.9, 1.02)
        p["cf_margin"] = rng.uniform(-0.05, 0.1) if e.profile in ("platform", "holding") else rng.uniform(0.04, 0.14)
        p["pic"] = rng.uniform(0.25, 0.5)
        p["elim"] = rng.uniform(0.02, 0.05)
        p["own_minority"] = rng.uniform(0.0, 0.04) if e.function == "竞争类" else 0.0


# --------------------------------------------------------------------------
# balance-sheet paths and the debt register

_TYPES = ("银行贷款", "企业债券", "中期票据", "短期融资券", "融资租赁", "信托及其他非标")
_TYPE_MIX = {
    "holding": (0.42, 0.2, 0.15, 0.05, 0.09, 0.09),
    "platform": (0.52, 0.1, 0.1, 0.03, 0.12, 0.13),
    "industrial": (0.8, 0, 0, 0, 0.15, 0.05),
    "service": (0.8, 0, 0, 0, 0.15, 0.05),
    "public": (0.8, 0, 0, 0, 0.2, 0),
    "design": (0.9, 0, 0, 0, 0.1, 0),
}
_TERMS = {
    "银行贷款": ((12, 24, 36, 60, 96), (0.35, 0.15, 0.25, 0.15, 0.1)),
    "企业债券": ((60, 84), (0.6, 0.4)),
    "中期票据": ((36, 60), (0.5, 0.5)),
    "短期融资券": ((12,), (1.0,)),
    "融资租赁": ((36, 60), (0.5, 0.5)),
    "信托及其他非标": ((24, 36), (0.5, 0.5)),
}
_TYPE_SPREAD = {"银行贷款": 0.0, "企业债券": 0.2, "中期票据": -0.1, "短期融资券": -1.0, "融资租赁": 1.0,
                "信托及其他非标": 1.9}
_BASE_RATE = {2018: 5.7, 2019: 5.4, 2020: 4.95, 2021: 4.7, 2022: 4.2}
_DIRECT = {"企业债券", "中期票据", "短期融资券"}


@dataclass
class _Debt:
    debt_id: str
    eid: str
    kind: str
    amount: float
    rate: float
    issue: date
    maturity: date

    @property
    def i0(self) -> int:
        return _idx_of(self.issue)

    @property
    def i1(self) -> int:
        return _idx_of(self.maturity)


def _paths(ents: dict[str, _Entity], rng: np.random.Generator) -> None:
    t = np.arange(_T)
    for e in ents.values():
        p = e.p
        noise = np.cumsum(rng.normal(0, 0.01, _T))
        noise -= noise[-1]
        ta = p["ta"] * np.exp(p["growth"] * (t - _ASOF_IDX) / 12 + 0.3 * noise)
        ratio = p["r1"] + (p["r0"] - p["r1"]) * (1 - t / _ASOF_IDX)
        ratio = ratio + np.r_[rng.normal(0, 0.006, _T - 1), 0.0]
        if e.eid not in _RISK_DEBT_RATIO:
            ratio = np.clip(ratio, 0.25, 0.68)
        e.own["ta"] = ta
        e.own["ratio"] = ratio
        e.own["ibd_target"] = ta * ratio * p["ibd"]


def _pick_type(e: _Entity, rng, *, long_only=False) -> tuple[str, int]:
    mix = np.array(_TYPE_MIX[e.profile], dtype=float)
    kind = _TYPES[rng.choice(len(_TYPES), p=mix / mix.sum())]
    terms, probs = _TERMS[kind]
    term = int(rng.choice(terms, p=probs))
    if long_only and term <= 12:
        kind, term = "银行贷款", 36
    return kind, term


def _rate(e: _Entity, kind: str, issue_year: int, rng) -> float:
    base = _BASE_RATE.get(issue_year, 5.6 if issue_year < 2018 else 4.2)
    spread = _TYPE_SPREAD[kind] + (0.35 if e.function == "竞争类" and e.profile != "holding" else 0.0)
    spread += -0.25 if e.profile == "holding" else 0.0
    return float(np.clip(round(base + spread + rng.normal(0, 0.22), 2), 3.0, 7.0))


def _debts(ents: dict[str, _Entity], rng: np.random.Generator) -> list[_Debt]:
    asof_end = _month_end(_ASOF_IDX)
    debts: list[_Debt] = []
    counters = {k: 0 for k in ents}

    def new(e, kind, amount, issue, maturity):
        counters[e.eid] += 1
        d = _Debt(f"{e.eid}-D{counters[e.eid]:03d}", e.eid, kind, _r2(amount), _rate(e, kind, issue.year, rng),
                  issue, maturity)
        debts.append(d)
        return d

    # 1) the register outstanding at the as-of date: spread near-term maturities evenly
    for e in ents.values():
        b = float(e.own["ibd_target"][_ASOF_IDX])
        k = int(rng.integers(4, 6))
        months = np.sort(rng.choice(np.arange(1, 13), size=k, replace=False))
        w = rng.uniform(0.85, 1.15, k)
        near_total = b * rng.uniform(0.25, 0.38)
        for mo, wi in zip(months, w / w.sum()):
            kind, term = _pick_type(e, rng)
            day = int(rng.integers(5, 26))
            mat = _add_months(date(asof_end.year, asof_end.month, day), int(mo))
            new(e, kind, near_total * wi, _add_months(mat, -term), mat)
        n_far = int(rng.integers(2, 5))
        wf = rng.uniform(0.5, 1.5, n_far)
        for wi in wf / wf.sum():
            kind, term = _pick_type(e, rng, long_only=True)
            issue_idx = int(rng.integers(_ASOF_IDX - term + 13, _ASOF_IDX + 1))
            y, m = _ym(issue_idx)
            issue = date(y, m, int(rng.integers(5, 26)))
            new(e, kind, (b - near_total) * wi, issue, _add_months(issue, term))

    # 2) the maturity wall: one large bond of the wall group falling due in one month
    wall_ids = set(_tree(ents, _RISK_WALL))
    window = [d for d in debts if d.eid in wall_ids and d.i0 <= _ASOF_IDX < d.i1 <= _ASOF_IDX + 12]
    wall_amount = 1.3 * sum(d.amount for d in window)
    wall_mat = date(_WALL_MONTH[0], _WALL_MONTH[1], 18)
    new(ents[_RISK_WALL], "企业债券", wall_amount, _add_months(wall_mat, -60), wall_mat)

    # 3) history: instruments that matured before the as-of date, filled backwards
    for e in ents.values():
        mine = [d for d in debts if d.eid == e.eid]
        bal = np.zeros(_T)
        for d in mine:
            bal[max(d.i0, 0):max(min(d.i1, _T), 0)] += d.amount
        for t in range(_ASOF_IDX - 1, -1, -1):
            target = e.own["ibd_target"][t]
            if bal[t] >= 0.92 * target:
                continue
            kind, term = _pick_type(e, rng)
            hi = min(t + term, _ASOF_IDX)
            m_idx = int(rng.integers(t + 1, hi + 1))
            y, m = _ym(m_idx)
            mat = date(y, m, int(rng.integers(5, 26)))
            d = new(e, kind, (target - bal[t]) * rng.uniform(1.0, 1.1), _add_months(mat, -term), mat)
            bal[max(d.i0, 0):min(d.i1, _T)] += d.amount
    return debts


def _debt_arrays(ents: dict[str, _Entity], debts: list[_Debt]) -> None:
    names = ("short_term_borrowings", "current_portion_long_term_debt", "long_term_borrowings",
             "bonds_payable", "other_interest_bearing_debt")
    for e in ents.values():
        for n in names:
            e.own[n] = np.zeros(_T)
        e.own["interest_cost"] = np.zeros(_T)
    t = np.arange(_T)
    for d in debts:
        e = ents[d.eid]
        live = (t >= d.i0) & (t < d.i1)
        remaining = d.i1 - t
        term = d.i1 - d.i0
        short = np.full(_T, term <= 12)
        due = remaining <= 12
        if d.kind == "银行贷款":
            st = live & short
            cp = live & ~short & due
            lt = live & ~short & ~due
            e.own["short_term_borrowings"][st] += d.amount
            e.own["current_portion_long_term_debt"][cp] += d.amount
            e.own["long_term_borrowings"][lt] += d.amount
        elif d.kind in ("企业债券", "中期票据"):
            e.own["current_portion_long_term_debt"][live & due] += d.amount
            e.own["bonds_payable"][live & ~due] += d.amount
        elif d.kind == "短期融资券":
            e.own["other_interest_bearing_debt"][live] += d.amount
        else:
            e.own["current_portion_long_term_debt"][live & due & ~short] += d.amount
            e.own["other_interest_bearing_debt"][live & (~due | short)] += d.amount
        e.own["interest_cost"][live] += d.amount * d.rate / 1200.0
    for e in ents.values():
        e.own["ibd"] = sum(e.own[n] for n in names)


# --------------------------------------------------------------------------
# flows


def _season(year: int, eid: str, profile: str) -> np.ndarray:
    s = _SEASON.copy()
    if profile in ("platform", "holding"):
        s[11] += 0.08
    s[_SPRING_FESTIVAL_MONTH[year] - 1] *= 0.8
    if year == 2020:
        s[1:4] *= 0.7
    if year == 2022 and _group(eid) == "G04":
        s[3:5] *= 0.6
    return s / s.sum()


def _flows(ents: dict[str, _Entity], rng: np.random.Generator) -> None:
    months = np.arange(_T)
    for e in ents.values():
        p = e.p
        annual_2022 = p["ta"] * p["turn"]
        rev = np.zeros(_T)
        for y in range(2019, 2023):
            level = annual_2022 / (1 + p["growth"]) ** (2022 - y)
            if y == 2020:
                level *= 0.6 if _group(e.eid) == "G04" else 0.94
            if y == 2022 and _group(e.eid) == "G04":
                level *= 0.72 if e.eid == _RISK_COVERAGE else 0.88
            s = _season(y, e.eid, e.profile)
            for m in range(12):
                idx = _gidx(y, m + 1)
                if idx < _T:
                    rev[idx] = level * s[m] * rng.lognormal(0, 0.08)
        dec = np.array([_ym(i)[1] == 12 for i in months])
        cost_ratio = np.clip(p["cost"] + rng.normal(0, 0.02, _T) + 0.03 * dec, 0.3, 1.3)
        o = e.own
        o["revenue"] = rev
        fin_share = np.array([_FINANCE_INCOME_SHARE[_ym(i)[0]] for i in months]) \
            if e.eid == _FINANCE_SUBSIDIARY else np.zeros(_T)
        o["operating_revenue"] = rev * (1.0 - fin_share)
        o["operating_cost"] = rev * cost_ratio
        o["taxes_and_surcharges"] = rev * p["tas"]
        o["selling_expenses"] = rev * p["sell"] * rng.lognormal(0, 0.05, _T)
        year_level = np.array([annual_2022 / (1 + p["growth"]) ** (2022 - _ym(i)[0]) for i in months])
        o["admin_expenses"] = year_level * p["admin"] / 12 * np.where(dec, 1.8, 0.93) * rng.lognormal(0, 0.05, _T)
        o["rd_expenses"] = rev * p["rd"] * np.where(dec, 1.5, 1.0)
        cost = o["interest_cost"]
        o["interest_expense"] = cost * (1 - p["cap"])
        o["capitalized_interest"] = cost * p["cap"]
        o["financial_expenses"] = o["interest_expense"] * p["fin"] + rev * 0.001
        inv_rate = 0.004 if e.profile == "holding" else 0.0004
        o["investment_income"] = o["ta"] * inv_rate / 12 * np.where(dec, 3.0, 0.82) * rng.lognormal(0, 0.2, _T)
        o["other_gains"] = rev * p["sub"] * rng.lognormal(0, 0.1, _T)
        o["non_operating_income"] = rev * 0.002 * rng.lognormal(0, 0.3, _T)
        o["non_operating_expenses"] = rev * 0.001 * rng.lognormal(0, 0.3, _T)
        hc = annual_2022 / p["prod"] * (1.02 ** ((months - _ASOF_IDX) / 12)) * rng.lognormal(0, 0.005, _T)
        o["headcount"] = np.maximum(np.round(hc), 12)
        o["employee_compensation"] = o["headcount"] * p["salary"] / 12 * np.where(dec, 2.0, 0.91)
        o["depreciation"] = o["ta"] * p["fa"] * 0.045 / 12
        o["rd_investment"] = o["rd_expenses"] * 1.12
        o["cash_from_sales"] = rev * 1.09 * np.clip(rng.normal(p["collect"], 0.06, _T), 0.6, 1.3)
        o["operating_cash_inflow"] = o["cash_from_sales"] + o["other_gains"] + rev * 0.02
        o["net_operating_cash_flow"] = o["operating_cash_inflow"] * (p["cf_margin"] + rng.normal(0, 0.08, _T))
        inc = np.zeros(_T)
        dcr = np.zeros(_T)
        events = {("G01", 2020, 12): 80000.0, ("G06", 2021, 6): 50000.0, ("G05", 2022, 5): 30000.0,
                  ("G02", 2019, 9): 20000.0}
        for (eid, y, m), v in events.items():
            if eid == e.eid:
                inc[_gidx(y, m)] = v
        if e.eid == "G04":
            dcr[_gidx(2022, 7)] = 5000.0
        o["state_capital_objective_increase"] = inc
        o["state_capital_objective_decrease"] = dcr


_ADDITIVE = (
    "revenue", "operating_revenue", "operating_cost", "taxes_and_surcharges", "selling_expenses", "admin_expenses", "rd_expenses",
    "financial_expenses", "interest_expense", "capitalized_interest", "investment_income", "other_gains",
    "non_operating_income", "non_operating_expenses", "employee_compensation", "depreciation", "rd_investment",
    "cash_from_sales", "operating_cash_inflow", "net_operating_cash_flow", "state_capital_objective_increase",
    "state_capital_objective_decrease", "headcount", "ibd", "short_term_borrowings",
    "current_portion_long_term_debt", "long_term_borrowings", "bonds_payable", "other_interest_bearing_debt",
)


def _tp_monthly(r: dict) -> np.ndarray:
    op = (r["revenue"] - r["operating_cost"] - r["taxes_and_surcharges"] - r["selling_expenses"]
          - r["admin_expenses"] - r["rd_expenses"] - r["financial_expenses"] + r["investment_income"]
          + r["other_gains"])
    return op + r["non_operating_income"] - r["non_operating_expenses"]


def _months_of_2022() -> slice:
    return slice(_gidx(2022, 1), _ASOF_IDX + 1)


def _consolidate(ents: dict[str, _Entity], rng: np.random.Generator) -> None:
    order = sorted(ents, key=lambda k: (-_level(k), k))
    s22 = _months_of_2022()
    for eid in order:
        e = ents[eid]
        r = {k: e.own[k].copy() for k in _ADDITIVE}
        kids = [ents[c] for c in e.children]
        for c in kids:
            for k in _ADDITIVE:
                r[k] = r[k] + c.rep[k]
        if kids:
            kid_rev = sum(c.rep["revenue"] for c in kids)
            kid_cash = sum(c.rep["cash_from_sales"] for c in kids)
            el = e.p["elim"]
            r["revenue"] -= el * kid_rev
            r["operating_revenue"] -= el * sum(c.rep["operating_revenue"] for c in kids)
            r["operating_cost"] -= el * kid_rev
            r["cash_from_sales"] -= el * kid_cash
            r["operating_cash_inflow"] -= el * kid_cash
        # earlier years: loss-making platforms receive subsidies (except the 2020 tourism slump)
        for y in (2019, 2020, 2021):
            sy = slice(_gidx(y, 1), _gidx(y, 12) + 1)
            if y == 2020 and _group(eid) == "G04":
                continue
            tp_y, ie_y = _tp_monthly(r)[sy].sum(), r["interest_expense"][sy].sum()
            if tp_y < 0.8 * ie_y:
                wy = r["revenue"][sy] / r["revenue"][sy].sum()
                r["other_gains"][sy] += (rng.uniform(0.9, 2.0) * ie_y - tp_y) * wy
        # interest coverage at the as-of date, by construction
        tp = _tp_monthly(r)[s22].sum()
        ie = r["interest_expense"][s22].sum()
        w = r["revenue"][s22] / r["revenue"][s22].sum()
        if eid == _RISK_COVERAGE:
            target = -rng.uniform(1.8, 2.4) * ie
            if tp > target:
                r["operating_cost"][s22] += (tp - target) * w
        elif tp < 1.0 * ie:
            target = rng.uniform(1.1, 2.2) * ie
            r["other_gains"][s22] += (target - tp) * w
        e.rep = r
        _balance_sheet(ents, e)


def _balance_sheet(ents: dict[str, _Entity], e: _Entity) -> None:
    r, o, p = e.rep, e.own, e.p
    kids = [ents[c] for c in e.children]
    ns = p["notes"]
    if not kids:
        tl = o["ta"] * o["ratio"]
        tl = np.maximum(tl, r["ibd"] / (0.85 - ns))
        ta = tl / o["ratio"]
        minority = np.zeros(_T)
    else:
        own_tl = o["ta"] * o["ratio"]
        tl = own_tl + 0.97 * sum(c.rep["tl"] for c in kids)
        ta = (o["ta"] + sum(c.rep["ta"] for c in kids) - 0.03 * sum(c.rep["tl"] for c in kids)
              - 0.5 * sum(c.stake / 100 * (c.rep["ta"] - c.rep["tl"]) for c in kids))
        tl = np.maximum(tl, r["ibd"] / (0.85 - ns))
        ta = np.maximum(ta, tl / 0.70)
        minority = sum((1 - c.stake / 100) * (c.rep["ta"] - c.rep["tl"]) for c in kids)
    ta = np.round(ta, 2)
    tl = np.round(tl, 2)
    te = ta - tl
    r["ta"], r["tl"] = ta, tl
    r["minority"] = np.minimum(minority + p["own_minority"] * te, 0.45 * te)


# --------------------------------------------------------------------------
# tables


def _roster_table(ents: dict[str, _Entity]) -> pd.DataFrame:
    rows = []
    for e in ents.values():
        rows.append(dict(
            enterprise_id=e.eid, name=e.name, short_name=e.short, parent_id=_parent(e.eid),
            level=_level(e.eid), industry_class=e.industry, function_class=e.function,
            shareholding_pct=e.stake, is_group=_level(e.eid) == 1, main_business=_MAIN_BUSINESS[e.eid],
        ))
    return pd.DataFrame(rows)


def _ytd(a: np.ndarray, idx: int) -> float:
    y, m = _ym(idx)
    return float(a[_gidx(y, 1):idx + 1].sum())


def _financials_table(ents: dict[str, _Entity], rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for e in ents.values():
        r, p = e.rep, e.p
        ca_noise = rng.lognormal(0, 0.03, (_T, 5))
        for idx in range(_T):
            y, m = _ym(idx)
            if m == 1:
                continue
            f = {k: _ytd(r[k], idx) for k in (
                "revenue", "operating_revenue", "operating_cost", "taxes_and_surcharges", "selling_expenses", "admin_expenses",
                "rd_expenses", "financial_expenses", "interest_expense", "capitalized_interest", "investment_income",
                "other_gains", "non_operating_income", "non_operating_expenses", "employee_compensation",
                "depreciation", "rd_investment", "cash_from_sales", "operating_cash_inflow",
                "net_operating_cash_flow", "state_capital_objective_increase", "state_capital_objective_decrease")}
            f = {k: _r2(v) for k, v in f.items()}
            op = (f["revenue"] - f["operating_cost"] - f["taxes_and_surcharges"] - f["selling_expenses"]
                  - f["admin_expenses"] - f["rd_expenses"] - f["financial_expenses"] + f["investment_income"]
                  + f["other_gains"])
            f["operating_profit"] = _r2(op)
            f["total_profit"] = _r2(f["operating_profit"] + f["non_operating_income"] - f["non_operating_expenses"])
            f["income_tax"] = _r2(p["tax_rate"] * max(f["total_profit"], 0.0))
            f["net_profit"] = _r2(f["total_profit"] - f["income_tax"])
            ta, tl = float(r["ta"][idx]), float(r["tl"][idx])
            te = _r2(ta - tl)
            minority = _r2(max(float(r["minority"][idx]), 0.0))
            share_min = minority / te if te > 0 else 0.0
            f["net_profit_parent"] = _r2(f["net_profit"] * (1 - share_min))
            tas_vat = f["taxes_and_surcharges"] + 0.045 * f["revenue"]
            f["taxes_payable_total"] = _r2(tas_vat + f["income_tax"])
            f["taxes_paid"] = _r2(0.93 * f["taxes_payable_total"])
            ca = ta * p["ca"] * ca_noise[idx, 0]
            cash, ar, inv, con = (ca * p[k] * ca_noise[idx, i + 1] for i, k in enumerate(("cash", "ar", "inv",
                                                                                       "contract")))
            ibd = {k: _r2(r[k][idx]) for k in ("short_term_borrowings", "current_portion_long_term_debt",
                                               "long_term_borrowings", "bonds_payable",
                                               "other_interest_bearing_debt")}
            notes = _r2(tl * p["notes"])
            non_ibd = tl - sum(ibd.values()) - notes
            cl = ibd["short_term_borrowings"] + ibd["current_portion_long_term_debt"] + notes + 0.7 * non_ibd
            year_start = max(_gidx(y, 1) - 1, 0)
            te_start = float(r["ta"][year_start] - r["tl"][year_start])
            state_share = 1.0 if _level(e.eid) == 1 else e.stake / 100
            hc = r["headcount"]
            lease = sum(ents[m].own["ta"][idx] * _LEASE_PROFILES.get(ents[m].profile, 0.0)
                        for m in _tree(ents, e.eid)) if idx >= _gidx(*_LEASE_FROM) else 0.0
            perpetual = _PERPETUAL.get(e.eid, (0.0, (2100, 1)))
            perpetual = perpetual[0] if idx >= _gidx(*perpetual[1]) else 0.0
            row = dict(
                enterprise_id=e.eid, period=_period(idx),
                total_assets=_r2(ta), current_assets=_r2(ca), cash=_r2(cash), accounts_receivable=_r2(ar),
                inventory=_r2(inv), contract_assets=_r2(con), total_liabilities=_r2(tl),
                current_liabilities=_r2(cl), notes_payable=notes, **ibd, lease_liabilities=_r2(lease),
                perpetual_bonds=_r2(perpetual), total_equity=te,
                minority_equity=minority, paid_in_capital=_r2(p["pic"] * te_start),
                state_capital=_r2((te - minority) * state_share), **f,
                headcount_end=int(hc[idx]), headcount_avg=int(round(float(hc[_gidx(y, 1):idx + 1].mean()))),
            )
            rows.append(row)
    cols = table("financials").field_names
    return pd.DataFrame(rows)[cols]


def _debts_table(debts: list[_Debt]) -> pd.DataFrame:
    rows = []
    for d in debts:
        for idx in range(max(d.i0, 0), min(d.i1, _T)):
            rows.append(dict(debt_id=d.debt_id, enterprise_id=d.eid, period=_period(idx), instrument_type=d.kind,
                             is_direct_financing=d.kind in _DIRECT, balance=d.amount, annual_rate=d.rate,
                             issue_date=d.issue, maturity_date=d.maturity))
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------
# projects

_PLACES = ("东湾", "西澜", "南浦", "北塘", "望潮", "临港", "青屿", "白沙", "金滩", "银湖", "桃渚", "梅岙",
           "杨柳", "石门", "芦浦", "云岭", "翠屏", "海晏", "长岐", "枫岭", "蓬岛", "澄岸", "珠溪", "鹭洲")
_PROJECT_NAMES = {
    "基础设施": ("{p}路拓宽改造工程", "{p}大桥建设工程", "{p}综合管廊工程", "{p}片区市政配套工程", "{p}枢纽停车楼工程"),
    "产业项目": ("{p}智能制造产业园", "{p}新材料产业园标准厂房", "{p}集成电路配套园区", "{p}科创中心"),
    "民生工程": ("{p}学校新建工程", "{p}社区卫生服务中心", "{p}保障性租赁住房项目", "{p}农贸市场提升工程",
                 "{p}养老服务中心"),
    "城市更新": ("{p}老旧小区改造项目", "{p}未来社区项目", "{p}城中村改造项目", "{p}历史街区更新项目"),
    "生态治理": ("{p}河道综合整治工程", "{p}湿地公园工程", "{p}海塘安澜工程", "{p}污水管网提标改造工程"),
}
_PROJECT_OWNERS = {"G01": 0.35, "G02": 0.2, "G06": 0.18, "G05": 0.15, "G03": 0.08, "G04": 0.04}
_PROJECT_TYPES = {
    "G01": ("基础设施", "民生工程", "城市更新"), "G02": ("基础设施",), "G03": ("产业项目",),
    "G04": ("民生工程", "基础设施"), "G05": ("生态治理", "基础设施"), "G06": ("城市更新", "民生工程"),
}


def _projects(ents: dict[str, _Entity], rng: np.random.Generator):
    groups = list(_PROJECT_OWNERS)
    gp = np.array(list(_PROJECT_OWNERS.values()))
    n = 380
    used_names: set[str] = set()
    projects = []
    for k in range(n):
        g = groups[rng.choice(len(groups), p=gp / gp.sum())]
        cands = [m for m in _tree(ents, g) if ents[m].profile in ("holding", "platform", "public")
                 or (g == "G03" and ents[m].profile == "industrial")]
        owner = cands[rng.integers(len(cands))]
        ptype = _PROJECT_TYPES[g][rng.integers(len(_PROJECT_TYPES[g]))]
        name = ""
        for _ in range(50):
            tpl = _PROJECT_NAMES[ptype][rng.integers(len(_PROJECT_NAMES[ptype]))]
            name = tpl.format(p=_PLACES[rng.integers(len(_PLACES))])
            if name not in used_names:
                break
            name = name + "（二期）"
            if name not in used_names:
                break
        used_names.add(name)
        start = int(rng.integers(-42, 54))
        dur = int(rng.integers(24, 61))
        ti = float(np.clip(rng.lognormal(math.log(5500), 0.9), 800, 60000))
        projects.append(dict(project_id=f"XM{k + 1:04d}", owner=owner, name=name, ptype=ptype, start=start,
                             dur=dur, ti=ti, key=False,
                             emerging=ptype == "产业项目" and rng.random() < 0.7))
    # city-level key projects: the largest active ones in 2022
    active22 = [pj for pj in projects if pj["start"] <= _gidx(2022, 6) and pj["start"] + pj["dur"] > _gidx(2022, 3)
                and pj["ptype"] in ("基础设施", "生态治理", "城市更新", "产业项目")]
    for pj in active22[:12]:
        pj["key"] = True
        pj["ti"] = float(rng.uniform(50000, 180000))
        pj["dur"] = int(rng.integers(48, 73))
        pj["start"] = min(pj["start"], _gidx(2021, 9))
    for pj in projects:
        pj["ti"] = _r2(pj["ti"])
        _simulate_project(pj, rng)
    return projects


def _simulate_project(pj: dict, rng: np.random.Generator) -> None:
    """Monthly actual spend from start to 2023-12 (index relative to 2019-01)."""
    start, dur, ti = pj["start"], pj["dur"], pj["ti"]
    k = np.arange(dur)
    w = np.sin(np.pi * (k + 0.5) / dur) ** 0.5
    planned = dict(zip(start + k, ti * w / w.sum()))
    lo, hi = start, _gidx(2023, 12)
    actual = {}
    plans = {}
    cum = 0.0
    y0 = _ym(lo)[0]
    for y in range(y0, 2024):
        if cum >= ti - 0.005:
            break
        ys, ye = _gidx(y, 1), _gidx(y, 12)
        planned_cum_end = sum(v for i, v in planned.items() if i <= ye)
        remaining = ti - cum
        plan = min(max(planned_cum_end - cum, 0.0), remaining)
        if ye >= start + dur - 1:
            plan = remaining
        plan = _r2(plan)
        plans[y] = plan
        final = plan >= remaining - 0.005
        if final:
            f = rng.uniform(0.9, 1.1)
        else:
            f = rng.uniform(0.82, 1.04) if y < 2022 else rng.uniform(0.84, 1.02)
        act = min(plan * f, remaining)
        last = ye
        if final and f >= 0.97:
            act = remaining
            last = min(max(start + dur - 1, ys), ye)
        first = max(ys, start)
        nm = last - first + 1
        c = (np.arange(nm + 1) / nm) ** 1.15
        for j in range(nm):
            actual[first + j] = act * (c[j + 1] - c[j])
        cum += act
    pj["plans"] = plans
    idxs = sorted(actual)
    cum_series = {}
    running = 0.0
    for i in range(min(idxs, default=lo), hi + 1):
        running += actual.get(i, 0.0)
        cum_series[i] = min(running, ti)
    pj["cum"] = cum_series
    done = [i for i, v in cum_series.items() if v >= ti - 0.005]
    pj["finish"] = min(done) if done else None


def _project_rows(projects: list[dict]) -> pd.DataFrame:
    rows = []
    for pj in projects:
        start, ti = pj["start"], pj["ti"]
        sy, sm = _ym(start)
        start_date = date(sy, sm, 1 + (pj["dur"] * 7) % 10)
        end_date = _add_months(start_date, pj["dur"])
        fin = pj["finish"]

        def cum_at(i):
            if i < start:
                return 0.0
            return pj["cum"].get(i, pj["cum"][max(pj["cum"])] if pj["cum"] else 0.0)

        for idx in range(_T):
            y, m = _ym(idx)
            halves = ("H1", "H2") if y == 2022 else ("H2",)
            base = cum_at(_gidx(y, 1) - 1)
            for h in halves:
                cum = cum_at(idx) if h == "H2" else 0.5 * (cum_at(idx - 1) + cum_at(idx))
                if cum_at(idx) == 0.0 and h == "H1":
                    cum = 0.0
                if fin is not None and fin < _gidx(y, 1):
                    continue  # finished in an earlier year: off the list
                if idx < start:
                    if start <= _gidx(y, 12) + 6:
                        status = "储备"
                    else:
                        continue
                    cum, base_ = 0.0, 0.0
                elif fin is not None and fin <= idx and (h == "H2" or fin < idx):
                    status = "竣工"
                    base_ = base
                elif sy == y:
                    status = "新开工"
                    base_ = base
                else:
                    status = "续建"
                    base_ = base
                plan = pj["plans"].get(y, 0.0) if start <= _gidx(y, 12) else 0.0
                rows.append(dict(
                    project_id=pj["project_id"], enterprise_id=pj["owner"], period=f"{_period(idx)}-{h}",
                    project_name=pj["name"], project_type=pj["ptype"], status=status, is_city_key=pj["key"],
                    is_strategic_emerging=pj["emerging"], total_investment=ti, annual_plan=_r2(plan),
                    completed_ytd=_r2(max(cum - base_, 0.0)), completed_cumulative=_r2(cum),
                    start_date=start_date, planned_end_date=end_date,
                ))
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------
# other detail tables

_TARGET_PREFIX = ("曜澜", "汀舟", "岚序", "澄铄", "峪衡", "珀川", "翎拓", "栖禾", "霁远", "璟芯", "砚微", "溯光",
                  "榕擎", "汐晟", "芮辰", "泓屹", "绛石", "骁澈", "凇研", "苓越", "暄铂", "沅驰", "琮科", "珂衍",
                  "岫联", "霈川", "翊岚", "珩木", "箬溪", "昀岩", "澈衡", "逸筠", "峤舟", "渟远", "璞辰", "芃岭")
_SECTOR_SUFFIX = {"智能制造": "智能装备有限公司", "集成电路": "半导体科技有限公司", "新材料": "新材料科技有限公司",
                  "生物医药": "生物医药有限公司", "数字经济": "数字科技有限公司", "新能源": "新能源科技有限公司"}
_SECTORS = ("智能制造", "集成电路", "新材料", "生物医药", "数字经济", "新能源")
_SECTOR_P = (0.32, 0.26, 0.24, 0.07, 0.06, 0.05)


def _equity_table(rng: np.random.Generator) -> pd.DataFrame:
    investors = ("G03", "G03-01", "G03-01", "G03-04-01", "G03", "G01", "G02-02")
    rows = []
    counts = {2019: 8, 2020: 9, 2021: 12, 2022: 20}
    names = list(_TARGET_PREFIX)
    rng.shuffle(names)
    used = 0
    for y, n in counts.items():
        for k in range(n):
            sector = _SECTORS[rng.choice(6, p=_SECTOR_P)]
            target = names[used % len(names)] + _SECTOR_SUFFIX[sector]
            used += 1
            inv = investors[rng.integers(len(investors))]
            planned = _r2(float(np.clip(rng.lognormal(math.log(4500), 0.7), 500, 30000)))
            deal = int(rng.integers(3, 13))
            done = _r2(planned * rng.uniform(0.75, 1.0))
            last = 11 if y == 2022 else 12
            for m in range(1, last + 1):
                rows.append(dict(investment_id=f"GQ{y}-{k + 1:02d}", enterprise_id=inv, period=f"{y}-{m:02d}",
                                 target_name=target, sector=sector, is_strategic_emerging=True,
                                 planned_amount=planned, completed_ytd=done if m >= deal else 0.0))
    return pd.DataFrame(rows)


def _funds_table(rng: np.random.Generator) -> pd.DataFrame:
    specs = (
        ("JJ01", "G03-01", "澜海产业引导基金", "产业基金", date(2018, 6, 18), (150000, 320000), (6, 14), (20, 88)),
        ("JJ02", "G03-04-01", "澜海人才创业投资基金", "人才基金", date(2019, 9, 10), (20000, 60000), (1, 5), (3, 64)),
        ("JJ03", "G03", "澜海启明科创基金", "科创基金", date(2021, 6, 28), (30000, 80000), (0, 4), (0, 23)),
    )
    rows = []
    for fid, eid, name, ftype, est, aum, subs, proj in specs:
        i0 = max(_idx_of(est), 0)
        n = _T - i0
        frac = np.sort(rng.uniform(0, 1, n))
        frac[0], frac[-1] = 0.0, 1.0
        steps = np.sort(rng.uniform(0, 1, n))
        steps[-1] = 1.0
        for j, idx in enumerate(range(i0, _T)):
            rows.append(dict(fund_id=fid, enterprise_id=eid, period=_period(idx), fund_name=name, fund_type=ftype,
                             aum=_r2(aum[0] + (aum[1] - aum[0]) * frac[j]),
                             sub_funds=int(round(subs[0] + (subs[1] - subs[0]) * steps[j])),
                             projects_invested=int(round(proj[0] + (proj[1] - proj[0]) * steps[j])),
                             established_date=est))
    return pd.DataFrame(rows)


_LISTING_SPECS = (
    # id, investor, company, out of province, mode, [(stage, yyyy-mm), ...]
    ("SS01", "G03-01", "汀舟微电子股份有限公司", True, "间接",
     (("启动上市", "2019-06"), ("完成股改", "2020-03"), ("报辅", "2020-09"), ("报会", "2021-06"), ("已上市", "2022-04"))),
    ("SS02", "G03", "霁远新材料股份有限公司", True, "直接",
     (("启动上市", "2019-11"), ("完成股改", "2020-08"), ("报辅", "2021-02"), ("报会", "2021-12"), ("已上市", "2022-09"))),
    ("SS03", "G03-01", "珀川智能科技股份有限公司", False, "间接",
     (("启动上市", "2020-05"), ("完成股改", "2021-03"), ("报辅", "2021-09"), ("报会", "2022-08"))),
    ("SS04", "G03-04-01", "璟芯半导体股份有限公司", True, "间接",
     (("启动上市", "2021-04"), ("完成股改", "2021-12"), ("报辅", "2022-05"))),
    ("SS05", "G03", "砚微生物科技股份有限公司", False, "直接",
     (("启动上市", "2021-07"), ("完成股改", "2022-03"), ("报辅", "2022-10"))),
    ("SS06", "G03-01", "榕擎动力科技有限公司", False, "间接", (("启动上市", "2021-10"), ("完成股改", "2022-06"))),
    ("SS07", "G01", "澄铄环境科技有限公司", False, "直接", (("启动上市", "2022-01"), ("完成股改", "2022-09"))),
    ("SS08", "G03-04-01", "骁澈数字科技有限公司", True, "间接", (("启动上市", "2022-03"),)),
    ("SS09", "G03-01", "苓越医疗器械有限公司", False, "间接", (("启动上市", "2022-05"),)),
    ("SS10", "G02-02", "沅驰物流科技有限公司", False, "直接", (("启动上市", "2022-07"),)),
    ("SS11", "G03", "琮科光电有限公司", True, "间接", (("启动上市", "2022-10"),)),
)


def _listings_table() -> pd.DataFrame:
    rows = []
    for iid, eid, comp, oop, mode, stages in _LISTING_SPECS:
        marks = [(_gidx(int(s[1][:4]), int(s[1][5:])), s[0]) for s in stages]
        for idx in range(marks[0][0], _T):
            stage = [st for i, st in marks if i <= idx][-1]
            rows.append(dict(item_id=iid, enterprise_id=eid, period=_period(idx), company_name=comp, stage=stage,
                             is_out_of_province=oop, invest_mode=mode))
    return pd.DataFrame(rows)


_BANKS = ("澜海农村商业银行", "瀚海银行澜海分行", "泓泰银行澜海支行", "嘉禾商业银行澜海分行", "瑞昇银行澜海分行",
          "恒通银行澜海支行", "远澜信托有限公司")


def _credit_table(ents: dict[str, _Entity], rng: np.random.Generator) -> pd.DataFrame:
    borrowers = [e.eid for e in ents.values() if e.profile in ("holding", "platform")]
    rows = []
    k = 0
    fair = _gidx(2022, 6)
    for eid in borrowers:
        n = 2 if _level(eid) == 1 else 1
        for _ in range(n):
            k += 1
            start = int(rng.integers(-6, 40))
            amount = _r2(round(ents[eid].p["ta"] * rng.uniform(0.02, 0.06), -2))
            rows += _credit_rows(f"SX{k:03d}", eid, _BANKS[rng.integers(6)], amount, max(start, 0), False, rng)
    fair_signers = ("G01", "G01-01", "G02", "G02-05", "G05", "G05-04", "G06", "G06-01")
    for eid in fair_signers:
        k += 1
        amount = _r2(round(rng.uniform(30000, 150000), -3))
        rows += _credit_rows(f"SX{k:03d}", eid, _BANKS[rng.integers(6)], amount, fair, True, rng)
    return pd.DataFrame(rows)


def _credit_rows(line_id, eid, bank, amount, start, at_fair, rng):
    committed = bool(rng.random() < 0.4)
    use = np.clip(np.cumsum(rng.uniform(0.0, 0.06, _T)) + rng.uniform(0.1, 0.3), 0, 0.85)
    return [dict(line_id=line_id, enterprise_id=eid, period=_period(idx), bank_name=bank, line_amount=amount,
                 used_amount=_r2(amount * use[idx - start]), is_committed=committed, signed_at_fair=at_fair)
            for idx in range(start, _T)]


def _ratings_table() -> pd.DataFrame:
    agencies = ("东澜信用评级有限公司", "华衡资信评估有限公司")
    spec = {
        "G01": [(2019, "AA+"), (2020, "AA+"), (2021, "AA+"), (2022, "AA+")],
        "G02": [(2019, "AA"), (2020, "AA+"), (2021, "AA+"), (2022, "AA+")],
        "G05": [(2019, "AA"), (2020, "AA"), (2021, "AA+"), (2022, "AA+")],
        "G06": [(2021, "AA"), (2022, "AA+")],
        "G03": [(2020, "AA"), (2021, "AA"), (2022, "AA")],
        "G04": [(2019, "AA"), (2020, "AA"), (2021, "AA"), (2022, "AA")],
        "G01-01": [(2020, "AA"), (2021, "AA"), (2022, "AA")],
        "G02-05": [(2021, "AA"), (2022, "AA")],
    }
    rows = []
    for i, (eid, hist) in enumerate(spec.items()):
        prev = None
        for y, rating in hist:
            month = 8 if (eid == "G06" and y == 2022) else 6
            day = 10 + (i * 3) % 15
            outlook = "正面" if prev is not None and rating != prev else "稳定"
            rows.append(dict(enterprise_id=eid, rating_date=date(y, month, day), rating=rating,
                             agency=agencies[i % 2], outlook=outlook))
            prev = rating
    return pd.DataFrame(rows)


def _guarantees_table(ents: dict[str, _Entity], rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    specs = []
    # guarantees to own subsidiaries (within the shareholding ratio)
    pairs = [("G01", "G01-02"), ("G01", "G01-05"), ("G01-01", "G01-01-02"), ("G02", "G02-03"), ("G02", "G02-04"),
             ("G02-02", "G02-02-01"), ("G03", "G03-02"), ("G03", "G03-05"), ("G04", "G04-01"), ("G05", "G05-04"),
             ("G06", "G06-01"), ("G06", "G06-02")]
    for gtor, ben in pairs:
        stake = ents[ben].stake
        debt = _r2(round(rng.uniform(10000, 80000), -2))
        ratio = 1.0 if stake == 100 else stake / 100 * rng.uniform(0.6, 0.95)
        specs.append((gtor, ents[ben].name, ben, "全资子企业" if stake == 100 else "控股子企业", stake, debt,
                      _r2(debt * ratio)))
    specs.append(("G05", "澜海水环境科技有限公司", None, "参股企业", 40.0, 20000.0, 7000.0))
    # the two violations
    specs.append(("G03", "汀舟恒远机械制造有限公司", None, "非关联企业", 0.0, 10000.0, 8000.0))
    specs.append(("G02", "澜海港城开发有限公司", None, "参股企业", 30.0, 50000.0, 30000.0))
    rows = []
    truth = {}
    n_random = len(specs)
    # issue 19: planted 75号 cases with fixed dates (no random draws, so the rows above are unchanged):
    # (guarantor, beneficiary, roster id, relation, stake, debt, amount, start, net assets, loss years,
    #  negative OCF, financial subsidiary)
    planted = [
        ("G06", "澜海滨湖置业有限公司", None, "参股企业", 35.0, 40000.0, 14000.0, date(2022, 3, 15), -3200.0, 2, True,
         False),
        ("G04", "澜海海岛旅游开发有限公司", None, "参股企业", 40.0, 25000.0, 10000.0, date(2022, 6, 20), 18000.0, 3, True,
         False),
        ("G01", ents[_FINANCE_SUBSIDIARY].name, _FINANCE_SUBSIDIARY, "全资子企业", 100.0, 30000.0, 30000.0,
         date(2022, 8, 10), None, None, None, True),
    ]
    for k, spec in enumerate(specs + [p[:7] for p in planted]):
        gtor, bname, bid, rel, stake, debt, amount = spec
        gid = f"DB{k + 1:03d}"
        if k < n_random:
            start_idx = int(rng.integers(0, 40)) if k < n_random - 2 else int(rng.integers(30, 44))
            sy, sm = _ym(start_idx)
            start = date(sy, sm, int(rng.integers(1, 28)))
            end = _add_months(start, int(rng.choice((36, 48, 60))))
            net_assets, loss_years, neg_ocf, financial = (None, None, None, False) if bid else (
                _r2(debt * 0.8), 0, False, False)
        else:
            start = planted[k - n_random][7]
            start_idx = _idx_of(start)
            end = _add_months(start, 36)
            net_assets, loss_years, neg_ocf, financial = planted[k - n_random][8:]
        excess = amount - stake / 100 * debt
        counter = "未落实" if rel == "非关联企业" or excess > 0 or loss_years == 3 else (
            "已落实" if rel == "参股企业" else "不适用")
        for idx in range(start_idx, min(_T, _idx_of(end) + 1)):
            rows.append(dict(guarantee_id=gid, guarantor_id=gtor, period=_period(idx), beneficiary_name=bname,
                             beneficiary_id=bid, relation=rel, shareholding_pct=stake, guaranteed_debt=debt,
                             amount=amount, start_date=start, end_date=end, beneficiary_net_assets=net_assets,
                             beneficiary_loss_years=loss_years, beneficiary_negative_ocf=neg_ocf,
                             is_financial_subsidiary=financial, counter_guarantee=counter))
        if rel == "非关联企业":
            truth["non_related"] = gid
        elif excess > 0:
            truth["above_share"] = gid
        elif financial:
            truth["financial_subsidiary"] = gid
        elif net_assets is not None and net_assets < 0:
            truth["insolvent"] = gid
        elif loss_years is not None and loss_years >= 3 and neg_ocf:
            truth["consecutive_losses"] = gid
    return pd.DataFrame(rows), truth


_ASSET_NAMES = {
    "土地": "{p}地块", "房产": "{p}闲置办公楼", "股权": "{p}参股公司股权", "特许经营权": "{p}停车场特许经营权",
    "自然资源": "{p}砂石资源", "其他": "{p}广告位资源",
}
_ASSET_METHOD = {"土地": ("出售", "资产注入"), "房产": ("出租", "出售", "REITs"), "股权": ("出售", "资产注入"),
                 "特许经营权": ("特许经营",), "自然资源": ("特许经营", "出售"), "其他": ("出租", "补办产权证")}


def _idle_table(ents: dict[str, _Entity], rng: np.random.Generator) -> pd.DataFrame:
    owners = [e.eid for e in ents.values() if _group(e.eid) in ("G01", "G02", "G04", "G06", "G05")]
    types = tuple(_ASSET_NAMES)
    n = 32
    rows = []
    plan = ["已盘活"] * 6 + ["推进中"] * 8 + ["已梳理"] * (n - 14)
    plan = [plan[i] for i in rng.permutation(n)]
    for k in range(n):
        eid = owners[rng.integers(len(owners))]
        at = types[rng.choice(len(types), p=(0.3, 0.3, 0.1, 0.1, 0.1, 0.1))]
        name = _ASSET_NAMES[at].format(p=_PLACES[k % len(_PLACES)]) + ("" if k < len(_PLACES) else "（二）")
        bv = _r2(float(np.clip(rng.lognormal(math.log(6000), 0.9), 500, 60000)))
        found = _gidx(2021, 10) if k < 6 else int(rng.integers(_gidx(2022, 2), _gidx(2022, 7)))
        final = plan[k]
        push = found + int(rng.integers(1, 4))
        done = min(push + int(rng.integers(2, 6)), _ASOF_IDX)
        method = _ASSET_METHOD[at][rng.integers(len(_ASSET_METHOD[at]))]
        value = _r2(bv * rng.uniform(0.9, 1.3))
        for idx in range(found, _T):
            if final == "已盘活" and idx >= done:
                status = "已盘活"
            elif final in ("已盘活", "推进中") and idx >= push:
                status = "推进中"
            else:
                status = "已梳理"
            same_year = _ym(idx)[0] == _ym(done)[0]
            rows.append(dict(asset_id=f"ZC{k + 1:03d}", enterprise_id=eid, period=_period(idx), asset_name=name,
                             asset_type=at, book_value=bv, status=status,
                             revitalised_value_ytd=value if status == "已盘活" and same_year else 0.0,
                             method=method if status != "已梳理" else None))
    return pd.DataFrame(rows)


def _reforms_table() -> pd.DataFrame:
    spec = [
        ("GG01", "G01-03", "混合所有制改革", (("推进中", "2022-05"),), None),
        ("GG02", "G03-05", "混合所有制改革", (("推进中", "2022-06"),), None),
        ("GG03", "G04-02", "混合所有制改革", (("推进中", "2022-07"),), None),
        ("GG04", "G03-03", "混合所有制改革", (("储备", "2022-09"),), None),
        ("GG05", "G02-04", "混合所有制改革", (("储备", "2022-10"),), None),
        ("GG06", "G03-02", "中长期激励", (("储备", "2022-08"),), None),
        ("GG07", "G03-06", "中长期激励", (("储备", "2022-08"),), None),
    ]
    for i, g in enumerate(("G01", "G02", "G03", "G04", "G05", "G06")):
        y, m = (2021, 3 + i) if g != "G06" else (2022, 4)
        spec.append((f"GG{8 + i:02d}", g, "董事会建设", (("推进中", f"{y}-{m - 2:02d}"), ("已完成", f"{y}-{m:02d}")),
                     date(y, m, 20)))
    subs = ("G01-01", "G01-02", "G01-06", "G02-01", "G02-02", "G03-01", "G03-02", "G04-01", "G05-01", "G06-04")
    for i, s in enumerate(subs):
        m = 4 + i % 8
        spec.append((f"GG{14 + i:02d}", s, "经理层任期制", (("推进中", "2021-01"), ("已完成", f"2021-{m:02d}")),
                     date(2021, m, 28)))
    rows = []
    for iid, eid, kind, stages, done in spec:
        marks = [(_gidx(int(s[1][:4]), int(s[1][5:])), s[0]) for s in stages]
        for idx in range(marks[0][0], _T):
            status = [st for i, st in marks if i <= idx][-1]
            rows.append(dict(item_id=iid, enterprise_id=eid, period=_period(idx), item_type=kind, status=status,
                             completed_date=done if status == "已完成" else None))
    return pd.DataFrame(rows)


_TASKS = (
    ("老旧小区改造", "城市更新", "万平方米", "G06-01", (20, 60)),
    ("保障性租赁住房筹集", "城市更新", "套", "G06-03", (500, 1500)),
    ("新增公共停车泊位", "城市运行", "个", "G02-04", (800, 2500)),
    ("公交线路优化调整", "公共服务", "条", "G02-01", (5, 15)),
    ("供水管网漏损改造", "城市运行", "公里", "G05-01", (20, 60)),
    ("污水零直排区建设", "城市运行", "个", "G05-02", (5, 12)),
    ("背街小巷环境整治", "城市运行", "条", "G05-03", (20, 50)),
    ("口袋公园建设", "公共服务", "个", "G05-04-01", (6, 15)),
    ("市政道路养护", "城市运行", "公里", "G01-06-01", (80, 150)),
    ("农贸市场改造提升", "公共服务", "个", "G01-04", (3, 8)),
    ("防汛物资储备点建设", "防汛防台", "个", "G01", (5, 12)),
    ("全民健身设施建设", "公共服务", "处", "G04-04", (10, 30)),
)


def _livelihood_table(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for y in range(2019, 2023):
        tasks = list(_TASKS)
        if y >= 2020:
            tasks.append(("核酸采样点建设" if y == 2022 else "防疫物资保障", "疫情防控",
                          "个" if y == 2022 else "批次", "G06-04", (20, 60)))
        for k, (name, cat, unit, eid, rng_t) in enumerate(tasks):
            target = float(rng.integers(rng_t[0], rng_t[1] + 1))
            f = rng.uniform(0.88, 1.08)
            last = 11 if y == 2022 else 12
            for m in range(1, last + 1):
                share = (m / 12) ** 1.1
                done = target * f * share
                done = round(done, 1) if unit in ("万平方米", "公里") else float(math.floor(done))
                rows.append(dict(task_id=f"MS{y}-{k + 1:02d}", enterprise_id=eid, period=f"{y}-{m:02d}",
                                 task_name=f"{y}年{name}", category=cat, annual_target=target,
                                 completed_ytd=done, unit=unit))
    return pd.DataFrame(rows)


def _targets_table(fin: pd.DataFrame, projects: list[dict], ents, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    names = {"revenue": "营业总收入", "total_profit": "利润总额", "investment_completed": "固定资产投资完成额"}
    for g in _GROUP_ASSETS:
        tree = set(_tree(ents, g))
        f21 = fin[(fin.enterprise_id == g) & (fin.period == "2021-12")].iloc[0]
        f22 = fin[(fin.enterprise_id == g) & (fin.period == AS_OF)].iloc[0]
        inv = {y: sum(pj["plans"].get(y, 0.0) for pj in projects if pj["owner"] in tree) for y in (2022, 2023)}
        for y, base_rev, base_tp in ((2022, f21.revenue, f21.total_profit),
                                     (2023, f22.revenue * 12 / 11, f22.total_profit * 12 / 11)):
            grow = rng.uniform(1.04, 1.12)
            tp = base_tp * rng.uniform(1.03, 1.1) if base_tp > 0 else base_tp * 0.5
            for item, val in (("revenue", base_rev * grow), ("total_profit", tp), ("investment_completed", inv[y])):
                rows.append(dict(enterprise_id=g, year=y, item=item, item_name=names[item],
                                 target_value=float(round(val, -1)), unit="万元"))
    district = (
        ("revitalised_value", "盘活存量资产资源账面价值", 200000.0, "万元"),
        ("financing_cost_bp_change", "综合融资利率同比变动", -15.0, "bp"),
        ("mixed_reform_count", "完成混合所有制改革企业数", 2.0, "个"),
        ("mixed_reform_reserve_count", "混改储备库项目数", 5.0, "个"),
        ("incentive_pilot_count", "中长期激励试点子企业数", 2.0, "个"),
        ("cadre_exchange_count", "交流选拔优秀干部人数", 10.0, "人"),
        ("integrity_base_count", "新建廉政宣教阵地", 1.0, "处"),
    )
    for item, name, val, unit in district:
        rows.append(dict(enterprise_id="DISTRICT", year=2023, item=item, item_name=name, target_value=val,
                         unit=unit))
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------
# 重点工作任务台账 (issue 19): the plan's targets that no financial table reports


def _key_tasks_table() -> pd.DataFrame:
    """The supervisor's task ledger: 2022 tasks with monthly progress (the baseline) and the 2023 plan's
    tasks as registered in November 2022 (targets set, no progress yet)."""
    rows = []
    done_2022 = (
        ("T2022-01", "cadre_exchange_count", "交流选拔优秀干部", "组织人事科", 8.0, "人",
         {"2022-09": 5.0, "2022-10": 6.0, "2022-11": 7.0}, "区属企业干部交流任免文件（示范）"),
        ("T2022-02", "institution_revision_count", "修订国资监管制度", "综合办公室", 3.0, "项",
         {"2022-09": 2.0, "2022-10": 2.0, "2022-11": 3.0}, "制度修订印发文件（示范）"),
    )
    for task_id, item, name, who, target, unit, progress, evidence in done_2022:
        for month, value in progress.items():
            rows.append(dict(task_id=task_id, year=2022, period=month, item=item, task_name=name, responsible=who,
                             enterprise_id=None, target_value=target, unit=unit, progress_value=value,
                             progress_note=f"截至{int(month[5:])}月末累计完成{value:g}{unit}", evidence=evidence))
    plan_2023 = (
        ("T2023-01", "cadre_exchange_count", "交流选拔优秀干部", "组织人事科", None, 10.0, "人"),
        ("T2023-02", "integrity_base_count", "新建国企廉政宣教阵地", "党建工作科", None, 1.0, "处"),
        ("T2023-03", "incentive_pilot_count", "竞争类子企业中长期激励试点", "改革发展科", "G03", 2.0, "家"),
        ("T2023-04", "institution_revision_count", "修订资金、车辆、人事、薪酬考核管理制度", "综合办公室", None, 4.0, "项"),
    )
    for task_id, item, name, who, eid, target, unit in plan_2023:
        rows.append(dict(task_id=task_id, year=2023, period=AS_OF, item=item, task_name=name, responsible=who,
                         enterprise_id=eid,
                         target_value=target, unit=unit, progress_value=np.nan,
                         progress_note="2023年任务，已列入台账，尚未开始", evidence=""))
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------
# ground truth


def _ground_truth(tables: dict[str, pd.DataFrame], ents: dict[str, _Entity], guarantee_truth: dict) -> dict:
    """Verify the risk lines on the finished tables and describe who crosses them."""
    fin = tables["financials"]
    now = fin[fin.period == AS_OF].set_index("enterprise_id")
    ratio = now.total_liabilities / now.total_assets * 100
    # 已获利息倍数 on interest incurred (issue 19): (利润总额 + 费用化利息) / (费用化利息 + 资本化利息)
    incurred = now.interest_expense + now.capitalized_interest.fillna(0.0)
    cover = (now.total_profit + now.interest_expense) / incurred
    names = {e.eid: e.name for e in ents.values()}
    # district aggregate (sum of the six groups)
    groups = now.loc[list(_GROUP_ASSETS)]
    d_ratio = groups.total_liabilities.sum() / groups.total_assets.sum() * 100
    d_cover = (groups.total_profit.sum() + groups.interest_expense.sum()) / (
        groups.interest_expense.sum() + groups.capitalized_interest.sum())
    d_cover_expensed = (groups.total_profit.sum() + groups.interest_expense.sum()) / groups.interest_expense.sum()

    high = sorted(ratio[ratio > 80].index)
    neg = sorted(cover[cover < 0].index)
    if high != sorted(_RISK_DEBT_RATIO) or neg != [_RISK_COVERAGE]:
        raise RuntimeError(f"示范数据生成失败：风险企业与设计不符（负债率>80%：{high}；已获利息倍数为负：{neg}）")
    others = ratio.drop(high)
    others_cov = cover.drop(neg)
    if others.max() > 72 or others_cov.min() < _MIN_OTHER_COVERAGE or d_ratio > 72 or d_cover < 1.0:
        raise RuntimeError(f"示范数据生成失败：非风险企业未保持在安全区间内（负债率≤72%，"
                           f"已获利息倍数≥{_MIN_OTHER_COVERAGE}）")

    walls = _maturity_shares(tables["debts"], ents)
    crossing = {k: v for k, v in walls.items() if v["share"] > 40}
    if sorted(crossing) != [_RISK_WALL]:
        raise RuntimeError(f"示范数据生成失败：集中到期企业与设计不符：{sorted(crossing)}")
    max_other_wall = max(v["share"] for k, v in walls.items() if k != _RISK_WALL)
    if max_other_wall > 35:
        raise RuntimeError("示范数据生成失败：其他企业到期集中度过高")

    g = tables["guarantees"]
    g_now = g[g.period == AS_OF]
    nonrel = g_now[g_now.relation == "非关联企业"]
    excess = g_now.amount - g_now.shareholding_pct / 100 * g_now.guaranteed_debt
    above = g_now[(g_now.relation != "非关联企业") & (excess > 0)].assign(excess=excess)
    # the guaranteed party: own figures when given, else its 快报 (roster members)
    equity = g_now.beneficiary_id.map(now.total_equity)
    net_assets = g_now.beneficiary_net_assets.fillna(equity)
    insolvent = g_now[net_assets < 0]
    losses = g_now[(g_now.beneficiary_loss_years.fillna(0) >= 3) & g_now.beneficiary_negative_ocf.fillna(False)
                   .astype(bool)]
    financial = g_now[g_now.is_financial_subsidiary.fillna(False).astype(bool)]
    distressed = pd.concat([insolvent, losses]).drop_duplicates("guarantee_id").sort_values("guarantee_id")
    if list(nonrel.guarantee_id) != [guarantee_truth["non_related"]] or \
            list(above.guarantee_id) != [guarantee_truth["above_share"]] or \
            list(insolvent.guarantee_id) != [guarantee_truth["insolvent"]] or \
            list(losses.guarantee_id) != [guarantee_truth["consecutive_losses"]] or \
            list(financial.guarantee_id) != [guarantee_truth["financial_subsidiary"]]:
        raise RuntimeError("示范数据生成失败：担保风险与设计不符")
    g_ratio = g_now.groupby("guarantor_id").amount.sum() / now.total_equity.reindex(
        g_now.guarantor_id.unique()) * 100
    if (g_ratio > 40).any():
        raise RuntimeError("示范数据生成失败：担保余额占净资产比例越过40%")

    w = crossing[_RISK_WALL]
    return {
        "description": f"{DISTRICT_NAME}示范数据（虚构）在 {AS_OF} 期按设计越过风险线的企业；除此之外无其他企业越线。",
        "district": DISTRICT_NAME,
        "period": AS_OF,
        "rules": {
            "debt_to_asset_ratio_above_80": {
                "rule": "资产负债率 = 负债总额 / 资产总额 × 100 > 80（财务快报，期末数）",
                "entities": [{"enterprise_id": k, "name": names[k], "value": round(float(ratio[k]), 2),
                              "total_assets": float(now.total_assets[k]),
                              "total_liabilities": float(now.total_liabilities[k])} for k in high],
            },
            "negative_interest_coverage": {
                "rule": "已获利息倍数 = (利润总额 + 费用化利息支出) / (费用化利息支出 + 资本化利息支出) < 0（本年累计）",
                "entities": [{"enterprise_id": k, "name": names[k], "value": round(float(cover[k]), 4),
                              "total_profit": float(now.total_profit[k]),
                              "interest_expense": float(now.interest_expense[k]),
                              "capitalized_interest": float(now.capitalized_interest[k])} for k in neg],
            },
            "guarantee_to_non_related": {
                "rule": "对非关联企业担保：relation = 非关联企业（其持股比例为0，不再重复计入超股比担保）",
                "entities": [{"guarantor_id": r.guarantor_id, "guarantee_id": r.guarantee_id,
                              "beneficiary_name": r.beneficiary_name, "value": float(r.amount)}
                             for r in nonrel.itertuples()],
            },
            "guarantee_above_shareholding": {
                "rule": "超股比担保：relation 为全资/控股/参股企业，超股比担保额 = 担保金额 − 持股比例 × 被担保债务 > 0",
                "entities": [{"guarantor_id": r.guarantor_id, "guarantee_id": r.guarantee_id,
                              "beneficiary_name": r.beneficiary_name, "value": round(float(r.excess), 2),
                              "amount": float(r.amount), "guaranteed_debt": float(r.guaranteed_debt),
                              "shareholding_pct": float(r.shareholding_pct)} for r in above.itertuples()],
            },
            "guarantee_to_distressed": {
                "rule": "为资不抵债（被担保人净资产为负）或连续三年及以上亏损且经营净现金流为负的被担保人担保",
                "entities": [{"guarantor_id": r.guarantor_id, "guarantee_id": r.guarantee_id,
                              "beneficiary_name": r.beneficiary_name, "value": float(r.amount)}
                             for r in distressed.itertuples()],
            },
            "guarantee_to_financial_subsidiary": {
                "rule": "为金融子企业担保：is_financial_subsidiary = 是",
                "entities": [{"guarantor_id": r.guarantor_id, "guarantee_id": r.guarantee_id,
                              "beneficiary_name": r.beneficiary_name, "value": float(r.amount)}
                             for r in financial.itertuples()],
            },
        },
        "warnings": {
            "maturity_wall": {
                "rule": "未来12个月（2022-12至2023-11）到期的带息融资中，单月到期余额占比 > 40%；"
                        "按企业自身融资明细计算，集团同时按其全部下属企业合计计算",
                "entities": [{"enterprise_id": _RISK_WALL, "name": names[_RISK_WALL], "level": "group",
                              "month": w["month"], "value": round(w["share"], 2),
                              "month_amount": round(w["month_amount"], 2), "total_12m": round(w["total"], 2),
                              "tree_share": round(w["tree_share"], 2)}],
            },
        },
        "others_inside": {
            "max_debt_to_asset_ratio": round(float(others.max()), 2),
            "min_interest_coverage": round(float(others_cov.min()), 4),
            "district_interest_coverage_expensed_only": round(float(d_cover_expensed), 4),
            "max_maturity_month_share": round(float(max_other_wall), 2),
            "district_debt_to_asset_ratio": round(float(d_ratio), 2),
            "district_interest_coverage": round(float(d_cover), 4),
            "limits": {"debt_to_asset_ratio": 72, "interest_coverage": _MIN_OTHER_COVERAGE, "maturity_month_share": 40},
        },
    }


def _maturity_shares(debts: pd.DataFrame, ents: dict[str, _Entity]) -> dict:
    """Largest single-month share of next-12-month maturities, per entity and per group tree."""
    now = debts[debts.period == AS_OF].copy()
    mat = pd.to_datetime(now.maturity_date)
    lo, hi = pd.Timestamp("2022-12-01"), pd.Timestamp("2023-11-30")
    now = now[(mat >= lo) & (mat <= hi)].assign(month=mat[(mat >= lo) & (mat <= hi)].dt.strftime("%Y-%m"))
    out = {}

    def share(df):
        if df.empty:
            return None
        by = df.groupby("month").balance.sum()
        return by.idxmax(), float(by.max()), float(by.sum())

    for eid in ents:
        own = share(now[now.enterprise_id == eid])
        tree = share(now[now.enterprise_id.isin(_tree(ents, eid))])
        s_own = own[1] / own[2] * 100 if own else 0.0
        s_tree = tree[1] / tree[2] * 100 if tree else 0.0
        best = own if s_own >= s_tree else tree
        out[eid] = {"share": max(s_own, s_tree), "month": best[0] if best else None,
                    "month_amount": best[1] if best else 0.0, "total": best[2] if best else 0.0,
                    "tree_share": s_tree}
    district = share(now)
    out["DISTRICT"] = {"share": district[1] / district[2] * 100, "month": district[0], "month_amount": district[1],
                       "total": district[2], "tree_share": district[1] / district[2] * 100}
    return out


# --------------------------------------------------------------------------
# assembling


def build_demo_tables(*, seed: int = DEFAULT_SEED) -> tuple[dict[str, pd.DataFrame], dict]:
    """All contract tables of the demo district (internal units) and the risk ground truth.

    Deterministic for a given ``seed``. Raises ``RuntimeError`` if the risk
    ground truth would not hold exactly (it does for the default seed).
    """
    def stream(k: int) -> np.random.Generator:
        return np.random.default_rng([seed, k])

    ents = _entities()
    _params(ents, stream(1))
    _paths(ents, stream(2))
    debts = _debts(ents, stream(3))
    _debt_arrays(ents, debts)
    _flows(ents, stream(4))
    _consolidate(ents, stream(5))
    projects = _projects(ents, stream(7))
    tables = {
        "roster": _roster_table(ents),
        "financials": _financials_table(ents, stream(6)),
        "projects": _project_rows(projects),
        "equity_investments": _equity_table(stream(8)),
        "funds": _funds_table(stream(9)),
        "listings": _listings_table(),
        "debts": _debts_table(debts),
        "credit_lines": _credit_table(ents, stream(10)),
        "ratings": _ratings_table(),
    }
    tables["guarantees"], g_truth = _guarantees_table(ents, stream(11))
    tables["idle_assets"] = _idle_table(ents, stream(12))
    tables["reforms"] = _reforms_table()
    tables["livelihood"] = _livelihood_table(stream(13))
    tables["targets"] = _targets_table(tables["financials"], projects, ents, stream(14))
    tables["key_tasks"] = _key_tasks_table()
    for name, df in tables.items():
        t = table(name)
        tables[name] = df[t.field_names].sort_values(list(t.key), kind="mergesort").reset_index(drop=True)
    truth = _ground_truth(tables, ents, g_truth)
    return tables, truth


# --------------------------------------------------------------------------
# writing files

_UNIT_FACTOR = {"元": 10000.0, "万元": 1.0, "亿元": 0.0001}


def _units_line(name: str, money_unit: str = "万元") -> list[str]:
    out = []
    for f in table(name).fields:
        if f.is_money:
            out.append(f"单位：{money_unit}")
        elif f.unit:
            out.append(f"单位：{f.unit}")
        else:
            out.append("")
    return out


def _cell(value, f, money_unit: str, *, for_csv: bool):
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "" if for_csv else None
    if f.dtype == "bool":
        return "是" if bool(value) else "否"
    if f.dtype == "date":
        d = value if isinstance(value, date) else pd.Timestamp(value).date()
        return d.isoformat() if for_csv else d
    if f.dtype == "int":
        return int(value)
    if f.dtype == "float":
        v = float(value)
        if f.is_money:
            v *= _UNIT_FACTOR[money_unit]
            v = round(v, 6 if money_unit == "亿元" else 2)
        else:
            v = round(v, 4)
        if for_csv:
            return f"{v:.6f}".rstrip("0").rstrip(".") if money_unit == "亿元" and f.is_money else f"{v:.2f}"
        return v
    return str(value)


def _rows(df: pd.DataFrame, name: str, money_unit: str, *, for_csv: bool):
    fields = table(name).fields
    cols = [df[f.name].tolist() for f in fields]
    for values in zip(*cols):
        yield [_cell(v, f, money_unit, for_csv=for_csv) for v, f in zip(values, fields)]


def _write_csv(path: Path, df: pd.DataFrame, name: str) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([f.label_zh for f in table(name).fields])
    w.writerow(_units_line(name))
    for row in _rows(df, name, "万元", for_csv=True):
        w.writerow(row)
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))


def _write_xlsx(path: Path, sheets: list[tuple[str, pd.DataFrame, str]]) -> None:
    """Write one workbook: ``sheets`` = [(table name, rows, money unit)], one sheet per table."""
    content = []
    for name, df, unit in sheets:
        rows = [[f.label_zh for f in table(name).fields], _units_line(name, unit)]
        rows += list(_rows(df, name, unit, for_csv=False))
        content.append((TABLES[name].label_zh, rows))
    path.write_bytes(xlsx_bytes(content))


# A small, deterministic SpreadsheetML writer (inline strings, one date style).
# openpyxl writes the current time into the package and is slow for ~150 000
# cells; this writer fixes every timestamp and needs no post-processing.

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STAMP = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
_EPOCH = date(1899, 12, 30)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _col(n: int) -> str:
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _sheet_xml(rows: list[list]) -> str:
    ncols = max((len(r) for r in rows), default=1)
    letters = [_col(i) for i in range(ncols)]
    parts = [_XML_HEAD, f'<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">',
             '<sheetViews><sheetView workbookViewId="0"><pane ySplit="2" topLeftCell="A3" activePane="bottomLeft" '
             'state="frozen"/></sheetView></sheetViews>',
             f'<cols><col min="1" max="{ncols}" width="16" customWidth="1"/></cols><sheetData>']
    for i, row in enumerate(rows, start=1):
        cells = []
        for j, v in enumerate(row):
            if v is None or v == "":
                continue
            ref = f"{letters[j]}{i}"
            if isinstance(v, bool):
                v = "是" if v else "否"
            if isinstance(v, str):
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{_esc(v)}</t></is></c>')
            elif isinstance(v, date):
                cells.append(f'<c r="{ref}" s="1"><v>{(v - _EPOCH).days}</v></c>')
            elif isinstance(v, int):
                cells.append(f'<c r="{ref}"><v>{v}</v></c>')
            else:
                cells.append(f'<c r="{ref}"><v>{float(v)!r}</v></c>')
        parts.append(f'<row r="{i}">{"".join(cells)}</row>')
    parts.append("</sheetData></worksheet>")
    return "".join(parts)


_STYLES = (
    _XML_HEAD + f'<styleSheet xmlns="{_NS_MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="等线"/><charset val="134"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


def xlsx_bytes(sheets: list[tuple[str, list[list]]], *, creator: str = f"{DISTRICT_NAME}国资委示范数据") -> bytes:
    """A minimal, byte-deterministic .xlsx: ``sheets`` = [(sheet title, rows of cell values)].

    Cell values: str, int, float, ``datetime.date`` (written with a yyyy-mm-dd
    format), bool (written as 是/否) or None (empty). Creation and modification
    times are fixed to 2022-12-01 and zip entries carry that timestamp.
    """
    n = len(sheets)
    ct = [_XML_HEAD, '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">',
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>',
          '<Default Extension="xml" ContentType="application/xml"/>',
          '<Override PartName="/xl/workbook.xml" '
          'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>']
    ct += [f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
           'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
           for i in range(1, n + 1)]
    ct += ['<Override PartName="/xl/styles.xml" '
           'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>',
           '<Override PartName="/docProps/core.xml" '
           'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>',
           '<Override PartName="/docProps/app.xml" '
           'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>']
    rels = (_XML_HEAD + f'<Relationships xmlns="{_NS_PKG}">'
            f'<Relationship Id="rId1" Type="{_NS_REL}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
            'core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_NS_REL}/extended-properties" Target="docProps/app.xml"/>'
            '</Relationships>')
    core = (_XML_HEAD + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
            'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dc:creator>{_esc(creator)}</dc:creator>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{_STAMP}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{_STAMP}</dcterms:modified></cp:coreProperties>')
    app = (_XML_HEAD + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
           '<Application>guozi-analysis</Application></Properties>')
    wb = [_XML_HEAD, f'<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}"><sheets>']
    wb += [f'<sheet name="{_esc(title)}" sheetId="{i}" r:id="rId{i}"/>' for i, (title, _) in enumerate(sheets, 1)]
    wb.append("</sheets></workbook>")
    wb_rels = [_XML_HEAD, f'<Relationships xmlns="{_NS_PKG}">']
    wb_rels += [f'<Relationship Id="rId{i}" Type="{_NS_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, n + 1)]
    wb_rels.append(f'<Relationship Id="rId{n + 1}" Type="{_NS_REL}/styles" Target="styles.xml"/></Relationships>')
    entries = [("[Content_Types].xml", "".join(ct)), ("_rels/.rels", rels), ("docProps/core.xml", core),
               ("docProps/app.xml", app), ("xl/workbook.xml", "".join(wb)),
               ("xl/_rels/workbook.xml.rels", "".join(wb_rels)), ("xl/styles.xml", _STYLES)]
    entries += [(f"xl/worksheets/sheet{i}.xml", _sheet_xml(rows)) for i, (_, rows) in enumerate(sheets, 1)]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in entries:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zf.writestr(info, text.encode("utf-8"), compresslevel=6)
    return out.getvalue()


_README = """# 澜海区国资委示范数据（虚构）

本目录是 guozi-analysis 的示范数据，由 `guozi_analysis.demo.generate_demo()` 按固定随机种子生成，
逐字节可复现。澜海区及其中所有企业、项目、基金、银行、评级机构和人名均为虚构，数字为模拟数据，
不代表任何真实单位。

- `raw/roster.xlsx`：企业名录（六大集团及 40 家二、三级子企业）。
- `raw/targets.xlsx`：区国资委下达的 2022、2023 年度目标（含全区 2023 年目标）。
- `raw/key_tasks.xlsx`：重点工作任务台账（国资委各科室维护）：2022 年任务的逐月进展（2023 年目标的基准），
  以及 2023 年工作思路中财务报表不反映的任务（干部交流、廉政阵地、激励试点、制度修订），尚无进展。
- `raw/history/<表名>.csv`：2019-01 至 2021-12 的历史数据，每张表一个文件（UTF-8 带 BOM，第 1 行中文表头，第 2 行单位行）。
- `raw/2022-MM/<集团编码>_<简称>.xlsx`：2022 年 1—11 月各集团报送的月度工作簿，每张表一个工作表
  （第 1 行中文表头，第 2 行单位行，第 3 行起为数据）；1 月不报财务快报；固定资产投资项目为半月报，
  同一工作簿含上、下半月两期。个别集团以“元”或“亿元”报送金额，读入时统一换算为万元。
- `ground_truth.yaml`：按设计在 2022-11 期越过债务风险线的企业——列入重点监管的（资产负债率超 80%、
  已获利息倍数为负、对非关联企业担保、超股比担保、为资不抵债或连续亏损企业担保、为金融子企业担保）与只预警的
  （集中到期），供规则测试核对“恰好这些、没有其他”。
"""


def generate_demo(out_dir: Path | None = None, *, seed: int = DEFAULT_SEED,
                  enterprises: int | None = None) -> list[Path]:
    """Write the demo district under ``out_dir`` (default ``data/demo``); return the files written.

    Deterministic: the same ``seed`` gives byte-identical files. ``enterprises`` (46 to 50,000) asks
    for a larger district of the same structure (see :func:`_generate_scaled`); ``None`` or 46 is the
    committed demo. A larger district is never written over ``data/demo``.
    """
    out = Path(out_dir) if out_dir is not None else DEMO_DIR
    if enterprises is not None and enterprises != len(_ROSTER_SPEC):
        if not len(_ROSTER_SPEC) <= enterprises <= MAX_ENTERPRISES:
            raise ValueError(f"企业数应在 {len(_ROSTER_SPEC)} 至 {MAX_ENTERPRISES} 之间：{enterprises}")
        if out.resolve() == DEMO_DIR.resolve():
            raise ValueError(f"扩展的示范区不能写入 {DEMO_DIR}（那里是提交的 46 家示范数据）：请用 --out 指定目录")
        return _generate_scaled(out, enterprises=enterprises, seed=seed)
    tables, truth = build_demo_tables(seed=seed)
    raw = out / "raw"
    (raw / "history").mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    path = raw / "roster.xlsx"
    _write_xlsx(path, [("roster", tables["roster"], "万元")])
    written.append(path)
    path = raw / "targets.xlsx"
    _write_xlsx(path, [("targets", tables["targets"], "万元")])
    written.append(path)

    path = raw / "key_tasks.xlsx"  # kept by the supervisor's offices, not by the groups
    _write_xlsx(path, [("key_tasks", tables["key_tasks"], "万元")])
    written.append(path)

    monthly = [n for n in TABLES if n not in ("roster", "targets", "key_tasks")]
    split = {n: _split_by_month(n, tables[n]) for n in monthly}
    for name in monthly:
        hist = split[name][split[name]["_month"] < "2022-01"].drop(columns=["_month", "_group"])
        path = raw / "history" / f"{name}.csv"
        _write_csv(path, hist, name)
        written.append(path)

    roster = tables["roster"]
    groups = roster[roster.is_group].sort_values("enterprise_id")
    for mo in range(1, 12):
        month = f"2022-{mo:02d}"
        mdir = raw / month
        mdir.mkdir(parents=True, exist_ok=True)
        for g in groups.itertuples():
            sheets = []
            for name in monthly:
                if name == "financials" and mo == 1:
                    continue  # January is not reported
                df = split[name]
                part = df[(df["_month"] == month) & (df["_group"] == g.enterprise_id)].drop(columns=["_month", "_group"])
                unit = _UNIT_OVERRIDES.get((g.enterprise_id, name), "万元")
                sheets.append((name, part, unit))
            path = mdir / f"{g.enterprise_id}_{g.short_name}.xlsx"
            _write_xlsx(path, sheets)
            written.append(path)

    written += _write_ledgers(out, tables, seed=seed)  # issue 17: contract, transaction and inspection ledgers

    path = out / "ground_truth.yaml"
    path.write_text(yaml.safe_dump(truth, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
    written.append(path)
    path = out / "README.md"
    path.write_text(_README, encoding="utf-8")
    written.append(path)
    return written


def _split_by_month(name: str, df: pd.DataFrame) -> pd.DataFrame:
    if name == "ratings":
        month = pd.to_datetime(df["rating_date"]).dt.strftime("%Y-%m")
    else:
        month = df["period"].str.slice(0, 7)
    col = "guarantor_id" if name == "guarantees" else "enterprise_id"
    return df.assign(_month=month, _group=df[col].map(_group))


# --------------------------------------------------------------------------
# 合同、资金流水与督查问题台账 (issue 17): new functions only, called from one place in generate_demo

_LEDGER_DIR = "台账"  # raw/台账/2022-11/<group>_台账.xlsx: one ledger workbook per group, as at 2022-11
_LEDGER_TABLES = ("contracts", "contract_milestones", "contract_payment_plan", "transactions", "inspection_findings")
_CP_PLACES = ("青岚", "澄川", "枫溪", "云岫", "石渚", "鹭汀", "桐湾", "栖霞岭", "望潮", "柘浦", "莲塘", "松岙")
_CP_TRADES = ("建工", "机电设备", "信息科技", "物资贸易", "园林工程", "咨询服务", "环保科技", "物业服务", "材料供应",
              "运输服务", "检测技术", "装饰工程")
_CP_TYPES = {"工程": "付款", "采购": "付款", "咨询": "付款", "销售": "收款", "租赁": "收款", "其他": "付款"}
_MS_NAMES = ("合同签订生效", "进场/备货", "中期验收", "交付验收", "质保期满")
_FINDING_CATS = ("三重一大决策", "合同管理", "资金管理", "工程建设", "资产管理", "财务核算", "选人用人", "其他")
_FINDING_SOURCES = ("国资前哨督查", "审计", "巡察", "纪检", "日常监管")
_LEDGER_ASOF = date(2022, 11, 30)


def _cp_name(k: int) -> str:
    place = _CP_PLACES[k % len(_CP_PLACES)]
    trade = _CP_TRADES[(k // len(_CP_PLACES)) % len(_CP_TRADES)]
    return f"{place}{trade}有限公司"


def _cp_code(k: int) -> str:
    return f"91330000MA{k:08d}"


def _contract(c, eid, no, name, cp, ctype, amount, signed, months, *, related=False, original=None, status=None,
              collective=None, route=None, terminated=None):
    end = _add_months(signed, months)
    coll = amount >= 500 if collective is None else collective
    c.append(dict(contract_id=f"HT-{eid}-{no:03d}", period=AS_OF, enterprise_id=eid, contract_name=name,
                  counterparty_name=cp, counterparty_credit_code=None, counterparty_related=related,
                  counterparty_state_owned=related, contract_type=ctype, direction=_CP_TYPES[ctype],
                  amount=_r2(amount), original_amount=None if original is None else _r2(original), signed_date=signed,
                  start_date=signed, end_date=end,
                  approval_route=route or ("董事会" if coll else "总经理办公会"), collective_decision=coll,
                  status=status or ("完成" if end < _LEDGER_ASOF else "履行中"), terminated_date=terminated))
    return c[-1]


def _schedule(con: dict, n: int, rng, *, pay: bool = True, skip: tuple = (), extra: float = 0.0) -> tuple[list, list, list]:
    """Milestones and installments spread over the contract's term; paid on time (a few days after due)
    when due by the as-of date, except the installments in ``skip``; ``extra`` is paid on top."""
    ms, plan, trx = [], [], []
    start, end = con["start_date"], con["end_date"]
    span = (end - start).days
    amounts = np.full(n, round(con["amount"] / n, 2))
    amounts[-1] = round(con["amount"] - amounts[:-1].sum(), 2)
    kind = "付" if con["direction"] == "付款" else "收"
    for k in range(n):
        due = start + pd.Timedelta(days=int(span * (k + 1) / n)).to_pytimedelta()
        done = due + pd.Timedelta(days=int(rng.integers(0, 6))).to_pytimedelta()
        ms.append(dict(contract_id=con["contract_id"], milestone_no=k + 1, period=AS_OF,
                       enterprise_id=con["enterprise_id"], milestone_name=_MS_NAMES[k % len(_MS_NAMES)],
                       planned_date=due, actual_date=done if done <= _LEDGER_ASOF else None))
        plan.append(dict(contract_id=con["contract_id"], installment_no=k + 1, period=AS_OF,
                         enterprise_id=con["enterprise_id"], due_date=due, planned_amount=float(amounts[k]),
                         milestone_no=k + 1))
        if pay and done <= _LEDGER_ASOF and (k + 1) not in skip:
            parts = int(min(4, 1 + amounts[k] // 20))
            split = [round(float(amounts[k]) / parts, 2)] * (parts - 1)
            for amt in [*split, round(float(amounts[k]) - sum(split), 2)]:
                trx.append(dict(enterprise_id=con["enterprise_id"], contract_id=con["contract_id"],
                                transaction_date=done, direction=kind, amount=amt, method="银行转账",
                                counterparty_name=con["counterparty_name"]))
    if extra:
        trx.append(dict(enterprise_id=con["enterprise_id"], contract_id=con["contract_id"],
                        transaction_date=date(2022, 10, 20), direction=kind, amount=extra, method="银行转账",
                        counterparty_name=con["counterparty_name"]))
    return ms, plan, trx


def _ledger_contracts(ents: pd.DataFrame, rng: np.random.Generator) -> tuple[list, list, list, list]:
    """Ordinary contracts (inside every rule by construction) and the planted cases; returns the rows and the
    truth as (rule_id, case_id)."""
    contracts, milestones, plan, trx, truth = [], [], [], [], []
    types = ("工程", "采购", "咨询", "销售", "租赁", "采购", "工程")
    k_cp = 0
    for i, eid in enumerate(ents["enterprise_id"]):
        n_small = 7
        for no in range(1, n_small + 1):
            ctype = types[(i + no) % len(types)]
            signed = date(2021, 1, 1) + pd.Timedelta(days=int(rng.integers(0, 600))).to_pytimedelta()
            amount = float(rng.uniform(100, 300))
            months = int(rng.integers(6, 30))
            con = _contract(contracts, eid, no, f"{ctype}合同{no:02d}", _cp_name(k_cp), ctype, amount, signed, months)
            con["counterparty_credit_code"] = _cp_code(k_cp) if no % 3 else None
            con["counterparty_state_owned"] = bool(no % 4 == 0)
            if no == 2:  # a small, acceptable change (within the 10 % line)
                con["original_amount"] = _r2(con["amount"] / 1.05)
                con["status"] = "变更" if con["status"] == "履行中" else con["status"]
            k_cp += 1
            m, p, t = _schedule(con, int(rng.integers(2, 6)), rng)
            milestones += m
            plan += p
            trx += t
        if eid.count("-") == 0:  # groups: two large contracts, decided collectively
            for no in (8, 9):
                signed = date(2021, 6, 1) + pd.Timedelta(days=int(rng.integers(0, 300))).to_pytimedelta()
                con = _contract(contracts, eid, no, f"重大工程合同{no:02d}", _cp_name(k_cp), "工程",
                                float(rng.uniform(800, 1000)), signed, 24)
                k_cp += 1
                m, p, t = _schedule(con, 4, rng)
                milestones += m
                plan += p
                trx += t

    def planted(eid, no, name, cp, ctype, amount, signed, months, rule, **kw):
        sched = kw.pop("sched", {})
        con = _contract(contracts, eid, no, name, cp, ctype, amount, signed, months, **kw)
        m, p, t = _schedule(con, sched.pop("n", 4), rng, **sched)
        milestones.extend(m)
        plan.extend(p)
        trx.extend(t)
        if rule:
            truth.append((rule, con["contract_id"]))
        return con, m

    planted("G01-06", 21, "道路改造工程施工合同", "鹭汀路桥工程有限公司", "工程", 420.0, date(2022, 1, 10), 18,
            "contract_payment_overdue", sched={"n": 6, "skip": (3,)})
    planted("G02-03", 21, "交通设施采购合同", "望潮交通设施有限公司", "采购", 360.0, date(2021, 10, 31), 36,
            "contract_payment_overdue", sched={"n": 6, "skip": (1, 2)})
    planted("G04-01", 21, "景区门票分销合同", "栖霞岭旅行服务有限公司", "销售", 280.0, date(2022, 3, 31), 12,
            "contract_receivable_overdue", sched={"n": 4, "skip": (2,)})
    planted("G06-01", 21, "旧城改造监理服务合同", "柘浦工程监理有限公司", "咨询", 160.0, date(2021, 6, 30), 12,
            "contract_expired_open", status="履行中")
    con, m = planted("G05-04", 21, "生态修复工程合同", "莲塘生态工程有限公司", "工程", 300.0, date(2022, 1, 31), 15,
                     None, sched={"n": 3})
    # milestone 2 planned 2022-07-31 not achieved (its installment not paid either: no payment overdue check,
    # the plan moves the installment to the milestone's new date)
    m[1]["planned_date"], m[1]["actual_date"] = date(2022, 7, 31), None
    truth.append(("contract_milestone_overdue", f"{con['contract_id']}#2"))
    planted("G03-03", 21, "新材料生产线设备采购合同", "云岫智能装备制造有限公司", "采购", 360.0, date(2022, 2, 15), 18,
            "contract_amendment_increase", original=300.0, status="变更")
    planted("G02-05", 21, "轨道交通站点咨询合同", "松岙工程咨询有限公司", "咨询", 800.0, date(2022, 4, 20), 18,
            "contract_no_collective_decision", collective=False, route="总经理办公会")
    ids = []
    for no, (amt, day) in enumerate(((200.0, date(2022, 5, 6)), (180.0, date(2022, 5, 30)), (190.0, date(2022, 6, 28))),
                                    start=21):
        con, _ = planted("G01-02", no, f"土地平整工程合同（{no - 20}标段）", "石渚土方工程有限公司", "工程", amt, day, 12,
                         None)
        ids.append(con["contract_id"])
    truth.append(("contract_split_below_threshold", "、".join(ids)))
    planted("G04-05", 21, "会展中心场馆运营服务合同", "桐湾会展服务有限公司", "采购", 2400.0, date(2022, 2, 1), 24, None)
    truth.append(("counterparty_concentration", "G04-05"))
    for no, cp in zip((21, 22, 23), ("澜海产投关联贸易有限公司", "澜海产投关联物业有限公司", "澜海产投关联科技有限公司")):
        planted("G03-04", no, f"园区关联服务合同{no - 20}", cp, "采购", 300.0, date(2022, 3, no - 19), 12, None,
                related=True)
    truth.append(("related_party_share", "G03-04"))
    planted("G03-02", 21, "精密部件采购合同", "枫溪精密部件有限公司", "采购", 400.0, date(2021, 12, 1), 10,
            "transaction_over_contract", sched={"n": 4, "extra": 60.0})
    # no contract: two planted above the 5 万元 line, small bank charges below it elsewhere
    trx.append(dict(enterprise_id="G02-01", contract_id=None, transaction_date=date(2022, 9, 14), direction="付",
                    amount=48.0, method="银行转账", counterparty_name="青岚汽车维修有限公司"))
    trx.append(dict(enterprise_id="G05-02", contract_id=None, transaction_date=date(2022, 10, 9), direction="收",
                    amount=12.0, method="票据", counterparty_name="澄川环保科技有限公司"))
    for j, eid in enumerate(ents["enterprise_id"][::5]):
        trx.append(dict(enterprise_id=eid, contract_id=None, transaction_date=date(2022, 1 + j % 11, 25), direction="付",
                        amount=_r2(rng.uniform(0.1, 2.0)), method="其他", counterparty_name=None))
    return contracts, milestones, plan, trx, truth


def _ledger_findings(ents: pd.DataFrame, rng: np.random.Generator) -> tuple[list, list]:
    """Inspection findings: most closed or within their deadline, two overdue, one repeated category."""
    rows, truth = [], []
    ids = list(ents["enterprise_id"])
    n = 0

    def add(eid, source, found, cat, days, status, closed=None, amount=None, evidence=None):
        nonlocal n
        n += 1
        fid = f"WT2022-{n:03d}"
        rows.append(dict(finding_id=fid, period=AS_OF, enterprise_id=eid, source=source, found_date=found,
                         category=cat, description=f"{cat}方面存在不规范问题（示范）", amount_involved=amount,
                         responsible_unit="财务部" if cat in ("资金管理", "财务核算") else "综合办公室",
                         deadline=found + pd.Timedelta(days=days).to_pytimedelta(), status=status,
                         closed_date=closed, closure_evidence=evidence))
        return fid

    for k in range(32):
        eid = ids[(k * 7) % len(ids)]
        cat = _FINDING_CATS[k % len(_FINDING_CATS)]
        found = date(2022, 1, 15) + pd.Timedelta(days=int(rng.integers(0, 300))).to_pytimedelta()
        deadline_days = 90
        due = found + pd.Timedelta(days=deadline_days).to_pytimedelta()
        if due < _LEDGER_ASOF:
            closed = found + pd.Timedelta(days=int(rng.integers(20, 85))).to_pytimedelta()
            status = "已销号" if k % 2 else "已整改"
            add(eid, _FINDING_SOURCES[k % 5], found, cat, deadline_days, status, closed=closed,
                amount=_r2(rng.uniform(5, 200)) if k % 3 == 0 else None,
                evidence="整改报告及销号审批表（示范）" if status == "已销号" else None)
        else:
            add(eid, _FINDING_SOURCES[k % 5], found, cat, deadline_days, "整改中" if k % 2 else "未整改")
    truth.append(("finding_rectification_overdue", add("G01-05", "国资前哨督查", date(2022, 6, 30), "资金管理", 92,
                                                       "整改中", amount=35.0)))
    truth.append(("finding_rectification_overdue", add("G06-03", "巡察", date(2022, 8, 1), "工程建设", 91, "未整改")))
    a = add("G02-04", "审计", date(2022, 2, 10), "选人用人", 60, "已整改", closed=date(2022, 3, 30))
    b = add("G02-04", "日常监管", date(2022, 9, 5), "选人用人", 120, "整改中")
    truth.append(("finding_repeat", f"{a}、{b}"))
    return rows, truth


def build_ledger_tables(tables: dict[str, pd.DataFrame], *, seed: int = DEFAULT_SEED
                        ) -> tuple[dict[str, pd.DataFrame], list[dict]]:
    """The demo's contract, transaction and inspection ledgers as at 2022-11 and the planted warnings.

    Returns ``({table: rows}, truth)`` where truth lists ``{rule_id, case_id, enterprise_id}`` of exactly the
    warnings ``params/contract_rules.yaml`` must raise (every other row is inside every rule by construction).
    """
    rng = np.random.default_rng([seed, 40])
    ents = tables["roster"].sort_values("enterprise_id")
    contracts, milestones, plan, trx, c_truth = _ledger_contracts(ents, rng)
    findings, f_truth = _ledger_findings(ents, np.random.default_rng([seed, 41]))
    t = pd.DataFrame(trx)
    t = t.sort_values(["enterprise_id", "transaction_date", "contract_id"], kind="mergesort", na_position="first")
    t["transaction_id"] = [f"LS{k:06d}" for k in range(1, len(t) + 1)]
    t["voucher_no"] = [f"记-{d:%Y%m}-{k % 1000:04d}" for k, d in enumerate(t["transaction_date"], start=1)]
    t["period"] = AS_OF
    out = {"contracts": pd.DataFrame(contracts), "contract_milestones": pd.DataFrame(milestones),
           "contract_payment_plan": pd.DataFrame(plan), "transactions": t, "inspection_findings": pd.DataFrame(findings)}
    for name, df in out.items():
        tb = table(name)
        out[name] = df[tb.field_names].sort_values(list(tb.key), kind="mergesort").reset_index(drop=True)
    eid_of = {**dict(zip(out["contracts"]["contract_id"], out["contracts"]["enterprise_id"])),
              **dict(zip(out["transactions"]["transaction_id"], out["transactions"]["enterprise_id"])),
              **dict(zip(out["inspection_findings"]["finding_id"], out["inspection_findings"]["enterprise_id"]))}
    planted_trx = out["transactions"].loc[out["transactions"]["contract_id"].isna()
                                          & (out["transactions"]["amount"] >= 5.0)]
    truth = [(r, c) for r, c in c_truth + f_truth] + [("transaction_without_contract", x)
                                                       for x in planted_trx["transaction_id"]]
    rows = []
    for rule, case in truth:
        first = case.split("、")[0].split("#")[0]
        rows.append({"rule_id": rule, "case_id": case, "enterprise_id": eid_of.get(first, case)})
    rows.sort(key=lambda r: (r["rule_id"], r["enterprise_id"], r["case_id"]))
    return out, rows


def _write_ledgers(out: Path, tables: dict[str, pd.DataFrame], *, seed: int) -> list[Path]:
    """Write one ledger workbook per group under ``raw/台账/2022-11/`` and ``contract_ground_truth.yaml``."""
    ledgers, truth = build_ledger_tables(tables, seed=seed)
    folder = out / "raw" / _LEDGER_DIR / AS_OF
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    groups = tables["roster"][tables["roster"].is_group].sort_values("enterprise_id")
    for g in groups.itertuples():
        content = []
        for name in _LEDGER_TABLES:
            df = ledgers[name]
            part = df[df["enterprise_id"].map(_group) == g.enterprise_id]
            rows = [[f.label_zh for f in table(name).fields], _units_line(name)]
            rows += list(_rows(part, name, "万元", for_csv=False))
            content.append((table(name).label_zh, rows))
        path = folder / f"{g.enterprise_id}_{g.short_name}_台账.xlsx"
        path.write_bytes(xlsx_bytes(content))
        written.append(path)
    doc = {"description": f"{DISTRICT_NAME}示范数据（虚构）合同与督查台账在 {AS_OF} 期按设计触发的预警"
                          "（params/contract_rules.yaml）；除此之外无其他预警。",
           "period": AS_OF, "warnings": truth}
    path = out / "contract_ground_truth.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
    written.append(path)
    return written


# --------------------------------------------------------------------------
# a larger district (issue 18): ``generate_demo(out, enterprises=N)``
#
# The 46-enterprise district is the unit: a district of N enterprises holds ceil(N / 46) copies of it
# ("replicas"), each with its own groups (G01..G06 for the first, G07..G12 for the second, …), its own
# fictional place name in place of 澜海, its amounts scaled by one factor per replica (so every identity,
# every ratio and every planted risk case holds in every replica, by construction), and one of a few base
# generations with different seeds (so the replicas are not all the same shape). The last replica keeps a
# prefix of the roster in tree order (a parent always before its children) so the district has exactly N.
# Replicas are built and written one at a time: memory stays at one replica, and time grows linearly.

#: Characters of the replicas' fictional place names (two each; the first replica keeps 澜海).
_PLACE_FIRST = "东西南北青白金银云翠碧清澄明临望蓬玉紫丹岚汀溪枫桐柳梅杏桃松竹荷兰芷芸苍沧"
_PLACE_SECOND = "湾屿浦塘岙渚岭川洲港源泉滨岸峰溪湖潭沙坪桥城阳宁安丰和平川"
#: Enterprise-id columns: relabelled with the replica's group numbers.
_ENTERPRISE_COLUMNS = ("enterprise_id", "parent_id", "guarantor_id", "beneficiary_id")
#: Tables kept once for the whole district (the supervisor's own ledgers).
_DISTRICT_ONLY = ("key_tasks",)
_SCALED_BASE_SEEDS = 3
_SCALE_SIGMA = 0.35


def _place_names(count: int) -> list[str]:
    """``count`` distinct two-character fictional place names; the first is 澜海."""
    names = ["澜海"] + [a + b for a in _PLACE_FIRST for b in _PLACE_SECOND if a + b != "澜海"]
    if count > len(names):
        names += [f"{names[i % len(names)]}{i // len(names) + 1}" for i in range(len(names), count)]
    return names[:count]


def _base_variants(seed: int) -> list[tuple[dict[str, pd.DataFrame], dict]]:
    """The base generations the replicas cycle through (seeds whose planted cases hold)."""
    out = [build_demo_tables(seed=seed)]
    k = 1
    while len(out) < _SCALED_BASE_SEEDS and k < 20:
        try:
            out.append(build_demo_tables(seed=seed + k))
        except RuntimeError:
            pass
        k += 1
    return out


def _replica_ids(ids: pd.Series, group_map: dict[str, str]) -> pd.Series:
    """Enterprise ids with the group part renamed (``G03-02`` → ``G09-02``); null and DISTRICT kept."""
    text = ids.astype("object")
    mask = text.notna() & (text != "DISTRICT")
    s = text[mask].astype(str)
    parts = s.str.partition("-")
    new = parts[0].map(group_map).fillna(parts[0]) + parts[1] + parts[2]
    out = text.copy()
    out[mask] = new.to_numpy()
    return out


def _replica_table(name: str, df: pd.DataFrame, *, k: int, place: str, scale: float,
                   group_map: dict[str, str], keep: set[str] | None) -> pd.DataFrame:
    """One table of replica ``k``: ids relabelled, 澜海 renamed, amounts scaled, dropped enterprises removed."""
    t = table(name)
    df = df.copy()
    ent_cols = [c for c in _ENTERPRISE_COLUMNS if c in df.columns]
    if k:
        for c in ent_cols:
            df[c] = _replica_ids(df[c], group_map)
        for c in t.key:
            f = t.field(c)
            if c in ent_cols or c in ("period", "item") or f.dtype != "str":
                continue
            df[c] = df[c].astype("object").where(df[c].isna(), df[c].astype(str) + f"-R{k}")
        if "debt_id" in df.columns:  # debt ids start with the enterprise id
            head = df["debt_id"].str.rsplit("-D", n=1)
            df["debt_id"] = _replica_ids(head.str[0], group_map) + "-D" + head.str[1]
        for f in t.fields:
            if f.dtype == "str" and f.name not in ent_cols and f.name not in t.key and df[f.name].notna().any():
                col = df[f.name]
                df[f.name] = col.where(col.isna(), col.astype(str).str.replace("澜海", place, regex=False))
        if name == "roster":  # short names are unique too: those without the place name get it in front
            short = df["short_name"].astype(str)
            df["short_name"] = short.where(short.str.contains(place, regex=False), place + short)
    if scale != 1.0:
        for f in t.fields:
            if f.is_money:
                df[f.name] = (df[f.name].astype("float64") * scale).round(2)
        for c in ("headcount_end", "headcount_avg"):
            if c in df.columns:
                df[c] = np.maximum(np.round(df[c].astype("float64") * scale), 1).astype(df[c].dtype)
        if name == "targets":
            money = (df["unit"] == "万元") & (df["enterprise_id"] != "DISTRICT")
            df.loc[money, "target_value"] = (df.loc[money, "target_value"] * scale).round(-1)
    if keep is not None:
        for c in ent_cols:
            v = df[c]
            df = df[v.isna() | (v == "DISTRICT") | v.isin(keep)]
    return df.reset_index(drop=True)


_TRUTH_IDS = ("enterprise_id", "guarantor_id")
_TRUTH_MONEY = ("total_assets", "total_liabilities", "total_profit", "interest_expense", "capitalized_interest",
                "amount", "guaranteed_debt", "month_amount", "total_12m")


def _replica_truth(entities: list[dict], *, k: int, scale: float, group_map: dict[str, str],
                   keep: set[str] | None, money_value: bool) -> list[dict]:
    out = []
    for e in entities:
        e = dict(e)
        for c in _TRUTH_IDS:
            if c in e and k:
                e[c] = str(_replica_ids(pd.Series([e[c]]), group_map).iloc[0])
        if "guarantee_id" in e and k:
            e["guarantee_id"] = f"{e['guarantee_id']}-R{k}"
        if keep is not None and any(e.get(c) is not None and e[c] not in keep for c in _TRUTH_IDS):
            continue
        for c in _TRUTH_MONEY + (("value",) if money_value else ()):
            if c in e and isinstance(e[c], (int, float)):
                e[c] = round(float(e[c]) * scale, 2)
        out.append(e)
    return out


def _append_csv(path: Path, df: pd.DataFrame, name: str, *, header: bool) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    if header:
        w.writerow([f.label_zh for f in table(name).fields])
        w.writerow(_units_line(name))
    for row in _rows(df, name, "万元", for_csv=True):
        w.writerow(row)
    data = buf.getvalue().encode("utf-8-sig" if header else "utf-8")
    with open(path, "wb" if header else "ab") as fh:
        fh.write(data)


def _generate_scaled(out: Path, *, enterprises: int, seed: int) -> list[Path]:
    """Write a district of ``enterprises`` enterprises (see the section comment above)."""
    variants = _base_variants(seed)
    base_roster = variants[0][0]["roster"]
    unit = len(base_roster)
    n_rep = -(-enterprises // unit)
    base_groups = list(base_roster.loc[base_roster["is_group"], "enterprise_id"])
    places = _place_names(n_rep)
    raw = out / "raw"
    (raw / "history").mkdir(parents=True, exist_ok=True)
    monthly = [n for n in TABLES if n not in ("roster", "targets", "key_tasks")]
    months = [f"2022-{mo:02d}" for mo in range(1, 12)]
    for m in months:
        (raw / m).mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    once: dict[str, list[pd.DataFrame]] = {"roster": [], "targets": [], "key_tasks": []}
    truth_rules: dict[str, dict] = {}
    scale_rng = np.random.default_rng([seed, 18])
    for k in range(n_rep):
        tables, truth = variants[k % len(variants)]
        scale = 1.0 if k == 0 else float(np.exp(scale_rng.normal(0.0, _SCALE_SIGMA)))
        group_map = {g: f"G{k * len(base_groups) + i + 1:02d}" for i, g in enumerate(base_groups)}
        remaining = enterprises - k * unit
        keep = None
        if remaining < unit:
            ids = sorted(tables["roster"]["enterprise_id"])[:remaining]
            keep = set(_replica_ids(pd.Series(ids), group_map)) if k else set(ids)
        rep = {name: _replica_table(name, df, k=k, place=places[k], scale=scale, group_map=group_map, keep=keep)
               for name, df in tables.items() if not (k and name in _DISTRICT_ONLY)}
        if k:
            rep["targets"] = rep["targets"][rep["targets"]["enterprise_id"] != "DISTRICT"]
        for name in once:
            if name in rep:
                once[name].append(rep[name])
        for section in ("rules", "warnings"):
            for rule, spec in truth[section].items():
                slot = truth_rules.setdefault(rule, {"section": section, "rule": spec["rule"], "entities": []})
                slot["entities"] += _replica_truth(spec["entities"], k=k, scale=scale, group_map=group_map, keep=keep,
                                                   money_value=rule.startswith("guarantee"))
        split = {n: _split_by_month(n, rep[n]) for n in monthly}
        for name in monthly:
            df = split[name]
            hist = df[df["_month"] < "2022-01"].drop(columns=["_month", "_group"])
            path = raw / "history" / f"{name}.csv"
            _append_csv(path, hist, name, header=k == 0)
            if k == 0:
                written.append(path)
        roster = rep["roster"]
        groups = roster[roster["is_group"]].sort_values("enterprise_id")
        parts = {name: dict(iter(split[name][split[name]["_month"] >= "2022-01"].groupby(["_month", "_group"])))
                 for name in monthly}
        base_of = {v: g for g, v in group_map.items()} if k else {g: g for g in base_groups}
        for month in months:
            for g in groups.itertuples():
                sheets = []
                for name in monthly:
                    if name == "financials" and month.endswith("-01"):
                        continue  # January is not reported
                    part = parts[name].get((month, g.enterprise_id))
                    if part is None:
                        part = split[name].iloc[:0]
                    part = part.drop(columns=["_month", "_group"])
                    unit_name = _UNIT_OVERRIDES.get((base_of.get(g.enterprise_id, g.enterprise_id), name), "万元")
                    sheets.append((name, part, unit_name))
                path = raw / month / f"{g.enterprise_id}_{g.short_name}.xlsx"
                _write_xlsx(path, sheets)
                written.append(path)
    for name, frames in once.items():
        df = pd.concat(frames, ignore_index=True)
        df = df.sort_values(list(table(name).key), kind="mergesort").reset_index(drop=True)
        path = raw / f"{name}.xlsx"
        _write_xlsx(path, [(name, df, "万元")])
        written.append(path)
    roster = pd.concat(once["roster"], ignore_index=True)
    doc = {
        "description": f"示范数据（虚构）扩展为 {enterprises} 家企业：{n_rep} 个与{DISTRICT_NAME}同结构的副本"
                       "（各有六大集团及二、三级子企业，金额按副本统一缩放），每个副本都含按设计越线的企业。",
        "district": DISTRICT_NAME,
        "period": AS_OF,
        "enterprises": int(len(roster)),
        "groups": int(roster["is_group"].sum()),
        "replicas": n_rep,
        "rules": {r: {"rule": s["rule"], "entities": s["entities"]} for r, s in truth_rules.items()
                  if s["section"] == "rules"},
        "warnings": {r: {"rule": s["rule"], "entities": s["entities"]} for r, s in truth_rules.items()
                     if s["section"] == "warnings"},
    }
    path = out / "ground_truth.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
    written.append(path)
    return written
