"""How Chinese the ``dbmkit`` command's own lines are for a Chinese client: run the consultant commands on a client
drafted from Chinese files (and the checks that cost little), read what they write (the draft config's comments,
the new chapter's narrative, the batch's index.html and batch.log), run compare, site and init into their errors,
and list every line that still holds English prose.

    python tools/zh_cli_scan.py                 the lines with English words, per command, and each command's share
    python tools/zh_cli_scan.py --all           every line printed
    python tools/zh_cli_scan.py --test          also `dbmkit test` (runs the client's chapters: a minute or more)

Prose is a line without what is not translated on purpose: paths and file names, `code`, 'quoted values',
[columns], canonical names (``order_id``), command lines (``dbmkit check …``), option names (``--force``), the
lists of a file's columns (after 文件中的列： and 未映射的列：) and what
:func:`zh_share.english_words` leaves out (capitals, names, tokens with digits or underscores). The share is
:func:`zh_share.share`'s: Chinese characters against English words × :data:`zh_share.WORD_CHARS`.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import zh_share  # noqa: E402

CODE = re.compile(r"`[^`]*`|'[^']*'|\"[^\"]*\"|\[[^\]]*\]|\S*[/\\]\S*|\S+\.(?:csv|tsv|xlsx|yaml|yml|json|html|ipynb|"
                  r"duckdb|parquet)\b|\b(?:dbmkit|jupyter) \w[\w-]*(?: [^\s，。；：）]+)*|--[\w-]+|\b\w+_\w+\b|"
                  r"\b[A-Z]\w*\b|(?<=文件中的列：).*$|(?<=未映射的列：).*$")


def _names() -> set[str]:
    """The database's table and column names and the values of its coded columns: names, not English."""
    from dbmkit import schema
    out = set(schema.TABLES) | {"sales_lines", "area_demographics"}
    out |= {c.name for cols in schema.TABLES.values() for c in cols}
    out |= {v for vals in schema.ENUMS.values() for v in vals}
    return out


NAMES = _names()
WORD = re.compile(r"[A-Za-z][A-Za-z\-]*")


def prose(line: str, names: set[str] = frozenset()) -> str:
    """A printed line without its paths, code, values, names (the database's and ``names``: a client's) and
    command lines."""
    line = CODE.sub(" ", line)
    return WORD.sub(lambda m: " " if m.group(0) in NAMES or m.group(0) in names else m.group(0), line)


def share(text: str, names: set[str] = frozenset()) -> tuple[float, int, int]:
    """(share of Chinese, Chinese characters, English words) of the prose of ``text`` (printed lines); ``names``:
    names that are not English (the client's)."""
    zh = en = 0
    for line in text.splitlines():
        p = prose(line, names)
        zh += len(zh_share.CJK.findall(p))
        en += len(zh_share.english_words(p))
    total = zh + zh_share.WORD_CHARS * en
    return (zh / total if total else 1.0), zh, en


def english_lines(text: str, names: set[str] = frozenset()) -> list[tuple[str, list[str]]]:
    """The lines of ``text`` whose prose holds English words, with those words."""
    return [(ln, w) for ln in text.splitlines() if (w := zh_share.english_words(prose(ln, names)))]


def _run(args: list[str], cwd: Path, env: dict) -> str:
    r = subprocess.run([sys.executable, "-m", "dbmkit.cli", *args], cwd=cwd, env=env, capture_output=True,
                       text=True)
    return r.stdout + r.stderr


