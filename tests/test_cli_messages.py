"""The `dbmkit` command says what is wrong and how to fix it, never a traceback: two builds on one work folder (a lock
naming the holder; a wait; a dead holder's lock taken over), folders that cannot be written (--out, --workdir),
files handed to `new-client` that are not tables (empty, one line, images, PDFs, archives, workbooks renamed .csv,
binary data; UTF-16/32 text is read), `batch` with broken clients (every client in the summary with its reason), and
an unexpected error. Each case: the exit code, the message, the files written (or not)."""
from __future__ import annotations

import errno
import gzip
import json
import os
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from dbmkit import cli, preflight

sys.path.insert(0, str(Path(__file__).resolve().parent))
import consultant_files as cf  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.xdist_group("cli_messages")


def _env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("DBMKIT_")}


def _cli(args: list[str], timeout: int = 600, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dbmkit.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**_env(), **env}, timeout=timeout)


def _main(args: list[str], capsys) -> tuple[int, str, str]:
    rc = cli.main(args)
    got = capsys.readouterr()
    return rc, got.out, got.err


def _one_error(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.startswith("[dbmkit] error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A sales-only client (one orders file) and its work folder, built once."""
    d = tmp_path_factory.mktemp("shop")
    cfg = cf.sales_only_client(d)
    work = d / "work"
    assert cli.main(["check", str(cfg), "--workdir", str(work)]) == 0
    return d, cfg, work


# ------------------------------------------------------------------------------------------ check, end to end
def test_check_end_to_end(shop, tmp_path):
    d, cfg, _ = shop
    r = _cli(["check", str(cfg), "--workdir", str(tmp_path / "w")])
    assert r.returncode == 0, r.stderr
    assert "A report can run." in r.stdout and "orders.csv" in r.stdout
    assert (tmp_path / "w" / "marketing.duckdb").exists()
    assert preflight.lock_holder(tmp_path / "w") is None               # released at the end


# ------------------------------------------------------------------------------------------ two builds at once
def _holder(workdir: Path, seconds: float) -> subprocess.Popen:
    code = ("import sys, time\nfrom dbmkit.preflight import workdir_lock\n"
            "with workdir_lock(sys.argv[1], command='dbmkit report shop'):\n"
            "    print('locked', flush=True)\n    time.sleep(float(sys.argv[2]))\n")
    p = subprocess.Popen([sys.executable, "-c", code, str(workdir), str(seconds)], stdout=subprocess.PIPE, text=True,
                         cwd=ROOT, env=_env())
    assert p.stdout.readline().strip() == "locked"
    return p


def test_a_second_build_on_the_same_workdir_is_refused_with_the_holder(shop, capsys):
    _, cfg, work = shop
    h = _holder(work, 60)
    try:
        rc, out, err = _main(["check", str(cfg), "--workdir", str(work)], capsys)
        assert rc == 2
        line = _one_error(err)
        assert f"another build is running on this workdir {work.resolve()} (pid {h.pid}, since 20" in line
        assert "--wait SECONDS" in line and "(dbmkit report shop)" in line
        assert "A report can run" not in out                            # nothing ran
        rc, _, err = _main(["build", str(cfg), "--workdir", str(work), "--wait", "1"], capsys)
        assert rc == 2 and "waited 1 s" in _one_error(err)
        r = _cli(["report", str(cfg), "--workdir", str(work), "--out", str(work.parent / "rep")])
        assert r.returncode == 2 and f"(pid {h.pid}," in _one_error(r.stderr)
    finally:
        h.kill()
        h.wait()


def test_waiting_for_the_other_build_then_running(shop, capsys):
    _, cfg, work = shop
    h = _holder(work, 2)
    try:
        rc, out, err = _main(["check", str(cfg), "--workdir", str(work), "--wait", "60"], capsys)
    finally:
        h.wait()
    assert rc == 0 and "A report can run." in out, err


@pytest.mark.parametrize("no_flock", [False, True])
def test_a_stale_lock_is_taken_over(shop, capsys, monkeypatch, no_flock):
    _, cfg, work = shop
    if no_flock:                                      # a file system without flock: the pid in the file decides
        monkeypatch.setattr(preflight, "fcntl", None)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (work / preflight.LOCK_NAME).write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(),
                                                        "since": "2020-01-01 00:00:00", "command": "dbmkit build"}))
    rc, out, err = _main(["check", str(cfg), "--workdir", str(work)], capsys)
    assert rc == 0 and "A report can run." in out, err
    if no_flock:                                      # and a live holder still stops it
        h = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            (work / preflight.LOCK_NAME).write_text(json.dumps({"pid": h.pid, "host": socket.gethostname(),
                                                                "since": "2020-01-01 00:00:00"}))
            rc, _, err = _main(["check", str(cfg), "--workdir", str(work)], capsys)
            assert rc == 2 and f"(pid {h.pid}, since 2020-01-01 00:00:00)" in _one_error(err)
        finally:
            h.kill()
            h.wait()
            (work / preflight.LOCK_NAME).write_text("")


