"""The Chinese of the English texts the command's lower layers write (命令行底层英文消息的中文): the rarer
quarantine reasons and load warnings of the build, what ``dbmkit new-client`` says about a file (the table it feeds,
its notes, a file it cannot read), the client chapters' drift and rules (:mod:`dbmkit.client_chapters`), and the
errors of folders, a busy work folder, an existing file and the erasure ledger.

Each table is (pattern, Chinese) pairs; every match of a pattern is replaced, in order, so names, values, rows and
paths stay as they are. :mod:`dbmkit.messages` folds :data:`REASON_PHRASES` into its ``PHRASES`` and
:data:`SOURCE_PHRASES` into its ``INGEST_PHRASES``, and offers :func:`draft_text`, :func:`chapter_text` and
:func:`error_text` with the command's language as the default; the functions here take the language explicitly
(anything but ``"zh"`` returns the English unchanged).

>>> error_text("/w/x.ipynb exists; give --force to overwrite it")
'/w/x.ipynb 已存在；如要覆盖，请加 --force'
"""
from __future__ import annotations

import re

__all__ = ["REASON_PHRASES", "SOURCE_PHRASES", "DRAFT_PHRASES", "CHAPTER_PHRASES", "ERROR_PHRASES", "WHAT_ZH",
           "what_zh", "draft_text", "chapter_text", "error_text"]

_MARK_ZH = {"comma": "逗号", "point": "句点"}
_WHO_ZH = {"customers": "客户", "orders": "订单", "products": "商品", "ids": "编号"}
_STATUS_ZH = {"completed": "已完成", "cancelled": "已取消", "returned": "已退货"}

# the rarer quarantine reasons, consent problems and load warnings (ingest, database.rules, .links, .consent,
# sql/build_*.sql) → 中文; messages.PHRASES applies them after its own, before "column: " becomes "column："
REASON_PHRASES: list[tuple[re.Pattern, str]] = [(re.compile(p), zh) for p, zh in [
    (r"('[^']*'|…) has a decimal (comma|point) but the column's other values use a decimal (point|comma): correct "
     r"the value, or set `decimal:` for this source",
     lambda m: f"{m.group(1)} 的小数点是{_MARK_ZH[m.group(2)]}，但该列其他值的小数点是{_MARK_ZH[m.group(3)]}："
               "请更正该值，或为该数据源设置 `decimal:`"),
    (r"('[^']*'|…) does not read with (`decimal: '[.,]'`) set for this source \(it has a decimal (comma|point)\): "
     r"correct the value, or the setting",
     lambda m: f"{m.group(1)} 无法按该数据源设置的 {m.group(2)} 读取（它的小数点是{_MARK_ZH[m.group(3)]}）："
               "请更正该值或该设置"),
    (r"('[^']*'|…) is ambiguous \(a thousands separator or a decimal mark\?\): set (`decimal: '\.'`) or "
     r"(`decimal: ','`) for this source", r"\1 有歧义（是千位分隔符还是小数点？）：请为该数据源设置 \2 或 \3"),
    (r"('[^']*'|…) is not yes/no", r"\1 不是 yes/no"),
    (r"('[^']*'|…) is not one of (\S+)", r"\1 不是 \2 之一"),
    (r"an opt-in must name one channel, not ('[^']*'|…) \(counted as an opt-out on every channel\)",
     r"订阅必须指明一个渠道，而不是 \1（按所有渠道的退订处理）"),
    (r"^a record joined to this person by a known id link \(customer_links\) opted out of this channel: its "
     r"opt-out holds for the whole person$",
     "通过已知编号关联（customer_links）并入此人的某条记录退订了该渠道：该退订对此人整体有效"),
    (r" \(counted as the latest evidence\)", "（视为最新记录）"),
    (r"^erased person \(right to erasure\): row withheld$", "已删除的人（删除权）：该行不予载入"),
    (r"; two systems use the same ids\? set `id_prefix` for one of them$",
     "；两个系统使用相同的编号？请为其中一个设置 `id_prefix`"),
    (r"(\S+) is also in an order-level sales file", r"\1 也出现在订单级销售文件中"),
    (r"negative amount on a (\w+) order \(a return\? map its status as returned\)",
     lambda m: f"{_STATUS_ZH.get(m.group(1), m.group(1))}订单的金额为负（是退货吗？请把其状态映射为 returned）"),
    (r"(\S+) is not in the campaigns file", r"\1 不在营销活动文件中"),
    (r"^the same person was contacted twice in one campaign \(two records of one person\)$",
     "同一个人在一次营销活动中被接触了两次（同一个人的两条记录）"),
    (r"no customers source has the system ('[^']*') \(the systems are (.*)\)",
     r"没有任何 customers 数据源属于系统 \1（已有的系统：\2）"),
    (r"the system ('[^']*') has no record with the id ('[^']*') \(check the id and the source's `id_prefix`\)",
     r"系统 \1 中没有编号为 \2 的记录（请检查该编号和数据源的 `id_prefix`）"),
    (r"the link links a record to itself", "该关联把一条记录关联到它自己"),
    (r"the link repeats the link of row (\d+) \(the same two records\)",
     r"该关联与第 \1 行的关联重复（同样的两条记录）"),
    (r"the record (\S+) is in (\d+) links \(more than (\d+)\): a placeholder id or a shared card\? its links were "
     r"set aside", r"记录 \1 出现在 \2 个关联中（超过 \3 个）：是占位编号还是共用的会员卡？它的关联已被剔除"),
    # the lines of a file that cannot be read (ingest.staging)
    (r"the line has more fields than the header \(a delimiter inside an unquoted value\?\)",
     "该行的字段比表头多（未加引号的值里有分隔符？）"),
    (r"the line has fewer fields than the header", "该行的字段比表头少"),
    (r"a quote opens but never closes properly \(the rest of the line or file was swallowed\)",
     "引号打开后没有正确关闭（该行或文件的其余部分被吞掉了）"),
    (r"a quote opens but never closes properly \(set aside on its own, the lines after it were read as usual\)",
     "引号打开后没有正确关闭（该行已单独剔除，其后的行照常读取）"),
    (r"the line is longer than 10 MB", "该行超过 10 MB"),
    (r"the line holds bytes that are not text in the file's encoding", "该行含有不属于该文件编码的字节"),
    # load warnings and notes (ingest)
    (r"^no order_id mapped: each row is one order, numbered by its row in the file$",
     "未映射 order_id：每一行是一笔订单，按其在文件中的行号编号"),
    (r"^row numbers count records, not physical lines \(unusual quoting\)$",
     "行号按记录计数，而不是按物理行（引号用法特殊）"),
    (r"^no data rows \(the file has a header only\)$", "没有数据行（文件只有表头）"),
    (r"^mixed encodings: (\d+) line\(s\) were UTF-8, not (\S+)", r"编码混杂：有 \1 行是 UTF-8 而不是 \2"),
    (r"^mixed encodings: (\d+) line\(s\) \(first: line (\d+)\) were not UTF-8 and were read as (\S+)",
     r"编码混杂：有 \1 行（第一处：第 \2 行）不是 UTF-8，已按 \3 读取"),
    (r"(^|; )read as UTF-8$", lambda m: ("；" if m.group(1) else "") + "已按 UTF-8 读取"),
    (r"(^|; )check them$", lambda m: ("；" if m.group(1) else "") + "请检查这些行"),
    (r"^the file is a ZIP archive: read ('[^']*') inside it$", r"该文件是 ZIP 压缩包：已读取其中的 \1"),
    (r"^the file is (.+?): read unpacked$", lambda m: f"该文件是{_spaced(what_zh(m.group(1)))}：已解压读取"),
    (r"^known id links: ([\d,]+) given, ([\d,]+) applied \(([\d,]+) joined records fuzzy matching kept apart\), "
     r"([\d,]+) quarantined$", r"已知编号关联：给出 \1 条，应用 \2 条（其中 \3 条把模糊匹配分开的记录合并在一起），"
                               r"隔离 \4 条"),
    (r"^column ('[^']*') holds time-zone-aware timestamps: converted to the local time of (\S+) \(the config's "
     r"`timezone`\) and kept without zone$", r"列 \1 含带时区的时间戳：已换算为 \2 的当地时间（配置中的 "
                                            r"`timezone`），并去掉时区保存"),
    (r"^(?:(\S+) )?column (\S+): comma decimals, (.+?) — ('[^']*') read as (\S+) \(set `decimal: ','` to make it "
     r"explicit\)$",
     lambda m: f"{m.group(1) + ' ' if m.group(1) else ''}列 {m.group(2)}：小数点为逗号，"
               + m.group(3).replace("no thousands", "无千位分隔符").replace(" thousands", " 为千位分隔符")
               .replace(" and ", "和") + f" — {m.group(4)} 读作 {m.group(5)}（设置 `decimal: ','` 可明确指定）"),
    (r"^(?:(\S+) )?column (\S+): values such as ('[^']*') fit both conventions(?=; |$)",
     lambda m: f"{m.group(1) + ' ' if m.group(1) else ''}列 {m.group(2)}：像 {m.group(3)} 这样的值两种写法都说得通"),
    (r"(^|; )('[^']*') was read as the (decimal mark|thousands separator) \(read as (\S+), as the file's delimiter "
     r"suggests\) — set (`decimal: '[.,]'`) to make it explicit$",
     lambda m: ("；" if m.group(1) else "") + f"按文件的分隔符推断，{m.group(2)} 被读作"
               + ("小数点" if m.group(3) == "decimal mark" else "千位分隔符")
               + f"（读作 {m.group(4)}）— 设置 {m.group(5)} 可明确指定"),
    (r"^(?:(\S+) )?column (\S+): (\d+) value\(s\) (.+) read as negative \(e\.g\. \(12\.00\) → -12\.00\)$",
     lambda m: f"{m.group(1) + ' ' if m.group(1) else ''}列 {m.group(2)}：有 {m.group(3)} 个"
               + m.group(4).replace("in parentheses", "带括号").replace("with a trailing minus", "末尾带减号")
               .replace(" and ", "或") + "的值读作负数（例如 (12.00) → -12.00）"),
]]

