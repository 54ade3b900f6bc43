"""The consultant's workflow: draft a client config from the client's files, and run many clients in one go.

``dbmkit new-client NAME FILE...`` looks at each file — format, encoding, delimiter, header row (via
:func:`dbmkit.ingest.detect_file`) — profiles its columns (dates, amounts, ids, codes, e-mails, phones,
quantities), guesses which canonical table it feeds (one row per order → ``orders``; one row per invoice line →
``sales_lines``; people → ``customers`` …) and the column mapping from the headers (English and Chinese, e.g.
客户编号, 订单日期, 金额, 数量, 单价, plus common German/French/Spanish names) and from the values. It writes a commented
YAML draft: every guess says why, every column it could not place is listed. ``dbmkit check`` then validates
the draft against the data.

``dbmkit batch CONFIG...`` runs the report of several clients, each in its own process, so one failing client
never stops the others, and writes a summary table (status, time, key numbers).

Example
-------
>>> import tempfile, os
>>> d = tempfile.mkdtemp(); p = os.path.join(d, "sales.csv")
>>> _ = open(p, "w", encoding="utf-8").write(
...     "Invoice,Customer,Date,Amount\\n" + "".join(f"{i},{i % 7},2024-01-{i % 28 + 1:02d},{i * 1.5:.2f}\\n"
...                                          for i in range(1, 60)))
>>> draft = draft_source(p)
>>> draft.table, draft.columns
('orders', {'order_id': 'Invoice', 'customer_id': 'Customer', 'order_ts': 'Date', 'net_amount': 'Amount'})
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import schema

__all__ = ["profile_columns", "draft_source", "SourceDraft", "draft_config", "new_client", "run_batch",
           "batch_summary_html", "register_cli", "HEADER_SYNONYMS"]

# ------------------------------------------------------------------------------------------------ header names
# canonical column → header names that usually mean it (compared after `_norm`: lower case, no spaces/punctuation)
HEADER_SYNONYMS: dict[str, list[str]] = {
    "order_id": ["order_id", "order id", "order no", "order number", "order nr", "invoice", "invoice no",
                 "invoice_no", "invoice number", "invoice id", "receipt", "receipt no", "ticket", "ticket no",
                 "transaction id", "transaction no", "txn id", "transaction ref", "txn ref", "basket", "basket id",
                 "purchase id", "purchase no", "purchase number", "sale id", "sales id", "order ref", "transaction",
                 "bestellnummer", "auftragsnummer", "rechnungsnummer", "belegnummer", "bon",
                 "commande", "n° commande", "no commande", "numero commande", "numéro de commande", "facture",
                 "pedido", "numero pedido", "factura",
                 "订单号", "订单编号", "订单id", "单号", "单据号", "发票号", "小票号", "交易号", "交易编号", "流水号"],
    "customer_id": ["customer_id", "customer id", "customer", "customer no", "customer number", "customer nr",
                    "cust id", "cust no", "client", "client id", "client no", "member", "member id", "member no",
                    "membership no", "account", "account id", "account no", "household", "household id",
                    "household key", "user id", "buyer id", "kunde", "kundennummer", "kunden nr", "kundenid",
                    "n° client", "no client", "numero client", "numéro client", "id client", "code client",
                    "cliente", "id cliente", "numero cliente",
                    "客户编号", "客户号", "客户id", "客户代码", "会员号", "会员编号", "会员卡号", "会员id", "用户id",
                    "用户编号", "顾客编号", "顾客id", "卡号"],
    "order_ts": ["order_ts", "date", "order date", "invoice date", "purchase date", "transaction date", "txn date",
                 "sale date", "sales date", "transaction timestamp", "timestamp", "datetime", "order time",
                 "created at", "date time", "datum", "bestelldatum", "rechnungsdatum", "belegdatum",
                 "date de commande", "date commande", "date facture", "fecha", "fecha pedido",
                 "订单日期", "下单时间", "下单日期", "日期", "交易日期", "交易时间", "购买日期", "购买时间", "时间",
                 "订单时间", "销售日期", "消费日期", "消费时间"],
    "net_amount": ["net_amount", "amount", "net amount", "total", "order total", "total amount", "net", "net sales",
                   "sales", "revenue", "value", "order value", "sales value", "dollars", "dollar value", "paid",
                   "amount paid", "betrag", "umsatz", "gesamtbetrag", "nettobetrag", "montant", "montant ttc",
                   "montant total", "total ttc", "importe", "importe total",
                   "金额", "实付金额", "订单金额", "销售额", "总金额", "合计", "实收金额", "支付金额", "消费金额",
                   "成交金额", "实付"],
    "gross_amount": ["gross", "gross amount", "gross_amount", "gross sales", "bruttobetrag", "brutto",
                     "montant brut", "应付金额", "原价金额", "商品总额", "原价"],
    "discount": ["discount", "disc", "discount amount", "rabatt", "remise", "descuento",
                 "折扣", "优惠", "优惠金额", "折扣金额"],
    "channel": ["channel", "sales channel", "kanal", "vertriebskanal", "canal", "渠道", "销售渠道", "来源渠道"],
    "store_id": ["store", "store id", "store_id", "store no", "shop", "shop id", "outlet", "branch", "filiale",
                 "magasin", "tienda", "门店", "门店编号", "店铺", "店铺编号", "门店id", "网点"],
    "status": ["status", "order status", "state", "bestellstatus", "statut", "estado", "状态", "订单状态"],
    "cost": ["cost", "cogs", "cost of goods", "kosten", "einstandspreis", "coût", "coste", "成本"],
    "original_order_id": ["original order", "original order id", "original invoice", "原订单号", "原单号"],
    "returned_at": ["returned at", "return date", "退货日期", "退货时间"],
    "product_id": ["product_id", "product", "product id", "product code", "product no", "sku", "stockcode",
                   "stock code", "item", "item id", "item code", "item no", "article", "article no", "artikel",
                   "artikelnummer", "ean", "upc", "référence", "ref produit", "code article", "producto",
                   "商品编号", "商品id", "商品代码", "商品编码", "产品编号", "产品id", "产品代码", "货号", "条码",
                   "sku编码"],
    "quantity": ["quantity", "qty", "units", "unit count", "pieces", "number of cds", "number_of_cds", "cds",
                 "menge", "anzahl", "stück", "quantité", "qté", "cantidad", "数量", "件数", "购买数量", "销售数量"],
    "unit_price": ["unit_price", "unit price", "unitprice", "price", "price each", "each", "item price",
                   "sales price", "preis", "einzelpreis", "stückpreis", "prix", "prix unitaire", "precio",
                   "precio unitario", "单价", "价格", "售价", "销售单价", "成交价"],
    "line_no": ["line", "line no", "line_no", "line number", "position", "pos", "行号", "明细行号"],
    # people
    "email": ["email", "e-mail", "email address", "e-mail address", "mail", "courriel", "correo",
              "邮箱", "电子邮件", "电子邮箱", "邮件地址"],
    "phone": ["phone", "phone number", "telephone", "tel", "mobile", "mobile phone", "mobile number", "cell",
              "cell phone", "handy", "telefon", "telefonnummer", "téléphone", "portable", "teléfono", "móvil",
              "手机", "手机号", "手机号码", "电话", "联系电话", "移动电话"],
    "first_name": ["first name", "firstname", "given name", "forename", "vorname", "prénom", "nombre", "名"],
    "last_name": ["last name", "lastname", "surname", "family name", "nachname", "nom", "apellido", "姓"],
    "full_name": ["name", "full name", "customer name", "client name", "member name", "contact name",
                  "nom complet", "客户姓名", "姓名", "客户名称", "会员姓名", "顾客姓名", "联系人"],
    "gender": ["gender", "sex", "geschlecht", "sexe", "género", "sexo", "性别"],
    "birth_date": ["birth date", "birthdate", "date of birth", "dob", "birthday", "geburtsdatum",
                   "date de naissance", "fecha de nacimiento", "出生日期", "生日"],
    "street": ["street", "address", "address line 1", "address1", "street address", "strasse", "straße",
               "adresse", "dirección", "地址", "街道", "详细地址", "联系地址"],
    "postal_code": ["postal code", "postcode", "zip", "zip code", "zipcode", "plz", "postleitzahl", "code postal",
                    "código postal", "邮编", "邮政编码"],
    "city": ["city", "town", "ort", "stadt", "ville", "ciudad", "城市", "所在城市"],
    "signup_date": ["signup date", "sign up date", "registration date", "registered", "registered at",
                    "created", "join date", "joined", "member since", "first seen", "anmeldedatum",
                    "date d'inscription", "注册日期", "注册时间", "入会日期", "开卡日期"],
    "acquisition_channel": ["acquisition channel", "source", "lead source", "signup channel", "注册渠道", "来源"],
    "acquisition_cost": ["acquisition cost", "cac", "获客成本"],
    "is_test": ["is test", "test account", "test"],
    "is_staff": ["is staff", "staff", "employee", "员工"],
    "deceased": ["deceased", "已故"],
    "gone_away": ["gone away", "goneaway", "moved", "地址无效"],
    "email_consent": ["email consent", "email opt in", "email optin", "newsletter", "邮件订阅", "邮件许可"],
    "sms_consent": ["sms consent", "sms opt in", "sms optin", "短信订阅", "短信许可"],
    "phone_consent": ["phone consent", "phone opt in", "电话许可"],
    "mail_consent": ["mail consent", "post consent", "direct mail consent", "直邮许可"],
    # products
    "name": ["name", "product name", "item name", "description", "product description", "title", "bezeichnung",
             "artikelbezeichnung", "libellé", "désignation", "descripción", "商品名称", "品名", "产品名称", "商品名",
             "描述"],
    "category": ["category", "department", "product category", "kategorie", "warengruppe", "catégorie",
                 "categoría", "类别", "品类", "分类", "类目", "商品类别"],
    "subcategory": ["subcategory", "sub category", "product type", "unterkategorie", "sous catégorie",
                    "子类", "小类", "子类目"],
    "unit_cost": ["unit cost", "cost", "cost price", "purchase price", "einkaufspreis", "prix d'achat",
                  "成本", "进价", "成本价"],
    "list_price": ["list price", "price", "rrp", "msrp", "retail price", "listenpreis", "prix de vente",
                   "标价", "售价", "零售价", "吊牌价"],
    # campaigns, contacts, responses, events, consents
    "campaign_id": ["campaign", "campaign id", "campaign_id", "campaign code", "kampagne", "campagne",
                    "活动编号", "活动id", "营销活动", "活动代码", "活动"],
    "offer": ["offer", "promotion", "angebot", "offre", "优惠内容", "促销"],
    "start_date": ["start date", "start", "begin", "from", "开始日期", "开始时间"],
    "end_date": ["end date", "end", "until", "to", "结束日期", "结束时间"],
    "cost_per_contact": ["cost per contact", "unit cost", "cpc", "单位成本"],
    "fixed_cost": ["fixed cost", "setup cost", "固定成本"],
    "segment": ["segment", "target segment", "细分", "客群"],
    "cell": ["cell", "test cell", "version", "variant", "单元", "版本"],
    "group": ["group", "test group", "treatment", "control", "组别", "分组"],
    "contact_ts": ["contact date", "contact ts", "sent at", "send date", "mailing date", "mail date",
                   "contacted at", "发送日期", "发送时间", "联系日期"],
    "response_ts": ["response date", "response ts", "responded at", "redemption date", "redeemed at",
                    "响应日期", "核销日期", "兑换日期"],
    "revenue": ["revenue", "response revenue", "sales", "amount", "响应金额", "收入"],
    "event": ["event", "event type", "activity", "action", "type", "事件", "事件类型"],
    "event_ts": ["event ts", "event time", "event date", "timestamp", "time", "date", "事件时间", "时间"],
    "updated_at": ["updated at", "updated", "date", "changed at", "consent date", "opt in date", "更新时间",
                   "日期"],
    "households": ["households", "家庭数"],
    "population": ["population", "人口"],
    "median_income": ["median income", "income", "收入中位数"],
}

# what the values of a column may be for each canonical column type
KIND_FITS = {
    "id": {"id", "int", "code"},
    "text": {"text", "code", "id", "int", "email", "phone"},
    "date": {"date", "datetime"},
    "timestamp": {"date", "datetime"},
    "money": {"decimal", "int"},
    "number": {"decimal", "int"},
    "int": {"int"},
    "bool": {"bool", "int"},
    "enum": {"text", "code", "bool"},
}


def _norm(name) -> str:
    """A header without case, spaces and punctuation (CJK kept): 'Invoice No.' → 'invoiceno'."""
    s = str(name).strip().lower().replace("ß", "ss")
    return re.sub(r"[\s_\-./()#°:：（）\[\]'’`\"]+", "", s)


_SYN_NORM = {canon: {_norm(x) for x in names} for canon, names in HEADER_SYNONYMS.items()}


# ------------------------------------------------------------------------------------------------ value profiles
_RE_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_RE_DATE_YMD = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?)?")
_RE_DATE_XXY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})(?:[ T](\d{1,2}):(\d{2})(?::\d{2})?)?$")
_RE_DATE_CN = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日(?:\s*(\d{1,2}):(\d{2})(?::\d{2})?)?$")
_RE_DATE_COMPACT = re.compile(r"^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$")
_RE_DATE_WORDS = re.compile(r"^\d{1,2}[ -][A-Za-z]{3,9}[ -]\d{4}$|^[A-Za-z]{3,9} \d{1,2}, \d{4}$")
_CODES = r"(?:USD|EUR|GBP|CNY|RMB|JPY|CHF|HKD|AUD|CAD|SGD)"
_RE_NUMBER = re.compile(r"^[(\-+]?\s*(?:[$€£¥￥]|" + _CODES + r")?\s*-?\d[\d.,\s']*\)?\s*(?:[$€£¥￥元]|" + _CODES + r")?$")
_RE_PHONE = re.compile(r"^(?:\+|00)?[\d\s\-().]{7,22}$")
_RE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-./]{0,30}$")
_TRUE_FALSE = {"y", "n", "yes", "no", "true", "false", "t", "f", "是", "否", "0", "1", "opt_in", "opt_out", "x"}
_CURRENCY_MARKS = [("CNY", ("¥", "￥", "元", "RMB", "CNY")), ("EUR", ("€", "EUR")), ("GBP", ("£", "GBP")),
                   ("JPY", ("JPY",)), ("USD", ("$", "USD"))]


def _parse_number(v: str, decimal_comma: bool) -> float | None:
    s = re.sub(r"[$€£¥￥元\s']|" + _CODES, "", v)
    neg = s.startswith("(") and s.endswith(")")
    s = s.strip("()")
    if decimal_comma:
        s = s.replace(".", "").replace(",", ".")
    else:
        s = s.replace(",", "")
    try:
        x = float(s)
    except ValueError:
        return None
    return -x if neg else x


def _is_phone(v: str) -> bool:
    if not _RE_PHONE.match(v):
        return False
    digits = re.sub(r"\D", "", v)
    if not 8 <= len(digits) <= 15:
        return False
    # a plain run of digits is an id or an amount unless it looks like a mobile number
    if re.fullmatch(r"\d+", v):
        return bool(re.fullmatch(r"1[3-9]\d{9}", v) or (v.startswith("0") and len(v) >= 10))
    if re.fullmatch(r"-?\d+[.,]\d+", v):
        return False
    return True


def _date_parts(v: str):
    """(kind, first, second) for slash dates; ('ymd', …) for ISO/Chinese; None when not a date."""
    m = _RE_DATE_YMD.match(v)
    if m and 1 <= int(m.group(2)) <= 12 and 1 <= int(m.group(3)) <= 31:
        return ("ymd", None, None, m.group(4) is not None)
    m = _RE_DATE_CN.match(v)
    if m and 1 <= int(m.group(2)) <= 12:
        return ("cn", None, None, m.group(4) is not None)
    m = _RE_DATE_XXY.match(v)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        if 1 <= a <= 31 and 1 <= b <= 31 and (a <= 12 or b <= 12):
            sep = re.search(r"[-/.]", v).group(0)
            return ("xxy" + sep + ("4" if len(m.group(3)) == 4 else "2"), a, b, m.group(4) is not None)
    if _RE_DATE_COMPACT.match(v):
        return ("compact", None, None, False)
    if _RE_DATE_WORDS.match(v):
        return ("words", None, None, False)
    return None


@dataclass
class ColumnProfile:
    column: str
    kind: str                 # date, datetime, int, decimal, id, code, email, phone, bool, text, empty
    non_null: int
    distinct: int
    unique_ratio: float       # distinct / non-null
    examples: list
    decimal_comma: bool = False
    negative_share: float = 0.0
    median: float | None = None
    max_abs: float | None = None
    date_format: str | None = None
    date_note: str = ""
    letter_prefix: str | None = None     # a letter that starts a minority of otherwise numeric ids ('C')
    letter_prefix_share: float = 0.0
    currency: str | None = None
    cjk_share: float = 0.0
    top_values: list = field(default_factory=list)    # the most frequent values (for enums such as status)


def _profile(name: str, values: pd.Series) -> ColumnProfile:
    vals = [str(v).strip() for v in values.dropna().tolist()]
    vals = [v for v in vals if v and v.lower() not in ("nan", "null", "none", "n/a", "na", "-", "nat")]
    n = len(vals)
    distinct = len(set(vals))
    ex = list(dict.fromkeys(vals))[:3]
    p = ColumnProfile(column=str(name), kind="empty", non_null=n, distinct=distinct,
                      unique_ratio=(distinct / n) if n else 0.0, examples=ex)
    if not n:
        return p
    if distinct <= 50:
        p.top_values = pd.Series(vals).value_counts().index[:20].tolist()
    p.cjk_share = sum(bool(re.search(r"[\u4e00-\u9fff]", v)) for v in vals) / n

    def share(pred) -> float:
        return sum(1 for v in vals if pred(v)) / n

    if share(lambda v: bool(_RE_EMAIL.match(v))) >= 0.8:
        p.kind = "email"
        return p
    parts = [_date_parts(v) for v in vals]
    if sum(x is not None for x in parts) / n >= 0.9:
        ok = [x for x in parts if x is not None]
        p.kind = "datetime" if sum(x[3] for x in ok) / len(ok) >= 0.5 else "date"
        kinds = pd.Series([x[0] for x in ok]).value_counts()
        main = kinds.index[0]
        if main == "compact":
            p.date_format = "%Y%m%d"
        elif main == "cn":
            p.date_format = "%Y年%m月%d日"
        elif main.startswith("xxy"):
            sep, year = main[3], main[4]
            first_big = sum(1 for x in ok if x[0] == main and x[1] > 12)
            second_big = sum(1 for x in ok if x[0] == main and x[2] > 12)
            y = "%Y" if year == "4" else "%y"
            if second_big and not first_big:
                p.date_format = f"%m{sep}%d{sep}{y}"
                p.date_note = "month first (a second number above 12 occurs)"
            elif first_big and not second_big:
                p.date_format = f"%d{sep}%m{sep}{y}"
                p.date_note = "day first (a first number above 12 occurs)"
            else:
                p.date_format = f"%d{sep}%m{sep}{y}"
                p.date_note = ("AMBIGUOUS: no day above 12 in the sample, day-first assumed; "
                               f"use %m{sep}%d{sep}{y} if the dates are month-first")
            if p.kind == "datetime":
                p.date_format += " %H:%M"
        return p
    if share(_is_phone) >= 0.8:
        p.kind = "phone"
        return p
    if share(lambda v: v.lower() in _TRUE_FALSE) >= 0.95 and distinct <= 4 and not share(
            lambda v: v in ("0", "1")) == 1.0:
        p.kind = "bool"
        return p
    num_like = [v for v in vals if _RE_NUMBER.match(v)]
    if len(num_like) / n >= 0.95:
        bare = [re.sub(r"[^\d.,\-]", "", v) for v in num_like]
        comma_dec = sum(1 for v in bare if re.search(r",\d{1,2}$", v) or re.fullmatch(r"-?\d{1,3}(\.\d{3})+,\d+", v))
        dot_dec = sum(1 for v in bare if re.search(r"\.\d{1,2}$", v) or re.fullmatch(r"-?\d{1,3}(,\d{3})+\.\d+", v))
        p.decimal_comma = comma_dec > dot_dec
        nums = [_parse_number(v, p.decimal_comma) for v in num_like]
        nums = [x for x in nums if x is not None]
        if len(nums) / n >= 0.95:
            arr = np.array(nums, dtype=float)
            p.negative_share = float((arr < 0).mean())
            p.median = float(np.median(arr))
            p.max_abs = float(np.abs(arr).max())
            is_int = bool(np.all(np.isclose(arr, np.round(arr))))
            has_dec_text = any(re.search(r"[.,]\d{1,2}\)?\s*\D*$", v) and not re.search(r"\.0+$", v) for v in num_like)
            for code, marks in _CURRENCY_MARKS:
                if any(m in v for v in num_like[:200] for m in marks):
                    p.currency = code
                    break
            if is_int and not has_dec_text:
                # long integers that never repeat much and are never negative are ids, not quantities
                p.kind = "id" if (p.median is not None and abs(p.median) >= 1000 and p.negative_share == 0
                                  and all(re.fullmatch(r"\d+(\.0+)?", v) for v in num_like)) else "int"
            else:
                p.kind = "decimal"
            return p
    # ids with a letter prefix on a minority (Online Retail's cancellations: C536379)
    m = [re.fullmatch(r"([A-Za-z])(\d+)", v) for v in vals]
    lp = pd.Series([x.group(1) for x in m if x]).value_counts()
    if share(lambda v: bool(re.fullmatch(r"[A-Za-z]?\d+", v))) >= 0.95 and len(lp):
        p.kind = "id"
        if lp.iloc[0] / n < 0.5:
            p.letter_prefix, p.letter_prefix_share = str(lp.index[0]), float(lp.iloc[0] / n)
        return p
    if share(lambda v: bool(_RE_CODE.match(v))) >= 0.95 and max(len(v) for v in vals) <= 24:
        p.kind = "code"
        return p
    p.kind = "text"
    return p


def profile_columns(df: pd.DataFrame) -> pd.DataFrame:
    """One row per column of ``df`` (text as read from a file): the kind of values, distinct count, examples.

    Kinds: ``date``, ``datetime``, ``int``, ``decimal``, ``id`` (long integer keys, or numbers with a letter
    prefix), ``code`` (short alphanumeric keys such as SKUs), ``email``, ``phone``, ``bool``, ``text``, ``empty``.

    >>> df = pd.DataFrame({"d": ["2024-01-05", "2024-02-01"], "a": ["12,50", "3,00"], "e": ["a@x.com", "b@y.org"]})
    >>> profile_columns(df)[["column", "kind", "decimal_comma"]].values.tolist()
    [['d', 'date', False], ['a', 'decimal', True], ['e', 'email', False]]
    """
    rows = [_profile(c, df[c]).__dict__ for c in df.columns]
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------------ mapping guesses
SALES_TABLES = ("orders", "sales_lines")
# the tables a draft may propose, in the order they are tried when scores tie
GUESSABLE = ("sales_lines", "orders", "order_items", "customers", "products", "campaigns", "contacts",
             "responses", "consents", "email_events", "sms_events", "area_demographics")


@dataclass
class Guess:
    canonical: str
    column: str
    score: float
    why: str


@dataclass
class SourceDraft:
    """The draft for one file: detected settings, the table it feeds, the mapping and notes."""
    path: str
    info: dict
    table: str
    table_why: str
    columns: dict[str, str]
    guesses: list[Guess]
    unplaced: list[tuple[str, str]]          # (column, description)
    missing: list[str]                        # required canonical columns not found
    notes: list[str] = field(default_factory=list)
    decimal: str = "."
    date_format: str | None = None
    date_note: str = ""
    currency: str | None = None
    language: str | None = None
    rows: int = 0
    profiles: pd.DataFrame | None = None


def _header_score(canon: str, header: str) -> tuple[float, str]:
    h = _norm(header)
    syn = _SYN_NORM.get(canon, set())
    if not h:
        return 0.0, ""
    if h == _norm(canon) or h in syn:
        return 1.0, f"the header '{header}' is a usual name for {canon}"
    # a synonym inside the header ("Invoice Date (UTC)", "订单金额(元)"): only synonyms of 4+ letters (2+ for CJK)
    best = 0.0
    for s in syn:
        long_enough = len(s) >= 4 or (re.search(r"[\u4e00-\u9fff]", s) and len(s) >= 2)
        if long_enough and (s in h):
            best = max(best, 0.55 + 0.3 * len(s) / max(len(h), 1))
    if best:
        return min(best, 0.85), f"the header '{header}' contains a usual name for {canon}"
    return 0.0, ""


_STRICT_ENUMS = {"order_status", "consent_channel", "consent_status", "contact_group", "email_event", "sms_event",
                 "gender"}


def _enum_share(enum: str, prof: ColumnProfile) -> float:
    """Share of the column's frequent values that are known values (or synonyms) of ``enum``."""
    if not prof.top_values:
        return 0.0
    syn = schema.SYNONYMS[enum]
    key = [str(v).strip().lower().replace("-", "_").replace(" ", "_") for v in prof.top_values]
    known = {k.replace("-", "_").replace(" ", "_") for k in syn}
    return sum(k in known for k in key) / len(key)


