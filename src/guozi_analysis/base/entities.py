"""The enterprise tree: who belongs to which group, built only from the roster's parent codes.

Group membership, ancestry and subtrees are read from ``parent_id`` (上级企业编码) of the 企业名录
and from nothing else: an enterprise code is an opaque label, never parsed. A district whose codes
are 统一社会信用代码 (``91330100MA2K0001``) is grouped exactly like one whose codes happen to be
``G01`` / ``G01-05`` / ``G03-02-01``.

:meth:`EnterpriseTree.from_roster` checks the roster and raises :class:`EnterpriseTreeError` (a
``ValueError``) with a Chinese message naming every offending code when

* a code is empty, repeated, or the reserved ``DISTRICT`` (全区合计);
* a parent code is not in the roster, or an enterprise is its own ancestor (a cycle);
* the roster's ``level`` (企业级次) differs from the depth of the parent chain (a group is 1, its
  direct subsidiaries 2 …), or its ``is_group`` (是否集团) differs from "has no parent".

Conventions: a *group* (集团) is an enterprise without a parent; the *order* of the tree is the
groups in roster order, each followed by its subtree depth-first (children in roster order).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import pandas as pd

__all__ = ["DISTRICT_ID", "EnterpriseTree", "EnterpriseTreeError", "roster_problems"]

#: The reserved id of the district total; never a roster code.
DISTRICT_ID = "DISTRICT"
#: The trees last built, by the roster columns they were built from (a tree never changes, so the same
#: roster gives the same object; issue 27: the shared step asked for the tree of a 2,000-enterprise roster
#: hundreds of times, ~25 ms each).
_TREES: dict[tuple, EnterpriseTree] = {}
_TREES_KEPT = 8
_TREES_LOCK = threading.Lock()

_BLANK = {"", "nan", "none", "null", "<na>", "nat"}
_TRUE = {"true", "1", "1.0", "是", "y", "yes", "t"}
_FALSE = {"false", "0", "0.0", "否", "n", "no", "f"}


class EnterpriseTreeError(ValueError):
    """The roster's parent codes do not form a tree; ``problems`` lists each one in Chinese."""

    def __init__(self, problems: Sequence[str]):
        self.problems = tuple(problems)
        super().__init__("企业名录的企业层级关系有误：" + "；".join(self.problems))


def _code(value: object) -> str:
    """A code as text: stripped; NaN / None / blank → ``""``."""
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    text = str(value).strip()
    return "" if text.lower() in _BLANK else text


