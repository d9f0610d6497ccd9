"""Lists of enterprises in a publication, bounded (issue 27): a table that names enterprises one per row
shows what a reader acts on — the flagged rows and the first and last few — and says where the rest are
(the profiles volume and the workbooks keep every enterprise). A short list is printed whole.

Settings in ``params/bulletins.yaml`` ``lists``: ``rows`` (a list of at most this many rows is printed
whole; the demo district's lists all are) and ``top`` (a longer list keeps the first and last ``top``).
The frames handed here are already in reading order (best first, or most severe first); nothing is
computed, rows are only chosen.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from guozi_analysis.base.params import load_yaml
from guozi_analysis.publishing.display import with_notes

#: Where the rows a publication leaves out are (every enterprise, every row).
ELSEWHERE = "企业画像（另册）和 Excel 工作簿"


def list_settings() -> dict:
    """``lists`` of ``params/bulletins.yaml``: ``rows`` and ``top``."""
    return dict(load_yaml("bulletins.yaml")["lists"])


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
    what comes first in a list cut to its head (e.g. 「严重程度最高的」); ``elsewhere`` where every row is
    (the profiles volume and the workbooks unless told)."""
    if shown >= total:
        return ""
    top = int(list_settings()["top"] if top is None else top)
    which = f"前{top}名和后{top}名" if ends == "both" else f"{order}前{top}{unit}"
    flagged = f"{what}及" if kept else ""
    each = f"每个{per}" if per else ""
    return (f"共{total:,}{unit}，本表列出{flagged}{each}{which}（{shown:,}{unit}）；"
            f"其余{total - shown:,}{unit}见{elsewhere}。")


def bounded(frame: pd.DataFrame, *, keep=None, ends: str = "both", blocks=None, per: str = "", unit: str = "家",
            what: str = "", order: str = "", rows: int | None = None, top: int | None = None) -> pd.DataFrame:
    """``frame`` (in reading order) cut to :func:`shown_rows`, with :func:`list_note` under it.

    ``keep``: a boolean per row of what must be printed whatever the length (``what`` names it in the
    note, e.g. 「亮红灯的企业」); ``blocks``: a label per row, cut block by block (``per`` names them).
    Call it before :func:`~guozi_analysis.publishing.published.keyed`, on the rows the key will describe.
    """
    mask = shown_rows(len(frame), keep=keep, ends=ends, blocks=blocks, rows=rows, top=top)
    if mask.all():
        return frame
    kept = int(np.asarray(keep, dtype=bool).sum()) if keep is not None else 0
    out = frame.iloc[np.flatnonzero(mask)]
    out.attrs = dict(frame.attrs)
    return with_notes(out, list_note(len(frame), int(mask.sum()), kept=kept, ends=ends, top=top, unit=unit,
                                     what=what, per=per if blocks is not None else "", order=order))