def _fits(canon_type: str, canon: str, prof: ColumnProfile, enum: str | None = None) -> bool:
    if prof.kind == "empty":
        return False
    if enum in _STRICT_ENUMS and _enum_share(enum, prof) < 0.5:
        return False
    if canon == "email":
        return prof.kind == "email"
    if canon == "phone":
        return prof.kind in ("phone", "int", "id", "code")
    if canon in ("quantity",):
        return prof.kind in ("int", "decimal")
    return prof.kind in KIND_FITS.get(canon_type, {"text"})


def _value_note(prof: ColumnProfile) -> str:
    ex = ", ".join(repr(x) for x in prof.examples[:2])
    what = {"date": "dates", "datetime": "dates with times", "int": "whole numbers", "decimal": "amounts",
            "id": "ids", "code": "codes", "email": "e-mail addresses", "phone": "phone numbers", "bool": "yes/no flags",
            "text": "text"}.get(prof.kind, prof.kind)
    extra = ""
    if prof.kind in ("int", "decimal") and prof.negative_share:
        extra = f"; {100 * prof.negative_share:.1f} % negative"
    if prof.letter_prefix and prof.letter_prefix_share < 0.5:
        extra = f"; {100 * prof.letter_prefix_share:.1f} % start with '{prof.letter_prefix}'"
    return f"values are {what} (e.g. {ex}){extra}"


