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


def _sub_all(table: list[tuple[re.Pattern, str]], text: str) -> str:
    for pattern, repl in table:
        text = pattern.sub(repl, text)
    return text


def _and_zh(m: re.Match) -> str:
    return m.group(1).replace(" and ", "和")


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
