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

from dataclasses import dataclass


SQL_TYPES = {"id": "VARCHAR", "text": "VARCHAR", "date": "DATE", "timestamp": "TIMESTAMP", "money": "DOUBLE",
             "number": "DOUBLE", "int": "BIGINT", "bool": "BOOLEAN", "enum": "VARCHAR"}


@dataclass(frozen=True)
class Col:
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
    },
    "consent_status": {
        "opt_in": "opt_in optin opt-in in subscribed subscribe yes y 1 true granted allow allowed 订阅 同意 是",
        "opt_out": "opt_out optout opt-out out unsubscribed unsubscribe no n 0 false denied withdrawn cleaned bounced "
                   "blocked revoked 退订 拒绝 否",
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

TRUE_WORDS = {"y", "yes", "1", "true", "t", "opt_in", "optin", "subscribed", "ok", "x", "是", "允许", "同意", "deceased",
              "已故", "gone away", "gone_away", "goneaway", "moved", "地址无效", "1.0"}
FALSE_WORDS = {"n", "no", "0", "false", "f", "opt_out", "optout", "unsubscribed", "否", "不允许", "拒绝", "active",
               "正常", "0.0"}

# per canonical table: the columns, in order
TABLES: dict[str, list[Col]] = {
    "customers": [
        Col("customer_id", "id", True, "the person (after merge/purge): one row per person"),
        Col("first_name", "text"), Col("last_name", "text"), Col("email", "text", doc="valid, lower case"),
        Col("phone", "text", doc="E.164, e.g. +12125550123"), Col("gender", "enum", enum="gender"),
        Col("birth_date", "date"), Col("street", "text"), Col("postal_code", "text"), Col("city", "text"),
        Col("signup_date", "date", doc="first time the person appears in any system"),
        Col("acquisition_channel", "text"), Col("acquisition_cost", "money"),
        Col("household_id", "id"), Col("is_test", "bool"), Col("is_staff", "bool"), Col("deceased", "bool"),
        Col("gone_away", "bool"), Col("n_records", "int", doc="source records merged into this person"),
    ],
    "customer_records": [
        Col("record_id", "id", True, "the source system's customer id (with the source's id_prefix)"),
        Col("source_system", "text", True), Col("customer_id", "id", True, "the person the record was merged into"),
        Col("first_name", "text"), Col("last_name", "text"), Col("email", "text"), Col("phone", "text"),
        Col("gender", "enum", enum="gender"), Col("birth_date", "date"), Col("street", "text"),
        Col("postal_code", "text"), Col("city", "text"), Col("signup_date", "date"),
        Col("acquisition_channel", "text"), Col("acquisition_cost", "money"), Col("is_test", "bool"),
        Col("is_staff", "bool"), Col("deceased", "bool"), Col("gone_away", "bool"),
        Col("email_valid", "bool"), Col("phone_valid", "bool"), Col("source_file", "text"), Col("source_row", "int"),
    ],
    "consents": [
        Col("customer_id", "id", True), Col("channel", "enum", True, enum="consent_channel"),
        Col("status", "enum", True, enum="consent_status"), Col("updated_at", "timestamp", True),
        Col("source", "text"),
    ],
    "products": [
        Col("product_id", "id", True), Col("name", "text"), Col("category", "text"), Col("subcategory", "text"),
        Col("unit_cost", "money"), Col("list_price", "money"),
    ],
    "orders": [
        Col("order_id", "id", True), Col("customer_id", "id", True), Col("order_ts", "timestamp", True),
        Col("channel", "enum", enum="sales_channel"), Col("store_id", "id"), Col("gross_amount", "money", True),
        Col("discount", "money", True), Col("net_amount", "money", True), Col("cost", "money", True),
        Col("status", "enum", True, enum="order_status"), Col("original_order_id", "id"),
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
                  Col("phone_consent", "bool"), Col("mail_consent", "bool")],
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
}

SALES_LINE_COLUMNS = [
    Col("order_id", "id", True), Col("line_no", "int"), Col("customer_id", "id"), Col("order_ts", "timestamp", True),
    Col("channel", "enum", enum="sales_channel"), Col("store_id", "id"), Col("product_id", "id", True),
    Col("quantity", "number", True), Col("unit_price", "money", True), Col("discount", "money"),
    Col("status", "enum", enum="order_status"), Col("original_order_id", "id"),
]


def source_columns(table: str) -> list[Col]:
    """Columns a source file for ``table`` may map (canonical + source-only)."""
    if table == "sales_lines":
        return SALES_LINE_COLUMNS
    cols = [c for c in TABLES[table] if c.name not in ("n_records", "cost_estimated", "source_system", "source")]
    return cols + SOURCE_ONLY.get(table, [])


def column(table: str, name: str) -> Col:
    for c in source_columns(table):
        if c.name == name:
            return c
    raise KeyError(f"{table}.{name}")