def _map_table(table: str, profiles: dict[str, ColumnProfile]) -> tuple[dict[str, Guess], float]:
    """Header-and-value mapping of the file's columns onto ``table``; returns guesses and a fit score."""
    cols = {c.name: c for c in schema.source_columns(table)}
    cand = []
    for canon, col in cols.items():
        for src, prof in profiles.items():
            hs, why = _header_score(canon, src)
            if hs <= 0:
                continue
            if not _fits(col.type, canon, prof, col.enum):
                continue
            cand.append(Guess(canon, src, hs, f"{why}; {_value_note(prof)}"))
    cand.sort(key=lambda g: (-g.score, list(cols).index(g.canonical)))
    chosen: dict[str, Guess] = {}
    used: set[str] = set()
    for g in cand:
        if g.canonical in chosen or g.column in used:
            continue
        chosen[g.canonical] = g
        used.add(g.column)
    _fill_by_values(table, profiles, chosen, used)
    required = _required(table)
    if table == "orders":          # one of the two amounts is required
        required += ["net_amount"] if "net_amount" in chosen else ["gross_amount"]
    got = set(chosen)
    score = sum(2 * g.score for c, g in chosen.items() if c in required) + \
        sum(0.5 * g.score for c, g in chosen.items() if c not in required)
    missing = [r for r in required if r not in got]
    score -= 2.5 * len(missing)
    return chosen, score