# ------------------------------------------------------------------------------------ folders that cannot be written
def test_an_out_folder_that_cannot_be_written(shop, tmp_path):
    _, cfg, _ = shop
    blocker = tmp_path / "a_file.txt"
    blocker.write_text("not a folder")
    work = tmp_path / "work"
    r = _cli(["report", str(cfg), "--out", str(blocker / "rep"), "--workdir", str(work)])
    assert r.returncode == 2
    line = _one_error(r.stderr)
    assert f"cannot write the report folder {blocker / 'rep'}" in line and "is a file, not a folder" in line
    assert "give --out a folder you can write to" in line
    assert not work.exists()                                            # checked before anything ran


def test_a_workdir_that_cannot_be_written(shop, tmp_path, capsys):
    _, cfg, _ = shop
    blocker = tmp_path / "a_file.txt"
    blocker.write_text("not a folder")
    for cmd in (["report", "--out", str(tmp_path / "rep")], ["check"], ["build"]):
        rc, _, err = _main([cmd[0], str(cfg), *cmd[1:], "--workdir", str(blocker / "w")], capsys)
        line = _one_error(err)
        assert rc == 2 and f"cannot write the work folder {blocker / 'w'}" in line and "--workdir" in line, cmd
    assert not (tmp_path / "rep" / "index.html").exists()


def test_a_read_only_file_system(shop, tmp_path, capsys, monkeypatch):
    """As root chmod does not stop writes: a read-only mount is simulated where files are created."""
    _, cfg, work = shop
    ro = tmp_path / "mounted_ro"
    real = preflight.tempfile.mkstemp

    def mkstemp(*a, dir=None, **kw):
        if dir is not None and Path(dir).resolve().is_relative_to(ro.resolve()):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real(*a, dir=dir, **kw)

    ro.mkdir()
    monkeypatch.setattr(preflight.tempfile, "mkstemp", mkstemp)
    rc, _, err = _main(["report", str(cfg), "--out", str(ro / "rep"), "--workdir", str(work)], capsys)
    line = _one_error(err)
    assert rc == 2 and f"cannot write the report folder {ro / 'rep'} (Read-only file system)" in line
    assert "--out" in line
    rc, _, err = _main(["report", str(cfg), "--out", str(tmp_path / "rep"), "--workdir", str(ro)], capsys)
    line = _one_error(err)
    assert rc == 2 and f"cannot write the work folder {ro} (Read-only file system)" in line and "--workdir" in line
    assert not (tmp_path / "rep" / "index.html").exists()


def _sys_is_read_only() -> bool:
    try:
        preflight.writable_dir("/sys/dbmkit-probe", "x", "y")
    except preflight.PreflightError:
        return True
    return False


@pytest.mark.skipif(not Path("/sys").is_dir() or not _sys_is_read_only(), reason="needs a folder nobody can write")
def test_a_folder_nobody_can_write(shop, tmp_path, capsys):
    _, cfg, work = shop
    rc, _, err = _main(["report", str(cfg), "--out", "/sys/dbmkit-report", "--workdir", str(work)], capsys)
    assert rc == 2 and "cannot write the report folder /sys/dbmkit-report" in _one_error(err)


