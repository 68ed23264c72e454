"""Statistics of capture feeds: what makes reads realistic, measured the same way for
real captures and simulated ones, so the simulator's documented ranges can be tested.

Documented ranges for ``p88 simulate`` output (default settings, 1,000+ runners), checked
by ``tests/test_simulate.py`` and met by the real capture where it applies:

==============================  ================  ========================
measure                         simulate          real capture (1 point)
==============================  ================  ========================
reads per tag per point         2.4 - 3.4         2.6
out-of-order share of lines     0.15 - 0.50       0.43
most reads of one tag           100 - 800         194
finishers / starters            0.95 - 0.99       n/a
==============================  ================  ========================

"Out of order" counts lines whose time is earlier than the line before (sequence order).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from p88.protocol.codec import GunTime
from p88.protocol.feed import Feed


@dataclass(frozen=True)
class FeedStats:
    """One location's numbers."""

    location: str
    lines: int
    reads: int
    gun_times: int
    tags: int
    backward_steps: int
    max_reads_one_tag: int
    span_s: float

    @property
    def reads_per_tag(self) -> float:
        return self.reads / self.tags if self.tags else 0.0

    @property
    def out_of_order_share(self) -> float:
        return self.backward_steps / self.lines if self.lines else 0.0


def feed_stats(feed: Feed) -> FeedStats:
    """Count reads, tags, gun lines and backward time steps of one feed."""
    tags: Counter[str] = Counter()
    guns = 0
    for line in feed.lines:
        if isinstance(line, GunTime):
            guns += 1
        else:
            tags[line.tag] += 1
    moments = feed.moments
    backward = sum(1 for a, b in zip(moments, moments[1:], strict=False) if b < a)
    span = (max(moments) - min(moments)).total_seconds() if moments else 0.0
    return FeedStats(
        feed.location,
        len(feed.lines),
        len(feed.lines) - guns,
        guns,
        len(tags),
        backward,
        max(tags.values(), default=0),
        span,
    )


def all_stats(feeds: Sequence[Feed]) -> list[FeedStats]:
    return [feed_stats(f) for f in feeds]
