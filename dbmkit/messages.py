"""What the ``dbmkit`` command says, in English and Chinese (命令行消息): one catalogue for the command's own lines,
the usual fix of each quarantine reason, and the Chinese of the messages lower layers write in English (a build
step, a quarantine reason, a load warning).

The language is the client's (``language:`` in its config); a command without a config follows ``DBMKIT_LANGUAGE``
(:func:`language`). English lines are the catalogue's English exactly, so what the command printed before stays
byte for byte; Chinese lines keep file, column, table and setting names as they are.

One concept: the catalogue of the command's messages; it grows with every command, not with the logic here (the
phrase table of lower layers' English is in ``phrases_zh``).

>>> msg("check.can_run", "zh"), msg("check.can_run", "en")
('可以生成报告。', 'A report can run.')
>>> msg("report.summary", "zh", client="demo_zh", ok=3, n=4, seconds=12)
'demo_zh 的报告：4 章中 3 章已运行，用时 12 秒'
>>> translate("quantity: zero quantity (nothing was sold or returned)", "zh")
'quantity：数量为 0（既无销售也无退货）'
>>> translate("order_ts: cannot read '0000-00-00T00:00:00' as a date", "zh")
"order_ts：无法将 '0000-00-00T00:00:00' 读作日期"
"""
from __future__ import annotations

import os
import re

from . import phrases_zh
from .i18n import date_text, get_language

__all__ = ["MESSAGES", "FIXES", "PHRASES", "NEED_FIX_ZH", "msg", "fix_for", "translate", "language", "need_fix",
           "day_text", "config_error_text", "CONFIG_PHRASES", "ingest_error_text", "INGEST_PHRASES", "config_language",
           "draft_text", "chapter_text", "error_text", "config_problem_text"]

