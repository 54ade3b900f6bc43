"""The HTML report of a Chinese-language client: every page loads in headless Chromium with all its images
decoded, no page shows a raw e-mail address or phone number, headings and labels are Chinese, and matplotlib
draws Chinese glyphs with the bundled CJK font.

The report is the session's shared Chinese report (``zh_shape_report`` in tests/conftest.py: every chapter and the
case studies on 500 people with 8 past campaigns), which the Chinese-edition and client-shape tests read too."""
from __future__ import annotations

import html as _html
import json
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest

from dbmkit import privacy

ROOT = Path(__file__).resolve().parents[1]
# the tests share one expensive session fixture: keep them on one xdist worker (make test uses --dist loadgroup)
pytestmark = pytest.mark.xdist_group("zh_report")
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def zh_report(zh_shape_report):
    """The shared Chinese report: every chapter (phase 1 shows customer records: the PII scan matters there; the
    analysis chapters draw charts) and the case studies."""
    assert zh_shape_report.result is not None, zh_shape_report.output
    return zh_shape_report.result, zh_shape_report.out


def _pages(out: Path) -> list[Path]:
    return sorted(out.glob("*.html"))


def visible_text(page_html: str) -> str:
    """What a reader can see: no scripts, styles, embedded image data or tags."""
    t = re.sub(r"<(script|style)\b.*?</\1>", " ", page_html, flags=re.S | re.I)
    t = re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+", " ", t)
    t = re.sub(r"<[^>]+>", " ", t)
    return _html.unescape(t)


def test_the_report_ran(zh_report):
    res, out = zh_report
    ran = [r for r in res.runs if r.status == "ok"]
    failed = [r.message for r in res.runs if r.status == "failed"]
    assert not failed, failed
    assert any(r.file == "00_start_here" for r in ran)
    assert (out / "index.html").exists() and (out / "kpis.json").exists()
    status = json.loads((out / "status.json").read_text(encoding="utf-8"))
    assert status["ok"] and len(status["chapters"]) == len(res.runs)


def test_no_raw_emails_or_phone_numbers_on_any_page(zh_report):
    res, out = zh_report
    pages = _pages(out)
    assert len(pages) >= 2
    leaks = {p.name: privacy.find_pii(visible_text(p.read_text(encoding="utf-8"))) for p in pages}
    leaks = {k: v[:5] for k, v in leaks.items() if v}
    assert not leaks, f"raw contact details in the report: {leaks}"
    masked = {r.file: r.masked for r in res.runs if r.masked}
    if masked:      # the exporter masked them; the chapters that printed them should not have
        warnings.warn(f"chapters printed raw contact details (masked in the report): {masked}")


def test_pii_patterns_and_masking():
    text = ("Kontakt: ann.lee@mail.com, +86 138 0013 8000, 13912345678, (212) 555-0342, +12125550342; "
            "not contacts: 2024-01-05, 1,234.50, order 100023, ¥12,345,678, 0.0123; "
            "documentation values: demo@example.com, (212) 555-0142, +1 212-555-0199")
    assert privacy.find_pii(text) == ["ann.lee@mail.com", "+86 138 0013 8000", "13912345678", "(212) 555-0342",
                                     "+12125550342"]
    masked, n = privacy.mask_pii(text)
    assert n == 5 and privacy.find_pii(masked) == [] and "2024-01-05" in masked and "100023" in masked
    assert "demo@example.com" in masked and "(212) 555-0142" in masked     # reserved for examples: kept


