"""How Chinese a report page is: Chinese characters against English words in the prose of each page.

    python tools/zh_share.py reports/demo_zh            one line per page, worst first, and the pages under 90 %
    python tools/zh_share.py reports/demo_zh --words    also the English words most often left on each page

Prose is the page's visible text apart from code (``<pre>``, ``<code>``), scripts, styles, the navigation bar and
the page's provenance footer. Proper names and codes do not count as English: words written in capitals (RFM, CLV,
ROI, SMS), code (a token with an underscore, a slash, a brace, an inner dot or a digit: ``order_items``,
``./crm_orders.csv``, ``dbm.rfm``, ``utf-8``, R5F5M5, 11.11) and the names in :data:`NAMES` (library, method and data
names).
One English word is counted as :data:`WORD_CHARS` Chinese characters — about what a translation from English to
Chinese makes of it — so ``share = chinese / (chinese + WORD_CHARS · english_words)``: a page of only Chinese
prose is 1.0, of only English 0.
"""
from __future__ import annotations

import re
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

WORD_CHARS = 1.7
TARGET = 0.90
NAMES = {w.lower() for w in """
dbmkit duckdb pandas numpy scipy sklearn scikit-learn matplotlib seaborn papermill jupyter jupyterlab python sql yaml
json csv xlsx excel parquet html github wechat alipay taobao tmall jd cdnow dunnhumby complete journey northwind
outfitters bg nbd pareto gamma beta geo betageo paretonbd gammagamma mbg holt winters kaplan meier wilson newcombe
fellegi sunter jcpenney gini auc qini apriori fp growth shap logistic ridge lasso k-means kmeans dbscan pca
e-mail email sms app ios android id ids vs ok utc iso cny usd eur gbp yuan rmb
""".split()}

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*[A-Za-z]|[A-Za-z]")
SKIP_TAGS = {"pre", "code", "script", "style", "nav", "footer", "head", "svg", "math"}
SKIP_CLASSES = ("dbm-nav", "dbm-provenance", "nav", "provenance")


class _Prose(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "img", "hr", "meta", "link", "input", "wbr", "col"):
            return
        cls = dict(attrs).get("class", "") or ""
        skip = tag in SKIP_TAGS or any(c in cls.split() for c in SKIP_CLASSES)
        self.stack.append(skip or (bool(self.stack) and self.stack[-1]))

    def handle_endtag(self, tag):
        if tag in ("br", "img", "hr", "meta", "link", "input", "wbr", "col"):
            return
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)


def prose(html: str) -> str:
    p = _Prose()
    p.feed(html)
    return " ".join(p.parts)


FULLWIDTH = re.compile(r"[\u3000-\u303f\uff00-\uffef“”‘’…—]")
CODE_CHARS = re.compile(r"[_/\\{}\[\]=@<>|]|\w\.\w|\d")
EDGE = ".,;:!?()\"'“”‘’（），。：；！？「」《》…"


def english_words(text: str) -> list[str]:
    """The English words of ``text`` that count: not capitals-only codes, not names, and not code — a token
    holding ``_ / \\ { } [ ] = @ < > |``, a digit or an inner dot (``order_items``, ``./crm_orders.csv``,
    ``dbm.rfm``, ``utf-8``, ``{"id": …}``)."""
    out = []
    for chunk in FULLWIDTH.sub(" ", CJK.sub(" ", text)).split():
        if CODE_CHARS.search(chunk.strip(EDGE)):
            continue
        for w in WORD.findall(chunk):
            if w.isupper() or w.lower() in NAMES or len(w) == 1:
                continue
            out.append(w)
    return out


def share(html: str) -> tuple[float, int, int]:
    """(share of Chinese, Chinese characters, English words) of a page's prose."""
    text = prose(html)
    zh = len(CJK.findall(text))
    en = len(english_words(text))
    total = zh + WORD_CHARS * en
    return (zh / total if total else 1.0), zh, en


def report_shares(folder: Path) -> dict[str, tuple[float, int, int]]:
    return {p.name: share(p.read_text(encoding="utf-8")) for p in sorted(Path(folder).glob("*.html"))}


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else Path("reports/demo_zh")
    rows = report_shares(folder)
    for name, (s, zh, en) in sorted(rows.items(), key=lambda kv: kv[1][0]):
        line = f"{s:6.1%}  {zh:6d} 字  {en:5d} English words  {name}"
        if "--words" in argv:
            text = prose((folder / name).read_text(encoding="utf-8"))
            line += "\n        " + ", ".join(f"{w}×{n}" for w, n in Counter(english_words(text)).most_common(25))
        print(line)
    low = [n for n, (s, _, _) in rows.items() if s < TARGET]
    print(f"{len(rows) - len(low)} of {len(rows)} pages at {TARGET:.0%} Chinese or more" +
          (f"; under: {', '.join(low)}" if low else ""))
    return 1 if low else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