# key → (English, 中文); str.format fields are the same in both
MESSAGES: dict[str, tuple[str, str]] = {
    # dbmkit check
    "check.client": ("Client: {client} — {title}", "客户：{client} — {title}"),
    "check.edition": ("Chapters: the {edition} ({folder})", "章节：{edition}（{folder}）"),
    "edition.en": ("English edition", "英文版"),
    "edition.zh": ("Chinese edition", "中文版"),
    "check.sources": ("Sources (rows read = loaded + quarantined):", "数据源（读取行数 = 载入行数 + 隔离行数）："),
    "check.source_line": ("  {table:<17} {file:<28} read {read:>9,}  loaded {loaded:>9,}  quarantined "
                          "{quarantined:>7,}", "  {table:<17} {file:<28} 读取 {read:>9,}  载入 {loaded:>9,}  隔离 "
                                               "{quarantined:>7,}"),
    "check.how": ("  ({how})", "  （{how}）"),
    "check.encoding": ("encoding {enc}", "编码 {enc}"),
    "check.delimiter": ("delimiter {dlm!r}", "分隔符 {dlm!r}"),
    "check.sep": (", ", "，"),
    "check.note": ("      note: {text}", "      说明：{text}"),
    "check.warning": ("      warning: {text}", "      警告：{text}"),
    "check.database": ("Database:", "数据库（各表行数）："),
    "check.table_line": ("  {table:<18} {n:>10,}", "  {table:<18} {n:>10,}  {label}"),
    "check.period": ("Period: orders from {first} to {last} ({months:.0f} months); analysis date {as_of}",
                     "时间范围：订单自{first}至{last}（{months:.0f}个月）；分析日期为{as_of}"),
    "check.customers": ("Customers: {people:,} people, {buyers:,} of them with orders; {returns:,} returns, "
                        "{cancelled:,} cancellations",
                        "客户：共{people:,}人，其中{buyers:,}人有订单；退货{returns:,}笔，取消{cancelled:,}笔"),
    "check.anonymous": ("Anonymous sales (no customer id): {n:,} orders ({share:.1f} %), counted in revenue but not "
                        "in customer analysis", "匿名销售（无客户编号）：{n:,}笔订单（{share:.1f} %），计入收入，"
                                                "但不计入客户分析"),
    "check.reachable": ("Reachable: {email:,} with an e-mail, {phone:,} with a phone, {street:,} with an address",
                        "可触达：{email:,}人有电子邮件，{phone:,}人有电话，{street:,}人有地址"),
    "check.problems": ("Problems (rows quarantined; fix the source and run again):",
                       "问题（这些行已被隔离；修正数据源后重新运行）："),
    "check.first_row": (", first at row {row}", "，首次出现在第 {row} 行"),
    "check.problem_line": ("  {n:>6,} × {file}{col}{row}: {example}", "  {n:>6,} × {file}{col}{row}：{example}"),
    "check.fix": ("           fix: {fix}", "           修正：{fix}"),
    "check.values_empty": ("Values left empty (the rows were loaded):", "留空的值（这些行已载入）："),
    "check.consent_head": ("Consent read fail-safe: {people:,} people suppressed for uncertain consent ({chans}); "
                           "each row below counts as an opt-out until it is fixed:",
                           "营销许可按安全原则读取：{people:,}人因许可记录不确定而被抑制（{chans}）；"
                           "下列各行在修正之前都按退订处理："),
    "check.consent_chan": ("{channel} {n:,}", "{channel} {n:,}人"),
    "check.consent_people": ("{n:,} person", "{n:,}人"),
    "check.consent_people_n": ("{n:,} people", "{n:,}人"),
    "check.consent_line": ("  {rows:>6,} × {file}, rows {first_rows}: {example} [{channels}; the latest evidence "
                           "of {who}]", "  {rows:>6,} × {file}，第 {first_rows} 行：{example}［{channels}；"
                                        "是{who}的最新记录］"),
    "check.skip_head": ("Chapters the report will skip (their inputs are missing):",
                        "报告将跳过的章节（缺少所需数据）："),
    "check.skip_line": ("  {file}: needs {what}", "  {file}：需要{what}"),
    "check.skip_fix": ("      to provide it: {fix}", "      如何提供：{fix}"),
    "check.and": ("; ", "；"),
    "check.can_run": ("A report can run.", "可以生成报告。"),
    "check.cannot_run": ("A report cannot run: {why}. Look at the problems above (customer ids mapped? dates read?).",
                         "无法生成报告：{why}。请查看上面的问题（客户编号是否已映射？日期是否已正确读取？）。"),
    "check.no_orders": ("no orders were loaded", "没有载入任何订单"),
    "check.no_customers": ("no customers were loaded", "没有载入任何客户"),
    # dbmkit report
    "report.summary": ("report for {client}: {ok}/{n} chapters ran in {seconds:.0f} s",
                       "{client} 的报告：{n} 章中 {ok} 章已运行，用时 {seconds:.0f} 秒"),
    "report.settings": (" (settings changed: {settings})", "（修改的设置：{settings}）"),
    "report.failed": ("  FAILED {message}", "  失败：{message}"),
    "report.open": ("open {path}", "打开 {path}"),
    "report.preparing": ("{client}: preparing the database in {workdir} …", "{client}：正在准备数据库（{workdir}）…"),
    "report.dropped": ("  the analysis settings changed since the last run: {tables} will be computed again",
                       "  分析设置自上次运行以来已更改：{tables} 将重新计算"),
    "report.set": ("  settings changed for this run: {settings}", "  本次运行修改的设置：{settings}"),
    "report.chapters": ("  {n} chapters: {files}", "  共 {n} 章：{files}"),
    "report.jobs": ("  {jobs} chapters at a time (those that do not depend on each other)",
                    "  同时运行 {jobs} 章（互不依赖的章节）"),
    "report.chapter_ok": ("  {file}: {status} in {seconds:.1f} s", "  {file}：{status}，用时 {seconds:.1f} 秒"),
    "report.chapter_line": ("  {file}: {status}", "  {file}：{status}"),
    "report.chapter_why": (" — {message}", " — {message}"),
    "report.chapter_failed": ("chapter failed — {message}", "章节运行失败 — {message}"),
    "report.written": ("report written in {seconds:.0f} s: {ok} ran, {skipped} skipped, {failed} failed — {index}",
                       "报告已写好，用时 {seconds:.0f} 秒：运行 {ok} 章，跳过 {skipped} 章，"
                       "失败 {failed} 章 — {index}"),
    "report.no_notebook": ("notebook {name} not found", "缺少笔记本 {name}"),
    "report.inputs_missing": ("inputs missing: ", "缺少数据："),
    "status.ok": ("ok", "已运行"),
    "status.failed": ("failed", "失败"),
    "status.skipped": ("skipped", "已跳过"),
    # dbmkit build, erase, site, compare
    "build.built": ("built {path}", "数据库已建好：{path}"),
    "engine.unavailable": ("engine spark was asked for, but Spark cannot start here: {why}. Install it with "
                           "pip install 'dbmkit[spark]' (pyspark 4 and sqlglot) and a Java 17 runtime (Debian/Ubuntu: "
                           "apt-get install openjdk-17-jre-headless) — or run on DuckDB (engine: duckdb, no --engine "
                           "spark)",
                           "已指定 Spark 引擎，但此机器无法启动 Spark：{why}。请安装：pip install 'dbmkit[spark]'"
                           "（pyspark 4 和 sqlglot）以及 Java 17 运行环境（Debian/Ubuntu：apt-get install "
                           "openjdk-17-jre-headless）— 或改用 DuckDB（engine: duckdb，不加 --engine spark）"),
    "engine.no_module": ("{module} is not installed", "未安装 {module}"),
    "engine.no_java": ("no Java runtime found (no java on PATH, no JAVA_HOME)",
                       "找不到 Java 运行环境（PATH 中没有 java，也没有设置 JAVA_HOME）"),
    "engine.spark": ("engine: Spark ({master}) runs the transaction-level queries; the database stays DuckDB",
                     "引擎：Spark（{master}）运行交易级查询；数据库仍为 DuckDB"),
    "site.built": ("course site: {pages} pages, {entries} search entries — open {uri} (or: python -m http.server "
                   "--directory {out})", "课程网站：{pages} 个页面，{entries} 条搜索条目 — 打开 {uri}（或运行："
                                         "python -m http.server --directory {out}）"),
    "erase.done": ("erased {n} person{s} with this {how} ({rows:,} rows removed from {db}; orders kept as anonymous "
                   "sales)", "已删除具有该{how}的 {n} 人（从 {db} 删除 {rows:,} 行；订单保留为匿名销售）"),
    "erase.nobody": ("nobody with this {how} is in the database now; it is recorded so that no record carrying it is "
                     "ever loaded", "数据库中目前没有具有该{how}的人；已记录在案，今后任何带有它的记录都不会被载入"),
    "erase.ledger": ("erasure ledger: {ledger} (salted hashes only, no personal data) — every build and every export "
                     "of this client, in any work folder, applies it; keep the ledger with the client's config",
                     "删除台账：{ledger}（只存加盐哈希，不含个人数据）— 该客户在任何工作目录中的每次构建和每次导出"
                     "都会执行它；请将台账与客户配置放在一起保存"),
    "erase.customer_id": ("customer id", "客户编号"),
    "erase.email": ("e-mail address", "电子邮件地址"),
    "erase.phone": ("phone number", "电话号码"),
    # dbmkit new-client
    "nc.wrote": ("wrote {path}", "已写好客户配置草稿：{path}"),
    "nc.source": ("  {file}: {table} ({why})", "  {file}：{table}（{why}）"),
    "nc.read": ("    format {fmt}, encoding {enc}, delimiter {dlm!r}, header row {header}",
                "    格式 {fmt}，编码 {enc}，分隔符 {dlm!r}，表头行号 {header}"),
    "nc.decimal_comma": (", decimal comma", "，小数点为逗号"),
    "nc.dates": (", dates {fmt}", "，日期格式 {fmt}"),
    "nc.not_placed": ("    not placed: {columns}", "    未映射的列：{columns}"),
    "nc.note": ("    note: {text}", "    说明：{text}"),
    "nc.next": ("next: check the guesses in {path}, then run  dbmkit check {path}",
                "下一步：核对 {path} 中的推测，然后运行  dbmkit check {path}"),
    # dbmkit batch
    "batch.ok": ("{ok} of {n} client(s) ok", "{n} 个客户中 {ok} 个运行正常"),
    "batch.not_ok": (", {bad} not: see the message column", "，{bad} 个未成功：见“说明”一列"),
    "batch.summary": ("summary: {path}", "汇总：{path}"),
    "batch.columns": ("client|status|ok|failed|skipped|seconds|persons|active|top20 %|message",
                      "客户|状态|已运行|失败|已跳过|秒|人数|活跃客户|前20%收入占比|说明"),
    "batch.status_ok": ("ok", "正常"),
    "batch.status_failed": ("failed", "失败"),
    "batch.status_error": ("error", "出错"),
    "batch.config_error": ("config error: ", "配置错误："),
    "batch.set_error": ("--set error: ", "--set 错误："),
    "batch.exit_code": ("exit code {code}", "退出码 {code}"),
    "batch.log_line": ("{client}: {status} in {seconds:.0f} s", "{client}：{status}，用时 {seconds:.0f} 秒"),
    "batch.seconds": ("{seconds:.0f} s", "{seconds:.0f} 秒"),
    "batch.html_title": ("Batch report", "批量运行报告"),
    "batch.html_h1": ("Batch run", "批量运行"),
    "batch.html_heads": ("Client|Status|Chapters ok / failed / skipped|Time|Message",
                         "客户|状态|章节：已运行 / 失败 / 已跳过|用时|说明"),
    # dbmkit lab, init
    "lab.start": ("JupyterLab on {folder} for the client of {config} (every chapter opens on it); the URL follows — "
                  "Ctrl-C stops the server", "JupyterLab 已在 {folder} 上启动，客户配置为 {config}（每章都以它打开）；"
                                            "网址见下文 — 按 Ctrl-C 停止服务器"),
    "init.written": ("workbook written to {dest}: notebooks/, notebooks_zh/, clients/, data/, docs/",
                     "工作手册已写入 {dest}：notebooks/、notebooks_zh/、clients/、data/、docs/"),
    "init.next": ("next: cd {dest} && dbmkit report clients/{client}.yaml   (or: dbmkit lab clients/{client}.yaml)",
                  "下一步：cd {dest} && dbmkit report clients/{client}.yaml   "
                  "（或：dbmkit lab clients/{client}.yaml）"),
    # dbmkit new-chapter, override-chapter
    "chapter.wrote": ("wrote {path}", "已写好章节：{path}"),
    "chapter.also_standard": ("note: chapter {number} is a standard chapter too; this one runs after it (to replace "
                              "the standard one, use  dbmkit override-chapter {config} {number})",
                              "说明：第 {number} 章也是一个标准章节；本章在它之后运行（若要替换标准章节，请用  "
                              "dbmkit override-chapter {config} {number}）"),
    "chapter.next": ("next: open it in JupyterLab (jupyter lab {path}), write the chapter, then  dbmkit check "
                     "{config}  and  dbmkit test {config}",
                     "下一步：在 JupyterLab 中打开它（jupyter lab {path}），写好本章，然后运行  dbmkit check "
                     "{config}  和  dbmkit test {config}"),
    "override.rehashed": ("{path}: recorded the standard {name} as it is now (sha256 {sha}…)",
                          "{path}：已记录标准章节 {name} 的当前版本（sha256 {sha}…）"),
    "override.wrote": ("wrote {path}: a copy of the standard {name} for {client} only (sha256 {sha}… kept in its "
                       "metadata)", "已写好 {path}：标准章节 {name} 的副本，仅用于 {client}（sha256 {sha}… 记录在其"
                                   "元数据中）"),
    "override.next": ("next: edit it in JupyterLab; `dbmkit chapters {config}` says when the standard changes",
                      "下一步：在 JupyterLab 中修改它；标准章节有变化时，`dbmkit chapters {config}` 会提示"),
    # dbmkit chapters
    "chapters.head": ("Chapters of {client}: standard notebooks {std} ({edition}); client notebooks {own}{missing}",
                      "{client} 的章节：标准笔记本 {std}（{edition}）；客户笔记本 {own}{missing}"),
    "chapters.no_file": ("(none: the config has no file)", "（无：该配置没有对应的文件）"),
    "chapters.no_folder": (" (no such folder)", "（文件夹不存在）"),
    "chapters.edited": ("; the copy was edited", "；副本已修改"),
    "chapters.unchanged": ("; the copy is unchanged", "；副本未修改"),
    "chapters.totals": ("{standard} standard, {overridden} overridden, {added} added",
                        "标准章节 {standard} 章，客户修改版 {overridden} 章，客户专属章节 {added} 章"),
    "chapters.ignored": ("not chapters (name them NN_topic.ipynb to run them): {names}",
                         "不是章节（命名为 NN_topic.ipynb 才会运行）：{names}"),
    "kind.standard": ("standard", "标准章节"),
    "kind.overridden": ("overridden", "客户修改版"),
    "kind.added": ("added", "客户专属章节"),
    # the client-chapter section of dbmkit check (client_chapters.check_lines)
    "own.head": ("Client chapters in {folder}: {chapters}", "客户章节（{folder}）：{chapters}"),
    "own.item": ("{file} ({kind})", "{file}（{kind}）"),
    "own.sep": (", ", "，"),
    "own.none": ("none that run", "没有会运行的章节"),
    "own.note": ("  note: {file}: {text}", "  说明：{file}：{text}"),
    "own.skip": ("  the report will skip {file}: it needs {what}", "  报告将跳过 {file}：需要{what}"),
    "own.problems": ("Client notebooks with problems ({n}; fix them, then run dbmkit check again):",
                     "客户笔记本有问题（{n} 个；修正后请再次运行 dbmkit check）："),
    "own.ok": ("Client notebooks: every rule kept (parameters, no outputs, no absolute paths, public names).",
               "客户笔记本：全部规则均已遵守（参数单元格、无输出、无绝对路径、只用公开名称）。"),
    "own.problem": ("{notebook}{where}: {what} — fix: {fix}", "{notebook}{where}：{what} — 修正：{fix}"),
    "own.cell": (", cell {cell}", "，第 {cell} 个单元格"),
    "own.cells": (", cells {cells}", "，第 {cells} 个单元格"),
    "own.cells_sep": (", ", "、"),
    # dbmkit test
    "test.none": ("no client chapters to test in {folder} (the config's `notebooks:`, default <config folder>/<client>/"
                  "notebooks); write one with dbmkit new-chapter",
                  "{folder} 中没有可测试的客户章节（配置中的 `notebooks:`，默认是 <配置文件夹>/<client>/notebooks）；"
                  "请用 dbmkit new-chapter 写一章"),
    "test.problems": ("{n} problem(s) in the client notebooks (fix them, then test again):",
                      "客户笔记本中有 {n} 个问题（修正后请再次测试）："),
    "test.note": ("note: {file}: {text}", "说明：{file}：{text}"),
    "test.head": ("client chapters of {client}:", "{client} 的客户章节："),
    "test.line": ("  {status:<8} {file} ({kind}) {seconds:.0f} s{why}", "  {status:<4} {file}（{kind}）{seconds:.0f} 秒"
                                                                     "{why}"),
    "test.why": (": {message}", "：{message}"),
    "test.ran": ("{ok} of {n} ran; executed notebooks in {path}", "{n} 章中 {ok} 章已运行；运行后的笔记本在 {path}"),
    "test.status_ok": ("OK", "已运行"),
    "test.status_failed": ("FAILED", "失败"),
    "test.status_skipped": ("SKIPPED", "已跳过"),
    "test.no_nbval": ("nbval is not installed (pip install nbval, the `test` extra of dbmkit); or run dbmkit test "
                      "without --nbval (papermill)",
                      "没有安装 nbval（pip install nbval，即 dbmkit 的 `test` 附加组件）；或者不加 --nbval 运行 "
                      "dbmkit test（用 papermill）"),
    "test.nbval_set": ("--set does not reach notebooks run by nbval (they run as saved); drop --nbval to test with "
                       "changed settings", "--set 对 nbval 运行的笔记本不起作用（它们按保存时的样子运行）；"
                                          "若要用修改后的设置测试，请去掉 --nbval"),
    "test.nbval_every": ("nbval: every client chapter ran ({files})", "nbval：每个客户章节都已运行（{files}）"),
    "test.nbval_not_every": ("nbval: NOT every client chapter ran ({files})",
                             "nbval：并非每个客户章节都已运行（{files}）"),
    # errors
    "error": ("error: {text}", "错误：{text}"),
    "error.set": ("error: --set {text}", "错误：--set {text}"),
    "error.interrupted": ("interrupted", "已中断"),
    "error.unexpected": ("error: unexpected {kind}{text} — this is a bug in dbmkit; please report it with the command "
                         "you ran (DBMKIT_DEBUG=1 shows the traceback)",
                         "错误：意外的 {kind}{text} — 这是 dbmkit 的缺陷；请连同所运行的命令一起报告"
                         "（DBMKIT_DEBUG=1 可显示调用栈）"),
}

