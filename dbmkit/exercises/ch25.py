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

_SQL_HINT_ZH = ("统计截至分析日期的已完成订单：全部购物篮、含 A 的、含 C 的以及两者都含的购物篮"
                "（每笔订单一行，用 max(item = A) 和 max(item = C)）。")
ZH = {
    "25.1": {
        "title": "手工计算最强商品对的支持度",
        "hint": _SQL_HINT_ZH + "支持度 = 两者都含的购物篮 ÷ 全部购物篮（0到1之间的比例）。",
        "diagnoses": [
            "这是两者都含的购物篮数——再除以全部购物篮数",
            "你除以的是含 A 的购物篮：那是置信度；支持度要除以全部购物篮",
        ],
    },
    "25.2": {
        "title": "手工计算最强规则的置信度",
        "hint": "A → C 的置信度 = 两者都含的购物篮 ÷ 含 A（前项）的购物篮，用同样的计数。",
        "diagnoses": [
            "你除以的是全部购物篮，而不是含 A 的购物篮——那是支持度",
            "你除以的是含 C 的购物篮：那是 C → A 的置信度，方向反了",
        ],
    },
    "25.3": {
        "title": "手工计算最强规则的提升度",
        "hint": "提升度 = 置信度 ÷ P(C)，P(C) 是含 C 的购物篮占全部购物篮的比例——也等于支持度 ÷ (P(A) × P(C))。",
        "diagnoses": [
            "这是置信度；提升度还要除以 P(C)，即含 C 的购物篮占全部购物篮的比例",
            "你用置信度除以了 P(A)；提升度要除以 P(C)，即后项的比例",
        ],
    },
    "25.4": {
        "title": "一条弱规则值得做一次交叉销售直邮吗？",
        "hint": "规则说明，买 A 的客户中 C 的购买率是 lift × P(C)，而不是 P(C)。这次直邮最多能为 N 位被接触客户中的"
                "每一位增加两者之差 P(C) × (lift − 1)；利润 = N × 该差值 × 毛利 − N × 成本。",
        "diagnoses": [
            "你把被寄送客户的所有 C 购买（lift × P(C)）都算上了；其中大多数本来就会发生——最多只有多出的 "
            "P(C) × (lift − 1) 可以归功于这次直邮",
            "你漏掉了 N 次接触的成本",
            "提升度是一个比值，不是响应率：多出的比率是 P(C) × (lift − 1)",
        ],
    },
}
