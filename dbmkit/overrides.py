"""``--set key=value``: settings of a client's config changed for one run, by dotted name (``campaign.budget=500``).

:func:`parse_sets` reads the command line's ``--set`` arguments (values as YAML scalars: numbers, booleans, lists,
null); :func:`load_with_sets` validates them with the config exactly like the file (a misspelt name or a refused
value is an :class:`~dbmkit.config.OverrideError` naming the closest setting or the rule);
:func:`effective_overrides` gives them as the validated config holds them — what the report passes to every chapter
(the notebooks' ``overrides`` parameter, handed to ``dbm.workspace(config, overrides=overrides)``) and records on its
index page.

Example
-------
>>> cfg, sets = load_with_sets({"client": "t", "data": {"synthetic": {"n_people": 300}}},
...                            ["campaign.budget=500", "analysis.rfm.bins=4"])
>>> cfg.campaign.budget, cfg.analysis.rfm.bins, effective_overrides(cfg, sets)
(500.0, 4, {'campaign.budget': 500.0, 'analysis.rfm.bins': 4})
"""
from __future__ import annotations

import yaml

from .config import OverrideError, load_config

__all__ = ["parse_sets", "load_with_sets", "effective_overrides"]


def parse_sets(items: list[str] | None) -> dict:
    """``--set`` arguments → {dotted key: value}; values are read as YAML scalars (numbers, booleans, lists, null).

    >>> parse_sets(["campaign.budget=500", "report.phases=[1, 2]", "campaign.offer=15% off", "campaign.budget=null"])
    {'campaign.budget': None, 'report.phases': [1, 2], 'campaign.offer': '15% off'}
    """
    out = {}
    for it in items or []:
        key, eq, text = str(it).partition("=")
        key = key.strip()
        if not eq or not key:
            raise OverrideError([(key or str(it), "--set needs key=value, e.g. --set campaign.budget=5000")],
                                values={})
        if not text.strip():
            raise OverrideError([(key, f"needs a value after '=' (write {key}=null to clear the setting)")],
                                values={})
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            value = text                          # 'Spring: 20% off' is a text, not YAML
        out[key] = text.strip() if isinstance(value, dict) else value
    return out


def load_with_sets(config, items: list[str] | None):
    """The validated config with the ``--set`` arguments applied, and the overrides dict. A value YAML reads as
    something else (``campaign.name=yes`` → true, ``campaign.name=2024`` → 2024) is given to a text setting as the
    text that was written."""
    sets = parse_sets(items)
    raw = {str(k).partition("=")[0].strip(): str(k).partition("=")[2].strip() for k in items or []}
    try:
        return load_config(config, overrides=sets or None), sets
    except OverrideError as e:
        as_text = {k for k, msg in e.problems
                   if "valid string" in msg and k in raw and not isinstance(sets.get(k), str)}
        if not as_text:
            raise
        sets = {**sets, **{k: raw[k] for k in as_text}}
        return load_config(config, overrides=sets), sets


def effective_overrides(cfg, overrides: dict | None) -> dict:
    """The overrides as the validated config holds them, JSON-safe (``{"campaign.budget": 500.0}``): what the
    chapters receive and the report records.

    >>> cfg = load_config({"client": "t", "data": {"synthetic": {"n_people": 300}}}, {"campaign.budget": "500"})
    >>> effective_overrides(cfg, {"campaign.budget": "500"})
    {'campaign.budget': 500.0}
    """
    dumped = cfg.model_dump(mode="json")
    out = {}
    for key in overrides or {}:
        cur = dumped
        for part in key.split("."):
            cur = cur[int(part)] if isinstance(cur, list) else cur.get(part) if isinstance(cur, dict) else None
        out[key] = cur
    return out