# the kinds of file ingest.filetype names ("a PNG image") → 中文
WHAT_ZH = {"a PNG image": "PNG 图片", "a JPEG image": "JPEG 图片", "a GIF image": "GIF 图片",
           "a TIFF image": "TIFF 图片",
           "a BMP image": "BMP 图片", "a WebP image": "WebP 图片", "a PDF document": "PDF 文档",
           "an old Office file (.xls/.doc)": "旧版 Office 文件（.xls/.doc）", "an SQLite database": "SQLite 数据库",
           "a 7-Zip archive": "7-Zip 压缩包", "a RAR archive": "RAR 压缩包", "an xz-compressed file": "xz 压缩文件",
           "a Parquet file": "Parquet 文件", "a gzip-compressed file": "gzip 压缩文件", "a ZIP archive": "ZIP 压缩包",
           "an empty ZIP archive": "空的 ZIP 压缩包", "a bzip2-compressed file": "bzip2 压缩文件",
           "an Excel workbook (.xlsx)": "Excel 工作簿（.xlsx）", "a Word document": "Word 文档",
           "a PowerPoint presentation": "PowerPoint 演示文稿", "an OpenDocument file (.ods/.odt)":
           "OpenDocument 文件（.ods/.odt）", "an Excel workbook": "Excel 工作簿", "a table": "表格",
           "a CSV (delimited text) file": "CSV（分隔文本）文件",
           "text (a CSV file?)": "文本（是 CSV 文件吗？）", "text": "文本", "UTF-16 text": "UTF-16 文本"}


def _spaced(zh: str) -> str:
    """A space before a word that starts in Latin letters or digits (文件是 PNG 图片), none before Chinese."""
    return " " + zh if re.match(r"[A-Za-z0-9]", zh) else zh


def what_zh(what: str) -> str:
    """The kind of a file ingest names ('a PNG image') in Chinese; unknown kinds unchanged.

    >>> what_zh("a PNG image"), what_zh("UTF-16 text (with a byte-order mark)")
    ('PNG 图片', 'UTF-16 文本（带字节顺序标记）')
    """
    if what in WHAT_ZH:
        return WHAT_ZH[what]
    m = re.fullmatch(r"(\S+) text (\(with a byte-order mark\)|without a byte-order mark)", what)
    if m:
        return f"{m.group(1)} 文本（{'带' if m.group(2).startswith('(') else '无'}字节顺序标记）"
    return what


