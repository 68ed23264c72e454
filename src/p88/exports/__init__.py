"""Publishing results: export formats (CSV for RunSignUp, Athlinks, UltraSignup, the BAA;
JSON; a static results website) behind one registry that plugins extend.

``export_race(conn, race_id, "athlinks", Path("out.csv"))`` is what ``p88 results export``
calls; every format writes from the same :class:`Publication` (the race's results sheet and
awards), so a time, a pace and a place read the same in each.
"""

from p88.exports.publish import ExportSummary, export_race, load_publication, race_awards
from p88.exports.registry import (
    BUILTIN,
    GROUP,
    Exporter,
    Publication,
    exporters,
    get_exporter,
    plugin_problems,
)

__all__ = [
    "BUILTIN",
    "GROUP",
    "ExportSummary",
    "Exporter",
    "Publication",
    "export_race",
    "exporters",
    "get_exporter",
    "load_publication",
    "plugin_problems",
    "race_awards",
]
