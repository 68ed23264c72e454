"""Results: scoring timing reads into places, and importing participant and result files.

``score_race`` is what ``p88 results score``, the TUI and the HTTP server call; it is
incremental and safe to call concurrently. Places follow SQL ``rank()``.
"""

from p88.store.results.agegroups import AgeGroups
from p88.store.results.places import update_places
from p88.store.results.points import PointRule
from p88.store.results.scoring import ScoreOptions, ScoreSummary, race_gun, score_race

__all__ = [
    "AgeGroups",
    "PointRule",
    "ScoreOptions",
    "ScoreSummary",
    "race_gun",
    "score_race",
    "update_places",
]
