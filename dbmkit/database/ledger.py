"""The client's erasure ledger (删除台账): one memory of every erased person, shared by all workspaces of a client.

A workspace's own memory (``<workdir>/erasures.json``, :mod:`dbmkit.database.erasure`) is lost when the same client
is built in another work folder. The ledger belongs to the client instead: it lives beside the client's config
(``clients/<client>.erasures.json``, or wherever ``privacy.erasure_ledger`` says) and moves with it. Every build and
every export of the client, in any work folder, applies it.

It holds **no personal data**: a salt of its own (so every work folder hashes the same way), the salted hashes of
the erased people's record ids, e-mail addresses and phone numbers (:func:`dbmkit.privacy.salted_hash`), the hashed
keys imported from the work folders' older memories (each with the salt it was hashed with) and a log with one
entry per erasure (time, salted token, reason with contact details masked, how many keys). Writes are atomic (a
temporary file, flushed to disk, swapped in with ``os.replace``) and serialised by a lock file, so two erasures at
the same moment do not lose one another.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "acme.erasures.json")
>>> ledger_digest(path)                                    # no ledger yet: nothing erased
'empty'
>>> with updating(path, client="acme") as led:
...     added = add_keys(led, ["ann@x.com"], token_of="ann@x.com", reason="customer request")
>>> led = load_ledger(path)
>>> len(led["keys"]), len(led["log"]), "ann@x.com" in open(path).read()
(1, 1, False)
>>> ledger_digest(path) != 'empty'
True
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from .. import clean as _clean
from ..privacy import mask_pii, salted_hash

try:                                   # POSIX; elsewhere writes are atomic but not serialised
    import fcntl
except ImportError:                    # pragma: no cover - Windows
    fcntl = None

__all__ = ["LEDGER_FORMAT", "LedgerError", "load_ledger", "save_ledger", "updating", "ledger_digest", "key_sets",
           "digest_of", "identifier_keys", "add_keys", "import_memory", "NO_LEDGER"]

LEDGER_FORMAT = "dbmkit erasure ledger, version 1"
NO_LEDGER = "none"          # the digest of a workspace without a client ledger


class LedgerError(ValueError):
    """A ledger file that cannot be used (not a ledger, another client's)."""


def _fresh(client: str | None) -> dict:
    return {"format": LEDGER_FORMAT, "client": client, "salt": hashlib.sha256(os.urandom(16)).hexdigest()[:16],
            "keys": [], "imported": [], "log": []}


def load_ledger(path: str | Path, client: str | None = None) -> dict:
    """The ledger at ``path`` (a new, empty one with a fresh salt when there is no file yet). ``client`` checks
    that the ledger is this client's.

    >>> import tempfile, os
    >>> sorted(load_ledger(os.path.join(tempfile.mkdtemp(), "x.json"), "x"))
    ['client', 'format', 'imported', 'keys', 'log', 'salt']
    """
    p = Path(path)
    if not p.exists() or p.stat().st_size == 0:
        return _fresh(client)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise LedgerError(f"{p} is not a readable erasure ledger ({e}); restore it from a backup — never delete it: "
                          "the people it lists would come back in the next build") from None
    if not isinstance(data, dict) or data.get("format") != LEDGER_FORMAT or not data.get("salt"):
        raise LedgerError(f"{p} is not a dbmkit erasure ledger; point privacy.erasure_ledger at the client's "
                          "ledger (<client>.erasures.json)")
    if client and data.get("client") and data["client"] != client:
        raise LedgerError(f"{p} is the erasure ledger of client '{data['client']}', not of '{client}'; give each "
                          "client its own ledger (privacy.erasure_ledger)")
    for k in ("keys", "imported", "log"):
        data.setdefault(k, [])
    return data


def save_ledger(path: str | Path, data: dict) -> None:
    """Write the ledger atomically (flushed to disk, then swapped in: a crash leaves the old or the new ledger)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(json.dumps(data, indent=1))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, p)


@contextmanager
def updating(path: str | Path, client: str | None = None):
    """Read, change and write the ledger under its lock (``<ledger>.lock``): ``with updating(p) as led: …``."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with open(p.with_name(p.name + ".lock"), "a") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            data = load_ledger(p, client)
            yield data
            save_ledger(p, data)
        finally:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_UN)


