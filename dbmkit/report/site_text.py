"""The words of the course site (课程网站的文字) in English and Chinese: the sidebar, the page titles, the home,
downloads, launch and "not run" pages. The site follows its report's language (``status.json``): an English site
keeps its Chinese glosses ("Glossary · 术语表"), a Chinese site is Chinese throughout (:func:`site_text`).

>>> site_text("glossary", "en"), site_text("glossary", "zh")
('Glossary · 术语表', '术语表')
"""
from __future__ import annotations

__all__ = ["SITE_TEXT", "site_text", "LAUNCH_BODY", "home_body", "downloads_body", "notrun_body"]

SITE_TEXT: dict[str, tuple[str, str]] = {
    "brand": ("Database marketing<span>数据库营销 · dbmkit</span>", "数据库营销<span>dbmkit 课程网站</span>"),
    "search_box": ("Search · 搜索", "搜索术语或章节"),
    "search_label": ("Search", "搜索"),
    "home": ("Home · 首页", "首页"),
    "reference": ("Reference · 参考", "参考资料"),
    "glossary": ("Glossary · 术语表", "术语表"),
    "notebooks": ("Notebooks · 下载笔记本", "下载笔记本"),
    "launch": ("Run it locally · 本地运行", "本地运行"),
    "launch_short": ("Run it locally", "本地运行"),
    "search": ("Search · 搜索", "搜索"),
    "site_title": ("Database marketing · 数据库营销", "数据库营销课程"),
    "footer": ("dbmkit · course site", "dbmkit · 课程网站"),
    "search_placeholder": ("RFM, 客户终身价值, control group …", "RFM、客户终身价值、对照组 …"),
    "no_glossary": ("<p>No glossary found.</p>", "<p>没有找到术语表。</p>"),
    "state_ok": ("demo outputs", "含演示输出"),
    "state_skipped": ("skipped on the demo (inputs missing)", "演示客户缺少数据，已跳过"),
    "state_failed": ("failed on the demo", "在演示客户上运行失败"),
    "state_not_run": ("notebook only", "仅有笔记本"),
    "executed": ("executed", "已运行版"),
    "download_notebook": ("Download the notebook", "下载笔记本"),
    "stop": (".", "。"),
}


def site_text(key: str, lang: str = "en") -> str:
    """The site's text ``key`` in ``lang``."""
    en, zh = SITE_TEXT[key]
    return zh if lang == "zh" else en


def home_body(lang: str, client: str, as_of: str, cards: str, rows: str) -> str:
    """The home page: what the workbook is, the demo client's key numbers, the chapters and how to use the site
    (``client`` and ``as_of`` already escaped; ``cards`` and ``rows`` HTML)."""
    if lang == "zh":
        return f"""<p>一本用 Jupyter 笔记本写成的数据库营销实践教程：用企业的各类文件建立客户数据库，
加以分析（RFM、客户价值、客户终身价值、细分、购物篮、预测模型），策划一次营销活动，并用对照组评估效果。下面每一章都展示了它在演示客户
<b>{client}</b> 上的输出（分析日期{as_of}）；代码在笔记本里，可以<a href="downloads.html">下载</a>，
并<a href="launch.html">在自己的 JupyterLab 中运行</a>。每个术语只在<a href="glossary.html">术语表</a>中定义一次；
<a href="search.html">搜索</a>可以在所有章节中查找术语。</p>
<h2>演示客户的关键指标</h2><div class="cards">{cards or '–'}</div>
<h2>章节</h2><table class="chapters"><tr><th>#</th><th>章节</th><th>本站内容</th></tr>
{rows}</table>
<h2>如何使用本站</h2><ul><li><b>学生</b>：先在这里阅读一章，再在 JupyterLab 中打开它的笔记本，完成“动手练习”
（练习在笔记本中，不在这些页面上）。</li>
<li><b>教师</b>：修改章节后用 <code>make site</code> 重新生成本站（见<a href="launch.html">本地运行</a>）。</li></ul>"""
    return f"""<p>A workbook of database marketing (数据库营销) in Jupyter notebooks: build a customer database from a
company's files, analyse it (RFM, value, lifetime value, segments, baskets, predictive models), plan a campaign and
evaluate it with a control group. Every chapter below shows its outputs on the demo client <b>{client}</b> (analysis
date {as_of}); the code is in the notebooks, which you can
<a href="downloads.html">download</a> and <a href="launch.html">run in your own JupyterLab</a>. Terms are defined once,
in the <a href="glossary.html">glossary</a>; <a href="search.html">search</a> finds a term in every chapter.</p>
<h2>Key numbers of the demo client</h2><div class="cards">{cards or '–'}</div>
<h2>Chapters · 章节</h2><table class="chapters"><tr><th>#</th><th>Chapter</th><th>On this site</th></tr>
{rows}</table>
<h2>How to use this site</h2><ul><li><b>Students</b>: read a chapter here, then open its notebook in JupyterLab
and do the "Your turn" exercises (they are in the notebooks, not on these pages).</li>
<li><b>Instructors</b>: rebuild the site after changing a chapter with <code>make site</code> (see
<a href="launch.html">Run it locally</a>).</li></ul>"""


