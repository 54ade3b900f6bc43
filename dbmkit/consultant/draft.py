"""The commented YAML draft of a client config (:func:`draft_config`) and :func:`new_client`, which writes it after
checking that it loads: every guess says why, every column that could not be placed is listed.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import textwrap
from pathlib import Path

from .. import messages
from ..config import ConfigError, load_config
from ..ingest import IngestError
from .mapping import SALES_TABLES, SourceDraft, customers_column, draft_source

__all__ = ["draft_config", "new_client", "TEXT"]


def _y(v) -> str:
    """A YAML scalar (JSON strings are valid YAML and keep Chinese readable)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(str(v), ensure_ascii=False)


def _comment(text: str, width: int = 110, indent: str = "") -> list[str]:
    return [f"{indent}# {ln}" for ln in textwrap.wrap(text, width=width - len(indent) - 2)] or [f"{indent}#"]


_REGION = {"CNY": "CN", "EUR": "DE", "GBP": "GB", "USD": "US", "JPY": "JP"}

# the draft's own comments: key → (English, 中文); keys, values and names stay as they are in both
TEXT: dict[str, tuple[str, str]] = {
    "head": ("# Client config drafted by `dbmkit new-client` on {now} from {n} file(s).\n"
             "# Every guess is commented: check the mapping (canonical column: column in the file), then run\n"
             "#     dbmkit check {path}\n"
             "# and fix what it reports. Every field is explained in docs/CONFIG.md.",
             "# 客户配置草稿，由 `dbmkit new-client` 于 {now} 根据 {n} 个文件生成。\n"
             "# 每个推测都附有注释：请核对映射（标准列名: 文件中的列名），然后运行\n"
             "#     dbmkit check {path}\n"
             "# 并修正它报告的问题。每个字段的说明见 docs/CONFIG.md。"),
    "language": ("en or zh (Chinese headings, labels and charts)", "`en` 或 `zh`（中文标题、标签和图表）"),
    "language_guessed": ("; guessed from the headers", "；根据表头推测"),
    "cur_found": ("found in the amounts", "从金额中识别"),
    "cur_headers": ("Chinese headers", "表头为中文"),
    "cur_default": ("default; change it if the amounts are in another currency", "默认值；若金额是其他货币，请修改"),
    "analysis_date": ("the as-of date of the analysis; default: the last day with orders",
                      "分析的截止日期；默认为最后一个有订单的日子"),
    "phone_region": ("country of phone numbers written without +<country code>",
                     "不带 +<国家代码> 书写的电话号码所属的国家"),
    "timezone": ("the client's time zone (e.g. Europe/Berlin, Asia/Shanghai): time-zone-aware timestamps are "
                 "converted to its local time", "客户所在的时区（例如 Europe/Berlin、Asia/Shanghai）：带时区的时间戳"
                                                 "会换算为该时区的当地时间"),
    "source": ("{file}: {table} — {why}", "{file}：{table} — {why}"),
    "detected": ("detected", "自动识别"),
    "sheets": ("the workbook also has {others}", "工作簿中还有 {others}"),
    "title_rows": ("{h} title row(s) above the column names", "列名上方有 {h} 行标题"),
    "first_row": ("the first row holds the column names", "第一行是列名"),
    "decimal": ("amounts are written with a decimal comma (1.234,50)", "金额以逗号作小数点（1.234,50）"),
    "not_found": ("NOT FOUND (required): {cols} — add `canonical: column` lines above",
                  "未找到（必需）：{cols} — 请在上面加上 `标准列名: 文件中的列名` 行"),
    "unplaced": ("columns not placed:", "未映射的列："),
    "buyers": ("    # customers:   # the file also names the buyers; uncomment to load them as customer records\n"
               "    #              # (repeated rows of one buyer are quarantined as duplicates; a separate\n"
               "    #              # customer file is better)",
               "    # customers:   # 该文件也写有购买者；取消注释即可把他们作为客户记录载入\n"
               "    #              # （同一购买者的重复行会作为重复项被隔离；单独的客户文件更好）"),
    "note": ("note: {text}", "说明：{text}"),
    "margin_costs": ("used only where costs are missing", "只在缺少成本时使用"),
    "margin_none": ("no product costs in the files: margin = revenue × gross_margin; set the client's real margin",
                    "文件中没有商品成本：毛利 = 收入 × gross_margin；请设为该客户的实际毛利率"),
    "phases": ("all chapters; e.g. ['1', '2'] for phases 1–2. Chapters whose inputs are missing are skipped with a "
               "note", "全部章节；例如 ['1', '2'] 表示第 1–2 阶段。缺少所需数据的章节会被跳过，并附说明"),
    "missing": ("# Not provided yet (the report skips or simplifies the chapters that need them):",
                "# 尚未提供（报告会跳过或简化需要它们的章节）："),
    "customers": ("customers — names, e-mails, phones, addresses: merge/purge, households, contactability",
                  "customers — 姓名、电子邮件、电话、地址：合并去重、家庭识别、可触达性"),
    "consents": ("consents — opt-in/opt-out per channel: who may be contacted",
                 "consents — 各渠道的订阅/退订：哪些人可以联系"),
    "campaigns": ("campaigns — past campaigns with costs: response models",
                  "campaigns — 历史营销活动及其成本：响应模型"),
    "contacts": ("contacts — who was mailed and who was held out: lift over control",
                 "contacts — 哪些人被接触、哪些人被留作对照：相对对照组的提升"),
    "email_events": ("email_events — sends, opens, clicks: e-mail KPIs", "email_events — 发送、打开、点击：邮件 KPI"),
}


