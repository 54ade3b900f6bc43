"""docs/CONFIG.md documents every field of the client config, its examples are valid configs, and its table of
minimal-client chapters matches dbmkit.chapters."""
from __future__ import annotations

import re
import typing
from pathlib import Path

from pydantic import BaseModel

from dbmkit import chapters
from dbmkit.config import ClientConfig, load_config

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "CONFIG.md").read_text(encoding="utf-8")
INTERNAL = {"base_dir", "source_path"}


def _models_in(annotation) -> list[tuple[str, type]]:
    """(suffix, model) for the pydantic models inside an annotation: Model, Model | None, dict[str, list[Model]]."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [("", annotation)]
    out = []
    origin = typing.get_origin(annotation)
    for arg in typing.get_args(annotation):
        for suffix, m in _models_in(arg):
            if origin is dict:
                out.append((".<table>" + suffix, m))
            elif origin is list:
                out.append(("[]" + suffix, m))
            else:
                out.append((suffix, m))
    return out


def field_paths(model=ClientConfig, prefix: str = "") -> list[str]:
    paths = []
    for name, info in model.model_fields.items():
        if name in INTERNAL:
            continue
        path = prefix + name
        paths.append(path)
        for suffix, sub in _models_in(info.annotation):
            paths += field_paths(sub, path + suffix + ".")
    return paths


def test_every_config_field_is_documented():
    paths = field_paths()
    assert "data.sources.<table>[].date_format" in paths and "analysis.rfm.monetary_breaks" in paths
    assert len(paths) > 80
    missing = [p for p in paths if f"`{p}`" not in DOC]
    assert not missing, f"docs/CONFIG.md does not document: {missing}"


def test_the_examples_in_the_doc_are_valid_configs():
    blocks = re.findall(r"```yaml\n(.*?)```", DOC, flags=re.S)
    configs = [b for b in blocks if b.lstrip().startswith("client:")]
    assert len(configs) >= 2
    import yaml
    for b in configs:
        cfg = load_config(yaml.safe_load(b))
        assert cfg.data.sources and ({"orders", "sales_lines"} & set(cfg.data.sources))


def test_every_canonical_table_and_chapter_need_is_in_the_doc():
    from dbmkit.config import CANONICAL_TABLES
    for t in CANONICAL_TABLES:
        assert f"`{t}`" in DOC, t
    section = DOC.split("## Minimal clients", 1)[1].split("\n## ", 1)[0]
    listed = set()            # chapter numbers in the first column of the table of skipped chapters
    for line in section.splitlines():
        if line.startswith("| ") and not line.startswith("| chapter"):
            listed |= set(re.findall(r"\b\d{2}\b", line.split("|")[1]))
    for ch in chapters.CHAPTERS:
        if ch.needs:
            assert ch.number in listed, f"chapter {ch.number} needs {ch.needs} but is not in the table of CONFIG.md"
    assert listed <= {ch.number for ch in chapters.CHAPTERS if ch.needs}


def test_what_each_chapter_needs_lists_every_chapter_and_need():
    """The table "What each chapter needs" has a row per workbook chapter, and names every need a chapter or a
    section checks (the keys of dbmkit.chapters.NEEDS), so a consultant finds there what a missing input costs."""
    section = DOC.split("## What each chapter needs", 1)[1].split("\n## ", 1)[0]
    rows = [ln for ln in section.splitlines() if ln.startswith("| ") and not ln.startswith("| chapter")]
    assert [ln.split("|")[1].split()[0] for ln in rows] == [c.number for c in chapters.workbook_chapters()]
    named = set(re.findall(r"\[([a-z_]+)\]", section))
    assert set(chapters.NEEDS) <= named, set(chapters.NEEDS) - named
    assert named <= set(chapters.NEEDS), named - set(chapters.NEEDS)
