"""The glossary as a page (术语表): docs/GLOSSARY.md rendered to HTML, for the report folder and the course site.

The notebooks link terms to the glossary in the repository (``../docs/GLOSSARY.md#lifecycle-and-value-terms``), which
works in JupyterLab; on an HTML page :func:`link_glossary` points such a link at ``glossary.html`` (the section's
anchor kept), and :func:`glossary_page` is that page — written into every report folder by the runner and, with the
site's sidebar, by :func:`~dbmkit.report.site.build_site`.

>>> link_glossary("see [the glossary](../docs/GLOSSARY.md#lifecycle-and-value-terms)")
'see [the glossary](glossary.html#s-lifecycle-and-value-terms)'
"""
from __future__ import annotations

import html
import re
from pathlib import Path

from .. import chapters as _chapters
from .style import REPORT_CSS

__all__ = ["glossary_html", "glossary_page", "link_glossary"]

_LINK = re.compile(r"\.\./docs/GLOSSARY\.md(?:#([\w\-]+))?")


def link_glossary(text: str) -> str:
    """Links to ../docs/GLOSSARY.md(#section) as links to the page glossary.html(#s-section)."""
    return _LINK.sub(lambda m: "glossary.html" + (f"#s-{m.group(1)}" if m.group(1) else ""), text)


def glossary_page(md_path: str | Path, language: str = "en") -> str:
    """The glossary as a page of its own (the report's style); a note when the file is missing."""
    p = Path(md_path)
    body = glossary_html(p.read_text(encoding="utf-8"))[0] if p.exists() else "<p>No glossary found.</p>"
    lang = "zh-CN" if language == "zh" else "en"
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Glossary · 术语表</title>'
            f"<style>{REPORT_CSS}</style></head><body><header><h1>Glossary · 术语表</h1></header>"
            f"<main>{body}</main></body></html>")


def glossary_html(md_text: str) -> tuple[str, list[dict]]:
    """docs/GLOSSARY.md as HTML (every term's row has an id; chapter numbers link to the chapters) and its search
    entries."""
    import mistune
    body = mistune.create_markdown(plugins=["table"])(md_text).strip()
    body = re.sub(r"^<h1>.*?</h1>", "", body, count=1, flags=re.S)
    entries: list[dict] = []
    used: set[str] = set()
    section, out = "", []
    for piece in re.split(r"(<h[23]>.*?</h[23]>|<table>.*?</table>)", body, flags=re.S):
        m = re.match(r"<h([23])>(.*?)</h[23]>$", piece, re.S)
        if m:
            section = html.unescape(re.sub(r"<[^>]+>", "", m.group(2)))
            slug = _slug("s-", section, used)
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

    def row(r):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", r.group(0), re.S)
        if not cells:
            return r.group(0)
        plain = [" ".join(html.unescape(re.sub(r"<[^>]+>", "", c)).split()) for c in cells]
        slug = _slug("g-", plain[0], used)
        entries.append({"t": "Glossary · 术语表", "h": " · ".join(x for x in plain[:2] if x),
                        "u": f"glossary.html#{slug}", "k": "glossary",
                        "x": " — ".join(x for x in plain[2:] if x) + (f" ({section})" if section else "")})
        if heads and heads[-1] == "chapter":
            cells[-1] = re.sub(r"\b(\d{2})\b", lambda n: _chapter_link(n.group(1)), cells[-1])
        return f'<tr id="{slug}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"

    table = re.sub(r"<tr>.*?</tr>", row, table, flags=re.S)
    return table.replace("<table>", '<table class="gloss">', 1)


def _chapter_link(number: str) -> str:
    files = [c.file for c in _chapters.CHAPTERS if c.number == number]
    return f'<a href="{files[0]}.html">{number}</a>' if files else number
