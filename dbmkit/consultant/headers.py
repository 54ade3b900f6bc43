"""What a column's header says: the usual names of every canonical column (English and Chinese, plus common German,
French and Spanish ones) and how well a header matches them.

>>> normalise_header("Invoice No.")
'invoiceno'
>>> header_score("order_id", "Invoice No.")[0]
1.0
"""
from __future__ import annotations

import re

__all__ = ["HEADER_SYNONYMS", "normalise_header", "header_score"]

# canonical column → header names that usually mean it (compared after `normalise_header`: lower case, no
# spaces/punctuation)
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
    "wechat_consent": ["wechat consent", "wechat opt in", "微信订阅", "微信许可", "订阅消息授权", "微信授权"],
    "app_push_consent": ["push consent", "push opt in", "push enabled", "notifications enabled", "推送许可",
                         "推送开关", "允许推送", "通知开关"],
    "wechat_openid": ["openid", "open id", "open_id", "wechat openid", "wechat id", "wx openid", "微信openid",
                      "微信OpenID", "微信号openid", "公众号openid", "小程序openid"],
    "push_token": ["push token", "push_token", "device token", "devicetoken", "registration id", "registration_id",
                   "push id", "pushid", "fcm token", "apns token", "推送令牌", "推送id",
                   "设备令牌", "设备token", "极光id", "registrationid"],
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


def normalise_header(name) -> str:
    """A header without case, spaces and punctuation (CJK kept): 'Invoice No.' → 'invoiceno'."""
    s = str(name).strip().lower().replace("ß", "ss")
    return re.sub(r"[\s_\-./()#°:：（）\[\]'’`\"]+", "", s)


_SYN_NORM = {canon: {normalise_header(x) for x in names} for canon, names in HEADER_SYNONYMS.items()}


def header_score(canon: str, header: str) -> tuple[float, str]:
    """How well ``header`` names the canonical column ``canon`` (1.0: a usual name; 0.55–0.85: it contains one;
    0: no match) and why."""
    h = normalise_header(header)
    syn = _SYN_NORM.get(canon, set())
    if not h:
        return 0.0, ""
    if h == normalise_header(canon) or h in syn:
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
