"""What we learned / what to change (营销策略优化): a summary written from the numbers, not from hopes.

``lessons`` reads the campaign's economics, its breakdown by slice, the channel KPIs and the split check, and
returns one row per finding with the evidence and the action — roll out what worked, stop what lost money, fix
what the KPIs point at, test what is still unclear. Thresholds are the usual rules of thumb and are parameters.

Example
-------
>>> econ = pd.DataFrame({"group": ["treatment"], "n": [9000.0], "control_n": [1000.0], "response_rate": [0.12],
...                      "control_response_rate": [0.10], "lift": [0.02], "lift_ci_low": [0.001],
...                      "lift_ci_high": [0.039], "p_value": [0.04], "incremental_profit": [5000.0],
...                      "incremental_profit_ci_low": [-200.0], "incremental_profit_ci_high": [9800.0],
...                      "cost": [2000.0], "roi": [2.5], "incremental_responses": [180.0]})
>>> lessons(econ)["topic"].tolist()[:3]
['result', 'result', 'money']
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..i18n import column_label, money, pick, value_label

__all__ = ["lessons", "THRESHOLDS"]

THRESHOLDS = {
    "open_rate_low": 0.15, "ctor_low": 0.10, "unsubscribe_high": 0.005, "bounce_high": 0.02,
    "complaint_high": 0.001, "sms_delivery_low": 0.95,
}


def _na() -> str:
    return pick(("n/a", "无"))


def _pct(x, digits=1) -> str:
    return _na() if x is None or pd.isna(x) else f"{100 * x:.{digits}f} %"


def _pts(x, digits=2) -> str:
    if x is None or pd.isna(x):
        return _na()
    return pick((f"{100 * x:+.{digits}f} points", f"{100 * x:+.{digits}f}个百分点"))


def _money(x, currency="") -> str:
    if x is None or pd.isna(x):
        return _na()
    return money(x, currency, compact=False, decimals=0)


def lessons(economics: pd.DataFrame, breakdown: pd.DataFrame | None = None, email: pd.Series | None = None,
            sms: pd.Series | None = None, srm: pd.DataFrame | None = None, true_lift: float | None = None,
            planned_profit: float | None = None, alpha: float = 0.05, currency: str = "",
            thresholds: dict | None = None) -> pd.DataFrame:
    """The findings and what to change.

    Parameters
    ----------
    economics : ``campaign_economics`` of the campaign (one row per treatment group).
    breakdown : ``campaign_economics(..., by=...)`` — slices by channel/segment/offer (with a ``note`` column).
    email, sms : pooled KPI rates (``overall_rates``) of the campaign's messages.
    srm : the ``srm_check`` table.
    true_lift : the true lift (synthetic client) — checks that the interval covers it.
    planned_profit : the profit expected when planning (chapter 31) — compared with the result.

    Returns one row per finding: topic, finding, evidence, action (topic stays English, a key; the texts are in the
    page's language, ``i18n.get_language()``).
    """
    L = lambda en, zh: pick((en, zh))  # noqa: E731 - the text of the page's language
    th = {**THRESHOLDS, **(thresholds or {})}
    ci = f"{100 * (1 - alpha):.0f} %"            # the confidence level of the intervals
    cz = f"{100 * (1 - alpha):.0f}%"
    rows = []

    def add(topic, finding, evidence, action):
        rows.append(dict(topic=topic, finding=finding, evidence=evidence, action=action))

    if srm is not None and len(srm) and bool(srm["srm"].any()):
        add("test design", L("the group sizes do not match the planned split (sample-ratio mismatch)",
                             "各组人数与计划的分组比例不符（样本比例失衡）"),
            L(f"chi-square p = {srm['p_value'].iloc[0]:.2g}", f"卡方检验 p = {srm['p_value'].iloc[0]:.2g}"),
            L("find where the split broke (a filter after the split, a truncated list) before trusting the lift",
              "先找出分组在哪里出了问题（分组之后的筛选、被截断的名单），再相信提升"))
    for _, e in economics.iterrows():
        g = e.get("group", "treatment")
        label = L("the campaign", "本次活动") if g == "treatment" else L(f"group {g}", f"组 {g}")
        sig = e["p_value"] < alpha
        ev = L(f"response {_pct(e['response_rate'], 2)} vs control {_pct(e['control_response_rate'], 2)}; "
               f"lift {_pts(e['lift'])} ({ci} CI {_pts(e['lift_ci_low'])} to {_pts(e['lift_ci_high'])}), "
               f"p = {e['p_value']:.3g}",
               f"响应率{_pct(e['response_rate'], 2)}，对照组{_pct(e['control_response_rate'], 2)}；"
               f"提升{_pts(e['lift'])}（{cz}置信区间 {_pts(e['lift_ci_low'])} 至 {_pts(e['lift_ci_high'])}），"
               f"p = {e['p_value']:.3g}")
        if sig and e["lift"] > 0:
            add("result", L(f"{label} raised the response rate beyond doubt", f"{label}确实提高了响应率"), ev,
                L("keep the control group in every roll-out so the effect stays measured",
                  "每次推广都保留对照组，效果才能持续得到衡量"))
        elif sig and e["lift"] < 0:
            add("result", L(f"{label} LOWERED the response rate", f"{label}反而降低了响应率"), ev,
                L("stop it: the contact drives people away (do-not-disturbs); find who reacted badly (chapter 41)",
                  "停止它：接触把人赶走了（勿扰者）；找出是谁产生了反感（第41章）"))
        else:
            add("result", L(f"{label}: no significant difference from the control group",
                            f"{label}：与对照组的差异不显著"), ev,
                L("do not claim a success; the test may be too small — see the minimum detectable lift (chapter 41)",
                  "不要宣称成功；测试可能太小——参见最小可检测提升（第41章）"))
        if e["incremental_responses"] > 0 and e["response_rate"] > 0:
            anyway = e["control_response_rate"] / e["response_rate"]
            add("result", L(f"{_pct(min(anyway, 1), 0)} of the treated responders would have bought anyway",
                            f"目标组的响应者中有{_pct(min(anyway, 1), 0)}本来就会购买"),
                L("control response rate / treated response rate", "对照组响应率 / 目标组响应率"),
                L("report incremental responses, not all responses; aim the offer at persuadables (uplift, ch. 41)",
                  "报告增量响应，而不是全部响应；把优惠瞄准可说服者（增量模型，第41章）"))
        has_roi_ci = "roi_ci_low" in e and pd.notna(e["roi_ci_low"])
        roi_ci = L(f" ({ci} CI {_pct(e['roi_ci_low'], 0)} to {_pct(e['roi_ci_high'], 0)})",
                   f"（{cz}置信区间 {_pct(e['roi_ci_low'], 0)} 至 {_pct(e['roi_ci_high'], 0)}）") if has_roi_ci else ""
        prof_ev = L(f"incremental profit {_money(e['incremental_profit'], currency)} "
                    f"({ci} CI {_money(e['incremental_profit_ci_low'], currency)} to "
                    f"{_money(e['incremental_profit_ci_high'], currency)}), cost {_money(e['cost'], currency)}, "
                    f"ROI {_pct(e['roi'], 0)}{roi_ci}",
                    f"增量利润{_money(e['incremental_profit'], currency)}"
                    f"（{cz}置信区间 {_money(e['incremental_profit_ci_low'], currency)} 至 "
                    f"{_money(e['incremental_profit_ci_high'], currency)}），成本{_money(e['cost'], currency)}，"
                    f"投资回报率{_pct(e['roi'], 0)}{roi_ci}")
        if e["incremental_profit_ci_low"] > 0:
            add("money", L(f"{label} paid for itself", f"{label}收回了成本并有盈利"), prof_ev,
                L("roll it out to the same kind of customers", "推广到同类客户"))
        elif e["incremental_profit_ci_high"] < 0:
            add("money", L(f"{label} lost money", f"{label}亏了钱"), prof_ev,
                L("cut the cost (cheaper channel, smaller discount) or target only the top uplift deciles",
                  "降低成本（更便宜的渠道、更小的折扣），或者只接触增量最高的几个十分位"))
        elif pd.isna(e["incremental_profit_ci_low"]) or pd.isna(e["incremental_profit_ci_high"]):
            add("money", L(f"{label}: the profit has no interval (too few contacts in a group)",
                           f"{label}：利润没有置信区间（某一组的接触客户太少）"), prof_ev,
                L("do not act on the point estimate; run a test with a control group of a planned size (chapter 31)",
                  "不要根据点估计行动；用事先确定规模的对照组做一次测试（第31章）"))
        else:
            add("money", L(f"we cannot tell whether {label} made money: the {ci} interval spans a loss of "
                           f"{_money(-e['incremental_profit_ci_low'], currency)} to a profit of "
                           f"{_money(e['incremental_profit_ci_high'], currency)}",
                           f"无法判断{label}是否赚了钱：{cz}置信区间从亏损"
                           f"{_money(-e['incremental_profit_ci_low'], currency)}到盈利"
                           f"{_money(e['incremental_profit_ci_high'], currency)}"), prof_ev,
                L("do not roll out on this evidence; repeat with a larger control group (chapter 31 sizes it) — "
                  "the point estimate "
                  f"{_money(e['incremental_profit'], currency)} is one draw from that range, not a result",
                  "不要凭这个证据推广；用更大的对照组重做一次（第31章计算所需规模）——点估计"
                  f"{_money(e['incremental_profit'], currency)}只是这个范围内的一次抽样，不是结论"))
    if planned_profit is not None and len(economics):
        got = float(economics["incremental_profit"].sum())
        lo = float(economics["incremental_profit_ci_low"].sum()) if len(economics) == 1 else np.nan
        hi = float(economics["incremental_profit_ci_high"].sum()) if len(economics) == 1 else np.nan
        inside = bool(lo <= planned_profit <= hi) if np.isfinite(lo) and np.isfinite(hi) else False
        add("planning", L("planned vs realised profit" + (": the result can neither confirm nor refute the plan"
                                                           if inside else ""),
                          "计划利润 vs 实际利润" + ("：结果既不能证实也不能否定计划" if inside else "")),
            L(f"planned {_money(planned_profit, currency)}, realised (incremental) {_money(got, currency)}"
              + (f" ({ci} CI {_money(lo, currency)} to {_money(hi, currency)})" if np.isfinite(lo) else ""),
              f"计划{_money(planned_profit, currency)}，实际（增量）{_money(got, currency)}"
              + (f"（{cz}置信区间 {_money(lo, currency)} 至 {_money(hi, currency)}）" if np.isfinite(lo) else "")),
            L("the plan lies inside the realised profit's interval: keep its assumptions, and size the next control "
              "group so that the test can tell (chapter 31)",
              "计划值落在实际利润的置信区间内：保留计划的假设，并把下一次的对照组设得足够大，让测试能分辨出来（第31章）")
            if inside else
            L("check the plan's assumptions (response rates, share of incremental responses, order value) against "
              "what the control group shows, and recalibrate them",
              "对照对照组显示的结果检查计划的假设（响应率、增量响应的占比、订单金额），并重新校准")
            if got < planned_profit
            else L("the plan was conservative; keep its assumptions under review", "计划偏保守；继续检视它的假设"))
    if true_lift is not None and len(economics):
        e = economics.iloc[0]
        covered = e["lift_ci_low"] <= true_lift <= e["lift_ci_high"]
        add("truth check", L("the interval " + ("covers" if covered else "MISSES") + " the true lift",
                             "置信区间" + ("覆盖了" if covered else "没有覆盖") + "真实提升"),
            L(f"true lift {_pts(true_lift)}; estimate {_pts(e['lift'])}",
              f"真实提升{_pts(true_lift)}；估计值{_pts(e['lift'])}"),
            L(f"none — this is how a {ci} interval behaves (it misses about 1 time in {round(1 / alpha)})",
              f"无需行动——{cz}置信区间本来就是这样（大约每{round(1 / alpha)}次错过1次）") if covered
            else L(f"a {ci} interval misses about 1 time in {round(1 / alpha)}; check the split and the response "
                   "window", f"{cz}置信区间大约每{round(1 / alpha)}次错过1次；请检查分组和响应期"))
    if breakdown is not None and len(breakdown):
        b = breakdown.copy()
        slice_cols = [c for c in b.columns if c not in ("group",) and b.columns.get_loc(c) < b.columns.get_loc("group")]
        name = lambda r: pick((", ", "，")).join(f"{column_label(c)} {value_label(r[c])}"  # noqa: E731
                                                 for c in slice_cols)
        ok = b[(b["control_n"] > 0)]
        if "note" in ok:
            ok = ok[~ok["note"].fillna("").str.startswith("no control")]
        if len(ok):
            ok = ok.assign(profit_per_contact=ok["incremental_profit"] / ok["n"])
            best, worst = ok.loc[ok["profit_per_contact"].idxmax()], ok.loc[ok["profit_per_contact"].idxmin()]
            alarms = max(1, round(len(ok) * alpha))
            caveat = L(f" (compared {len(ok)} slices: expect about {alarms} false alarm(s) at p < {alpha})",
                       f"（比较了{len(ok)}个切片：在 p < {alpha} 下预计约有{alarms}个误报）")
            p_adj = best["p_adjusted"] if "p_adjusted" in best else best["p_value"] * len(ok)

            def per_contact(r):
                return L(f"incremental profit {_money(r['profit_per_contact'], currency)} per contact, lift "
                         f"{_pts(r['lift'])}, p = {r['p_value']:.3g}",
                         f"每位接触客户的增量利润{_money(r['profit_per_contact'], currency)}，提升"
                         f"{_pts(r['lift'])}，p = {r['p_value']:.3g}")
            add("slices", L(f"best slice: {name(best)}", f"表现最好的切片：{name(best)}"), per_contact(best) + caveat,
                L("give it more budget next time", "下次给它更多预算") if p_adj < alpha and best["lift"] > 0 else
                L("a hint, not a finding (not significant after the adjustment for many slices): test it again "
                  "before moving budget", "只是线索，不是结论（经多切片校正后差异不显著）：调整预算之前先再测试一次"))
            if worst["profit_per_contact"] < 0:
                add("slices", L(f"worst slice: {name(worst)}", f"表现最差的切片：{name(worst)}"), per_contact(worst),
                    L("drop it or change its channel/offer; check whether it is small noise first",
                      "放弃它，或者换渠道/优惠；先检查它是不是小样本的噪声"))
    if email is not None and email.get("delivered", 0) > 0:
        if email.get("open_rate", np.nan) < th["open_rate_low"]:
            add("e-mail", L("few recipients open the e-mail", "打开邮件的收件人很少"),
                L(f"open rate {_pct(email['open_rate'])}", f"打开率{_pct(email['open_rate'])}"),
                L("test subject lines and send times (A/B test, chapter 41)",
                  "测试邮件标题和发送时间（A/B测试，第41章）"))
        if email.get("click_to_open_rate", np.nan) < th["ctor_low"]:
            add("e-mail", L("those who open rarely click", "打开邮件的人很少点击"),
                L(f"click-to-open rate {_pct(email['click_to_open_rate'])}",
                  f"点击打开率{_pct(email['click_to_open_rate'])}"),
                L("improve the content and the call to action; personalise the offer",
                  "改进内容和行动号召；个性化优惠"))
        if email.get("unsubscribe_rate", 0) > th["unsubscribe_high"]:
            add("e-mail", L("many unsubscribe", "退订的人很多"),
                L(f"unsubscribe rate {_pct(email['unsubscribe_rate'], 2)}",
                  f"退订率{_pct(email['unsubscribe_rate'], 2)}"),
                L("lower the contact frequency; leave out people with negative uplift",
                  "降低接触频率；不接触增量为负的人"))
        if email.get("bounce_rate", 0) > th["bounce_high"]:
            add("e-mail", L("many addresses bounce", "退信的地址很多"),
                L(f"bounce rate {_pct(email['bounce_rate'], 2)}", f"退信率{_pct(email['bounce_rate'], 2)}"),
                L("clean the list: remove bounced addresses (they are in campaign_feedback)",
                  "清洗名单：删除退信的地址（见 campaign_feedback）"))
        if email.get("complaint_rate", 0) > th["complaint_high"]:
            add("e-mail", L("spam complaints above the usual limit", "垃圾邮件投诉超过通常的上限"),
                L(f"complaint rate {_pct(email['complaint_rate'], 2)}", f"投诉率{_pct(email['complaint_rate'], 2)}"),
                L("check consent and frequency; complainers are opted out automatically",
                  "检查同意状态和发送频率；投诉者会被自动退订"))
        if not any(r["topic"] == "e-mail" for r in rows):
            add("e-mail", L("e-mail KPIs are within the usual ranges", "邮件KPI处于通常范围内"),
                L(f"open {_pct(email.get('open_rate'))}, click-to-open {_pct(email.get('click_to_open_rate'))}, "
                  f"unsubscribe {_pct(email.get('unsubscribe_rate'), 2)}",
                  f"打开率{_pct(email.get('open_rate'))}，点击打开率{_pct(email.get('click_to_open_rate'))}，"
                  f"退订率{_pct(email.get('unsubscribe_rate'), 2)}"),
                L("keep testing one element at a time", "继续一次只测试一个要素"))
    if sms is not None and sms.get("sent", 0) > 0:
        add("sms", L("SMS delivery and engagement", "短信的送达与互动"),
            L(f"delivery {_pct(sms.get('delivery_rate'))}, click {_pct(sms.get('click_rate'))}, reply "
              f"{_pct(sms.get('reply_rate'))}",
              f"送达率{_pct(sms.get('delivery_rate'))}，点击率{_pct(sms.get('click_rate'))}，回复率"
              f"{_pct(sms.get('reply_rate'))}"),
            L("remove failed numbers", "删除发送失败的号码") if sms.get("delivery_rate", 1) < th["sms_delivery_low"]
            else L("SMS is delivered reliably; judge it by incremental profit, not clicks",
                   "短信送达可靠；要按增量利润而不是点击来评判它"))
    add("feedback", L("results, opt-outs and bounces go back into the database", "结果、退订和退信写回数据库"),
        L("tables campaign_results and campaign_feedback", "表 campaign_results 和 campaign_feedback"),
        L("the next selection suppresses the opt-outs; the uplift model learns from this campaign's control group",
          "下一次筛选会排除已退订的人；增量模型会从这次活动的对照组中学习"))
    return pd.DataFrame(rows, columns=["topic", "finding", "evidence", "action"])