# what `dbmkit new-client` says of a file it cannot draft (consultant.mapping, .sniff, .draft) → 中文; part of
# messages.INGEST_PHRASES
SOURCE_PHRASES: list[tuple[re.Pattern, str]] = [(re.compile(p), zh) for p, zh in [
    (r"^check the path of the file$", "请检查文件的路径"),
    (r"^no files given$", "没有给出文件"),
    (r"^dbmkit new-client NAME sales\.csv \[customers\.xlsx …\]$",
     "用法：dbmkit new-client NAME sales.csv [customers.xlsx …]"),
    (r"^none of the files looks like a sales file \((.*)\)$", r"这些文件都不像销售文件（\1）"),
    (r"^give at least one file with one row per order \(order id, customer, date, amount\) or per invoice line "
     r"\(order id, customer, date, product, quantity, unit price\)$",
     "请至少给出一个每行一笔订单（订单编号、客户、日期、金额）或每行一条发票明细（订单编号、客户、日期、商品、数量、"
     "单价）的文件"),
    (r"^cannot make out a table in the file \((.*)\)$", r"无法从该文件中识别出表格（\1）"),
    (r"^open it to check it is a table with a header row and one row per record; export it again as CSV or Excel$",
     "请打开它，确认是带表头行、每条记录一行的表格；或重新导出为 CSV 或 Excel"),
    (r"^cannot read a preview of the file \((.*)\)$", r"无法读取该文件的预览（\1）"),
    (r"^open the file to check it is a table; export it as CSV or Excel$",
     "请打开文件确认它是表格；或导出为 CSV 或 Excel"),
    (r"^cannot read the file \((.*)\)$", r"无法读取该文件（\1）"),
    (r"^check its permissions$", "请检查它的访问权限"),
    (r"^the file is empty \(0 bytes\)$", "文件是空的（0 字节）"),
    (r"^the file is empty \(it holds only blank lines or separators\)$", "文件是空的（只有空行或分隔符）"),
    (r"^export the data again with its rows$", "请连同数据行重新导出"),
    (r"^the file has a single line \((.*)\): a table needs a header row and at least one row of data$",
     r"文件只有一行（\1）：表格需要一个表头行和至少一行数据"),
    (r"^export the data again with the column names and the rows$", "请连同列名和数据行重新导出"),
    (r"^the file has a single column \(no comma, semicolon, tab or \| between values; first line (.*)\); the "
     r"workbook needs tables with several columns \(a sales file: customer, date and amount at least\)$",
     r"文件只有一列（值之间没有逗号、分号、制表符或 |；第一行为 \1）；本工作手册需要多列的表格（销售文件至少要有"
     r"客户、日期和金额）"),
    (r"^export the data again as CSV with one column per field$", "请重新导出为 CSV，每个字段一列"),
    (r"^the file holds binary data, not text \(is it an export from a program in its own format\?\)$",
     "文件里是二进制数据，不是文本（是不是某个程序用自己的格式导出的？）"),
    (r"^the file is a damaged ZIP archive \(or a damaged \.xlsx workbook\)$",
     "文件是损坏的 ZIP 压缩包（或损坏的 .xlsx 工作簿）"),
    (r"^export the data again$", "请重新导出数据"),
    (r"^the file is a Parquet file named as text$", "文件是 Parquet 文件，却用了文本文件的扩展名"),
    (r"^the file is a ZIP archive holding (\d+) file\(s\) \((.*)\)$", r"文件是 ZIP 压缩包，里面有 \1 个文件（\2）"),
    # a source whose sheet, header row, path, format or query cannot be read (ingest.staging, .files, .sql_sources)
    (r"^the file is empty \(only blank space\)$", "文件是空的（只有空白）"),
    (r"^header_row (\d+) is beyond the end of the file \((\d+) lines\)$",
     r"header_row \1 超出了文件末尾（文件只有 \2 行）"),
    (r"^header_row (\d+) is beyond the last row of the sheet \((\d+) rows\)$",
     r"header_row \1 超出了工作表的最后一行（工作表只有 \2 行）"),
    (r"^set header_row to the 0-based (?:line|row) of the column names$",
     "请把 header_row 设为列名所在的行（从 0 开始计数）"),
    (r"^cannot parse the file as delimited text \((.*)\)$", r"无法把该文件解析为分隔文本（\1）"),
    (r"^check the delimiter, quoting and header_row of this source$",
     "请检查该数据源的 `delimiter`（分隔符）、引号和 `header_row`"),
    (r"^the sheet is empty$", "工作表是空的"),
    (r"^check the `sheet` of this source$", "请检查该数据源的 `sheet`"),
    (r"^cannot read the Parquet file \((.*)\)$", r"无法读取该 Parquet 文件（\1）"),
    (r"^write the file again with pandas/pyarrow, or export CSV$", "请用 pandas/pyarrow 重新写出该文件，或导出为 CSV"),
    (r"^the path is a folder, not a file$", "该路径是文件夹，不是文件"),
    (r"^point `path` at one file$", "请让 `path` 指向一个文件"),
    (r"^format ('[^']*') cannot be read from a file$", r"格式 \1 不能从文件读取"),
    (r"^use format csv, excel or parquet for a file, or `sql:` with `url:` for a database$",
     "文件请用 csv、excel 或 parquet 格式；数据库请用 `sql:` 加 `url:`"),
    (r" \(did you mean ('[^']*')\?\)$", r"（是否想写 \1？）"),
    (r"^sheet ('[^']*') \((the first sheet|the sheet the config names)\) holds (\d+) of the (\d+) mapped columns, "
     r"sheet ('[^']*') holds (\d+); the workbook's sheets \(mapped columns found\): (.*)$",
     lambda m: f"工作表 {m.group(1)}（{'第一个工作表' if m.group(2) == 'the first sheet' else '配置指定的工作表'}）"
               f"只含 {m.group(4)} 个映射列中的 {m.group(3)} 个，工作表 {m.group(5)} 含 {m.group(6)} 个；"
               "工作簿的各工作表（找到的映射列）："
               + re.sub(r" \((\d+) of (\d+)\)", r"（\1/\2）", m.group(7)).replace(", ", "，")),
    (r"^set `sheet: (.*)` for this source \(under its `path:`\)$",
     r"为该数据源设置 `sheet: \1`（写在它的 `path:` 下面）"),
    (r"^the header has the name ('[^']*') (twice|three times|\d+ times): columns (.+?)(, names compared ignoring case "
     r"and spaces)?; (?:the mapping's (\w+) ← ('[^']*')|the mapped column ('[^']*')) cannot tell which one is meant$",
     lambda m: f"表头中名称 {m.group(1)} 出现了"
               + {"twice": "两次", "three times": "三次"}.get(m.group(2), m.group(2).replace(" times", " 次"))
               + f"：第 {m.group(3).replace(' and ', ' 和 ')} 列"
               + ("（比较列名时忽略大小写和空格）" if m.group(4) else "")
               + "；" + (f"映射 {m.group(5)} ← {m.group(6)} " if m.group(5) else f"映射的列 {m.group(7)} ")
               + "无法确定指的是哪一列"),
    (r"^rename one of them in the file so that each column name is unique \(e\.g\. ('[^']*') for column (\d+)\), or "
     r"delete the column that is not needed$", r"请在文件中给其中一列改名，使每个列名都唯一（例如把第 \2 列改为 \1），"
                                                r"或删除不需要的那一列"),
    (r"^the file ('[^']*') in the ZIP archive holds (.+), not CSV text$",
     lambda m: f"ZIP 压缩包中的文件 {m.group(1)} 是{_spaced(what_zh(m.group(2)))}，不是 CSV 文本"),
    (r"^the (gzip|bzip2) file holds (.+), not CSV text$",
     lambda m: f"该 {m.group(1)} 文件里是{_spaced(what_zh(m.group(2)))}，不是 CSV 文本"),
    (r"^compress only the CSV/TSV export itself \(or give the file unpacked\)$",
     "只压缩 CSV/TSV 导出文件本身（或直接给出未压缩的文件）"),
    # a file that is something else (ingest.filetype), before the shorter "the file is …" ones below
    (r"^the file is (.+?), not (an? .+?)(?: \(its name says '([^']*)'\))?$",
     lambda m: f"文件是{_spaced(what_zh(m.group(1)))}，不是{_spaced(what_zh(m.group(2)))}"
               + (f"（文件名写的是 '{m.group(3)}'）" if m.group(3) else "")),
    (r"^a table in a PDF cannot be read; ", "PDF 中的表格无法读取；"),
    (r"export the sheet or table as CSV \(or Excel \.xlsx\) with a header row, and point `path:` at that file$",
     "请把工作表或表格导出为带表头行的 CSV（或 Excel .xlsx），并让 `path:` 指向该文件"),
    (r"^open it in Excel and save it as \.xlsx \(or export the sheet as CSV\), and point `path:` at the new file$",
     "请在 Excel 中打开并另存为 .xlsx（或把工作表导出为 CSV），并让 `path:` 指向新文件"),
    (r"^read a table of it with `sql: SELECT … FROM <table>` and `url: sqlite:///<file>` instead of `path:`, or "
     r"export the table as CSV$",
     "请改用 `sql: SELECT … FROM <table>` 和 `url: sqlite:///<file>`（代替 `path:`）读取其中的表，或把表导出为 CSV"),
    # a source query (ingest.sql_sources)
    (r"^write one SELECT … FROM … query \(WITH … SELECT is fine\); a source query only reads the tables of its own "
     r"database — it cannot write files \(COPY … TO, EXPORT\), attach other databases \(ATTACH\), load extensions "
     r"\(INSTALL/LOAD\) or change settings \(SET, PRAGMA\): give another database its own source with `url:`, or "
     r"export the data as CSV/Parquet$",
     "请写一条 SELECT … FROM … 查询（WITH … SELECT 也可以）；数据源查询只能读取它自己数据库中的表 — 不能写文件"
     "（COPY … TO、EXPORT）、不能挂载其他数据库（ATTACH）、不能加载扩展（INSTALL/LOAD），"
     "也不能修改设置（SET、PRAGMA）："
     "其他数据库请用 `url:` 另设一个数据源，或把数据导出为 CSV/Parquet"),
    (r"^the query is empty$", "查询是空的"),
    (r"^the query holds (\d+) statements, but a source query is one SELECT$",
     r"查询包含 \1 条语句，但数据源查询只能是一条 SELECT"),
    (r"^the query is an? (.+?) statement, but a source query may only read \(one SELECT\)$",
     lambda m: f"查询是 {m.group(1)} 语句" if m.group(1) != "empty" else "查询是空语句"),
    (r"^(查询是 .+ 语句|查询是空语句)$", r"\1，但数据源查询只能读取（一条 SELECT）"),
    (r"^the query asks for (.+), but a source query may only read \(one SELECT\)$",
     r"查询要求 \1，但数据源查询只能读取（一条 SELECT）"),
    (r"^查询要求 something a source may not do \((.*)\)，", r"查询要求数据源不允许的操作（\1），"),
    (r"^the query returns no table$", "查询没有返回表"),
    (r"^the query reaches outside its database \(a file, another database or an extension\): ",
     "查询越出了它自己的数据库（文件、其他数据库或扩展）："),
    (r"^the SQL query failed: ", "SQL 查询失败："),
    (r"^run the query in a SQL client first; check table and column names$",
     "请先在 SQL 客户端中运行该查询；并检查表名和列名"),
    (r"^cannot open the DuckDB database \((.*)\)$", r"无法打开 DuckDB 数据库（\1）"),
    (r"^check that `url` points at a DuckDB database file \((\S+)\)$",
     r"请确认 `url` 指向一个 DuckDB 数据库文件（\1）"),
    (r"^the database URL holds a password, and a config file is no place for one$",
     "数据库 URL 中含有密码，而配置文件不是存放密码的地方"),
    (r"leave the password out of the config: write (\S+) and set PGPASSWORD \(or a ~/\.pgpass file, or a service in "
     r"~/\.pg_service\.conf\) in the environment that runs dbmkit; any part of the URL may also name an environment "
     r"variable as \$\{NAME\}, e\.g\. (\S+)$",
     r"不要把密码写进配置：请写成 \1，并在运行 dbmkit 的环境中设置 PGPASSWORD（或使用 ~/.pgpass 文件，或 "
     r"~/.pg_service.conf 中的服务）；URL 的任何部分也可以用 ${NAME} 引用环境变量，例如 \2"),
    (r"^the database URL names the environment variable (\S+), which is not set$",
     r"数据库 URL 引用了环境变量 \1，但它没有设置"),
    (r"^set (\S+) in the environment that runs dbmkit \(export (\S+)\), or write the value into `url` if it is not a "
     r"secret$", r"请在运行 dbmkit 的环境中设置 \1（export \2）；若它不是机密，也可以把值直接写进 `url`"),
    (r"^unsupported database URL ('[^']*')$", r"不支持的数据库 URL \1"),
    (r"^use (duckdb:///\S+), (sqlite:///\S+), (postgresql://\S+) or spark \(a Spark SQL query; other databases: "
     r"export the table as CSV or Parquet\)$",
     r"请使用 \1、\2、\3 或 spark（Spark SQL 查询；其他数据库：请把表导出为 CSV 或 Parquet）"),
    # a Spark source (url: spark)
    (r"^a Spark source needs Spark, which cannot start here: (.+)$",
     lambda m: "Spark 数据源需要 Spark，但此机器无法启动 Spark："
               + re.sub(r"^(\S+) is not installed$", r"未安装 \1", m.group(1)).replace(
                   "no Java runtime found (no java on PATH, no JAVA_HOME)",
                   "找不到 Java 运行环境（PATH 中没有 java，也没有设置 JAVA_HOME）")),
    (r"^install (pip install \S+) \((.+?)\) and a Java 17 runtime \(Debian/Ubuntu: (apt-get install \S+)\); or export "
     r"the data as Parquet or CSV files and give them as `path:` sources$",
     lambda m: f"请安装：{m.group(1)}（{m.group(2).replace(' and ', ' 和 ')}）以及 Java 17 运行环境（Debian/Ubuntu："
               f"{m.group(3)}）；或把数据导出为 Parquet 或 CSV 文件，作为 `path:` 数据源"),
    (r"^the Spark query failed on (\S+) \((.*)\)$", r"在 \1 上运行的 Spark 查询失败（\2）"),
    (r"^the Spark query failed: ", "Spark 查询失败："),
    (r"^the Spark SQL query does not parse: ", "Spark SQL 查询无法解析："),
    (r"^the query calls (\w+)\(\), but a source query may only read \(one SELECT\)$",
     r"查询调用了 \1()，但数据源查询只能读取（一条 SELECT）"),
    (r"^write one Spark SQL SELECT … FROM … query \(WITH … SELECT is fine\) over the tables and files the Spark "
     r"session sees, e\.g\. (.+?) or (.+?); a source query only reads — no INSERT, CREATE, CACHE, SET, ADD JAR or "
     r"reflect\(\)$",
     r"请写一条 Spark SQL SELECT … FROM … 查询（WITH … SELECT 也可以），读取 Spark 会话能看到的表和文件，例如 \1 或 "
     r"\2；数据源查询只能读取 — 不能 INSERT、CREATE、CACHE、SET、ADD JAR，也不能调用 reflect()"),
    (r"^check the table names, paths and column names of the query \(run it in spark-sql or pyspark on the same "
     r"master first\): a table is one of the session's catalog \((.+?)\), a file is named as (.+?) or (.+?), and on "
     r"a cluster or Spark Connect a path is one of the cluster's storage \((.+?)\), not of this machine$",
     lambda m: f"请检查查询中的表名、路径和列名（先在同一 master 上用 spark-sql 或 pyspark 运行该查询）：表必须在会话的"
               f"目录中（{m.group(1)}），文件写成 {m.group(2)} 或 {m.group(3)}；在集群或 Spark Connect 上，路径必须"
               f"在集群的存储中（{m.group(4).replace(', a shared folder', '、共享文件夹').replace(', ', '、')}），"
               "而不是本机的路径"),
    (r"^check that the Spark master answers — the one in `url` \((.+?)\) or `engine\.master` for `url: spark` — and "
     r"run the query in spark-sql or pyspark first$",
     lambda m: "请确认 Spark master 可以连接（`url: spark` 时为 `engine.master`，否则为 `url` 中的 master："
               f"{m.group(1).replace(', ', '、')}），并先用 spark-sql 或 pyspark 运行该查询"),
    (r"^check the path in `url` \((duckdb:///\S+) is relative to the config file; use four slashes for an absolute "
     r"path\)$", r"请检查 `url` 中的路径（\1 相对于配置文件所在的文件夹；绝对路径请用四个斜杠）"),
    (r"^reading PostgreSQL needs the psycopg package$", "读取 PostgreSQL 需要 psycopg 包"),
    (r"^pip install ('psycopg\[binary\]') in the workbook's environment, or export the table as CSV/Parquet$",
     r"请在工作手册的环境中运行 pip install \1，或把表导出为 CSV/Parquet"),
    (r"^cannot connect to the PostgreSQL server: ", "无法连接 PostgreSQL 服务器："),
    (r"^check host, port, database and user in `url` and that the server accepts connections from this machine; ",
     "请检查 `url` 中的主机、端口、数据库和用户，并确认服务器接受来自本机的连接；"),
    # the rarer ones of a source in a config (ingest.files, .filetype, .load)
    (r"^the file is (.+?), not (an? [^()]+?)(?: \(its name says '([^']*)'\))?$",
     lambda m: f"文件是{_spaced(what_zh(m.group(1)))}，不是{_spaced(what_zh(m.group(2)))}"
               + (f"（文件名写的是 '{m.group(3)}'）" if m.group(3) else "")),
    (r"^the file is UTF-8 but the config says `encoding: ([^`]*)` \(reading it as \S+ would garble every accented "
     r"or Chinese character\)$",
     r"文件是 UTF-8，但配置写的是 `encoding: \1`（按 \1 读取会弄乱每个带重音的字符和汉字）"),
    (r"^the file is not (\S+): byte (0x[0-9a-f]+) at position (\d+) cannot be decoded$",
     r"文件不是 \1 编码：位置 \3 的字节 \2 无法解码"),
    (r"^the file is not UTF-8: byte (0x[0-9a-f]+) cannot be decoded \(line (\d+), and (\d+) more lines\); it looks "
     r"like (\S+)$", r"文件不是 UTF-8：字节 \1 无法解码（第 \2 行，另有 \3 行）；看起来是 \4"),
    (r"^the file looks like (\S+) text \((.*)\), but bytes at position (\d+) cannot be read as \S+$",
     r"文件看起来是 \1 文本（\2），但位置 \3 的字节无法按 \1 读取"),
    (r"^save it again as UTF-8 text, or set `encoding:` to the file's encoding$",
     "请另存为 UTF-8 文本，或把 `encoding:` 设为文件的编码"),
    (r"^use utf-8, gb18030 \(Chinese, also for GBK/GB2312\), cp1252 \(Western\) or utf-16$",
     "请使用 utf-8、gb18030（中文，也适用于 GBK/GB2312）、cp1252（西文）或 utf-16"),
    (r"^分隔符不对：the header has 1 column with ('[^']*'|\S+) but (\d+) with ('[^']*'|\S+)$",
     r"分隔符不对：表头按 \1 分只有 1 列，按 \3 分却有 \2 列"),
    (r"^the delimiter must be one character, not (.+)$", r"分隔符必须是一个字符，而不是 \1"),
    (r"^请使用以下之一：, ; \| or \\t \(tab\)$", lambda m: "请使用以下之一：, ; | 或 \\t（制表符）"),
    (r"^the zip archive holds (\d+) CSV/TXT files \((.*)\)$", r"ZIP 压缩包里有 \1 个 CSV/TXT 文件（\2）"),
    (r"^put exactly one CSV file in the archive, or unzip it and give one source per file$",
     "压缩包里只能放一个 CSV 文件；或者解压，每个文件一个数据源"),
    (r"^cannot decompress the file \((.*)\)$", r"无法解压该文件（\1）"),
    (r"^check that the archive is complete \(download or export it again\)$", "请确认压缩包完整（重新下载或导出）"),
    (r"^the workbook has (\d+) sheet\(s\); sheet index (\d+) does not exist$",
     r"工作簿有 \1 个工作表；不存在序号为 \2 的工作表"),
    (r"^old Excel format '\.xls' is not supported$", "不支持旧的 Excel 格式 '.xls'"),
    (r"^open it in Excel and save as \.xlsx \(or export the sheet as CSV\)$",
     "请在 Excel 中打开并另存为 .xlsx（或把工作表导出为 CSV）"),
    (r"^unsupported file type '([^']*)'$", r"不支持的文件类型 '\1'"),
    (r"^unsupported compressed file type '([^']*)'$", r"不支持的压缩文件类型 '\1'"),
    (r"^export as CSV/TSV \(optionally \.gz/\.bz2/\.zip\), Excel \(\.xlsx\) or Parquet; or use `sql:` with `url:` "
     r"for a database$",
     "请导出为 CSV/TSV（可压缩为 .gz/.bz2/.zip）、Excel（.xlsx）或 Parquet；数据库则用 `sql:` 加 `url:`"),
    (r"^compress only CSV/TSV text files, or use Excel/Parquet uncompressed$",
     "只压缩 CSV/TSV 文本文件；Excel/Parquet 请不要压缩"),
    (r"^the workbook is password-protected \(encrypted\), or an old \.xls renamed \.xlsx$",
     "工作簿受密码保护（已加密），或者是改名为 .xlsx 的旧 .xls 文件"),
    (r"^open it in Excel, remove the password \(File › Info › Protect Workbook\) and save it as \.xlsx, or export the "
     r"sheet as CSV$", "请在 Excel 中打开，去掉密码（文件 › 信息 › 保护工作簿）后另存为 .xlsx，或把工作表导出为 CSV"),
    (r"^export the data again, or remove this source from the config$", "请重新导出数据，或从配置中删除该数据源"),
    (r"^export or download it again$", "请重新导出或下载"),
    (r"^rename it to (\S+) and change `path:`, or set (`format: \w+`) for this source$",
     r"请改名为 \1 并修改 `path:`，或为该数据源设置 \2"),
    (r"^save the workbook again as \.xlsx from Excel, or export the sheet as CSV$",
     "请用 Excel 把工作簿重新另存为 .xlsx，或把工作表导出为 CSV"),
    (r"^save it again as (\S+), or export the data as CSV$", r"请重新另存为 \1，或把数据导出为 CSV"),
    (r"^the file is a ZIP archive holding (.+), not (one CSV file|an? .+)$",
     lambda m: f"文件是 ZIP 压缩包，里面有{m.group(1).replace(' file(s)', ' 个文件')}，而不是"
               + ("一个 CSV 文件" if m.group(2) == "one CSV file" else _spaced(what_zh(m.group(2))))),
    (r"^unpack it and give one source per table file \(a ZIP holding exactly one CSV can be given as it is\)$",
     "请解压，每个表格文件一个数据源（只含一个 CSV 的 ZIP 可以直接给出）"),
    (r"^the file holds binary data, not text \(an export from a program in its own format\?\)$",
     "文件里是二进制数据，不是文本（是不是某个程序用自己的格式导出的？）"),
    (r"^add them under `columns:` \(canonical column: column in the file\)",
     "请在 `columns:` 下补上（标准列名: 文件中的列名）"),
    (r"^(\w+) 的映射缺少 (.+) \(or (\w+)\)$", r"\1 的映射缺少 \2（或 \3）"),
    (r"; candidates: ", "；候选："),
    (r"; columns in the file: ", "；文件中的列："),
    (r"columns in the file: ", "文件中的列："),
    (r"^([\d,]+) value\(s\) of (\w+) are numbers in scientific notation \(e\.g\. ('[^']*')\): a spreadsheet rounded "
     r"the long numbers, their last digits are lost and different (\w+) would become one$",
     lambda m: f"{m.group(2)} 有 {m.group(1)} 个值是科学计数法的数字（例如 {m.group(3)}）：电子表格把长数字四舍五入了，"
               f"末几位已经丢失，不同的{_WHO_ZH.get(m.group(4), m.group(4))}会被当成同一个"),
    (r"^export the column ('[^']*') again as text \(in Excel: select the column, Format Cells → Text, before saving "
     r"as CSV; or export from the (\w+) system directly\); the rounded values cannot be repaired$",
     r"请把列 \1 重新按文本导出（在 Excel 中：先选中该列，设置单元格格式 → 文本，再另存为 CSV；或直接从 \2 "
     r"系统导出）；已四舍五入的值无法修复"),
    (r"^the path ('[^']*') leads outside the client's folder \((.*)\) and the project folder above it \((.*)\)$",
     r"路径 \1 指向客户文件夹（\2）及其上一级的项目文件夹（\3）之外"),
    (r"^put the client's files in the config's folder or in the project's data folder \(e\.g\. (\S+)\); a file "
     r"elsewhere must be given as an absolute path, on purpose$",
     r"请把客户的文件放在配置文件所在的文件夹或项目的数据文件夹中（例如 \1）；放在别处的文件必须有意写成绝对路径"),
    (r"^the file is (.+?) named '([^']*)'$",
     lambda m: f"文件是{_spaced(what_zh(m.group(1)))}，扩展名却是 '{m.group(2)}'"),
    (r"^the file is (.+?), not a table$", lambda m: f"文件是{_spaced(what_zh(m.group(1)))}，不是表格"),
    (r"^the file is ([^,]+)$", lambda m: f"文件是{_spaced(what_zh(m.group(1)))}"),
    (r"^rename it to (\S+) \(or export the sheet as CSV\)$", r"请改名为 \1（或把工作表导出为 CSV）"),
    (r"^save it as \.xlsx from LibreOffice, or export CSV$", "请用 LibreOffice 另存为 .xlsx，或导出 CSV"),
    (r"^unpack it and give the table files inside \(a zip holding exactly one CSV can be given as it is\)$",
     "请解压，并给出其中的表格文件（只含一个 CSV 的 zip 可以直接给出）"),
    (r"^unpack it and give the table files inside$", "请解压，并给出其中的表格文件"),
    (r"^unpack it \(or compress it with gzip, \.csv\.gz, instead\)$", "请解压（或改用 gzip 压缩为 .csv.gz）"),
    (r"^open it in Excel and save it as \.xlsx, or export the sheet as CSV$",
     "请在 Excel 中打开并另存为 .xlsx，或把工作表导出为 CSV"),
    (r"^rename it to \.parquet$", "请把扩展名改为 .parquet"),
    (r"^read a table of it with `sql:` and `url: sqlite:///…` in the config, or export the table as CSV$",
     "请在配置中用 `sql:` 和 `url: sqlite:///…` 读取其中的表，或把表导出为 CSV"),
    (r"^(tables in a PDF cannot be read; )?export the data as CSV \(or Excel \.xlsx\) with a header row and give that "
     r"file$", lambda m: ("PDF 中的表格无法读取；" if m.group(1) else "")
     + "请把数据导出为带表头行的 CSV（或 Excel .xlsx），再给出该文件"),
]]


