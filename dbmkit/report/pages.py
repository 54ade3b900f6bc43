"""The report's chapter pages: an executed notebook exported as HTML without code (:func:`export_html`), and the
short page of a chapter the report skipped because the client's data lacks its inputs (:func:`skipped_page_html`).
"""
from __future__ import annotations

import ast
import functools
import html
import re
from pathlib import Path

from ..chapters import note as note_markdown
from ..i18n import add as add_labels
from ..i18n import t
from ..messages import need_fix
from ..privacy import mask_pii
from ..util import NOTICE_NAMES
from .glossary import link_glossary
from .kpis import format_kpi
from .style import CHAPTER_CSS, REPORT_CSS

__all__ = ["export_html", "mask_notebook", "skipped_page_html", "notices", "recorded_name"]

add_labels({
    "what_it_means": ("What this means for the marketer", "对营销人员的意义"),
    "skipped_title": ("This chapter was skipped", "本章已跳过"),
    "skipped_why": ("The client's data does not have what this chapter needs:", "客户数据缺少本章所需的内容："),
    "skipped_fix": ("How to provide it", "如何提供"),
    "skipped_after": ("Add the source to the client config, run `dbmkit check CONFIG`, then run the report again.",
                      "在客户配置中加入数据源，运行 `dbmkit check CONFIG`，然后重新生成报告。"),
    "masked_note": ("contact details masked on this page", "条联系方式已在本页隐藏"),
})


def _mask_cell_outputs(cell) -> int:
    n = 0
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            o["text"], k = mask_pii(o.get("text", ""))
            n += k
        for mime in ("text/plain", "text/html", "text/markdown", "text/latex"):
            data = o.get("data", {})
            if mime in data:
                val = data[mime] if isinstance(data[mime], str) else "".join(data[mime])
                data[mime], k = mask_pii(val)
                n += k
    return n


def mask_notebook(nb) -> int:
    """Mask the raw e-mails and phone numbers of an executed notebook in place (text outputs and Markdown; standard
    error dropped, as on the chapter pages) — for a notebook published with its outputs. Returns how many."""
    n = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
            n += _mask_cell_outputs(cell)
        elif cell.cell_type == "markdown":
            cell.source, k = mask_pii(cell.source)
            n += k
    return n


_HEADING_ZH = {
    "what this means for the marketer": "对营销人员的意义",
    "what this means for the marketer:": "对营销人员的意义：",
    "learning objectives": "学习目标",
    "summary": "小结",
    "key numbers": "关键指标",
    "next steps": "下一步",
    "the data": "数据",
}


# "/tmp/ipykernel_1/2.py:3: ControlGroupWarning: Control group too small …" (the source line follows, indented)
_WARNING_LINE = re.compile(r"^\S.*?:\d+: (\w+): (.*)$")


def notices(stderr: str) -> list[str]:
    """The messages of dbmkit's own notices (:class:`dbmkit.util.Notice`) in a cell's stderr, each once, in order;
    library warnings and other stderr text are left out.

    >>> notices("/tmp/ipykernel_7/1.py:2: ControlGroupWarning: Control group too small: 9 people.\\n  plan.x()\\n"
    ...         "/x/pandas/core.py:9: FutureWarning: the default will change\\n  y = 1\\n")
    ['Control group too small: 9 people.']
    """
    out = []
    for line in stderr.splitlines():
        m = _WARNING_LINE.match(line)
        if m and m.group(1) in NOTICE_NAMES and m.group(2).strip() not in out:
            out.append(m.group(2).strip())
    return out