def _t(key: str, lang: str, **fields) -> str:
    text = TEXT[key][1 if lang == "zh" else 0]
    return text.format(**fields) if fields else text


def draft_config(name: str, files: list, directory: str | os.PathLike = "clients",
                 lang: str | None = None) -> tuple[str, list[SourceDraft]]:
    """The YAML text of a commented client config for ``files`` (written into ``directory``) and the drafts; its
    comments in ``lang`` (default :func:`dbmkit.messages.language`, ``DBMKIT_LANGUAGE``), its keys English."""
    lang = lang or messages.language()
    directory = Path(directory).resolve()
    drafts = [draft_source(f) for f in files]
    if not any(d.table in SALES_TABLES for d in drafts):
        found = ", ".join(f"{Path(d.path).name} → {d.table}" for d in drafts)
        raise IngestError(f"none of the files looks like a sales file ({found})",
                          fix="give at least one file with one row per order (order id, customer, date, amount) or "
                              "per invoice line (order id, customer, date, product, quantity, unit price)")
    language = "zh" if any(d.language == "zh" for d in drafts) else "en"
    cur = next((d.currency for d in drafts if d.currency), None) or ("CNY" if language == "zh" else "USD")
    cur_why = _t("cur_found" if any(d.currency for d in drafts) else "cur_headers" if language == "zh" else
                 "cur_default", lang)
    now = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    title = name.replace('_', ' ').replace('-', ' ').title() + (
        ' — 数据库营销报告' if language == 'zh' else ' — database marketing report')
    out = [*_t("head", lang, now=now, n=len(files), path=_rel(directory / (name + ".yaml"))).splitlines(),
           f"client: {name}",
           f"title: {_y(title)}",
           f"language: {language}           # {_t('language', lang)}"
           + (_t("language_guessed", lang) if language == "zh" else ""),
           f"currency: {cur}           # {cur_why}",
           f"# analysis_date: 2024-12-31   # {_t('analysis_date', lang)}",
           "data:",
           f"  default_phone_region: {_REGION.get(cur, 'US')}   # {_t('phone_region', lang)}",
           f"  # timezone: UTC   # {_t('timezone', lang)}",
           "  sources:"]
    by_table: dict[str, list[SourceDraft]] = {}
    for d in drafts:
        by_table.setdefault(d.table, []).append(d)
    for table, ds in by_table.items():
        out.append(f"    {table}:")
        for d in ds:
            out += _source_yaml(d, directory, lang)
    costs = any("cost" in d.columns or "unit_cost" in d.columns for d in drafts)
    out += ["economics:",
            "  gross_margin: 0.40       # " + _t("margin_costs" if costs else "margin_none", lang),
            "  # cost_per_contact: {email: 0.02, sms: 0.06, mail: 0.85, phone: 4.50}",
            "report:",
            f"  phases: null             # {_t('phases', lang)}"]
    missing_tables = [t for t in ("customers", "consents", "campaigns", "contacts", "email_events")
                      if t not in by_table]
    if missing_tables:
        out += ["", _t("missing", lang)]
        out += [f"#   {_t(t, lang)}" for t in missing_tables]
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


