"""The glossary as a page (术语表): docs/GLOSSARY.md rendered to HTML, for the report folder and the course site.

The notebooks link terms to the glossary in the repository (``../docs/GLOSSARY.md#lifecycle-and-value-terms``), which
works in JupyterLab; on an HTML page :func:`link_glossary` points such a link at ``glossary.html`` (the section's
anchor kept), and :func:`glossary_page` is that page — written into every report folder by the runner and, with the
site's sidebar, by :func:`~dbmkit.report.site.build_site`. A Chinese report's page is the Chinese glossary
(docs/GLOSSARY_zh.md beside GLOSSARY.md, :func:`glossary_source`): the same tables, the 中文 term first and the
definitions in Chinese; its sections keep the English file's anchors, so the chapters' links reach the same section
in both languages. :func:`glossary_terms` lists each table's English terms (a test keeps the two files in step).

>>> link_glossary("see [the glossary](../docs/GLOSSARY.md#lifecycle-and-value-terms)")
'see [the glossary](glossary.html#s-lifecycle-and-value-terms)'
"""
from __future__ import annotations

import html
import re
from pathlib import Path

from .. import chapters as _chapters
from .style import REPORT_CSS

__all__ = ["glossary_body", "glossary_html", "glossary_page", "glossary_source", "glossary_terms", "link_glossary"]

_LINK = re.compile(r"\.\./docs/GLOSSARY\.md(?:#([\w\-]+))?")


def link_glossary(text: str) -> str:
    """Links to ../docs/GLOSSARY.md(#section) as links to the page glossary.html(#s-section)."""
    return _LINK.sub(lambda m: "glossary.html" + (f"#s-{m.group(1)}" if m.group(1) else ""), text)


def glossary_source(md_path: str | Path, language: str = "en") -> Path:
    """The glossary file of a language: for ``zh`` the Chinese glossary beside ``md_path`` (GLOSSARY.md →
    GLOSSARY_zh.md) when there is one, else ``md_path`` itself."""
    p = Path(md_path)
    if language == "zh":
        zh = p.with_name(f"{p.stem}_zh{p.suffix}")
        if zh.exists():
            return zh
    return p


def glossary_body(md_path: str | Path, language: str = "en") -> tuple[str, list[dict]]:
    """The glossary of ``language`` as HTML and its search entries (:func:`glossary_html`): for ``zh`` the Chinese
    glossary (:func:`glossary_source`), its sections anchored as in ``md_path``; a note when the file is missing."""
    p = Path(md_path)
    src = glossary_source(p, language)
    if not src.exists():
        return "<p>No glossary found.</p>", []
    ids = section_ids(p.read_text(encoding="utf-8")) if src != p and p.exists() else None
    return glossary_html(src.read_text(encoding="utf-8"), section_ids=ids)


def glossary_page(md_path: str | Path, language: str = "en") -> str:
    """The glossary as a page of its own (the report's style, :func:`glossary_body`); a Chinese page when the
    Chinese glossary exists."""
    body = glossary_body(md_path, language)[0]
    if glossary_source(md_path, language) != Path(md_path):
        return ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>术语表</title>'
                f"<style>{REPORT_CSS}</style></head><body><header><h1>术语表</h1></header>"
                f"<main>{body}</main></body></html>")
    lang = "zh-CN" if language == "zh" else "en"
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Glossary · 术语表</title>'
            f"<style>{REPORT_CSS}</style></head><body><header><h1>Glossary · 术语表</h1></header>"
            f"<main>{body}</main></body></html>")


def section_ids(md_text: str) -> list[str]:
    """The anchors (``s-…``) of the glossary's section headings, in order."""
    return re.findall(r'<h[23] id="([^"]+)">', glossary_html(md_text)[0])


ENGLISH_HEADS = ("english", "英文")      # the column holding a term's English name
_KEY_END = re.compile(r"\s+\(|(?<!\s):\s")


