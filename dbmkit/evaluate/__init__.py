"""Phase 4 — evaluate and learn (结果评估): what did the campaign really cause, in money, and what do we change?

The closed loop (营销闭环) ends here: collect the results, compare the treated with the control group, put the
difference in money, read the channel KPIs, learn whom to target next time, and write it all back.

==========================  =====================================================================================
module                      what it does
==========================  =====================================================================================
``results``                 ``collect_results`` (simulated for the synthetic client, from the client's files
                            otherwise), ``build_campaign_results``, feedback, ``write_back``, ``follow_up_list``
``attribution``             ``attribute_responses`` (orders → contacts in the response window, overlap rule),
                            ``attribution_summary``, ``contact_outcomes``, ``campaign_outcomes``
``stats``                   ``compare_groups`` (Wilson/Newcombe for rates — ``dbmkit.uncertainty`` —,
                            Welch/bootstrap for means),
                            ``srm_check``, ``holm_adjust``
``economics``               ``campaign_economics``: incremental responses, revenue, profit, ROI (with intervals)
``products``                ``category_lift``: evaluation by product category (treated vs control)
``kpis``                    ``email_kpis``, ``sms_kpis`` (delivery, open, click, CTOR, unsubscribe, bounce …)
``abtest``                  ``ab_sample_size``, ``ab_power``, ``minimum_detectable_lift``, ``ab_test``,
                            ``peeking_simulation``
``uplift``                  two-model and class-transformation uplift, ``uplift_by_decile``, ``qini_curve``,
                            ``qini``, ``targeting_plan`` (decided on the observed lower bound),
                            ``targeting_summary``, ``targeting_advice`` (projection vs calibration)
``dashboard``               ``kpi_dashboard``: CAC by channel, CLV:CAC, retention/churn, campaign ROI over time
``lessons``                 ``lessons``: what we learned / what to change, from the numbers
==========================  =====================================================================================

Example
-------
>>> df = pd.DataFrame({"group": ["control"] * 80 + ["treatment"] * 70,
...                    "responded": [1] * 48 + [0] * 32 + [1] * 56 + [0] * 14})
>>> compare_groups(df, "group", "responded", "control")[["abs_lift", "ci_low", "ci_high"]].round(4).values.tolist()
[[0.2, 0.0524, 0.3339]]
"""
from __future__ import annotations

import pandas as pd  # noqa: F401  (doctest)

from ..i18n import add as _add_labels
from .abtest import (
    ab_power,
    ab_sample_size,
    ab_test,
    ab_test_data,
    minimum_detectable_lift,
    peeking_simulation,
    power_curve,
)
from .attribution import (
    RULES,
    attribute_responses,
    attribution_summary,
    campaign_outcomes,
    campaign_windows,
    compare_attribution_rules,
    contact_outcomes,
)
from .dashboard import Dashboard, cac_by_channel, campaign_history, clv_to_cac, kpi_dashboard, retention_rates
from .economics import campaign_economics, contact_costs
from .kpis import EMAIL_RATES, SMS_RATES, email_kpis, message_counts, overall_rates, rate_table, sms_kpis
from .lessons import THRESHOLDS, lessons
from .products import category_lift, category_outcomes
from .results import (
    RESULT_COLUMNS,
    CampaignResults,
    NoResultsYet,
    build_campaign_results,
    campaign_feedback,
    collect_results,
    consent_changes,
    expected_split,
    find_ab_test,
    follow_up_list,
    group_summary,
    latest_test_campaign,
    with_segments,
    write_back,
)
from .stats import (
    bootstrap_mean_diff,
    compare_groups,
    holm_adjust,
    is_binary,
    newcombe_interval,
    srm_check,
    two_proportion_p_value,
    welch_interval,
    wilson_interval,
)
from .uplift import (
    UPLIFT_TYPES,
    ClassTransformationUplift,
    TwoModelUplift,
    UpliftComparison,
    compare_uplift_models,
    contact_features,
    feature_matrix,
    fit_uplift,
    qini,
    qini_curve,
    score_campaign,
    score_uplift,
    split_by_contact,
    targeting_advice,
    targeting_plan,
    targeting_summary,
    uplift_by_decile,
    uplift_training_data,
    with_true_uplift,
)

__all__ = [
    "collect_results", "build_campaign_results", "CampaignResults", "NoResultsYet", "RESULT_COLUMNS",
    "campaign_feedback", "consent_changes", "write_back", "follow_up_list", "group_summary", "expected_split",
    "with_segments", "latest_test_campaign", "find_ab_test", "category_outcomes", "category_lift",
    "attribute_responses", "attribution_summary", "contact_outcomes", "campaign_outcomes", "campaign_windows",
    "compare_attribution_rules",
    "RULES",
    "compare_groups", "srm_check", "wilson_interval", "newcombe_interval", "welch_interval",
    "two_proportion_p_value", "bootstrap_mean_diff", "holm_adjust", "is_binary",
    "campaign_economics", "contact_costs",
    "email_kpis", "sms_kpis", "message_counts", "overall_rates", "rate_table", "EMAIL_RATES", "SMS_RATES",
    "ab_sample_size", "ab_power", "minimum_detectable_lift", "power_curve", "ab_test", "peeking_simulation",
    "ab_test_data",
    "contact_features", "uplift_training_data", "feature_matrix", "TwoModelUplift", "ClassTransformationUplift",
    "fit_uplift", "uplift_by_decile", "qini_curve", "qini", "targeting_plan", "targeting_summary",
    "targeting_advice", "UPLIFT_TYPES", "with_true_uplift",
    "split_by_contact", "UpliftComparison", "compare_uplift_models", "score_uplift", "score_campaign",
    "kpi_dashboard", "Dashboard", "cac_by_channel", "clv_to_cac", "retention_rates", "campaign_history",
    "lessons", "THRESHOLDS",
]

_add_labels({
    "incremental_profit": ("Incremental profit", "增量利润"),
    "incremental_responses": ("Incremental responses", "增量响应"),
    "roi": ("ROI", "投资回报率"),
    "open_rate": ("Open rate", "打开率"),
    "click_rate": ("Click-through rate", "点击率"),
    "click_to_open_rate": ("Click-to-open rate", "点击打开率"),
    "unsubscribe_rate": ("Unsubscribe rate", "退订率"),
    "bounce_rate": ("Bounce rate", "退信率"),
    "delivery_rate": ("Delivery rate", "送达率"),
    "conversion_rate": ("Conversion rate", "转化率"),
    "reply_rate": ("Reply rate", "回复率"),
    "uplift": ("Uplift", "增量"),
    "persuadable": ("Persuadables", "可说服者"),
    "sure_thing": ("Sure things", "必然购买者"),
    "lost_cause": ("Lost causes", "无望者"),
    "do_not_disturb": ("Do-not-disturbs", "勿扰者"),
    "cac": ("CAC", "获客成本"),
    "clv_to_cac": ("CLV : CAC", "客户终身价值 : 获客成本"),
    "churn_rate": ("Churn rate", "流失率"),
    "retention_rate": ("Retention rate", "留存率"),
})
