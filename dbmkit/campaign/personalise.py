"""Offer, channel and timing per person (活动, 渠道, 时机), personal recommendations (个性化) and loyalty tiers
(忠诚计划).

* **Channel by value and cost** — a rule (best customers phone, near-best mail or SMS, the rest e-mail) or an
  expected-profit choice: for each channel, the person's response score × the channel's response index from past
  campaigns × margin per response − cost per contact; the best permitted channel wins.
* **Offer per cell** with its cost per response (a discount share of the order and/or a fixed amount), giving the
  margin per response.
* **Timing** from each customer's expected next purchase (last purchase + their usual gap), in weekly waves.
* **Recommendations** from basket and sequence rules learned in SQL (``product_rules``, ``recommend_products``).
* **Loyalty tiers** platinum/gold/silver by value rank.

>>> expected_channel_profit(pd.DataFrame({"response_score": [0.2], "margin_per_response": [30.0]}),
...                         index={"email": 1.0, "mail": 1.5},
...                         costs={"email": 0.02, "mail": 0.85}).round(2).values.tolist()
[[5.98, 8.15]]
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import sql as _sql
from ..clv.formulas import VALUE_TIERS
from ..i18n import get_language, pick
from .settings import CHANNELS, CORE_CHANNELS, CampaignSettings

__all__ = ["channel_history", "channel_response_rates", "expected_channel_profit", "channel_preferences",
           "value_rule_channels", "apply_capacity", "offer_economics", "contact_timing", "product_rules",
           "recommend_products", "loyalty_tiers", "loyalty_tier_table", "follow_up_rules", "CONTACT_HOUR"]

# the hour a contact goes out (mail: the drop, posting, time). WeChat at 12: the lunch break, when service-account
# messages are read most; app push at 20: the evening peak of app use — both rules of thumb of Chinese CRM
# practice (assumptions, set your own).
CONTACT_HOUR = {"email": 10, "sms": 11, "phone": 17, "mail": 8, "wechat": 12, "app_push": 20}
MAX_RESPONSE = 0.95


def _con_run(target, name, params, **ids):
    return _sql.run(target, name, params, **ids)


# ------------------------------------------------------------------------------------------------ channel
def channel_history(ws_or_con, as_of, default_window: int = 30) -> pd.DataFrame:
    """Past campaigns by channel and group: people, buyers in the response window, revenue, margin, tracked
    responses (SQL over contacts, campaigns, orders, responses)."""
    return _con_run(ws_or_con, "campaign_channel_history", {"as_of": pd.Timestamp(as_of),
                                                            "default_window": int(default_window)})


def channel_response_rates(history: pd.DataFrame, costs: dict | None = None, shrink: int = 200,
                           shrink_control: int = 1000, default_incremental_share: float = 0.10,
                           shrink_prior: int = 2000) -> pd.DataFrame:
    """Response by channel from past campaigns: treated and control purchase rates in the window, the lift, tracked
    (coupon) response rate, and two planning factors:

    * ``index`` = the channel's treated rate ÷ the overall treated rate, shrunk towards 1 with ``shrink``
      pseudo-contacts (few contacts → little evidence); channels never used get 1;
    * ``incremental_share`` = the share of the channel's responders who bought *because* of the contact,
      lift ÷ treated rate, shrunk towards the pooled share of all channels with ``shrink_control`` pseudo control
      members (control groups are small, so raw lifts are noisy), the pooled share itself shrunk towards the
      prior ``default_incremental_share`` (10 %: an assumption) with ``shrink_prior`` pseudo control members, and
      kept within 0–1. Without any control group it is the prior.

    One row per core channel of ``CHANNELS``, and per app channel (WeChat, app push) when past campaigns used it or
    ``costs`` prices it.

    >>> h = pd.DataFrame({"channel": ["email", "email"], "campaign_id": ["C1", "C1"], "group": ["treatment", "control"],
    ...                   "people": [1000, 100], "buyers": [200, 15], "revenue": [0, 0], "margin": [0, 0],
    ...                   "tracked_responses": [80, 0]})
    >>> r = channel_response_rates(h, shrink=0, shrink_prior=0).set_index("channel")
    >>> r.loc["email", ["treated_rate", "control_rate", "lift", "index", "incremental_share"]].round(6).tolist()
    [0.2, 0.15, 0.05, 1.0, 0.25]
    """
    costs = costs or {}
    h = history.copy()
    t = h[h["group"] == "treatment"].groupby("channel").agg(campaigns=("campaign_id", "nunique"),
                                                            treated=("people", "sum"), treated_buyers=("buyers", "sum"),
                                                            tracked=("tracked_responses", "sum"),
                                                            revenue=("revenue", "sum"))
    c = h[h["group"] == "control"].groupby("channel").agg(control=("people", "sum"), control_buyers=("buyers", "sum"))
    used = set(t.index) | set(costs)
    chans = [ch for ch in CHANNELS if ch in CORE_CHANNELS or ch in used]
    out = pd.DataFrame(index=pd.Index(chans, name="channel")).join(t).join(c)
    for col in ("campaigns", "treated", "treated_buyers", "tracked", "control", "control_buyers", "revenue"):
        out[col] = out[col].fillna(0)
    out["treated_rate"] = out["treated_buyers"] / out["treated"].where(out["treated"] > 0)
    out["control_rate"] = out["control_buyers"] / out["control"].where(out["control"] > 0)
    out["lift"] = out["treated_rate"] - out["control_rate"]
    out["tracked_rate"] = out["tracked"] / out["treated"].where(out["treated"] > 0)
    overall = out["treated_buyers"].sum() / out["treated"].sum() if out["treated"].sum() > 0 else np.nan
    if np.isfinite(overall) and overall > 0:
        shrunk = (out["treated_buyers"] + shrink * overall) / (out["treated"] + shrink)
        out["index"] = (shrunk / overall).round(6).fillna(1.0)
    else:
        out["index"] = 1.0
    has = (out["control"] > 0) & (out["treated_buyers"] > 0)
    raw = (out["lift"] / out["treated_rate"]).where(has)
    extra = (out["treated_buyers"] - out["control_rate"] * out["treated"]).where(has)
    n_ctrl = float(out.loc[has, "control"].sum())
    raw_pooled = float(extra.sum() / out.loc[has, "treated_buyers"].sum()) if has.any() else 0.0
    pooled = (n_ctrl * raw_pooled + shrink_prior * default_incremental_share) / (n_ctrl + shrink_prior) \
        if n_ctrl + shrink_prior > 0 else default_incremental_share
    pooled = float(np.clip(pooled, 0, 1))
    w = out["control"].where(has, 0.0)
    out["incremental_share"] = ((w * raw.fillna(0) + shrink_control * pooled) / (w + shrink_control)).clip(0, 1)
    out["cost_per_contact"] = [costs.get(ch, np.nan) for ch in out.index]
    out["revenue_per_contact"] = out["revenue"] / out["treated"].where(out["treated"] > 0)
    return out.reset_index()[["channel", "campaigns", "treated", "treated_rate", "control", "control_rate", "lift",
                              "tracked_rate", "revenue_per_contact", "index", "incremental_share",
                              "cost_per_contact"]]


def offer_economics(df: pd.DataFrame, offers: dict, offer_col: str = "offer") -> pd.DataFrame:
    """Revenue, offer cost and margin per response for each person's offer.

    Needs ``order_value`` (typical order) and ``margin_rate``. Offer cost = discount × order value + fixed amount;
    margin per response = order value × margin rate − offer cost.

    >>> df = pd.DataFrame({"order_value": [100.0], "margin_rate": [0.4], "offer": ["X"]})
    >>> offer_economics(df, {"X": dict(discount=0.2, fixed=5.0)}).round(2).values.tolist()
    [[80.0, 25.0, 15.0]]
    """
    from .settings import parse_offer
    rules = {o: (offers[o] if o in offers else parse_offer(o)) for o in pd.unique(df[offer_col].astype(str))}
    disc = df[offer_col].astype(str).map({k: float(v.get("discount", 0)) for k, v in rules.items()}).astype(float)
    fixed = df[offer_col].astype(str).map({k: float(v.get("fixed", 0)) for k, v in rules.items()}).astype(float)
    ov = df["order_value"].astype(float)
    cost = disc * ov + fixed
    return pd.DataFrame({"revenue_per_response": ov * (1 - disc), "offer_cost_per_response": cost,
                         "margin_per_response": ov * df["margin_rate"].astype(float) - cost}, index=df.index)


def expected_channel_profit(df: pd.DataFrame, index: dict, costs: dict,
                            incremental: dict | None = None) -> pd.DataFrame:
    """Expected profit of contacting each person through each channel: the response if contacted,
    min(0.95, response_score × index[channel]), × incremental[channel] (the share of responses caused by the
    contact; 1 when not given) × margin_per_response − cost[channel]. One column per channel of ``index``."""
    p = df["response_score"].astype(float).to_numpy()
    m = df["margin_per_response"].astype(float).to_numpy()
    inc = incremental or {}
    return pd.DataFrame({ch: np.minimum(MAX_RESPONSE, p * float(ix)) * float(inc.get(ch, 1.0)) * m - float(costs[ch])
                         for ch, ix in index.items()}, index=df.index)


def value_rule_channels(value: pd.Series, rule) -> pd.Series:
    """Channel preference order by value rank — the rule of thumb "best customers phone or a visit, near-best
    mail or SMS, the rest e-mail". ``rule`` is a list of (cumulative top share, channels in order).

    >>> value_rule_channels(pd.Series([1.0, 5.0, 100.0]), [(0.34, ("phone",)), (1.0, ("email",))]).tolist()
    [('email',), ('email',), ('phone',)]
    """
    share = value.rank(ascending=False, method="first", pct=True)
    out = pd.Series([tuple(rule[-1][1])] * len(value), index=value.index, dtype=object)
    for cut, chans in reversed(list(rule)):
        out[(share <= cut).to_numpy()] = [tuple(chans)] * int((share <= cut).sum())
    return out


def channel_preferences(df: pd.DataFrame, settings: CampaignSettings, index: dict,
                        incremental: dict | None = None) -> tuple[pd.Series, pd.DataFrame]:
    """Each person's channels in order of preference (tuple, best first) and the expected profit per channel.

    ``settings.channel``: one channel → just that one; ``"value"`` → the value rule; ``"auto"`` → all channels by
    expected profit (ties: cheaper first). ``incremental`` (channel → incremental share) is used when
    ``settings.basis`` is "incremental".
    """
    inc = incremental if settings.basis == "incremental" else None
    priced = settings.priced_channels           # the core four; WeChat and app push where the costs price them
    prof = expected_channel_profit(df, {c: index.get(c, 1.0) for c in priced}, settings.costs, inc)
    if settings.channel in CHANNELS:
        prefs = pd.Series([(settings.channel,)] * len(df), index=df.index, dtype=object)
    elif settings.channel == "value":
        prefs = value_rule_channels(df["clv"].astype(float), settings.value_rule)
    else:
        cheap = sorted(priced, key=lambda c: settings.costs[c])
        arr = prof[cheap].to_numpy()
        order = np.argsort(-arr, axis=1, kind="stable")
        names = np.array(cheap, dtype=object)
        prefs = pd.Series([tuple(r) for r in names[order]], index=df.index, dtype=object)
    return prefs, prof


def apply_capacity(chosen: pd.Series, prefs: pd.Series, blocked: set, capacity: dict,
                   profit: pd.DataFrame) -> pd.Series:
    """Respect channel capacities (e.g. the call centre can make 300 calls): the people with the highest expected
    profit keep the channel, the others move to their next permitted channel that still has room."""
    chosen = chosen.astype(object).copy()
    for ch, cap in capacity.items():
        on = chosen.index[(chosen == ch).to_numpy()]
        if len(on) <= cap:
            continue
        ranked = profit.loc[on, ch].sort_values(ascending=False, kind="stable").index
        for cid in ranked[int(cap):]:
            nxt = None
            for c in prefs[cid]:
                if c == ch or (cid, c) in blocked:
                    continue
                if c in capacity and (chosen == c).sum() >= capacity[c]:
                    continue
                nxt = c
                break
            chosen[cid] = nxt
    return chosen


# ------------------------------------------------------------------------------------------------ timing
def contact_timing(df: pd.DataFrame, settings: CampaignSettings) -> pd.DataFrame:
    """When to contact each person (时机): the expected next purchase = last purchase + their usual gap between
    purchase days (recency ÷ repeat purchases; the median gap of repeat buyers for one-time buyers), contacted
    ``lead_days`` before it, in weekly waves from the start date. Overdue customers and new registrants go in the
    first wave; a birthday greeting goes out in the wave before the birthday.

    Needs ``last_purchase``, ``frequency``, ``recency`` (days), ``channel``; optional ``cell``/``birthday_day``.
    Returns ``expected_next_purchase``, ``wave`` (0-based), ``contact_ts``.
    """
    s = settings
    last = pd.to_datetime(df.get("last_purchase"))
    freq = df.get("frequency", pd.Series(0, index=df.index)).astype(float).fillna(0)
    rec = df.get("recency", pd.Series(np.nan, index=df.index)).astype(float)
    gaps = (rec / freq.where(freq > 0))
    median_gap = float(gaps.median()) if gaps.notna().any() else 90.0
    gap = gaps.fillna(median_gap).clip(lower=7)
    nxt = last + pd.to_timedelta(gap, unit="D")
    lead = (nxt - pd.Timedelta(days=s.lead_days) - s.start).dt.days
    if "birthday_day" in df.columns and "cell" in df.columns:
        bday = (df["cell"] == "BDAY") & df["birthday_day"].notna()
        lead = lead.where(~bday, df["birthday_day"].astype(float) - s.lead_days)
    wave = np.floor(lead.astype(float) / s.wave_days).fillna(0).clip(0, s.n_waves - 1).astype(int)
    hours = df["channel"].map(CONTACT_HOUR).fillna(9).astype(int)
    ts = s.start + pd.to_timedelta(wave * s.wave_days, unit="D") + pd.to_timedelta(hours, unit="h")
    return pd.DataFrame({"expected_next_purchase": nxt.dt.normalize(), "wave": wave, "contact_ts": ts}, index=df.index)


# ------------------------------------------------------------------------------------------------ recommendations
def product_rules(ws_or_con, as_of, lookback_days: int = 730, sequence_days: int = 90,
                  min_count: int = 20) -> pd.DataFrame:
    """Basket (A → B in one order) and sequence (A, then B within ``sequence_days``) rules at subcategory level,
    with count, confidence and lift (only lift > 1), from the completed orders of the last ``lookback_days``."""
    return _con_run(ws_or_con, "campaign_product_rules", {"as_of": pd.Timestamp(as_of).date(),
                                                          "lookback_days": int(lookback_days),
                                                          "sequence_days": int(sequence_days),
                                                          "min_count": int(min_count)})


def recommend_products(ws, as_of, rules: pd.DataFrame | None = None, lookback_days: int = 730,
                       sequence_days: int = 90) -> pd.DataFrame:
    """One recommended product per customer (the best seller of the subcategory picked by the strongest rule the
    customer triggers and has not bought yet; a recent sequence trigger wins), with the rule as the reason.

    ``rules`` (kind, antecedent, consequent, confidence, lift — e.g. from ``dbmkit.basket``) defaults to
    ``product_rules``. Returns ``customer_id``, ``recommended_product`` (product id), ``recommended_product_name``,
    ``recommended_subcategory``, ``recommendation_rule``.
    """
    if rules is None:
        rules = product_rules(ws, as_of, lookback_days, sequence_days)
    need = {"kind", "antecedent", "consequent", "confidence", "lift"}
    if not need <= set(rules.columns):
        raise KeyError(f"rules need the columns {sorted(need)}; got {list(rules.columns)}")
    r = rules[sorted(need)].copy()
    # two years of order lines: on the workspace's engine (Spark with engine: spark), the rules handed over beside them
    return _sql.run(ws, "campaign_recommendations", {"as_of": pd.Timestamp(as_of).date(),
                                                     "lookback_days": int(lookback_days),
                                                     "sequence_days": int(sequence_days)},
                    frames={"_campaign_rules": r}, rules=_sql.Raw("_campaign_rules"))


RULES_TABLE, RECOMMENDATIONS_TABLE = "product_rules", "product_recommendations"


def cached_recommendations(ws, as_of, lookback_days: int = 730, sequence_days: int = 90
                           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``product_rules`` and ``recommend_products`` with their default rules, kept in the database.

    Both scan two years of order lines — about half of a plan's time on a large client — and depend only on the
    order history, ``as_of`` and the two windows. The first call saves them as the analysis tables
    ``product_rules`` and ``product_recommendations`` (each row tagged with those inputs); a later call with the same
    inputs — chapter 31's plans after chapter 30's — reads them back. A rebuild of the database starts without them;
    an erasure removes the person's recommendation like any analysis table row. Returns ``(rules, recommendations)``.
    """
    key = f"{pd.Timestamp(as_of).date()}|{int(lookback_days)}|{int(sequence_days)}"
    if ws.has_table(RULES_TABLE) and ws.has_table(RECOMMENDATIONS_TABLE):
        keys = ws.sql(f"SELECT DISTINCT inputs FROM {RULES_TABLE} UNION SELECT DISTINCT inputs FROM "
                      f"{RECOMMENDATIONS_TABLE}")["inputs"].tolist()
        if keys == [key]:
            rules = ws.sql(f"SELECT * EXCLUDE (inputs) FROM {RULES_TABLE} ORDER BY kind, lift DESC, antecedent, "
                           "consequent")
            rec = ws.sql(f"SELECT * EXCLUDE (inputs) FROM {RECOMMENDATIONS_TABLE} ORDER BY customer_id")
            return rules, rec
    rules = product_rules(ws, as_of, lookback_days, sequence_days)
    rec = recommend_products(ws, as_of, rules, lookback_days, sequence_days)
    ws.save(RULES_TABLE, rules.assign(inputs=key))
    ws.save(RECOMMENDATIONS_TABLE, rec.assign(inputs=key))
    return rules, rec


