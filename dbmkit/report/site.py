"""The course website: :func:`build_site` turns an executed report (``reports/demo``) into a static site — the
chapter pages in reading order with a navigation sidebar by phase, a home page with the demo client's key numbers,
the glossary (docs/GLOSSARY.md), the notebooks to download (as students get them, and executed on the demo client),
a page on launching the workbook in a local JupyterLab, and a search that runs in the browser.

Why not Jupyter Book 2 (MyST) or Quarto. The site must build on a machine without internet and work when opened
from ``file://`` (a student double-clicks ``site/index.html``), search included. Jupyter Book 2 (mystmd 1.x) fetches
its site template (book-theme) from api.mystmd.org / GitHub at build time (mystmd issues #207, #1451) — the theme is
not published on npm, so there is nothing to install offline — and its HTML needs a web server with a matching
``BASE_URL`` (mystmd #188). Quarto's search loads ``search.json`` with ``fetch``, which browsers block on
``file://`` (quarto-cli #3028). So the site is made of the report's own pages, which already went through the
masking export (:func:`~dbmkit.report.pages.export_html`: no raw e-mail or phone): this module only adds the
sidebar, strips the CDN scripts that cannot load offline (require.js, MathJax: the chapters use neither), and writes
the search index as a script (``search_index.js``: ``window.SEARCH = [...]``), which a ``<script>`` tag loads from
``file://`` too. The build stops on a page, search entry or executed notebook in which
:func:`~dbmkit.privacy.find_pii` still sees a contact. The Chinese text shows on any machine, one without a Chinese
font too: the site carries ``assets/cjk.otf``, the glyphs of its own Chinese characters cut (fontTools, which comes
with matplotlib) from the Noto Sans CJK font of mplfonts — about 150 KB instead of 16 MB.
"""
from __future__ import annotations

import html
import json
import re
import shutil
import zipfile
from html.parser import HTMLParser
from pathlib import Path

from .. import chapters as _chapters
from ..i18n import date_text
from ..privacy import find_pii
from .glossary import glossary_body
from .kpis import HEADLINE, KPI_INFO, format_kpi
from .pages import mask_notebook
from .site_text import LAUNCH_BODY, SITE_TEXT, downloads_body, home_body, notrun_body, site_text
from .style import FONT_STACK, MONO_STACK, REPORT_CSS

__all__ = ["build_site", "SiteError", "visible_text"]

MARKER = ".dbmkit-site"
esc = html.escape


class SiteError(Exception):
    """A site that cannot be built (no report, a folder that is not a site); the message says what to do."""


# the sidebar's and the site pages' fonts: first the bundled CJK subset (assets/cjk.otf; its unicode-range keeps it
# to the Chinese characters), so that Chinese shows the same on every machine, one without a Chinese font too
FONTS = "'dbm-cjk'," + FONT_STACK
CJK_CSS = """@font-face{font-family:'dbm-cjk';src:url('assets/cjk.otf') format('opentype');font-display:block;
 unicode-range:U+2E80-9FFF,U+F900-FAFF,U+FE30-FE4F,U+FF00-FFEF}
:root{--jp-ui-font-family:%(f)s;--jp-content-font-family:%(f)s;
 --jp-code-font-family:'dbm-cjk',%(mono)s}
body.site,.dbm-head,.site-pager{font-family:%(f)s}body.site input{font-family:inherit}
""" % {"f": FONTS, "mono": MONO_STACK}