def _source_yaml(d: SourceDraft, directory: Path, lang: str = "en") -> list[str]:
    i = d.info

    def zh(text: str) -> str:             # what mapping says in English (a guess's reason, a note), in ``lang``
        return messages.draft_text(text, lang)
    out = _comment(_t("source", lang, file=Path(d.path).name, table=d.table, why=zh(d.table_why)), indent="      ")
    out.append(f"      - path: {_y(_path_for(d, directory))}")
    fmt = i.get("format")
    out.append(f"        format: {fmt}")
    if fmt == "csv":
        enc = i.get("encoding") or "utf-8"
        out.append(f"        encoding: {_y(enc.replace('+mixed', ''))}"
                   + (f"    # {_t('detected', lang)}" if enc else ""))
        out.append(f"        delimiter: {_y(i.get('delimiter'))}     # {_t('detected', lang)}")
    if fmt == "excel" and i.get("sheets"):
        sheet = i.get("sheet") or i["sheets"][0]
        others = [x for x in i["sheets"] if x != sheet]
        out.append(f"        sheet: {_y(sheet)}" + (f"    # {_t('sheets', lang, others=others)}" if others else ""))
    if fmt in ("csv", "excel"):
        h = i.get("header_row") or 0
        out.append(f"        header_row: {h}      # " + (_t("title_rows", lang, h=h) if h else _t("first_row", lang)))
    if d.decimal == ",":
        out.append('        decimal: ","        # ' + _t("decimal", lang))
    if d.date_format:
        note = zh(d.date_note or "detected from the values")
        out.append(f"        date_format: {_y(d.date_format)}   # {note}")
    out.append(f"        source_system: {_y('sales' if d.table in SALES_TABLES else d.table)}")
    out.append("        columns:")
    if not d.columns:
        out.append("          {}")
    for g in d.guesses:
        out.append(f"          {g.canonical}: {_y(g.column)}")
        out += _comment(zh(g.why), indent="            ")
    if d.missing:
        out += _comment(_t("not_found", lang, cols=", ".join(d.missing)), indent="          ")
    if d.unplaced:
        out.append("        # " + _t("unplaced", lang))
        for c, note in d.unplaced:
            out += [ln.replace("# ", "#   ", 1) if k else ln.replace("# ", "# - ", 1)
                    for k, ln in enumerate(_comment(f"'{c}'{'：' if lang == 'zh' else ': '}{zh(note)}",
                                                    indent="        "))]
    people = {c: customers_column(c, d) for c, _ in d.unplaced}
    people = {k: v for k, v in people.items() if v}
    if d.table in SALES_TABLES and people and "customer_id" in d.columns:
        out += _t("buyers", lang).splitlines()
        out.append(f"    #   - path: {_y(_path_for(d, directory))}")
        for k in ("format", "encoding", "delimiter", "header_row"):
            if d.info.get(k) is not None and not (k == "header_row" and d.info.get("format") == "parquet"):
                out.append(f"    #     {k}: {_y(d.info[k]) if isinstance(d.info[k], str) else d.info[k]}")
        cols = {"customer_id": d.columns["customer_id"], **{v: k for k, v in people.items()}}
        out.append("    #     columns: {" + ", ".join(f"{k}: {_y(v)}" for k, v in cols.items()) + "}")
    for n in d.notes:
        out += _comment(_t("note", lang, text=zh(n)), indent="        ")
    return out


def new_client(name: str, files: list, directory: str | os.PathLike = "clients", force: bool = False,
               lang: str | None = None) -> Path:
    """Write ``directory/NAME.yaml``, a commented draft config for the client's files (its comments in ``lang``,
    default ``DBMKIT_LANGUAGE``); returns its path.

    The draft is validated with :func:`dbmkit.config.load_config` before it is written (it never writes a config
    that cannot be read). Raises ``FileExistsError`` when the file exists and ``force`` is False.
    """
    if not files:
        raise IngestError("no files given", fix="dbmkit new-client NAME sales.csv [customers.xlsx …]")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,63}", name):
        raise ConfigError([("client", "use letters, digits, '-' and '_' only (it names folders), e.g. 'acme_retail'")])
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{name}.yaml"
    if target.exists() and not force:
        raise FileExistsError(f"{target} exists; choose another name or pass --force to overwrite it")
    text, drafts = draft_config(name, [Path(f) for f in files], directory, lang)
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