# the Chinese name of each table the check counts
TABLE_ZH = {"customers": "客户", "orders": "订单", "order_items": "订单明细", "products": "商品",
            "consents": "营销许可", "campaigns": "营销活动", "contacts": "活动接触", "responses": "活动响应",
            "email_events": "邮件事件", "sms_events": "短信事件", "anonymous_sales": "匿名销售",
            "test_orders": "测试订单"}


def language(cfg=None) -> str:
    """The language of the command's messages: the client config's ``language``, else ``DBMKIT_LANGUAGE``, else
    the current language of :mod:`dbmkit.i18n`.

    >>> class C: language = "zh"
    >>> language(C())
    'zh'
    """
    lang = getattr(cfg, "language", None) or os.environ.get("DBMKIT_LANGUAGE") or get_language()
    return "zh" if lang == "zh" else "en"


def config_language(path) -> str | None:
    """The ``language:`` of the client config at ``path`` (``en`` or ``zh``), read without validating the config
    (so that an error in it is told in the client's language too); None when the file says none or cannot be read.

    >>> config_language("no/such.yaml") is None
    True
    """
    path = str(path)
    if not path.endswith((".yaml", ".yml")):
        return None
    try:
        import yaml
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except (OSError, UnicodeError, yaml.YAMLError):
        return None
    lang = data.get("language") if isinstance(data, dict) else None
    return lang if lang in ("en", "zh") else None


