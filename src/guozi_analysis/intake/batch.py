"""Validation of a whole batch of files at once: one pandera run per table, history checks as one join.

:func:`guozi_analysis.intake.ingestion.ingest` takes files one after another (roster first, then
history, then period by period), and each file used to be validated on its own against the store as
left by the files before it: ~15 pandera validations per file, and history checks that re-read the
whole store for every file, so a district's first ingest grew faster than its number of files.

:func:`validate_batch` gives every file exactly the findings :func:`validate_tables` would give it in
that sequence, computed once for the batch: each table's frames of all files are concatenated (files
with the same columns and dtypes together) and checked once; findings go back to their file by the
rows' ``source_file`` (so they still name file, sheet and row, in the same order). The history checks
(本年累计不降, 期间连续, 单位跳变) find each row's previous period by one sort over the store and the batch
together. That equals the file-by-file result when no file of the batch replaces rows of the store or
of another file of the batch, when every previous row a later file relies on was accepted, and when no
row comes before its previous period in intake order; otherwise :func:`validate_batch` returns
``None`` and ingest validates file by file as before (corrections, duplicates and bad files are
usually a handful of files, the bulk of a first ingest or of a new month is not).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from guozi_analysis.base import contract
from guozi_analysis.intake.validate import (
    YTD_RULES,
    Finding,
    check_cross_table,
    check_enterprises,
    check_identities,
    check_ledgers,
    check_optional_items,
    check_period_continuity,
    check_periods,
    check_schema,
    check_unit_jumps,
    check_ytd_monotonic,
)

__all__ = ["BatchItem", "validate_batch"]

_EID = {"guarantees": "guarantor_id"}
_CUMULATIVE = {"projects"}


@dataclass
class BatchItem:
    """One file of the batch: its stored name, its typed tables and what the reader found."""

    stored: str
    tables: dict[str, pd.DataFrame]
    reader_findings: list[Finding]
    kb_titles: set[str]


def _text_key(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    parts = [df[c].astype("object").where(df[c].notna(), "\x00").astype("str") for c in cols]
    out = parts[0]
    for p in parts[1:]:
        out = out + "\x01" + p
    return out


def _unit_cols(name: str) -> list[str]:
    t = contract.table(name)
    eid = _EID.get(name, "enterprise_id")
    return [eid, "period"] if "period" in t.field_names else list(t.key)


def _dispatch(findings: list[Finding], pos_of: dict[str, int]) -> dict[int, list[Finding]] | None:
    """Findings by file position (via ``source_file``); ``None`` when one cannot be placed (column-level)."""
    out: dict[int, list[Finding]] = {}
    for f in findings:
        if f.row is None or f.file not in pos_of:
            return None
        out.setdefault(pos_of[f.file], []).append(f)
    return out


def _history_ok(name: str, cat: pd.DataFrame, owner: np.ndarray, items: list[BatchItem],
                history: dict[str, pd.DataFrame]) -> bool:
    """For one table (``cat``: the batch's frames of it one after another, ``owner``: each row's item): no
    unit or key of the batch in the store or in two files; every frame locates its rows. (Keys unique
    across the batch also means no key repeats within a file: the batch needs no per-file duplicate
    check.)"""
    t = contract.table(name)
    if not {"source_file", "source_row", *t.key} <= set(cat.columns):
        return False
    stored = np.array([it.stored for it in items], dtype=object)[owner]
    if cat["source_file"].ne(pd.Series(stored, index=cat.index)).any():
        return False
    keys = _text_key(cat, list(t.key))
    if keys.duplicated().any():
        return False
    units = _text_key(cat, _unit_cols(name))
    per_unit = pd.Series(owner).groupby(units.to_numpy()).nunique()
    if (per_unit > 1).any():
        return False
    old = history.get(name)
    if old is not None and len(old):
        # only the stored rows of the batch's enterprises can share a key or a unit with it (the key and
        # the unit both start with the enterprise): the text keys are made for those rows, not the store
        first = _unit_cols(name)[0]
        if first in old.columns and first == t.key[0] and first in cat.columns:
            old = old[old[first].isin(cat[first].dropna().unique()) | old[first].isna()]
        if len(old):
            if keys.isin(_text_key(old, list(t.key))).any():
                return False
            if units.isin(_text_key(old, _unit_cols(name))).any():
                return False
    if name == "financials" and cat["period"].astype("str").str.endswith("-01").any():
        return False  # January rows: the continuity check treats them specially
    return True


def _blocked(frame: pd.DataFrame, name: str, findings: list[Finding], kb_titles: set[str]) -> np.ndarray:
    """Rows ingest will quarantine (same rules as :func:`guozi_analysis.intake.ingestion.ingest`)."""
    if not any(f.is_error for f in findings):
        return np.zeros(len(frame), bool)  # most files of a batch: nothing to look up row by row
    if any(f.is_error and f.row is None and f.table == name for f in findings):
        return np.ones(len(frame), bool)
    if any(f.is_error and f.rule.startswith("file_") for f in findings):
        return np.ones(len(frame), bool)
    rows = {f.row for f in findings if f.is_error and f.table == name and f.row is not None}
    kb_bad = {f.sheet for f in findings if f.is_error and f.sheet in kb_titles}
    out = frame["source_row"].astype("int64").isin(list(rows)).to_numpy()
    if kb_bad:
        out |= frame["source_sheet"].astype("str").isin(list(kb_bad)).to_numpy()
    return out


class _Previous:
    """Each batch row's previous period (and values) for a key, over the store and the batch."""

    def __init__(self, cat: pd.DataFrame, owner: np.ndarray, hist: pd.DataFrame | None, blocked: np.ndarray,
                 *, has_history: np.ndarray | None = None, periods: pd.Series | None = None):
        self.cat, self.owner, self.hist, self.blocked = cat, owner, hist, blocked
        self.has_history = has_history
        self.periods = periods  # rows taking part (default: all with a period)
        self.failed = False

    def __call__(self, key: tuple[str, ...], fields: list[str]) -> pd.DataFrame:
        cat, hist = self.cat, self.hist
        cols = [*key, "period", *fields]
        take = cat["period"].notna() & cat[list(key)].notna().all(axis=1)
        if self.periods is not None:
            take &= self.periods
        new = cat.loc[take, [c for c in cols if c in cat.columns]].copy()
        new["_ord"] = self.owner[take.to_numpy()]
        new["_blk"] = self.blocked[take.to_numpy()]
        new["_idx"] = np.nonzero(take.to_numpy())[0]
        parts = [new]
        if hist is not None and len(hist) and set(cols) <= set(hist.columns):
            h = hist.loc[hist[key[0]].isin(cat[key[0]].dropna().unique()), cols].copy()
            h = h[h["period"].notna() & h[list(key)].notna().all(axis=1)]
            h["_ord"], h["_blk"], h["_idx"] = -1, False, -1
            parts.append(h)
        comb = pd.concat(parts, ignore_index=True)
        comb["period"] = comb["period"].astype("str")
        comb = comb.sort_values([*key, "period"], kind="mergesort")
        prev = comb.groupby(list(key), sort=False)[["period", "_ord", "_blk", *fields]].shift(1)
        is_new = (comb["_idx"] >= 0).to_numpy()
        p_ord = prev["_ord"].to_numpy()[is_new]
        ords = comb["_ord"].to_numpy()[is_new]
        seen = ~pd.isna(p_ord)
        p_ord_f = np.where(seen, p_ord, -1).astype("float64")
        later = seen & (p_ord_f > ords)
        blk = seen & (p_ord_f >= 0) & (p_ord_f < ords) & prev["_blk"].fillna(False).to_numpy(bool)[is_new]
        if later.any() or blk.any():
            self.failed = True
        idx = comb["_idx"].to_numpy()[is_new]
        out = pd.DataFrame({"prev_period": prev["period"].to_numpy()[is_new]}, index=cat.index[idx])
        for f in fields:
            out[f"prev_{f}"] = prev[f].to_numpy()[is_new]
        out = out.reindex(cat.index)
        if self.has_history is not None:  # the file-by-file check skips files with no stored history
            out.loc[~self.has_history] = np.nan
        return out


