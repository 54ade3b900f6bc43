"""The campaign's settings and its SMART goal (SMART 目标).

``CampaignSettings.from_config(cfg, as_of)`` gathers every knob of a campaign plan from the client config
(``campaign:`` and ``economics:``) — a chapter may override any of them by keyword. The campaign id is
``"NEW-" + start date as YYYYMMDD``; the start date defaults to a week after the analysis date.

``smart_goal(settings)`` writes the goal as a SMART statement (Specific, Measurable, Achievable, Relevant,
Time-bound) with the way each part will be measured.

>>> s = CampaignSettings(as_of=pd.Timestamp("2026-06-30"))
>>> s.campaign_id, str(s.start.date()), str(s.end.date())
('NEW-20260707', '2026-07-07', '2026-08-06')
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["CampaignSettings", "OFFERS", "offer_table", "smart_goal", "CHANNELS", "CORE_CHANNELS", "APP_CHANNELS",
           "DEFAULT_COSTS", "DEFAULT_VALUE_RULE", "APP_VALUE_RULE", "channel_rule_text"]

# every channel a plan knows; the core four need a cost, an app channel (WeChat service-account / mini-program
# subscription messages, app push) takes part in "auto" and "value" only when the costs price it (the CNY defaults
# do, dbmkit.config.DEFAULT_CONTACT_COSTS) — so a client without them plans exactly as before
CORE_CHANNELS = ("email", "sms", "mail", "phone")
APP_CHANNELS = ("wechat", "app_push")
CHANNELS = CORE_CHANNELS + APP_CHANNELS


def channel_rule_text(rule: str, lang: str | None = None) -> str:
    """The channel rule of the settings (``auto``, ``value`` or one channel) in the page's language.

    >>> channel_rule_text("auto", "zh"), channel_rule_text("mail", "zh"), channel_rule_text("auto", "en")
    ('自动（按预期利润）', '直邮', 'auto')
    """
    from ..i18n import get_language, t
    if (lang or get_language()) != "zh":
        return str(rule)
    return {"auto": "自动（按预期利润）", "value": "按价值规则"}.get(str(rule)) or t(str(rule), "zh")
DEFAULT_COSTS = {"email": 0.02, "sms": 0.06, "mail": 0.85, "phone": 4.50}
# channel preference by value rank (cumulative top share, channels best first): best customers phone, near-best
# mail or SMS, the rest e-mail …
DEFAULT_VALUE_RULE = ((0.02, ("phone", "mail", "sms", "email")), (0.20, ("mail", "sms", "email")),
                      (1.0, ("email", "sms")))
# … and where WeChat and app push are priced (the Chinese market): the best a call, then a WeChat message (the
# channel Chinese customers read first), the rest WeChat, app push, SMS, e-mail — the cheap personal channels before
# the paid SMS. A person without an openid or token falls through to the next channel of the list.
APP_VALUE_RULE = ((0.02, ("phone", "wechat", "sms", "mail", "email")), (0.20, ("wechat", "sms", "app_push", "email")),
                  (1.0, ("wechat", "app_push", "sms", "email")))

# The offers of the default cells (个性化: one message per segment). Cost per response = discount × order value
# + a fixed amount (a voucher, free shipping). Names in English and Chinese.
OFFERS: dict[str, dict] = {
    "BIRTHDAY": dict(name="Birthday treat: a $15 voucher", name_zh="生日关怀：15元礼券", discount=0.0, fixed=15.0,
                     purpose="customer care (客户关怀) in the birthday month", purpose_zh="生日当月的客户关怀"),
    "PREVIEW": dict(name="Exclusive preview: early access + free shipping", name_zh="专享预览：抢先购 + 免运费",
                    discount=0.0, fixed=6.0, purpose="reward the best customers (忠诚计划 gold/platinum)",
                    purpose_zh="回馈最好的客户（忠诚计划的黄金/铂金会员）"),
    "WELCOME": dict(name="Welcome: 10 % off your next order", name_zh="欢迎礼：下单享九折", discount=0.10, fixed=0.0,
                    purpose="turn new registrants and first-time buyers into repeat buyers",
                    purpose_zh="把新注册用户和首次购买者变成回头客"),
    "WINBACK": dict(name="We miss you: 20 % off", name_zh="老客召回：八折优惠", discount=0.20, fixed=0.0,
                    purpose="win back lapsing and lapsed customers", purpose_zh="唤回即将流失和已沉睡的客户"),
    "XSELL": dict(name="Picked for you: 10 % off a recommended product", name_zh="为您推荐：推荐商品九折",
                  discount=0.10, fixed=0.0, purpose="cross-sell to active customers with a personal recommendation",
                  purpose_zh="以个性化推荐向活跃客户交叉销售"),
}


def offer_table(offers: dict | None = None) -> pd.DataFrame:
    """The offers as a table: code, name, Chinese name, discount rate, fixed cost per response, purpose (on a
    Chinese page ``name`` and ``purpose`` are the Chinese ones where the offer has them).

    >>> float(offer_table().loc["WINBACK", "discount"])
    0.2
    """
    from ..i18n import get_language
    zh = get_language() == "zh"
    rows = [dict(offer=k, **v) for k, v in (offers or OFFERS).items()]
    if zh:
        for r in rows:
            r["name"] = r.get("name_zh") or r.get("name")
            r["purpose"] = r.get("purpose_zh") or r.get("purpose")
    return pd.DataFrame(rows).set_index("offer")


def parse_offer(text: str) -> dict:
    """An offer written in words ("15% off", "$10 voucher", "free shipping") → its cost rule.

    >>> parse_offer("20% off this weekend")["discount"], parse_offer("$10 voucher")["fixed"]
    (0.2, 10.0)
    """
    t = str(text)
    disc = re.search(r"(\d+(?:\.\d+)?)\s*%", t)
    money = re.search(r"[$¥€£]\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*(?:元|yuan|dollars?)", t)
    fixed = float(next(g for g in money.groups() if g)) if money else (6.0 if "shipping" in t.lower() else 0.0)
    return dict(name=t, name_zh=t, discount=float(disc.group(1)) / 100 if disc else 0.0, fixed=fixed,
                purpose="the offer set in the config")


@dataclass
class CampaignSettings:
    """Every knob of a campaign plan. Build it with ``from_config``; override fields by keyword."""

    as_of: pd.Timestamp
    name: str = "Spring reactivation"
    goal: str = "Win back lapsing customers"
    # channel: auto (by expected profit) | value (rule by value) | email | sms | mail | phone | wechat | app_push
    channel: str = "auto"
    offer: str = "auto"                   # auto (one offer per cell) | an offer code of OFFERS | an offer in words
    start_date: pd.Timestamp | None = None
    response_window_days: int = 30
    budget: float | None = None
    control_share: float = 0.10
    global_holdout_share: float = 0.0
    significance: float = 0.05
    power: float = 0.80
    min_detectable_lift: float = 0.01
    target_response_rate: float | None = None
    recent_contact_days: int = 14
    max_contacts_30d: int = 4
    min_score_decile: int | None = None   # eligibility: only the best k deciles of the response model's score
    depth_deciles: int | None = None      # contact the best k deciles of the net selection (None: max expected profit)
    basis: str = "incremental"            # plan on incremental responses (lift over control) or on all "response"s
    costs: dict = field(default_factory=lambda: dict(DEFAULT_COSTS))
    fixed_cost: float = 1500.0
    gross_margin: float = 0.40
    seed: int = 42
    currency: str = "USD"
    # selection (分段筛选)
    lifecycle_stages: tuple = ("new", "active", "at_risk", "lapsed")
    include_prospects: bool = True        # new registrants who have not bought yet (welcome cell)
    prospect_days: int = 90               # "new registrant" = signed up within this many days
    segments: tuple | None = None         # RFM segment names to keep (None: all)
    min_value: float | None = None        # minimum customer value (clv)
    max_days_since_last: int | None = None
    # rules
    n_per_household: dict = field(default_factory=lambda: {"mail": 1})
    cell_limits: dict = field(default_factory=dict)
    channel_capacity: dict = field(default_factory=dict)
    offers: dict = field(default_factory=lambda: dict(OFFERS))
    lead_days: int = 3                    # contact this many days before the expected next purchase
    wave_days: int = 7                    # contact waves every week …
    n_waves: int = 3                      # … for this many weeks
    value_rule: tuple = DEFAULT_VALUE_RULE

    def __post_init__(self):
        self.as_of = pd.Timestamp(self.as_of).normalize()
        if self.start_date is None:
            self.start_date = self.as_of + pd.Timedelta(days=7)
        self.start_date = pd.Timestamp(self.start_date).normalize()
        if self.channel not in ("auto", "value") + CHANNELS:
            raise ValueError(f"channel must be 'auto', 'value' or one of {list(CHANNELS)}, not {self.channel!r}")
        if not 0 < self.control_share < 0.9:
            raise ValueError(f"control_share must be between 0 and 0.9, not {self.control_share}")
        if not 0 <= self.global_holdout_share < 0.5:
            raise ValueError(f"global_holdout_share must be between 0 and 0.5, not {self.global_holdout_share}")
        missing = [c for c in CORE_CHANNELS if c not in self.costs]
        if self.channel in APP_CHANNELS and self.channel not in self.costs:
            missing.append(self.channel)
        if missing:
            raise ValueError(f"costs needs a cost per contact for every channel; missing {missing}")
        unpriced = sorted({c for _, chans in self.value_rule for c in chans if c not in self.costs})
        if self.channel == "value" and unpriced:
            raise ValueError(f"the value rule names {unpriced}, which have no cost per contact; add them to the costs "
                             "(economics.cost_per_contact) or leave them out of the rule")
        if self.basis not in ("incremental", "response"):
            raise ValueError(f"basis must be 'incremental' (responses over control) or 'response' (every purchase in "
                             f"the window), not {self.basis!r}")
        if self.depth_deciles is not None and not 1 <= int(self.depth_deciles) <= 10:
            raise ValueError(f"depth_deciles must be between 1 and 10 (or None), not {self.depth_deciles!r}")
        if self.budget is not None and self.budget <= 0:
            raise ValueError("budget must be positive (or None for no cap)")

    @property
    def start(self) -> pd.Timestamp:
        return self.start_date

    @property
    def end(self) -> pd.Timestamp:
        return self.start_date + pd.Timedelta(days=self.response_window_days)

    @property
    def campaign_id(self) -> str:
        return "NEW-" + self.start_date.strftime("%Y%m%d")

    @property
    def priced_channels(self) -> tuple:
        """The channels with a cost per contact, in ``CHANNELS`` order: the core four, and an app channel when the
        costs price it."""
        return tuple(c for c in CHANNELS if c in self.costs)

    @property
    def channels(self) -> tuple:
        """The channels this campaign may use."""
        return self.priced_channels if self.channel in ("auto", "value") else (self.channel,)

    def offer_rule(self, code: str) -> dict:
        if code in self.offers:
            return self.offers[code]
        return parse_offer(code)

    def replace(self, **changes) -> "CampaignSettings":
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_config(cls, cfg, as_of, **overrides) -> "CampaignSettings":
        """Settings from a ``ClientConfig`` (its ``campaign`` and ``economics`` sections) plus keyword overrides.

        Unknown override names raise a ValueError listing the valid ones; ``None`` values are ignored, so a
        notebook can pass its parameters straight through.
        """
        c, e = cfg.campaign, cfg.economics
        seed = cfg.seed                    # the config's seed: same config and seed → same control group
        kw = dict(as_of=as_of, name=c.name, goal=c.goal, channel=c.channel, offer=c.offer,
                  start_date=c.start_date, response_window_days=c.response_window_days, budget=c.budget,
                  control_share=c.control_share, global_holdout_share=c.global_holdout_share,
                  significance=c.significance, power=c.power, min_detectable_lift=c.min_detectable_lift,
                  target_response_rate=c.target_response_rate, recent_contact_days=c.recent_contact_days,
                  max_contacts_30d=c.max_contacts_30d, min_score_decile=c.min_score_decile,
                  costs={**DEFAULT_COSTS, **dict(e.cost_per_contact)}, fixed_cost=e.campaign_fixed_cost,
                  gross_margin=e.gross_margin, seed=seed, currency=getattr(cfg, "currency", "USD"))
        if all(c in kw["costs"] for c in APP_CHANNELS):       # WeChat and app push priced: their value rule
            kw["value_rule"] = APP_VALUE_RULE
        names = {f.name for f in dataclasses.fields(cls)}
        bad = [k for k in overrides if k not in names]
        if bad:
            raise ValueError(f"unknown campaign setting(s) {bad}; settings are: {', '.join(sorted(names))}")
        kw.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**kw)


def smart_goal(settings: CampaignSettings, planned: dict | None = None, history_rate: float | None = None,
               breakeven: float | None = None, history_lift: float | None = None) -> pd.DataFrame:
    """The campaign goal as a SMART statement (Specific, Measurable, Achievable, Relevant, Time-bound).

    ``planned`` may hold the plan's numbers (``contacts``, ``expected_response_rate``), ``history_rate`` the
    response rate of earlier campaigns and ``history_lift`` their lift over control (points), ``breakeven`` the
    break-even response rate. Returns one row per letter with the statement and how it will be measured.

    >>> s = CampaignSettings(as_of="2026-06-30", goal="Win back lapsing customers")
    >>> smart_goal(s)["criterion"].tolist()
    ['Specific', 'Measurable', 'Achievable', 'Relevant', 'Time-bound']
    """
    from ..i18n import get_language, t
    if get_language() == "zh":
        return _smart_goal_zh(settings, planned, history_rate, breakeven, history_lift, t)
    p = planned or {}
    who = ", ".join(settings.lifecycle_stages) + (" customers and new registrants" if settings.include_prospects
                                                  else " customers")
    n = p.get("contacts")
    target = settings.target_response_rate or p.get("expected_response_rate")
    lift = settings.min_detectable_lift
    rows = [
        ("Specific", "具体", f"{settings.goal}: {settings.name} to {who}"
         + (f" ({n:,} planned contacts)" if n else "") + ".",
         "The selection rules and cells of the plan (who gets which offer through which channel)."),
        ("Measurable", "可衡量",
         f"Response rate (响应率) of the treatment group over the control group within {settings.response_window_days} "
         f"days" + (f", aiming at {target:.1%} and at least +{lift:.1%} points over control" if target else
                    f", at least +{lift:.1%} points over control") + "; incremental profit and ROI.",
         "Purchases in the response window joined to the contact history (campaign_contacts), chapter 40."),
        ("Achievable", "可实现",
         (f"In earlier campaigns {history_rate:.1%} of the contacted bought within the window"
          + (f", {history_lift:+.1%} points over their control groups" if history_lift is not None else "")
          if history_rate is not None else "The response model's expected response")
         + (f"; a contact breaks even at {breakeven:.2%} {'incremental ' if settings.basis == 'incremental' else ''}"
            "response" if breakeven is not None and breakeven == breakeven else "") + ".",
         "Break-even response rate vs expected response by decile (chapter 31)."),
        ("Relevant", "相关", f"Serves the business goal '{settings.goal}' — retention and repeat purchase are cheaper "
         "than acquisition (about 1 : 7).", "Reactivated customers and their value after the campaign."),
        ("Time-bound", "有时限", f"Contacts from {settings.start.date()} over {settings.n_waves} weekly waves; "
         f"responses counted until {(settings.end + pd.Timedelta(days=7 * (settings.n_waves - 1))).date()}.",
         "Campaign id " + settings.campaign_id + " in the contact history; results read after the window closes."),
    ]
    return pd.DataFrame(rows, columns=["criterion", "criterion_zh", "statement", "measured_by"])


def _smart_goal_zh(settings: CampaignSettings, planned, history_rate, breakeven, history_lift, t) -> pd.DataFrame:
    """``smart_goal`` on a Chinese page: the same statements in Chinese (same columns)."""
    from ..i18n import date_text
    p = planned or {}
    who = "、".join(t(x, "zh") for x in settings.lifecycle_stages) + ("客户及新注册用户" if settings.include_prospects
                                                                       else "客户")
    n = p.get("contacts")
    target = settings.target_response_rate or p.get("expected_response_rate")
    lift = settings.min_detectable_lift
    last = settings.end + pd.Timedelta(days=7 * (settings.n_waves - 1))
    achievable = (f"以往活动中，被联系的客户有{history_rate:.1%}在窗口期内购买"
                  + (f"，比其对照组高{100 * history_lift:+.1f}个百分点" if history_lift is not None else "")
                  if history_rate is not None else "按响应模型的预期响应")
    if breakeven is not None and breakeven == breakeven:
        achievable += f"；一次接触在{'增量' if settings.basis == 'incremental' else ''}响应率达到{breakeven:.2%}时保本"
    rows = [
        ("Specific", "具体", f"{settings.goal}：面向{who}开展「{settings.name}」"
         + (f"（计划接触{n:,}人）" if n else "") + "。", "计划的筛选规则和分组（谁通过哪个渠道收到哪个活动）。"),
        ("Measurable", "可衡量",
         f"{settings.response_window_days}天内目标组相对对照组的响应率"
         + (f"，目标{target:.1%}，" if target else "，") + f"且比对照组至少高{100 * lift:.1f}个百分点"
         + "；增量利润和投资回报率。", "把响应窗口内的购买与接触历史（campaign_contacts）关联，见第40章。"),
        ("Achievable", "可实现", achievable + "。", "按十分位比较盈亏平衡响应率与预期响应率（第31章）。"),
        ("Relevant", "相关", f"服务于业务目标「{settings.goal}」——保留客户、促成重复购买比获取新客户便宜（约1 : 7）。",
         "活动后被唤回的客户及其价值。"),
        ("Time-bound", "有时限", f"从{date_text(settings.start, 'zh')}起分{settings.n_waves}个每周波次接触；"
         f"响应统计到{date_text(last, 'zh')}。",
         f"接触历史中的活动编号 {settings.campaign_id}；窗口期结束后读取结果。"),
    ]
    return pd.DataFrame(rows, columns=["criterion", "criterion_zh", "statement", "measured_by"])
