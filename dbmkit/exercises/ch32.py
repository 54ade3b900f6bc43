"""Exercises of chapter 32 (interest segments, life-event triggers, loyalty economics).

32.1 and 32.2 are built by hand before the chapter's helper shows the same number (who is in market for one
category; the gold tier's break-even incremental spend ΔS = (r·S + F·n)/(m − r)); 32.3 is a decision that only
follows from comparing a measured lift with that break-even lift. ``META`` gives each exercise's kind and the
diagnoses of the usual mistakes (tried before the hint).
"""
from __future__ import annotations

from ..datasets.locale_words import CATALOG
from . import exercise
from .mistakes import choice_mistake, mistake_of


def _diag(mistake, rel=1e-3):
    """A diagnosis firing when the answer is ``mistake(ws, **context)`` and not the expected answer."""
    return mistake_of(mistake, rel, 1e-9)


# ------------------------------------------------------------------------------------------------ 32.1 in market
def _category_rows(ws, category):
    from ..interests import category_cycles, category_purchases
    cp = category_purchases(ws)
    cycle = category_cycles(cp).set_index("category").loc[category, "cycle_days"]
    rows = cp[cp["category"] == category]
    return rows, float(cycle), (ws.as_of - rows["last_day"]).dt.days


@exercise("32.1", "Customers in market for one category, by hand",
          hint="Take the rows of cp for the category, its cycle_days from `cycles`, days = (ws.as_of − last_day) in "
               "days; count the customers with due_from × cycle ≤ days < due_until × cycle.",
          rel_tol=0, abs_tol=0)
def _in_market_by_hand(ws, category=None, due_from=0.8, due_until=1.5):
    rows, cycle, days = _category_rows(ws, category)
    return int(rows.loc[(days >= due_from * cycle) & (days < due_until * cycle), "customer_id"].nunique())


def _all_categories(ws, category=None, due_from=0.8, due_until=1.5):
    from ..interests import category_cycles, category_purchases, in_market
    cp = category_purchases(ws)
    return len(in_market(cp, category_cycles(cp), ws.as_of, due_from, due_until))


def _all_buyers(ws, category=None, **_):
    rows, _, _ = _category_rows(ws, category)
    return int(rows["customer_id"].nunique())


def _no_upper_limit(ws, category=None, due_from=0.8, **_):
    rows, cycle, days = _category_rows(ws, category)
    return int(rows.loc[days >= due_from * cycle, "customer_id"].nunique())


def _no_lower_limit(ws, category=None, due_until=1.5, **_):
    rows, cycle, days = _category_rows(ws, category)
    return int(rows.loc[days < due_until * cycle, "customer_id"].nunique())


# ------------------------------------------------------------------------------------------------ 32.2 break-even
def _tier_row(ws, months, tier):
    from ..loyalty import DEFAULT_TIERS, assign_tiers, customer_spend, tier_table
    tiered, _ = assign_tiers(customer_spend(ws, months))
    row = tier_table(tiered, n_boot=1).set_index("tier").loc[tier]
    _, rate, fixed = DEFAULT_TIERS[tier]
    return float(row["spend"]), int(row["members"]), rate, fixed


@exercise("32.2", "Break-even incremental spend of the gold tier, by hand",
          hint="ΔS = (r·S + F·n) / (m − r): S and n are the gold row of `tiers` (spend, members), r and F the gold "
               "rebate and fixed cost of dbm.loyalty.DEFAULT_TIERS, m the chapter's margin; the answer is money.",
          rel_tol=5e-3, abs_tol=1.0)
def _gold_breakeven(ws, gross_margin=0.4, months=12, tier="gold"):
    s, n, r, f = _tier_row(ws, months, tier)
    return float((r * s + f * n) / (gross_margin - r))


def _over_margin(ws, gross_margin=0.4, months=12, tier="gold"):
    s, n, r, f = _tier_row(ws, months, tier)
    return (r * s + f * n) / gross_margin


def _no_fixed(ws, gross_margin=0.4, months=12, tier="gold"):
    s, n, r, f = _tier_row(ws, months, tier)
    return r * s / (gross_margin - r)


def _as_lift(ws, gross_margin=0.4, months=12, tier="gold"):
    s, _, _, _ = _tier_row(ws, months, tier)
    return _gold_breakeven(ws, gross_margin, months, tier) / s


def _per_member(ws, gross_margin=0.4, months=12, tier="gold"):
    _, n, _, _ = _tier_row(ws, months, tier)
    return _gold_breakeven(ws, gross_margin, months, tier) / n


def _programme(ws, gross_margin=0.4, months=12, **_):
    from ..loyalty import assign_tiers, customer_spend, programme_economics, tier_table
    econ = programme_economics(tier_table(assign_tiers(customer_spend(ws, months))[0], n_boot=1), gross_margin)
    return float(econ.loc[econ["tier"] == "programme", "breakeven_extra_spend"].iloc[0])


