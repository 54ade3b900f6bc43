"""Interactive explorers (ipywidgets) for chapters 30–31: the break-even calculator, the mailing-depth calculator
and the sample-size calculator.

Each explorer shows sliders and a live chart in JupyterLab. Where widgets cannot render — a report run, the
notebook tests, papermill/nbval, no ipywidgets, plain Python — it returns the same chart for the given values as a
static figure instead, so a chapter never fails and the HTML report shows something meaningful. Force one mode with
``interactive=True/False`` or the environment variable ``DBMKIT_STATIC_WIDGETS=1``.

>>> fig = breakeven_explorer(cost_per_contact=0.85, margin_per_response=30.0, response_rate=0.04, contacts=5000,
...                          interactive=False)
>>> type(fig).__name__
'Figure'
"""
from __future__ import annotations

import os

import pandas as pd

from .i18n import money, pick

__all__ = ["widgets_available", "breakeven_explorer", "depth_explorer", "sample_size_explorer"]


def widgets_available() -> bool:
    """True in a live Jupyter kernel with ipywidgets, outside report and test runs."""
    if os.environ.get("DBMKIT_STATIC_WIDGETS", "").lower() in ("1", "true", "yes"):
        return False
    if os.environ.get("DBMKIT_KPI_FILE") or os.environ.get("DBMKIT_REPORT_OUT"):   # report runs, notebook tests
        return False
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None


def _interactive(flag) -> bool:
    return widgets_available() if flag is None else bool(flag)


def _live(controls: dict, draw, header=None):
    """Sliders + one output area, drawn once now and redrawn on every change (one chart at a time: the area is
    cleared before each drawing, and nothing else displays the chart)."""
    import ipywidgets as w
    from IPython.display import display

    out = w.Output()

    def redraw(_change=None):
        fig = draw(**{k: c.value for k, c in controls.items()})
        with out:
            out.clear_output(wait=True)
            display(fig)

    for c in controls.values():
        c.observe(redraw, names="value")
    redraw()
    box = [w.HTML(header)] if header else []
    return w.VBox(box + [w.HBox(list(controls.values())[:3]), w.HBox(list(controls.values())[3:]), out])


def breakeven_explorer(cost_per_contact: float = 0.85, margin_per_response: float = 30.0,
                       response_rate: float = 0.03, contacts: int = 10_000, fixed_cost: float = 1500.0,
                       currency: str = "", interactive: bool | None = None):
    """Break-even calculator: profit of a campaign against the response rate for a cost per contact, margin per
    response, number of contacts and fixed cost; the break-even point and the expected response are marked."""
    from .campaign import breakeven_response_rate
    from .plots import profit_curve

    def draw(cost, margin, rate, n, fixed):
        be = breakeven_response_rate(cost, margin)
        with_fixed = (cost + fixed / max(n, 1)) / margin
        profit = money(n * (rate * margin - cost) - fixed, currency, chart=True)
        title = pick((f"Break-even {be:.2%} per contact ({with_fixed:.2%} with the fixed cost) · "
                      f"profit at {rate:.2%}: {profit}",
                      f"盈亏平衡响应率 {be:.2%}（含固定成本 {with_fixed:.2%}）· 响应率 {rate:.2%} 时利润：{profit}"))
        return profit_curve(cost, margin, n, fixed, rate, currency, title=title)

    if not _interactive(interactive):
        return draw(cost_per_contact, margin_per_response, response_rate, contacts, fixed_cost)
    import ipywidgets as w
    style = {"description_width": "130px"}
    controls = {
        "cost": w.FloatSlider(value=cost_per_contact, min=0.0, max=max(10.0, cost_per_contact * 2), step=0.01,
                              description=pick(("cost per contact", "单次接触成本")), style=style),
        "margin": w.FloatSlider(value=margin_per_response, min=1.0, max=max(200.0, margin_per_response * 2), step=0.5,
                                description=pick(("margin / response", "单次响应毛利")), style=style),
        "rate": w.FloatSlider(value=response_rate, min=0.0, max=max(0.3, response_rate * 2), step=0.001,
                              readout_format=".1%", description=pick(("response rate", "响应率")), style=style),
        "n": w.IntSlider(value=contacts, min=100, max=max(100_000, contacts * 2), step=100,
                         description=pick(("contacts", "接触人数")),
                         style=style),
        "fixed": w.FloatSlider(value=fixed_cost, min=0.0, max=max(10_000.0, fixed_cost * 2), step=100,
                               description=pick(("fixed cost", "固定成本")), style=style),
    }
    return _live(controls, draw, "<b>" + pick(("Break-even calculator (盈亏平衡)", "盈亏平衡计算器")) + "</b>")


