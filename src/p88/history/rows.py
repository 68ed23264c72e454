"""The small tables of the history: partners, events and races, from the catalog."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import numpy.typing as npt

from p88.history import catalog
from p88.history.arrays import Columns

IntArray = npt.NDArray[np.int64]


def partners_columns(base: int) -> Columns:
    """The catalog's timing partners, flagged ``is_demo``."""
    ps = catalog.PARTNERS
    return Columns(
        "timing_partners",
        {
            "id": base + 1 + np.arange(len(ps)),
            "name": np.array([p.name for p in ps]),
            "code": np.array([p.code for p in ps]),
            "city": np.array([p.city for p in ps]),
            "state": np.array([p.state for p in ps]),
            "is_demo": np.full(len(ps), "t"),
        },
    )


def events_columns(events: list[tuple[date, int]], ids: IntArray, partner: IntArray) -> Columns:
    """One row per held event: the series' name, city and state on its date."""
    series = [catalog.SERIES[si] for _, si in events]
    return Columns(
        "ct_events",
        {
            "id": ids,
            "partner_id": partner,
            "name": np.array([s.name for s in series]),
            "event_date": np.array([d.isoformat() for d, _ in events]),
            "city": np.array([s.city for s in series]),
            "state": np.array([s.state for s in series]),
        },
    )


def races_columns(
    ids: IntArray,
    race_event: IntArray,
    event_ids: IntArray,
    ev_partner: IntArray,
    distance: IntArray,
    start: list[datetime],
) -> Columns:
    """One row per race, named for its distance ('Marathon', 'Half Marathon', '10K', '5K')."""
    names = [catalog.DISTANCE_NAMES[int(d)] for d in distance]
    return Columns(
        "ct_races",
        {
            "id": ids,
            "partner_id": ev_partner[race_event],
            "event_id": event_ids[race_event],
            "name": np.array(names),
            "distance_m": distance,
            "start_time": np.array([s.isoformat(sep=" ") for s in start]),
            "place_by": np.full(len(ids), "gun"),
        },
    )
