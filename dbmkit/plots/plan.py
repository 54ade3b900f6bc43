"""Charts of the plan phase (see dbmkit.plots for the conventions)."""
from __future__ import annotations

__all__: list[str] = []
