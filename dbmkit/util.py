"""Small infrastructure shared by dbmkit modules: fast membership tests for large string keys (:func:`isin`), the
thread limit of scikit-learn's native code (:func:`compute_threads`) and :class:`Notice`, the warning dbmkit gives a
reader (a report page shows it as a note)."""
from __future__ import annotations

import os
from contextlib import contextmanager

import numpy as np
import pandas as pd

__all__ = ["compute_threads", "isin", "Notice", "NOTICE_NAMES"]


class Notice(UserWarning):
    """A message of dbmkit for the reader of a chapter — a plan that will not pay back, a control group too small,
    a fallback used. In JupyterLab it is a warning; a report page shows it as a note in prose (library warnings
    are left out of the pages)."""


# the warning classes a report page turns into notes (the exporter sees only their names); tests check that every
# subclass of Notice is listed
NOTICE_NAMES = frozenset({"Notice", "ControlGroupWarning"})


def isin(values, members) -> np.ndarray:
    """Fast membership test for large string keys.

    pandas 3's Arrow-backed strings make ``Series.isin(big_list)`` build one Arrow scalar per member, which is
    slow for hundreds of thousands of members; a hash lookup through ``Index.get_indexer`` is not.

    >>> isin(pd.Series(["a", "b", None]), {"b", "c"}).tolist()
    [False, True, False]
    """
    members = list(members) if isinstance(members, (set, frozenset)) else members
    idx = pd.Index(pd.unique(np.asarray(members, dtype=object)))
    return idx.get_indexer(np.asarray(values, dtype=object)) >= 0


@contextmanager
def compute_threads():
    """Limit the threads of scikit-learn's native code (OpenMP/BLAS) while fitting and scoring.

    On a shared or small machine, many threads competing for few cores make gradient boosting and k-means tens of
    times slower; one thread is fast enough for customer-level tables. Set the environment variable
    ``DBMKIT_THREADS`` to use more."""
    try:
        from threadpoolctl import threadpool_limits  # installed with scikit-learn
    except ImportError:
        yield
        return
    n = int(os.environ.get("DBMKIT_THREADS", "1") or 1)
    with threadpool_limits(limits=max(n, 1)):
        yield