def _id_like_header(name: str) -> bool:
    """Headers that name a key ('campaign_id', 'Kunden-Nr', '客户编号'): their numbers are never amounts."""
    h = _norm(name)
    return bool(re.search(r"(id|key|code|nr|no|number|num|编号|号|代码|编码)$", h)) or h in ("upc", "ean", "sku")


def _required(table: str) -> list[str]:
    """Canonical columns a source of ``table`` must map (an order file may leave out order_id: ingest then numbers
    its rows, one order per row)."""
    return [c for c in schema.REQUIRED_MAPPING.get(table, []) if not (table == "orders" and c == "order_id")]


def _fill_by_values(table: str, profiles: dict[str, ColumnProfile], chosen: dict[str, Guess], used: set) -> None:
    """Place required columns of ``table`` that no header named, from what the values look like."""
    free = {k: p for k, p in profiles.items() if k not in used and p.kind != "empty"}
    numbers = {k for k in free if not _id_like_header(k)}       # 'campaign_id' holds numbers, not amounts

    need = set(schema.REQUIRED_MAPPING.get(table, []))
    if table in ("orders", "sales_lines"):
        need |= {"customer_id", "order_ts"}
    if table == "orders" and "gross_amount" not in chosen:
        need.add("net_amount")
    # dates first: the first date column with times, else the first date column
    if "order_ts" in need or "response_ts" in need or "event_ts" in need or "updated_at" in need:
        target = next(c for c in ("order_ts", "response_ts", "event_ts", "updated_at") if c in need)
        dates = sorted([(k, p) for k, p in free.items() if p.kind in ("date", "datetime")],
                       key=lambda kp: (kp[1].kind != "datetime"))
        if dates and target not in chosen:
            k, p = dates[0]
            chosen[target] = Guess(target, k, 0.4, f"guessed from the values: the {'only' if len(dates) == 1 else 'first'} "
                                                   f"date column; {_value_note(p)}")
            used.add(k)
            free.pop(k)
    # numbers: quantities are small whole numbers, amounts have decimals
    if "quantity" in need and "quantity" not in chosen:
        qs = [(k, p) for k, p in free.items() if k in numbers and p.kind == "int" and p.median is not None
              and abs(p.median) <= 50 and (p.max_abs or 0) < 100_000]
        if qs:
            k, p = min(qs, key=lambda kp: abs(kp[1].median or 0))
            chosen["quantity"] = Guess("quantity", k, 0.4, f"guessed from the values: small whole numbers; {_value_note(p)}")
            used.add(k)
            free.pop(k)
    for canon in ("unit_price", "net_amount"):
        if canon in need and canon not in chosen:
            am = [(k, p) for k, p in free.items() if k in numbers and p.kind == "decimal"] or \
                 [(k, p) for k, p in free.items() if k in numbers and p.kind == "int" and (p.median or 0) > 0]
            if am:
                # the order amount is the larger one (a gross or tax column aside); a unit price the first one
                k, p = (max(am, key=lambda kp: kp[1].median or 0) if canon == "net_amount" else am[0])
                chosen[canon] = Guess(canon, k, 0.4, f"guessed from the values: amounts; {_value_note(p)}")
                used.add(k)
                free.pop(k)
    # keys: an order id is (nearly) unique per order, repeats on invoice lines; a customer id repeats more
    ids = [(k, p) for k, p in free.items() if p.kind in ("id", "int", "code") and p.distinct >= 2
           and not (p.kind == "int" and (p.max_abs or 0) < 100 and p.distinct < 20)]
    ids_unique = []
    if table == "orders":
        need.add("order_id")
        ids_unique = [kp for kp in ids if kp[1].unique_ratio >= 0.95]     # an order id is unique per row
    if "order_id" in need and "order_id" not in chosen and (ids_unique if table == "orders" else ids):
        if table == "orders":
            k, p = max(ids_unique, key=lambda kp: kp[1].unique_ratio)
        else:
            k, p = max(ids, key=lambda kp: (kp[1].kind != "code", kp[1].letter_prefix is not None, kp[1].distinct))
        chosen["order_id"] = Guess("order_id", k, 0.35, f"guessed from the values: "
                                                      f"{100 * p.unique_ratio:.0f} % distinct ids; {_value_note(p)}")
        used.add(k)
        free.pop(k)
        ids = [(a, b) for a, b in ids if a != k]
    if "product_id" in need and "product_id" not in chosen and ids:
        codes = [kp for kp in ids if kp[1].kind == "code"] or ids
        k, p = codes[0]
        chosen["product_id"] = Guess("product_id", k, 0.35, f"guessed from the values: product codes; {_value_note(p)}")
        used.add(k)
        free.pop(k)
        ids = [(a, b) for a, b in ids if a != k]
    if "customer_id" in need and "customer_id" not in chosen and ids:
        rep = [kp for kp in ids if kp[1].unique_ratio < 0.95] or ids
        k, p = min(rep, key=lambda kp: kp[1].unique_ratio)
        chosen["customer_id"] = Guess("customer_id", k, 0.35, f"guessed from the values: ids that repeat "
                                                            f"({p.distinct:,} distinct); {_value_note(p)}")
        used.add(k)
        free.pop(k)