# how the encoding of UTF-16/32 text was told (ingest.files), once "the file looks like … text (…)" is Chinese
SOURCE_PHRASES += [(re.compile(p), zh) for p, zh in [
    (r"（its byte-order mark says so）", "（由其字节顺序标记判断）"),
    (r"（no byte-order mark: told by the NUL bytes beside its characters）",
     "（无字节顺序标记：由字符旁的 NUL 字节判断）"),
]]


def _sub_all(table: list[tuple[re.Pattern, str]], text: str) -> str:
    for pattern, repl in table:
        text = pattern.sub(repl, text)
    return text


def _and_zh(m: re.Match) -> str:
    return m.group(1).replace(" and ", "和")


_VALUES_ZH = {"dates with times": "带时间的日期", "dates": "日期", "whole numbers": "整数", "amounts": "金额",
              "ids": "编号", "codes": "代码", "e-mail addresses": "电子邮件地址", "phone numbers": "电话号码",
              "yes/no flags": "是/否标记", "text": "文本"}

# what `dbmkit new-client` says about a file (consultant.mapping: the table it feeds and why, the notes) → 中文
DRAFT_PHRASES: list[tuple[re.Pattern, str]] = [(re.compile(p), zh) for p, zh in [
    (r"^one row per invoice line: product, quantity and unit price", "每行一条发票明细：商品、数量和单价"),
    (r"; an order id repeats over lines \((\d+) % distinct\)$", r"；订单编号在多行中重复（\1 % 互不相同）"),
    (r"^one row per order: a date and an order amount$", "每行一笔订单：日期和订单金额"),
    (r"^the columns fit this table best$", "各列与这张表最吻合"),
    (r"^order ids starting with ('[^']*') \(([\d.]+) % of the lines\) look like cancellations; lines with negative "
     r"quantities become returns in the build$",
     r"以 \1 开头的订单编号（占明细行的 \2 %）看起来是取消的订单；数量为负的明细行在构建时记为退货"),
    (r"^([\d.]+) % of the lines have negative quantities: the build treats them as returns \(negative revenue\)$",
     r"\1 % 的明细行数量为负：构建时按退货处理（收入为负）"),
    (r"^('.*') looks like a line total; the build computes quantity × unit price itself$",
     r"\1 看起来是明细行合计；构建时会自行计算 数量 × 单价"),
    (r"^CHECK: unit_price ← ('.*'), which is named like a line total\. If it is quantity × price, map unit_price to "
     r"a price column, or keep it and set `constants: \{quantity: 1\}` \(revenue right, unit counts lost\)$",
     r"请核对：unit_price ← \1，其列名像是明细行合计。若它是 数量 × 单价，请把 unit_price 映射到单价列；"
     r"或保留它并设置 `constants: {quantity: 1}`（收入正确，但件数会丢失）"),
    (r"^([\d.]+) % of the rows have no customer id: they are kept as anonymous sales \(counted in revenue, left out "
     r"of customer analysis\)$", r"\1 % 的行没有客户编号：这些行作为匿名销售保留（计入收入，但不计入客户分析）"),
    (r"^no order id found: each row is taken as one order and numbered by its row in the file; map `order_id` if "
     r"the file has one$", "未找到订单编号：每一行视为一笔订单，按其在文件中的行号编号；若文件中有订单编号列，"
                           "请映射 `order_id`"),
    (r"^no customer id found: without it no customer analysis is possible; map the column that identifies the "
     r"buyer \(member card, account, e-mail …\)$",
     "未找到客户编号：没有它就无法做客户分析；请映射能识别购买者的列（会员卡、账号、电子邮件 …）"),
    (r"^dates: AMBIGUOUS: no day above 12 in the sample, day-first assumed; use (\S+(?: %H:%M)?) if the dates are "
     r"month-first$", r"日期：无法确定：样本中没有大于 12 的日，已按“日在前”读取；若日期是“月在前”，请用 \1"),
    (r"^required column `(\w+)` of (\w+) not found: map it by hand under `columns:`$",
     r"未找到 \2 的必需列 `\1`：请在 `columns:` 下手动映射"),
    # … and, in the draft config's comments, why each column was guessed and what the unplaced ones hold
    (r"the header ('[^']*') is a usual name for (\w+)", r"表头 \1 是 \2 的常用名称"),
    (r"the header ('[^']*') contains a usual name for (\w+)", r"表头 \1 含有 \2 的常用名称"),
    (r"guessed from the values: the (only|first) date column",
     lambda m: "根据值推测：" + ("唯一的" if m.group(1) == "only" else "第一个") + "日期列"),
    (r"guessed from the values: small whole numbers", "根据值推测：较小的整数"),
    (r"guessed from the values: amounts", "根据值推测：金额"),
    (r"guessed from the values: (\d+) % distinct ids", r"根据值推测：\1 % 的编号互不相同"),
    (r"guessed from the values: product codes", "根据值推测：商品代码"),
    (r"guessed from the values: ids that repeat \(([\d,]+) distinct\)", r"根据值推测：重复出现的编号（\1 个不同值）"),
    (r"(^|; )values are (dates with times|dates|whole numbers|amounts|ids|codes|e-mail addresses|phone numbers|"
     r"yes/no flags|text) \(e\.g\. (.*?)\)(?=;|$)",
     lambda m: ("；" if m.group(1) else "") + f"值为{_VALUES_ZH[m.group(2)]}（例如 {m.group(3)}）"),
    (r"; ([\d.]+) % negative", r"；\1 % 为负数"),
    (r"; ([\d.]+) % start with ('[^']*')", r"；\1 % 以 \2 开头"),
    (r"; (\d+) distinct value\(s\)", r"；\1 个不同的值"),
    (r"(^|; )empty in the sample", lambda m: ("；" if m.group(1) else "") + "样本中为空"),
    (r"; an? (\w+) file could use it as (`\w+`)", r"；\1 文件可以把它用作 \2"),
    (r"; personal data: map it in a `customers` source \(then it is cleaned, matched and masked in reports\)",
     "；个人数据：请在 `customers` 数据源中映射它（这样它会被清洗、匹配，并在报告中遮盖）"),
    (r"; no canonical column: ignored$", "；没有对应的标准列：忽略"),
    (r"^month first \(a second number above 12 occurs\)$", "月在前（第二个数字出现了大于 12 的值）"),
    (r"^day first \(a first number above 12 occurs\)$", "日在前（第一个数字出现了大于 12 的值）"),
    (r"^AMBIGUOUS: no day above 12 in the sample, day-first assumed; use (\S+(?: %H:%M)?) if the dates are "
     r"month-first$", r"无法确定：样本中没有大于 12 的日，已按“日在前”读取；若日期是“月在前”，请用 \1"),
    (r"^detected from the values$", "根据值识别"),
]]