def key_sets(data: dict) -> list[tuple[str, frozenset]]:
    """(salt, hashed keys) of the ledger: its own keys, then the imported memories.

    >>> key_sets({"salt": "s", "keys": ["k"], "imported": [{"salt": "t", "keys": ["j"]}]})
    [('s', frozenset({'k'})), ('t', frozenset({'j'}))]
    """
    out = [(data["salt"], frozenset(data.get("keys", [])))]
    out += [(m["salt"], frozenset(m["keys"])) for m in data.get("imported", []) if m.get("keys")]
    return out


def ledger_digest(path: str | Path | None) -> str:
    """What the ledger erases, in one string (its salts and hashed keys; the log does not count): stored with each
    build, so a workspace knows when the ledger has erasures its database has not applied. ``none`` without a
    ledger, ``empty`` for a ledger that erases nobody yet."""
    if path is None:
        return NO_LEDGER
    return digest_of(load_ledger(path)) if Path(path).exists() else "empty"


def digest_of(data: dict) -> str:
    """``ledger_digest`` of a loaded ledger.

    >>> digest_of({"salt": "s", "keys": [], "imported": []})
    'empty'
    """
    sets = [(s, sorted(k)) for s, k in key_sets(data) if k]
    if not sets:
        return "empty"
    return hashlib.sha256(json.dumps(sets).encode("utf-8")).hexdigest()[:24]


def identifier_keys(values, salt: str, region: str = "US") -> set[str]:
    """Salted hashes of identifiers as the build tests them: each value as written and lower-cased, e-mail
    addresses standardised (:func:`dbmkit.clean.standardise_emails`) and phone numbers in E.164
    (:func:`dbmkit.clean.standardise_phones` with the client's region).

    >>> identifier_keys(["(212) 555-0142"], "s") >= identifier_keys(["+12125550142"], "s")
    True
    >>> identifier_keys([" Ann@X.com"], "s") >= {salted_hash("ann@x.com", "s")}
    True
    """
    vals = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    if not vals:
        return set()
    keys = {salted_hash(v, salt) for v in vals} | {salted_hash(v.lower(), salt) for v in vals}
    s = pd.Series(vals, dtype=object)
    for std in (_clean.standardise_emails(s), _clean.standardise_phones(s, region)):
        keys |= {salted_hash(x, salt) for x in std if isinstance(x, str) and x}
    return keys


def add_keys(data: dict, values, token_of: str | None, reason: str, region: str = "US", how: str = "erase",
             log: bool = True) -> int:
    """Add the hashed keys of ``values`` (ids, e-mails, phones) to the ledger ``data`` and — with ``log`` — one log
    entry (a salted token of ``token_of``, the reason with contact details masked, the number of keys); returns how
    many keys were new."""
    keys = identifier_keys(values, data["salt"], region)
    new = keys - set(data["keys"])
    data["keys"] = sorted(set(data["keys"]) | keys)
    if log:
        data["log"].append({"ts": dt.datetime.now().isoformat(timespec="seconds"),
                            "token": salted_hash(str(token_of), data["salt"])[:12] if token_of else None,
                            "how": how, "reason": mask_pii(str(reason))[0], "keys": len(keys)})
    return len(new)


def import_memory(data: dict, memory: dict, where: str) -> int:
    """Bring a work folder's own privacy memory (``erasures.json``: its salt and hashed keys) into the ledger, so its
    erasures count for every work folder of the client; returns how many keys were new (0 when all were known)."""
    keys = set(memory.get("keys", [])) - set(memory.get("in_ledger", []))      # not those written here already
    if not keys:
        return 0
    entry = next((m for m in data["imported"] if m["salt"] == memory["salt"]), None)
    if entry is None:
        entry = {"salt": memory["salt"], "keys": []}
        data["imported"].append(entry)
    new = keys - set(entry["keys"])
    if new:
        entry["keys"] = sorted(set(entry["keys"]) | new)
        data["log"].append({"ts": dt.datetime.now().isoformat(timespec="seconds"), "token": None, "how": "import",
                            "reason": f"erasures remembered by the work folder {where}", "keys": len(new)})
    return len(new)