def depth_explorer(deciles: pd.DataFrame, budget: float | None = None, currency: str = "",
                   interactive: bool | None = None):
    """Mailing-depth calculator on a ``campaign.decile_economics`` table: scale the response, the margin and the
    cost, change the fixed cost and the budget, and see the profit-maximising depth and the depth within budget."""
    from .campaign import mailing_depth, rescale_deciles
    from .plots import decile_profit_chart
    fixed0 = float(deciles["cum_cost"].iloc[0] - deciles["contact_cost"].iloc[0])

    def draw(response, margin, cost, fixed, cap):
        t = rescale_deciles(deciles, response, margin, cost, fixed)
        d = mailing_depth(t, cap if cap and cap > 0 else None).set_index("rule")
        k_max, k_cap = int(d.loc["max_profit", "deciles"]), int(d.loc["within_budget", "deciles"])
        best = money(d.loc["max_profit", "expected_profit"], currency, chart=True)
        title = pick((f"Max profit at {k_max} deciles ({best})"
                      + (f" · within {money(cap, currency, chart=True)}: {k_cap} deciles" if cap else ""),
                      f"投放 {k_max} 个十分位时利润最大（{best}）"
                      + (f" · 预算 {money(cap, currency, chart=True)} 内：{k_cap} 个十分位" if cap else "")))
        return decile_profit_chart(t, d.reset_index(), currency, title=title)

    if not _interactive(interactive):
        return draw(1.0, 1.0, 1.0, fixed0, budget or 0)
    import ipywidgets as w
    style = {"description_width": "110px"}
    total = float(deciles["cum_cost"].iloc[-1])
    controls = {
        "response": w.FloatSlider(value=1.0, min=0.2, max=2.0, step=0.05,
                                  description=pick(("response ×", "响应 ×")), style=style),
        "margin": w.FloatSlider(value=1.0, min=0.2, max=2.0, step=0.05,
                                description=pick(("margin ×", "毛利 ×")), style=style),
        "cost": w.FloatSlider(value=1.0, min=0.2, max=5.0, step=0.05,
                              description=pick(("cost ×", "成本 ×")), style=style),
        "fixed": w.FloatSlider(value=fixed0, min=0.0, max=max(10_000.0, fixed0 * 3), step=100,
                               description=pick(("fixed cost", "固定成本")), style=style),
        "cap": w.FloatSlider(value=float(budget or 0), min=0.0, max=max(total * 2, float(budget or 0), 1000.0),
                             step=100, description=pick(("budget (0 = none)", "预算（0 = 不限）")), style=style),
    }
    return _live(controls, draw, "<b>" + pick(("Mailing-depth calculator (投放深度)", "投放深度计算器")) + "</b>")


def sample_size_explorer(baseline_rate: float = 0.10, min_detectable_lift: float = 0.01, significance: float = 0.05,
                         power: float = 0.80, control_share: float = 0.10, n_total: int | None = None,
                         interactive: bool | None = None):
    """Sample-size calculator: the people needed in treatment and control to detect a lift with a given power, and
    the power of a planned split (``n_total`` people, ``control_share`` of them in control)."""
    from .campaign import power_at, sample_size
    from .plots import power_curve

    def draw(base, lift, alpha, pw, share, n):
        need = sample_size(base, lift, alpha, pw, control_share=share)
        n_c = int(round(n * share)) if n else int(need["n_control"])
        n_t = (n - n_c) if n else int(need["n_treatment"])
        got = power_at(n_t, n_c, base, lift, alpha)
        nc, nt = int(need["n_control"]), int(need["n_treatment"])
        title = pick((f"Needed: {nc:,} control + {nt:,} treatment"
                      + (f" · plan {n_c:,} + {n_t:,} → power {got:.0%}" if n else ""),
                      f"需要：对照组 {nc:,} 人 + 目标组 {nt:,} 人"
                      + (f" · 计划 {n_c:,} + {n_t:,} → 统计功效 {got:.0%}" if n else "")))
        return power_curve(n_t, base, lift, n_c, alpha, pw, title=title)

    if not _interactive(interactive):
        return draw(baseline_rate, min_detectable_lift, significance, power, control_share, n_total or 0)
    import ipywidgets as w
    style = {"description_width": "120px"}
    controls = {
        "base": w.FloatSlider(value=baseline_rate, min=0.005, max=0.6, step=0.005, readout_format=".1%",
                              description=pick(("control response", "对照组响应率")), style=style),
        "lift": w.FloatSlider(value=min_detectable_lift, min=0.001, max=0.1, step=0.001, readout_format=".1%",
                              description=pick(("lift to detect", "待检测提升")), style=style),
        "alpha": w.FloatSlider(value=significance, min=0.01, max=0.2, step=0.01,
                               description=pick(("significance", "显著性水平")),
                               style=style),
        "pw": w.FloatSlider(value=power, min=0.5, max=0.99, step=0.01,
                            description=pick(("power", "统计功效")), style=style),
        "share": w.FloatSlider(value=control_share, min=0.02, max=0.5, step=0.01,
                               description=pick(("control share", "对照组比例")),
                               style=style),
        "n": w.IntSlider(value=int(n_total or 0), min=0, max=max(200_000, int(n_total or 0) * 2), step=500,
                         description=pick(("planned people", "计划人数")), style=style),
    }
    return _live(controls, draw, "<b>" + pick(("Sample-size calculator (样本量)", "样本量计算器")) + "</b>")
