"""The canonical data model: one place that says which tables exist, their columns, types and rules.

Ingest coerces source columns to these types, the database creates its tables from them (with primary keys,
foreign keys, NOT NULL and CHECK constraints) and docs/DATA_MODEL.md describes them. A column type is one of:

``id``        text key, trimmed; numbers stay text (leading zeros kept, "123.0" from spreadsheets becomes "123")
``text``      free text, trimmed, NULL-like strings ("NULL", "N/A", "-") become NULL
``date``      calendar date, mixed formats accepted (the config's ``date_format`` first)
``timestamp`` date and time
``money``     decimal amount; currency symbols, spaces and thousands separators removed
``number``    decimal number
``int``       whole number
``bool``      yes/no flag (y, yes, 1, true, opt_in, 是 … / n, no, 0, false, 否 …)
``enum``      one of a fixed set of values, with synonyms (see ``ENUMS``)
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

SQL_TYPES = {"id": "VARCHAR", "text": "VARCHAR", "date": "DATE", "timestamp": "TIMESTAMP", "money": "DOUBLE",
             "number": "DOUBLE", "int": "BIGINT", "bool": "BOOLEAN", "enum": "VARCHAR"}


@dataclass(frozen=True)
class Col:
    """A column of the canonical model: name, type (see the module docstring), NOT NULL or not, a note, and for
    ``enum`` columns the name of its value list in ``ENUMS``."""
    name: str
    type: str
    required: bool = False
    doc: str = ""
    enum: str | None = None


ENUMS: dict[str, dict[str, str]] = {
    # canonical value: synonyms (lower case, trimmed)
    "sales_channel": {
        "store": "store pos shop instore in-store retail 门店 店铺 线下",
        "web": "web online website ecommerce e-commerce internet shop_online 网站 网店 线上 pc",
        "app": "app mobile mobile_app ios android 手机 移动端 小程序",
        "catalog": "catalog catalogue phone telephone mail_order mailorder call_center callcenter 目录 电话 邮购",
    },
    "order_status": {
        "completed": "completed complete shipped delivered paid closed done ok fulfilled 完成 已完成 已支付 已发货",
        "cancelled": "cancelled canceled cancel void voided rejected failed 取消 已取消",
        "returned": "returned return refunded refund credit credited 退货 已退货 退款",
    },
    "consent_channel": {
        "email": "email e-mail mail_electronic newsletter edm 邮件 电子邮件 邮箱",
        "sms": "sms text mobile 短信",
        "phone": "phone telephone call tel 电话",
        "mail": "mail post postal dm direct_mail letter 邮寄 直邮 信件",
        # WeChat service-account template / mini-program subscription messages (微信服务号消息, 小程序订阅消息)
        "wechat": "wechat we_chat weixin wx wechat_message wechat_subscription mini_program miniprogram "
                  "微信 微信消息 微信服务号 服务号 公众号 小程序 小程序订阅消息 订阅消息 微信订阅消息",
        "app_push": "app_push push push_notification push_notifications notification notifications app_notification "
                    "App推送 app推送 推送 消息推送 应用推送 推送通知",
    },
    # the consent vocabulary (docs/CONFIG.md, "Consent"): a word is matched ignoring case, spaces and punctuation
    # (write several words with "_"); any other word counts as an opt-out until the client's
    # `data.consent_words` maps it (dbmkit.database.consent reads consent fail-safe)
    "consent_status": {
        "opt_in": "opt_in optin opt-in opted_in in subscribed subscribe subscriber resubscribed yes y 1 true granted "
                  "grant allow allowed agree agreed consent consented confirmed double_opt_in accept accepted "
                  "订阅 已订阅 同意 已同意 是 允许 接受",
        "opt_out": "opt_out optout opt-out opted_out out unsubscribed unsubscribe unsub no n 0 false denied deny "
                   "withdrawn withdraw cleaned bounced bounce blocked block revoked revoke stop stop_all stopall end "
                   "quit remove removed do_not_contact do_not_email do_not_mail do_not_call dnc dnm suppress "
                   "suppressed declined decline refused refuse rejected complained spam 退订 已退订 拒收 拒绝 取消订阅 "
                   "取消 不同意 否 不允许 退出 屏蔽 投诉",
    },
    "contact_group": {
        "treatment": "treatment t test target targeted mailed contacted 目标组 实验组",
        "control": "control c ctrl holdout hold-out held_out 对照组 控制组",
    },
    "campaign_channel": {
        "email": "email e-mail edm 邮件",
        "sms": "sms text 短信",
        "mail": "mail dm direct_mail post postal letter catalogue catalog 直邮 邮寄",
        "phone": "phone telephone call telemarketing outbound 电话",
        "wechat": "wechat weixin wx mini_program miniprogram 微信 服务号 公众号 小程序 订阅消息",
        "app_push": "app_push push push_notification App推送 app推送 推送 消息推送",
    },
    "email_event": {
        "sent": "sent send processed 发送",
        "delivered": "delivered delivery 送达",
        "bounced": "bounced bounce hard_bounce soft_bounce dropped failed 退信",
        "opened": "opened open 打开",
        "clicked": "clicked click 点击",
        "unsubscribed": "unsubscribed unsubscribe optout opt_out group_unsubscribe 退订",
        "complained": "complained complaint spamreport spam_report abuse 投诉",
    },
    "sms_event": {
        "sent": "sent send submitted 发送",
        "delivered": "delivered delivery 送达",
        "bounced": "bounced failed undelivered rejected 失败",
        "clicked": "clicked click 点击",
        "replied": "replied reply mo 回复",
        "unsubscribed": "unsubscribed optout opt_out stop td 退订",
    },
    "gender": {
        "F": "f female woman w mrs ms miss frau 女 女士",
        "M": "m male man mr herr 男 先生",
    },
}

SYNONYMS: dict[str, dict[str, str]] = {
    enum: {syn: canon for canon, words in values.items() for syn in [canon.lower(), *words.lower().split()]}
    for enum, values in ENUMS.items()
}

TRUE_WORDS = {"y", "yes", "1", "true", "t", "opt_in", "optin", "subscribed", "ok", "x", "是", "允许", "同意",
              "deceased",
              "已故", "gone away", "gone_away", "goneaway", "moved", "地址无效", "1.0"}
FALSE_WORDS = {"n", "no", "0", "false", "f", "opt_out", "optout", "unsubscribed", "否", "不允许", "拒绝", "active",
               "正常", "0.0"}

# a consent row about every channel at once (a global unsubscribe): its opt-out applies to each channel
CONSENT_ALL_CHANNELS = "all global any every everything all_channels * 全部 所有 全渠道"


def normalise_word(word) -> str:
    """A consent word as it is matched: lower case, without spaces, punctuation or symbols (letters and digits of
    any script are kept), so "Opted-Out", "opted out" and "OPTED_OUT." are the same word.

    >>> normalise_word(" Do-Not-Contact! "), normalise_word("取消 订阅")
    ('donotcontact', '取消订阅')
    """
    t = unicodedata.normalize("NFKC", str(word)).casefold()
    return "".join(ch for ch in t if ch.isalnum())


# per canonical table: the columns, in order
TABLES: dict[str, list[Col]] = {
    "customers": [
        Col("customer_id", "id", True, "the person (after merge/purge): one row per person"),
        Col("first_name", "text"), Col("last_name", "text"), Col("email", "text", doc="valid, lower case"),
        Col("phone", "text", doc="E.164, e.g. +12125550123"), Col("gender", "enum", enum="gender"),
        Col("birth_date", "date"), Col("street", "text"), Col("postal_code", "text"), Col("city", "text"),
        Col("signup_date", "date", doc="first time the person appears in any system"),
        Col("acquisition_channel", "text"), Col("acquisition_cost", "money"),
        Col("household_id", "id", doc="persons at the same address (and surname, by default)"),
        Col("is_test", "bool", doc="test/QA account (kept, never contacted, orders in `test_orders`)"),
        Col("is_staff", "bool", doc="company e-mail domain"), Col("deceased", "bool"),
        Col("gone_away", "bool", doc="post returned: do not mail"),
        Col("n_records", "int", doc="source records merged into this person"),
        Col("wechat_openid", "text", doc="WeChat openid (微信OpenID) of the client's service account or mini-program: "
                                         "the contact point of the `wechat` channel (the most recent valid one)"),
        Col("push_token", "text", doc="app push device token / push id (App推送令牌): the contact point of the "
                                      "`app_push` channel (the most recent valid one)"),
    ],
    "customer_records": [
        Col("record_id", "id", True, "the source system's customer id (with the source's id_prefix)"),
        Col("source_system", "text", True), Col("customer_id", "id", True, "the person the record was merged into"),
        Col("first_name", "text"), Col("last_name", "text"), Col("email", "text"), Col("phone", "text"),
        Col("gender", "enum", enum="gender"), Col("birth_date", "date"), Col("street", "text"),
        Col("postal_code", "text"), Col("city", "text"), Col("signup_date", "date"),
        Col("acquisition_channel", "text"), Col("acquisition_cost", "money"), Col("is_test", "bool"),
        Col("is_staff", "bool"), Col("deceased", "bool"), Col("gone_away", "bool"),
        Col("email_valid", "bool", doc="false when an e-mail was given but invalid (it is then empty)"),
        Col("phone_valid", "bool", doc="false when a phone was given but invalid (it is then empty)"),
        Col("source_file", "text"), Col("source_row", "int", doc="line (CSV) or row (Excel) in the source file"),
        Col("wechat_openid", "text", doc="WeChat openid: letters, digits, - and _ (16–64 characters)"),
        Col("push_token", "text", doc="app push device token or push id: letters, digits, - _ : . (16–512 characters)"),
        Col("wechat_openid_valid", "bool", doc="false when an openid was given but invalid (it is then empty, the "
                                                "reason in `value_issues`)"),
        Col("push_token_valid", "bool", doc="false when a push token was given but invalid (it is then empty, the "
                                             "reason in `value_issues`)"),
    ],
    "consents": [
        Col("customer_id", "id", True), Col("channel", "enum", True, enum="consent_channel"),
        Col("status", "enum", True, enum="consent_status"),
        Col("updated_at", "timestamp", True, doc="when the person gave or withdrew consent"),
        Col("source", "text", doc="the system the consent came from"),
    ],
    "products": [
        Col("product_id", "id", True), Col("name", "text"), Col("category", "text"), Col("subcategory", "text"),
        Col("unit_cost", "money"), Col("list_price", "money"),
    ],
    "orders": [
        Col("order_id", "id", True), Col("customer_id", "id", True, "the person (after merge/purge)"),
        Col("order_ts", "timestamp", True),
        Col("channel", "enum", enum="sales_channel"), Col("store_id", "id"), Col("gross_amount", "money", True),
        Col("discount", "money", True), Col("net_amount", "money", True, "gross − discount; negative for returns"),
        Col("cost", "money", True, "from product costs, else net × (1 − gross margin)"),
        Col("status", "enum", True, enum="order_status"),
        Col("original_order_id", "id", doc="for a return: the sale it returns"),
        Col("cost_estimated", "bool", doc="cost from the config's gross margin, not from product costs"),
        Col("source_system", "text"),
    ],
    "order_items": [
        Col("order_id", "id", True), Col("line_no", "int", True), Col("product_id", "id", True),
        Col("quantity", "number", True), Col("unit_price", "money", True), Col("discount", "money", True),
    ],
    "campaigns": [
        Col("campaign_id", "id", True), Col("name", "text"), Col("channel", "enum", enum="campaign_channel"),
        Col("offer", "text"), Col("start_date", "date"), Col("end_date", "date"), Col("cost_per_contact", "money"),
        Col("fixed_cost", "money"), Col("segment", "text"),
    ],
    "contacts": [
        Col("campaign_id", "id", True), Col("customer_id", "id", True), Col("cell", "text"),
        Col("group", "enum", True, enum="contact_group"), Col("contact_ts", "timestamp", True),
        Col("channel", "enum", enum="campaign_channel"),
    ],
    "responses": [
        Col("campaign_id", "id", True), Col("customer_id", "id", True), Col("response_ts", "timestamp", True),
        Col("order_id", "id"), Col("revenue", "money"),
    ],
    "email_events": [
        Col("campaign_id", "id", True), Col("customer_id", "id", True), Col("event", "enum", True, enum="email_event"),
        Col("event_ts", "timestamp", True),
    ],
    "sms_events": [
        Col("campaign_id", "id", True), Col("customer_id", "id", True), Col("event", "enum", True, enum="sms_event"),
        Col("event_ts", "timestamp", True),
    ],
    "area_demographics": [
        Col("postal_code", "text", True), Col("city", "text"), Col("households", "int"), Col("population", "int"),
        Col("median_income", "money"), Col("age_18_34", "number"), Col("age_35_54", "number"),
        Col("age_55_plus", "number"),
    ],
}

# what a source may provide besides the canonical columns (used to derive other tables)
SOURCE_ONLY = {
    "customers": [Col("full_name", "text"), Col("email_consent", "bool"), Col("sms_consent", "bool"),
                  Col("phone_consent", "bool"), Col("mail_consent", "bool"), Col("wechat_consent", "bool"),
                  Col("app_push_consent", "bool")],
    "consents": [Col("email", "text")],
    "orders": [Col("returned_at", "timestamp")],
    "email_events": [Col("email", "text")],
    "sms_events": [Col("phone", "text")],
}

# canonical source tables and which canonical columns a source must map (besides those with defaults)
REQUIRED_MAPPING = {
    "customers": ["customer_id"],
    "consents": ["channel", "status"],      # plus customer_id or email
    "orders": ["order_id", "order_ts"],     # plus one of net_amount / gross_amount
    "order_items": ["order_id", "product_id", "quantity", "unit_price"],
    "sales_lines": ["order_id", "order_ts", "product_id", "quantity", "unit_price"],
    "products": ["product_id"],
    "campaigns": ["campaign_id"],
    "contacts": ["campaign_id", "customer_id"],
    "responses": ["campaign_id", "customer_id", "response_ts"],
    "email_events": ["campaign_id", "event", "event_ts"],
    "sms_events": ["campaign_id", "event", "event_ts"],
    "area_demographics": ["postal_code"],
    "customer_links": ["system_a", "id_a", "system_b", "id_b"],
}

SALES_LINE_COLUMNS = [
    Col("order_id", "id", True), Col("line_no", "int"), Col("customer_id", "id"), Col("order_ts", "timestamp", True),
    Col("channel", "enum", enum="sales_channel"), Col("store_id", "id"), Col("product_id", "id", True),
    Col("quantity", "number", True), Col("unit_price", "money", True), Col("discount", "money"),
    Col("status", "enum", enum="order_status"), Col("original_order_id", "id"),
]

# known id links (a crosswalk or key map): two source records known to be the same person; merge/purge applies them
# as certain matches (dbmkit.database.links). A system is the `source_system` of a customers source ("main" when it
# has none); an id is written as that system's file writes it (the build adds the source's `id_prefix`).
LINK_COLUMNS = [
    Col("system_a", "text", True, "the system of the first record (a customers source's `source_system`)"),
    Col("id_a", "id", True, "the first record's customer id in that system"),
    Col("system_b", "text", True, "the system of the second record"),
    Col("id_b", "id", True, "the second record's customer id in that system"),
    Col("kind", "text", doc="what the link is (crosswalk, key map, loyalty card registered online …)"),
    Col("note", "text", doc="free text (e-mails and phone numbers are masked when stored)"),
]



# ------------------------------------------------------------------------------------------------ keys and rules
TABLE_DOCS: dict[str, str] = {
    "customers": "One row per person after merge/purge (the golden record, 统一客户视图). Test accounts, staff, "
                 "deceased and gone-away people stay in the table with their flag, so suppression can name the reason.",
    "customer_records": "Every source record (CRM, web account, loyalty card …) linked to the person it was merged "
                        "into: the audit trail of merge/purge.",
    "consents": "Consent history per person and channel, the rows read with certainty; with `consent_uncertain` the "
                "latest evidence wins, an opt-out wins a tie (view `consent_latest`).",
    "products": "The product master with unit costs and list prices.",
    "orders": "One row per order or return of a known person. Returns are separate rows with negative amounts and "
              "`status = 'returned'` (`original_order_id` points to the sale). Sales without a customer are in "
              "`anonymous_sales`, test accounts' orders in `test_orders`.",
    "order_items": "Order lines: product, quantity, unit price and line discount (negative quantities on returns).",
    "campaigns": "Past campaigns with their costs.",
    "contacts": "Who was selected for a campaign: treatment (contacted) or control (held out).",
    "responses": "Tracked responses (coupon redemptions, response codes).",
    "email_events": "E-mail platform events per person and campaign.",
    "sms_events": "SMS platform events per person and campaign.",
    "area_demographics": "Purchased postal-area statistics for data append (附加数据) and penetration analysis.",
}

PRIMARY_KEYS: dict[str, list[str]] = {
    "customers": ["customer_id"], "customer_records": ["record_id"], "products": ["product_id"],
    "orders": ["order_id"], "order_items": ["order_id", "line_no"], "campaigns": ["campaign_id"],
    "contacts": ["campaign_id", "customer_id"], "area_demographics": ["postal_code"],
}

FOREIGN_KEYS: dict[str, list[tuple[str, str, str]]] = {
    "customer_records": [("customer_id", "customers", "customer_id")],
    "consents": [("customer_id", "customers", "customer_id")],
    "orders": [("customer_id", "customers", "customer_id")],
    "order_items": [("order_id", "orders", "order_id")],
    "contacts": [("customer_id", "customers", "customer_id"), ("campaign_id", "campaigns", "campaign_id")],
    "responses": [("customer_id", "customers", "customer_id")],
    "email_events": [("customer_id", "customers", "customer_id")],
    "sms_events": [("customer_id", "customers", "customer_id")],
}

# enums whose values the database enforces with CHECK (the others keep unknown values in lower case)
CHECKED_ENUMS = ("order_status", "consent_channel", "consent_status", "contact_group", "email_event", "sms_event",
                 "gender")

# table-level rules: (SQL condition, what it means)
CHECKS: dict[str, list[tuple[str, str]]] = {
    "customers": [("email IS NULL OR email LIKE '%_@_%._%'", "e-mails are cleaned (valid syntax, lower case)"),
                  ("phone IS NULL OR phone LIKE '+%'", "phones are in E.164 (+<country><number>)"),
                  ("n_records >= 1", "every person comes from at least one source record")],
    "orders": [("status <> 'returned' OR net_amount <= 0", "returns have negative (or zero) amounts"),
               ("status = 'returned' OR net_amount >= 0", "sales and cancellations have non-negative amounts")],
    "order_items": [("unit_price >= 0", "prices are not negative (returns have negative quantities)"),
                    ("quantity <> 0", "lines with zero quantity are quarantined")],
}

# bookkeeping tables written by the build (not fed by sources)
SUPPORT_TABLES: dict[str, tuple[str, list[Col]]] = {
    "anonymous_sales": ("Sales without a customer id (walk-in till receipts, erased customers): counted in revenue, "
                        "left out of customer analysis.",
                        [Col("order_id", "id", True), Col("order_ts", "timestamp"), Col("channel", "text"),
                         Col("store_id", "id"), Col("net_amount", "money"), Col("status", "text"),
                         Col("source_file", "text")]),
    "test_orders": ("Orders of test accounts, kept apart (same columns as `orders`).", []),
    "quarantine": ("Every row that could not be loaded, with the file, the row (line number in the file), the "
                   "column and the reason. Rows read = rows loaded + rows quarantined, per source.",
                   [Col("table_name", "text"), Col("source", "text"), Col("source_row", "int"),
                    Col("column_name", "text"), Col("reason", "text"),
                    Col("raw_values", "text", doc="the row as read (JSON, first 500 characters)")]),
    "value_issues": ("Single values that could not be read in an optional column and were left empty (the row "
                     "itself was loaded).",
                     [Col("table_name", "text"), Col("source", "text"), Col("source_row", "int"),
                      Col("column_name", "text"), Col("problem", "text"), Col("raw_value", "text")]),
    "load_log": ("One row per source: rows read, loaded and quarantined, the encoding and delimiter used, warnings.",
                 [Col("table_name", "text"), Col("source", "text"), Col("source_system", "text"),
                  Col("rows_read", "int"), Col("rows_loaded", "int"), Col("rows_quarantined", "int"),
                  Col("encoding", "text"), Col("delimiter", "text"), Col("warnings", "text")]),
    "consent_uncertain": ("Consent evidence that could not be read with certainty (an unknown status word, an "
                          "unreadable channel, an opt-out without a readable date, a consent flag 'no' without a date "
                          "or an unreadable flag): each row counts as an opt-out of its person on its channel (every "
                          "channel when the channel is unreadable), at its date, or as the latest evidence when the "
                          "date is unknown (`updated_at` empty); and the opt-out of a record that a known id link "
                          "(`customer_links`) joined to the person, which holds for the whole person (it counts as "
                          "the latest evidence). An explicit consent row listed here is also in "
                          "`quarantine` (rows read = loaded + quarantined); `source` and `source_row` say where it is.",
                          [Col("customer_id", "id", True), Col("channel", "text", True),
                           Col("updated_at", "timestamp", doc="empty: unknown, counts as the latest evidence"),
                           Col("status_read", "text", doc="what the row said, when it could be read "
                                                          "(opt_in / opt_out)"),
                           Col("problem", "text", doc="what could not be read"),
                           Col("source", "text"), Col("source_row", "int"),
                           Col("raw_value", "text", doc="the unreadable value as written (status, channel or date; "
                                                        "never a contact detail)")]),
    "customer_links": ("The known id links merge/purge applied as certain matches (a `customer_links` source): the "
                       "two source records, the link as given, and `joined` — true when fuzzy matching alone had "
                       "kept the two records apart. Links it could not apply are in `quarantine` with the reason.",
                       [Col("record_a", "id", True), Col("record_b", "id", True), Col("system_a", "text"),
                        Col("id_a", "id"), Col("system_b", "text"), Col("id_b", "id"), Col("kind", "text"),
                        Col("note", "text", doc="e-mails and phone numbers masked"),
                        Col("joined", "bool", doc="the records were in different persons before the links"),
                        Col("source", "text"), Col("source_row", "int")]),
    "identity_pairs": ("Candidate pairs of source records compared by merge/purge, with their match score.",
                       [Col("record_i", "id"), Col("record_j", "id"), Col("score", "number"),
                        Col("probability", "number")]),
    "data_quality": ("The data-quality report per table and column, before and after cleaning.",
                     [Col("stage", "text"), Col("table", "text"), Col("column", "text"), Col("rows", "int"),
                      Col("completeness", "number"), Col("validity", "number"), Col("uniqueness", "number"),
                      Col("freshness_days", "number")]),
    "audit_log": ("Privacy actions (erasure, retention) with a salted token instead of the person's id.",
                  [Col("ts", "timestamp"), Col("action", "text"), Col("subject_token", "text"),
                   Col("detail", "text")]),
    "_meta": ("Build facts: schema version, build time, analysis date, fingerprint, the build report (JSON).",
              [Col("key", "text", True), Col("value", "text")]),
}

VIEWS: dict[str, str] = {
    "consent_latest": "latest consent status per person and channel over `consents` and `consent_uncertain` (latest "
                      "`updated_at` wins, an unknown date counts as the latest, an opt-out wins a tie; `uncertain` "
                      "when the latest evidence could not be read with certainty)",
    "purchases": "completed orders (`status = 'completed'`)",
    "sales": "orders that count for revenue: completed and returned (returns are negative)",
    "customer_view": "the single customer view: the golden record + area demographics + purchase summary "
                     "(first/last purchase, orders, revenue, margin, channels) + latest consent per channel",
}


def markdown() -> str:
    """The canonical section of docs/DATA_MODEL.md, generated from this module (tests/test_docs.py keeps it in step).

    >>> "### customers" in markdown()
    True
    """
    out = ["Column types: " + ", ".join(f"`{k}` ({v})" for k, v in SQL_TYPES.items()) + ". "
           "**required** columns are NOT NULL; *enum* columns accept the synonyms listed under Enumerations.", ""]

    def table(name: str, cols: list[Col], doc: str) -> None:
        out.append(f"### {name}")
        out.append(doc)
        out.append("")
        if cols:
            out.append("| column | type | required | notes |")
            out.append("|---|---|---|---|")
            for c in cols:
                note = c.doc
                if c.enum:
                    vals = "/".join(ENUMS[c.enum])
                    note = (note + "; " if note else "") + f"enum `{c.enum}`: {vals}"
                out.append(f"| `{c.name}` | {c.type} ({SQL_TYPES[c.type]}) | {'yes' if c.required else ''} | {note} |")
            out.append("")
        rules = []
        if name in PRIMARY_KEYS:
            rules.append("primary key (" + ", ".join(PRIMARY_KEYS[name]) + ")")
        for col, ref, refcol in FOREIGN_KEYS.get(name, []):
            rules.append(f"foreign key {col} → {ref}.{refcol}")
        for c in cols:
            if c.enum in CHECKED_ENUMS:
                rules.append(f"check {c.name} in ({', '.join(ENUMS[c.enum])})")
        for cond, meaning in CHECKS.get(name, []):
            rules.append(f"check `{cond}` — {meaning}")
        if rules:
            out.append("Rules: " + "; ".join(rules) + ".")
            out.append("")

    for name, cols in TABLES.items():
        table(name, cols, TABLE_DOCS[name])
    out.append("### sales_lines (a source shape, not a table)")
    out.append("Line-level sales files (one row per invoice line, quantity × unit price) are mapped to `sales_lines`; "
               "the build derives `orders` (one per invoice; negative quantities or a returned status make a return, "
               "a cancelled status a cancellation) and `order_items` from them. Lines without a customer id become "
               "anonymous sales.")
    out.append("")
    out.append("| column | type | required |")
    out.append("|---|---|---|")
    for c in SALES_LINE_COLUMNS:
        out.append(f"| `{c.name}` | {c.type} | {'yes' if c.required else ''} |")
    out.append("")
    out.append("### customer_links (a source shape: known id links)")
    out.append("Pairs of source-system ids known to be the same person (a crosswalk, a key map). Merge/purge applies "
               "them as certain matches before fuzzy matching; each side names a customers source's "
               "`source_system` and the id as that system writes it. The links applied are stored in the "
               "`customer_links` table, the others are quarantined with the reason.")
    out.append("")
    out.append("| column | type | required |")
    out.append("|---|---|---|")
    for c in LINK_COLUMNS:
        out.append(f"| `{c.name}` | {c.type} | {'yes' if c.required else ''} |")
    out.append("")
    out.append("### Columns a source may map besides the canonical ones")
    for t, cols in SOURCE_ONLY.items():
        out.append(f"* {t}: " + ", ".join(f"`{c.name}`" for c in cols))
    out.append("")
    out.append("### Minimum mapping per source table")
    for t, cols in REQUIRED_MAPPING.items():
        extra = {"orders": " plus net_amount or gross_amount (order_id may be left out: it is then made from the "
                           "file and row)", "consents": " plus customer_id or email",
                 "email_events": " plus customer_id or email", "sms_events": " plus customer_id or phone"}.get(t, "")
        out.append(f"* {t}: " + ", ".join(cols) + extra)
    out.append("")
    out.append("## Bookkeeping tables and views")
    out.append("")
    for name, (doc, cols) in SUPPORT_TABLES.items():
        table(name, cols, doc)
    out.append("### Views")
    for name, doc in VIEWS.items():
        out.append(f"* `{name}`: {doc}")
    out.append("")
    out.append("### Enumerations (canonical value: accepted synonyms, case-insensitive)")
    for enum, values in ENUMS.items():
        out.append(f"* **{enum}**: " + "; ".join(f"`{k}` ← {v}" for k, v in values.items()))
    out.append(f"* a consent row about every channel: {CONSENT_ALL_CHANNELS}")
    out.append("")
    out.append("Consent words are matched ignoring case, spaces and punctuation; a consent word that is none of "
               "these (nor in the client's `data.consent_words`) counts as an opt-out (docs/CONFIG.md, Consent).")
    return "\n".join(out).rstrip() + "\n"


DOC_BEGIN = "<!-- canonical tables: generated section, see dbmkit.schema.markdown() -->"
DOC_END = "<!-- end of generated section -->"


def write_markdown(path=None) -> bool:
    """Rewrite the generated section of docs/DATA_MODEL.md; returns True when the file changed."""
    from pathlib import Path
    p = Path(path) if path else Path(__file__).resolve().parents[1] / "docs" / "DATA_MODEL.md"
    text = p.read_text(encoding="utf-8")
    i = text.index(DOC_BEGIN) + len(DOC_BEGIN)
    j = text.index(DOC_END, i) if DOC_END in text[i:] else i
    new = text[:i] + "\n\n" + markdown() + "\n" + DOC_END + text[j + (len(DOC_END) if DOC_END in text[i:] else 0):]
    if new != text:
        p.write_text(new, encoding="utf-8")
        return True
    return False


def source_columns(table: str) -> list[Col]:
    """Columns a source file for ``table`` may map (canonical + source-only).

    >>> [c.name for c in source_columns("consents")]
    ['customer_id', 'channel', 'status', 'updated_at', 'email']
    """
    if table == "sales_lines":
        return SALES_LINE_COLUMNS
    if table == "customer_links":
        return LINK_COLUMNS
    cols = [c for c in TABLES[table] if c.name not in ("n_records", "cost_estimated", "source_system", "source")]
    return cols + SOURCE_ONLY.get(table, [])


def column(table: str, name: str) -> Col:
    """One column of what a source for ``table`` may map.

    >>> column("orders", "net_amount").type
    'money'
    """
    for c in source_columns(table):
        if c.name == name:
            return c
    raise KeyError(f"{table}.{name}")