# ------------------------------------------------------------------------------------------------ loyalty
# the loyalty programme's tiers are the value tiers (one definition: dbmkit.clv.VALUE_TIERS, docs/GLOSSARY.md); the
# bronze tier are the programme's plain members
LOYALTY_SHARES = {name: share for name, share in VALUE_TIERS if name != "bronze"}
LOYALTY_BENEFITS = {
    "platinum": "personal shopper, free express shipping, previews, birthday gift",
    "gold": "free shipping, early access to sales, birthday voucher",
    "silver": "members' prices, birthday greeting",
    "member": "points on every purchase",
}
LOYALTY_BENEFITS_ZH = {"platinum": "专属导购、免费快递、新品预览、生日礼物", "gold": "免运费、促销抢先购、生日礼券",
                       "silver": "会员价、生日问候", "member": "每次购物积分"}


def loyalty_tiers(value: pd.Series, shares: dict | None = None) -> pd.Series:
    """Loyalty tier (忠诚计划) by value rank, the value tiers of :data:`dbmkit.clv.VALUE_TIERS`: platinum for the top
    2 %, gold the next 8 %, silver the next 20 %, member (the bronze tier) for the rest (people with value ≤ 0 are
    members).

    >>> loyalty_tiers(pd.Series(range(1, 101), dtype=float)).value_counts().to_dict()
    {'member': 70, 'silver': 20, 'gold': 8, 'platinum': 2}
    """
    shares = shares or LOYALTY_SHARES
    v = value.astype(float)
    rank = v.rank(ascending=False, method="first") / max(len(v), 1)
    out = pd.Series("member", index=v.index, dtype=object)
    cum = 0.0
    for tier, sh in shares.items():
        lo = cum
        cum += sh
        out[((rank > lo) & (rank <= cum + 1e-12) & (v > 0)).to_numpy()] = tier
    return out