# ------------------------------------------------------------------------------ new-client on files that are not tables
def _xlsx(p: Path) -> None:
    pd.DataFrame({"order": [1, 2], "customer": ["a", "b"], "amount": [1.0, 2.0]}).to_excel(p, index=False)


def _zip(p: Path) -> None:
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("orders.csv", "a,b\n1,2\n")
        z.writestr("customers.csv", "a,b\n1,2\n")


SHAPES = {
    "empty": (lambda p: p.write_bytes(b""), ["the file is empty (0 bytes)"]),
    "blank_lines": (lambda p: p.write_text("\n  \n;;\n"), ["the file is empty (it holds only blank lines"]),
    "header_only": (lambda p: p.write_text("order,customer,date,amount\n"),
                    ["single line ('order,customer,date,amount')", "header row and at least one row"]),
    "one_word": (lambda p: p.write_text("abc"), ["single line ('abc')"]),
    "one_column": (lambda p: p.write_text("\n".join(f"C{i}" for i in range(40))), ["a single column"]),
    "png": (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200)), ["a PNG image, not a table"]),
    "jpeg": (lambda p: p.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256))), ["a JPEG image"]),
    "pdf": (lambda p: p.write_bytes(b"%PDF-1.4\n" + bytes(range(256))), ["a PDF document"]),
    "xlsx": (_xlsx, ["an Excel workbook (.xlsx) named '.csv'", "rename it to xlsx.xlsx"]),
    "zip": (_zip, ["a ZIP archive holding 2 file(s) (orders.csv, customers.csv)", "unpack it"]),
    "binary": (lambda p: p.write_bytes(bytes(range(256)) * 8), ["binary data, not text"]),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_new_client_on_a_file_that_is_not_a_table(shape, tmp_path, capsys):
    write, words = SHAPES[shape]
    path = tmp_path / f"{shape}.csv"
    write(path)
    clients = tmp_path / "clients"
    rc, out, err = _main(["new-client", "acme", str(path), "--dir", str(clients)], capsys)
    assert rc == 2
    assert f"[dbmkit] error: {path}: " in err and all(w in err for w in words), err
    assert "Fix: " in err and "Traceback" not in err
    assert not list(clients.glob("*.yaml")) and not list(clients.glob(".*"))     # no config, no half draft


def test_new_client_on_an_image_end_to_end(tmp_path):
    path = tmp_path / "sales.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    r = _cli(["new-client", "acme", str(path), "--dir", str(tmp_path / "clients")])
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"[dbmkit] error: {path}: the file is a PNG image, not a table" in r.stderr and "Fix: export" in r.stderr
    assert not (tmp_path / "clients" / "acme.yaml").exists()


def test_new_client_reads_gzip_and_utf16_under_a_csv_name(tmp_path, capsys):
    src, _ = cf.european_semicolon_csv(tmp_path)
    gz = tmp_path / "sales_gz.csv"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    text = src.read_bytes().decode("cp1252")
    u16 = tmp_path / "sales_u16.csv"
    u16.write_bytes(text.encode("utf-16"))
    u32 = tmp_path / "sales_u32.csv"                       # UTF-32 (with a byte-order mark) is read too
    u32.write_bytes(text.encode("utf-32"))
    for p in (gz, u16, u32):
        rc, out, err = _main(["new-client", p.stem, str(p), "--dir", str(tmp_path / "clients")], capsys)
        assert rc == 0, err
        assert (tmp_path / "clients" / f"{p.stem}.yaml").exists() and "orders" in out


def test_new_client_on_a_missing_file(tmp_path, capsys):
    rc, _, err = _main(["new-client", "acme", str(tmp_path / "nope.csv"), "--dir", str(tmp_path)], capsys)
    assert rc == 2 and "file not found" in _one_error(err)


