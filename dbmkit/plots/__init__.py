"""Every chart of the workbook, in one seaborn-like style. Functions return the matplotlib Figure.

Charts are grouped by topic in sub-modules (``build``, ``explore``, ``rfm_value``, ``clv``, ``plan`` …: one file per
topic) and all re-exported here, so a notebook writes ``dbm.plots.rfm_heatmap(...)``. Text on charts goes through
:func:`dbmkit.i18n.t`, so ``language: zh`` gives Chinese labels; a CJK font (Noto Sans CJK SC, bundled by the
``mplfonts`` package) is set up automatically.

Conventions for a chart function: DataFrame in, Figure out, one idea per chart, a title that states the finding's
subject, money formatted with the client's currency, at most a few thousand points (sample or aggregate first).
"""
from __future__ import annotations

import logging
import warnings

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
from cycler import cycler

from ..i18n import get_language, money

PALETTE = ["#1f5f8b", "#e07b39", "#3a9d5d", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c", "#ccb974",
           "#64b5cd"]
ACCENT = "#e07b39"
MAIN = "#1f5f8b"
_STATE = {"font": None}

# seaborn's "whitegrid" style at font_scale 0.95 (what ``sns.set_theme(style="whitegrid", font_scale=0.95)`` sets),
# written out so that importing the charts does not import seaborn and with it scipy.stats (~2 s of every chapter's
# start-up). The few charts drawn with seaborn (heatmaps) import it themselves.
_WHITEGRID = {
    "axes.axisbelow": True, "axes.edgecolor": ".8", "axes.grid": True, "axes.labelcolor": ".15",
    "axes.labelsize": 11.4, "axes.linewidth": 1.25, "axes.titlesize": 11.4, "axes.facecolor": "white",
    "figure.facecolor": "white", "font.size": 11.4,
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans", "sans-serif"],
    "grid.color": ".8", "grid.linewidth": 1.0, "grid.linestyle": "-", "legend.fontsize": 10.45,
    "legend.title_fontsize": 11.4, "lines.solid_capstyle": "round", "patch.edgecolor": "w",
    "patch.force_edgecolor": True, "text.color": ".15", "xtick.bottom": False, "xtick.color": ".15",
    "xtick.labelsize": 10.45, "xtick.major.size": 6.0, "xtick.major.width": 1.25, "xtick.minor.size": 4.0,
    "xtick.minor.width": 1.0, "ytick.color": ".15", "ytick.labelsize": 10.45, "ytick.left": False,
    "ytick.major.size": 6.0, "ytick.major.width": 1.25, "ytick.minor.size": 4.0, "ytick.minor.width": 1.0,
}


def _cjk_font() -> str | None:
    """Register the bundled Noto Sans CJK SC font with matplotlib; return its family name (None if unavailable)."""
    if _STATE["font"] is not None:
        return _STATE["font"] or None
    from matplotlib import font_manager
    name = ""
    try:
        from importlib.resources import files
        path = files("mplfonts") / "fonts" / "NotoSansCJKsc-Regular.otf"
        if path.is_file():
            font_manager.fontManager.addfont(str(path))
            name = font_manager.FontProperties(fname=str(path)).get_name()
    except (ModuleNotFoundError, OSError):
        name = ""
    if not name:
        for f in font_manager.fontManager.ttflist:
            if any(k in f.name for k in ("Noto Sans CJK", "Source Han", "WenQuanYi", "SimHei", "Microsoft YaHei")):
                name = f.name
                break
    _STATE["font"] = name
    return name or None


def setup_style(language: str | None = None) -> None:
    """Apply the workbook's chart style (and a CJK font for Chinese)."""
    plt.rcParams.update(_WHITEGRID)
    plt.rcParams["axes.prop_cycle"] = cycler(color=PALETTE)
    plt.rcParams.update({"figure.figsize": (8, 4.2), "figure.dpi": 100, "savefig.dpi": 110,
                         "axes.titlesize": 12, "axes.titleweight": "bold", "axes.spines.top": False,
                         "axes.spines.right": False, "figure.autolayout": False, "axes.titlelocation": "left"})
    lang = language or get_language()
    font = _cjk_font()
    if font:
        # a list of families gives per-glyph fallback: Latin text in DejaVu Sans, Chinese in Noto Sans CJK (en);
        # everything in Noto Sans CJK first (zh)
        plt.rcParams["font.family"] = ["DejaVu Sans", font] if lang != "zh" else [font, "DejaVu Sans"]
        plt.rcParams["axes.unicode_minus"] = False
    warnings.filterwarnings("ignore", message="Glyph .* missing from font")
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)   # no bold CJK face: regular is used


def money_axis(ax, axis: str = "y", currency: str = "") -> None:
    """Format an axis as money the way tables do (``i18n.money``: −$2.5k, $1.2M; 万 in a Chinese chart in yuan)."""
    def fmt(x, _):
        return money(x, currency, chart=True)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(mticker.FuncFormatter(fmt))


def pct_axis(ax, axis: str = "y", decimals: int = 0) -> None:
    """Format an axis of shares (0–1) as percentages."""
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(mticker.PercentFormatter(1.0, decimals=decimals))


def new_figure(width: float = 8, height: float = 4.2, ncols: int = 1, nrows: int = 1, **kw):
    """A figure and axes in the workbook style."""
    if _STATE["font"] is None:
        setup_style()
    fig, ax = plt.subplots(nrows, ncols, figsize=(width, height), **kw)
    return fig, ax


def finish(fig, title: str | None = None, source: str | None = None):
    """Tight layout, optional suptitle and source note; closes the figure for pyplot so it is shown once."""
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontsize=13, fontweight="bold")
    if source:
        fig.text(0.99, 0.005, source, ha="right", va="bottom", fontsize=7, color="#777777")
    fig.tight_layout()
    plt.close(fig)
    return fig


_EXPORTED: dict[str, str] = {}


def _load_submodules() -> None:
    """Re-export the public charts of every sub-module (build.py, explore.py, rfm_value.py, … one file per topic)."""
    import importlib
    import pkgutil
    g = globals()
    for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if m.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{m.name}")
        for name in getattr(mod, "__all__", []):
            if name in _EXPORTED and _EXPORTED[name] != m.name:
                raise ImportError(f"chart name clash: {name!r} is defined in plots/{_EXPORTED[name]}.py and "
                                  f"plots/{m.name}.py; rename one of them")
            _EXPORTED[name] = m.name
            g[name] = getattr(mod, name)


_load_submodules()