SITE_CSS = """
.site-nav{position:fixed;left:0;top:0;bottom:0;width:258px;overflow-y:auto;background:#173f5c;color:#dfe8f0;
 font-size:13px;line-height:1.45;padding:14px 0 30px 0;box-sizing:border-box;z-index:50;scrollbar-width:thin}
.site-nav,.site-nav input{font-family:inherit}
.site-nav a{color:#dfe8f0;text-decoration:none;display:block;padding:3px 16px}
.site-nav a:hover{background:#21557a;color:#fff}.site-nav a.current{background:#2b6a96;color:#fff;font-weight:600}
.site-nav .brand{font-size:16px;font-weight:600;color:#fff;padding:0 16px 8px 16px}
.site-nav .brand span{display:block;font-size:13px;font-weight:400;opacity:.8}
.site-nav .phase{margin:12px 16px 2px 16px;font-size:11px;text-transform:uppercase;letter-spacing:.04em;
 color:#9fb8cc}
.site-nav ul{list-style:none;margin:0;padding:0}.site-nav .num{display:inline-block;width:22px;color:#9fb8cc}
.site-nav .off{opacity:.6}
.site-nav form{margin:4px 16px 8px 16px}.site-nav input{width:100%;box-sizing:border-box;padding:6px 8px;
 border-radius:5px;border:0;font-size:13px}
body.site{margin:0 0 0 258px !important}
.site-pager{display:flex;justify-content:space-between;gap:12px;padding:18px 32px 40px 32px;font-size:14px}
.site-pager a{color:#1f5f8b}
.site-page main{max-width:1000px;line-height:1.5}
.site-page table.gloss td,.site-page table.gloss th{vertical-align:top;font-size:13px}
.site-page tr:target{background:#fff6d5}
.site-page pre{background:#eef3f8;padding:10px 14px;border-radius:6px;overflow:auto}
#results li{margin:0 0 14px 0;list-style:none}#results .where{font-size:12px;color:#5b6b7b}
#results mark{background:#fff0a8}#q{font-size:16px;padding:8px 10px;width:min(520px,90%)}
@media (max-width:800px){.site-nav{position:static;width:auto}body.site{margin:0 !important}}
"""

SEARCH_JS = r"""// the site's search: window.SEARCH (search_index.js) holds one entry per section {t, h, u, x, k}
(function () {
  function norm(s) { return (s || '').toLowerCase(); }
  function terms(q) { return norm(q).split(/[\s,;，；]+/).filter(function (w) { return w.length > 0; }); }
  function count(hay, w) {
    var n = 0, i = hay.indexOf(w);
    while (i >= 0 && n < 20) { n++; i = hay.indexOf(w, i + w.length); }
    return n;
  }
  function score(e, ws) {
    var t = norm(e.t), h = norm(e.h), x = norm(e.x), s = 0;
    for (var i = 0; i < ws.length; i++) {
      var w = ws[i], st = t.indexOf(w) >= 0 ? 8 : 0, sh = h.indexOf(w) >= 0 ? 5 : 0, sx = count(x, w);
      if (!st && !sh && !sx) { return 0; }          // every word must occur somewhere
      s += st + sh + Math.min(sx, 10) * 0.5 + (h === w ? 6 : 0);
    }
    return s + (e.k === 'glossary' ? 1 : 0);
  }
  function snippet(e, ws) {
    var x = e.x || '', lx = norm(x), at = -1;
    for (var i = 0; i < ws.length && at < 0; i++) { at = lx.indexOf(ws[i]); }
    var from = Math.max(0, at - 60);
    var s = (from > 0 ? '… ' : '') + x.slice(from, from + 220) + (x.length > from + 220 ? ' …' : '');
    var out = document.createElement('span'), rest = s;
    while (rest.length) {
      var lr = norm(rest), best = -1, len = 0;
      ws.forEach(function (w) {
        var k = lr.indexOf(w);
        if (k >= 0 && (best < 0 || k < best)) { best = k; len = w.length; }
      });
      if (best < 0) { out.appendChild(document.createTextNode(rest)); break; }
      out.appendChild(document.createTextNode(rest.slice(0, best)));
      var m = document.createElement('mark'); m.textContent = rest.slice(best, best + len); out.appendChild(m);
      rest = rest.slice(best + len);
    }
    return out;
  }
  window.siteSearch = function (q) {
    var ws = terms(q);
    if (!ws.length) { return []; }
    return (window.SEARCH || []).map(function (e) { return {e: e, s: score(e, ws)}; })
      .filter(function (r) { return r.s > 0; })
      .sort(function (a, b) { return b.s - a.s; })
      .map(function (r) { return r.e; });
  };
  function show(q) {
    var box = document.getElementById('results'), info = document.getElementById('found');
    if (!box) { return; }
    box.innerHTML = '';
    var hits = window.siteSearch(q), ws = terms(q);
    info.textContent = q ? hits.length + (hits.length === 1 ? ' result · 条结果' : ' results · 条结果') : '';
    hits.slice(0, 60).forEach(function (e) {
      var li = document.createElement('li'), a = document.createElement('a'), where = document.createElement('div');
      a.href = e.u; a.textContent = e.h && e.h !== e.t ? e.h : e.t; a.setAttribute('data-url', e.u);
      where.className = 'where'; where.textContent = e.t;
      var p = document.createElement('div'); p.appendChild(snippet(e, ws));
      li.appendChild(a); li.appendChild(where); li.appendChild(p); box.appendChild(li);
    });
  }
  window.addEventListener('DOMContentLoaded', function () {
    var input = document.getElementById('q');
    if (!input) { return; }
    var q = new URLSearchParams(window.location.search).get('q') || '';
    input.value = q; show(q);
    input.addEventListener('input', function () { show(input.value); });
  });
})();
"""


