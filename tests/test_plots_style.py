"""The chart style: seaborn's whitegrid look without importing seaborn at start-up."""
import subprocess
import sys


def test_importing_the_charts_does_not_import_seaborn_or_scipy_stats():
    code = ("import sys, dbmkit as dbm; dbm.plots.setup_style(); "
            "print('seaborn' in sys.modules, 'scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_the_style_is_seaborns_whitegrid_with_the_workbook_palette():
    code = """
import matplotlib as mpl
import dbmkit.plots as P
P.setup_style()
ours = dict(mpl.rcParams)
import seaborn as sns
sns.set_theme(style="whitegrid", palette=P.PALETTE, font_scale=0.95)
P.setup_style()
theirs = dict(mpl.rcParams)
diff = sorted(k for k in theirs if str(ours[k]) != str(theirs[k]) and k != "image.cmap")
print(diff)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"      # every setting equal (the default colour map is never used: charts name theirs)