def draft_text(text: str, lang: str = "zh") -> str:
    """What ``dbmkit new-client`` says about a file (the table it feeds and why, a note) in ``lang``; English, and
    anything unknown, unchanged.

    >>> draft_text("one row per order: a date and an order amount", "zh")
    '每行一笔订单：日期和订单金额'
    """
    return _sub_all(DRAFT_PHRASES, str(text)) if lang == "zh" else str(text)


# the client's own chapters (client_chapters: drift, the rules a notebook must keep, the errors of new-chapter and
# override-chapter) → 中文; every match is replaced, in order
CHAPTER_PHRASES: list[tuple[re.Pattern, str]] = [(re.compile(p), zh) for p, zh in [
    # drift of an overridden chapter
    (r"^cannot read the copy: ", "无法读取副本："),
    (r"^the standard chapter is no longer in the workbook: keep the copy as an added chapter \(give it a new name\) "
     r"or delete it$", "标准章节已不在工作手册中：可把副本保留为客户专属章节（另起一个名字），或删除它"),
    (r"^the copy records no standard hash \(metadata\.dbmkit\.standard\): compare it with the standard by hand, or "
     r"copy it again with `dbmkit override-chapter` and re-apply the edits$",
     "副本没有记录标准章节的哈希（metadata.dbmkit.standard）：请手动与标准章节比较，或用 "
     "`dbmkit override-chapter` 重新复制并再次应用修改"),
    (r"^in step with the standard$", "与标准章节一致"),
    (r"^standard changed since copy — re-merge \(compare the copy with (\S+) of the workbook, carry the changes "
     r"over, then run `dbmkit override-chapter --rehash`\)$",
     r"复制之后标准章节已更改 — 请重新合并（把副本与工作手册中的 \1 比较，把改动移过来，然后运行 "
     r"`dbmkit override-chapter --rehash`）"),
    # the rules of a client notebook (check_notebook): what is wrong …
    (r"^the name is not a chapter name \(two digits, then a topic\)$", "文件名不是章节名（应为两位数字加主题）"),
    (r"^cannot be read as a notebook \((.*)\)$", r"无法作为笔记本读取（\1）"),
    (r"^no parameters cell \(a code cell tagged `parameters`\): the report cannot pass the client's config and "
     r"settings$", "没有参数单元格（带 `parameters` 标签的代码单元格）：报告无法传入客户的配置和设置"),
    (r"^more than one cell is tagged `parameters`$", "有多个单元格带 `parameters` 标签"),
    (r"^the parameters cell does not set (.+)$", lambda m: "参数单元格没有设置 " + _and_zh(m)),
    (r"^papermill cannot read a parameter whose comment contains '=': ", "papermill 无法读取注释中含有 '=' 的参数："),
    (r"^stored with outputs \(results, and possibly customer data, would go into the client folder and its version "
     r"control\)$", "保存时带有输出（结果，可能还有客户数据，会进入客户文件夹及其版本控制）"),
    (r"^the code does not parse \(line (\d+): (.*)\)$", r"代码无法解析（第 \1 行：\2）"),
    (r"^an absolute path in the code \(it works on one computer only\)$", "代码中有绝对路径（只能在一台电脑上运行）"),
    (r"^imports or uses a name dbmkit does not offer: ", "导入或使用了 dbmkit 不提供的名称："),
    (r"(`[^`]+`) is private \(its name starts with _\)", r"\1 是私有名称（以 _ 开头）"),
    (r"(`[^`]+`) is not a public name of (\S+) \(not in its __all__\)", r"\1 不是 \2 的公开名称（不在其 __all__ 中）"),
    (r"(`[^`]+`) is a private module", r"\1 是私有模块"),
    (r"dbmkit has no module (`[^`]+`)", r"dbmkit 没有模块 \1"),
    (r"(\S+) has no (`[^`]+`)", r"\1 没有 \2"),
    (r"a relative import \((`[^`]+`)\) does not work in a notebook", r"相对导入（\1）在笔记本中不起作用"),
    (r"(`from \S+ import \*`) hides which names the chapter uses", r"\1 会隐藏本章用到了哪些名称"),
    (r"(`[^`]+`) uses a private name of dbmkit", r"\1 使用了 dbmkit 的私有名称"),
    (r"^no setup cell passing the report's settings$", "没有传入报告设置的初始化单元格"),
    (r"^the last code cell does not show the provenance$", "最后一个代码单元格没有显示数据来源（provenance）"),
    (r"^the notebook has no code cells$", "笔记本中没有代码单元格"),
    (r"^metadata\.dbmkit\.needs names unknown inputs: ", "metadata.dbmkit.needs 中有未知的输入："),
    # … and the fix
    (r"^rename it NN_topic\.ipynb, e\.g\. (\S+): the number places it in the chapter order; a standard chapter's "
     r"name replaces that chapter$", r"请改名为 NN_topic.ipynb，例如 \1：数字决定它在章节顺序中的位置；"
                                     r"与标准章节同名则替换该章"),
    (r"^open it in JupyterLab and save it again, or restore it from version control$",
     "请在 JupyterLab 中打开并重新保存，或从版本控制中恢复"),
    (r"^make the first code cell (`config = [^`]*`) and `overrides = None` and give it the tag `parameters` "
     r"\(JupyterLab: the property inspector, Cell Tags\), as `dbmkit new-chapter` writes it$",
     r"把第一个代码单元格写成 \1 和 `overrides = None`，并给它加上标签 `parameters`"
     r"（JupyterLab：属性检查器中的 Cell Tags），与 `dbmkit new-chapter` 写的一样"),
    (r"^keep the tag on one cell$", "只在一个单元格上保留该标签"),
    (r"^reword the comment without '='$", "请改写注释，去掉 '='"),
    (r"^clear them: (`nbstripout [^`]*`) or JupyterLab Edit → Clear Outputs of All Cells, then save$",
     r"请清除输出：\1，或在 JupyterLab 中选择 Edit → Clear Outputs of All Cells，然后保存"),
    (r"^correct the cell$", "请更正该单元格"),
    (r"^give paths relative to the config file and resolve them with (`[^`]*`), or add the file as a source in the "
     r"config$", r"请写相对于配置文件的路径并用 \1 解析，或把该文件作为数据源加入配置"),
    (r"^use the public names \((`[^`]*`), (`[^`]*`): those in the module's documentation and __all__\)$",
     r"请使用公开名称（\1、\2：模块文档和 __all__ 中列出的名称）"),
    (r"^open the workspace with (`[^`]*`)$", r"请用 \1 打开工作区"),
    (r"^end the chapter with a code cell (`[^`]*`)$", r"请以代码单元格 \1 结束本章"),
    (r"^start from `dbmkit new-chapter`$", "请从 `dbmkit new-chapter` 开始"),
    (r"^use keys of dbmkit\.chapters\.NEEDS: ", "请使用 dbmkit.chapters.NEEDS 中的键："),
    # the errors of new-chapter and override-chapter
    (r"^chapter number (.+): give two digits, 00–99 \(the place in the chapter order\)$",
     r"章节编号 \1：请写两位数字 00–99（它在章节顺序中的位置）"),
    (r"^chapter name (.+): write it (\d\d)_topic \(letters, digits, _ and -\)$",
     r"章节名 \1：请写成 \2_topic（只用字母、数字、_ 和 -）"),
    (r"^the config has no file, so its client folder is unknown: give `notebooks:` in the config$",
     "该配置没有对应的文件，因此不知道客户文件夹在哪里：请在配置中写明 `notebooks:`"),
    (r"^(.+) exists; give --force to overwrite it$", r"\1 已存在；如要覆盖，请加 --force"),
    (r"^no single standard chapter (.+); give its number \(21\) or file name \(21_analyze_rfm\); chapters: (.*)$",
     r"没有唯一对应 \1 的标准章节；请给出它的编号（21）或文件名（21_analyze_rfm）；章节：\2"),
    (r"^the standard notebook (.+) is missing$", r"缺少标准笔记本 \1"),
    (r"^no override (\S+) in the client folder (.*)$", r"客户文件夹 \2 中没有客户修改版 \1"),
]]


