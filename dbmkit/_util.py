"""Small helpers shared by dbmkit modules (not part of the public API)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def isin(values, members) -> np.ndarray:
    """Fast membership test for large string keys.

    pandas 3's Arrow-backed strings make ``Series.isin(big_list)`` build one Arrow scalar per member, which is
    slow for hundreds of thousands of members; a hash lookup through ``Index.get_indexer`` is not.

    >>> isin(pd.Series(["a", "b", None]), {"b", "c"}).tolist()
    [False, True, False]
    """
    idx = pd.Index(pd.unique(np.asarray(list(members) if isinstance(members, (set, frozenset)) else members, dtype=object)))
    return idx.get_indexer(np.asarray(values, dtype=object)) >= 0
