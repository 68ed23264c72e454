"""``p88 ask``: English questions compiled into guarded, read-only SQL.

Public surface: ``ask`` and ``explain`` (library entry points), ``Answer``, ``Explanation``,
``Catalog`` (reuse one across questions), ``guard``/``Policy``/``POLICY`` (the guard every
SQL passes) and the errors ``NotUnderstood``, ``Unanswerable``, ``Ambiguous``, ``NotYours``.
"""

from p88.nlq.answer import Answer
from p88.nlq.api import Explanation, ask, explain
from p88.nlq.catalog import Catalog
from p88.nlq.frame import (
    Ambiguous,
    Frame,
    Interpretation,
    NotUnderstood,
    NotYours,
    Unanswerable,
)
from p88.nlq.guard import Guarded, Policy, guard
from p88.nlq.schema import POLICY

__all__ = [
    "POLICY",
    "Ambiguous",
    "Answer",
    "Catalog",
    "Explanation",
    "Frame",
    "Guarded",
    "Interpretation",
    "NotUnderstood",
    "NotYours",
    "Unanswerable",
    "Policy",
    "ask",
    "explain",
    "guard",
]
