"""Small helpers on data frames shared by every layer."""

from __future__ import annotations

from collections.abc import Callable, Hashable

import pandas as pd


def rows_by(frame: pd.DataFrame, key) -> Callable[[Hashable], pd.DataFrame]:
    """Each key's rows of ``frame``, found in one grouping pass (not a scan of every row per key: at a
    province's size that is the square of the number of enterprises, issue 27).

    ``key`` is what :meth:`pandas.DataFrame.groupby` takes (a column name, a Series or an array of the
    frame's length). Returns a function of a key value giving that value's rows in their order, or the
    frame's empty slice (same columns and dtypes) for a value without rows.
    """
    groups = dict(iter(frame.groupby(key, sort=False)))
    empty = frame.iloc[:0]
    return lambda value: groups.get(value, empty)
