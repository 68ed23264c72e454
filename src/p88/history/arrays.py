"""Vectorised helpers for the history: table columns, allocation, ranking.

Places are computed here with the same meaning as SQL ``rank()``: ties share a place and
the next place skips (1, 2, 2, 4), so a history row agrees with what scoring would write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from p88.errors import InputError

IntArray = npt.NDArray[np.int64]


@dataclass
class Columns:
    """One table's rows as equal-length columns; ``nulls`` marks NULL cells per column."""

    table: str
    data: dict[str, npt.NDArray[Any]]
    nulls: dict[str, npt.NDArray[np.bool_]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(next(iter(self.data.values())))

    def rows(self) -> list[tuple[Any, ...]]:
        """Python rows with None for NULL (for tests and small tables)."""
        cols = []
        for name, values in self.data.items():
            col = values.tolist()
            mask = self.nulls.get(name)
            if mask is not None:
                col = [None if m else v for v, m in zip(col, mask.tolist(), strict=True)]
            cols.append(col)
        return list(zip(*cols, strict=True))


def largest_remainder(weights: npt.NDArray[np.float64], total: int) -> IntArray:
    """Split ``total`` into integers proportional to ``weights``, summing exactly to it."""
    share = weights / weights.sum() * total
    counts: IntArray = np.floor(share).astype(np.int64)
    short = total - int(counts.sum())
    # stable sort: equal remainders go to the earlier race, deterministically
    order = np.argsort(-(share - counts), kind="stable")
    counts[order[:short]] += 1
    return counts


def group_rank(keys: list[IntArray], value: IntArray, mask: npt.NDArray[np.bool_]) -> IntArray:
    """``rank() OVER (PARTITION BY keys ORDER BY value)`` where ``mask``; 0 elsewhere."""
    out = np.zeros(len(value), dtype=np.int64)
    idx = np.nonzero(mask)[0]
    if not len(idx):
        return out
    order = idx[np.lexsort((value[idx], *[k[idx] for k in reversed(keys)]))]
    new_group = np.zeros(len(order), dtype=bool)
    new_group[0] = True
    for k in keys:
        ks = k[order]
        new_group[1:] |= ks[1:] != ks[:-1]
    vs = value[order]
    new_value = new_group.copy()
    new_value[1:] |= vs[1:] != vs[:-1]
    pos = np.arange(len(order))
    group_start = np.maximum.accumulate(np.where(new_group, pos, 0))
    tie_start = np.maximum.accumulate(np.where(new_value, pos, 0))
    out[order] = tie_start - group_start + 1
    return out


def dedupe(rng: np.random.Generator, group: IntArray, member: IntArray, n_members: int) -> None:
    """Redraw ``member`` (in place) wherever it repeats within its ``group``."""
    for _ in range(200):
        order = np.lexsort((member, group))
        g, m = group[order], member[order]
        dup = np.zeros(len(order), dtype=bool)
        dup[1:] = (g[1:] == g[:-1]) & (m[1:] == m[:-1])
        if not dup.any():
            return
        member[order[dup]] = rng.integers(0, n_members, int(dup.sum()))
    raise InputError(
        "could not give every race distinct runners; ask for fewer results per person",
        what="results per person",
        where="--results-per-person",
    )


def pct_in_group(
    group: IntArray, value: npt.NDArray[np.float64], counts: IntArray
) -> npt.NDArray[np.float64]:
    """Each row's position within its group by ``value``, from 0 (lowest) to 1 (highest).

    ``group`` must be sorted ascending (rows of a group contiguous), ``counts`` its sizes.
    """
    order = np.lexsort((value, group))
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    pos = np.empty(len(group), dtype=np.float64)
    pos[order] = np.arange(len(group)) - starts
    return pos / np.maximum(counts[group] - 1, 1)