def glossary_terms(md_text: str) -> list[list[str]]:
    """Each table's terms by their English name (the column headed *English* or *英文*), in order: the name up to its
    explanation — the part after `` (`` or ``: `` — with emphasis removed, so ``customer lifecycle (the stages …)``
    and ``customer lifecycle`` are one term. The English glossary and the Chinese one must give the same lists."""
    tables: list[list[str]] = []
    col, rows = None, None
    for line in md_text.splitlines():
        if not line.lstrip().startswith("|"):
            col, rows = None, None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if col is None:
            heads = [c.lower() for c in cells]
            col, rows = next((i for i, h in enumerate(heads) if h in ENGLISH_HEADS), 0), []
            tables.append(rows)
        elif set("".join(cells)) <= set("-: "):
            continue
        elif col < len(cells):
            key = _KEY_END.split(cells[col].replace("*", ""), maxsplit=1)[0]
            rows.append(" ".join(key.split()).lower())
    return tables


def glossary_html(md_text: str, section_ids: list[str] | None = None) -> tuple[str, list[dict]]:
    """docs/GLOSSARY.md as HTML (every term's row has an id; chapter numbers link to the chapters) and its search
    entries. ``section_ids``: the headings' anchors in order (the Chinese glossary takes the English file's), else
    made from the heading text."""
    import mistune
    body = mistune.create_markdown(plugins=["table"])(md_text).strip()
    body = re.sub(r"^<h1>.*?</h1>", "", body, count=1, flags=re.S)
    entries: list[dict] = []
    used: set[str] = set()
    section, out, n_heads = "", [], 0
    for piece in re.split(r"(<h[23]>.*?</h[23]>|<table>.*?</table>)", body, flags=re.S):
        m = re.match(r"<h([23])>(.*?)</h[23]>$", piece, re.S)
        if m:
            section = html.unescape(re.sub(r"<[^>]+>", "", m.group(2)))
            if section_ids and n_heads < len(section_ids):
                slug = section_ids[n_heads]
                used.add(slug)
            else:
                slug = _slug("s-", section, used)
            n_heads += 1
            out.append(f'<h{m.group(1)} id="{slug}">{m.group(2)}</h{m.group(1)}>')
        elif piece.startswith("<table>"):
            out.append(_glossary_table(piece, section, entries, used))
        else:
            out.append(piece)
    return "".join(out), entries


def _slug(prefix: str, text: str, used: set) -> str:
    base = prefix + (re.sub(r"[^\w]+", "-", text.lower()).strip("-") or "x")
    slug, k = base, 2
    while slug in used:
        slug, k = f"{base}-{k}", k + 1
    used.add(slug)
    return slug


def _glossary_table(table: str, section: str, entries: list, used: set) -> str:
    heads = [" ".join(html.unescape(re.sub(r"<[^>]+>", "", h)).split()).lower()
             for h in re.findall(r"<th[^>]*>(.*?)</th>", table, re.S)]
    key = next((i for i, h in enumerate(heads) if h in ENGLISH_HEADS), 0)     # the row's anchor: its English term

    def row(r):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", r.group(0), re.S)
        if not cells:
            return r.group(0)
        plain = [" ".join(html.unescape(re.sub(r"<[^>]+>", "", c)).split()) for c in cells]
        slug = _slug("g-", plain[key], used)
        entries.append({"t": "Glossary · 术语表", "h": " · ".join(x for x in plain[:2] if x),
                        "u": f"glossary.html#{slug}", "k": "glossary",
                        "x": " — ".join(x for x in plain[2:] if x) + (f" ({section})" if section else "")})
        if heads and heads[-1] in ("chapter", "章节"):
            cells[-1] = re.sub(r"\b(\d{2})\b", lambda n: _chapter_link(n.group(1)), cells[-1])
        return f'<tr id="{slug}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"

    table = re.sub(r"<tr>.*?</tr>", row, table, flags=re.S)
    return table.replace("<table>", '<table class="gloss">', 1)


def _chapter_link(number: str) -> str:
    files = [c.file for c in _chapters.CHAPTERS if c.number == number]
    return f'<a href="{files[0]}.html">{number}</a>' if files else number