# ------------------------------------------------------------------------------------------------ 32.3 decide
CHOICES_32_3 = {
    "a": "Yes: the measured lift is at least the gold tier's break-even lift ΔS / S",
    "b": "No: the measured lift is below the gold tier's break-even lift ΔS / S",
    "c": "Yes: any positive lift pays, since gold members spend more than non-members anyway",
    "d": "We cannot tell: a holdout cannot measure what a loyalty tier does",
}


def _required_lift(ws, gross_margin=0.4, months=12, tier="gold"):
    s, _, _, _ = _tier_row(ws, months, tier)
    return _gold_breakeven(ws, gross_margin, months, tier) / s


@exercise("32.3", "Is the gold tier worth its cost?",
          hint="The benefits are paid on all the members' spend: the tier pays only when the lift measured against "
               "the random holdout reaches its break-even lift ΔS / S (the gold row's required_lift). Answer a letter.")
def _gold_worth_it(ws, holdout_lift=0.16, gross_margin=0.4, months=12, tier="gold"):
    return "a" if holdout_lift >= _required_lift(ws, gross_margin, months, tier) else "b"


def _compared_with_programme(answer, expected, ws=None, holdout_lift=0.16, gross_margin=0.4, months=12, **_):
    """The letter the programme's required lift would give, when it differs from the gold tier's."""
    try:
        from ..loyalty import assign_tiers, customer_spend, programme_economics, tier_table
        econ = programme_economics(tier_table(assign_tiers(customer_spend(ws, months))[0], n_boot=1), gross_margin)
        lift = float(econ.loc[econ["tier"] == "programme", "required_lift"].iloc[0])
        wrong = "a" if holdout_lift >= lift else "b"
        a = str(answer).strip().lower()[:1]
        return a == wrong and a != str(expected).strip().lower()
    except Exception:  # noqa: BLE001
        return False


# ------------------------------------------------------------------------------------------------ 32.4, 32.5
def _not_test(ws):
    c = ws.table("customers")
    return c[~c["is_test"].fillna(False).astype(bool)]


@exercise("32.4", "Birthdays in the next 30 days",
          hint="dbm.triggers.birthdays(customers, ws.as_of, days=30) lists them (customers: the chapter's table "
               "without test records); count the rows.",
          rel_tol=0, abs_tol=0)
def _birthdays(ws, days=30):
    from ..triggers import birthdays
    return int(len(birthdays(_not_test(ws), ws.as_of, days=days)))


def _with_test_records(ws, days=30):
    from ..triggers import birthdays
    return int(len(birthdays(ws.table("customers"), ws.as_of, days=days)))


def _known_birth_dates(ws, days=30):
    return int(_not_test(ws)["birth_date"].notna().sum())


@exercise("32.5", "The most common dominant interest",
          hint="interests['interest'].value_counts(): answer with the first label that is not 'mixed', as text.")
def _top_interest(ws, min_share=0.4):
    from ..interests import MIXED, category_purchases, interest_segments
    vc = interest_segments(category_purchases(ws), min_share)["interest"].value_counts()
    return str(vc[vc.index != MIXED].index[0])


def _answered_mixed(answer, expected, ws=None, **_):
    try:
        return str(answer).strip().lower() in ("mixed", "mixed interests", "兴趣分散")
    except Exception:  # noqa: BLE001
        return False


# the synthetic retailer's categories in both languages (an English client's label may be answered in Chinese)
_CATEGORY_ZH = {en: zh for en, (zh, *_rest) in CATALOG.items()}
_CATEGORY_BOTH = {**_CATEGORY_ZH, **{zh: en for en, zh in _CATEGORY_ZH.items()}}   # looked up by the expected label