def _choose_table(profiles: dict[str, ColumnProfile]) -> tuple[str, dict[str, Guess], str]:
    """The table a file feeds: invoice lines and orders need real evidence (named columns, an amount); otherwise
    the table whose mapping scores best."""
    maps = {t: _map_table(t, profiles) for t in GUESSABLE}
    lines, lscore = maps["sales_lines"]
    orders, oscore = maps["orders"]
    others = max(score for t, (_, score) in maps.items() if t not in SALES_TABLES)
    has = set(lines)
    named = sum(1 for c in ("product_id", "quantity", "unit_price") if c in lines and lines[c].score >= 0.55)
    line_shape = {"product_id", "quantity", "unit_price"} <= has and "order_ts" in has and named >= 2
    if line_shape and lscore >= others:
        oid = lines.get("order_id")
        rep = profiles[oid.column].unique_ratio if oid else 1.0
        why = ("one row per invoice line: product, quantity and unit price"
               + (f"; an order id repeats over lines ({100 * rep:.0f} % distinct)" if oid and rep < 1 else ""))
        return "sales_lines", lines, why
    amount = orders.get("net_amount") or orders.get("gross_amount")
    if "order_ts" in orders and amount is not None and oscore >= others and (
            amount.score >= 0.55 or profiles[amount.column].kind == "decimal"):
        return "orders", orders, "one row per order: a date and an order amount"
    best = max(GUESSABLE, key=lambda t: (maps[t][1], -GUESSABLE.index(t)))
    return best, maps[best][0], "the columns fit this table best"


def draft_source(path: str | os.PathLike, sample_rows: int = 5000, **detect) -> SourceDraft:
    """Detect the format of one file and draft its mapping: the table it feeds, canonical → file column.

    Returns a :class:`SourceDraft` with ``table``, ``columns`` (the mapping), ``guesses`` (each with its reason),
    ``unplaced`` columns and the ``missing`` required ones.
    """
    from .ingest import IngestError, detect_file, read_table_preview

    path = Path(path)
    if not path.exists():
        raise IngestError(f"file not found: {path}", file=str(path), fix="check the path of the file")
    info = detect_file(path, **detect)
    try:
        sample = read_table_preview(path, n=sample_rows, **detect)
    except IngestError:
        raise
    except Exception as e:  # noqa: BLE001 - report what could not be read, never a deep traceback
        raise IngestError(f"cannot read a preview of the file ({type(e).__name__}: {str(e).splitlines()[0]})",
                          file=str(path), fix="open the file to check it is a table; export it as CSV or Excel") from None
    for c in list(sample.columns):
        if c.startswith("_"):
            sample = sample.drop(columns=c)
    profiles = {c: _profile(c, sample[c]) for c in sample.columns}
    table, chosen, why = _choose_table(profiles)
    columns = {c.name: chosen[c.name].column for c in schema.source_columns(table) if c.name in chosen}
    required = _required(table)
    missing = [r for r in required if r not in columns]
    if table == "orders" and not ({"net_amount", "gross_amount"} & set(columns)):
        missing.append("net_amount")
    used = set(columns.values())
    unplaced = []
    for c, p in profiles.items():
        if c in used:
            continue
        unplaced.append((c, _unplaced_note(c, p, table)))
    draft = SourceDraft(path=str(path), info=info, table=table, table_why=why, columns=columns,
                        guesses=[chosen[k] for k in columns], unplaced=unplaced, missing=missing,
                        rows=len(sample), profiles=pd.DataFrame([p.__dict__ for p in profiles.values()]))
    mapped = [profiles[s] for s in columns.values()]
    if any(p.decimal_comma for p in mapped if p.kind in ("decimal", "int")):
        draft.decimal = ","
    dates = [profiles[columns[c]] for c in ("order_ts",) if c in columns] or \
        [p for p in mapped if p.kind in ("date", "datetime")]
    if dates and dates[0].date_format:
        draft.date_format = dates[0].date_format
        draft.date_note = dates[0].date_note
    cur = [p.currency for p in mapped if p.currency]
    draft.currency = cur[0] if cur else None
    cjk_headers = sum(bool(re.search(r"[\u4e00-\u9fff]", str(c))) for c in profiles) / max(len(profiles), 1)
    cjk_values = max([p.cjk_share for p in profiles.values()] or [0])
    draft.language = "zh" if cjk_headers >= 0.5 or cjk_values >= 0.5 else None
    _notes(draft, profiles)
    return draft


