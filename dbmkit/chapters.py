"""The chapter index: one list that the navigation cells, the report's index page and the tests all read.

Each chapter is a notebook ``notebooks/<file>.ipynb``; the first digit of its number is the phase
(0 start, 1 build, 2 analyse, 3 plan, 4 evaluate, 9 case studies on real data).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Need:
    """An input a chapter needs beyond sales, checked against the client's database before the chapter runs."""
    what: str            # in words (English)
    what_zh: str         # 中文
    query: str           # SQL counting the rows that satisfy it
    fix: str             # how a consultant provides it (config sources)
    min_rows: int = 1


NEEDS: dict[str, Need] = {
    "order_items": Need(
        "order lines with products (what was in each basket)", "订单明细（每笔订单购买了哪些商品）",
        "SELECT count(*) FROM order_items",
        "map a line-level sales file as `sales_lines` (order id, product, quantity, unit price) or add an "
        "`order_items` source next to `orders`"),
    "contact_details": Need(
        "customers with an e-mail address, phone number or postal address", "有电子邮件、电话或地址的客户",
        "SELECT count(*) FROM customers WHERE email IS NOT NULL OR phone IS NOT NULL OR street IS NOT NULL",
        "add a `customers` source with the customer id and e-mail / phone / street (the CRM export)"),
    "consents": Need(
        "consent per channel (opt-in / opt-out)", "各渠道的营销许可（订阅/退订）",
        "SELECT count(*) FROM consents",
        "add a `consents` source (customer id or e-mail, channel, status, date), or consent flags "
        "(`email_consent`, `sms_consent` …) in the `customers` source"),
    "campaigns": Need(
        "past campaigns with the customers they contacted", "历史营销活动及其接触客户",
        "SELECT least((SELECT count(*) FROM campaigns), (SELECT count(*) FROM contacts))",
        "add `campaigns` (campaign id, name, channel, dates, costs) and `contacts` (campaign id, customer id, "
        "group, contact date) sources"),
    "control_groups": Need(
        "campaign contacts with a control group (people held out on purpose)", "含对照组的营销接触记录",
        "SELECT count(*) FROM contacts WHERE \"group\" = 'control'",
        "in the `contacts` source map `group` (treatment / control); without a control group lift cannot be measured"),
    "email_events": Need(
        "e-mail platform events (sent, opened, clicked …)", "邮件平台事件（发送、打开、点击…）",
        "SELECT count(*) FROM email_events",
        "add an `email_events` source (campaign id, customer id or e-mail, event, timestamp) from the e-mail platform"),
    "area_demographics": Need(
        "postal-area statistics (households, population, income per postal code)", "邮编区域统计（户数、人口、收入）",
        "SELECT count(*) FROM area_demographics",
        "add an `area_demographics` source (postal code, households, population, median income …), e.g. census "
        "data bought for data append; and map `postal_code` in the `customers` source"),
    "products": Need(
        "a product master (names, categories, costs)", "商品主数据（名称、类别、成本）",
        "SELECT count(*) FROM products",
        "add a `products` source (product id, name, category, unit cost, list price)"),
    "repeat_buyers": Need(
        "at least 30 customers who bought on two or more days", "至少30位多次购买的客户",
        "SELECT count(*) FROM (SELECT customer_id FROM orders WHERE status = 'completed' GROUP BY 1 "
        "HAVING count(DISTINCT CAST(order_ts AS DATE)) > 1)",
        "a longer sales history (at least a year is usual for lifetime value)", min_rows=30),
    # dimensions: a chapter runs without them, the sections that need one say so (has / missing_note)
    "customer_file": Need(
        "customer file (the CRM or shop accounts: names, e-mails, phones, addresses to clean and merge)",
        "客户档案（CRM或网店账户：需清洗与合并的姓名、邮件、电话、地址）",
        "SELECT count(*) FROM customer_records WHERE source_row IS NOT NULL",
        "add a `customers` source (customer id, names, e-mail, phone, street, postal code …); without it the "
        "customers are the customer ids of the sales file"),
    "addresses": Need(
        "street addresses (households are people at the same address)", "街道地址（同一地址的客户组成家庭）",
        "SELECT count(*) FROM customers WHERE street IS NOT NULL",
        "map `street` and `postal_code` in the `customers` source"),
    "sales_channel": Need(
        "sales channel of the orders (store, web, app …)", "订单的销售渠道（门店、网店、App…）",
        "SELECT count(*) FROM orders WHERE channel IS NOT NULL",
        "map `channel` in the sales source, or give each file its channel with `constants: {channel: web}`"),
    "several_channels": Need(
        "orders in two or more sales channels", "两个及以上销售渠道的订单",
        "SELECT count(DISTINCT channel) FROM orders WHERE channel IS NOT NULL",
        "map `channel` in every sales source (a client selling in one channel has no multi-channel customers)",
        min_rows=2),
    "acquisition_channel": Need(
        "acquisition channel of the customers (how each customer was won)", "客户的获客渠道",
        "SELECT count(*) FROM customers WHERE acquisition_channel IS NOT NULL",
        "map `acquisition_channel` (and `acquisition_cost`) in the `customers` source"),
    "acquisition_cost": Need(
        "acquisition cost per customer (what winning each customer cost)", "每位客户的获客成本",
        "SELECT count(*) FROM customers WHERE acquisition_cost IS NOT NULL",
        "map `acquisition_cost` in the `customers` source (e.g. the cost per lead of the channel that brought them)"),
    "product_categories": Need(
        "product categories of the order lines", "订单明细的商品类别",
        "SELECT count(*) FROM order_items i JOIN products p USING (product_id) WHERE p.category IS NOT NULL",
        "add order lines (`sales_lines` or `order_items`) and a `products` source (product id, name, category, "
        "subcategory) whose ids match theirs"),
    "product_costs": Need(
        "product costs (what each product costs the client)", "商品成本",
        "SELECT count(*) FROM orders WHERE NOT coalesce(cost_estimated, TRUE)",
        "add a `products` source with `unit_cost` (or map `cost` in the orders source); until then margins are "
        "estimated with `economics.gross_margin`"),
    "discounts": Need(
        "discounts on the orders", "订单折扣",
        "SELECT count(*) FROM orders WHERE discount > 0",
        "map `discount` (or `gross_amount` next to `net_amount`) in the sales source"),
    "demographics": Need(
        "birth dates or genders of the customers", "客户的出生日期或性别",
        "SELECT count(*) FROM customers WHERE birth_date IS NOT NULL OR gender IS NOT NULL",
        "map `birth_date` and `gender` in the `customers` source"),
}