class _Sections(HTMLParser):
    """The visible text of a page in sections: one (heading, anchor id, text) per h1–h3."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sections = [["", "", []]]
        self.skipping: list[str] = []     # the elements whose text is not shown (scripts, styles, ¶ links)
        self.heading = None               # [tag, id, parts] while inside a heading

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = a.get("class") or ""
        if (tag in ("script", "style", "nav") or (tag == "a" and "anchor-link" in cls)
                or (tag == "table" and "dataframe" in cls)):          # result tables: numbers, not words to find
            self.skipping.append(tag)
        elif tag in ("h1", "h2", "h3") and not self.skipping:
            self.heading = [tag, a.get("id") or "", []]

    def handle_endtag(self, tag):
        if self.skipping and tag == self.skipping[-1]:
            self.skipping.pop()
        elif self.heading and tag == self.heading[0]:
            text = " ".join("".join(self.heading[2]).split())
            self.sections.append([text, self.heading[1], []])
            self.heading = None

    def handle_data(self, data):
        if not self.skipping:
            (self.heading[2] if self.heading else self.sections[-1][2]).append(data)

    def result(self):
        out = []
        for head, anchor, parts in self.sections:
            # one line per line of the page (joined, the numbers of neighbouring lines would read as phone numbers)
            lines = (" ".join(ln.split()) for ln in "\n".join(parts).splitlines())
            text = "\n".join(ln for ln in lines if ln)
            if head or text:
                out.append((head, anchor, text))
        return out


def visible_text(page_html: str) -> str:
    """What a reader can see on a page: no scripts, styles, embedded image data or tags."""
    t = re.sub(r"<(script|style)\b.*?</\1>", " ", page_html, flags=re.S | re.I)
    t = re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+", " ", t)
    t = re.sub(r"<[^>]+>", " ", t)
    return html.unescape(t)


def _check_pii(name: str, page_html: str) -> str:
    found = find_pii(visible_text(page_html))
    if found:
        kind = "an e-mail address" if "@" in found[0] else "a phone number"
        raise SiteError(f"{name}: {len(found)} raw contact detail(s) on the page (e.g. {kind}); the site is not "
                        "complete — mask them in the chapter (dbmkit.privacy.mask_pii) and run the report again")
    return page_html


def _sidebar(entries, current: str, lang: str) -> str:
    """The navigation: home, search box, chapters by phase, then the glossary, downloads, launch and search pages."""
    parts = ['<nav class="site-nav" aria-label="course">',
             f'<a class="brand" href="index.html">{site_text("brand", lang)}</a>',
             '<form action="search.html" method="get" role="search"><input name="q" type="search" '
             f'placeholder="{esc(site_text("search_box", lang))}" aria-label="{esc(site_text("search_label", lang))}">'
             '</form><ul>',
             _nav_link("index.html", site_text("home", lang), current)]
    phase = None
    for e in entries:
        if e["phase"] != phase:
            phase = e["phase"]
            en, zh = _chapters.PHASES.get(phase, (phase, phase))
            parts.append(f'</ul><div class="phase">{esc(zh if lang == "zh" else en + " · " + zh)}</div><ul>')
        label = f'<span class="num">{esc(e["number"])}</span>{esc(e["short"])}'
        cls = "" if e["status"] in ("ok", "skipped") else " off"
        parts.append(f'<li><a class="{"current" if e["page"] == current else ""}{cls}" href="{e["page"]}">'
                     f'{label}</a></li>')
    parts.append(f'</ul><div class="phase">{esc(site_text("reference", lang))}</div><ul>')
    for page, key in (("glossary.html", "glossary"), ("downloads.html", "notebooks"), ("launch.html", "launch"),
                      ("search.html", "search")):
        parts.append(_nav_link(page, site_text(key, lang), current))
    parts.append("</ul></nav>" + _NAV_SCROLL)
    return "".join(parts)


# a later chapter's entry is below the fold of the sidebar: scroll the sidebar (not the page) to it
_NAV_SCROLL = ("<script>(function () { var n = document.querySelector('.site-nav'), "
               "c = n && n.querySelector('a.current'); if (c && c.offsetTop > n.clientHeight - 80) "
               "{ n.scrollTop = c.offsetTop - n.clientHeight / 2; } })();</script>")


def _nav_link(page: str, label: str, current: str) -> str:
    return f'<li><a class="{"current" if page == current else ""}" href="{page}">{esc(label)}</a></li>'


def _page(title: str, body: str, sidebar: str, lang: str = "en", scripts: str = "") -> str:
    """One of the site's own pages (home, glossary, downloads, launch, search, a chapter the report did not run)."""
    return (f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{esc(title)}</title>'
            f"<style>{REPORT_CSS}{SITE_CSS}{CJK_CSS}</style>{scripts}</head>"
            f'<body class="site site-page">{sidebar}<header><h1>{esc(title)}</h1></header><main>{body}</main>'
            f"<footer>{esc(site_text('footer', lang))}</footer></body></html>")