META = {
    "32.1": {
        "kind": "count",
        "diagnoses": [
            (_diag(_all_categories), "you counted the in-market customer × category pairs of every category — "
                                          "keep only the rows of the one category asked for"),
            (_diag(_all_buyers), "you counted every buyer of the category — keep only those whose days since "
                                      "their last purchase in it are between due_from and due_until cycles"),
            (_diag(_no_upper_limit), "you left out the upper limit: after due_until × cycle without buying, the "
                                          "customer has probably bought elsewhere — count days < due_until × cycle"),
            (_diag(_no_lower_limit), "you left out the lower limit: a customer who bought recently is not due "
                                          "yet — count days ≥ due_from × cycle"),
        ],
    },
    "32.2": {
        "kind": "money",
        "diagnoses": [
            (_diag(_as_lift, 5e-3), "this is the required lift ΔS / S (a share); the question asks for ΔS in "
                                         "money"),
            (_diag(_over_margin, 5e-3), "you divided by m, not by m − r: the rebate is paid on the extra spend "
                                             "too, so each extra unit of spend brings m − r"),
            (_diag(_no_fixed, 5e-3), "you left out the fixed cost per member: add F · n to the rebate cost"),
            (_diag(_per_member, 5e-3), "this is ΔS per member; the question asks for the whole gold tier's ΔS"),
            (_diag(_programme, 5e-3), "this is the whole programme's ΔS (all tiers); use the gold row only"),
        ],
    },
    "32.3": {
        "kind": "choice",
        "choices": CHOICES_32_3,
        "diagnoses": [
            (choice_mistake("c"), "members spend more because good customers qualify; the rebate is paid on all "
                                     "their spend, so the lift must reach the break-even lift ΔS / S"),
            (choice_mistake("d"), "a random holdout of eligible customers is exactly what measures the tier's "
                                     "effect (chapter 31): compare its lift with the break-even lift"),
            (_compared_with_programme, "you compared with the whole programme's required lift; the question is "
                                       "about the gold tier: use its own row"),
        ],
    },
    "32.4": {
        "kind": "count",
        "diagnoses": [
            (_diag(_with_test_records), "you counted the test records too — leave out customers with is_test"),
            (_diag(_known_birth_dates), "you counted every customer with a birth date; keep those whose "
                                             "birthday falls in the next 30 days"),
        ],
    },
    "32.5": {
        "kind": "label",
        "labels": _CATEGORY_BOTH,                    # the synthetic retailer's categories: English or Chinese accepted
        "diagnoses": [(_answered_mixed, "'mixed' is not an interest: answer with the most common label after it")],
    },
}

ZH = {
    "32.1": {"title": "手工计算某一品类当前有购买意向的客户",
             "hint": "取 cp 中该品类的行，取 `cycles` 中它的 cycle_days，天数 = (ws.as_of − last_day) 的天数；统计满足 "
                     "due_from × 周期 ≤ 天数 < due_until × 周期 的客户数。",
             "diagnoses": ["你统计了所有品类中当前有购买意向的“客户 × 品类”组合——只保留题目问的那一个品类的行",
                           "你统计了该品类的全部购买者——只保留距上次购买该品类的天数在 due_from 到 due_until 个周期"
                           "之间的客户",
                           "你漏掉了上限：超过 due_until × 周期仍未购买的客户很可能已经在别处买了——统计天数 < "
                           "due_until × 周期 的客户",
                           "你漏掉了下限：刚买过的客户还不到时候——统计天数 ≥ due_from × 周期 的客户"]},
    "32.2": {"title": "手工计算黄金等级的盈亏平衡增量消费",
             "hint": "ΔS = (r·S + F·n) / (m − r)：S 和 n 取 `tiers` 中黄金那一行（spend、members），r 和 F 取 "
                     "dbm.loyalty.DEFAULT_TIERS 中黄金等级的返利率和固定成本，m 取本章的毛利率；答案是一个金额。",
             "diagnoses": ["这是所需提升 ΔS / S（一个比例）；题目要的是金额 ΔS",
                           "你除以的是 m 而不是 m − r：额外消费同样要付返利，所以每多一元消费只带来 m − r 的毛利",
                           "你漏掉了每位会员的固定成本：要在返利成本上加上 F · n",
                           "这是每位会员的 ΔS；题目要的是整个黄金等级的 ΔS",
                           "这是整个计划（所有等级）的 ΔS；只用黄金那一行"]},
    "32.3": {"title": "黄金等级值得它的成本吗？",
             "hint": "权益按会员的全部消费支付：只有相对随机留出组测得的提升达到该等级的盈亏平衡提升 ΔS / S（黄金那一行"
                     "的 required_lift）时，这个等级才合算。用字母作答。",
             "diagnoses": ["会员花得多，是因为好客户才够得上等级；返利按他们的全部消费支付，所以提升必须达到盈亏平衡"
                           "提升 ΔS / S",
                           "从符合条件的客户中随机留出一组，恰恰能衡量等级的效果（第31章）：把它的提升与盈亏平衡提升"
                           "相比较",
                           "你比较的是整个计划所需的提升；题目问的是黄金等级：用它自己那一行"]},
    "32.4": {"title": "未来30天内过生日的客户",
             "hint": "dbm.triggers.birthdays(customers, ws.as_of, days=30) 会列出他们（customers：本章不含测试记录的"
                     "表）；数一数行数。",
             "diagnoses": ["你把测试记录也算进去了——去掉 is_test 的客户",
                           "你统计了所有有出生日期的客户；只保留生日落在未来30天内的客户"]},
    "32.5": {"title": "最常见的主要兴趣",
             "hint": "interests['interest'].value_counts()：用第一个不是 'mixed'（兴趣分散）的标签作答，写成文字。",
             "diagnoses": ["“兴趣分散”（mixed）不是一种兴趣：用排在它后面最常见的那个标签作答"]},
}
