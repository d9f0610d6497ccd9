"""The one formatter every displayed table goes through: what a reader sees, cell by cell."""

from __future__ import annotations

import numpy as np
import pandas as pd

from guozi_analysis.publishing.display import MISSING_NOTE, reader_frame, reader_html, reader_value


def test_cells_print_as_a_reader_expects():
    assert reader_value(np.nan) == "—"
    assert reader_value(None) == "—"
    assert reader_value(pd.NaT) == "—"
    assert reader_value("nan") == "—"
    assert reader_value("NaT") == "—"
    assert reader_value(True) == "是"
    assert reader_value(np.bool_(False)) == "否"
    assert reader_value("True") == "是"
    assert reader_value(76.0) == "76"
    assert reader_value(np.int64(12345)) == "12,345"
    assert reader_value(37628.4712) == "37,628.47"
    assert reader_value(pd.Timestamp("2022-11-30")) == "2022-11-30"
    assert reader_value("澜海城投") == "澜海城投"


def test_a_column_is_whole_numbers_only_when_every_value_is():
    frame = pd.DataFrame({"家数": [2.0, 3.0, np.nan], "比率": [100.0, 99.5, 1.0]})
    shown = reader_frame(frame)
    assert shown["家数"].tolist() == ["2", "3", "—"]
    assert shown["比率"].tolist() == ["100.00", "99.50", "1.00"]


def test_plain_index_is_dropped_and_a_named_index_becomes_grouped_columns():
    plain = reader_frame(pd.DataFrame({"a": [1, 2]}))
    assert list(plain.columns) == ["a"]
    frame = pd.DataFrame({"企业": ["甲", "甲", "乙"], "项目": ["营收", "利润", "营收"], "值": [1.0, 2.0, 3.0]})
    shown = reader_frame(frame.set_index(["企业", "项目"]))
    assert list(shown.columns) == ["企业", "项目", "值"]
    assert shown["企业"].tolist() == ["甲", "", "乙"]
    assert shown["项目"].tolist() == ["营收", "利润", "营收"]


def test_input_is_not_changed_and_html_has_no_machine_text():
    frame = pd.DataFrame({"值": [np.nan, 1.5], "标志": [True, False]}, index=pd.Index(["甲", "乙"], name="企业"))
    before = frame.copy()
    page = reader_html(frame)
    pd.testing.assert_frame_equal(frame, before)
    for word in ("NaN", "nan", "True", "False", "None"):
        assert word not in page
    assert "<th>企业</th>" in page and "<td>—</td>" in page and MISSING_NOTE in page
    assert MISSING_NOTE not in reader_html(frame.fillna(0))


def test_measured_columns_keep_their_decimals():
    """A float column of rates or scores prints 75.00 even when every value is whole (序时进度 75 % at the
    end of Q3 read "75" under 83.33); a count column stays whole."""
    import pandas as pd

    from guozi_analysis.publishing.display import reader_frame

    shown = reader_frame(pd.DataFrame({"序时进度（%）": [75.0, 50.0], "得分": [75.0, 100.0],
                                       "企业户数": [6.0, 40.0]}))
    assert shown["序时进度（%）"].tolist() == ["75.00", "50.00"]
    assert shown["得分"].tolist() == ["75.00", "100.00"]
    assert shown["企业户数"].tolist() == ["6", "40"]