def recorded_name(source: str) -> str | None:
    """The key number a code cell ends on — ``dbm.record("name", value)`` as its last statement, whose result the
    notebook shows as a bare number — or None.

    >>> recorded_name('x = 1\\ndbm.record("top_rule_lift", float(x))'), recorded_name("dbm.record('a', 1)\\nx")
    ('top_rule_lift', None)
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    last = tree.body[-1] if tree.body else None
    call = last.value if isinstance(last, ast.Expr) else None
    if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "record"
            and call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)):
        return call.args[0].value
    return None


def _key_number_sentence(outputs: list, name: str, language: str, currency: str) -> list:
    """A bare number a cell ends on (``dbm.record(...)``) as a sentence: "**Label:** value"."""
    out = []
    for o in outputs:
        data = o.get("data", {})
        if o.get("output_type") == "execute_result" and set(data) == {"text/plain"}:
            text = data["text/plain"] if isinstance(data["text/plain"], str) else "".join(data["text/plain"])
            try:
                value = float(text.replace(",", "").replace("\u2212", "-").removeprefix("np.float64(").rstrip(")"))
            except ValueError:
                out.append(o)
                continue
            label, shown = format_kpi(name, value, language, currency)
            md = f"**{label}：**{html.unescape(shown)}" if language == "zh" else f"**{label}:** {html.unescape(shown)}"
            out.append({"output_type": "display_data", "metadata": {}, "data": {"text/markdown": md, "text/plain": md}})
        else:
            out.append(o)
    return out


def _page_outputs(outputs: list, language: str) -> list:
    """A code cell's outputs for a page: stderr removed — dbmkit's notices kept as notes in prose, library warnings
    dropped."""
    keep = []
    for o in outputs:
        if o.get("output_type") == "stream" and o.get("name") == "stderr":
            for msg in notices(o.get("text", "")):
                keep.append({"output_type": "display_data", "metadata": {},
                             "data": {"text/markdown": note_markdown(msg, language).data, "text/plain": msg}})
            continue
        keep.append(o)
    return keep


def _zh_markdown(src: str) -> str:
    """English headings with a Chinese term in brackets show it first ('RFM analysis (RFM分析)' → 'RFM分析（RFM
    analysis）'), a heading already in Chinese stays as it is; the standard headings are translated."""
    out = []
    for line in src.splitlines():
        m = re.match(r"^(#{1,6})\s+(\d{2} · )?(.+?)\s*[(（]([^()（）]*[\u4e00-\u9fff][^()（）]*)[)）]\s*$", line)
        if m and re.search(r"[\u4e00-\u9fff]", m.group(3)):
            pass                                          # a heading already in Chinese (the Chinese edition)
        elif m:
            line = f"{m.group(1)} {m.group(2) or ''}{m.group(4)}（{m.group(3)}）"
        else:
            m = re.match(r"^(#{1,6})\s+(.+?)\s*$", line)
            if m and m.group(2).lower() in _HEADING_ZH:
                line = f"{m.group(1)} {_HEADING_ZH[m.group(2).lower()]}（{m.group(2)}）"
        line = re.sub(r"\*\*What this means for the marketer:?\*\*:?",
                      "**对营销人员的意义（What this means for the marketer）：**", line)
        out.append(line)
    return "\n".join(out)


def _drop_your_turn(cells: list) -> list:
    """Remove the "Your turn" sections (student exercises) from a report page, and each exercise's prompt — the
    markdown cell just before a cell tagged ``exercise``, in either language — where it stands mid-chapter."""
    prompts = {i - 1 for i, c in enumerate(cells) if "exercise" in c.get("metadata", {}).get("tags", [])
               and i > 0 and cells[i - 1].cell_type == "markdown"}
    cells = [c for i, c in enumerate(cells) if i not in prompts]
    keep, inside = [], False
    for c in cells:
        tags = c.get("metadata", {}).get("tags", [])
        heads = [ln for ln in c.source.splitlines() if ln.startswith("#")] if c.cell_type == "markdown" else []
        if c.cell_type == "markdown" and heads:
            inside = any(re.search(r"your turn|动手练习|练习", h, re.I) for h in heads[:1])
            if inside:
                continue
        elif inside and (c.cell_type == "markdown" or "exercise" in tags):
            continue
        elif c.cell_type == "code" and "exercise" not in tags:
            inside = False
        keep.append(c)
    return keep


@functools.lru_cache(maxsize=1)
def _exporter():
    """The HTML exporter of the chapter pages, made once per process (loading the lab template and setting up the
    preprocessor cost ~0.5 s, more than exporting a chapter's outputs)."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    trp = TagRemovePreprocessor(remove_cell_tags={"parameters", "injected-parameters", "exercise", "remove",
                                                  "solution", "nav"})
    exporter.register_preprocessor(trp, enabled=True)
    return exporter


def export_html(nb_path, html_path: Path, title: str, nav: str = "", language: str = "en",
                subtitle: str = "", currency: str = "") -> dict:
    """A chapter page without code: inputs, prompts, parameter/exercise cells, "Your turn" sections and stderr
    removed (dbmkit's notices shown as notes instead of warning boxes); tables styled for reading; raw e-mails and
    phone numbers masked; a bare number a cell ends on with ``dbm.record`` written as "**Label:** value" (money in
    ``currency``); with ``language="zh"`` the headings show their Chinese terms first. Links to other
    chapters point at their HTML pages. ``nb_path``: the executed notebook's file, or the notebook itself (the
    runner passes the one papermill returns instead of reading it back; it is changed in place).

    Returns {"masked": number of contact details masked}.
    """
    import nbformat

    nb = nbformat.read(str(nb_path), as_version=4) if isinstance(nb_path, (str, Path)) else nb_path
    masked = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            outputs = _page_outputs(cell.get("outputs", []), language)
            name = recorded_name(cell.source)
            if name:
                outputs = _key_number_sentence(outputs, name, language, currency)
            cell.outputs = [nbformat.from_dict(o) for o in outputs]
            masked += _mask_cell_outputs(cell)
        if cell.cell_type == "markdown":
            cell.source = re.sub(r"\(([\w\-]+)\.ipynb(#[\w\-]*)?\)", r"(\1.html\2)", cell.source)
            cell.source = link_glossary(cell.source)       # glossary.html beside the page
            cell.source, k = mask_pii(cell.source)
            masked += k
            if language == "zh":
                cell.source = _zh_markdown(cell.source)
    nb.cells = _drop_your_turn(nb.cells)
    body, _ = _exporter().from_notebook_node(nb)
    banner = (f'<div class="dbm-banner">'
              f'<a href="index.html">← {html.escape(t("back_to_index", language))}</a> {nav}</div>')
    note = ""
    if masked:
        note = f" · {masked} {html.escape(t('masked_note', language))}"
    head = f'<div class="dbm-head"><p>{html.escape(subtitle)}{note}</p></div>' if (subtitle or note) else ""
    body = body.replace("</head>", CHAPTER_CSS + "</head>", 1)
    body = body.replace("<body", "<body data-dbmkit-chapter=\"1\"", 1)
    body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + banner + head, body, count=1)
    body = re.sub(r"<title>.*?</title>", lambda m: f"<title>{html.escape(title)}</title>", body, count=1, flags=re.S)
    if language == "zh":
        body = body.replace('<html lang="en">', '<html lang="zh-CN">', 1)
    html_path.write_text(body, encoding="utf-8")
    return {"masked": masked}


def skipped_page_html(ch, missing: list, lang: str, nav: str = "", client: str = "") -> str:
    """The short page of a chapter the report skipped: what is missing and how to provide it."""
    title = f"{ch.number} · {ch.title_zh if lang == 'zh' else ch.title}"
    items = "".join(
        f"<li><b>{html.escape(n.what_zh if lang == 'zh' else n.what)}</b><br>"
        f"<span class=\"fix\">{html.escape(t('skipped_fix', lang))}{'：' if lang == 'zh' else ': '}"
        f"{html.escape(need_fix(key, n, lang))}</span></li>"
        for key, n in missing)
    return f"""<!doctype html><html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>
<style>{REPORT_CSS} .fix{{color:#5b6b7b;font-size:14px}} li{{margin:10px 0}}</style></head>
<body data-dbmkit-chapter="1" data-dbmkit-skipped="1">\
<div class="dbm-banner" style="padding:8px 16px;background:#174a6d">
<a style="color:white" href="index.html">← {html.escape(t("back_to_index", lang))}</a> {nav}</div>
<header><h1>{html.escape(title)}</h1><p>{html.escape(t('skipped_title', lang))}</p></header>
<main><h2>{html.escape(t('skipped_why', lang))}</h2><ul>{items}</ul>
<p>{html.escape(t('skipped_after', lang))}</p></main><footer>dbmkit · {html.escape(client)}</footer></body></html>"""
