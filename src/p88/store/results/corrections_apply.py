"""Applying a race's corrections when it is scored: one function, every scoring path.

:func:`apply_corrections` is the hook: ``score_race`` (full and incremental runs alike,
from the CLI, the TUI or the server) gives it the reads to score and the race's tags,
and gets back each entry's reads (after bib swaps, chips handed over from a time, and
hand times) plus a :class:`CorrectedRace` whose ``outcome`` turns an entry's timing into
its result with the DQ, DNF, DNS, penalty or clearing applied. Without corrections it
attributes reads exactly as the tag map says, at the same cost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from p88.store.results.corrections import STATUS_ACTIONS, Correction, correction_history
from p88.store.results.crossings import AMBIGUOUS_TAG, UNKNOWN_TAG, Read, Timing
from p88.store.results.entries import Entry, outcome
from p88.store.results.points import PointRule
from p88.store.results.settings import RaceSettings
from p88.store.results.writes import Verdict
from p88.units import pace as per_mile

if TYPE_CHECKING:
    import psycopg

__all__ = ["OVERRIDDEN", "CorrectedRace", "RaceCorrections", "apply_corrections"]

OVERRIDDEN = "overridden"  # verdict: a read replaced by a hand time at its point
_ALWAYS = datetime.min
Owners = tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class RaceCorrections:
    """A race's corrections as scoring needs them: the active ones, in the order made, and
    the ones no scoring run has applied yet (``applied``: the highest id one has)."""

    active: list[Correction]
    status_bibs: frozenset[str]  # bibs a person ever gave a status (kept or undone)
    rows: list[Correction] = field(default_factory=list)
    applied: int = 0

    @classmethod
    def load(cls, conn: psycopg.Connection[Any], race_id: int) -> RaceCorrections:
        rows = correction_history(conn, race_id)
        mark = conn.execute(
            "SELECT corrections_applied FROM ct_race_settings WHERE race_id = %s", (race_id,)
        ).fetchone()
        return cls(
            active=[c for c in rows if c.active],
            status_bibs=frozenset(c.bib for c in rows if c.action in STATUS_ACTIONS),
            rows=rows,
            applied=mark[0] if mark else 0,
        )

    @cached_property
    def by_bib(self) -> dict[str, list[Correction]]:
        """The active corrections naming each bib (both bibs of a swap), in order made."""
        out: dict[str, list[Correction]] = defaultdict(list)
        for c in self.active:
            for bib in {c.bib, c.other_bib or c.bib}:
                out[bib].append(c)
        return dict(out)

    def remember(self, conn: psycopg.Connection[Any], race_id: int) -> None:
        """Record that the run applied every correction so far (the settings row exists:
        the run has just remembered its signature there)."""
        if self.rows and self.rows[-1].id != self.applied:
            conn.execute(
                "UPDATE ct_race_settings SET corrections_applied = %s WHERE race_id = %s",
                (self.rows[-1].id, race_id),
            )

    def news(self, tags: dict[str, list[tuple[int, str]]]) -> tuple[list[str], set[int]]:
        """The tags and entries that corrections made since the last run touch: an
        incremental run re-times just those runners (an undo touches the undone one's)."""
        by_id = {c.id: c for c in self.rows}
        bibs: set[str] = set()
        named: set[str] = set()
        for c in self.rows:
            if c.id <= self.applied:
                continue
            target = by_id.get(c.undoes or 0, c) if c.action == "undo" else c
            bibs |= {b for b in (target.bib, target.other_bib) if b}
            if target.action == "tag" and target.tag:
                named.add(target.tag)
        if not bibs and not named:
            return [], set()
        worn = {t for t, owners in tags.items() if any(b in bibs for _, b in owners)}
        ids = {eid for t, owners in tags.items() for eid, b in owners if b in bibs or t in named}
        return sorted(worn | named), ids

    def involved_tags(self, tags: dict[str, list[tuple[int, str]]]) -> list[str]:
        """Tags whose reads an incremental run must take together: those of every runner a
        swap, a chip change or a hand time names (their reads come from several tags)."""
        bibs = {c.bib for c in self.active if c.action in ("swap", "tag", "time")}
        bibs |= {c.other_bib for c in self.active if c.action == "swap" and c.other_bib}
        named = {c.tag for c in self.active if c.action == "tag" and c.tag}
        if not bibs and not named:
            return []
        return sorted(
            named | {t for t, owners in tags.items() if any(b in bibs for _, b in owners)}
        )


@dataclass
class CorrectedRace:
    """Each entry's reads after the corrections, the verdicts of reads no entry gets, and
    the per-runner corrections that :meth:`outcome` applies to a result."""

    fixes: RaceCorrections
    by_entry: dict[int, dict[str, list[Read]]] = field(default_factory=dict)
    stray: list[Verdict] = field(default_factory=list)
    read_tag: dict[int, str] = field(default_factory=dict)
    entry_tag: dict[int, str] = field(default_factory=dict)

    def tag_of(self, read_id: int, entry_id: int) -> str:
        return self.read_tag.get(read_id) or self.entry_tag.get(entry_id, "")

    def outcome(
        self,
        entry: Entry,
        timing: Timing,
        gun: datetime | None,
        distance_m: int,
        settings: RaceSettings,
        *,
        final: bool,
        rules: Sequence[PointRule],
        clock: datetime | None = None,
    ) -> Entry:
        """The entry's result from its timing (cut-offs judged at the race ``clock``), then
        its DQ/DNF/DNS, penalty or clearing."""
        if entry.bib in self.fixes.status_bibs and entry.status in ("DQ", "DNF", "DNS"):
            entry = replace(entry, status=None)  # a person's status: only the active one counts
        new = outcome(
            entry, timing, gun, distance_m, settings, final=final, rules=rules, clock=clock
        )
        mine = self.fixes.by_bib.get(entry.bib)
        if not mine:
            return new
        notes = [new.note] if new.note else []
        status, chip, gun_time, pace = new.status, new.chip_time, new.gun_time, new.pace
        penalty = sum((c.penalty for c in mine if c.action == "penalty" and c.penalty), timedelta())
        if penalty and chip is not None:
            chip += penalty
            gun_time = gun_time + penalty if gun_time is not None else None
            pace = per_mile(chip, distance_m)
        for c in mine:
            if c.action == "clear" and status == "review":
                status = "finished"
            if c.action in STATUS_ACTIONS:
                status = STATUS_ACTIONS[c.action]
            if c.action in ("dq", "dnf", "dns", "penalty", "time", "clear"):
                notes.append(f"{c.what()} (#{c.id} {c.made_by}: {c.reason})")
        return replace(
            new, status=status, chip_time=chip, gun_time=gun_time, pace=pace,
            note="; ".join(notes) or None,
        )  # fmt: skip


def _owners_timeline(
    fixes: RaceCorrections, tags: dict[str, list[tuple[int, str]]]
) -> dict[str, list[tuple[datetime, Owners]]]:
    """Who wears each tag a swap or a chip change touches, from when: segments per tag."""
    bib_id = {bib: eid for owners in tags.values() for eid, bib in owners}
    timeline: dict[str, list[tuple[datetime, Owners]]] = {}

    def edit_from(tag: str, start: datetime, change: Callable[[Owners], Owners]) -> None:
        """Apply ``change`` to the tag's owners from ``start`` on (splitting a segment)."""
        segs = timeline.setdefault(tag, [(_ALWAYS, tuple(tags.get(tag, ())))])
        if all(s != start for s, _ in segs):
            current = [o for s, o in segs if s < start][-1]
            segs.append((start, current))
            segs.sort(key=lambda seg: seg[0])
        segs[:] = [(s, change(o) if s >= start else o) for s, o in segs]

    def wearing(bibs: Iterable[str]) -> list[str]:
        wanted = set(bibs)
        found = {t for t, owners in tags.items() if any(b in wanted for _, b in owners)}
        found |= {
            t for t, segs in timeline.items() for _, o in segs if any(b in wanted for _, b in o)
        }
        return sorted(found)

    for c in fixes.active:
        if c.bib not in bib_id or (c.other_bib or c.bib) not in bib_id:
            continue  # a runner no longer in the race: nothing of theirs to move
        if c.action == "swap" and c.other_bib:
            a, b = (bib_id[c.bib], c.bib), (bib_id[c.other_bib], c.other_bib)
            for tag in wearing((c.bib, c.other_bib)):
                edit_from(tag, _ALWAYS, _swapping(a, b))
        elif c.action == "tag" and c.tag:
            start = c.at or _ALWAYS
            runner = (bib_id[c.bib], c.bib)
            for tag in wearing((c.bib,)):
                if tag != c.tag:
                    edit_from(tag, start, _without(runner))
            edit_from(c.tag, start, _only(runner))
    return timeline


def _swapping(a: tuple[int, str], b: tuple[int, str]) -> Callable[[Owners], Owners]:
    return lambda owners: tuple(b if p == a else a if p == b else p for p in owners)


def _without(runner: tuple[int, str]) -> Callable[[Owners], Owners]:
    return lambda owners: tuple(p for p in owners if p != runner)


def _only(runner: tuple[int, str]) -> Callable[[Owners], Owners]:
    return lambda _owners: (runner,)


def _owners_at(segs: list[tuple[datetime, Owners]], ts: datetime) -> Owners:
    found: Owners = ()
    for start, owners in segs:
        if start > ts:
            break
        found = owners
    return found


def _stray(
    read: tuple[int, str, str, datetime], owners: Sequence[tuple[int, str]], why: str
) -> Verdict:
    rid, loc, tag, _ = read
    if owners:
        return (
            rid,
            None,
            loc,
            tag,
            AMBIGUOUS_TAG,
            "tag of bibs " + ", ".join(sorted(b for _, b in owners)),
        )
    return (rid, None, loc, tag, UNKNOWN_TAG, why)


def apply_corrections(
    fixes: RaceCorrections,
    reads: Sequence[tuple[int, str, str, datetime]],
    tags: dict[str, list[tuple[int, str]]],
    touched: set[int] | frozenset[int] = frozenset(),
) -> CorrectedRace:
    """Give each read to the entry wearing its tag at that moment, after the corrections.

    ``reads`` are (id, location, tag, timestamp); ``tags`` maps a tag to the entries it
    is registered to. A read of a tag nobody wears is ``unknown_tag``, of a tag several
    entries wear ``ambiguous_tag``. A hand time at a point replaces the runner's reads
    there (each gets the verdict ``overridden``); it is a read with the negative id of its
    correction, which no verdict or split row keeps. Entries in ``touched`` (those new
    corrections name) are in the result even with no reads. The returned race's
    ``outcome`` applies the status, penalty and clearing corrections to each result."""
    race = CorrectedRace(fixes)
    for eid in touched:
        race.by_entry[eid] = defaultdict(list)  # re-timed even when no read is theirs now
    grouped: dict[str, list[tuple[int, str, str, datetime]]] = defaultdict(list)
    for r in reads:
        grouped[r[2]].append(r)
    timeline = _owners_timeline(fixes, tags) if fixes.active else {}
    for tag, rows in grouped.items():
        segs = timeline.get(tag)
        if segs is None:
            owners = tags.get(tag, ())
            if len(owners) != 1:
                race.stray += [
                    _stray(r, owners, "no entry of this race has this tag") for r in rows
                ]
                continue
            eid = owners[0][0]
            race.entry_tag[eid] = tag
            at = race.by_entry.setdefault(eid, defaultdict(list))
            for rid, loc, _, ts in rows:
                at[loc].append(Read(ts, rid, loc))
            continue
        for r in rows:
            now = _owners_at(segs, r[3])
            if len(now) != 1:
                race.stray.append(_stray(r, now, "nobody wears this tag then (see corrections)"))
                continue
            race.read_tag[r[0]] = tag
            race.by_entry.setdefault(now[0][0], defaultdict(list))[r[1]].append(
                Read(r[3], r[0], r[1])
            )
    _hand_times(race, tags)
    return race


def _hand_times(race: CorrectedRace, tags: dict[str, list[tuple[int, str]]]) -> None:
    """Put each hand time in place of the runner's reads at its point."""
    bib_id = {bib: eid for owners in tags.values() for eid, bib in owners}
    for c in race.fixes.active:
        if c.action != "time" or c.point is None or c.at is None or c.bib not in bib_id:
            continue
        eid = bib_id[c.bib]
        at = race.by_entry.setdefault(eid, defaultdict(list))
        why = f"hand time {c.at:%H:%M:%S.%f}"[:-4] + f" at {c.point} (correction #{c.id})"
        race.stray += [
            (r.id, eid, c.point, race.tag_of(r.id, eid), OVERRIDDEN, why)
            for r in at.get(c.point, ()) if r.id > 0
        ]  # fmt: skip
        at[c.point] = [Read(c.at, -c.id, c.point)]