_CDN = re.compile(r'<script\s+src="https?://[^"]*"[^>]*>\s*</script>', re.I)
_BANNER = re.compile(r'<div class="dbm-banner"[^>]*>.*?</div>', re.S)


def _chapter_page(page_html: str, sidebar: str, pager: str) -> str:
    """A report page as a site page: no report banner (the sidebar replaces it), no CDN scripts, the sidebar and
    the previous/next links added."""
    body = _CDN.sub("", page_html)
    body = _BANNER.sub("", body, count=1)
    body = body.replace("</head>", f"<style>{SITE_CSS}{CJK_CSS}</style></head>", 1)
    body = re.sub(r"<body([^>]*)>", lambda m: _add_class(m.group(1)) + sidebar, body, count=1)
    return body.replace("</body>", pager + "</body>", 1)


def _add_class(attrs: str) -> str:
    if 'class="' in attrs:
        return "<body" + attrs.replace('class="', 'class="site ', 1) + ">"
    return f'<body class="site"{attrs}>'


def _pager(entries, i: int) -> str:
    prev = entries[i - 1] if i > 0 else None
    nxt = entries[i + 1] if i + 1 < len(entries) else None
    a = f'<a href="{prev["page"]}">← {esc(prev["number"])} · {esc(prev["short"])}</a>' if prev else "<span></span>"
    b = f'<a href="{nxt["page"]}">{esc(nxt["number"])} · {esc(nxt["short"])} →</a>' if nxt else "<span></span>"
    return f'<div class="site-pager">{a}{b}</div>'


def _entries(report: Path, status: dict) -> list[dict]:
    """The site's chapters in reading order: those of the report run, then the standard chapters it did not run."""
    lang = status.get("language", "en")
    runs = {r["file"]: r for r in status.get("chapters", [])}
    files = [r["file"] for r in status.get("chapters", [])]
    files += [c.file for c in _chapters.CHAPTERS if c.file not in runs]
    out = []
    for f in files:
        ch = _chapters.BY_FILE.get(f)
        run = runs.get(f, {})
        number = f.split("_", 1)[0]
        title = (ch.title_zh if lang == "zh" else ch.title) if ch else run.get("title") or f
        has_page = (report / f"{f}.html").exists() and f in runs
        out.append({"file": f, "number": number, "phase": number[0], "title": f"{number} · {title}",
                    "short": title, "title_zh": ch.title_zh if ch else "", "status": run.get("status", "not run"),
                    "page": f"{f}.html", "has_page": has_page, "notebook": run.get("notebook") or "",
                    "message": run.get("message", "")})
    order = {p: i for i, p in enumerate(_chapters.PHASES)}
    out.sort(key=lambda e: (order.get(e["phase"], 99), e["number"]))
    return out