def _unplaced_note(col: str, p: ColumnProfile, table: str) -> str:
    hints = []
    for other in ("customers", "products"):
        if other == table:
            continue
        for c in schema.source_columns(other):
            if c.name in ("customer_id", "product_id"):
                continue
            hs, _ = _header_score(c.name, col)
            if hs >= 0.85 and _fits(c.type, c.name, p, c.enum):
                hints.append(f"a {other} file could use it as `{c.name}`")
                break
    if p.kind in ("email", "phone"):
        hints.append("personal data: map it in a `customers` source (then it is cleaned, matched and masked in reports)")
    desc = _value_note(p) if p.kind != "empty" else "empty in the sample"
    if p.kind == "text" and p.distinct <= 30:
        desc += f"; {p.distinct} distinct value(s)"
    return desc + ("; " + "; ".join(hints) if hints else "; no canonical column: ignored")


def _people_column(col: str, d: SourceDraft) -> str | None:
    """The customers column an unplaced column of a sales file would feed (names, e-mails, phones …)."""
    prof = d.profiles.set_index("column").loc[col] if d.profiles is not None else None
    for c in schema.source_columns("customers"):
        if c.name == "customer_id":
            continue
        hs, _ = _header_score(c.name, col)
        if hs >= 0.85 and (prof is None or _fits(c.type, c.name, _as_profile(prof, col), c.enum)):
            return c.name
    return None


def _as_profile(row: pd.Series, col: str) -> ColumnProfile:
    d = row.to_dict()
    d["column"] = col
    return ColumnProfile(**d)


def _notes(d: SourceDraft, profiles: dict[str, ColumnProfile]) -> None:
    cols = d.columns
    if d.table == "sales_lines":
        q = profiles.get(cols.get("quantity", ""), None)
        oid = profiles.get(cols.get("order_id", ""), None)
        if oid is not None and oid.letter_prefix:
            d.notes.append(f"order ids starting with '{oid.letter_prefix}' ({100 * oid.letter_prefix_share:.1f} % of the "
                           f"lines) look like cancellations; lines with negative quantities become returns in the build")
        elif q is not None and q.negative_share:
            d.notes.append(f"{100 * q.negative_share:.1f} % of the lines have negative quantities: the build treats "
                           "them as returns (negative revenue)")
        for c, p in profiles.items():
            if c not in cols.values() and p.kind == "decimal" and _header_score("net_amount", c)[0] > 0:
                d.notes.append(f"'{c}' looks like a line total; the build computes quantity × unit price itself")
        up = cols.get("unit_price")
        if up and _header_score("unit_price", up)[0] == 0 and _header_score("net_amount", up)[0] > 0:
            d.notes.append(f"CHECK: unit_price ← '{up}', which is named like a line total. If it is quantity × price, "
                           f"map unit_price to a price column, or keep it and set `constants: {{quantity: 1}}` "
                           f"(revenue right, unit counts lost)")
    cid = profiles.get(cols.get("customer_id", ""), None)
    if cid is not None and d.rows:
        missing = 1 - cid.non_null / d.rows
        if missing > 0.001:
            d.notes.append(f"{100 * missing:.1f} % of the rows have no customer id: they are kept as anonymous sales "
                           "(counted in revenue, left out of customer analysis)")
    if d.table == "orders" and "order_id" not in cols:
        d.notes.append("no order id found: each row is taken as one order and numbered by its row in the file; "
                       "map `order_id` if the file has one")
    if d.table in SALES_TABLES and "customer_id" not in cols:
        d.notes.append("no customer id found: without it no customer analysis is possible; map the column that "
                       "identifies the buyer (member card, account, e-mail …)")
    if d.date_note.startswith("AMBIGUOUS"):
        d.notes.append("dates: " + d.date_note)
    for m in d.missing:
        d.notes.append(f"required column `{m}` of {d.table} not found: map it by hand under `columns:`")