def _flag(value: object) -> bool | None:
    """是/否 / bool / 0-1 as a bool; ``None`` when blank or unreadable."""
    if isinstance(value, bool):
        return value
    text = _code(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def _number(value: object) -> float | None:
    """A level as a number; ``None`` when blank or not a number."""
    if isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _roster_columns(roster: pd.DataFrame) -> tuple[list[str], list[str], list, list]:
    if "enterprise_id" not in roster.columns:
        raise EnterpriseTreeError(["企业名录缺少「企业编码」（enterprise_id）列"])
    n = len(roster)
    ids = [_code(v) for v in roster["enterprise_id"].tolist()]
    parents = [_code(v) for v in roster["parent_id"].tolist()] if "parent_id" in roster.columns else [""] * n
    levels = roster["level"].tolist() if "level" in roster.columns else [None] * n
    groups = roster["is_group"].tolist() if "is_group" in roster.columns else [None] * n
    return ids, parents, levels, groups


def _structure_problems(ids: list[str], parents: list[str]) -> list[str]:
    """Empty, duplicate, reserved and unknown codes, and cycles."""
    problems = []
    empty_rows = [i + 1 for i, e in enumerate(ids) if not e]
    if empty_rows:
        problems.append(f"第 {'、'.join(map(str, empty_rows))} 条记录的企业编码为空")
    seen: dict[str, int] = {}
    for e in ids:
        if e:
            seen[e] = seen.get(e, 0) + 1
    duplicates = [e for e, k in seen.items() if k > 1]
    if duplicates:
        problems.append(f"企业编码重复：{'、'.join(duplicates)}")
    if DISTRICT_ID in seen:
        problems.append(f"企业编码不能为 {DISTRICT_ID}（全区合计专用）")
    unknown = [(e, p) for e, p in zip(ids, parents) if e and p and p not in seen]
    for e, p in unknown:
        problems.append(f"企业 {e} 的上级企业编码 {p} 不在企业名录中")
    if problems:
        return problems
    parent = dict(zip(ids, parents))
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    cycles: list[list[str]] = []
    for start in ids:
        path, e = [], start
        while e and state.get(e) is None:
            state[e] = 1
            path.append(e)
            e = parent[e]
        if e and state.get(e) == 1:
            cycles.append(path[path.index(e):])
        for p in path:
            state[p] = 2
    for cycle in cycles:
        if len(cycle) == 1:
            problems.append(f"企业 {cycle[0]} 的上级企业编码是它自己")
        else:
            problems.append(f"企业 {'、'.join(cycle)} 的上级关系构成循环（{' → '.join(cycle + [cycle[0]])}）")
    return problems


@dataclass(frozen=True, eq=False)
class EnterpriseTree:
    """The enterprises of a district as a forest: one tree per group (集团).

    Build it with :meth:`from_roster` (or :meth:`from_parents`); it never changes afterwards.
    Entity arguments are roster codes; an unknown code raises ``KeyError`` with a Chinese message.
    """

    _parent: Mapping[str, str | None]
    _children: Mapping[str, tuple[str, ...]]
    _chain: Mapping[str, tuple[str, ...]]  # self, parent, …, group
    _order: tuple[str, ...]

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def from_roster(cls, roster: pd.DataFrame, *, check_levels: bool = True) -> EnterpriseTree:
        """The tree of a 企业名录 frame (``enterprise_id``, ``parent_id``; ``level``, ``is_group`` checked).

        Raises :class:`EnterpriseTreeError` naming the codes when the parent codes do not form a
        tree, or (``check_levels``) when ``level`` / ``is_group`` disagree with the parent chain.
        """
        ids, parents, levels, flags = _roster_columns(roster)
        # what the tree depends on: codes and parents (and, when checked, levels and group flags as read)
        key = (tuple(ids), tuple(parents), check_levels and tuple(map(_number, levels)),
               check_levels and tuple(map(_flag, flags)))
        with _TREES_LOCK:  # a Dask worker's threads share the cache
            tree = _TREES.get(key)
        if tree is not None:  # the same roster again: a loop over a province's groups builds it once
            return tree
        problems = roster_problems(roster, check_levels=check_levels)
        if problems:
            raise EnterpriseTreeError(problems)
        tree = cls._build(ids, parents)
        with _TREES_LOCK:
            while len(_TREES) >= _TREES_KEPT:
                _TREES.pop(next(iter(_TREES)))
            _TREES[key] = tree
        return tree

    @classmethod
    def from_parents(cls, parents: Mapping[str, str | None]) -> EnterpriseTree:
        """The tree of ``{code: parent code or None}`` (insertion order is the roster order)."""
        roster = pd.DataFrame({"enterprise_id": list(parents), "parent_id": list(parents.values())})
        return cls.from_roster(roster)

    @classmethod
    def _build(cls, ids: list[str], parents: list[str]) -> EnterpriseTree:
        parent = {e: (p or None) for e, p in zip(ids, parents)}
        children: dict[str, list[str]] = {e: [] for e in ids}
        for e, p in parent.items():
            if p is not None:
                children[p].append(e)
        chain: dict[str, tuple[str, ...]] = {}
        for e in ids:
            path, cur = [], e
            while cur is not None and cur not in chain:
                path.append(cur)
                cur = parent[cur]
            tail = chain[cur] if cur is not None else ()
            for k in range(len(path) - 1, -1, -1):
                tail = (path[k], *tail)
                chain[path[k]] = tail
        order: list[str] = []
        for root in (e for e in ids if parent[e] is None):
            stack = [root]
            while stack:
                e = stack.pop()
                order.append(e)
                stack.extend(reversed(children[e]))
        return cls(MappingProxyType(parent), MappingProxyType({e: tuple(c) for e, c in children.items()}),
                   MappingProxyType(chain), tuple(order))

    # ---- single entities ----------------------------------------------------------------
    def _known(self, entity_id: str) -> str:
        key = str(entity_id)
        if key not in self._parent:
            raise KeyError(f"企业编码 {key} 不在企业名录中")
        return key

    def __contains__(self, entity_id: object) -> bool:
        return str(entity_id) in self._parent

    def __len__(self) -> int:
        return len(self._order)

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def parent(self, entity_id: str) -> str | None:
        """The direct parent's code; ``None`` for a group."""
        return self._parent[self._known(entity_id)]

    def children(self, entity_id: str) -> tuple[str, ...]:
        """Direct subsidiaries in roster order."""
        return self._children[self._known(entity_id)]

    def ancestors(self, entity_id: str) -> tuple[str, ...]:
        """Parent, grandparent, … up to the group (empty for a group)."""
        return self._chain[self._known(entity_id)][1:]

    def group_of(self, entity_id: str) -> str:
        """The level-1 group (集团) the entity belongs to (a group belongs to itself)."""
        return self._chain[self._known(entity_id)][-1]

    def depth(self, entity_id: str) -> int:
        """1 for a group, 2 for its direct subsidiaries, …"""
        return len(self._chain[self._known(entity_id)])

    def is_group(self, entity_id: str) -> bool:
        """True for an enterprise without a parent."""
        return self.parent(entity_id) is None

    def subtree(self, entity_id: str) -> tuple[str, ...]:
        """The entity and every descendant, in tree order (the entity first)."""
        out, stack = [], [self._known(entity_id)]
        while stack:
            e = stack.pop()
            out.append(e)
            stack.extend(reversed(self._children[e]))
        return tuple(out)

    def descendants(self, entity_id: str) -> tuple[str, ...]:
        """Every descendant in tree order (the entity itself excluded)."""
        return self.subtree(entity_id)[1:]

    # ---- the whole tree -----------------------------------------------------------------
    @property
    def groups(self) -> tuple[str, ...]:
        """The groups (集团) in roster order."""
        return tuple(e for e in self._order if self._parent[e] is None)

    @property
    def order(self) -> tuple[str, ...]:
        """Every code: groups in roster order, each followed by its subtree (depth first)."""
        return self._order

    def frame(self) -> pd.DataFrame:
        """One row per entity in tree order: index ``entity_id``; ``parent_id`` ("" for a group),
        ``group_id``, ``depth``, ``is_group``."""
        ids = list(self._order)
        return pd.DataFrame({
            "parent_id": [self._parent[e] or "" for e in ids],
            "group_id": [self._chain[e][-1] for e in ids],
            "depth": [len(self._chain[e]) for e in ids],
            "is_group": [self._parent[e] is None for e in ids],
        }, index=pd.Index(ids, name="entity_id"))

    def group_map(self) -> pd.Series:
        """entity_id → group_id for every entity (a group maps to itself), in tree order."""
        ids = list(self._order)
        return pd.Series([self._chain[e][-1] for e in ids], index=pd.Index(ids, name="entity_id"),
                         name="group_id", dtype=object)

    def pairs(self) -> pd.DataFrame:
        """(ancestor_id, entity_id) for every entity with itself and with each of its ancestors.

        Roll-ups join a table on ``entity_id`` and sum by ``ancestor_id``: each entity then gets the
        total of its whole subtree.
        """
        rows = [(a, e) for e in self._order for a in self._chain[e]]
        return pd.DataFrame(rows, columns=["ancestor_id", "entity_id"], dtype=object)

    def __repr__(self) -> str:
        return f"EnterpriseTree({len(self._order)} 家企业，{len(self.groups)} 个集团)"


def roster_problems(roster: pd.DataFrame, *, check_levels: bool = True) -> list[str]:
    """Every reason the roster's parent codes do not form a consistent tree (Chinese); empty if fine."""
    ids, parents, levels, flags = _roster_columns(roster)
    problems = _structure_problems(ids, parents)
    if problems or not check_levels:
        return problems
    tree = EnterpriseTree._build(ids, parents)
    bad_level, bad_flag = [], []
    for e, level, flag in zip(ids, levels, flags):
        depth = tree.depth(e)
        number = _number(level)
        if number is not None and number != depth:
            bad_level.append(f"{e}（名录为 {number:g} 级，按上级企业编码应为 {depth} 级）")
        is_group = _flag(flag)
        if is_group is not None and is_group != (depth == 1):
            bad_flag.append(f"{e}（名录为{'' if is_group else '非'}集团，但{'有' if depth > 1 else '没有'}上级企业）")
    if bad_level:
        problems.append("企业级次与上级企业编码不符：" + "、".join(bad_level))
    if bad_flag:
        problems.append("是否集团与上级企业编码不符：" + "、".join(bad_flag))
    return problems
