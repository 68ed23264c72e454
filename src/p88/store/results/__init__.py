"""Results: scoring timing reads into places, and importing participant and result files.

``score_race`` is what ``p88 results score``, the TUI and the HTTP server call; it is
incremental and safe to call concurrently. ``guns`` holds the gun and elapsed-time rules
every screen shares; a race's standings are read by ``p88.store.official_standings``.
``import_file`` loads a participants or results CSV, all rows or none. Places follow
SQL ``rank()``. A race's timing points (``PointRule``, set with ``p88 results points``)
and its settings (``RaceSettings``: age groups, masters, place by, start rule, cutoff)
are stored with it, so every run scores the same way; flagged finishes are held
(status ``review``), not placed. Corrections (``correct_result``, ``correction_history``),
the checks (``run_checks``) and ``make_official`` take a race from scored to official.
"""

from p88.store.results.agegroups import AgeGroups
from p88.store.results.checks import CheckReport, run_checks
from p88.store.results.corrections import Correction, CorrectionRequest, correction_history
from p88.store.results.corrections_input import CorrectionFlags, request_from_flags
from p88.store.results.guns import elapsed, pick_race_gun, runner_gun
from p88.store.results.importer import ImportRejected, ImportSummary, RowError, import_file
from p88.store.results.official import correct_result, make_official
from p88.store.results.places import update_places
from p88.store.results.points import PointRule, PointsNotReady
from p88.store.results.races import ensure_race, race_day, resolve_session
from p88.store.results.scoring import ScoreOptions, ScoreSummary, score_race
from p88.store.results.sessionreads import race_gun
from p88.store.results.settings import RaceSettings, load_settings, save_settings
from p88.store.results.tagmap import apply_tag_map, read_tag_map

__all__ = [
    "AgeGroups",
    "CheckReport",
    "Correction",
    "CorrectionFlags",
    "CorrectionRequest",
    "ImportRejected",
    "ImportSummary",
    "PointRule",
    "PointsNotReady",
    "RaceSettings",
    "RowError",
    "ScoreOptions",
    "ScoreSummary",
    "apply_tag_map",
    "correct_result",
    "correction_history",
    "elapsed",
    "ensure_race",
    "import_file",
    "load_settings",
    "make_official",
    "pick_race_gun",
    "race_day",
    "race_gun",
    "read_tag_map",
    "request_from_flags",
    "resolve_session",
    "run_checks",
    "runner_gun",
    "save_settings",
    "score_race",
    "update_places",
]
