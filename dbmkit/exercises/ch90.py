"""Exercises of chapter 90 (case study: The Complete Journey). Expected answers come from the bundled data.

90.1 and 90.2 are built by hand for one campaign (its redemption rate and the lower end of its 95 % Wilson
interval) before ``dbm.cases.redemption_by`` shows them; 90.3 decides what these data can show. ``META`` gives each
exercise's kind and the diagnoses of the usual mistakes (tried before the hint).
"""
from __future__ import annotations

import math
from functools import lru_cache

from . import exercise
from .mistakes import choice_mistake as _choice
from .mistakes import mistake_of

Z95 = 1.959963984540054


def _diag(mistake, rel=1e-3, abs_=1e-9):
    """A diagnosis firing when the answer is ``mistake(**context)`` (these exercises need no workspace)."""
    return mistake_of(mistake, rel, abs_, with_ws=False)


@lru_cache(maxsize=1)
def _pairs():
    from ..cases import campaign_pairs
    from ..datasets import complete_journey as cj
    return campaign_pairs(cj("campaigns"), cj("campaign_descriptions"), cj("coupon_redemptions"), cj("demographics"))


@lru_cache(maxsize=1)
def _study_households() -> int:
    from ..datasets import complete_journey as cj
    return int(cj("transactions_sample")["household_id"].nunique())


def _counts(campaign):
    """(households the campaign reached, of them households that redeemed, coupon redemptions of the campaign)."""
    from ..datasets import complete_journey as cj
    reached = cj("campaigns")
    red = cj("coupon_redemptions")
    reached = reached.loc[reached["campaign_id"].astype(str) == str(campaign), "household_id"].nunique()
    red = red[red["campaign_id"].astype(str) == str(campaign)]
    return int(reached), int(red["household_id"].nunique()), int(len(red))