def commands(d: Path, test: bool = False) -> dict[str, str]:
    """Run the consultant commands for a Chinese client in the folder ``d``; the output of each."""
    sys.path.insert(0, str(ROOT / "tests"))
    import consultant_files as cf
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               DBMKIT_LANGUAGE="zh")
    for k in ("DBMKIT_WORKDIR", "DBMKIT_CONFIG", "DBMKIT_KPI_FILE"):
        env.pop(k, None)
    sales, _ = cf.chinese_orders_csv(d)
    lines, _ = cf.online_retail_csv(d)
    out = {}
    cfg = "clients/shop.yaml"
    out["new-client"] = _run(["new-client", "shop", str(sales), str(lines), "--dir", "clients"], d, env)
    comments = [ln.rsplit("#", 1)[1] for ln in (d / cfg).read_text(encoding="utf-8").splitlines() if "#" in ln]
    out["new-client (the draft's comments)"] = "\n".join(     # commented-out YAML (``#   - path: …``) is keys
        c for c in comments if not re.match(r"\s*-?\s*[a-z_]+:(\s|$)", c))
    out["new-client (exists)"] = _run(["new-client", "shop", str(sales), "--dir", "clients"], d, env)
    out["new-client (no file)"] = _run(["new-client", "shop2", "nowhere.csv", "--dir", "clients"], d, env)
    (d / "picture.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    out["new-client (an image)"] = _run(["new-client", "shop3", "picture.csv", "--dir", "clients"], d, env)
    out["new-chapter"] = _run(["new-chapter", cfg, "35", "Loyalty review", "--zh", "会员回顾"], d, env)
    import nbformat
    chapter = nbformat.read(str(d / "clients" / "shop" / "notebooks" / "35_shop_loyalty_review.ipynb"), as_version=4)
    out["new-chapter (the chapter's narrative)"] = "\n".join(
        re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", c.source) for c in chapter.cells if c.cell_type == "markdown")
    out["new-chapter (standard number)"] = _run(["new-chapter", cfg, "21", "RFM again"], d, env)
    out["new-chapter (bad number)"] = _run(["new-chapter", cfg, "3x5", "Bad"], d, env)
    out["new-chapter (exists)"] = _run(["new-chapter", cfg, "35", "Loyalty review"], d, env)
    out["override-chapter"] = _run(["override-chapter", cfg, "22"], d, env)
    out["override-chapter --rehash"] = _run(["override-chapter", cfg, "22", "--rehash"], d, env)
    out["override-chapter (unknown)"] = _run(["override-chapter", cfg, "99"], d, env)
    nb = d / "clients" / "shop" / "notebooks"
    (nb / "notes.ipynb").write_text("{}", encoding="utf-8")
    out["chapters"] = _run(["chapters", cfg], d, env)
    (nb / "notes.ipynb").unlink()
    (d / "afile").write_text("x", encoding="utf-8")
    out["check (workdir is a file)"] = _run(["check", cfg, "--workdir", "afile/work"], d, env)
    out["check"] = _run(["check", cfg, "--workdir", "work"], d, env)
    if test:
        out["test"] = _run(["test", cfg, "--workdir", "work", "--out", "tested"], d, env)
    bad = d / "clients" / "bad.yaml"
    bad.write_text("client: bad\nlanguage: zh\nfoo: 1\n", encoding="utf-8")
    out["batch"] = _run(["batch", cfg, str(bad), "--out", "batch", "--phases", "10"], d, env)
    page = (d / "batch" / "index.html").read_text(encoding="utf-8").split("<body>", 1)[1]
    out["batch (index.html)"] = re.sub(r"\n\s*\n+", "\n", re.sub(r"<[^>]+>", "\n", page))
    out["batch (batch.log)"] = (d / "batch" / "batch.log").read_text(encoding="utf-8")
    (d / "no_report").mkdir()
    out["compare (no report)"] = _run(["compare", "no_report", "no_report"], d, env)
    out["site (no report)"] = _run(["site", "no_report", "--out", "site"], d, env)
    out["init (a file)"] = _run(["init", "afile"], d, env)
    return out


CLIENTS = {"shop", "Shop", "bad", "Loyalty", "review"}   # names: the clients', the chapter's English title


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="zh-cli-scan-") as tmp:
        outs = commands(Path(tmp), test="--test" in argv)
    low = 0
    for name, text in outs.items():
        s, zh, en = share(text, CLIENTS)
        low += s < zh_share.TARGET
        print(f"== {name}: {s:.0%} ({zh} 字, {en} English words)")
        for ln, words in ([(ln, []) for ln in text.splitlines()] if "--all" in argv else english_lines(text, CLIENTS)):
            print(f"   {ln}" + (f"    ← {' '.join(words)}" if words else ""))
    print(f"{len(outs) - low} of {len(outs)} commands at {zh_share.TARGET:.0%} Chinese or more")
    return 1 if low else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
