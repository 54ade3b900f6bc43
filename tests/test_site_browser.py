"""The course site (`make site`, `dbmkit site`): built from a small report of three chapters, every page loads in
headless Chromium from file:// with no script error and every image decoded, the search finds a term and links to
its chapter, the glossary and the downloads are there, nothing is fetched from the internet, and no page, search
entry or downloaded notebook shows a raw e-mail address or phone number."""
from __future__ import annotations

import html as _html
import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import nbformat
import pytest

from dbmkit import chapters, privacy, report
from dbmkit.report.site import SiteError, build_site, visible_text

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.xdist_group("site")
CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not installed (.ci/run installs it "
                                                                  "with apt-get; it could not be installed here)")
# the start, the chapter that cleans and merges customer records (contact details: the PII checks matter there) and
# RFM (charts, and the term the search test looks for)
PHASES = ["00", "11", "21"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("site")
    rep = d / "report"
    res = report.run_report(ROOT / "tests" / "small_client.yaml", out=rep, workdir=d / "work", phases=PHASES,
                            progress=False)
    assert [r.status for r in res.runs] == ["ok"] * len(PHASES), [r.message for r in res.runs]
    info = build_site(rep, d / "site")
    return rep, d / "site", info


def _pages(site: Path) -> list[Path]:
    return sorted(site.glob("*.html"))


def _search_index(site: Path) -> list[dict]:
    text = (site / "search_index.js").read_text(encoding="utf-8")
    assert text.startswith("window.SEARCH = ") and text.rstrip().endswith(";")
    return json.loads(text[len("window.SEARCH = "):].rstrip().rstrip(";"))


def test_the_site_has_every_chapter_the_glossary_and_the_search(built):
    rep, site, info = built
    names = {p.name for p in _pages(site)}
    assert {"index.html", "glossary.html", "search.html", "downloads.html", "launch.html"} <= names
    assert {f"{c.file}.html" for c in chapters.CHAPTERS} <= names          # the ones not run say how to run them
    home = (site / "index.html").read_text(encoding="utf-8")
    assert home.index("00_start_here.html") < home.index("21_analyze_rfm.html") < home.index("41_evaluate_learn.html")
    rfm = (site / "21_analyze_rfm.html").read_text(encoding="utf-8")
    assert 'class="site-nav"' in rfm and 'href="22_analyze_value.html"' in rfm      # sidebar and next chapter
    assert "Back to the report index" not in rfm                               # the report's banner is replaced
    assert "<img" in rfm                                                       # the demo outputs (charts) are there
    gloss = (site / "glossary.html").read_text(encoding="utf-8")
    assert 'id="g-champions"' in gloss and "冠军客户" in gloss
    assert re.search(r'<a href="21_analyze_rfm.html">21</a>', gloss)          # the chapter column links chapters
    assert info["font"] == site / "assets" / "cjk.otf" and 20_000 < info["font"].stat().st_size < 2_000_000
    entries = _search_index(site)
    assert info["search_entries"] == len(entries) > 50
    assert any(e["u"].startswith("glossary.html#g-") for e in entries)
    assert any(e["u"].startswith("21_analyze_rfm.html#") for e in entries)


def test_links_point_to_files_of_the_site(built):
    _, site, _ = built
    seen_downloads = 0
    for page in _pages(site):
        text = page.read_text(encoding="utf-8")
        for href in re.findall(r'(?:href|src)="([^"#?]+)[^"]*"', text):
            if re.match(r"^(https?:|mailto:|data:|javascript:)", href):
                continue
            assert (site / _html.unescape(href)).exists(), f"{page.name} links to a missing file {href}"
            seen_downloads += href.startswith("downloads/")
    assert seen_downloads >= len(chapters.CHAPTERS)
    for f in chapters.CHAPTERS:
        nb = nbformat.read(str(site / "downloads" / "notebooks" / f"{f.file}.ipynb"), as_version=4)
        assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), f"{f.file}: outputs left"
    for f in PHASES:
        name = next(c.file for c in chapters.CHAPTERS if c.number == f)
        nb = nbformat.read(str(site / "downloads" / "executed" / f"{name}.ipynb"), as_version=4)
        assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
        assert not any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)


def test_nothing_is_loaded_from_the_internet(built):
    _, site, _ = built
    for page in _pages(site):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r'<(script|img|link|iframe)\b[^>]*\b(src|href)="(https?:)?//', text), page.name