def msg(key: str, lang: str | None = None, **fields) -> str:
    """The message ``key`` of :data:`MESSAGES` in ``lang`` (default :func:`language`), its fields filled in."""
    en, zh = MESSAGES[key]
    text = zh if (lang or language()) == "zh" else en
    return text.format(**fields) if fields else text


def day_text(d, lang: str | None = None) -> str:
    """A date the way the command writes it: 2026-06-30 in English (as always), 2026年6月30日 in Chinese.

    >>> day_text("2026-06-30", "en"), day_text("2026-06-30", "zh")
    ('2026-06-30', '2026年6月30日')
    """
    if (lang or language()) == "zh":
        return date_text(d, "zh")
    return f"{d:%Y-%m-%d}" if hasattr(d, "strftime") else str(d)[:10]


# reason in the quarantine → what to do about it (first match wins): (pattern, English, 中文)
FIXES: list[tuple[str, str, str]] = [
    (r"as a date", "set `date_format` for this source (e.g. '%d/%m/%Y'), or correct those dates in the export",
     "为该数据源设置 `date_format`（例如 '%d/%m/%Y'），或在导出文件中更正这些日期"),
    (r"is not a number", "check `decimal` (',' when amounts look like 1.234,50) or clean that column in the export",
     "检查 `decimal`（金额形如 1.234,50 时设为 ','），或在导出文件中清理该列"),
    (r"decimal (comma|point) but|does not read with `decimal|is ambiguous \(a thousands",
     "set `decimal` for this source (',' when amounts look like 1.234,50, '.' for 1,234.50), or correct those "
     "values in the export",
     "为该数据源设置 `decimal`（金额形如 1.234,50 时设为 ','，形如 1,234.50 时设为 '.'），或在导出文件中更正这些值"),
    (r"is beyond the limit|is not a finite number", "a typing error or a test value: correct it in the export (or "
                                                    "raise `data.max_amount` / `data.max_quantity` if it is real)",
     "可能是录入错误或测试值：请在导出文件中更正（若数值属实，可调高 `data.max_amount` / `data.max_quantity`）"),
    (r"(before|after) the plausible dates \(",
     "a placeholder or broken date (year 1, Excel's 1899-12-30): correct it in the export, or widen `data.dates` if "
     "the history really is that old",
     "这是占位或损坏的日期（公元1年、Excel 的 1899-12-30）：请在导出文件中更正；"
     "若历史确实这么久远，可放宽 `data.dates`"),
    (r"in the future", "day and month swapped? set `date_format`; otherwise check the export's clock",
     "日和月是否颠倒？请设置 `date_format`；否则请检查导出系统的时钟"),
    (r"duplicate|appears again", "the export repeats rows or the id is not unique: remove duplicates, or map a "
                                 "truly unique id column",
     "导出文件有重复行，或编号不唯一：请删除重复行，或映射一个真正唯一的编号列"),
    (r"repeated header", "several exports were concatenated: the extra header line was set aside; nothing to fix",
     "多个导出文件被拼接在一起：多余的表头行已被剔除，无需处理"),
    (r"unreadable line", "the line has a different number of fields: check `delimiter` and quoting in the export",
     "该行的字段数不同：请检查导出文件的 `delimiter`（分隔符）和引号"),
    (r"zero quantity", "lines with quantity 0 carry no sale; they can be ignored",
     "数量为 0 的明细行不构成销售，可以忽略"),
    (r"negative price", "negative prices are adjustments (fees, bad debt), not sales; they can be ignored",
     "负价格是调整项（手续费、坏账），不是销售，可以忽略"),
    (r"unknown or quarantined order", "these lines belong to orders missing from (or rejected in) the orders file",
     "这些明细行所属的订单不在订单文件中（或已被隔离）"),
    (r"different customers", "one invoice cannot belong to two customers: fix the customer id on its lines",
     "一张发票不能属于两位客户：请更正其明细行上的客户编号"),
    (r"is not one of opt_in/opt_out|is not a known consent word",
     "add the word to `data.consent_words` (under opt_in or opt_out) if you know what it means; until then the row "
     "counts as an opt-out",
     "若清楚该词的含义，请将其加入 `data.consent_words`（放在 opt_in 或 opt_out 下）；在此之前该行按退订处理"),
    (r"is not one of email/sms/phone/mail|is not a known channel",
     "add the channel word to `data.consent_words` (under email, sms, phone, mail, wechat or app_push); until then "
     "the row suppresses the person on every channel",
     "请将该渠道词加入 `data.consent_words`（放在 email、sms、phone、mail、wechat 或 app_push 下）；在此之前该行会在"
     "所有渠道上抑制此人"),
    (r"without a sign-up date", "map `signup_date` in the customers source (or fill it in the export); until then "
                                "the flag 'no' counts as the latest evidence",
     "请在 customers 数据源中映射 `signup_date`（或在导出文件中补齐）；在此之前标记 'no' 视为最新记录"),
    (r"_consent: .* is not yes/no", "a consent flag that is not yes/no is read with the consent vocabulary "
                                    "(`dbmkit check` lists it under consent when it counts as an opt-out)",
     "不是 yes/no 的许可标记按许可词表读取（若按退订处理，`dbmkit check` 会在营销许可部分列出）"),
    (r"opt-out without a date|counted as the latest evidence",
     "map the date column (`updated_at`) or set `date_format`; until then the opt-out counts as the latest evidence",
     "请映射日期列（`updated_at`）或设置 `date_format`；在此之前该退订视为最新记录"),
    (r"no customers source has the system", "a known id link names a system no customers source has: write each "
     "side's system as the `source_system` of a customers source (the reason lists them), or add its customer file",
     "已知编号关联中的系统不属于任何 customers 数据源：请把两侧的系统写成某个 customers 数据源的 `source_system`"
     "（原因中列出了它们），或加入该系统的客户文件"),
    (r"has no record with the id", "a known id link names an id its system does not hold: write the id as that "
     "system's customers file writes it (the build adds the source's `id_prefix`)",
     "已知编号关联中的编号在其系统中不存在：请按该系统客户文件的写法书写编号（构建时会加上数据源的 `id_prefix`）"),
    (r"placeholder id or a shared card", "one id is in very many known id links: a placeholder (0, UNKNOWN) or a "
     "shared card in the crosswalk? correct those rows; the person's other links still count",
     "某个编号出现在大量已知关联中：是占位编号（0、UNKNOWN）还是共用的会员卡？请更正这些行；此人的其他关联仍然有效"),
    (r"links a record to itself|repeats the link", "the crosswalk names one record twice or repeats a link: the row "
     "was set aside, nothing is lost", "对照表把同一条记录写了两次或重复了关联：该行已被剔除，没有数据丢失"),
    (r"no customer with this", "the id, e-mail or phone is not in the customers source: check `id_prefix` and "
                               "the files", "该编号、邮件或电话不在 customers 数据源中：请检查 `id_prefix` 和文件"),
    (r"too long", "the mapping probably points at the wrong column: check `columns:`",
     "映射可能指向了错误的列：请检查 `columns:`"),
    (r"missing", "fill the column in the export (rows without it cannot be loaded), or map another column",
     "请在导出文件中补齐该列（缺少它的行无法载入），或映射另一列"),
]
FIX_OTHER = ("look at these rows in the quarantine table (chapter 10 shows them) and correct the export",
             "请在隔离表（quarantine，第10章展示）中查看这些行，并更正导出文件")