@dataclass(frozen=True)
class Chapter:
    file: str            # notebook name without .ipynb
    title: str           # English title
    title_zh: str        # Chinese title
    needs: tuple = ()    # keys of NEEDS: inputs the chapter needs beyond sales; unmet → the report skips it

    @property
    def number(self) -> str:
        return self.file.split("_", 1)[0]

    @property
    def phase(self) -> str:
        return self.number[0]


PHASES = {
    "0": ("Start", "开始"),
    "1": ("Build the customer database", "数据库建设"),
    "2": ("Analyse", "数据分析"),
    "3": ("Plan the campaign", "营销策略制定"),
    "4": ("Evaluate and learn", "结果评估"),
    "9": ("Case studies on real data", "真实数据案例"),
}

CHAPTERS: list[Chapter] = [
    Chapter("00_start_here", "Start here: what database marketing is", "从这里开始：什么是数据库营销"),
    Chapter("10_build_collect", "Collect: sources, mapping and quarantine", "收集数据：数据源、映射与隔离"),
    Chapter("11_build_clean_merge", "Clean and merge/purge", "数据清洗与合并去重"),
    Chapter("12_build_store_protect", "Store and protect: the marketing database", "数据存储与隐私保护"),
    Chapter("20_analyze_explore", "Explore: customers and revenue over time", "探索性分析：客户与收益的变化"),
    Chapter("21_analyze_rfm", "RFM analysis", "RFM分析"),
    Chapter("22_analyze_value", "Value: deciles, Pareto and profitability", "价值分析：十分位、帕累托与收益"),
    Chapter("23_analyze_clv", "Customer lifetime value", "客户终身价值", ("repeat_buyers",)),
    Chapter("24_analyze_segments", "Segments, lifecycle and penetration", "客户细分、生命周期与渗透分析"),
    Chapter("25_analyze_baskets", "Baskets and sequences", "购物篮与序列分析", ("order_items",)),
    Chapter("26_analyze_predict", "Predictive models: response and churn", "预测模型：响应与流失", ("campaigns",)),
    Chapter("27_analyze_profiles_forecast", "Best and lost customers, a revenue forecast and a spend model",
            "优质与流失客户画像、收入预测与消费回归"),
    Chapter("30_plan_campaign", "Plan a campaign: target, offer, channel, timing",
            "营销活动策划：目标、活动、渠道、时机", ("contact_details", "consents")),
    Chapter("31_plan_budget_test", "Budget, break-even and the control group", "预算、盈亏平衡与对照组",
            ("contact_details", "consents")),
    Chapter("32_plan_triggers_loyalty", "Interest segments, life-event triggers and loyalty economics",
            "兴趣细分、生活事件触发与忠诚计划经济性"),
    Chapter("40_evaluate_results", "Evaluate: lift over control, ROI and KPIs", "结果评估：提升、投资回报与关键指标",
            ("campaigns", "control_groups")),
    Chapter("41_evaluate_learn", "Learn: A/B tests, uplift and feedback", "学习与迭代：A/B测试、增量模型与反馈",
            ("campaigns", "control_groups")),
    Chapter("90_case_complete_journey", "Case study: The Complete Journey (84.51°)", "案例：Complete Journey 零售数据"),
    Chapter("91_case_cdnow", "Case study: CDNOW and the BG/NBD paper", "案例：CDNOW 与 BG/NBD 模型"),
]

BY_FILE = {c.file: c for c in CHAPTERS}


