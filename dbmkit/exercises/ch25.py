"""Exercises of chapter 25 (baskets and sequences): support, confidence and lift of one pair by hand (SQL) before
the rules helper, and whether a weak rule is worth a cross-sell mailing.

The pair of 25.1–25.3 is the chapter's strongest rule (``antecedent``, ``consequent`` and ``level`` are passed by
the notebook; without them the first rule of :func:`dbmkit.basket.association_rules`). ``META`` holds the kinds
and the diagnoses of the usual mistakes (read by the exercise engine)."""
from __future__ import annotations

from . import exercise
from .mistakes import near


def pair_counts(ws, level: str = "subcategory", antecedent=None, consequent=None) -> dict:
    """The four basket counts of one rule A → C (``sql/pair_counts.sql``): all baskets, baskets with A, with C and
    with both. Without a pair: the strongest rule of :func:`dbmkit.basket.association_rules`."""
    from .. import sql as _sql
    from ..basket import LEVELS, association_rules
    if antecedent is None or consequent is None:
        r = association_rules(ws, level=level)
        if r.empty:
            raise ValueError(f"no association rule at level {level!r}")
        antecedent, consequent = r["antecedent"].iloc[0], r["consequent"].iloc[0]
    if level not in LEVELS:
        raise ValueError(f"level must be one of {list(LEVELS)}, not {level!r}")
    k = _sql.run(ws, "pair_counts", {"a": str(antecedent), "c": str(consequent), "as_of": ws.as_of.date()},
                 item=_sql.Raw(LEVELS[level])).iloc[0]
    return {"antecedent": str(antecedent), "consequent": str(consequent), "n": int(k["n"]),
            "with_a": int(k["with_a"]), "with_c": int(k["with_c"]), "both": int(k["both"])}


_SQL_HINT = ("Count over the completed orders up to the analysis date: every basket, those holding A, those "
             "holding C and those holding both (one row per order with max(item = A) and max(item = C)).")


@exercise("25.1", "Support of the strongest pair, by hand",
          hint=_SQL_HINT + " Support = baskets with both ÷ all baskets (a share between 0 and 1).")
def _support(ws, level="subcategory", antecedent=None, consequent=None):
    k = pair_counts(ws, level, antecedent, consequent)
    return k["both"] / k["n"]


@exercise("25.2", "Confidence of the strongest rule, by hand",
          hint="Confidence of A → C = baskets with both ÷ baskets with A (the antecedent), from the same counts.")
def _confidence(ws, level="subcategory", antecedent=None, consequent=None):
    k = pair_counts(ws, level, antecedent, consequent)
    return k["both"] / k["with_a"]


@exercise("25.3", "Lift of the strongest rule, by hand",
          hint="Lift = confidence ÷ P(C), the share of all baskets holding C — equivalently support ÷ (P(A) × P(C)).")
def _lift(ws, level="subcategory", antecedent=None, consequent=None):
    k = pair_counts(ws, level, antecedent, consequent)
    return (k["both"] / k["with_a"]) / (k["with_c"] / k["n"])


@exercise("25.4", "Is a weak rule worth a cross-sell mailing?",
          hint="The rule says C's rate among A-buyers is lift × P(C) instead of P(C). At best the mailing adds the "
               "difference, P(C) × (lift − 1), to each of the N contacts; profit = N × that × margin − N × cost.",
          rel_tol=0.005, abs_tol=1.0)
def _mailing_profit(ws=None, n_contacts=20000, cost=0.85, margin=30.0, p_c=0.01, rule_lift=1.3):
    return float(n_contacts * p_c * (rule_lift - 1) * margin - n_contacts * cost)


def _k(ws, ctx) -> dict | None:
    try:
        return pair_counts(ws, ctx.get("level", "subcategory"), ctx.get("antecedent"), ctx.get("consequent"))
    except Exception:  # noqa: BLE001 - a diagnosis never raises
        return None


def _is(answer, ws, ctx, f) -> bool:
    k = _k(ws, ctx)
    try:
        return k is not None and near(answer, f(k))
    except ZeroDivisionError:
        return False


def _support_as_count(answer, expected, ws=None, **ctx) -> bool:
    return _is(answer, ws, ctx, lambda k: k["both"])


def _support_as_confidence(answer, expected, ws=None, **ctx) -> bool:
    return _is(answer, ws, ctx, lambda k: k["both"] / k["with_a"])


def _conf_over_all(answer, expected, ws=None, **ctx) -> bool:
    return _is(answer, ws, ctx, lambda k: k["both"] / k["n"])


def _conf_reversed(answer, expected, ws=None, **ctx) -> bool:
    return _is(answer, ws, ctx, lambda k: k["both"] / k["with_c"])


def _lift_is_confidence(answer, expected, ws=None, **ctx) -> bool:
    return _is(answer, ws, ctx, lambda k: k["both"] / k["with_a"])


def _lift_over_p_a(answer, expected, ws=None, **ctx) -> bool:
    return _is(answer, ws, ctx, lambda k: (k["both"] / k["with_a"]) / (k["with_a"] / k["n"]))


def _mailing(**kw):
    d = {"n_contacts": 20000, "cost": 0.85, "margin": 30.0, "p_c": 0.01, "rule_lift": 1.3}
    d.update({k: v for k, v in kw.items() if k in d})
    return d


def _mail_all_responses(answer, expected, ws=None, **ctx) -> bool:
    m = _mailing(**ctx)
    return near(answer, m["n_contacts"] * m["p_c"] * m["rule_lift"] * m["margin"] - m["n_contacts"] * m["cost"],
                  rel=0.005)


def _mail_no_cost(answer, expected, ws=None, **ctx) -> bool:
    m = _mailing(**ctx)
    return near(answer, m["n_contacts"] * m["p_c"] * (m["rule_lift"] - 1) * m["margin"], rel=0.005)


def _mail_lift_as_rate(answer, expected, ws=None, **ctx) -> bool:
    m = _mailing(**ctx)
    return near(answer, m["n_contacts"] * (m["rule_lift"] - 1) * m["margin"] - m["n_contacts"] * m["cost"],
                  rel=0.005)


META = {
    "25.1": {"kind": "share", "diagnoses": [
        (_support_as_count, "this is the number of baskets with both items — divide it by all baskets"),
        (_support_as_confidence, "you divided by the baskets with A: that is the confidence; support divides by "
                                 "all baskets"),
    ]},
    "25.2": {"kind": "share", "diagnoses": [
        (_conf_over_all, "you divided by all baskets, not by those with A — that is the support"),
        (_conf_reversed, "you divided by the baskets with C: that is the confidence of C → A, the other direction"),
    ]},
    "25.3": {"kind": "number", "diagnoses": [
        (_lift_is_confidence, "this is the confidence; lift divides it by P(C), the share of all baskets with C"),
        (_lift_over_p_a, "you divided the confidence by P(A); lift divides it by P(C), the consequent's share"),
    ]},
    "25.4": {"kind": "money", "diagnoses": [
        (_mail_all_responses, "you counted every C purchase of the mailed customers (lift × P(C)); most of them "
                              "would happen anyway — only the extra P(C) × (lift − 1) can be credited to the "
                              "mailing, at best"),
        (_mail_no_cost, "you left out the cost of the N contacts"),
        (_mail_lift_as_rate, "lift is a ratio, not a response rate: the extra rate is P(C) × (lift − 1)"),
    ]},
}
