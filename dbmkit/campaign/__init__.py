"""Plan a campaign (营销策略制定): selection, suppressions, cells, offer/channel/timing, budget, control groups,
export.

The four decisions of a campaign (营销活动策划) — target (目标), offer (活动), timing (时机) and channel (渠道) —
become one plan::

    plan = dbm.campaign.plan_campaign(ws)            # settings from the config, overridable by keyword
    plan.waterfall                                   # gross → net → planned, each person counted once
    plan.cell_summary(), plan.deciles, plan.depth    # cells, economics by score decile, mailing depth
    dbm.campaign.save_plan(ws, plan)                 # campaign_contacts for phase 4
    dbm.campaign.export_campaign_list(ws, plan)      # the send file (CSV + Excel), treatment only

Sub-modules: ``settings`` (knobs, SMART goal, offers), ``selection`` (base, eligibility, suppressions, waterfall,
cells, N-per), ``personalise`` (channel, offer economics, timing, recommendations, loyalty tiers, follow-ups),
``budget`` (break-even, decile economics, mailing depth, sensitivity, the rates' and profit's intervals),
``control`` (groups, holdout, sample size, power, balance), ``export`` (send file), ``plan`` (the orchestration),
``truth`` (checks against the synthetic client's truth).

>>> round(breakeven_response_rate(cost_per_contact=0.85, margin_per_response=34.0), 4)
0.025
"""
from __future__ import annotations

import pandas as pd

from ..database.erasure import apply_ledger
from .budget import (
    breakeven_response_rate,
    decile_economics,
    mailing_depth,
    profit_bounds,
    rate_bounds,
    rescale_deciles,
    sensitivity_table,
    within_budget,
)
from .control import (
    ControlGroupWarning,
    assign_groups,
    balance_check,
    control_group_check,
    detectable_lift,
    global_holdout,
    hash_uniform,
    power_at,
    sample_size,
)
from .export import CONTACT_FIELDS, campaign_list_dir, contact_details, export_list, send_file
from .personalise import (
    apply_capacity,
    cached_recommendations,
    channel_history,
    channel_preferences,
    channel_response_rates,
    contact_timing,
    expected_channel_profit,
    follow_up_rules,
    loyalty_tier_table,
    loyalty_tiers,
    offer_economics,
    product_rules,
    recommend_products,
    value_rule_channels,
)
from .plan import CONTACT_COLUMNS, CampaignPlan, build_campaign_contacts, plan_campaign, plan_from_tables, save_plan
from .selection import (
    STEPS,
    apply_cell_limits,
    assign_cells,
    campaign_suppressions,
    channel_waterfall,
    classify_reason,
    customer_base,
    default_cells,
    gross_selection,
    n_per,
    waterfall,
)
from .settings import (
    CHANNELS,
    CORE_CHANNELS,
    OFFERS,
    CampaignSettings,
    channel_rule_text,
    offer_table,
    parse_offer,
    smart_goal,
)
from .truth import plan_vs_truth, planted_rules_found, uplift_mix

__all__ = [
    "breakeven_response_rate", "decile_economics", "mailing_depth", "rescale_deciles", "sensitivity_table",
    "within_budget", "rate_bounds", "profit_bounds",
    "assign_groups", "hash_uniform", "global_holdout", "sample_size", "power_at", "detectable_lift",
    "control_group_check", "balance_check", "ControlGroupWarning",
    "send_file", "export_list", "contact_details", "campaign_list_dir", "CONTACT_FIELDS", "export_campaign_list",
    "channel_history", "channel_response_rates", "expected_channel_profit", "channel_preferences",
    "value_rule_channels", "apply_capacity", "offer_economics", "contact_timing", "product_rules",
    "cached_recommendations",
    "recommend_products", "loyalty_tiers", "loyalty_tier_table", "follow_up_rules",
    "CampaignPlan", "plan_campaign", "plan_from_tables", "build_campaign_contacts", "save_plan", "CONTACT_COLUMNS",
    "STEPS", "customer_base", "gross_selection", "campaign_suppressions", "classify_reason", "waterfall",
    "channel_waterfall", "default_cells", "assign_cells", "apply_cell_limits", "n_per",
    "CampaignSettings", "OFFERS", "channel_rule_text", "offer_table", "parse_offer", "smart_goal", "CHANNELS",
    "uplift_mix", "planted_rules_found", "plan_vs_truth",
]


def _send_channels(settings: CampaignSettings, contacts: pd.DataFrame) -> tuple:
    """The channels whose suppressions are checked on the way out: the core four, the app channels the plan may use,
    and any channel the contacts carry (fail safe: a row on a channel is always checked against that channel)."""
    used = set(settings.channels) | (set(contacts["channel"].dropna()) if "channel" in contacts.columns else set())
    return tuple(c for c in CHANNELS if c in CORE_CHANNELS or c in used)


def export_campaign_list(ws, plan: CampaignPlan | None = None, filename: str = "campaign_list",
                         formats=("csv", "xlsx")):
    """Write the send file of ``plan`` (default: the ``campaign_contacts`` table of the database) into the report
    folder during a report run, else ``<workdir>/exports``; suppressions are checked again on the way out, with the
    consent evidence at the moment the list is written (everything the database holds, also after the analysis
    date) and by contact point (an e-mail address, phone number or postal address on the suppression list is
    dropped whichever person record carries it); erasures recorded in the client's erasure ledger since the database
    was built (in another work folder, or by ``dbmkit erase``) are applied first, so an erased person is never
    exported. Returns the rows written."""
    apply_ledger(ws)
    if plan is not None:
        contacts, sup = plan.contacts.merge(plan.selection[["customer_id", "recommended_product_name"]],
                                            on="customer_id", how="left"), plan.suppressions
        settings = plan.settings
    else:
        contacts = ws.table("campaign_contacts")
        settings = CampaignSettings.from_config(ws.cfg, ws.as_of)
        names = ws.sql("SELECT product_id AS recommended_product, name AS recommended_product_name FROM products")
        contacts = contacts.merge(names, on="recommended_product", how="left")
        sup = campaign_suppressions(ws, _send_channels(settings, contacts), settings.as_of, settings.start,
                                    settings.recent_contact_days, settings.max_contacts_30d)
    from ..database import suppressed_contact_points
    chans = _send_channels(settings, contacts)
    with ws.connect() as con:                 # consent at send time: all the evidence there is now
        sup = pd.concat([sup, campaign_suppressions(con, chans)], ignore_index=True)
        points = suppressed_contact_points(con, chans)
    people = contact_details(ws, set(contacts["customer_id"]))
    return export_list(contacts, people, sup, campaign_list_dir(ws), filename=filename, formats=formats,
                       offers=settings.offers, contact_points=points)