def chapter_text(text: str, lang: str = "zh") -> str:
    """A message about a client's own chapters (:mod:`dbmkit.client_chapters`: drift, a rule a notebook breaks and
    its fix, an error of new-chapter or override-chapter) in ``lang``; English, and anything unknown, unchanged.

    >>> chapter_text("in step with the standard", "zh"), chapter_text("in step with the standard", "en")
    ('与标准章节一致', 'in step with the standard')
    """
    return _sub_all(CHAPTER_PHRASES, str(text)) if lang == "zh" else str(text)


# errors the command prints that are neither config nor source errors: folders it cannot write, a busy work folder,
# an existing file, the erasure ledger (preflight, consultant.draft, database.ledger) → 中文
ERROR_PHRASES: list[tuple[re.Pattern, str]] = [(re.compile(p), zh) for p, zh in [
    (r"^cannot write the (work|report|batch) folder (.+?): (.+) is a file, not a folder; ",
     lambda m: f"无法写入{_FOLDER_ZH[m.group(1)]} {m.group(2)}：{m.group(3)} 是一个文件，不是文件夹；"),
    (r"^cannot write the (work|report|batch) folder (.+?) \((.+?)\); ",
     lambda m: f"无法写入{_FOLDER_ZH[m.group(1)]} {m.group(2)}（{_OS_ZH.get(m.group(3), m.group(3))}）；"),
    (r"^cannot write the database (.+) \(read-only file\); give --workdir a folder you can write to, or make the "
     r"file writable$", r"无法写入数据库 \1（只读文件）；请用 --workdir 指定一个可写的文件夹，或让该文件可写"),
    (r"give --workdir a folder you can write to \(or set `workdir:` in the config\)$",
     "请用 --workdir 指定一个可写的文件夹（或在配置中设置 `workdir:`）"),
    (r"give --workdir a folder you can write to$", "请用 --workdir 指定一个可写的文件夹"),
    (r"give --out a folder you can write to$", "请用 --out 指定一个可写的文件夹"),
    (r"^another build is running on this workdir (.+?) \(pid (\S+?)(?: on (\S+))?, since ([^)]*)\)(?: \((.*?)\))?"
     r"(?:; waited (\d+) s)?; wait for it to finish, pass --wait SECONDS to wait for it, or use --workdir "
     r"elsewhere$",
     lambda m: (f"另一个构建正在工作目录 {m.group(1)} 上运行（pid {m.group(2)}"
                + (f"，在 {m.group(3)} 上" if m.group(3) else "") + f"，始于 {m.group(4)}）"
                + (f"（{m.group(5)}）" if m.group(5) else "") + (f"；已等待 {m.group(6)} 秒" if m.group(6) else "")
                + "；请等它结束，或用 --wait 秒数 等待它，或用 --workdir 换一个工作目录")),
    (r"^no chapter notebook found \(looked for (.+)\); run from a workbook folder \(`dbmkit init DIR` writes one\), "
     r"or set DBMKIT_WORKBOOK \(or DBMKIT_NOTEBOOKS\) to the folder that holds notebooks/$",
     r"找不到章节笔记本（查找的是 \1）；请在工作手册文件夹中运行（`dbmkit init DIR` 可以生成一个），"
     r"或把 DBMKIT_WORKBOOK（或 DBMKIT_NOTEBOOKS）设为包含 notebooks/ 的文件夹"),
    (r"^(.+) exists; choose another name or pass --force to overwrite it$",
     r"\1 已存在；请换一个名字，或加 --force 覆盖它"),
    (r"^(.+) is not a readable erasure ledger \((.*)\); restore it from a backup — never delete it: the people it "
     r"lists would come back in the next build$",
     r"\1 不是可读的删除台账（\2）；请从备份中恢复 — 切勿删除它：否则台账中的人会在下次构建时重新出现"),
    (r"^(.+) is not a dbmkit erasure ledger; point privacy\.erasure_ledger at the client's ledger "
     r"\(<client>\.erasures\.json\)$",
     r"\1 不是 dbmkit 的删除台账；请让 privacy.erasure_ledger 指向该客户的台账（<client>.erasures.json）"),
    (r"^(.+) is the erasure ledger of client '([^']*)', not of '([^']*)'; give each client its own ledger "
     r"\(privacy\.erasure_ledger\)$",
     r"\1 是客户 '\2' 的删除台账，不是 '\3' 的；请为每个客户设置各自的台账（privacy.erasure_ledger）"),
    # dbmkit compare (report.compare)
    (r"^(.+): no kpis\.json there — give a report folder written by `dbmkit report` \(for example (\S+)\) or its "
     r"kpis\.json$", r"\1：那里没有 kpis.json — 请给出 `dbmkit report` 写出的报告文件夹（例如 \2）或其中的 kpis.json"),
    (r"^(.+): not a readable kpis\.json \((.*)\) — run the report again to rewrite it$",
     r"\1：不是可读的 kpis.json（\2）— 请重新运行报告，让它重写该文件"),
    (r"^(.+): kpis\.json should hold one object of named numbers$",
     r"\1：kpis.json 应当是一个对象，其中是带名称的数字"),
    # dbmkit lab (lab)
    (r"^JupyterLab is not installed in this environment — run `make lab` \(it installs the `notebooks` extra\), or "
     r"(`pip install [^`]*`)$",
     r"此环境中没有安装 JupyterLab — 请运行 `make lab`（它会安装 `notebooks` 附加组件），或运行 \1"),
    (r"^no notebooks in (.+) — run from the workbook folder, or set DBMKIT_NOTEBOOKS to the folder that holds the "
     r"chapters$", r"\1 中没有笔记本 — 请在工作手册文件夹中运行，或把 DBMKIT_NOTEBOOKS 设为存放章节的文件夹"),
    # dbmkit site (report.site)
    (r"^(.+): (\d+) raw contact detail\(s\) on the page \(e\.g\. (an e-mail address|a phone number)\); the site is not "
     r"complete — mask them in the chapter \(dbmkit\.privacy\.mask_pii\) and run the report again$",
     lambda m: f"{m.group(1)}：页面上有 {m.group(2)} 处未遮盖的联系方式（例如"
               + ("电子邮件地址" if "e-mail" in m.group(3) else "电话号码")
               + "）；网站没有生成完整 — 请在该章中遮盖它们（dbmkit.privacy.mask_pii），然后重新运行报告"),
    (r"^(.+): (\d+) raw contact detail\(s\) left after masking; the executed notebook is not published — fix the "
     r"chapter's output and run the report again$",
     r"\1：遮盖之后仍有 \2 处未遮盖的联系方式；运行后的笔记本不予发布 — 请修正该章的输出，然后重新运行报告"),
    (r"^(.+): a raw contact detail would go into the search index; the site is not complete — mask it in the chapter "
     r"\(dbmkit\.privacy\.mask_pii\) and run the report again$",
     r"\1：一处未遮盖的联系方式会进入搜索索引；网站没有生成完整 — 请在该章中遮盖它（dbmkit.privacy.mask_pii），"
     r"然后重新运行报告"),
    (r"^(.+) is not empty and is not a dbmkit site; give --out a new or empty folder$",
     r"\1 不是空文件夹，也不是 dbmkit 网站；请用 --out 指定一个新的或空的文件夹"),
    (r"^(.+) has no report \(status\.json missing\): run (`dbmkit report [^`]*`) first, or `make site`, which does "
     r"both$", r"\1 中没有报告（缺少 status.json）：请先运行 \2，或运行 `make site`（两步都会做）"),
    # dbmkit init (workbook)
    (r"^no client config ('[^']*') in the workbook; choose one of: (.*)$",
     r"工作手册中没有客户配置 \1；请从以下之中选择：\2"),
    (r"^(.+) is a file — give a folder name$", r"\1 是一个文件 — 请给出文件夹名"),
    (r"^(.+) is not empty — choose a new folder, or add --force to replace the workbook files in it$",
     r"\1 不是空文件夹 — 请换一个新文件夹，或加 --force 替换其中的工作手册文件"),
    (r"^(.+) is the workbook itself$", r"\1 就是工作手册本身"),
    (r"^cannot write the workbook folder (.+?): (.+)$",
     lambda m: f"无法写入工作手册文件夹 {m.group(1)}：{_OS_ZH.get(m.group(2), m.group(2))}"),
]]
_FOLDER_ZH = {"work": "工作目录", "report": "报告文件夹", "batch": "批量运行文件夹"}
_OS_ZH = {"Permission denied": "没有权限", "Read-only file system": "只读文件系统",
          "No space left on device": "磁盘空间不足", "Not a directory": "不是文件夹", "File exists": "文件已存在"}


def error_text(text, lang: str = "zh") -> str:
    """An error the command prints (a folder it cannot write, a busy work folder, an existing file, the erasure
    ledger, or one of :data:`CHAPTER_PHRASES`) in ``lang``; English, and anything unknown, unchanged.

    >>> error_text("cannot write the work folder /x/w: /x is a file, not a folder; give --workdir a folder you can "
    ...            "write to (or set `workdir:` in the config)", "zh")
    '无法写入工作目录 /x/w：/x 是一个文件，不是文件夹；请用 --workdir 指定一个可写的文件夹（或在配置中设置 `workdir:`）'
    """
    text = str(text)
    if lang != "zh":
        return text
    return _sub_all(CHAPTER_PHRASES, _sub_all(ERROR_PHRASES, text))
