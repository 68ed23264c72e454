"""Results: scoring timing reads into places, and importing participant and result files.

``score_race`` is what ``p88 results score``, the TUI and the HTTP server call; it is
incremental and safe to call concurrently. ``race_standings`` reads a race's standings.
``import_file`` loads a participants or results CSV, all rows or none. Places follow
SQL ``rank()``; age groups are ``AgeGroups`` (5-year groups by default).
"""

from p88.store.results.agegroups import AgeGroups
from p88.store.results.importer import ImportRejected, ImportSummary, RowError, import_file
from p88.store.results.places import update_places
from p88.store.results.points import PointRule, PointsNotReady
from p88.store.results.races import ensure_race, race_day, resolve_session
from p88.store.results.scoring import ScoreOptions, ScoreSummary, score_race
from p88.store.results.sessionreads import race_gun
from p88.store.results.settings import RaceSettings, load_settings, save_settings
from p88.store.results.standings import RaceStanding, race_standings
from p88.store.results.tagmap import apply_tag_map, read_tag_map

__all__ = [
    "AgeGroups",
    "ImportRejected",
    "ImportSummary",
    "PointRule",
    "RaceStanding",
    "RowError",
    "ScoreOptions",
    "ScoreSummary",
    "apply_tag_map",
    "ensure_race",
    "import_file",
    "race_gun",
    "race_standings",
    "read_tag_map",
    "resolve_session",
    "score_race",
    "update_places",
    "RaceSettings",
    "load_settings",
    "save_settings",
    "PointsNotReady",
    "race_day",
]
