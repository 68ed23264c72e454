"""Results: scoring timing reads into places, and importing participant and result files."""

from p88.store.results.agegroups import AgeGroups

__all__ = ["AgeGroups"]
