"""dbmkit — the helper package of the database-marketing workbook (数据库营销).

A notebook starts with::

    import dbmkit as dbm
    ws = dbm.workspace(config)          # validates the config, builds the database if needed

and then calls the concept modules — ``dbm.rfm``, ``dbm.value``, ``dbm.clv``, ``dbm.segments``, ``dbm.basket``,
``dbm.models``, ``dbm.campaign``, ``dbm.evaluate`` — and draws with ``dbm.plots``. Modules load on first use.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

_MODULES = {"config", "client_workspace", "datasets", "ingest", "clean", "identity", "database", "rfm", "value", "clv",
            "segments", "basket", "models", "campaign", "evaluate", "plots", "widgets", "exercises", "report",
            "chapters", "schema", "i18n", "display", "explore", "consultant", "cases", "privacy", "util", "power",
            "uncertainty", "xlsx", "profiles", "forecast", "spend_model", "interests", "triggers", "loyalty"}


def __getattr__(name):
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in ("load_config", "ClientConfig", "ConfigError"):
        return getattr(importlib.import_module(f"{__name__}.config"), name)
    if name in ("record", "provenance", "key_numbers"):
        return getattr(importlib.import_module(f"{__name__}.report"), name)
    if name == "show":
        return importlib.import_module(f"{__name__}.display").show
    if name in ("say", "pick", "date_text"):            # a printout in the page's language: dbm.say(en, zh)
        return getattr(importlib.import_module(f"{__name__}.i18n"), name)
    raise AttributeError(f"module 'dbmkit' has no attribute {name!r}")


def workspace(config=None, **kwargs):
    """Open a client's workspace — ``ws = dbm.workspace("../clients/demo.yaml")`` — validating the config and
    building the database when it is missing or stale (the arguments of :func:`dbmkit.client_workspace.workspace`),
    and set the chart style for the client's language."""
    ws = importlib.import_module(f"{__name__}.client_workspace").workspace(config, **kwargs)
    importlib.import_module(f"{__name__}.plots").setup_style(ws.cfg.language)
    importlib.import_module(f"{__name__}.display").install()      # Series as tables, floats rounded (IPython)
    return ws


def __dir__():
    return sorted(list(globals()) + list(_MODULES))