def loyalty_tier_table(value: pd.Series, tiers: pd.Series) -> pd.DataFrame:
    """Per tier: customers, value threshold (lowest value in the tier), mean value and the tier's benefits."""
    df = pd.DataFrame({"value": value.astype(float), "tier": tiers})
    t = df.groupby("tier").agg(customers=("value", "size"), min_value=("value", "min"), mean_value=("value", "mean"))
    order = [k for k in ["platinum", "gold", "silver", "member"] if k in t.index]
    t = t.reindex(order)
    zh = get_language() == "zh"
    t["benefits"] = [(LOYALTY_BENEFITS_ZH if zh else LOYALTY_BENEFITS).get(k, "") for k in t.index]
    return t.reset_index()


# ------------------------------------------------------------------------------------------------ orchestration
def follow_up_rules(selection: pd.DataFrame, suppressions: pd.DataFrame, costs: dict,
                    delay_days: int = 4) -> pd.DataFrame:
    """Multi-channel orchestration: the triggered follow-ups planned with the campaign and how many treated people
    could receive each (they must be permitted on the follow-up channel) at most, with the cost if all are sent.

    Rules: e-mail not opened after ``delay_days`` → SMS reminder; e-mail clicked (a web visit) without a purchase →
    e-mail with the coupon again; catalogue (mail) recipients → e-mail of the same offer on the drop day.
    """
    chan = suppressions[suppressions["channel"] != "*"]
    blocked = set(zip(chan["customer_id"], chan["channel"]))
    t = selection[selection["group"] == "treatment"]
    rules = [(pick((f"E-mail not opened after {delay_days} days", f"邮件{delay_days}天未打开")), "email", "sms",
              pick(("SMS reminder of the offer", "短信提醒活动"))),
             (pick((f"E-mail clicked, no purchase after {delay_days} days", f"点击邮件后{delay_days}天未购买")),
              "email", "email",
              pick(("E-mail with product details and the coupon again", "再发一封附商品详情和优惠券的邮件"))),
             (pick(("Catalogue mailed", "已寄出目录")), "mail", "email",
              pick(("E-mail of the same offer on the drop day", "目录寄达当天发送同一活动的邮件")))]
    rows = []
    for trigger, first, follow, action in rules:
        who = t.loc[(t["channel"] == first).to_numpy(), "customer_id"]
        ok = [c for c in who if (c, follow) not in blocked]
        rows.append(dict(trigger=trigger, first_channel=first, follow_up_channel=follow, action=action,
                         people_at_most=len(ok), max_cost=len(ok) * float(costs[follow])))
    return pd.DataFrame(rows)
