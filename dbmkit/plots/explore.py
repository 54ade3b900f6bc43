"""Charts of the analyze phase (see dbmkit.plots for the conventions)."""
from __future__ import annotations

__all__: list[str] = []

import pandas as pd

from ..i18n import t

__all__ += ["revenue_over_time"]


def revenue_over_time(monthly: pd.DataFrame, currency: str = "", title: str | None = None):
    """Stacked monthly revenue by group (e.g. sales channel) from ``explore.monthly_revenue``."""
    from . import finish, money_axis, new_figure
    wide = monthly.pivot_table(index="month", columns="group", values="revenue", aggfunc="sum").fillna(0)
    wide.columns = [t(str(c)) for c in wide.columns]
    fig, ax = new_figure(9, 4)
    ax.stackplot(wide.index, wide.T.values, labels=wide.columns, alpha=0.9)
    money_axis(ax, "y", currency)
    ax.set_xlabel("")
    ax.set_ylabel(t("revenue"))
    ax.legend(loc="upper left", ncol=len(wide.columns), frameon=False, fontsize=9)
    ax.set_title(title or t("revenue") + " · " + t("month"))
    return finish(fig)