# ------------------------------------------------------------------------------------------ batch with broken clients
def _tiny_notebooks(d: Path) -> Path:
    nbdir = d / "notebooks"
    nbdir.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('config = ""\noverrides = None', metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("import dbmkit as dbm\nws = dbm.workspace(config, overrides=overrides)\n"
                                          "dbm.record('persons', int(ws.sql('SELECT count(*) AS n FROM customers')"
                                          "['n'].iloc[0]))")]
    nbformat.write(nb, str(nbdir / "00_start_here.ipynb"))
    return nbdir


def test_batch_lists_every_client_with_its_reason(shop, tmp_path):
    d, good, _ = shop
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text("client: invalid\ncampaign:\n  budget: -5\ndata:\n  synthetic: {n_people: 100}\n")
    nodata = tmp_path / "nodata.yaml"
    nodata.write_text("client: nodata\ndata:\n  sources:\n    orders:\n      - path: no_such_file.csv\n"
                      "        columns: {order_id: a, order_ts: b, net_amount: c, customer_id: d}\n")
    missing = tmp_path / "missing.yaml"
    out = tmp_path / "batch"
    r = _cli(["batch", str(missing), str(invalid), str(good), str(nodata), "--phases", "00", "--out", str(out),
              "--workdir-root", str(tmp_path / "work")], DBMKIT_NOTEBOOKS=str(_tiny_notebooks(tmp_path)))
    assert r.returncode == 1, r.stdout + r.stderr                     # not every client is ok
    assert "Traceback" not in r.stdout + r.stderr
    rows = {ln.split()[0]: ln for ln in r.stdout.splitlines() if ln.strip() and not ln.startswith("[")}
    assert " error " in rows["missing"] and "file not found" in rows["missing"]
    assert " error " in rows["invalid"] and "campaign.budget: Input should be greater than 0" in rows["invalid"]
    assert " ok " in rows["shop"]
    assert " error " in rows["nodata"] and "file not found" in rows["nodata"]
    assert "[dbmkit] 1 of 4 client(s) ok, 3 not" in r.stdout
    assert f"[dbmkit] summary: {out / 'index.html'}" in r.stdout
    csv = pd.read_csv(out / "batch_summary.csv")
    assert list(csv["client"]) == ["missing", "invalid", "shop", "nodata"]
    assert list(csv["status"]) == ["error", "error", "ok", "error"]
    assert csv["message"].fillna("").str.contains("\n").sum() == 0          # one line each
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "1 of 4 client(s) ok" in html and "greater than 0" in html and 'href="shop/index.html"' in html
    assert json.loads((out / "shop" / "kpis.json").read_text())["persons"] == 30


def test_batch_with_a_wrong_set(shop, tmp_path, capsys):
    _, good, _ = shop
    rc, out, err = _main(["batch", str(good), "--set", "campaign.budgt=1", "--out", str(tmp_path / "b")], capsys)
    assert rc == 1 and "Traceback" not in err
    assert "--set error: campaign.budgt=1: unknown setting (did you mean 'campaign.budget'?)" in out
    assert (tmp_path / "b" / "index.html").exists() and (tmp_path / "b" / "batch_summary.csv").exists()


# ------------------------------------------------------------------------------------------ a bug is a message too
def test_an_unexpected_error_is_a_message_not_a_traceback(shop, capsys, monkeypatch):
    _, cfg, work = shop

    def broken(ws):
        raise RuntimeError("something deep\ninside")

    monkeypatch.setattr(cli, "check_summary", broken)
    rc, _, err = _main(["check", str(cfg), "--workdir", str(work)], capsys)
    assert rc == 3
    line = _one_error(err)
    assert "unexpected RuntimeError: something deep inside" in line and "DBMKIT_DEBUG=1" in line
    assert preflight.lock_holder(work) is None                         # the lock is released on the way out
    monkeypatch.setenv("DBMKIT_DEBUG", "1")
    with pytest.raises(RuntimeError):
        cli.main(["check", str(cfg), "--workdir", str(work)])


@pytest.mark.parametrize("name", ["dbmkit.preflight", "dbmkit.overrides", "dbmkit.consultant.sniff", "dbmkit.cli"])
def test_docstring_examples(name):
    import doctest
    import importlib
    res = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
