"""p88: a race-timing toolkit on PostgreSQL.

The packages under ``p88`` are the library; ``p88.cli`` is a thin shell over them.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