def fix_for(reason: str, lang: str = "en") -> str:
    """The usual fix for a quarantine reason, in ``lang``.

    >>> fix_for("quantity: zero quantity (nothing was sold or returned)", "zh")
    '数量为 0 的明细行不构成销售，可以忽略'
    """
    for pattern, en, zh in FIXES:
        if re.search(pattern, str(reason), re.I):
            return zh if lang == "zh" else en
    return FIX_OTHER[1] if lang == "zh" else FIX_OTHER[0]


# what lower layers say in English (build steps, rebuild reasons, quarantine reasons, load warnings) → 中文; every
# match of a pattern is replaced, in order (a reason "column: what" keeps its column name)
PHRASES: list[tuple[re.Pattern, str]] = [(re.compile(p), zh) for p, zh in [
    # the build's steps and the reasons for a rebuild (client_workspace, database.pipeline)
    (r"^build: no database yet$", "构建：还没有数据库"),
    (r"^rebuild: asked for$", "重建：按要求重建"),
    (r"^build: asked for$", "构建：按要求构建"),
    (r"^rebuild: the data config, the schema version or the analysis date changed$",
     "重建：数据配置、数据结构版本或分析日期已更改"),
    (r"^rebuild: the database was built by an older version of dbmkit$", "重建：数据库由旧版 dbmkit 构建"),
    (r"^rebuild: the client's erasure ledger holds erasures this database has not applied$",
     "重建：客户的删除台账中有本数据库尚未执行的删除"),
    (r"^rebuild: new (.+)$", r"重建：新数据源 \1"),
    (r"^rebuild: (.+) is missing$", r"重建：\1 缺失"),
    (r"^rebuild: (.+) cannot be read \(the build will say why\)$", r"重建：\1 无法读取（构建时会说明原因）"),
    (r"^rebuild: (.+) was removed$", r"重建：\1 已移除"),
    (r"^rebuild: (.+) changed$", r"重建：\1 已更改"),
    (r"^generate the synthetic client$", "生成合成客户数据"),
    (r"^ingest$", "读取数据源（ingest）"),
    (r"^rules and duplicates$", "行规则与重复检查"),
    (r"^orders$", "订单"),
    (r"^clean$", "清洗"),
    (r"^merge/purge$", "合并去重（merge/purge）"),
    (r"^store$", "写入数据库"),
    (r"^quality$", "数据质量"),
    # quarantine reasons and value issues (ingest, database.rules, sql/build_*.sql)
    (r"zero quantity \(nothing was sold or returned\)", "数量为 0（既无销售也无退货）"),
    (r"negative price \(returns have negative quantities, not prices\)", "负价格（退货的数量为负，而不是价格）"),
    (r"no customer with this phone number", "没有使用该电话号码的客户"),
    (r"no customer with this e-mail address", "没有使用该电子邮件地址的客户"),
    (r"no customer with this id", "没有该编号的客户"),
    (r"line of an unknown or quarantined order (\S+)", r"所属订单 \1 未知或已被隔离"),
    (r"exact duplicate of (\w+) (.+?) \(first at (.+?) row (\d+)\)", r"\1 \2 的完全重复（首次出现在 \3 第 \4 行）"),
    (r"exact duplicate of (\w+) (\S+)", r"\1 \2 的完全重复"),
    (r"(\w+) (\S+) appears again with different content \(first at (.+?) row (\d+)\)",
     r"\1 \2 再次出现且内容不同（首次出现在 \3 第 \4 行）"),
    (r"(\w+) (\S+) appears again with different content", r"\1 \2 再次出现且内容不同"),
    (r"cannot read ('[^']*'|…) as a date", r"无法将 \1 读作日期"),
    (r"date in the future \(([^,()]+), after the plausible dates, which end ([\d-]+): `data\.dates`\)",
     r"日期在未来（\1，晚于合理日期范围的终点 \2：`data.dates`）"),
    (r"date in the future \(([^()]+)\)", r"日期在未来（\1）"),
    (r"date in the future", "日期在未来"),
    (r"date (before|after) the plausible dates \(([^():]+): they (start|end) ([\d-]+), `data\.dates`\)",
     lambda m: "日期" + ("早于" if m.group(1) == "before" else "晚于") + f"合理日期范围（{m.group(2)}：合理日期"
     + ("始于" if m.group(3) == "start" else "止于") + f" {m.group(4)}，`data.dates`）"),
    (r"date (before|after) the plausible dates \(", lambda m: "日期" + ("早于" if m.group(1) == "before" else "晚于")
     + "合理日期范围（"),
    (r"('[^']*'|…) is not a number \(its separators fit neither 1,234\.56 nor 1\.234,56\)",
     r"\1 不是数字（其分隔符既不符合 1,234.56 也不符合 1.234,56）"),
    (r"('[^']*'|…) is not a number", r"\1 不是数字"),
    (r"('[^']*'|…) is not a finite number", r"\1 不是有限数值"),
    (r"is beyond the limit of ±([\d,.]+)(?: \((`[^`]+`)\))?: a typing error or a test value\?",
     lambda m: f"超出上限 ±{m.group(1)}" + (f"（{m.group(2)}）" if m.group(2) else "") + "：是录入错误还是测试值？"),
    (r"is beyond the limit of ±", "超出上限 ±"),
    (r"('[^']*'|…) is not a known consent word \(counted as an opt-out\)", r"\1 不是已知的许可用词（按退订处理）"),
    (r"('[^']*'|…) is not a known consent word", r"\1 不是已知的许可用词"),
    (r"('[^']*'|…) is not a known channel \(counted on every channel\)", r"\1 不是已知的渠道（对所有渠道生效）"),
    (r" on a record without a sign-up date \(counted as the latest evidence\)",
     "，所在记录没有注册日期（视为最新记录）"),
    (r"repeated header line \(files concatenated\?\)", "重复的表头行（文件被拼接？）"),
    (r"^unreadable line: ", "无法读取的行："),
    (r"value too long \((\d+) characters; the limit is (\d+)\) — a broken line or a note pasted into the field\?",
     r"值过长（\1 个字符；上限为 \2）— 是断行，还是把备注粘贴进了该字段？"),
    (r"value too long \(", "值过长（"),
    (r"invoice (\S+) has lines with different customers", r"发票 \1 的明细行属于不同客户"),
    (r" has lines with different customers", " 的明细行属于不同客户"),
    (r": missing \(counted on every channel\)", "：缺失（对所有渠道生效）"),
    (r": missing \(counted as the latest evidence\)", "：缺失（视为最新记录）"),
    (r": missing \(and no gross_amount\)", "：缺失（且没有 gross_amount）"),
    (r": missing$", "：缺失"),
    (r" — an opt-out without a date counts as the latest evidence", " — 没有日期的退订视为最新记录"),
    (r"^(\d+) value\(s\) of (\w+) could not be read and were left empty \(e\.g\. (.*)$",
     r"\2 有 \1 个值无法读取，已留空（例如 \3"),
    (r"^see value_issues\)$", "详见 value_issues）"),
    (r"^(\w+): ", r"\1："),
]]
PHRASES = PHRASES[:-1] + phrases_zh.REASON_PHRASES + PHRASES[-1:]    # the rarer ones, before "column: " → "column："

