"""Lists of enterprises in a publication, bounded (issue 27): a table that names enterprises one per row
shows what a reader acts on — the flagged rows and the first and last few — and says where the rest are
(the profiles volume and the workbooks keep every enterprise). A short list is printed whole.

Settings in ``params/bulletins.yaml`` ``lists``: ``rows`` (a list of at most this many rows is printed
whole; the demo district's lists all are) and ``top`` (a longer list keeps the first and last ``top``);
the short bulletins (半月晾晒通报, 月度通报, 季度分析) keep ``bulletin_top`` instead (:func:`bulletin_top`).
The frames handed here are already in reading order (best first, or most severe first), or a table of
groups in the roster's order is ranked on one of its printed columns (:func:`ranked`); nothing is
computed, rows are only chosen. A frame already keyed (:func:`~guozi_analysis.publishing.published.keyed`)
keeps the key of the rows it keeps (:func:`take_rows`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from guozi_analysis.base.params import load_yaml
from guozi_analysis.publishing.display import with_notes
from guozi_analysis.publishing.published import take_rows  # noqa: F401 - re-exported: lists cut rows with it

#: Where the rows a publication leaves out are (every enterprise, every row).
ELSEWHERE = "企业画像（另册）和 Excel 工作簿"


def list_settings() -> dict:
    """``lists`` of ``params/bulletins.yaml``: ``rows`` and ``top``."""
    return dict(load_yaml("bulletins.yaml")["lists"])


def bulletin_top() -> int:
    """How many first and last rows a long table of a short bulletin keeps (``lists.bulletin_top``)."""
    conf = list_settings()
    return int(conf.get("bulletin_top", conf["top"]))


def in_sentence(names: list[str], *, unit: str = "家") -> str:
    """Names joined with 「、」 for a sentence: all of them up to ``lists.names``, else the first
    ``lists.bulletin_top`` and 「等N家」 (the list in reading order: the most notable first)."""
    names = [str(n) for n in names]
    if len(names) <= int(list_settings().get("names", 12)):
        return "、".join(names)
    return "、".join(names[:bulletin_top()]) + f"等{len(names):,}{unit}"


def shown_rows(n: int, *, keep=None, ends: str = "both", blocks=None, rows: int | None = None,
               top: int | None = None) -> np.ndarray:
    """Which of ``n`` rows (in reading order) a publication prints: all when ``n <= rows``; else the rows
    ``keep`` marks (flagged), the first ``top`` and, with ``ends="both"``, the last ``top`` — of each
    block when ``blocks`` labels the rows (contiguous runs, e.g. the peer classes of a ranking)."""
    conf = list_settings()
    rows = int(conf["rows"] if rows is None else rows)
    top = int(conf["top"] if top is None else top)
    if n <= rows:
        return np.ones(n, dtype=bool)
    mask = np.zeros(n, dtype=bool) if keep is None else np.asarray(keep, dtype=bool).copy()
    labels = np.zeros(n, dtype=int) if blocks is None else pd.factorize(pd.Series(list(blocks)))[0]
    starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
    for start, stop in zip(starts, [*starts[1:], n]):
        mask[start:min(start + top, stop)] = True
        if ends == "both":
            mask[max(stop - top, start):stop] = True
    return mask


def list_note(total: int, shown: int, *, kept: int = 0, ends: str = "both", top: int | None = None,
              unit: str = "家", what: str = "", per: str = "", order: str = "", elsewhere: str = ELSEWHERE) -> str:
    """The sentence under a shortened list: how many rows there are, which are printed, where the rest are
    (empty when the list is whole). ``per`` names the blocks cut one by one (e.g. 「比较组」); ``order`` says
    what comes first (e.g. 「严重程度最高的」, or the ranking of a list kept at both ends: 「按营业总收入排序的」);
    ``elsewhere`` where every row is (the profiles volume and the workbooks unless told)."""
    if shown >= total:
        return ""
    top = int(list_settings()["top"] if top is None else top)
    which = f"{order}前{top}名和后{top}名" if ends == "both" else f"{order}前{top}{unit}"
    flagged = f"{what}及" if kept else ""
    each = f"每个{per}" if per else ""
    return (f"共{total:,}{unit}，本表列出{flagged}{each}{which}（{shown:,}{unit}）；"
            f"其余{total - shown:,}{unit}见{elsewhere}。")


def bounded(frame: pd.DataFrame, *, keep=None, ends: str = "both", blocks=None, per: str = "", unit: str = "家",
            what: str = "", order: str = "", rows: int | None = None, top: int | None = None,
            elsewhere: str = ELSEWHERE) -> pd.DataFrame:
    """``frame`` (in reading order) cut to :func:`shown_rows`, with :func:`list_note` under it.

    ``keep``: a boolean per row of what must be printed whatever the length (``what`` names it in the
    note, e.g. 「亮红灯的企业」); ``blocks``: a label per row, cut block by block (``per`` names them).
    A keyed frame keeps the key of the rows it keeps (:func:`take_rows`).
    """
    mask = shown_rows(len(frame), keep=keep, ends=ends, blocks=blocks, rows=rows, top=top)
    if mask.all():
        return frame
    kept = int(np.asarray(keep, dtype=bool).sum()) if keep is not None else 0
    out = take_rows(frame, np.flatnonzero(mask))
    return with_notes(out, list_note(len(frame), int(mask.sum()), kept=kept, ends=ends, top=top, unit=unit,
                                     what=what, per=per if blocks is not None else "", order=order,
                                     elsewhere=elsewhere))


def ranked(frame: pd.DataFrame, *, by: str, total=None, keep=None, ascending: bool = False, what: str = "",
           label: str = "", unit: str = "家", rows: int | None = None, top: int | None = None,
           elsewhere: str = ELSEWHERE) -> pd.DataFrame:
    """A table of one row per group (or enterprise) in the roster's order, printed whole when short; when
    longer than ``rows``: the ``total`` rows (the district's, where they stand) and the ``keep`` rows (what a
    reader acts on: a red light, a missing report; ``what`` names them) always, and of the others, ranked by
    the printed column ``by`` (largest first unless ``ascending``; a blank value last), the first and last
    ``top`` (:func:`bulletin_top` unless told), in that order. The note under it counts the groups (not the
    total row), says the ranking (``label``, else ``by``) and where every row is (``elsewhere``)."""
    n = len(frame)
    if shown_rows(n, rows=rows, top=top).all():
        return frame
    top = bulletin_top() if top is None else int(top)
    total = np.zeros(n, dtype=bool) if total is None else np.asarray(total, dtype=bool)
    keep = np.zeros(n, dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
    others = np.flatnonzero(~total)
    values = pd.to_numeric(frame[by].iloc[others], errors="coerce").to_numpy(dtype=float)
    order = others[np.argsort(values if ascending else -values, kind="stable")]  # NaN last either way
    mask = shown_rows(len(order), keep=keep[order], rows=0, top=top)
    chosen = list(order[mask])
    ends = [int(p) for p in np.flatnonzero(total)]
    positions = ends + chosen if ends and ends[0] == 0 else chosen + ends
    out = take_rows(frame, positions)
    label = label or re.sub(r"（.*?）$", "", str(by))
    words = f"按{label}{'从低到高' if ascending else '从高到低'}排列的"
    return with_notes(out, list_note(len(order), int(mask.sum()), kept=int(keep[order][mask].sum()), top=top,
                                     unit=unit, what=what, order=words, elsewhere=elsewhere))