def workbook_chapters(include_cases: bool = False) -> list[Chapter]:
    """The chapters a report runs (case studies only when asked)."""
    return [c for c in CHAPTERS if include_cases or c.phase != "9"]


def neighbours(file: str) -> tuple[Chapter | None, Chapter | None]:
    """Previous and next chapter in reading order (case studies link among themselves)."""
    seq = [c for c in CHAPTERS if (c.phase == "9") == (BY_FILE[file].phase == "9")]
    i = [c.file for c in seq].index(file)
    return (seq[i - 1] if i > 0 else None, seq[i + 1] if i + 1 < len(seq) else None)


def missing_inputs(chapter: Chapter | str, con) -> list[tuple[str, Need]]:
    """The needs of ``chapter`` that the client's database does not meet (``con``: a DuckDB connection).

    A need whose table does not exist counts as unmet. Returns (key, Need) pairs; empty when the chapter can run.
    """
    ch = BY_FILE[chapter] if isinstance(chapter, str) else chapter
    out = []
    for key in ch.needs:
        need = NEEDS[key]
        try:
            n = con.execute(need.query).fetchall()[0][0] or 0
        except Exception:  # noqa: BLE001 - a missing table means the input is missing
            n = 0
        if n < need.min_rows:
            out.append((key, need))
    return out


def has(ws, key: str) -> bool:
    """True when the client's data meets the need ``key`` of :data:`NEEDS` — for a chapter section that needs an
    input the chapter as a whole does not (show :func:`missing_note` otherwise).

    In a notebook::

        if dbm.chapters.has(ws, "area_demographics"):
            pen = dbm.segments.penetration(ws, by="postal_code")
        else:
            display(dbm.chapters.missing_note("area_demographics", ws.language))
    """
    if key not in NEEDS:
        raise KeyError(f"unknown need {key!r}; needs are {', '.join(NEEDS)}")
    need = NEEDS[key]
    with ws.connect() as con:
        try:
            n = con.execute(need.query).fetchall()[0][0] or 0
        except Exception:  # noqa: BLE001 - a missing table means the input is missing
            n = 0
    return n >= need.min_rows


def missing_note(key: str, language: str = "en", instead=None):
    """A short note (Markdown) for a section skipped because the input ``key`` is missing: what is missing and how
    a consultant provides it — the same words as the page of a skipped chapter.

    ``instead``: what the section does without the input, when it still runs on a stated assumption (a text, or a
    pair ``(English, 中文)``); the note then says so instead of "skipped".

    >>> missing_note("sales_channel").data.startswith("> **This section was skipped:** the client's data has no sales")
    True
    >>> missing_note("product_costs", "zh", instead=("Margins are estimated.", "毛利按估算。")).data[:30]
    '> **数据中没有：** 商品成本。毛利按估算。 如何提供：'
    """
    from IPython.display import Markdown
    need = NEEDS[key]
    if isinstance(instead, (tuple, list)):
        instead = instead[1] if language == "zh" else instead[0]
    if language == "zh":
        if instead:
            return Markdown(f"> **数据中没有：** {need.what_zh}。{instead} 如何提供：{need.fix}")
        return Markdown(f"> **本节已跳过：** 客户数据缺少{need.what_zh}。如何提供：{need.fix}")
    if instead:
        return Markdown(f"> **Not in the client's data:** {need.what}. {instead} To provide it: {need.fix}.")
    return Markdown(f"> **This section was skipped:** the client's data has no {need.what}. To provide it: {need.fix}.")


def note(text, language: str = "en"):
    """A short note (Markdown) in the chapter's language for a section whose data is too thin to show — not a
    missing input (that is :func:`missing_note`) but, say, too few buyers to compare. ``text``: a pair
    ``(English, 中文)`` or one text.

    >>> note(("Too few buyers to compare.", "购买者太少，无法比较。"), "zh").data
    '> **说明：** 购买者太少，无法比较。'
    """
    from IPython.display import Markdown
    if isinstance(text, (tuple, list)):
        text = text[1] if language == "zh" else text[0]
    return Markdown(f"> **说明：** {text}" if language == "zh" else f"> **Note:** {text}")


def select(phases: list[str] | None, include_cases: bool = False,
           chapters: list[Chapter] | None = None) -> list[Chapter]:
    """Chapters matching ``phases`` entries: a phase digit ('2'), a chapter number ('21') or a file name.
    ``chapters``: the list to choose from (default :data:`CHAPTERS`; a client's own chapters included:
    :func:`dbmkit.client_chapters.resolve`)."""
    every = CHAPTERS if chapters is None else chapters
    pool = every if include_cases or (phases and any(str(p).startswith("9") for p in phases)) else \
        [c for c in every if c.phase != "9"]
    if not phases:
        return list(pool)
    out = []
    for c in pool:
        for p in phases:
            p = str(p).strip()
            if c.file == p or c.number == p or (len(p) == 1 and c.phase == p) or c.file.startswith(p):
                out.append(c)
                break
    if not out:
        raise ValueError(f"no chapter matches {phases}; use phase digits (1–4, 9), chapter numbers (21) or file names")
    return out