# … an invalid WeChat openid or app push token on a customer record (app_ids.identifier_problems, database.pipeline)
for _what, _zh in (("a WeChat openid", "微信OpenID"), ("an app push token", "App推送令牌")):
    PHRASES += [(re.compile(p), zh) for p, zh in [
        (r"an e-mail address, not " + _what, f"是邮箱地址，不是{_zh}"),
        (r"a phone number, not " + _what, f"是电话号码，不是{_zh}"),
        (r"a placeholder \('(.*?)'\), not " + _what, r"是占位符（“\1”），不是" + _zh),
        (r"contains spaces: not " + _what, f"含有空格，不是{_zh}"),
        (r"too short for " + _what + r" \((\d+) characters, at least (\d+)\)",
         _zh + r"太短（\1 个字符，至少 \2 个）"),
        (r"too long for " + _what + r" \((\d+) characters, at most (\d+)\)", _zh + r"太长（\1 个字符，至多 \2 个）"),
        (r"not " + _what + r" \(only letters, digits, [^)]*\)",
         f"不是{_zh}（只允许字母、数字和 - _ 等符号，以字母或数字开头）"),
    ]]
PHRASES.append((re.compile(r" \(left empty: no contact point for the channel\)"), "（已留空：该渠道没有联系方式）"))


def translate(text: str, lang: str | None = None) -> str:
    """A message of a lower layer (in English) in ``lang``: in Chinese the phrases :data:`PHRASES` knows are
    replaced (names, values and rows kept); English, and anything unknown, comes back unchanged.

    >>> translate("merge/purge", "zh"), translate("merge/purge", "en")
    ('合并去重（merge/purge）', 'merge/purge')
    """
    text = str(text)
    if (lang or language()) != "zh":
        return text
    for pattern, zh in PHRASES:
        text = pattern.sub(zh, text)
    return text