def test_no_raw_contact_details_on_pages_search_or_notebooks(built):
    _, site, _ = built
    leaks = {p.name: privacy.find_pii(visible_text(p.read_text(encoding="utf-8"))) for p in _pages(site)}
    leaks["search_index.js"] = [x for e in _search_index(site) for x in privacy.find_pii(e["h"] + "\n" + e["x"])]
    for nb_path in (site / "downloads" / "executed").glob("*.ipynb"):
        nb = nbformat.read(str(nb_path), as_version=4)
        text = [c.source for c in nb.cells] + [o.get("text", "") + "".join(
            v if isinstance(v, str) else "".join(v) for k, v in o.get("data", {}).items() if k.startswith("text/"))
            for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        leaks[nb_path.name] = privacy.find_pii("\n".join(text))
    leaks = {k: v[:5] for k, v in leaks.items() if v}
    assert not leaks, f"raw contact details on the site: {leaks}"


def test_the_site_masks_notebooks_and_refuses_a_page_with_a_contact(built, tmp_path):
    rep, _, _ = built
    copy = tmp_path / "report"
    shutil.copytree(rep, copy)
    nb_path = copy / "notebooks" / "21_analyze_rfm.ipynb"
    nb = nbformat.read(str(nb_path), as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.outputs)
    cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text="write to ann.lee@mail.com\n"))
    nbformat.write(nb, str(nb_path))
    build_site(copy, tmp_path / "site")
    published = (tmp_path / "site" / "downloads" / "executed" / "21_analyze_rfm.ipynb").read_text(encoding="utf-8")
    assert "ann.lee@mail.com" not in published and "write to " in published
    page = copy / "21_analyze_rfm.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</main>", "<p>call +86 138 0013 8000</p></main>"),
                    encoding="utf-8")
    with pytest.raises(SiteError, match=r"21_analyze_rfm.html: 1 raw contact detail"):
        build_site(copy, tmp_path / "site")
    with pytest.raises(SiteError, match="not a dbmkit site"):
        build_site(copy, copy)                                # never replaces a folder that is not a site
    with pytest.raises(SiteError, match="status.json missing"):
        build_site(tmp_path / "nothing", tmp_path / "site2")


# ------------------------------------------------------------------------------------------------ in the browser
_CHECK_HEAD = """<script>
window.__errors = [];
window.addEventListener('error', function (e) {
  var t = e.target || {};
  window.__errors.push(t.src || t.href ? 'failed to load ' + (t.src || t.href) : String(e.message));
}, true);
window.addEventListener('unhandledrejection', function (e) { window.__errors.push('rejection ' + e.reason); });
var __ce = console.error; console.error = function () {
  window.__errors.push('console.error ' + Array.prototype.join.call(arguments, ' ')); __ce.apply(console, arguments); };
window.addEventListener('load', function () {
  setTimeout(function () {
    var imgs = Array.prototype.slice.call(document.images);
    var bad = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); })
                  .map(function (i) { return (i.getAttribute('src') || '').slice(0, 40); });
    var fonts = [];
    if (document.fonts) { document.fonts.forEach(function (f) {
      if (f.family.indexOf('dbm-cjk') >= 0) { fonts.push(f.status); } }); }
    var hits = Array.prototype.slice.call(document.querySelectorAll('#results a'))
                    .map(function (a) { return a.getAttribute('href'); });
    document.documentElement.setAttribute('data-check', JSON.stringify(
        {images: imgs.length, broken: bad, title: document.title, errors: window.__errors, results: hits,
         search: typeof window.SEARCH === 'undefined' ? -1 : window.SEARCH.length,
         nav: document.querySelectorAll('.site-nav a').length,
         fonts: fonts,
         body: document.body ? document.body.innerText.length : 0}));
  }, 50);
});
</script>"""


def _open(site: Path, page: str, query: str = "", profile: Path | None = None) -> dict:
    """Load a copy of ``page`` (with a checking script first in its head) from file:// in headless Chromium."""
    src = site / page
    copy = site / f"_check_{page}"
    text = src.read_text(encoding="utf-8")
    copy.write_text(re.sub(r"(<head[^>]*>)", lambda m: m.group(1) + _CHECK_HEAD, text, count=1), encoding="utf-8")
    try:
        cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
               f"--user-data-dir={profile or site.parent / 'profile'}", "--virtual-time-budget=10000",
               "--dump-dom", copy.as_uri() + query]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    finally:
        copy.unlink()
    m = re.search(r'data-check="([^"]*)"', r.stdout)
    assert m, f"{page}: the page did not finish loading in Chromium (exit {r.returncode}): {r.stderr[-500:]}"
    return json.loads(_html.unescape(m.group(1)))


@needs_chromium
def test_every_page_loads_from_file_with_all_images_and_no_errors(built):
    _, site, _ = built
    images = 0
    for page in _pages(site):
        got = _open(site, page.name)
        assert got["errors"] == [], f"{page.name}: {got['errors']}"
        assert got["body"] > 200 and got["nav"] > len(chapters.CHAPTERS), f"{page.name}: empty or no navigation"
        assert got["broken"] == [], f"{page.name}: images not decoded: {got['broken']}"
        assert got["fonts"] == ["loaded"], f"{page.name}: the bundled Chinese font did not load: {got['fonts']}"
        assert got["images"] == page.read_text(encoding="utf-8").count("<img"), page.name
        images += got["images"]
    assert images >= 3                     # the three chapters draw charts


@needs_chromium
def test_search_finds_terms_and_links_to_their_chapter(built):
    _, site, _ = built
    got = _open(site, "search.html", "?q=RFM")
    assert got["errors"] == [] and got["search"] > 50, got
    assert got["results"], "no result for RFM"
    assert got["results"][0].startswith("21_analyze_rfm.html"), got["results"][:5]
    got = _open(site, "search.html", "?q=" + quote("冠军客户"))       # a Chinese term of the glossary
    assert any(h == "glossary.html#g-champions" for h in got["results"]), got["results"][:5]
    got = _open(site, "search.html", "?q=zzqx-no-such-word")
    assert got["results"] == []
