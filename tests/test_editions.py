"""Issue 26: the public edition is a summary of its own under the district's public policy, versions are
back matter (版本信息), and publications are dated as issued."""

import json

import pandas as pd
import pytest

from guozi_analysis.base.params import district_settings
from guozi_analysis.publishing import book

PERIOD = "2022-11"
SETTINGS = {"district": {"name": "澜海区", "supervisor": "澜海区国资委"}, "report": {}}


@pytest.fixture()
def executed(tmp_path):
    inputs = {"roster.xlsx": "ab" * 32}
    (tmp_path / "manifest.json").write_text(json.dumps({"period": PERIOD, "inputs": inputs,
                                                        "package_version": "9.9.9"}), "utf-8")
    return tmp_path


def test_front_matter_speaks_to_the_reader_and_versions_are_back_matter(executed):
    front = book.index_page(period=PERIOD, settings=SETTINGS, executed_dir=executed, profiles_link=False)
    public = book.public_index_page(period=PERIOD, settings=SETTINGS, executed_dir=executed)
    version = book.data_version(executed)
    for page in (front, public):
        assert "数据截至2022年11月30日" in page
        for word in ("guozi", "自动生成", "软件版本", "数据版本", version):
            assert word not in page, word
    assert "附录" in front and "书末为版本信息" in front  # the reader is told what is at the back
    colophon = book.colophon_page(executed, period=PERIOD, kind="review", settings=SETTINGS)
    assert colophon.startswith("# 版本信息")
    # issued on the 15th of the month after November (report.issue_day of the demo district)
    assert "| 出版日期 | 2022年12月15日 |" in colophon and "| 数据截至 | 2022年11月30日 |" in colophon
    assert f"| 数据版本 | {version}（" in colophon and "| 生成软件 | guozi-analysis 9.9.9 |" in colophon
    short = book.colophon_page(executed, period="2022-10", kind="monthly", settings=SETTINGS, compact=True)
    assert "出版日期：2022年11月15日；数据截至：2022年10月31日；" in short  # a bulletin's: one paragraph


def test_the_internal_edition_ends_with_the_colophon_and_leaves_the_public_summary_out():
    settings = district_settings()
    chapters = ["index.md", "r/01_review_2022.ipynb", "r/02_plan_2023.ipynb", "r/03_public_summary.ipynb"]
    appendices = ["r/10_district_overview.ipynb", "dictionary.md", "r/95_sources.ipynb"]
    internal = book.internal_selection(chapters, appendices, settings=settings)
    assert internal == (chapters[:3], [*appendices, book.COLOPHON])
    public = book.public_selection(chapters, appendices, settings=settings)
    assert public == (["index.md", "r/03_public_summary.ipynb"], [])  # no colophon, no appendix


def test_the_public_check_applies_the_districts_forbidden_categories():
    roster = pd.DataFrame({"enterprise_id": ["G01", "G01-01"], "name": ["澜海城投集团", "澜海城投置业"],
                           "short_name": ["城投", "城投置业"], "parent_id": [None, "G01"], "level": [1, 2]})
    policy = book.public_policy()
    assert book.public_leaks(["全区国企实现营业总收入281.54亿元。城投集团推进项目建设。严控对非关联企业和超股比担保。"],
                             roster=roster, policy=policy) == []  # the policy, not the amounts: public
    cases = {"对非关联企业担保1笔、金额0.80亿元": "对非关联企业担保的笔数或金额", "超股比担保1笔": "超股比担保的笔数或金额",
             "逾期未整改2项": "逾期未整改事项的数目", "使用 guozi-analysis 生成": "软件名称",
             "数据版本 fdd687654af0": "数据版本或软件版本", "校验值 fdd687654af0": "数据版本或软件版本",
             "三家集团营业收入目标完成率低于序时进度": "分企业的目标完成缺口"}
    for text, what in cases.items():
        leaks = book.public_leaks([text], roster=roster, policy=policy)
        assert any(f"（{what}）" in line for line in leaks), (text, leaks)
    assert book.public_leaks(["城投置业新开工"], roster=roster, policy=policy) == ["公开版出现了子企业的简称：城投置业"]
    assert book.public_leaks(["城投推进"], roster=roster, flagged=["G01"], policy=policy) == [
        "公开版出现了列入重点监管名单的企业的简称：城投"]
    wider = {**policy, "name_level": 2}  # a district may let subsidiaries be named
    assert book.public_leaks(["城投置业新开工"], roster=roster, policy=wider) == []
