"""Client shapes for the report matrix (tests/test_client_shapes.py): small client folders a consultant could map,
written with pandas into a temporary folder — each writer returns the config path and the facts the report's numbers
must reproduce, computed independently from the files it wrote.

Shapes:

* ``invoice_lines``: one invoice-line CSV (like the UCI Online Retail file: invoice, date, product code, quantity,
  unit price, customer id; 'C' invoices are cancellations with negative quantities, some lines have no customer) —
  no channel, no costs, no customer file, one source.
* ``orders_only``: one order-level CSV (order, customer, date, amount) — no lines, no channel.
* ``customers_orders``: a CRM export and web accounts (two customer sources, overlapping people) and store and web
  orders (two order sources) — contact details, no consents; many sources.
* ``synthetic(...)``: the built-in synthetic retailer of a given size, number of past campaigns and locale.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

END = pd.Timestamp("2025-06-30")


def _write_config(d: Path, cfg: dict) -> Path:
    p = d / f"{cfg['client']}.yaml"
    p.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return p


def _purchase_days(rng, n_customers: int, days: int) -> pd.DataFrame:
    """Per customer a few purchase days: most buy again (so lifetime value has repeat buyers), some once."""
    rows = []
    for c in range(n_customers):
        k = 1 + rng.poisson(2.5) if rng.random() < 0.75 else 1
        first = int(rng.integers(0, days))
        for d in sorted({first, *rng.integers(first, days, k - 1).tolist()}):
            rows.append((c, d))
    return pd.DataFrame(rows, columns=["cust", "day"])


def invoice_lines(d: Path, seed: int = 21) -> tuple[Path, dict]:
    """One invoice-line CSV with the Online Retail II headers; nothing else."""
    rng = np.random.default_rng(seed)
    n_cust, days = 400, 540
    start = END - pd.Timedelta(days=days - 1)
    inv = _purchase_days(rng, n_cust, days)
    inv["ts"] = start + pd.to_timedelta(inv["day"], unit="D") + pd.to_timedelta(
        rng.integers(8 * 60, 20 * 60, len(inv)), unit="min")
    inv = inv.sort_values("ts").reset_index(drop=True)
    inv["invoice"] = (536365 + np.arange(len(inv))).astype(str)
    inv["customer"] = (12346 + inv["cust"]).astype(float)
    inv.loc[rng.random(len(inv)) < 0.05, "customer"] = np.nan          # till receipts without a customer
    cancel = rng.random(len(inv)) < 0.04
    inv.loc[cancel, "invoice"] = "C" + inv.loc[cancel, "invoice"]
    n_prod = 80
    codes = [f"{x}{s}" for x, s in zip(rng.choice(np.arange(20000, 90000), n_prod, replace=False),
                                        rng.choice(["", "", "", "A", "B"], n_prod))]
    price = np.round(rng.gamma(2.0, 2.5, n_prod) + 0.29, 2)
    lines = []
    for r in inv.itertuples():
        for j in rng.choice(n_prod, int(rng.integers(1, 6)), replace=False):
            q = int(rng.integers(1, 13))
            lines.append({"Invoice": r.invoice, "StockCode": codes[j],
                          "Quantity": -q if r.invoice.startswith("C") else q,
                          "InvoiceDate": f"{r.ts.month}/{r.ts.day}/{r.ts.year} {r.ts.hour}:{r.ts.minute:02d}",
                          "Price": price[j], "Customer ID": r.customer})
    df = pd.DataFrame(lines)
    path = d / "online_retail_ii.csv"
    df.to_csv(path, index=False)
    net = df["Quantity"] * df["Price"]
    known = df["Customer ID"].notna()
    facts = {"customers": int(df.loc[known, "Customer ID"].nunique()),
             "invoices": int(df.loc[known, "Invoice"].nunique()),
             "net_revenue": float(net[known].sum()),                   # the customers' sales, returns netted
             "anonymous_revenue": float(net[~known].sum()),
             "lines": int(known.sum())}
    cfg = {"client": "shape_invoice_lines", "currency": "GBP",
           "data": {"default_phone_region": "GB", "sources": {"sales_lines": [{
               "path": path.name, "date_format": "%m/%d/%Y %H:%M",
               "columns": {"order_id": "Invoice", "order_ts": "InvoiceDate", "product_id": "StockCode",
                           "quantity": "Quantity", "unit_price": "Price", "customer_id": "Customer ID"}}]}},
           "campaign": {"budget": 2000}}
    return _write_config(d, cfg), facts


def orders_only(d: Path, seed: int = 22, language: str = "en") -> tuple[Path, dict]:
    """One order-level CSV: order, customer, date, total (the corner shop of docs/CONFIG.md); ``language: zh``
    gives a Chinese report (currency CNY)."""
    rng = np.random.default_rng(seed)
    o = _purchase_days(rng, 350, 720)
    start = END - pd.Timedelta(days=719)
    o["ts"] = start + pd.to_timedelta(o["day"], unit="D") + pd.to_timedelta(rng.integers(540, 1200, len(o)), unit="min")
    o = o.sort_values("ts").reset_index(drop=True)
    df = pd.DataFrame({"Order": [f"A{100000 + i}" for i in range(len(o))], "Customer": [f"K{c:04d}" for c in o["cust"]],
                       "Date": o["ts"].dt.strftime("%Y-%m-%d %H:%M"),
                       "Total": np.round(rng.gamma(2.0, 25.0, len(o)) + 2, 2)})
    path = d / "orders.csv"
    df.to_csv(path, index=False)
    facts = {"customers": int(df["Customer"].nunique()), "orders": len(df), "net_revenue": float(df["Total"].sum())}
    cfg = {"client": "shape_orders_only", "language": language, "currency": "CNY" if language == "zh" else "GBP",
           "data": {"sources": {"orders": [{"path": path.name, "columns": {
               "order_id": "Order", "customer_id": "Customer", "order_ts": "Date", "net_amount": "Total"}}]}},
           "campaign": {"budget": 2000}}
    return _write_config(d, cfg), facts


def customers_orders(d: Path, seed: int = 23) -> tuple[Path, dict]:
    """A CRM export and a web shop's accounts (a fifth of the people have both, same e-mail), and store and web
    orders in two files: contact details but no consents, no products, no campaigns."""
    rng = np.random.default_rng(seed)
    n = 400
    first = rng.choice(["Anna", "Ben", "Clara", "David", "Eva", "Felix", "Grace", "Hugo", "Ida", "Jonas"], n)
    last = rng.choice(["Smith", "Jones", "Brown", "Taylor", "Wilson", "Evans", "Walker", "Wright", "Green"], n)
    people = pd.DataFrame({"first": first, "last": last,
                           "email": [f"{f.lower()}.{s.lower()}{i}@mail.test.org"
                                     for i, (f, s) in enumerate(zip(first, last))],
                           "phone": [f"+4475{rng.integers(10_000_000, 99_999_999)}" for _ in range(n)],
                           "zip": [f"SW{rng.integers(1, 20)} {rng.integers(1, 10)}AB" for _ in range(n)],
                           "signup": (END - pd.to_timedelta(rng.integers(400, 1500, n),
                                                            unit="D")).strftime("%Y-%m-%d")})
    in_crm = rng.random(n) < 0.7
    in_web = ~in_crm | (rng.random(n) < 0.3)
    crm = people[in_crm].reset_index(names="person")
    crm = pd.DataFrame({"CustNo": [f"C{p:05d}" for p in crm["person"]], "First name": crm["first"],
                        "Last name": crm["last"], "E-mail": crm["email"], "Phone": crm["phone"],
                        "Postcode": crm["zip"], "Created": crm["signup"]})
    web = people[in_web].reset_index(names="person")
    web = pd.DataFrame({"account": [f"W{p:05d}" for p in web["person"]], "name": web["first"] + " " + web["last"],
                        "email": web["email"].str.upper(), "signup": web["signup"]})
    crm.to_csv(d / "crm_customers.csv", index=False)
    web.to_csv(d / "web_accounts.csv", index=False)
    o = _purchase_days(rng, n, 720)
    o["ts"] = END - pd.Timedelta(days=719) + pd.to_timedelta(o["day"], unit="D") + pd.to_timedelta(
        rng.integers(540, 1200, len(o)), unit="min")
    o["web"] = ~in_crm[o["cust"]] | (in_web[o["cust"]] & (rng.random(len(o)) < 0.4))
    o["amount"] = np.round(rng.gamma(2.0, 30.0, len(o)) + 3, 2)
    o = o.sort_values("ts").reset_index(drop=True)
    store = o[~o["web"]]
    pd.DataFrame({"receipt": [f"S{i}" for i in store.index], "member": [f"C{c:05d}" for c in store["cust"]],
                  "date": store["ts"].dt.strftime("%Y-%m-%d %H:%M"), "amount": store["amount"]}).to_csv(
        d / "store_orders.csv", index=False)
    wo = o[o["web"]]
    pd.DataFrame({"order": [f"WEB{i}" for i in wo.index], "account": [f"W{c:05d}" for c in wo["cust"]],
                  "placed": wo["ts"].dt.strftime("%Y-%m-%d %H:%M"), "total": wo["amount"]}).to_csv(
        d / "web_orders.csv", index=False)
    facts = {"people": n, "buyers": int(o["cust"].nunique()), "orders": len(o), "net_revenue": float(o["amount"].sum()),
             "records": int(in_crm.sum() + in_web.sum())}
    cfg = {"client": "shape_customers_orders", "currency": "GBP",
           "data": {"default_phone_region": "GB", "source_priority": ["crm", "web"], "sources": {
               "customers": [
                   {"path": "crm_customers.csv", "source_system": "crm",
                    "columns": {"customer_id": "CustNo", "first_name": "First name", "last_name": "Last name",
                                "email": "E-mail", "phone": "Phone", "postal_code": "Postcode",
                                "signup_date": "Created"}},
                   {"path": "web_accounts.csv", "source_system": "web",
                    "columns": {"customer_id": "account", "full_name": "name", "email": "email",
                                "signup_date": "signup"}}],
               "orders": [
                   {"path": "store_orders.csv", "source_system": "pos", "constants": {"channel": "store"},
                    "columns": {"order_id": "receipt", "customer_id": "member", "order_ts": "date",
                                "net_amount": "amount"}},
                   {"path": "web_orders.csv", "source_system": "web", "constants": {"channel": "web"},
                    "columns": {"order_id": "order", "customer_id": "account", "order_ts": "placed",
                                "net_amount": "total"}}]}},
           "campaign": {"budget": 2000}}
    return _write_config(d, cfg), facts


def synthetic(d: Path, n_people: int, n_campaigns: int, locale: str = "en", seed: int = 7) -> tuple[Path, dict]:
    """The synthetic retailer with ``n_people`` people and ``n_campaigns`` past campaigns, in ``locale`` (the
    report's language follows it)."""
    name = f"shape_syn{n_people}x{n_campaigns}{locale}"
    cfg = {"client": name, "language": locale,
           "data": {"synthetic": {"n_people": n_people, "years": 3, "end_date": "2026-06-30", "locale": locale,
                                  "seed": seed, "n_campaigns": n_campaigns}},
           "economics": {"campaign_fixed_cost": 300},
           "campaign": {"budget": max(2000, n_people)}}
    return _write_config(d, cfg), {"n_people": n_people, "n_campaigns": n_campaigns}


WRITERS = {"invoice_lines": invoice_lines, "orders_only": orders_only, "customers_orders": customers_orders}
