"""Copy the workbook's files into the package before a wheel is built (``make dist``), so that an installed dbmkit
carries its chapters, client configs, bundled data and documents (``dbmkit/workbook_files``, found by
``dbmkit.workbook.root``); ``--clean`` removes the copy again.

    python tools/stage_workbook.py          copy notebooks/, notebooks_zh/, clients/, data/, docs/ and LICENSE
    python tools/stage_workbook.py --clean
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dbmkit.workbook import IGNORE, PARTS, packaged_root  # noqa: E402


def main(argv: list[str]) -> int:
    dest = packaged_root()
    if dest.exists():
        shutil.rmtree(dest)
    if "--clean" in argv:
        return 0
    for part in PARTS:
        shutil.copytree(ROOT / part, dest / part, ignore=IGNORE)
    n = sum(1 for p in dest.rglob("*") if p.is_file())
    print(f"staged {n} workbook files in {dest.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
