"""Target selection (分段筛选), suppressions and the gross → net waterfall, cells with priority de-duplication,
N-per and limit rules.

The vocabulary is the one of campaign tools (Apteco FastStats/Orbit, Unica Campaign, Adobe Campaign):

* **gross selection** — the people who meet the campaign's eligibility criteria (segment, score, recency, value);
* **suppressions** — people who must not or should not be contacted: erased, deceased, test and staff accounts,
  recently contacted, over the contact-pressure limit, and per channel not opted in / opted out, without a valid
  contact detail, bounced, complained, unsubscribed, gone away;
* **waterfall** — the table from gross to net where each person is counted once, at the first step (in priority
  order) that removes them, so the steps add up: gross − Σ removed = net;
* **cells** — sub-groups of the selection with their own code, offer and channel; a person lands in the first cell
  (in priority order) whose rule they meet (de-duplication), a cell may have a limit, and N-per rules keep at most
  N people per household.

>>> ids = pd.Series(["a", "b", "c", "d"])
>>> removals = pd.DataFrame({"customer_id": ["b", "b", "c"], "step": ["staff", "deceased", "staff"]})
>>> table, removed_at = waterfall(ids, removals, order=["deceased", "staff"])
>>> table[["step", "removed", "remaining"]].values.tolist()
[['gross', 0, 4], ['deceased', 1, 3], ['staff', 1, 2], ['net', 0, 2]]
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .. import sql as _sql
from ..clv.formulas import value_tiers
from ..i18n import pick
from ..i18n import t as label_of
from ..util import Notice, isin
from .settings import CHANNELS, CampaignSettings

__all__ = ["STEPS", "customer_base", "gross_selection", "campaign_suppressions", "classify_reason", "waterfall",
           "channel_waterfall", "default_cells", "assign_cells", "apply_cell_limits", "n_per"]

# waterfall steps in priority order: key → (English label, 中文, level: person | channel)
STEPS: dict[str, tuple[str, str, str]] = {
    "erased": ("erased (right to erasure)", "已删除（删除权）", "person"),
    "deceased": ("deceased", "已故", "person"),
    "test": ("test account", "测试账户", "person"),
    "staff": ("staff", "员工", "person"),
    "recent": ("contacted in the last {recent} days", "最近{recent}天内已接触", "person"),
    "pressure": ("contact pressure: {k}+ contacts in 30 days", "接触频次上限：30天内已达{k}次", "person"),
    "not_opted_in": ("not opted in / opted out", "未同意或已退订", "channel"),
    "no_contact": ("no valid contact detail", "无有效联系方式", "channel"),
    "gone_away": ("gone away (address invalid)", "地址失效", "channel"),
    "bounced": ("bounced / undeliverable", "退信/无法送达", "channel"),
    "complained": ("complained (spam report)", "投诉（垃圾邮件）", "channel"),
    "unsubscribed": ("unsubscribed", "已退订", "channel"),
    "contact_point": ("contact detail on the suppression list (shared with a record that opted out, bounced or "
                      "died)", "联系方式在排除名单上（与已退订、退信或已故的记录相同）", "channel"),
    "other": ("other suppression", "其他排除", "channel"),
}
PERSON_REASONS = ("erased", "deceased", "test", "staff")


def classify_reason(reason: str) -> str:
    """The waterfall step of a suppression reason given by ``database.suppression_list``.

    >>> classify_reason("not opted in"), classify_reason("no valid email"), classify_reason("e-mail bounced")
    ('not_opted_in', 'no_contact', 'bounced')
    >>> classify_reason("e-mail address on the suppression list")
    'contact_point'
    """
    r = str(reason).lower()
    for key, words in (("contact_point", ("on the suppression list",)),
                       ("deceased", ("deceased", "dead")), ("test", ("test",)), ("staff", ("staff", "employee")),
                       ("erased", ("erase",)), ("gone_away", ("gone away", "address invalid")),
                       ("complained", ("complain", "spam")), ("unsubscribed", ("unsubscrib",)),
                       ("bounced", ("bounce", "undeliverable", "failed")),
                       ("no_contact", ("no valid", "invalid", "missing")),
                       ("not_opted_in", ("opt", "consent"))):
        if any(w in r for w in words):
            return key
    return "other"


# ------------------------------------------------------------------------------------------------ the customer base
def _analysis_table(ws, name: str):
    """An analysis table of the workspace, or None when it cannot be built (its builder is missing, or fails on
    this client's data) — the plan then uses a simple fallback and says so."""
    try:
        return ws.table(name)
    except Exception as e:  # noqa: BLE001 - degrade to the fallback, with the reason in the warning
        warnings.warn(pick((f"campaign: the '{name}' table is not available ({type(e).__name__}: {e}); using a "
                            "simple fallback computed from customer_summary",
                            f"营销活动：'{name}' 表不可用（{type(e).__name__}: {e}）；改用由 customer_summary "
                            "计算的简单替代")), Notice, stacklevel=3)
        return None


def _quantile_score(x: pd.Series, bins: int = 5) -> pd.Series:
    """1..bins by rank (higher value → higher score)."""
    r = x.rank(method="first", pct=True)
    return np.ceil(r * bins).clip(1, bins).astype(int)


def _fallback_rfm(s: pd.DataFrame) -> pd.DataFrame:
    r = _quantile_score(-s["days_since_last"].astype(float))
    f = _quantile_score(s["n_orders"].astype(float))
    m = _quantile_score(s["monetary_total"].astype(float))
    seg = np.select([(r >= 4) & (f >= 4), (r >= 4) & (f <= 2), (r <= 2) & (f >= 4), (r <= 2) & (f <= 2)],
                    ["Champions", "Promising", "Can't lose them", "Hibernating"], "Need attention")
    return pd.DataFrame({"customer_id": s["customer_id"], "r_score": r, "f_score": f, "m_score": m, "segment": seg})


def _fallback_clv(s: pd.DataFrame) -> pd.DataFrame:
    rate = (s["margin_total"] / s["monetary_total"].where(s["monetary_total"] > 0)).clip(0, 1).fillna(0.4)
    value = (s["revenue_12m"].astype(float) * rate).clip(lower=0)
    tier = value_tiers(value.to_numpy())                                      # the clv table's tiers
    return pd.DataFrame({"customer_id": s["customer_id"], "clv": value, "value_tier": tier})


def _fallback_segments(s: pd.DataFrame) -> pd.DataFrame:
    d, T = s["days_since_last"].astype(float), s["T"].astype(float)
    stage = np.select([T <= 90, d <= 180, d <= 365, d <= 730], ["new", "active", "at_risk", "lapsed"], "lost")
    share = s["monetary_total"].rank(ascending=False, pct=True, method="first")
    abc = np.select([share <= 0.05, share <= 0.20, share <= 0.50], ["A", "B", "C"], "D")
    return pd.DataFrame({"customer_id": s["customer_id"], "lifecycle_stage": stage, "abc_class": abc})


def _fallback_scores(ws, window_days: int) -> pd.DataFrame:
    """P(purchase within one campaign window) from recency × frequency cells, learned one window back."""
    cutoff = ws.as_of - pd.Timedelta(days=window_days)
    hist = _sql.run(ws, "campaign_rf_response", {"as_of": ws.as_of.date(), "cutoff": cutoff.date()})
    now = _sql.run(ws, "campaign_rf_response", {"as_of": ws.as_of.date(), "cutoff": ws.as_of.date()})
    rb = [-1, 30, 60, 90, 180, 365, 730, 10 ** 5, 10 ** 7]       # the last band: never bought
    fb = [-1, 0, 1, 2, 4, 9, np.inf]

    def cells(df):
        return (pd.cut(df["days_since_last"].fillna(-1).where(df["purchase_days"] > 0, 10 ** 6), rb,
                       labels=False).astype(int).astype(str) + "|"
                + pd.cut(df["purchase_days"], fb, labels=False).astype(int).astype(str))
    hist["cell"] = cells(hist)
    overall = hist["bought"].mean()
    g = hist.groupby("cell")["bought"].agg(["sum", "count"])
    rate = (g["sum"] + 20 * overall) / (g["count"] + 20)            # shrunk towards the overall rate
    score = cells(now).map(rate).astype(float).fillna(overall).to_numpy()
    out = pd.DataFrame({"customer_id": now["customer_id"], "response_score": score})
    out["response_decile"] = 11 - _quantile_score(out["response_score"], 10)
    return out


def customer_base(ws, settings: CampaignSettings) -> tuple[pd.DataFrame, list[str]]:
    """Everyone a campaign could select, one row per customer, with the facts the plan needs (no contact details).

    Columns: ``in_customers`` (False for an id of an analysis table that is no longer a customer — erased),
    household, sign-up, do-not-contact flags, ``birthday_in_window``; from customer_summary ``buyer``,
    ``n_orders``, ``frequency``, ``days_since_last``, ``monetary_total``, ``margin_total``, ``order_value``,
    ``margin_rate``; from the analysis tables ``segment``, ``r_score``/``f_score``/``m_score``, ``clv``,
    ``value_tier``, ``lifecycle_stage`` (``prospect`` for people who never bought), ``abc_class``,
    ``response_score``, ``response_decile``, ``churn_score``.

    Returns the frame and the list of analysis tables replaced by a simple fallback (empty when all exist).
    """
    people = _sql.run(ws, "campaign_customer_base", {"start": settings.start.date(),
                                                      "window": settings.response_window_days})
    summary = ws.table("customer_summary")
    fallbacks = []
    tables = {}
    for name in ("rfm", "clv", "segments", "scores"):
        t = _analysis_table(ws, name)
        if t is None:
            fallbacks.append(name)
            t = {"rfm": _fallback_rfm, "clv": _fallback_clv, "segments": _fallback_segments}[name](summary) \
                if name != "scores" else _fallback_scores(ws, settings.response_window_days)
        tables[name] = t
    ids = pd.Index(people["customer_id"]).union(pd.Index(tables["scores"]["customer_id"]))
    for t in (summary, tables["rfm"], tables["segments"]):
        ids = ids.union(pd.Index(t["customer_id"]))
    base = pd.DataFrame({"customer_id": ids.astype(str)})
    base = base.merge(people, on="customer_id", how="left")
    base["in_customers"] = isin(base["customer_id"], people["customer_id"])
    cols = ["customer_id", "n_orders", "frequency", "days_since_last", "T", "monetary_total", "margin_total",
            "revenue_12m", "first_purchase", "last_purchase", "main_channel"]
    base = base.merge(summary[[c for c in cols if c in summary.columns]], on="customer_id", how="left")
    base["buyer"] = base["n_orders"].fillna(0) > 0
    wanted = {"rfm": ["segment", "r_score", "f_score", "m_score", "rfm_cell"],
              "clv": ["clv", "p_alive", "value_tier", "expected_purchases"],
              "segments": ["lifecycle_stage", "abc_class", "cluster_name"],
              "scores": ["response_score", "response_decile", "churn_score"]}
    for name, want in wanted.items():
        t = tables[name]
        keep = ["customer_id"] + [c for c in want if c in t.columns and c not in base.columns]
        base = base.merge(t[keep].drop_duplicates("customer_id"), on="customer_id", how="left")
        for c in want:
            if c not in base.columns:
                base[c] = np.nan
    for c in ("is_test", "is_staff", "deceased", "gone_away", "birthday_in_window"):
        base[c] = base[c].astype("boolean").fillna(False).astype(bool)
    base["lifecycle_stage"] = base["lifecycle_stage"].astype(object).where(base["buyer"], "prospect")
    base["lifecycle_stage"] = base["lifecycle_stage"].fillna("unknown").astype(str)
    # order value and margin rate per customer, shrunk towards the average (3 pseudo-orders) for few orders
    n = base["n_orders"].fillna(0).astype(float)
    own_value = (base["monetary_total"] / n.where(n > 0)).astype(float)
    avg_value = float(base.loc[base["buyer"], "monetary_total"].sum() / max(n[base["buyer"]].sum(), 1))
    base["order_value"] = ((own_value.fillna(0) * n + 3 * avg_value) / (n + 3)).clip(lower=0)
    own_rate = (base["margin_total"] / base["monetary_total"].where(base["monetary_total"] > 0)).astype(float)
    buyers = base.loc[base["buyer"]]
    avg_rate = float(buyers["margin_total"].sum() / max(buyers["monetary_total"].sum(), 1)) \
        if base["buyer"].any() else settings.gross_margin
    if not np.isfinite(avg_rate) or avg_rate <= 0:
        avg_rate = settings.gross_margin
    base["margin_rate"] = ((own_rate.fillna(avg_rate).clip(-1, 1) * n + 3 * avg_rate) / (n + 3))
    base["clv"] = base["clv"].astype(float).fillna(0.0)
    rs = base["response_score"].astype(float)
    base["response_score"] = rs.fillna(rs.min() if rs.notna().any() else 0.0).clip(0, 1)
    return base, fallbacks


def gross_selection(base: pd.DataFrame, settings: CampaignSettings) -> tuple[pd.Series, pd.DataFrame]:
    """The eligibility criteria (分段筛选) applied in turn: a boolean mask over ``base`` and a table of the
    criteria with the people left after each.

    Criteria: buyers in the campaign's lifecycle stages (plus new registrants without a purchase when
    ``include_prospects``), then optionally RFM segments, a minimum value (clv), a maximum recency and the best
    ``min_score_decile`` deciles of the response score.
    """
    s = settings
    stages = "、".join(label_of(x, "zh") for x in s.lifecycle_stages)
    rows = [(pick(("everyone in the database", "数据库中的全部人员")), len(base))]
    stage_ok = base["buyer"] & base["lifecycle_stage"].isin(list(s.lifecycle_stages))
    if s.include_prospects:
        signed = pd.to_datetime(base["signup_date"])
        new_reg = ~base["buyer"] & (signed > s.as_of - pd.Timedelta(days=s.prospect_days))
        stage_ok = stage_ok | new_reg
        label = pick((f"lifecycle stage in {list(s.lifecycle_stages)} or registered in the last {s.prospect_days} days",
                      f"生命周期阶段为{stages}，或最近{s.prospect_days}天内注册"))
    else:
        label = pick((f"buyers in lifecycle stage {list(s.lifecycle_stages)}", f"生命周期阶段为{stages}的购买者"))
    mask = stage_ok.fillna(False).astype(bool)
    rows.append((label, int(mask.sum())))
    if s.segments:
        mask &= base["segment"].isin(list(s.segments)) | ~base["buyer"]
        rows.append((pick((f"RFM segment in {list(s.segments)}", "RFM细分为" + "、".join(map(str, s.segments)))),
                     int(mask.sum())))
    if s.min_value is not None:
        mask &= (base["clv"] >= s.min_value) | ~base["buyer"]
        rows.append((pick((f"value (clv) ≥ {s.min_value:,.0f}", f"客户终身价值 ≥ {s.min_value:,.0f}")),
                     int(mask.sum())))
    if s.max_days_since_last is not None:
        mask &= (base["days_since_last"] <= s.max_days_since_last).fillna(True)
        rows.append((pick((f"bought in the last {s.max_days_since_last} days",
                           f"最近{s.max_days_since_last}天内有购买")),
                     int(mask.sum())))
    if s.min_score_decile is not None:
        mask &= (base["response_decile"] <= s.min_score_decile).fillna(False)
        rows.append((pick((f"response-score decile 1–{s.min_score_decile}",
                           f"响应得分第1–{s.min_score_decile}个十分位")),
                     int(mask.sum())))
    table = pd.DataFrame(rows, columns=["criterion", "people"])
    return mask.astype(bool), table


# ------------------------------------------------------------------------------------------------ suppressions
def campaign_suppressions(ws_or_con, channels=CHANNELS, as_of=None, start=None, recent_contact_days: int = 14,
                          max_contacts_30d: int = 4) -> pd.DataFrame:
    """Everyone who must not (or should not) get this campaign, with the reason and the waterfall step.

    Uses ``dbmkit.database.suppression_list`` per channel (consent latest-wins and read fail-safe, invalid contact
    details, deceased, test, staff, gone away, bounced/complained/unsubscribed, contact details on the suppression
    list) — as of ``as_of`` (the analysis) **and** with all the evidence the database holds (the send: an opt-out
    dated after the analysis date still suppresses; such reasons end in "(after the analysis date)") — and adds
    the campaign rules: contacted in the last
    ``recent_contact_days`` days and the contact-pressure limit (``max_contacts_30d`` contacts in the 30 days before
    ``start`` across channels, so one more would exceed it). Person-level reasons have channel ``"*"``.

    ``ws_or_con`` is a Workspace or a DuckDB connection to its database; on a Workspace the contact-pressure query
    runs on the workspace's engine (Spark with ``engine: spark``). Returns columns ``customer_id``, ``channel``,
    ``reason``, ``step``.
    """
    from ..database.store import connection_of
    con, close = connection_of(ws_or_con)
    try:
        target = ws_or_con if close and hasattr(ws_or_con, "cfg") else con      # a Workspace: its engine
        return _suppressions(target, con, channels, as_of, start, recent_contact_days, max_contacts_30d)
    finally:
        if close:
            con.close()


def _suppressions(target, con, channels, as_of, start, recent_contact_days, max_contacts_30d) -> pd.DataFrame:
    """:func:`campaign_suppressions` on an open connection; the contact pressure through ``target``."""
    from ..database import suppression_list
    parts = []
    for ch in channels:
        s = suppression_list(con, ch, as_of)
        if as_of is not None:            # consent at send time: every piece of evidence up to now
            now = suppression_list(con, ch, None)
            new = now[~isin(now["customer_id"], set(s["customer_id"]))]
            s = pd.concat([s, new.assign(reason=new["reason"] + " (after the analysis date)")], ignore_index=True)
        if len(s):
            s = s.assign(channel=ch)
            steps = {r: classify_reason(r) for r in pd.unique(s["reason"])}   # a few distinct reasons
            s["step"] = s["reason"].map(steps).astype(object)
            parts.append(s)
    sup = (pd.concat(parts, ignore_index=True) if parts
           else pd.DataFrame(columns=["customer_id", "reason", "channel", "step"]))
    person = sup["step"].isin(PERSON_REASONS)
    sup.loc[person, "channel"] = "*"
    sup = sup.drop_duplicates(["customer_id", "channel", "step", "reason"])
    if start is not None:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "contacts" in tables:
            hist = _sql.run(target, "campaign_contact_pressure", {"start": pd.Timestamp(start),
                                                                   "recent_days": int(recent_contact_days)})
            extra = []
            if recent_contact_days > 0:
                r = hist[hist["contacts_recent"] > 0]
                extra.append(pd.DataFrame({"customer_id": r["customer_id"], "channel": "*", "step": "recent",
                                           "reason": f"contacted in the last {recent_contact_days} days"}))
            p = hist[hist["contacts_30d"] >= max_contacts_30d]
            extra.append(pd.DataFrame({"customer_id": p["customer_id"], "channel": "*", "step": "pressure",
                                       "reason": f"{max_contacts_30d}+ contacts in the 30 days before the start"}))
            sup = pd.concat([sup] + [e for e in extra if len(e)], ignore_index=True)
    return sup[["customer_id", "channel", "reason", "step"]].reset_index(drop=True)


def waterfall(ids, removals: pd.DataFrame, order=None, cost: pd.Series | None = None, labels: dict | None = None,
              gross_label: str = "gross", net_label: str = "net") -> tuple[pd.DataFrame, pd.Series]:
    """The gross → net waterfall: each person counted once, at the first step (in ``order``) that removes them.

    ``ids`` are the gross selection; ``removals`` has ``customer_id`` and ``step`` (several rows per person
    allowed); steps missing from ``order`` follow in order of appearance. ``cost`` (per customer id) adds the cost of
    the remaining list at each step. Returns the table (``step``, ``label``, ``removed``, ``remaining``, and
    ``cost_removed``/``remaining_cost`` with a cost) and, per id, the step that removed it (None if kept).

    >>> t, r = waterfall(["a", "b"], pd.DataFrame({"customer_id": ["a"], "step": ["staff"]}),
    ...                  cost=pd.Series({"a": 1.0, "b": 2.0}))
    >>> t[["step", "removed", "remaining"]].values.tolist(), t["remaining_cost"].tolist()
    ([['gross', 0, 2], ['staff', 1, 1], ['net', 0, 1]], [3.0, 2.0, 2.0])
    """
    ids = pd.Index(pd.unique(np.asarray(list(ids), dtype=object)))
    rem = removals[isin(removals["customer_id"], ids)] if len(removals) else removals
    order = list(order or [])
    order += [s for s in pd.unique(rem["step"]) if s not in order] if len(rem) else []
    rank = {s: i for i, s in enumerate(order)}
    removed_at = pd.Series([None] * len(ids), index=ids, dtype=object)
    if len(rem):
        r = rem.assign(_rank=rem["step"].map(rank)).sort_values(["_rank"], kind="stable")
        first = r.drop_duplicates("customer_id").set_index("customer_id")["step"]
        removed_at.loc[first.index] = first.to_numpy()
    labels = labels or {}
    c = cost.reindex(ids).fillna(0).astype(float) if cost is not None else None
    rows = [dict(step=gross_label, label=labels.get(gross_label, gross_label), removed=0, remaining=len(ids))]
    if c is not None:
        rows[0].update(cost_removed=0.0, remaining_cost=float(c.sum()))
    remaining, rcost = len(ids), (float(c.sum()) if c is not None else 0.0)
    counts = removed_at.value_counts()
    for s in order:
        k = int(counts.get(s, 0))
        remaining -= k
        row = dict(step=s, label=labels.get(s, s), removed=k, remaining=remaining)
        if c is not None:
            cr = float(c[removed_at.eq(s).to_numpy()].sum())
            rcost -= cr
            row.update(cost_removed=cr, remaining_cost=rcost)
        rows.append(row)
    last = dict(step=net_label, label=labels.get(net_label, net_label), removed=0, remaining=remaining)
    if c is not None:
        last.update(cost_removed=0.0, remaining_cost=rcost)
    rows.append(last)
    table = pd.DataFrame(rows)
    table[["removed", "remaining"]] = table[["removed", "remaining"]].astype(int)
    if c is not None:
        table[["cost_removed", "remaining_cost"]] = table[["cost_removed", "remaining_cost"]].astype(float)
    return table, removed_at


def channel_waterfall(prefs: pd.Series, suppressions: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """Channel per person given their channel preference order and the suppressions.

    ``prefs`` maps customer_id → tuple of channels (best first). A person gets the first channel they may be
    contacted on; someone suppressed on every channel of their list gets no channel and the suppression rows of
    their first choice as removals (so the waterfall names why the preferred channel failed).
    Returns (channel per customer, may be None; removal rows customer_id/step/reason/channel).
    """
    chan = suppressions[suppressions["channel"] != "*"]
    ids = np.asarray(prefs.index, dtype=object)
    lists = [tuple(p) for p in prefs.to_numpy()]
    lens = np.fromiter((len(p) for p in lists), dtype=np.int64, count=len(lists))
    # one row per (person, channel of their list, rank); drop the blocked pairs; the best rank left wins
    long = pd.DataFrame({"customer_id": np.repeat(ids, lens),
                         "channel": np.asarray([c for p in lists for c in p], dtype=object),
                         "rank": np.concatenate([np.arange(n) for n in lens]) if len(lens) else np.array([], int)})
    pairs = chan[["customer_id", "channel"]].drop_duplicates().assign(_blocked=True)
    long = long.merge(pairs, on=["customer_id", "channel"], how="left", sort=False)
    ok = long[long["_blocked"].isna().to_numpy()].sort_values("rank", kind="stable").drop_duplicates("customer_id")
    chosen = pd.Series(ok["channel"].to_numpy(dtype=object), index=ok["customer_id"].to_numpy(dtype=object),
                       dtype=object).reindex(pd.Index(ids, dtype=object))
    chosen = chosen.astype(object).where(chosen.notna(), None)
    none = np.asarray(chosen.isna().to_numpy())
    first = pd.DataFrame({"customer_id": ids[none],
                          "channel": np.asarray([p[0] if p else None for p, n in zip(lists, none) if n], dtype=object)})
    rem = first.merge(chan, on=["customer_id", "channel"], how="inner")
    return chosen, rem[["customer_id", "step", "reason", "channel"]]


# ------------------------------------------------------------------------------------------------ cells
def default_cells(settings: CampaignSettings) -> list[dict]:
    """The default cells in priority order: birthday care, gold/platinum preview, welcome, win-back, cross-sell.

    A cell is a dict: ``cell`` (code), ``name`` (and ``name_zh``), ``where`` (a pandas expression over the selection,
    or a function
    of it returning a boolean mask), ``offer`` (a code of ``settings.offers`` or words like "15% off") and an
    optional ``limit`` (most people in the cell, best expected profit first).
    """
    fixed = None if settings.offer == "auto" else settings.offer
    cells = [
        dict(cell="BDAY", name="Birthday care", name_zh="生日关怀", where="birthday_in_window and buyer",
             offer="BIRTHDAY"),
        dict(cell="VIP", name="Gold & platinum preview", name_zh="黄金/铂金会员专享",
             where="loyalty_tier in ['platinum', 'gold']", offer="PREVIEW"),
        dict(cell="NEW", name="Welcome", name_zh="新客欢迎", where="lifecycle_stage in ['new', 'prospect']",
             offer="WELCOME"),
        dict(cell="WIN", name="Win-back", name_zh="老客召回", where="lifecycle_stage in ['at_risk', 'lapsed', 'lost']",
             offer="WINBACK"),
        dict(cell="XSELL", name="Cross-sell", name_zh="交叉销售", where="buyer or not buyer", offer="XSELL"),
    ]
    for c in cells:
        if fixed:
            c["offer"] = fixed
        if c["cell"] in settings.cell_limits:
            c["limit"] = settings.cell_limits[c["cell"]]
    return cells


def _mask(df: pd.DataFrame, where) -> pd.Series:
    if callable(where):
        m = where(df)
    else:
        try:
            m = df.eval(where)
        except Exception as e:  # noqa: BLE001 - re-raised with the cell rule named
            raise ValueError(f"cannot evaluate the cell rule {where!r}: {e}. Rules are pandas expressions over the "
                             f"columns {sorted(df.columns)[:40]}") from e
    return pd.Series(np.asarray(m, dtype=bool), index=df.index)


def assign_cells(df: pd.DataFrame, cells: list[dict]) -> pd.DataFrame:
    """Each person in the first cell (priority order) whose rule they meet: columns ``cell``, ``cell_name``,
    ``cell_name_zh``, ``offer`` (empty when no cell matches).

    >>> df = pd.DataFrame({"value": [5, 50, 500]})
    >>> assign_cells(df, [dict(cell="TOP", where="value > 100", offer="A"),
    ...                   dict(cell="ALL", where="value > 10", offer="B")])["cell"].tolist()
    ['', 'ALL', 'TOP']
    """
    if not cells:
        raise ValueError("give at least one cell, e.g. [dict(cell='ALL', where='buyer', offer='WINBACK')]")
    codes = [c.get("cell") for c in cells]
    if len(set(codes)) != len(codes) or any(not c for c in codes):
        raise ValueError(f"cell codes must be present and unique, got {codes}")
    out = pd.DataFrame({"cell": "", "cell_name": "", "cell_name_zh": "", "offer": ""}, index=df.index)
    free = pd.Series(True, index=df.index)
    for c in cells:
        m = _mask(df, c.get("where", "True")) & free
        out.loc[m, "cell"] = c["cell"]
        out.loc[m, "cell_name"] = c.get("name", c["cell"])
        out.loc[m, "cell_name_zh"] = c.get("name_zh", c.get("name", c["cell"]))
        out.loc[m, "offer"] = c.get("offer", "")
        free &= ~m
    return out


def apply_cell_limits(df: pd.DataFrame, cells: list[dict], rank_col: str) -> pd.Series:
    """True for people kept after the cells' limits (the best ``rank_col`` first within each limited cell)."""
    keep = pd.Series(True, index=df.index)
    for c in cells:
        lim = c.get("limit")
        if lim is None:
            continue
        idx = df.index[(df["cell"] == c["cell"]).to_numpy()]
        order = df.loc[idx].sort_values([rank_col, "customer_id"], ascending=[False, True]).index
        keep.loc[order[int(lim):]] = False
    return keep


def n_per(df: pd.DataFrame, by: str, n: int = 1, order_by: str | None = None,
          where: pd.Series | None = None) -> pd.Series:
    """N-per rule: True for at most ``n`` people per ``by`` group (e.g. one catalogue per household), the best
    ``order_by`` first (ties by customer id); rows outside ``where`` are always kept and rows with a missing
    ``by`` value are kept.

    >>> df = pd.DataFrame({"customer_id": ["a", "b", "c"], "household_id": ["h1", "h1", "h2"], "v": [1, 2, 3]})
    >>> n_per(df, "household_id", 1, "v").tolist()
    [False, True, True]
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    if by not in df.columns:
        raise KeyError(f"no column {by!r} for the N-per rule; columns are {list(df.columns)}")
    w = pd.Series(True, index=df.index) if where is None else where.reindex(df.index).fillna(False).astype(bool)
    sub = df[w & df[by].notna()]
    cols, asc = [by], [True]
    if order_by:
        cols.append(order_by)
        asc.append(False)
    cols.append("customer_id")
    asc.append(True)
    ranked = sub.sort_values(cols, ascending=asc, kind="stable")
    pos = ranked.groupby(by, sort=False).cumcount()
    keep = pd.Series(True, index=df.index)
    keep.loc[pos.index[(pos >= n).to_numpy()]] = False
    return keep