def _prepare_out(out: Path) -> None:
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise SiteError(f"{out} is not empty and is not a dbmkit site; give --out a new or empty folder")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("made by dbmkit site; the folder is replaced by the next build\n", encoding="utf-8")


def _blank_notebook(src: Path, dst: Path) -> None:
    """The notebook as students get it: every output and execution count removed."""
    import nbformat
    nb = nbformat.read(str(src), as_version=4)
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    nbformat.write(nb, str(dst))


def _executed_notebook(src: Path, dst: Path) -> None:
    """The chapter as run on the demo client: contact details masked, papermill's injected parameters (paths of the
    machine that ran it) removed."""
    import nbformat
    nb = nbformat.read(str(src), as_version=4)
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    nb.metadata.pop("papermill", None)
    mask_notebook(nb)
    text = [c.source for c in nb.cells] + [
        json.dumps({k: v for k, v in o.get("data", {}).items() if k.startswith("text/")}) + o.get("text", "")
        for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    found = find_pii("\n".join(text))
    if found:
        raise SiteError(f"{src.name}: {len(found)} raw contact detail(s) left after masking; the executed notebook is "
                        "not published — fix the chapter's output and run the report again")
    nbformat.write(nb, str(dst))


def _downloads(out: Path, report: Path, entries, notebooks_dir: Path) -> dict:
    """Copy the notebooks (blank and executed) and the demo's key numbers; returns {file: (blank, executed)}."""
    blank_dir, run_dir = out / "downloads" / "notebooks", out / "downloads" / "executed"
    blank_dir.mkdir(parents=True)
    run_dir.mkdir()
    got = {}
    for e in entries:
        src = Path(e["notebook"]) if e["notebook"] else notebooks_dir / f"{e['file']}.ipynb"
        if not src.exists():
            src = notebooks_dir / f"{e['file']}.ipynb"
        blank = executed = None
        if src.exists():
            _blank_notebook(src, blank_dir / f"{e['file']}.ipynb")
            blank = f"downloads/notebooks/{e['file']}.ipynb"
        ran = report / "notebooks" / f"{e['file']}.ipynb"
        if ran.exists() and e["status"] in ("ok", "failed"):
            _executed_notebook(ran, run_dir / f"{e['file']}.ipynb")
            executed = f"downloads/executed/{e['file']}.ipynb"
        got[e["file"]] = (blank, executed)
    with zipfile.ZipFile(out / "downloads" / "dbmkit-notebooks.zip", "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(blank_dir.glob("*.ipynb")):
            z.write(p, f"notebooks/{p.name}")
    if (report / "kpis.json").exists():
        shutil.copyfile(report / "kpis.json", out / "downloads" / "kpis.json")
    return got


def _home(status: dict, entries, kpis: dict) -> str:
    lang, currency = status.get("language", "en"), status.get("currency", "USD")
    cards = []
    shown = [k for k in HEADLINE if kpis.get(k) is not None] + sorted(
        k for k in kpis if k not in HEADLINE and kpis[k] is not None)
    for k in shown[:8]:
        label, val = format_kpi(k, kpis[k], lang, currency)
        cards.append(f'<div class="card" data-kpi="{esc(k)}"><div class="v">{val}</div>'
                     f'<div class="l">{esc(label)}</div></div>')
    rows, phase = [], None
    for e in entries:
        if e["phase"] != phase:
            phase = e["phase"]
            en, zh = _chapters.PHASES.get(phase, (phase, phase))
            rows.append(f'<tr class="phase"><td colspan="3">{esc(zh if lang == "zh" else en + " · " + zh)}</td></tr>')
        zh = f'<div class="small">{esc(e["title_zh"])}</div>' if e["title_zh"] and lang != "zh" else ""
        key = "state_" + e["status"].replace(" ", "_")
        state = site_text(key, lang) if key in SITE_TEXT else e["status"]
        rows.append(f'<tr data-chapter="{esc(e["file"])}"><td>{esc(e["number"])}</td><td><a href="{e["page"]}">'
                    f'{esc(e["short"])}</a>{zh}</td>'
                    f'<td class="{esc(e["status"].replace(" ", "-"))}">{esc(state)}</td></tr>')
    return home_body(lang, esc(status.get("client", "")), esc(_as_of(status, lang)), "".join(cards), "".join(rows))


def _as_of(status: dict, lang: str) -> str:
    day = str(status.get("as_of", ""))
    return date_text(day, "zh") if lang == "zh" and day else day


def _downloads_page(entries, got: dict, lang: str = "en") -> str:
    rows = []
    for e in entries:
        blank, executed = got.get(e["file"], (None, None))
        b = f'<a href="{blank}" download><code>{e["file"]}.ipynb</code></a>' if blank else "–"
        x = f'<a href="{executed}" download>{esc(site_text("executed", lang))}</a>' if executed else "–"
        rows.append(f'<tr id="{esc(e["file"])}"><td>{esc(e["number"])}</td><td><a href="{e["page"]}">'
                    f'{esc(e["short"])}</a></td><td>{b}</td><td>{x}</td></tr>')
    return downloads_body(lang, "".join(rows))


def _notrun_body(e: dict, blank: str | None, lang: str = "en") -> str:
    link = f' <a href="{blank}" download>{esc(site_text("download_notebook", lang))}</a>{site_text("stop", lang)}' \
        if blank else ""
    return notrun_body(lang, e["phase"] == "9", esc(e["title_zh"]) if e["title_zh"] else "", link)


def build_site(report_dir: str | Path, out: str | Path, glossary: str | Path | None = None,
               notebooks_dir: str | Path | None = None) -> dict:
    """Build the course site in ``out`` from the executed report ``report_dir`` (``dbmkit report`` wrote it).

    ``glossary``: the glossary in Markdown (default docs/GLOSSARY.md); ``notebooks_dir``: where the standard
    notebooks are (default the workbook's). ``out`` is replaced when it holds an earlier site; a folder with other
    files is refused (:class:`SiteError`). Returns {"pages": [names], "search_entries": n, "out": Path, "font":
    the Chinese font subset written (None without one)}.
    """
    from .runner import notebooks_dir as standard_notebooks
    from .runner import repo_root
    report, out = Path(report_dir), Path(out)
    st = report / "status.json"
    if not st.exists():
        raise SiteError(f"{report} has no report (status.json missing): run `dbmkit report clients/demo.yaml` first, "
                        "or `make site`, which does both")
    status = json.loads(st.read_text(encoding="utf-8"))
    lang = status.get("language", "en")
    glossary = Path(glossary) if glossary else repo_root() / "docs" / "GLOSSARY.md"
    nb_dir = Path(notebooks_dir) if notebooks_dir else standard_notebooks(lang)
    entries = _entries(report, status)
    _prepare_out(out)
    got = _downloads(out, report, entries, nb_dir)
    kp = report / "kpis.json"
    kpis = {k: v for k, v in json.loads(kp.read_text(encoding="utf-8")).items() if k in KPI_INFO} if kp.exists() else {}
    search: list[dict] = []
    pages = []

    def write(name: str, text: str) -> None:
        (out / name).write_text(_check_pii(name, text), encoding="utf-8")
        pages.append(name)

    for i, e in enumerate(entries):
        side = _sidebar(entries, e["page"], lang)
        if e["has_page"]:
            src = (report / e["page"]).read_text(encoding="utf-8")
            for head, anchor, text in _sections(re.sub(r'<div class="dbm-head">.*?</div>', "", _BANNER.sub("", src),
                                                       count=1, flags=re.S)):
                search.append({"t": e["title"], "h": head or e["title"],
                               "u": e["page"] + (f"#{anchor}" if anchor else ""), "x": text[:4000], "k": "chapter"})
            write(e["page"], _chapter_page(src, side, _pager(entries, i)))
        else:
            body = _notrun_body(e, got.get(e["file"], (None, None))[0], lang)
            search.append({"t": e["title"], "h": e["title"], "u": e["page"], "x": visible_text(body), "k": "chapter"})
            write(e["page"], _page(e["title"], body + _pager(entries, i), side, lang))
    gloss_body, gloss_entries = glossary_body(glossary, lang)      # a Chinese site: docs/GLOSSARY_zh.md
    if not glossary.exists():
        gloss_body, gloss_entries = site_text("no_glossary", lang), []
    search += gloss_entries
    write("glossary.html", _page(site_text("glossary", lang), gloss_body, _sidebar(entries, "glossary.html", lang),
                                 lang))
    write("downloads.html", _page(site_text("notebooks", lang), _downloads_page(entries, got, lang),
                                  _sidebar(entries, "downloads.html", lang), lang))
    launch = LAUNCH_BODY["zh" if lang == "zh" else "en"]
    write("launch.html", _page(site_text("launch", lang), launch, _sidebar(entries, "launch.html", lang), lang))
    for head, anchor, text in _sections(launch):
        search.append({"t": site_text("launch", lang), "h": head or site_text("launch_short", lang), "k": "page",
                       "u": "launch.html" + (f"#{anchor}" if anchor else ""), "x": text})
    write("index.html", _page(site_text("site_title", lang), _home(status, entries, kpis),
                              _sidebar(entries, "index.html", lang), lang))
    search_body = (f'<p><input id="q" type="search" placeholder="{esc(site_text("search_placeholder", lang))}" '
                   f'aria-label="{esc(site_text("search_label", lang))}" autofocus></p><p id="found" class="small">'
                   '</p><ul id="results"></ul>')
    write("search.html", _page(site_text("search", lang), search_body, _sidebar(entries, "search.html", lang), lang,
                               scripts='<script src="search_index.js"></script><script src="search.js"></script>'))
    for e in search:
        if find_pii(e["h"] + "\n" + e["x"]):
            raise SiteError(f"{e['u']}: a raw contact detail would go into the search index; the site is not complete "
                            "— mask it in the chapter (dbmkit.privacy.mask_pii) and run the report again")
    (out / "search_index.js").write_text("window.SEARCH = " + json.dumps(search, ensure_ascii=False) + ";\n",
                                         encoding="utf-8")
    (out / "search.js").write_text(SEARCH_JS, encoding="utf-8")
    font = _cjk_font(out, "".join((out / n).read_text(encoding="utf-8") for n in pages) + SEARCH_JS + json.dumps(
        search, ensure_ascii=False))
    return {"pages": pages, "search_entries": len(search), "out": out, "font": font, "language": lang}


def _cjk_font(out: Path, text: str) -> Path | None:
    """``assets/cjk.otf``: the glyphs of the Chinese characters on the site, cut from the Noto Sans CJK font that
    comes with mplfonts (about 150 KB instead of 16 MB). None when the font or fontTools is missing: the pages then
    use the reader's own Chinese font."""
    from importlib.resources import files
    try:
        from fontTools import subset
        src = files("mplfonts") / "fonts" / "NotoSansCJKsc-Regular.otf"
        if not src.is_file():
            return None
    except (ImportError, ModuleNotFoundError):
        return None
    chars = "".join(sorted({c for c in text if ord(c) >= 0x2E80}))
    if not chars:
        return None
    opts = subset.Options()
    opts.layout_features, opts.name_IDs, opts.notdef_outline = ["*"], ["*"], True
    font = subset.load_font(str(src), opts)
    sub = subset.Subsetter(opts)
    sub.populate(text=chars)
    sub.subset(font)
    (out / "assets").mkdir(exist_ok=True)
    subset.save_font(font, str(out / "assets" / "cjk.otf"), opts)
    return out / "assets" / "cjk.otf"


def _sections(page_html: str) -> list[tuple[str, str, str]]:
    p = _Sections()
    p.feed(page_html)
    return [(h, a, t) for h, a, t in p.result() if t or h]