# how a consultant provides each input of chapters.NEEDS, in Chinese (the English is Need.fix)
NEED_FIX_ZH: dict[str, str] = {
    "order_items": "将明细级销售文件映射为 `sales_lines`（订单编号、商品、数量、单价），或在 `orders` 旁加入 "
                   "`order_items` 数据源",
    "contact_details": "加入含客户编号及邮件／电话／街道地址的 `customers` 数据源（CRM 导出）",
    "consents": "加入 `consents` 数据源（客户编号或邮件、渠道、状态、日期），或在 `customers` 数据源中提供许可标记"
                "（`email_consent`、`sms_consent` …）",
    "campaigns": "加入 `campaigns`（活动编号、名称、渠道、日期、成本）和 `contacts`"
                 "（活动编号、客户编号、组别、接触日期）数据源",
    "control_groups": "在 `contacts` 数据源中映射 `group`（treatment / control）；没有对照组就无法衡量提升",
    "email_events": "从邮件平台加入 `email_events` 数据源（活动编号、客户编号或邮件、事件、时间戳）",
    "area_demographics": "加入 `area_demographics` 数据源（邮编、户数、人口、收入中位数 …），例如为数据补充而购买的"
                         "人口普查数据；并在 `customers` 数据源中映射 `postal_code`",
    "products": "加入 `products` 数据源（商品编号、名称、类别、单位成本、标价）",
    "repeat_buyers": "需要更长的销售历史（计算客户终身价值通常至少需要一年）",
    "customer_file": "加入 `customers` 数据源（客户编号、姓名、邮件、电话、街道、邮编 …）；"
                     "没有它时，客户就是销售文件中的客户编号",
    "addresses": "在 `customers` 数据源中映射 `street` 和 `postal_code`",
    "sales_channel": "在销售数据源中映射 `channel`，或用 `constants: {channel: web}` 为每个文件指定渠道",
    "several_channels": "在每个销售数据源中映射 `channel`（只在一个渠道销售的客户没有多渠道顾客）",
    "acquisition_channel": "在 `customers` 数据源中映射 `acquisition_channel`（以及 `acquisition_cost`）",
    "acquisition_cost": "在 `customers` 数据源中映射 `acquisition_cost`（例如带来该客户的渠道的单条线索成本）",
    "product_categories": "加入明细行（`sales_lines` 或 `order_items`）以及编号与之匹配的 `products` 数据源（商品编号、"
                          "名称、类别、子类别）",
    "product_costs": "加入带 `unit_cost` 的 `products` 数据源（或在订单数据源中映射 `cost`）；在此之前毛利按 "
                     "`economics.gross_margin` 估算",
    "discounts": "在销售数据源中映射 `discount`（或在 `net_amount` 旁映射 `gross_amount`）",
    "demographics": "在 `customers` 数据源中映射 `birth_date` 和 `gender`",
}


def need_fix(key: str, need, lang: str | None = None) -> str:
    """How to provide the input ``key`` of ``chapters.NEEDS`` (``need`` its :class:`~dbmkit.chapters.Need`) in
    ``lang``; a key without a Chinese text keeps the English."""
    if (lang or language()) == "zh" and key in NEED_FIX_ZH:
        return NEED_FIX_ZH[key]
    return need.fix


# the commonest problems of a client config (config._format_errors, pydantic's messages) → 中文
CONFIG_PHRASES: list[tuple[re.Pattern, str]] = [(re.compile(p), zh) for p, zh in [
    (r"^unknown field \(did you mean '([^']+)'\?\); remove or rename it$",
     r"未知字段（是否想写 '\1'？）；请删除或改名"),
    (r"^unknown field; remove or rename it$", "未知字段；请删除或改名"),
    (r"^unknown setting \(did you mean '([^']+)'\?\); the settings are listed in docs/CONFIG\.md$",
     r"未知设置（是否想写 '\1'？）；所有设置见 docs/CONFIG.md"),
    (r"^unknown setting; the settings are listed in docs/CONFIG\.md$", "未知设置；所有设置见 docs/CONFIG.md"),
    (r"^cannot set it: (\S+) is a value, not a section; use the field's full dotted name, e\.g\. (\S+)$",
     r"无法设置：\1 是一个值，不是一节；请写出字段的完整点号名称，例如 \2"),
    (r"^required field is missing; add it$", "缺少必填字段；请补上"),
    (r"^use letters, digits, '-' and '_' only \(it names folders\), e\.g\. '([^']*)'$",
     r"只能使用字母、数字、'-' 和 '_'（它用作文件夹名），例如 '\1'"),
    (r"^Input should be greater than or equal to (\S+)", r"输入值应大于或等于 \1"),
    (r"^Input should be less than or equal to (\S+)", r"输入值应小于或等于 \1"),
    (r"^Input should be greater than (\S+)", r"输入值应大于 \1"),
    (r"^Input should be less than (\S+)", r"输入值应小于 \1"),
    (r"^Input should be a valid number(, unable to parse string as a number)?", "输入值应为有效数字"),
    (r"^Input should be a valid integer(, unable to parse string as an integer)?", "输入值应为整数"),
    (r"^Input should be a valid boolean(, unable to interpret input)?", "输入值应为 true 或 false"),
    (r"^Input should be a valid date(time)?", "输入值应为有效日期（YYYY-MM-DD）"),
    (r"^Input should be a valid string", "输入值应为文本"),
    (r"^Input should be a valid dictionary", "输入值应为映射（键: 值）"),
    (r"^Input should be a valid list", "输入值应为列表"),
    (r"^Input should be (.+)$", r"输入值应为 \1"),
    (r" or ('[^']*')", r" 或 \1"),
    (r" \(got (.*)\)$", r"（实际为 \1）"),
]]


def config_problem_text(text: str, lang: str | None = None) -> str:
    """One problem of a client config (the text after its field name) in ``lang``, as :func:`config_error_text`
    words it.

    >>> config_problem_text("required field is missing; add it", "zh")
    '缺少必填字段；请补上'
    """
    text = " ".join(str(text).split())
    if (lang or language()) == "zh":
        for pattern, repl in CONFIG_PHRASES:
            text = pattern.sub(repl, text)
    return text


