"""A throwaway PostgreSQL server for the tests: ``initdb`` in a temporary folder, a free port on 127.0.0.1,
password authentication (scram-sha-256) for one user, stopped and removed afterwards.

PostgreSQL refuses to run as root, so under root (CI containers) the server runs as the ``postgres`` system user
that Debian's ``postgresql`` package creates. ``.ci/run`` installs that package; where the binaries or the driver
are missing, :func:`start` raises ``Unavailable`` with the reason and the tests skip with it.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

USER, PASSWORD = "dbmkit", "test-only-secret"


class Unavailable(RuntimeError):
    """The machine cannot run a PostgreSQL server for the tests (the message says why)."""


@dataclass
class Server:
    port: int
    root: Path
    bin: Path
    run_as: str | None

    def url(self, db: str = "postgres") -> str:
        """The URL a config file holds: no password (the driver takes it from PGPASSWORD)."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{db}"

    def env(self) -> dict:
        return {**os.environ, "PGPASSWORD": PASSWORD}

    def connect(self, db: str = "postgres"):
        import psycopg
        return psycopg.connect(host="127.0.0.1", port=self.port, user=USER, password=PASSWORD, dbname=db,
                               autocommit=True)

    def stop(self) -> None:
        _run([str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop"], self.run_as,
             check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def _run(cmd: list[str], user: str | None, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, user=user, capture_output=True, text=True, timeout=120)
    if check and r.returncode:
        raise Unavailable(f"{Path(cmd[0]).name} failed: {(r.stderr or r.stdout).strip()[-400:]}")
    return r


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start() -> Server:
    try:
        import psycopg  # noqa: F401
    except ImportError as e:
        raise Unavailable("the psycopg driver is not installed (pip install 'psycopg[binary]')") from e
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [shutil.which("initdb") or ""]
    if not found[-1]:
        raise Unavailable("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    bin_dir = Path(found[-1]).parent
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise Unavailable("running as root and there is no 'postgres' user to run the server as") from None
        run_as = "postgres"
    root = Path(tempfile.mkdtemp(prefix="dbmkit-pg-"))
    os.chmod(root, 0o755)
    (root / "pw").write_text(PASSWORD + "\n")
    if run_as:
        shutil.chown(root, run_as)
        shutil.chown(root / "pw", run_as)
    port = _free_port()
    try:
        _run([str(bin_dir / "initdb"), "-D", str(root / "data"), "-U", USER, "--pwfile", str(root / "pw"),
              "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C", "--no-sync"], run_as)
        opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        _run([str(bin_dir / "pg_ctl"), "-D", str(root / "data"), "-o", opts, "-l", str(root / "log"), "-w", "-t", "60",
              "start"], run_as)
    except Unavailable:
        shutil.rmtree(root, ignore_errors=True)
        raise
    server = Server(port=port, root=root, bin=bin_dir, run_as=run_as)
    for _ in range(50):
        try:
            server.connect().close()
            return server
        except Exception:  # noqa: BLE001 - the server is still starting
            time.sleep(0.2)
    server.stop()
    raise Unavailable("the PostgreSQL server did not accept connections")


def load_csv(server: Server, db: str, table: str, path: Path) -> int:
    """Create ``table`` with every column as text (as a client's export would be) and copy the CSV into it."""
    import csv
    with open(path, newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    cols = ", ".join('"' + h.replace('"', '""') + '" text' for h in header)
    with server.connect(db) as con:
        con.execute(f'CREATE TABLE "{table}" ({cols})')
        with con.cursor().copy(f'COPY "{table}" FROM STDIN WITH (FORMAT csv, HEADER true)') as cp:
            cp.write(path.read_bytes())
        return con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