# ------------------------------------------------------------------------------------------------ YAML draft
def _y(v) -> str:
    """A YAML scalar (JSON strings are valid YAML and keep Chinese readable)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(str(v), ensure_ascii=False)


def _comment(text: str, width: int = 110, indent: str = "") -> list[str]:
    import textwrap
    return [f"{indent}# {ln}" for ln in textwrap.wrap(text, width=width - len(indent) - 2)] or [f"{indent}#"]


_REGION = {"CNY": "CN", "EUR": "DE", "GBP": "GB", "USD": "US", "JPY": "JP"}


def draft_config(name: str, files: list, directory: str | os.PathLike = "clients") -> tuple[str, list[SourceDraft]]:
    """The YAML text of a commented client config for ``files`` (written into ``directory``) and the drafts."""
    directory = Path(directory).resolve()
    drafts = [draft_source(f) for f in files]
    if not any(d.table in SALES_TABLES for d in drafts):
        found = ", ".join(f"{Path(d.path).name} → {d.table}" for d in drafts)
        from .ingest import IngestError
        raise IngestError(f"none of the files looks like a sales file ({found})",
                          fix="give at least one file with one row per order (order id, customer, date, amount) or "
                              "per invoice line (order id, customer, date, product, quantity, unit price)")
    language = "zh" if any(d.language == "zh" for d in drafts) else "en"
    cur = next((d.currency for d in drafts if d.currency), None) or ("CNY" if language == "zh" else "USD")
    cur_why = ("found in the amounts" if any(d.currency for d in drafts) else
               "Chinese headers" if language == "zh" else "default; change it if the amounts are in another currency")
    now = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    out = [f"# Client config drafted by `dbmkit new-client` on {now} from {len(files)} file(s).",
           "# Every guess is commented: check the mapping (canonical column: column in the file), then run",
           f"#     dbmkit check {_rel(directory / (name + '.yaml'))}",
           "# and fix what it reports. Every field is explained in docs/CONFIG.md.",
           f"client: {name}",
           f"title: {_y(name.replace('_', ' ').replace('-', ' ').title() + (' — 数据库营销报告' if language == 'zh' else ' — database marketing report'))}",
           f"language: {language}           # en or zh (Chinese headings, labels and charts)"
           + ("; guessed from the headers" if language == "zh" else ""),
           f"currency: {cur}           # {cur_why}",
           "# analysis_date: 2024-12-31   # the as-of date of the analysis; default: the last day with orders",
           "data:",
           f"  default_phone_region: {_REGION.get(cur, 'US')}   # country of phone numbers written without +<country code>",
           "  sources:"]
    by_table: dict[str, list[SourceDraft]] = {}
    for d in drafts:
        by_table.setdefault(d.table, []).append(d)
    for table, ds in by_table.items():
        out.append(f"    {table}:")
        for d in ds:
            out += _source_yaml(d, directory)
    costs = any("cost" in d.columns or "unit_cost" in d.columns for d in drafts)
    out += ["economics:",
            "  gross_margin: 0.40       # " + ("used only where costs are missing" if costs else
                                              "no product costs in the files: margin = revenue × gross_margin; "
                                              "set the client's real margin"),
            "  # cost_per_contact: {email: 0.02, sms: 0.06, mail: 0.85, phone: 4.50}",
            "report:",
            "  phases: null             # all chapters; e.g. ['1', '2'] for phases 1–2. Chapters whose inputs are "
            "missing are skipped with a note"]
    missing_tables = [t for t in ("customers", "consents", "campaigns", "contacts", "email_events")
                      if t not in by_table]
    if missing_tables:
        out += ["", "# Not provided yet (the report skips or simplifies the chapters that need them):"]
        hints = {"customers": "customers — names, e-mails, phones, addresses: merge/purge, households, contactability",
                 "consents": "consents — opt-in/opt-out per channel: who may be contacted",
                 "campaigns": "campaigns — past campaigns with costs: response models",
                 "contacts": "contacts — who was mailed and who was held out: lift over control",
                 "email_events": "email_events — sends, opens, clicks: e-mail KPIs"}
        out += [f"#   {hints[t]}" for t in missing_tables]
    return "\n".join(out) + "\n", drafts


def _rel(p: Path) -> str:
    try:
        r = os.path.relpath(p, Path.cwd())
    except ValueError:
        return str(p)
    return str(p) if r.startswith(".." + os.sep + "..") else r


def _path_for(d: SourceDraft, directory: Path) -> str:
    p = Path(d.path).resolve()
    try:
        r = os.path.relpath(p, directory)
    except ValueError:
        return str(p)
    return str(p) if r.count("..") > 2 else r


def _source_yaml(d: SourceDraft, directory: Path) -> list[str]:
    i = d.info
    out = _comment(f"{Path(d.path).name}: {d.table} — {d.table_why}", indent="      ")
    out.append(f"      - path: {_y(_path_for(d, directory))}")
    fmt = i.get("format")
    out.append(f"        format: {fmt}")
    if fmt == "csv":
        enc = i.get("encoding") or "utf-8"
        out.append(f"        encoding: {_y(enc.replace('+mixed', ''))}" + ("    # detected" if enc else ""))
        out.append(f"        delimiter: {_y(i.get('delimiter'))}     # detected")
    if fmt == "excel" and i.get("sheets"):
        out.append(f"        sheet: {_y(i['sheets'][0])}" + (f"    # the workbook also has {i['sheets'][1:]}"
                                                            if len(i["sheets"]) > 1 else ""))
    if fmt in ("csv", "excel"):
        h = i.get("header_row") or 0
        out.append(f"        header_row: {h}" + (f"      # {h} title row(s) above the column names" if h else
                                                 "      # the first row holds the column names"))
    if d.decimal == ",":
        out.append('        decimal: ","        # amounts are written with a decimal comma (1.234,50)')
    if d.date_format:
        note = d.date_note or "detected from the values"
        out.append(f"        date_format: {_y(d.date_format)}   # {note}")
    out.append(f"        source_system: {_y('sales' if d.table in SALES_TABLES else d.table)}")
    out.append("        columns:")
    if not d.columns:
        out.append("          {}")
    for g in d.guesses:
        out.append(f"          {g.canonical}: {_y(g.column)}")
        out += _comment(g.why, indent="            ")
    if d.missing:
        out += _comment("NOT FOUND (required): " + ", ".join(d.missing) + " — add `canonical: column` lines above",
                        indent="          ")
    if d.unplaced:
        out.append("        # columns not placed:")
        for c, note in d.unplaced:
            out += [ln.replace("# ", "#   ", 1) if k else ln.replace("# ", "# - ", 1)
                    for k, ln in enumerate(_comment(f"'{c}': {note}", indent="        "))]
    people = {c: _people_column(c, d) for c, _ in d.unplaced}
    people = {k: v for k, v in people.items() if v}
    if d.table in SALES_TABLES and people and "customer_id" in d.columns:
        out.append("    # customers:   # the file also names the buyers; uncomment to load them as customer records")
        out.append("    #              # (repeated rows of one buyer are quarantined as duplicates; a separate")
        out.append("    #              # customer file is better)")
        out.append(f"    #   - path: {_y(_path_for(d, directory))}")
        for k in ("format", "encoding", "delimiter", "header_row"):
            if d.info.get(k) is not None and not (k == "header_row" and d.info.get("format") == "parquet"):
                out.append(f"    #     {k}: {_y(d.info[k]) if isinstance(d.info[k], str) else d.info[k]}")
        cols = {"customer_id": d.columns["customer_id"], **{v: k for k, v in people.items()}}
        out.append("    #     columns: {" + ", ".join(f"{k}: {_y(v)}" for k, v in cols.items()) + "}")
    for n in d.notes:
        out += _comment("note: " + n, indent="        ")
    return out


def new_client(name: str, files: list, directory: str | os.PathLike = "clients", force: bool = False) -> Path:
    """Write ``directory/NAME.yaml``, a commented draft config for the client's files; returns its path.

    The draft is validated with :func:`dbmkit.config.load_config` before it is written (it never writes a config
    that cannot be read). Raises ``FileExistsError`` when the file exists and ``force`` is False.
    """
    from .config import ConfigError, load_config
    from .ingest import IngestError
    if not files:
        raise IngestError("no files given", fix="dbmkit new-client NAME sales.csv [customers.xlsx …]")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,63}", name):
        raise ConfigError([("client", "use letters, digits, '-' and '_' only (it names folders), e.g. 'acme_retail'")])
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{name}.yaml"
    if target.exists() and not force:
        raise FileExistsError(f"{target} exists; choose another name or pass --force to overwrite it")
    text, drafts = draft_config(name, [Path(f) for f in files], directory)
    tmp = directory / f".{name}.draft.yaml"
    tmp.write_text(text, encoding="utf-8")
    try:
        load_config(tmp)
    except BaseException:
        tmp.unlink()
        raise
    os.replace(tmp, target)
    new_client.last_drafts = drafts
    return target


new_client.last_drafts = []


# ------------------------------------------------------------------------------------------------ batch
BATCH_KPIS = ["persons", "customers_active", "top20_revenue_share", "gini", "clv_total", "planned_contacts",
              "expected_roi", "campaign_lift"]


def _run_one(cfg_path: Path, out_root: Path, phases, timeout, workdir_root, extra_args) -> dict:
    from .config import ConfigError, load_config
    t0 = time.time()
    row = {"config": str(cfg_path), "client": cfg_path.stem, "status": "error", "chapters_ok": 0,
           "chapters_failed": 0, "chapters_skipped": 0, "seconds": 0.0, "message": "", "report": ""}
    try:
        cfg = load_config(cfg_path)
        row["client"] = cfg.client
    except ConfigError as e:
        row["message"] = "config error: " + " | ".join(f"{f}: {m}" for f, m in e.problems)
        row["seconds"] = round(time.time() - t0, 1)
        return row
    out = out_root / cfg.client
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "dbmkit.cli", "report", str(cfg_path), "--out", str(out)]
    if phases:
        cmd += ["--phases", *[str(p) for p in phases]]
    if timeout:
        cmd += ["--timeout", str(int(timeout))]
    env = dict(os.environ)
    env.pop("DBMKIT_CONFIG", None)
    env.pop("DBMKIT_KPI_FILE", None)
    shared = env.pop("DBMKIT_WORKDIR", None)
    root = workdir_root or shared
    if root:
        cmd += ["--workdir", str(Path(root) / cfg.client)]
    cmd += list(extra_args or [])
    log = out / "batch.log"
    with open(log, "w", encoding="utf-8") as fh:
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=str(Path.cwd()))
    row["seconds"] = round(time.time() - t0, 1)
    status = out / "status.json"
    st = json.loads(status.read_text(encoding="utf-8")) if status.exists() else None
    fresh = st is not None and status.stat().st_mtime >= t0 - 1
    if fresh:
        chs = st.get("chapters", [])
        row["chapters_ok"] = sum(c["status"] == "ok" for c in chs)
        row["chapters_failed"] = sum(c["status"] == "failed" for c in chs)
        row["chapters_skipped"] = sum(c["status"] == "skipped" for c in chs)
        row["report"] = str(out / "index.html")
        failed = [c["message"] for c in chs if c["status"] == "failed"]
        row["status"] = "ok" if proc.returncode == 0 and not failed else "failed"
        row["message"] = "; ".join(failed)[:500]
        kp = out / "kpis.json"
        kpis = json.loads(kp.read_text(encoding="utf-8")) if kp.exists() else {}
        for k in BATCH_KPIS:
            row[k] = kpis.get(k)
    else:
        text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        errs = [ln for ln in text if "error" in ln.lower()] or text[-3:]
        row["message"] = (" ".join(errs[-3:]) or f"exit code {proc.returncode}")[:500]
        row["status"] = "error"
    return row


def run_batch(configs: list, out: str | os.PathLike | None = None, phases: list[str] | None = None,
              jobs: int = 1, timeout: int | None = None, workdir_root: str | os.PathLike | None = None,
              extra_args: list[str] | None = None) -> pd.DataFrame:
    """Run the report of several clients, each in its own process; return the summary table.

    A client that fails (bad config, unreadable data, a failing chapter, even a crashed process) is reported in
    the summary and never stops the others. ``out`` is the folder for all reports (``reports/batch-<time>``),
    one sub-folder per client, with ``batch_summary.csv`` and ``index.html`` beside them. ``jobs`` runs that many
    clients at once.

    Columns: client, config, status (ok / failed / error), chapters_ok, chapters_failed, chapters_skipped,
    seconds, message, report, and the key numbers in ``BATCH_KPIS``.
    """
    from .report import repo_root
    paths = [Path(c).resolve() for c in configs]
    if not paths:
        raise ValueError("give at least one client config, e.g. dbmkit batch clients/a.yaml clients/b.yaml")
    out_root = Path(out) if out else repo_root() / "reports" / f"batch-{dt.datetime.now():%Y%m%d-%H%M%S}"
    out_root = out_root.resolve()
    out_root.mkdir(parents=True, exist_ok=True)
    # the same client name twice would write into one folder: run those one after the other
    args = [(p, out_root, phases, timeout, Path(workdir_root).resolve() if workdir_root else None, extra_args)
            for p in paths]
    if jobs <= 1:
        rows = [_run_one(*a) for a in args]
    else:
        with ThreadPoolExecutor(max_workers=jobs) as ex:
            rows = list(ex.map(lambda a: _run_one(*a), args))
    df = pd.DataFrame(rows)
    for k in BATCH_KPIS:
        if k not in df.columns:
            df[k] = None
    df = df[["client", "status", "chapters_ok", "chapters_failed", "chapters_skipped", "seconds", *BATCH_KPIS,
             "message", "config", "report"]]
    df.to_csv(out_root / "batch_summary.csv", index=False)
    (out_root / "index.html").write_text(batch_summary_html(df, out_root), encoding="utf-8")
    return df


def batch_summary_html(df: pd.DataFrame, out_root: Path) -> str:
    """The batch summary as an HTML page (one row per client, links to each report)."""
    import html as _html

    from .report import KPI_INFO, REPORT_CSS, format_kpi
    head = ["Client", "Status", "Chapters ok / failed / skipped", "Time"] + \
        [KPI_INFO.get(k, (k,))[0] for k in BATCH_KPIS] + ["Message"]
    rows = []
    for r in df.to_dict("records"):
        link = _html.escape(str(r["client"]))
        if r.get("report"):
            rel = os.path.relpath(r["report"], out_root)
            link = f'<a href="{_html.escape(rel)}">{link}</a>'
        kp = []
        for k in BATCH_KPIS:
            v = r.get(k)
            kp.append("–" if v is None or (isinstance(v, float) and np.isnan(v)) else format_kpi(k, v, "en", "")[1])
        cls = {"ok": "ok", "failed": "failed", "error": "failed"}.get(r["status"], "")
        rows.append(f"<tr><td>{link}</td><td class=\"{cls}\">{_html.escape(r['status'])}</td>"
                    f"<td>{r['chapters_ok']} / {r['chapters_failed']} / {r['chapters_skipped']}</td>"
                    f"<td>{r['seconds']:.0f} s</td>" + "".join(f"<td>{x}</td>" for x in kp) +
                    f"<td class=\"msg\">{_html.escape(str(r['message'] or ''))}</td></tr>")
    n_ok = int((df["status"] == "ok").sum())
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Batch report</title>'
            f"<style>{REPORT_CSS}</style></head><body><header><h1>Batch run</h1><p>{n_ok} of {len(df)} client(s) ok · "
            f"{dt.datetime.now():%Y-%m-%d %H:%M}</p></header><main><table><tr>"
            + "".join(f"<th>{_html.escape(h)}</th>" for h in head) + "</tr>" + "".join(rows) +
            "</table></main></body></html>")


def format_batch_table(df: pd.DataFrame) -> str:
    """The batch summary as plain text for the terminal."""
    show = df[["client", "status", "chapters_ok", "chapters_failed", "chapters_skipped", "seconds",
               "persons", "customers_active", "top20_revenue_share", "message"]].copy()
    show["message"] = show["message"].fillna("").astype(str).str.slice(0, 160)
    for c in ("persons", "customers_active", "top20_revenue_share"):
        show[c] = pd.to_numeric(show[c], errors="coerce")
    show["top20_revenue_share"] = (100 * show["top20_revenue_share"]).round(1)
    show.columns = ["client", "status", "ok", "failed", "skipped", "seconds", "persons", "active", "top20 %",
                    "message"]
    return show.to_string(index=False, na_rep="–")


# ------------------------------------------------------------------------------------------------ CLI
def _cmd_new_client(a) -> int:
    try:
        path = new_client(a.name, a.files, directory=a.dir, force=a.force)
    except FileExistsError as e:
        print(f"[dbmkit] error: {e}", file=sys.stderr)
        return 2
    print(f"[dbmkit] wrote {path}")
    for d in new_client.last_drafts:
        print(f"  {Path(d.path).name}: {d.table} ({d.table_why})")
        print(f"    format {d.info.get('format')}, encoding {d.info.get('encoding') or '–'}, delimiter "
              f"{d.info.get('delimiter')!r}, header row {d.info.get('header_row')}"
              + (", decimal comma" if d.decimal == "," else "") + (f", dates {d.date_format}" if d.date_format else ""))
        for g in d.guesses:
            print(f"    {g.canonical:<16} ← {g.column}")
        if d.unplaced:
            print("    not placed: " + ", ".join(c for c, _ in d.unplaced))
        for n in d.notes:
            print(f"    note: {n}")
    print(f"[dbmkit] next: check the guesses in {path}, then run  dbmkit check {path}")
    return 0


def _cmd_batch(a) -> int:
    df = run_batch(a.configs, out=a.out, phases=a.phases, jobs=a.jobs, timeout=a.timeout,
                   workdir_root=a.workdir_root)
    print(format_batch_table(df))
    out = Path(df["report"].dropna().iloc[0]).parents[1] if df["report"].astype(bool).any() else None
    if a.out or out:
        print(f"[dbmkit] summary: {Path(a.out or out) / 'index.html'}")
    return 0 if (df["status"] == "ok").all() else 1


def register_cli(sub) -> None:
    """Add ``new-client`` and ``batch`` to the ``dbmkit`` command."""
    n = sub.add_parser("new-client", help="draft a client config from the client's files")
    n.add_argument("name", help="short client name (letters, digits, - and _)")
    n.add_argument("files", nargs="+", help="the client's files (CSV/TSV, Excel, Parquet); at least one sales file")
    n.add_argument("--dir", default="clients", help="where to write NAME.yaml (default clients/)")
    n.add_argument("--force", action="store_true", help="overwrite an existing config")
    n.set_defaults(func=_cmd_new_client)
    b = sub.add_parser("batch", help="run the reports of several clients, each isolated; print a summary")
    b.add_argument("configs", nargs="+")
    b.add_argument("--out", help="folder for all reports (default reports/batch-<time>)")
    b.add_argument("--phases", nargs="*", help="phases or chapters to run for every client")
    b.add_argument("--jobs", type=int, default=1, help="clients run at once (default 1)")
    b.add_argument("--timeout", type=int, help="seconds per notebook")
    b.add_argument("--workdir-root", help="one work folder per client under this folder")
    b.set_defaults(func=_cmd_batch)