def test_headings_and_labels_are_chinese(zh_report):
    res, out = zh_report
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in index
    for word in ("关键指标", "章节", "数据概况", "分析日期", "华东零售", "从这里开始"):
        assert word in index, word
    page = (out / "00_start_here.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "返回报告目录" in page
    assert "<title>00 · 从这里开始" in page
    # the Chinese edition's own heading (notebooks_zh/), not the English one with a gloss
    assert re.search(r"<h2[^>]*>大众营销与数据库营销[<¶]", page) and "Mass marketing vs database marketing" not in page


def test_matplotlib_draws_chinese_glyphs():
    import matplotlib
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    from dbmkit import plots
    from dbmkit.i18n import set_language, t
    name = plots._cjk_font()
    assert name, "no CJK font registered (mplfonts missing?)"
    path = font_manager.findfont(font_manager.FontProperties(family=name), fallback_to_default=False)
    font = FT2Font(path)
    assert all(font.get_char_index(ord(ch)) for ch in "收入客户月份营销")
    set_language("zh")
    try:
        plots.setup_style("zh")
        fig, ax = plots.new_figure()
        ax.plot([1, 2, 3], [2, 1, 3])
        ax.set_title(t("revenue") + " · " + t("month"))
        ax.set_xlabel(t("customers"))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.canvas.draw()
        missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
        assert not missing, missing
        assert ax.title.get_text() + ax._left_title.get_text() == "收入 · 月份"
    finally:
        set_language("en")
        plots.setup_style("en")
        matplotlib.pyplot.close("all")


_CHECK_SCRIPT = """<script>
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var bad = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); })
                .map(function (i) { return (i.getAttribute('src') || '').slice(0, 40); });
  document.documentElement.setAttribute('data-check', JSON.stringify(
      {images: imgs.length, broken: bad, title: document.title,
       body: document.body ? document.body.innerText.length : 0}));
});
</script>"""


def _open_in_chromium(page: Path, workdir: Path) -> dict:
    """Load a copy of the page (with a checking script) in headless Chromium; return what the script saw."""
    copy = workdir / page.name
    text = page.read_text(encoding="utf-8")
    copy.write_text(text.replace("</body>", _CHECK_SCRIPT + "</body>") if "</body>" in text else text + _CHECK_SCRIPT,
                    encoding="utf-8")
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
           f"--user-data-dir={workdir / 'profile'}", "--virtual-time-budget=15000", "--dump-dom", copy.as_uri()]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    m = re.search(r'data-check="([^"]*)"', r.stdout)
    assert m, f"{page.name}: the page did not finish loading in Chromium (exit {r.returncode}): {r.stderr[-500:]}"
    return json.loads(_html.unescape(m.group(1)))


@pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not installed (.ci/run installs it with apt-get; "
                                                    "it could not be installed on this machine)")
def test_every_page_loads_in_chromium_with_all_images(zh_report, tmp_path):
    res, out = zh_report
    pages = _pages(out)
    seen_images = 0
    for page in pages:
        got = _open_in_chromium(page, tmp_path)
        assert got["body"] > 50, f"{page.name} is empty in the browser"
        assert got["broken"] == [], f"{page.name}: images not decoded: {got['broken']}"
        n_img = page.read_text(encoding="utf-8").count("<img")
        assert got["images"] == n_img
        seen_images += got["images"]
    assert seen_images >= 1          # chapter 00 draws revenue over time at least
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)


# Chinese text must be drawn with real glyphs, not the "missing glyph" box (tofu): in a browser without a Chinese
# font every Chinese character is drawn as the same .notdef box — the box U+FFFF (a non-character) also gets. The
# script draws the page's first Chinese characters in the font of the element that shows them and compares bitmaps.
_GLYPH_SCRIPT = """<script>
window.addEventListener('load', function () {
  (document.fonts ? document.fonts.ready : Promise.resolve()).then(function () {
    var el = Array.prototype.slice.call(document.querySelectorAll('h1,h2,h3,p,li,td,a,div'))
                  .filter(function (e) { return /[\\u4e00-\\u9fff]/.test(e.textContent); })
                  .filter(function (e) { return e.children.length === 0; })[0] || document.body;
    var family = getComputedStyle(el).fontFamily, chars = [];
    Array.from(document.body.innerText).forEach(function (c) {
      if (/[\\u4e00-\\u9fff]/.test(c) && chars.indexOf(c) < 0 && chars.length < 8) { chars.push(c); } });
    function draw(s) {
      var c = document.createElement('canvas'); c.width = 60; c.height = 60;
      var x = c.getContext('2d'); x.font = '40px ' + family; x.textBaseline = 'top'; x.fillStyle = '#000';
      x.fillText(s, 4, 4); return c.toDataURL(); }
    var box = draw('\\uffff'), seen = chars.map(draw);
    document.documentElement.setAttribute('data-glyphs', JSON.stringify({
      chars: chars.join(''), family: family, distinct: new Set(seen).size,
      tofu: seen.filter(function (s) { return s === box; }).length}));
  });
});
</script>"""


