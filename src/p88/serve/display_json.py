"""Crossings, chip checks and the announcer's list as the display pages' JSON.

Every text a person reads (a time of day, a race time, a pace) is made here with
``p88.units``, once, so the page only places strings; the seconds travel beside them for
a page that needs to compute.
"""

from __future__ import annotations

from typing import Any

from p88 import store, units


def crossing_json(c: store.Crossing) -> dict[str, Any]:
    """One crossing (see ``p88.store.Crossing``) with its texts."""
    return {
        "read_id": c.read_id,
        "session_id": c.session_id,
        "point": c.point,
        "tag": c.tag,
        "bib": c.bib,
        "name": c.name,
        "city": c.city,
        "division": c.division,
        "race": c.race,
        "time": units.clock_text(c.at),
        "at": c.at.isoformat(),
        "elapsed": units.elapsed_text(c.elapsed) if c.elapsed is not None else None,
        "elapsed_seconds": units.hundredths(c.elapsed) / 100 if c.elapsed is not None else None,
        "place": c.place,
        "pace": units.pace_text(c.pace) if c.pace is not None else None,
        "message": c.message,
        "vip": c.vip,
    }


def assignment_json(a: store.Assignment) -> dict[str, Any]:
    """Who a tag belongs to, for the chip check page."""
    return {
        "tag": a.tag,
        "status": a.status,
        "bib": a.bib,
        "name": a.name,
        "city": a.city,
        "division": a.division,
        "race": a.race,
    }


def coming_up_json(u: store.ComingUp) -> dict[str, Any]:
    """One runner coming up: their latest split crossing and projected finish."""
    return {
        **crossing_json(u.crossing),
        "projected_elapsed": units.elapsed_text(u.projected_elapsed, digits=0),
        "projected_time": units.clock_text(u.projected_at),
        "projected_at": u.projected_at.isoformat(),
        "division_leader": u.division_leader,
    }
