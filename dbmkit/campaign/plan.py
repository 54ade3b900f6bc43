"""The whole campaign plan in one call: ``plan_campaign(ws)`` → :class:`CampaignPlan`.

Steps (each is a function of this package a chapter can also call on its own):

1. settings from the config (+ the chapter's overrides) and the SMART goal;
2. the customer base and the gross selection (eligibility criteria);
3. cells with priority de-duplication, offers and their economics, loyalty tiers;
4. channel preferences (rule by value, or expected profit), suppressions, the gross → net waterfall;
5. rules: N-per household, cell limits; groups (global holdout, control, treatment) by hash;
6. decile economics, mailing depth (max profit, budget cap) → the planned selection; how sure the expected profit,
   ROI and depth are, from the past campaigns' rates (``budget.rate_bounds`` / ``profit_bounds``: ``plan.bounds``,
   ``plan.uncertainty``);
7. timing, recommendations → ``contacts`` in the ``campaign_contacts`` format of docs/DATA_MODEL.md.

``build_campaign_contacts(ws)`` (the builder registered in ``client_workspace.DERIVED``) returns ``plan.contacts`` for
the config's settings; ``save_plan(ws, plan)`` writes it (and the waterfall) to the database.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..i18n import get_language, pick
from ..util import Notice
from . import budget as _budget
from . import control as _control
from . import personalise as _pers
from . import selection as _sel
from .settings import CHANNELS, CampaignSettings, smart_goal

__all__ = ["CampaignPlan", "plan_campaign", "plan_from_tables", "build_campaign_contacts", "save_plan",
           "CONTACT_COLUMNS", "RULE_STEPS"]

CONTACT_COLUMNS = ["campaign_id", "customer_id", "cell", "group", "channel", "offer", "contact_ts",
                   "expected_response", "expected_profit", "recommended_product"]
RULE_STEPS: dict[str, tuple[str, str]] = {
    "no_cell": ("in no cell", "未进入任何分组"),
    "cell_limit": ("over the cell's limit", "超出分组上限"),
    "n_per": ("N-per rule: {n} per household ({channels})", "每户限{n}人（{channels}）"),
    "below_depth": ("below the mailing depth (score deciles {depth}+)", "低于投放深度（第{depth}个十分位以后）"),
    "over_budget": ("over the budget", "超出预算"),
}


@dataclass
class CampaignPlan:
    """A planned campaign: every table of the plan, from the goal to the contact list."""

    settings: CampaignSettings
    goal: pd.DataFrame
    criteria: pd.DataFrame
    people: pd.DataFrame          # the gross selection with every attribute and where it left the funnel
    waterfall: pd.DataFrame       # gross → net (suppressions) → planned (rules), each person counted once
    suppressions: pd.DataFrame
    channel_rates: pd.DataFrame
    deciles: pd.DataFrame
    depth: pd.DataFrame
    selection: pd.DataFrame       # the planned people (treatment, control, holdout) with their attributes
    contacts: pd.DataFrame        # campaign_contacts
    cells: list = field(default_factory=list)
    rules: pd.DataFrame | None = None
    fallbacks: list = field(default_factory=list)
    inputs: dict = field(default_factory=dict, repr=False)   # customer base, history, suppressions (for reuse)
    bounds: pd.DataFrame | None = None        # budget.rate_bounds: each channel's rate interval from past campaigns
    uncertainty: pd.DataFrame | None = None   # budget.profit_bounds: profit, ROI, best depth at low / point / high

    # -------------------------------------------------------------- summaries
    @property
    def treatment(self) -> pd.DataFrame:
        return self.selection[self.selection["group"] == "treatment"]

    def cell_summary(self) -> pd.DataFrame:
        """Per cell: offer, people by group, treatment contacts by channel, expected responses (plan's basis; all
        purchases in the window as ``gross_responses``), contact cost and expected profit."""
        s = self.selection
        t = s[s["group"] == "treatment"]
        name = "cell_name_zh" if get_language() == "zh" else "cell_name"    # the page's language
        by = s.groupby("cell").agg(cell_name=(name, "first"), cell_name_zh=("cell_name_zh", "first"),
                                   offer=("offer_code", "first"),
                                   offer_text=("offer", "first"),
                                   people=("customer_id", "size"))
        groups = s.pivot_table(index="cell", columns="group", values="customer_id", aggfunc="count").fillna(0)
        chans = t.pivot_table(index="cell", columns="channel", values="customer_id", aggfunc="count").fillna(0)
        money = t.groupby("cell").agg(expected_responses=("planning_response", "sum"),
                                      gross_responses=("expected_response", "sum"),
                                      contact_cost=("contact_cost", "sum"), expected_profit=("expected_profit", "sum"))
        out = by.join(groups.astype(int)).join(chans.astype(int).add_prefix("via_")).join(money).fillna(0)
        order = [c["cell"] for c in self.cells if c["cell"] in out.index]
        return out.reindex(order).reset_index()

    def channel_summary(self) -> pd.DataFrame:
        """Per channel of the treatment group: contacts, cost, expected responses (plan's basis and gross),
        response rate (plan's basis) and profit."""
        t = self.treatment
        g = t.groupby("channel").agg(contacts=("customer_id", "size"), contact_cost=("contact_cost", "sum"),
                                     expected_responses=("planning_response", "sum"),
                                     gross_responses=("expected_response", "sum"),
                                     expected_profit=("expected_profit", "sum"))
        g["response_rate"] = g["expected_responses"] / g["contacts"]
        return g.reindex([c for c in CHANNELS if c in g.index]).reset_index()

    def groups(self) -> pd.DataFrame:
        """People per group of the planned selection (treatment is contacted; control and holdout are not)."""
        g = self.selection["group"].value_counts()
        return pd.DataFrame({"group": ["treatment", "control", "holdout"],
                             "people": [int(g.get(k, 0)) for k in ("treatment", "control", "holdout")]})

    def totals(self) -> dict:
        """Treatment contacts and costs; expected responses (on the plan's basis: incremental by default, and all
        purchases in the window as ``expected_gross_responses``), revenue, margin, profit after the fixed cost, ROI,
        the average cost per contact and margin per response, and the break-even response rate."""
        t = self.treatment
        n = len(t)
        cost = float(t["contact_cost"].sum())
        margin = float(t["expected_margin"].sum())
        resp = float(t["planning_response"].sum())
        spend = cost + self.settings.fixed_cost
        profit = margin - spend
        mpr = margin / resp if resp > 0 else float("nan")
        cpc = cost / n if n else float("nan")
        return dict(contacts=n, contact_cost=cost, fixed_cost=self.settings.fixed_cost, total_cost=spend,
                    basis=self.settings.basis, expected_responses=resp,
                    expected_response_rate=resp / n if n else float("nan"),
                    expected_gross_responses=float(t["expected_response"].sum()),
                    expected_revenue=float(t["expected_revenue"].sum()), expected_margin=margin,
                    expected_profit=profit, expected_roi=profit / spend if spend > 0 else float("nan"),
                    cost_per_contact=cpc, margin_per_response=mpr,
                    breakeven_response_rate=cpc / mpr if n and mpr > 0 else float("nan"))

    def breakeven_by_channel(self) -> pd.DataFrame:
        """Per channel of the treatment group: contacts, cost per contact, margin per response, the break-even
        response rate and the expected response rate on the plan's basis (and all purchases in the window)."""
        from .budget import breakeven_response_rate
        t = self.treatment
        rows = []
        for ch in [c for c in CHANNELS if (t["channel"] == c).any()]:
            x = t[t["channel"] == ch]
            resp = float(x["planning_response"].sum())
            mpr = float(x["expected_margin"].sum()) / resp if resp > 0 else float(x["margin_per_response"].mean())
            cpc = float(x["contact_cost"].mean())
            be = breakeven_response_rate(cpc, mpr) if mpr > 0 else float("nan")
            rows.append(dict(channel=ch, contacts=len(x), cost_per_contact=cpc, margin_per_response=mpr,
                             breakeven_rate=be, expected_rate=resp / len(x),
                             expected_gross_rate=float(x["expected_response"].mean()),
                             pays=bool(resp / len(x) >= be) if be == be else False))
        return pd.DataFrame(rows)

    def sensitivity(self, change: float = 0.20) -> pd.DataFrame:
        """``budget.sensitivity_table`` for the planned treatment group: cost per contact, margin per response and
        response rate (plan's basis) one at a time ± ``change``; the base row equals the plan's expected profit."""
        from .budget import sensitivity_table
        tot = self.totals()
        return sensitivity_table(tot["contacts"], tot["expected_response_rate"], tot["margin_per_response"],
                                 tot["cost_per_contact"], tot["fixed_cost"], change)

    def power_check(self, warn: bool = True) -> pd.Series:
        """Is the control group big enough to detect ``min_detectable_lift``? (warns when it is not)."""
        s = self.settings
        g = self.selection["group"].value_counts()
        t = self.treatment
        base = float((t["expected_response"] - t["expected_incremental"]).mean()) if len(t) else 0.1
        base = min(max(base, 0.001), 0.99 - s.min_detectable_lift)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = _control.control_group_check(int(g.get("treatment", 0)), int(g.get("control", 0)), base,
                                               s.min_detectable_lift, s.significance, s.power, warn=warn)
        for w in caught:                                     # re-issued so that it points at the caller
            warnings.warn(w.message, w.category, stacklevel=2)
        return out

    def has_interval(self) -> bool:
        """True when past campaigns give the plan's response rates an interval (``plan.uncertainty``)."""
        u = self.uncertainty
        return u is not None and bool(np.isfinite(u.set_index("case").loc["low", "expected_profit"]))

    def interval_note(self, currency: str = "") -> tuple[str, str]:
        """What the interval of the plan says, as a pair (English, 中文) for ``chapters.note``: the expected profit
        and ROI with every response rate at its lower / upper bound, and the depth each bound would choose — or,
        without past campaigns to measure the rates on, that the plan's rates are assumptions with no interval."""
        from ..i18n import money, percent
        if not self.has_interval():
            what = ("past campaigns with a control group" if self.settings.basis == "incremental"
                    else "past campaigns")
            return (f"No {what} to measure the response rates on: the plan's rates are assumptions (the response "
                    "score and a prior share of incremental buyers), so its profit has no interval. Test the "
                    "campaign with a control group first.",
                    "没有可用于测量响应率的" + ("带对照组的" if self.settings.basis == "incremental" else "")
                    + "历史活动：计划中的响应率只是假设（响应得分和先验的增量购买者比例），预期利润无法给出区间。"
                    "请先带对照组做一次测试。")
        u = self.uncertainty.set_index("case")
        lo, pt, hi = u.loc["low"], u.loc["point"], u.loc["high"]
        m = {k: (money(v["expected_profit"], currency, lang="en"), money(v["expected_profit"], currency, lang="zh"))
             for k, v in (("low", lo), ("point", pt), ("high", hi))}
        d_lo, d_pt = int(lo["best_depth"]), int(pt["best_depth"])
        en = (f"Expected profit {m['point'][0]} (ROI {percent(pt['roi'])}); with every channel's response rate at "
              f"the lower bound of its 95 % interval {m['low'][0]} (ROI {percent(lo['roi'])}), at the upper bound "
              f"{m['high'][0]} (ROI {percent(hi['roi'])}). ")
        zh = (f"预期利润{m['point'][1]}（投资回报率{percent(pt['roi'])}）；各渠道响应率都取95%置信区间下限时为"
              f"{m['low'][1]}（投资回报率{percent(lo['roi'])}），取上限时为{m['high'][1]}（投资回报率"
              f"{percent(hi['roi'])}）。")
        if not bool(lo["pays_back"]):
            en += (f"At the lower bound no depth pays back: the best depth would be {d_lo} decile(s), still "
                   f"losing {money(-lo['best_depth_profit'], currency, lang='en')} — the data cannot yet show that "
                   "this campaign makes money; mail a smaller test with a control group, or accept the risk.")
            zh += (f"按下限计算，任何投放深度都收不回成本：最优深度为{d_lo}个十分位，仍亏损"
                   f"{money(-lo['best_depth_profit'], currency, lang='zh')}——现有数据还不能证明这次活动能赚钱；"
                   "可以先带对照组做小规模测试，或者明确接受这个风险。")
        elif d_lo < d_pt:
            en += (f"On the lower bound the best depth is {d_lo} decile(s) instead of {d_pt}: the deciles in "
                   "between pay only if the rates are as good as their point estimate.")
            zh += (f"按下限计算，最优投放深度是{d_lo}个十分位，而不是{d_pt}个：中间那几个十分位只有在响应率达到"
                   "点估计时才划算。")
        else:
            en += f"The best depth is {d_pt} decile(s) at the lower bound too: the depth does not rest on luck."
            zh += f"按下限计算最优深度同样是{d_pt}个十分位：这个投放深度不靠运气。"
        return en, zh

    def kpis(self) -> dict:
        """The chapter's key numbers (names of ``report.KPI_INFO``). ``expected_profit``, ``expected_roi`` and
        ``mailing_depth_deciles`` have ``_ci_low`` / ``_ci_high`` beside them: the plan's profit and ROI with every
        channel's response rate at the lower / upper bound of its 95 % interval from past campaigns, and the depth
        that would maximise the profit at that bound (``None`` without past campaigns to measure them on)."""
        wf = self.waterfall
        tot = self.totals()
        used = self.depth.loc[self.depth["rule"] == "planned", "deciles"]
        out = dict(campaign_gross=int(wf.loc[wf["step"] == "gross", "remaining"].iloc[0]),
                   campaign_net=int(wf.loc[wf["step"] == "net", "remaining"].iloc[0]),
                   breakeven_response_rate=tot["breakeven_response_rate"], planned_contacts=tot["contacts"],
                   control_size=int((self.selection["group"] == "control").sum()),
                   expected_profit=tot["expected_profit"], expected_roi=tot["expected_roi"],
                   mailing_depth_deciles=int(used.iloc[0]) if len(used) else 0)
        u = self.uncertainty.set_index("case") if self.has_interval() else None
        for name, col in (("expected_profit", "expected_profit"), ("expected_roi", "roi"),
                          ("mailing_depth_deciles", "best_depth")):
            for end in ("low", "high"):
                v = None if u is None else float(u.loc[end, col])
                out[f"{name}_ci_{end}"] = (int(v) if col == "best_depth" else v) if v is not None and v == v else None
        return out


# ------------------------------------------------------------------------------------------------ building
def _labels(settings: CampaignSettings, lang: str = "en") -> dict:
    i = 1 if lang == "zh" else 0
    from ..i18n import t
    nper = ", ".join(t(ch, lang) for ch in settings.n_per_household) or "-"
    n = ",".join(str(v) for v in settings.n_per_household.values()) or "1"
    lab = {k: v[i].format(recent=settings.recent_contact_days, k=settings.max_contacts_30d)
           for k, v in _sel.STEPS.items()}
    lab.update({k: v[i].format(n=n, channels=nper, depth="?") for k, v in RULE_STEPS.items()})
    lab.update(gross=("gross selection" if i == 0 else "初选（毛名单）"), net=("net (after suppressions)" if i == 0 else
                                                                        "净名单（排除后）"),
               planned=("planned selection" if i == 0 else "计划名单"))
    return lab


def _inputs_key(s: CampaignSettings) -> tuple:
    """The settings the customer base, the campaign history and the suppressions depend on."""
    return (str(s.as_of), str(s.start), int(s.response_window_days), float(s.gross_margin), tuple(s.channels),
            int(s.recent_contact_days), int(s.max_contacts_30d))


def plan_campaign(ws, cells: list[dict] | None = None, rules: pd.DataFrame | None = None,
                  recommend: bool = True, language: str | None = None, reuse: CampaignPlan | None = None,
                  **overrides) -> CampaignPlan:
    """Plan the campaign for the workspace's client (see the module doc for the steps).

    ``overrides`` change any field of :class:`CampaignSettings` (``channel="email"``, ``budget=10000``,
    ``control_share=0.2``, ``recent_contact_days=30`` …; ``None`` keeps the config's value). ``cells`` replaces the
    default cells (``selection.default_cells``); ``rules`` the product rules used for recommendations.
    ``reuse`` (an earlier plan of the same workspace) takes its customer base, campaign history and suppressions
    instead of reading them again when the settings they depend on are the same — a quick second plan with, say,
    another budget or planning basis; the result is the same as without it.
    """
    s = CampaignSettings.from_config(ws.cfg, ws.as_of, **overrides)
    key = _inputs_key(s)
    cached = reuse.inputs if reuse is not None and reuse.inputs.get("key") == key else None
    if cached is not None:
        base, fallbacks = cached["base"], list(reuse.fallbacks)
    else:
        base, fallbacks = _sel.customer_base(ws, s)
    rec = None
    if recommend:
        try:
            if rules is None:           # the default rules: computed once per database and analysis date
                rules, rec = _pers.cached_recommendations(ws, s.as_of)
            else:
                rec = _pers.recommend_products(ws, s.as_of, rules)
        except Exception as e:  # noqa: BLE001 - a plan without recommendations is still a plan; say why
            warnings.warn(pick((f"no product recommendations ({type(e).__name__}: {e})",
                                f"没有商品推荐（{type(e).__name__}: {e}）")), Notice, stacklevel=2)
    if cached is not None:
        history, sup = cached["history"], cached["suppressions"]
    else:       # over the workspace: its queries of past campaigns run on its engine (Spark with engine: spark)
        history = _pers.channel_history(ws, s.as_of, s.response_window_days)
        sup = _sel.campaign_suppressions(ws, s.channels, s.as_of, s.start, s.recent_contact_days, s.max_contacts_30d)
    with ws.connect() as con:
        plan = plan_from_tables(con, base, s, cells=cells, history=history, recommendations=rec, rules=rules,
                                language=language or getattr(ws, "language", "en"), fallbacks=fallbacks,
                                suppressions=sup)
    plan.inputs = dict(key=key, base=base, history=history, suppressions=sup)
    return plan


def plan_from_tables(con, base: pd.DataFrame, settings: CampaignSettings, cells: list[dict] | None = None,
                     history: pd.DataFrame | None = None, recommendations: pd.DataFrame | None = None,
                     rules: pd.DataFrame | None = None, language: str = "en", fallbacks=(),
                     suppressions: pd.DataFrame | None = None) -> CampaignPlan:
    """The plan from a DuckDB connection holding the canonical tables (customers, consents, contacts, e-mail/SMS
    events …) and a customer base like ``selection.customer_base`` returns. ``history`` (past campaigns by channel
    and group) and ``suppressions`` (``selection.campaign_suppressions``) are read from the connection when not
    given; ``recommendations`` (``recommend_products``) are optional.
    """
    s = settings
    base = base.copy()
    base["loyalty_tier"] = _pers.loyalty_tiers(base["clv"].where(base["buyer"], 0.0))
    mask, criteria = _sel.gross_selection(base, s)
    g = base[mask.to_numpy()].copy().reset_index(drop=True)
    cells = cells or _sel.default_cells(s)
    g = g.join(_sel.assign_cells(g, cells))
    g = g.join(_pers.offer_economics(g.assign(offer=g["offer"].replace("", "XSELL")), s.offers))
    if history is None:
        history = _pers.channel_history(con, s.as_of, s.response_window_days)
    sup = suppressions if suppressions is not None else \
        _sel.campaign_suppressions(con, s.channels, s.as_of, s.start, s.recent_contact_days, s.max_contacts_30d)
    rates = _pers.channel_response_rates(history, s.costs)
    return _finish_plan(s, g, criteria, sup, rates, cells, list(fallbacks), language, rules=rules,
                        recommendations=recommendations)


def _finish_plan(s, g, criteria, sup, rates, cells, fallbacks, lang="en", rules=None,
                 recommendations=None) -> CampaignPlan:
    """Steps 4–7 on the gross selection ``g`` with its cells and offer economics."""
    index = dict(zip(rates["channel"], rates["index"]))
    incremental = dict(zip(rates["channel"], rates["incremental_share"]))
    g = g.set_index("customer_id", drop=False).rename_axis(None)
    prefs, prof = _pers.channel_preferences(g, s, index, incremental)
    # erased: in an analysis table but no longer in customers
    erased = g.loc[~g["in_customers"].astype(bool), "customer_id"]
    person = sup[sup["channel"] == "*"][["customer_id", "step", "reason"]]
    person = pd.concat([person, pd.DataFrame({"customer_id": erased, "step": "erased", "reason": "not in customers"})],
                       ignore_index=True)
    chosen, chan_rem = _sel.channel_waterfall(prefs, sup)
    if s.channel_capacity:
        blocked = set(zip(sup.loc[sup["channel"] != "*", "customer_id"], sup.loc[sup["channel"] != "*", "channel"]))
        chosen = _pers.apply_capacity(chosen, prefs, blocked, s.channel_capacity, prof)
    g["channel"] = chosen.reindex(g.index).to_numpy()
    first_choice = prefs.map(lambda p: p[0])
    list_channel = g["channel"].fillna(first_choice)
    list_cost = list_channel.map(s.costs).astype(float)
    removals = pd.concat([person, chan_rem[["customer_id", "step", "reason"]]], ignore_index=True)
    labels = _labels(s, lang)
    wf1, removed_at = _sel.waterfall(g["customer_id"], removals, order=list(_sel.STEPS), cost=list_cost,
                                     labels=labels, gross_label="gross", net_label="net")
    wf1 = wf1[(wf1["removed"] > 0) | wf1["step"].isin(["gross", "net"]) |
              wf1["step"].isin(["not_opted_in", "recent", "pressure"])]
    g["removed_at"] = removed_at.reindex(g.index).to_numpy()
    net = g[g["removed_at"].isna()].copy()

    # expected economics on the chosen channel
    ch = net["channel"]
    net["contact_cost"] = ch.map(s.costs).astype(float)
    net["channel_index"] = ch.map(index).astype(float).fillna(1.0)
    net["expected_response"] = np.minimum(_pers.MAX_RESPONSE, net["response_score"] * net["channel_index"])
    net["expected_incremental"] = net["expected_response"] * ch.map(incremental).astype(float).fillna(
        float(np.nanmean(list(incremental.values()))) if incremental else 0.1)
    net["planning_response"] = net["expected_incremental"] if s.basis == "incremental" else net["expected_response"]
    net["expected_revenue"] = net["planning_response"] * net["revenue_per_response"]
    net["expected_margin"] = net["planning_response"] * net["margin_per_response"]
    net["expected_profit"] = net["expected_margin"] - net["contact_cost"]

    # rules: cells, limits, N-per; groups by hash
    rule_rem = []
    no_cell = net.index[(net["cell"] == "").to_numpy()]
    rule_rem.append(pd.DataFrame({"customer_id": no_cell, "step": "no_cell"}))
    keep = _sel.apply_cell_limits(net[net["cell"] != ""], cells, "expected_profit")
    rule_rem.append(pd.DataFrame({"customer_id": keep.index[~keep.to_numpy()], "step": "cell_limit"}))
    live = net.drop(index=no_cell).drop(index=keep.index[~keep.to_numpy()])
    for chn, n in s.n_per_household.items():
        k = _sel.n_per(live, "household_id", n, "expected_profit", where=live["channel"] == chn)
        rule_rem.append(pd.DataFrame({"customer_id": k.index[~k.to_numpy()], "step": "n_per"}))
        live = live[k.to_numpy()]
    ids = live["customer_id"].to_numpy()
    hold = _control.global_holdout(ids, s.global_holdout_share, s.seed).to_numpy()
    grp = _control.assign_groups(ids, s.control_share, s.campaign_id, s.seed)["group"].to_numpy()
    live["group"] = np.where(hold, "holdout", grp)
    live["treated"] = live["group"] == "treatment"

    # depth and budget
    order = live.sort_values(["response_score", "customer_id"], ascending=[False, True], kind="stable").index
    live = live.loc[order]
    if not len(live):
        raise ValueError("nobody is left to contact after the suppressions and rules: widen the selection "
                         "(lifecycle_stages, segments, min_score_decile) or check the consents")
    deciles = _budget.decile_economics(live, "response_score", 10, s.fixed_cost, treated_col="treated",
                                       response_col="planning_response")
    depth = _budget.mailing_depth(deciles, s.budget)
    pos = np.arange(len(live))
    live["decile"] = (pos * min(10, len(live)) // len(live) + 1).astype(int)
    best = int(depth.loc[depth["rule"] == "max_profit", "deciles"].iloc[0])
    if s.depth_deciles is not None:
        best = int(s.depth_deciles)
    elif not bool(depth.loc[depth["rule"] == "max_profit", "pays_back"].iloc[0]):
        warnings.warn(pick(("the campaign is not expected to pay back its fixed cost at any depth; it is planned at "
                            "the depth that loses least — reconsider the fixed cost, the offer or whether to run it",
                            "无论投放多深，预计本次活动都收不回固定成本；计划按亏损最小的深度制定——请重新考虑固定成本、"
                            "活动内容，或者是否要开展这次活动")), Notice, stacklevel=4)
    below = live["decile"] > best
    rule_rem.append(pd.DataFrame({"customer_id": live.index[below.to_numpy()], "step": "below_depth"}))
    cand = live[~below.to_numpy()]
    fits = _budget.within_budget(cand["contact_cost"].where(cand["treated"], 0.0), s.budget, s.fixed_cost)
    rule_rem.append(pd.DataFrame({"customer_id": cand.index[~fits.to_numpy()], "step": "over_budget"}))
    planned = cand[fits.to_numpy()].copy()
    bounds = _budget.rate_bounds(rates, s.basis)
    uncertainty = _budget.profit_bounds(live, bounds, s.fixed_cost, s.budget,
                                        planned=pd.Series(live.index.isin(planned.index), index=live.index))
    used = int(planned["decile"].max()) if len(planned) else 0
    depth = pd.concat([depth, pd.DataFrame([dict(
        rule="planned", deciles=used, contacts=int(planned["treated"].sum()),
        cost=float(planned.loc[planned["treated"], "contact_cost"].sum() + s.fixed_cost),
        expected_profit=float(planned.loc[planned["treated"], "expected_profit"].sum() - s.fixed_cost))])],
        ignore_index=True)
    depth.loc[depth["rule"] == "planned", "pays_back"] = bool(depth["expected_profit"].iloc[-1] > 0)
    depth.loc[depth["rule"] == "planned", "roi"] = depth["expected_profit"] / depth["cost"]
    labels["below_depth"] = RULE_STEPS["below_depth"][1 if lang == "zh" else 0].format(depth=best + 1)
    rr = pd.concat(rule_rem, ignore_index=True)
    wf2, rule_at = _sel.waterfall(net["customer_id"], rr, order=list(RULE_STEPS), cost=net["contact_cost"],
                                  labels=labels, gross_label="net", net_label="planned")
    wf2 = wf2[(wf2["removed"] > 0) | (wf2["step"] == "planned")]
    wf1 = wf1.assign(stage=np.where(wf1["step"].isin(["gross", "net"]), "total", "suppression"))
    wf2 = wf2.assign(stage=np.where(wf2["step"] == "planned", "total", "rule"))
    wf = pd.concat([wf1, wf2], ignore_index=True)
    g.loc[rule_at.index[rule_at.notna().to_numpy()], "removed_at"] = rule_at[rule_at.notna()].to_numpy()

    # timing and recommendations
    planned = planned.join(_pers.contact_timing(planned, s))
    rec_cols = ["recommended_product", "recommended_product_name", "recommended_subcategory", "recommendation_rule"]
    if recommendations is not None and len(planned):
        rec = recommendations[["customer_id"] + [c for c in rec_cols if c in recommendations.columns]]
        planned = planned.drop(columns=[c for c in rec_cols if c in planned.columns])
        planned = planned.merge(rec.drop_duplicates("customer_id"), on="customer_id", how="left")
        planned = planned.set_index("customer_id", drop=False).rename_axis(None)
    for c in rec_cols:
        if c not in planned.columns:
            planned[c] = None
    planned["campaign_id"] = s.campaign_id
    planned["offer_code"] = planned["offer"]
    name = "name_zh" if lang == "zh" else "name"                 # readable: "20 % off" …, on a Chinese page in Chinese
    planned["offer"] = [s.offer_rule(o).get(name) or s.offer_rule(o).get("name", o) for o in planned["offer_code"]]
    planned = planned.sort_values(["cell", "customer_id"], kind="stable").reset_index(drop=True)
    contacts = planned[CONTACT_COLUMNS].copy()
    contacts["contact_ts"] = pd.to_datetime(contacts["contact_ts"]).astype("datetime64[us]")
    for c in ("campaign_id", "customer_id", "cell", "group", "channel", "offer", "recommended_product"):
        contacts[c] = contacts[c].astype(object).where(contacts[c].notna(), None)
    tr = planned[planned["group"] == "treatment"]
    resp = float(tr["planning_response"].sum())
    be = (float(tr["contact_cost"].mean()) / (float(tr["expected_margin"].sum()) / resp)
          if len(tr) and resp > 0 and tr["expected_margin"].sum() > 0 else None)
    rate = float(tr["expected_response"].mean()) if len(tr) else None
    goal = smart_goal(s, planned=dict(contacts=len(tr), expected_response_rate=rate),
                      history_rate=_overall_rate(rates), history_lift=_overall_lift(rates), breakeven=be)
    return CampaignPlan(settings=s, goal=goal, criteria=criteria, people=g.reset_index(drop=True), waterfall=wf,
                        suppressions=sup, channel_rates=rates, deciles=deciles, depth=depth, selection=planned,
                        contacts=contacts, cells=cells, rules=rules, fallbacks=fallbacks, bounds=bounds,
                        uncertainty=uncertainty)


def _overall_rate(rates: pd.DataFrame) -> float | None:
    t = rates["treated"].sum()
    if not t:
        return None
    return float((rates["treated_rate"].fillna(0) * rates["treated"]).sum() / t)


def _overall_lift(rates: pd.DataFrame) -> float | None:
    r = rates[(rates["treated"] > 0) & (rates["control"] > 0)]
    if not len(r):
        return None
    return float((r["lift"] * r["treated"]).sum() / r["treated"].sum())


def build_campaign_contacts(ws) -> pd.DataFrame:
    """The ``campaign_contacts`` table for the config's campaign (the builder of ``client_workspace.DERIVED``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", _control.ControlGroupWarning)
        return plan_campaign(ws).contacts


def save_plan(ws, plan: CampaignPlan) -> None:
    """Write the plan to the database: ``campaign_contacts`` (the contact history phase 4 reads, every group) and
    ``campaign_waterfall`` (the gross → net → planned counts)."""
    ws.save("campaign_contacts", plan.contacts)
    ws.save("campaign_waterfall", plan.waterfall.assign(campaign_id=plan.settings.campaign_id))
