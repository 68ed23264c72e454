"""Plans remembered by their inputs: the same question and the same rows, the same answer.

A plan (:mod:`p88.store.queries.plan`) is a function of its arguments and of the rows its
queries return. :class:`Remembered` keeps a plan's last answer for each key (its
arguments), with the queries it ran and the rows they returned. Asked again, it runs those
queries again (the database is asked every time, so nothing is ever stale) and, when each
returns the same rows, returns the kept answer without the work in between: a live screen
re-ranks a point every second or so, and mostly nothing changed. When some rows differ,
the plan runs from the start on the rows already fetched, then asks for the rest itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from p88.store.queries.plan import Plan, Query, Rows

T = TypeVar("T")


class Remembered(Generic[T]):
    """The last answers of one plan, by key (at most ``size`` keys, the oldest forgotten
    first); safe to share between threads (serve runs plans in a thread pool)."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._kept: dict[Hashable, tuple[object, list[tuple[Query, Rows]], T]] = {}
        self._lock = threading.Lock()

    def run(self, key: Hashable, context: object, make: Callable[[], Plan[T]]) -> Plan[T]:
        """The answer of ``make()``'s plan; the kept one when ``key`` was last asked with an
        equal ``context`` (what the plan reads beside its queries, e.g. a roster) and
        every query it ran returns the same rows again."""
        kept = self._kept.get(key)
        fetched: list[tuple[Query, Rows]] = []
        if kept is not None and (kept[0] is context or kept[0] == context):
            for query, rows in kept[1]:
                got = yield query
                fetched.append((query, got))
                if got != rows:
                    break
            else:
                return kept[2]
        plan = make()
        steps: list[tuple[Query, Rows]] = []
        try:
            query = next(plan)
            while True:
                if len(steps) < len(fetched) and fetched[len(steps)][0] == query:
                    rows = fetched[len(steps)][1]  # asked just now, for the same query
                else:
                    rows = yield query
                steps.append((query, rows))
                query = plan.send(rows)
        except StopIteration as done:
            answer: T = done.value
        with self._lock:
            self._kept.pop(key, None)
            self._kept[key] = (context, steps, answer)
            while len(self._kept) > self.size:
                del self._kept[next(iter(self._kept))]
        return answer

    def forget(self) -> None:
        """Drop every kept answer."""
        with self._lock:
            self._kept.clear()