def validate_batch(items: list[BatchItem], *, history: dict[str, pd.DataFrame] | None, roster,
                   today: date | None, on_table=None) -> list[list[Finding]] | None:
    """Per item, the findings :func:`guozi_analysis.intake.validate.validate_tables` gives it when the
    items are ingested one after another; ``None`` when the batch needs file-by-file validation.

    ``on_table(name, rows, owner)``, when given, is called once per table whose checks are done, with the
    batch's rows of it (the items' frames one after another) and each row's item index: the caller's own
    bookkeeping on them costs one pass, not one per file. Its calls count only if the batch is not ``None``.
    """
    history = history or {}
    if not items:
        return None
    pos_of = {it.stored: i for i, it in enumerate(items)}
    per: list[list[Finding]] = [[] for _ in items]
    cross_tables: dict[str, pd.DataFrame] = {}
    for name in contract.INTAKE_TABLES:
        # each file's frame of the table is unpacked once (see ingestion._Packed), for the batch's frame below
        frames = [(i, it.tables[name]) for i, it in enumerate(items) if name in it.tables]
        if not frames:
            continue
        if len({tuple(df.columns) for _, df in frames}) > 1:
            return None  # files of one table with different columns: file by file
        # one frame of the table for the whole batch: the history check and every rule below read it
        owner = np.repeat([i for i, _ in frames], [len(df) for _, df in frames])
        cat = pd.concat([df for _, df in frames], ignore_index=True)
        if not _history_ok(name, cat, owner, items, history):
            return None  # findings of the tables before are dropped: file by file gives them all again
        hist = history.get(name)
        stored_rows = hist is not None and len(hist) > 0
        got: dict[int, list[Finding]] = {}

        def run(check, *, got=got, frames=frames, cat=cat):  # on the batch's frame, else file by file
            found = _dispatch(check(cat), pos_of)
            if found is None:
                found = {i: check(df) for i, df in frames}
            for i, fs in found.items():
                got.setdefault(i, []).extend(fs)

        run(lambda d: check_schema(d, name))
        _whole_null_per_file(got, frames, name)
        # no duplicate key in the batch (_history_ok), so none within a file: check_duplicates finds nothing
        run(lambda d: check_periods(d, name, today=today))
        run(lambda d: check_enterprises(d, name, roster))
        run(lambda d: check_identities(d, name))
        blocked = np.concatenate([_blocked(df, name, items[i].reader_findings + got.get(i, []), items[i].kb_titles)
                                  for i, df in frames])
        if name in YTD_RULES or name in _CUMULATIVE:
            prev = _Previous(cat, owner, hist, blocked)
            ytd = _dispatch(check_ytd_monotonic(cat, name, previous=prev), pos_of)
            if ytd is None or prev.failed:
                return None
            for i, fs in ytd.items():
                got.setdefault(i, []).extend(fs)
                # a row quarantined for a falling YTD figure must not be a later file's previous row
                bad = {f.row for f in fs if f.is_error}
                sel = owner == i
                blocked[sel] |= cat.loc[sel, "source_row"].astype("int64").isin(list(bad)).to_numpy()
            check_again = _Previous(cat, owner, hist, blocked)
            key = (YTD_RULES.get(name) or (("project_id",),))[0]
            check_again(key, [])
            if check_again.failed:
                return None
        if name == "financials" and {"enterprise_id", "period"} <= set(cat.columns):
            text = cat["period"].astype("str")
            valid = text.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])").fillna(False)
            prev = _Previous(cat, owner, hist, blocked, periods=valid & ~text.str.endswith("-01"))
            cont = _dispatch(check_period_continuity(cat, name, previous=prev), pos_of)
            if cont is None or prev.failed:
                return None
            for i, fs in cont.items():
                got.setdefault(i, []).extend(fs)
        if contract.money_fields(name):
            accepted_before = _accepted_before(frames, blocked, owner, stored_rows)
            prev = _Previous(cat, owner, hist, blocked, has_history=accepted_before)
            jumps = _dispatch(check_unit_jumps(cat, name, previous=prev), pos_of)
            if jumps is None or prev.failed:
                return None
            for i, fs in jumps.items():
                got.setdefault(i, []).extend(fs)
        run(lambda d: check_optional_items(d, name))
        for i, fs in got.items():
            per[i].extend(fs)
        if on_table is not None:
            on_table(name, cat, owner)
        if name in ("projects", "guarantees"):
            cross_tables[name] = cat  # the cross-table checks below read the same rows
    # cross-table checks: rows of 项目 and 担保 on their own (no column-level finding)
    cross = _dispatch(check_cross_table(cross_tables, roster=roster), pos_of) if cross_tables else {}
    if cross is None:
        return None
    for i, fs in cross.items():
        per[i].extend(fs)
    # ledger checks (合同、流水、督查): each file against the store and the contracts of the files before it
    earlier = [history["contracts"]] if history.get("contracts") is not None else []
    for i, it in enumerate(items):
        if any(name in it.tables for name in contract.LEDGER_TABLES):
            known = [df for df in earlier if df is not None and len(df)]
            per[i].extend(check_ledgers(it.tables, history={"contracts": pd.concat(known, ignore_index=True)}
                                        if known else {}))
        if "contracts" in it.tables:
            earlier.append(it.tables["contracts"])
    return per


def _whole_null_per_file(got: dict[int, list[Finding]], group, name: str) -> None:
    """A required column empty in a whole file (of more than one row) is one column finding there, not one
    per row: redo the schema check of such a file on its own."""
    for i, df in group:
        fs = got.get(i, [])
        counts: dict[str, int] = {}
        for f in fs:
            if f.rule == "required_missing" and f.row is not None:
                counts[f.column] = counts.get(f.column, 0) + 1
        if len(df) > 1 and any(n == len(df) for n in counts.values()):
            got[i] = check_schema(df, name)


def _accepted_before(group, blocked: np.ndarray, owner: np.ndarray, stored_rows: bool) -> np.ndarray:
    """Per batch row: did the store hold rows of this table when its file was validated file by file?"""
    if stored_rows:
        return np.ones(len(owner), bool)
    files = [i for i, _ in group]
    accepted = {i: bool((~blocked[owner == i]).any()) for i in files}
    out = np.zeros(len(owner), bool)
    seen = False
    for i in files:
        out[owner == i] = seen
        seen = seen or accepted[i]
    return out