def _glyphs_in_chromium(page: Path, workdir: Path) -> dict:
    copy = page.parent / f"_glyphs_{page.name}"          # beside the page: its fonts and images load
    text = page.read_text(encoding="utf-8")
    copy.write_text(text.replace("</body>", _GLYPH_SCRIPT + "</body>", 1), encoding="utf-8")
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
           f"--user-data-dir={workdir / 'profile'}", "--virtual-time-budget=15000", "--dump-dom", copy.as_uri()]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    finally:
        copy.unlink()
    m = re.search(r'data-glyphs="([^"]*)"', r.stdout)
    assert m, f"{page.name}: the glyph check did not run in Chromium (exit {r.returncode}): {r.stderr[-500:]}"
    return json.loads(_html.unescape(m.group(1)))


def _assert_real_glyphs(got: dict, name: str) -> None:
    assert len(got["chars"]) >= 6, f"{name}: too little Chinese to check: {got}"
    assert "Noto Sans CJK SC" in got["family"], f"{name}: the page names no CJK font: {got['family']}"
    assert got["tofu"] == 0 and got["distinct"] == len(got["chars"]), (
        f"{name}: Chinese is drawn as missing-glyph boxes ({got['tofu']} of {len(got['chars'])} characters "
        f"{got['chars']!r}) — no CJK font in the browser (.ci/run installs fonts-noto-cjk): {got}")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not installed (.ci/run installs it with apt-get; "
                                                    "it could not be installed on this machine)")
def test_chinese_is_rendered_with_real_glyphs(zh_report, tmp_path):
    _, out = zh_report
    for name in ("index.html", "00_start_here.html"):
        _assert_real_glyphs(_glyphs_in_chromium(out / name, tmp_path), name)
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)


def test_the_course_site_of_a_chinese_report_is_chinese(zh_report, tmp_path):
    import importlib.util

    from dbmkit.report.site import build_site
    _, out = zh_report
    info = build_site(out, tmp_path / "site")
    site = tmp_path / "site"
    assert info["language"] == "zh"
    spec = importlib.util.spec_from_file_location("zh_share", ROOT / "tools" / "zh_share.py")
    zh_share = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(zh_share)
    home = (site / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in home and "<title>数据库营销课程</title>" in home
    nav = re.search(r'<nav class="site-nav".*?</nav>', home, re.S).group(0)
    for label in ("首页", "术语表", "下载笔记本", "本地运行", 'placeholder="搜索术语或章节"', "数据库建设", "参考资料"):
        assert label in nav, label
    assert not re.search(r"Home|Glossary|Notebooks|Run it locally|Reference|Build the customer database", nav), nav
    for page in ("index.html", "launch.html", "downloads.html", "search.html", "23_analyze_clv.html"):
        share, _, _ = zh_share.share((site / page).read_text(encoding="utf-8"))
        assert share >= 0.9, (page, share)
    assert "notebooks_zh" in (site / "downloads.html").read_text(encoding="utf-8")
    if CHROMIUM.exists():
        _assert_real_glyphs(_glyphs_in_chromium(site / "index.html", tmp_path), "site index.html")
        shutil.rmtree(tmp_path / "profile", ignore_errors=True)


def test_a_chinese_client_runs_the_chinese_edition(zh_report):
    res, out = zh_report
    status = json.loads((out / "status.json").read_text(encoding="utf-8"))
    standard = [c for c in status["chapters"] if c["kind"] == "standard" and c["status"] == "ok"]
    assert standard and all(Path(c["notebook"]).parent.name == "notebooks_zh" for c in standard), standard
    log = (out / "report.log").read_text(encoding="utf-8")
    assert "正在准备数据库" in log and "报告已写好" in log and "preparing the database" not in log