def wilson(k: float, n: float, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of k successes in n trials (the interval of ``dbm.cases.redemption_by``)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


# ------------------------------------------------------------------------------------------------ 90.1, 90.2
@exercise("90.1", "Redemption rate of one campaign, by hand",
          hint="Households the campaign reached: distinct household_id of `campaigns` with that campaign_id; "
               "redeemers: distinct household_id of `redemptions` with that campaign_id; rate = redeemers ÷ reached "
               "(a share).",
          rel_tol=2e-3, abs_tol=2e-4)
def _campaign_rate(ws=None, campaign="16"):
    n, k, _ = _counts(campaign)
    return k / n


def _rate_of_all_households(campaign="16"):
    return _counts(campaign)[1] / _study_households()


def _rate_of_all_reached(campaign="16"):
    return _counts(campaign)[1] / int(_pairs()["household_id"].nunique())


def _coupons_per_household(campaign="16"):
    n, _, coupons = _counts(campaign)
    return coupons / n


@exercise("90.2", "Lower end of the campaign's 95 % Wilson interval, by hand",
          hint="With p = k/n and z = 1.96: centre = (p + z²/2n) / (1 + z²/n), half-width = z·√(p(1−p)/n + z²/4n²) / "
               "(1 + z²/n); the lower end is centre − half-width (a share).",
          abs_tol=5e-4, rel_tol=0)
def _wilson_low(ws=None, campaign="16"):
    n, k, _ = _counts(campaign)
    return wilson(k, n)[0]


def _wald_low(campaign="16"):
    n, k, _ = _counts(campaign)
    p = k / n
    return p - Z95 * math.sqrt(p * (1 - p) / n)


def _upper(campaign="16"):
    n, k, _ = _counts(campaign)
    return wilson(k, n)[1]


def _z90(campaign="16"):
    n, k, _ = _counts(campaign)
    return wilson(k, n, 1.6448536269514722)[0]


def _centre(campaign="16"):
    n, k, _ = _counts(campaign)
    lo, hi = wilson(k, n)
    return (lo + hi) / 2


# ------------------------------------------------------------------------------------------------ 90.3 decide
CHOICES_90_3 = {
    "a": "Yes: a redemption rate of 12 % shows that the coupons made these households buy",
    "b": "No: the retailer chose whom to contact and held nobody out at random, so we cannot know how many "
         "households would have bought the couponed products anyway",
    "c": "Yes: redemption differs between the campaign types, so the coupons made the difference",
}


@exercise("90.3", "Can these data show that the coupons cause the purchases?",
          hint="A cause needs a comparison: households like the contacted ones, chosen at random, who got no coupon. "
               "Look for such a group in the campaigns table. Answer a letter.")
def _causal(ws=None):
    from ..datasets import complete_journey as cj
    cols = {c.lower() for c in cj("campaigns").columns}
    if cols & {"control", "holdout", "group", "treatment"}:
        raise ValueError("the campaigns table now marks a control group: this question needs rewording")
    return "b"   # the data hold no household held out at random


# ------------------------------------------------------------------------------------------------ 90.4–90.6
@exercise("90.4", "Households reached by at least one campaign",
          hint="Count the distinct household_id in the campaigns table (who received each campaign).",
          rel_tol=0, abs_tol=0)
def _reached(ws=None):
    return int(_pairs()["household_id"].nunique())


@exercise("90.5", "The age band with the highest redemption rate",
          hint="dbm.cases.redemption_by(pairs, 'age') gives the rate per age band; answer with the band's label "
               "as text, e.g. '35-44'.")
def _best_age(ws=None):
    from ..cases import redemption_by
    r = redemption_by(_pairs(), "age")
    return str(r.loc[r["rate"].idxmax(), "age"])


def _most_redeemers_band(answer, expected, ws=None, **_):
    """The band with the most redeeming pairs (a count, not a rate), when it is another band."""
    try:
        from ..cases import redemption_by
        r = redemption_by(_pairs(), "age")
        wrong = str(r.loc[r["redeemed"].idxmax(), "age"])
        a = str(answer).strip().lower()
        return a == wrong.lower() and a != str(expected).strip().lower()
    except Exception:  # noqa: BLE001
        return False


@exercise("90.6", "How many times more often Type A pairs redeem than Type C pairs",
          hint="Divide the redemption rate of Type A by that of Type C (dbm.cases.redemption_by(pairs, "
               "'campaign_type')).",
          rel_tol=5e-3)
def _a_vs_c(ws=None):
    rate = _pairs().groupby("campaign_type")["redeemed"].mean()
    return float(rate["Type A"] / rate["Type C"])


def _c_vs_a():
    rate = _pairs().groupby("campaign_type")["redeemed"].mean()
    return float(rate["Type C"] / rate["Type A"])


def _a_minus_c():
    rate = _pairs().groupby("campaign_type")["redeemed"].mean()
    return float(rate["Type A"] - rate["Type C"])


META = {
    "90.1": {
        "kind": "share",
        "diagnoses": [
            (_diag(_rate_of_all_households, 2e-3),
             "you used all households of the study, not those who received the campaign — divide by the "
             "households this campaign reached"),
            (_diag(_rate_of_all_reached, 2e-3),
             "you divided by the households reached by any campaign; use those this campaign reached"),
            (_diag(_coupons_per_household, 2e-3),
             "you counted coupon redemptions, not households: a household redeeming three coupons is one response "
             "— count distinct household_id"),
        ],
    },
    "90.2": {
        "kind": "share",
        "diagnoses": [
            (_diag(_wald_low, 0, 5e-4), "this is the normal (Wald) interval p − 1.96·√(p(1−p)/n); the Wilson "
                                             "interval moves the centre towards ½ and is the one to use for small "
                                             "counts"),
            (_diag(_upper, 0, 5e-4), "this is the upper end of the interval; the question asks for the lower"),
            (_diag(_z90, 0, 5e-4), "this is a 90 % interval (z = 1.645); a 95 % interval uses z = 1.96"),
            (_diag(_centre, 0, 5e-4), "this is the Wilson centre; subtract the half-width"),
        ],
    },
    "90.3": {
        "kind": "choice",
        "choices": CHOICES_90_3,
        "diagnoses": [
            (_choice("a"), "a response rate counts who redeemed, not who redeemed *because* of the coupon: without "
                           "a random control group we cannot know what the households would have bought anyway"),
            (_choice("c"), "the types reached different households with different coupons; a difference in "
                           "response rates is not an effect without a random control group in each campaign"),
        ],
    },
    "90.4": {
        "kind": "count",
        "diagnoses": [
            (_diag(lambda: len(_pairs()), 0, 0), "you counted household–campaign pairs, not households — a "
                                                      "household reached by three campaigns counts once"),
            (_diag(_study_households, 0, 0), "you counted every household of the study, not those reached by "
                                                  "a campaign"),
            (_diag(lambda: int(_pairs().loc[_pairs()["age"].notna(), "household_id"].nunique()), 0, 0),
             "you counted only the households with demographics; count every household in the campaigns table"),
        ],
    },
    "90.5": {
        "kind": "label",
        "diagnoses": [(_most_redeemers_band, "this band has the most redeeming pairs, not the highest rate — "
                                             "compare the rates (redeemed ÷ pairs)")],
    },
    "90.6": {
        "kind": "number",
        "diagnoses": [
            (_diag(_c_vs_a, 5e-3), "you divided Type C by Type A; the question asks A ÷ C"),
            (_diag(_a_minus_c, 5e-3), "this is the difference of the rates; the question asks for the ratio"),
        ],
    },
}

ZH = {
    "90.1": {"title": "手工计算一次营销活动的核销率",
             "hint": "活动触达的家庭：`campaigns` 中该 campaign_id 的不重复 household_id；核销家庭：`redemptions` 中该 "
                     "campaign_id 的不重复 household_id；核销率 = 核销家庭 ÷ 触达家庭（一个比例）。",
             "diagnoses": ["你用的是研究中的全部家庭，而不是收到这次活动的家庭——请除以这次活动触达的家庭数",
                           "你除以的是任何一次活动触达过的家庭；请用这次活动触达的家庭",
                           "你数的是优惠券的核销次数，不是家庭：一个家庭核销三张优惠券只算一次响应——请数不重复的 "
                           "household_id"]},
    "90.2": {"title": "手工计算该活动 95 % Wilson 区间的下限",
             "hint": "设 p = k/n，z = 1.96：中心 = (p + z²/2n) / (1 + z²/n)，"
                     "半宽 = z·√(p(1−p)/n + z²/4n²) / (1 + z²/n)；下限 = 中心 − 半宽（一个比例）。",
             "diagnoses": ["这是正态近似（Wald）区间 p − 1.96·√(p(1−p)/n)；Wilson 区间把中心向 ½ 移动，"
                           "计数较小时应该用它",
                           "这是区间的上限；题目问的是下限",
                           "这是 90 % 区间（z = 1.645）；95 % 区间用 z = 1.96",
                           "这是 Wilson 区间的中心；还要减去半宽"]},
    "90.3": {"title": "这些数据能否证明优惠券带来了购买？",
             "hint": "因果需要比较：与被接触家庭相似、随机选出、却没有收到优惠券的家庭。在 campaigns 表中找一找有没有"
                     "这样的组。请回答一个字母。",
             "diagnoses": ["响应率统计的是谁核销了，而不是谁*因为*优惠券才核销：没有随机对照组，"
                           "就无法知道这些家庭本来会买什么",
                           "不同类型的活动触达的是不同的家庭、发放的是不同的优惠券；没有每次活动各自的随机对照组，响应率"
                           "的差异并不是效果"]},
    "90.4": {"title": "至少被一次营销活动触达的家庭数",
             "hint": "数一数 campaigns 表（谁收到了哪次活动）中不重复的 household_id。",
             "diagnoses": ["你数的是“家庭–活动”配对，不是家庭——一个被三次活动触达的家庭只算一次",
                           "你数的是研究中的全部家庭，而不是被活动触达的家庭",
                           "你只数了有人口统计属性的家庭；请数 campaigns 表中的每一个家庭"]},
    "90.5": {"title": "核销率最高的年龄段",
             "hint": "dbm.cases.redemption_by(pairs, 'age') 给出每个年龄段的核销率；请用文字回答该年龄段的标签，"
                     "例如 '35-44'。",
             "diagnoses": ["这个年龄段核销的配对最多，但核销率不是最高——请比较核销率（核销数 ÷ 配对数）"]},
    "90.6": {"title": "A 类配对的核销频率是 C 类的几倍",
             "hint": "用 A 类的核销率除以 C 类的核销率（dbm.cases.redemption_by(pairs, 'campaign_type')）。",
             "diagnoses": ["你用 C 类除以了 A 类；题目要的是 A ÷ C",
                           "这是两个核销率的差；题目要的是比值"]},
}
