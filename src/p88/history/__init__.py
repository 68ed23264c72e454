"""Synthetic results history: years of races to ask questions about.

``p88 demo history`` calls ``load_history``; ``generate`` alone draws the rows without a
database. The same ``HistoryOptions`` give the same rows: ``p88 ask`` is tested on them.
"""

from p88.history.generate import History, HistoryOptions, IdBase, generate
from p88.history.load import HistorySummary, load_history

__all__ = ["History", "HistoryOptions", "HistorySummary", "IdBase", "generate", "load_history"]