def downloads_body(lang: str, rows: str) -> str:
    """The downloads page around its table rows (HTML)."""
    if lang == "zh":
        return f"""<p>这里有两种笔记本：学生拿到的版本（没有输出，请自己运行），以及在演示客户上运行过的版本（带输出，
联系方式已隐藏）。请把笔记本放进教程的 <code>notebooks_zh/</code> 文件夹：每个笔记本从参数单元格
（<code>config = "../clients/demo_zh.yaml"</code>）读取客户，并需要教程自带的 <code>dbmkit</code> 包
（见<a href="launch.html">本地运行</a>）。</p>
<p><a href="downloads/dbmkit-notebooks.zip" download>全部笔记本（<code>zip</code>）</a> ·
<a href="downloads/kpis.json" download>演示客户的关键指标（<code>kpis.json</code>）</a></p>
<table><tr><th>#</th><th>章节</th><th>笔记本</th><th>演示客户上的运行结果</th></tr>{rows}</table>"""
    return f"""<p>The notebooks as you get them (no outputs: run them yourself) and as they ran on the demo client
(with outputs; contact details masked). Put the notebooks into the workbook's <code>notebooks/</code> folder: each
reads its client from the parameters cell (<code>config = "../clients/demo.yaml"</code>) and needs the
<code>dbmkit</code> package of the workbook (see <a href="launch.html">Run it locally</a>).</p>
<p><a href="downloads/dbmkit-notebooks.zip" download>All notebooks (zip)</a> ·
<a href="downloads/kpis.json" download>Key numbers of the demo client (kpis.json)</a></p>
<table><tr><th>#</th><th>Chapter</th><th>Notebook</th><th>On the demo client</th></tr>{rows}</table>"""


LAUNCH_BODY = {
    "en": """<p>The pages of this site show each chapter's results; to change a setting, rerun a cell or do the
exercises, open the notebooks in JupyterLab on your own computer.
在本地 JupyterLab 中打开笔记本即可运行代码、完成练习。</p>
<h2 id="lab">Open the workbook in JupyterLab</h2>
<p>In the workbook's folder (Python 3.11 or later):</p>
<pre><code>make lab                                # sets up .venv with JupyterLab, opens notebooks/00_start_here.ipynb
make lab CLIENT=clients/acme.yaml       # every chapter on another client's data</code></pre>
<p>Without <code>make</code>: <code>python -m venv .venv</code>, <code>.venv/bin/pip install -e ".[notebooks]"</code>,
then <code>.venv/bin/dbmkit lab clients/demo.yaml</code> (add <code>--no-browser --port 8890</code> on a server;
JupyterLab prints the address to open). Start with chapter 00 and follow the links at the top of each notebook.</p>
<h2 id="downloaded">A downloaded notebook</h2>
<p>Save it into the workbook's <code>notebooks/</code> folder (replacing the one there, or under a new name) and
open it in the JupyterLab above: it needs the <code>dbmkit</code> package and a client config, which the workbook
folder has.</p>
<h2 id="site">This site</h2>
<p>The site needs no server and no internet: open <code>site/index.html</code> in a browser (from <code>file://</code>),
or serve the folder with <code>python -m http.server --directory site 8000</code> and open
<code>http://localhost:8000</code>. Instructors rebuild it with <code>make site</code> (the demo report, then the site)
or, from a report folder, <code>dbmkit site reports/demo --out site</code>.</p>""",
    "zh": """<p>本站页面展示每一章的结果；若要修改设置、重新运行单元格或完成练习，请在自己电脑上的
JupyterLab 中打开笔记本。</p>
<h2 id="lab">在 JupyterLab 中打开教程</h2>
<p>在教程文件夹中（需要 Python 3.11 或更高版本）：</p>
<pre><code>make lab-zh                             # 建立带 JupyterLab 的 .venv，打开中文版 notebooks_zh/
make lab CLIENT=clients/demo_zh.yaml    # 所有章节都使用中文演示客户的数据</code></pre>
<p>不用 <code>make</code> 时：先运行 <code>python -m venv .venv</code> 和
<code>.venv/bin/pip install -e ".[notebooks]"</code>，再运行 <code>.venv/bin/dbmkit lab clients/demo_zh.yaml</code>
（在服务器上加 <code>--no-browser --port 8890</code>；JupyterLab 会打印要打开的地址）。从第 00 章开始，
按每个笔记本顶部的链接依次阅读。</p>
<h2 id="downloaded">下载的笔记本</h2>
<p>把它保存到教程的 <code>notebooks_zh/</code> 文件夹（替换原有的同名文件，或另起一个名字），再在上面的
JupyterLab 中打开：它需要 <code>dbmkit</code> 包和一份客户配置，教程文件夹里都有。</p>
<h2 id="site">关于本站</h2>
<p>本站不需要服务器，也不需要联网：在浏览器中直接打开 <code>site/index.html</code>（<code>file://</code>），
或用 <code>python -m http.server --directory site 8000</code> 提供该文件夹，再打开
<code>http://localhost:8000</code>。教师可用 <code>make site</code> 重新生成（先生成演示报告，再生成网站），
或从报告文件夹运行 <code>dbmkit site reports/demo_zh --out site</code>。</p>"""}


def notrun_body(lang: str, case_study: bool, title_zh: str, link: str) -> str:
    """The page of a chapter the report did not run (``title_zh`` escaped, ``link`` the download link's HTML or
    "")."""
    if lang == "zh":
        why = ("本案例研究使用它自己的公开数据，而不是演示客户：请用 <code>dbmkit report CONFIG --cases</code> 运行，"
               "或直接打开笔记本。" if case_study else "生成本站的报告中没有运行这一章。")
        return f"<p>{why}{link} 参见<a href=\"launch.html\">本地运行</a>。</p>"
    why = ("This case study runs on public data of its own, not on the demo client: run it with "
           "<code>dbmkit report CONFIG --cases</code> or open the notebook." if case_study else
           "This chapter was not part of the report the site was built from.")
    zh = f"<p>{title_zh}</p>" if title_zh else ""
    return f"{zh}<p>{why}{link} See <a href=\"launch.html\">Run it locally</a>.</p>"
