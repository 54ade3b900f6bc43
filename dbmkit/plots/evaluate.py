"""Charts of the evaluate phase (see dbmkit.plots for the conventions)."""
from __future__ import annotations

__all__: list[str] = []