def config_error_text(problems: list[tuple[str, str]], source: str | None, lang: str | None = None) -> str:
    """A config's problems as ``dbmkit`` prints them (:class:`~dbmkit.config.ConfigError`): in English its text as
    it always was, in Chinese with the commonest messages translated (field names and values unchanged).

    >>> print(config_error_text([("campaign.budgett", "unknown field (did you mean 'budget'?); remove or rename it")],
    ...                         "clients/x.yaml", "zh"))
    客户配置（clients/x.yaml）有 1 个问题：
      - campaign.budgett：未知字段（是否想写 'budget'？）；请删除或改名
    """
    zh = (lang or language()) == "zh"
    if not zh:
        where = f" in {source}" if source else ""
        head = f"The client config{where} has {len(problems)} problem(s):"
    else:
        head = f"客户配置{f'（{source}）' if source else ''}有 {len(problems)} 个问题："
    lines = [head]
    for field, text in problems:
        field, text = " ".join(str(field).split()), " ".join(str(text).split())
        if zh:
            for pattern, repl in CONFIG_PHRASES:
                text = pattern.sub(repl, text)
        lines.append(f"  - {field}：{text}" if zh else f"  - {field}: {text}")
    return "\n".join(lines)


# the commonest messages of a source that cannot be read (ingest.IngestError) and their fixes → 中文
INGEST_PHRASES: list[tuple[re.Pattern, str]] = [(re.compile(p), zh) for p, zh in [
    (r"^(database )?file not found: (.+)$",
     lambda m: ("找不到数据库文件：" if m.group(1) else "找不到文件：") + m.group(2)),
    (r"^did you mean (.+)\? ", r"是否想写 \1？"),
    (r"^the folder (.+) does not exist either; ", r"文件夹 \1 也不存在；"),
    (r"check `path` \(relative paths start at the config file's folder\)",
     "请检查 `path`（相对路径从配置文件所在的文件夹算起）"),
    (r"^the mapping says (\S+) ← '([^']*)', but the file has no column '([^']*)'$",
     r"映射写的是 \1 ← '\2'，但文件中没有 '\3' 这一列"),
    (r"^the (\w+) mapping lacks (.+)$", r"\1 的映射缺少 \2"),
    (r"^add them under `columns:` \(canonical column: column in the file\)$",
     "请在 `columns:` 下补上（标准列名: 文件中的列名）"),
    (r"^unknown table '([^']*)'$", r"未知的表 '\1'"),
    (r"^sources feed one of: (.+)$", r"数据源只能对应以下之一：\1"),
    (r"^the file is empty$", "文件是空的"),
    (r"^export the data again; the file has no content$", "请重新导出数据；该文件没有内容"),
    (r"^unknown encoding '([^']*)'$", r"未知编码 '\1'"),
    (r"^wrong delimiter: ", "分隔符不对："),
    (r"^set `(\w+): ([^`]*)` for this source \(or remove it to detect it\)$",
     r"为该数据源设置 `\1: \2`（或删除它以自动识别）"),
    (r"^set `encoding: ([^`]*)` for this source \(or remove `encoding` to detect it\)$",
     r"为该数据源设置 `encoding: \1`（或删除 `encoding` 以自动识别）"),
    (r"^save it again as \.xlsx from Excel, or export the sheet as CSV$",
     "请用 Excel 重新另存为 .xlsx，或把工作表导出为 CSV"),
    (r"^cannot open the workbook ", "无法打开工作簿 "),
    (r"^no sheet named '([^']*)'$", r"没有名为 '\1' 的工作表"),
    (r"^use one of (.+)$", r"请使用以下之一：\1"),
]]
INGEST_PHRASES += phrases_zh.SOURCE_PHRASES          # what new-client says of a file it cannot draft


def ingest_error_text(text: str, file: str | None, column: str | None, row: int | None, fix: str | None,
                      lang: str | None = None) -> str:
    """A source that cannot be read as ``dbmkit`` prints it (:class:`~dbmkit.ingest.IngestError`: ``text`` its
    whole message): in English as it always was, in Chinese with the file, column and row named in Chinese and the
    commonest messages and fixes translated.

    >>> print(ingest_error_text("orders.csv: file not found: /data/orders.csv\\n  Fix: check `path` (relative "
    ...                         "paths start at the config file's folder)", "orders.csv", None, None,
    ...                         "check `path` (relative paths start at the config file's folder)", "zh"))
    orders.csv：找不到文件：/data/orders.csv
      修正：请检查 `path`（相对路径从配置文件所在的文件夹算起）
    """
    if (lang or language()) != "zh":
        return text
    parts = [p for p in (file, column and f"column '{column}'", row is not None and f"row {row}") if p]
    body = text.split("\n  Fix: ")[0]
    prefix = ", ".join(parts) + ": " if parts else ""
    message = body[len(prefix):] if prefix and body.startswith(prefix) else body

    def zh(s: str) -> str:
        for pattern, repl in INGEST_PHRASES:
            s = pattern.sub(repl, s)
        return s
    where = "，".join(p for p in (file, column and f"列 '{column}'", row is not None and f"第 {row} 行") if p)
    return (f"{where}：" if where else "") + zh(message) + (f"\n  修正：{zh(fix)}" if fix else "")


def draft_text(text: str, lang: str | None = None) -> str:
    """What ``dbmkit new-client`` says about a file (the table it feeds and why, a note) in ``lang`` (default
    :func:`language`): :func:`dbmkit.phrases_zh.draft_text`.

    >>> draft_text("one row per order: a date and an order amount", "zh")
    '每行一笔订单：日期和订单金额'
    """
    return phrases_zh.draft_text(text, lang or language())


def chapter_text(text: str, lang: str | None = None) -> str:
    """A message about a client's own chapters (drift, a rule a notebook breaks and its fix, an error of new-chapter
    or override-chapter) in ``lang`` (default :func:`language`): :func:`dbmkit.phrases_zh.chapter_text`.

    >>> chapter_text("in step with the standard", "zh"), chapter_text("in step with the standard", "en")
    ('与标准章节一致', 'in step with the standard')
    """
    return phrases_zh.chapter_text(text, lang or language())


def error_text(text, lang: str | None = None) -> str:
    """An error the command prints (a folder it cannot write, a busy work folder, an existing file, the erasure
    ledger, an error about client chapters) in ``lang`` (default :func:`language`):
    :func:`dbmkit.phrases_zh.error_text`.

    >>> error_text("cannot write the work folder /x/w: /x is a file, not a folder; give --workdir a folder you can "
    ...            "write to (or set `workdir:` in the config)", "zh")
    '无法写入工作目录 /x/w：/x 是一个文件，不是文件夹；请用 --workdir 指定一个可写的文件夹（或在配置中设置 `workdir:`）'
    """
    return phrases_zh.error_text(text, lang or language())
