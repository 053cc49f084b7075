"""Tamper-evident audit log: JSON Lines, each record chained to the previous one by an HMAC.

Why an HMAC and a second place:

* A plain hash chain can be recomputed by anyone who can write the file: cut the tail, edit a record,
  re-hash everything after it, and the chain verifies again. Each record here carries
  ``mac = HMAC-SHA256(key, canonical JSON of the record without mac)`` and ``prev_mac`` links it to
  the one before; the key lives in a 0600 file in the server's state dir, which the OS sandbox hides
  from every command. Without the key no edited, inserted or re-chained record verifies.
* Cutting records off the end leaves a valid chain. So the record count and the last MAC are also kept
  in a second place (an ``AuditAnchor``: the SQLite store in the server, a file next to the log
  otherwise), itself MAC'ed; a log shorter than its anchor, or with another last record, was truncated
  or replaced.

Every field (decision, exit code, subject...) is inside the MAC. Records are fsync'ed before
``append`` returns, so an approved action is on disk before it runs; the anchor is updated after the
record, so a crash in between leaves exactly one record more than the anchor, which verification
accepts (and repairs). A torn last line (a crash in the middle of a write) is cut off the same way.
Another server on the same workspace appending to the same log is fine: appends take a file lock, and
records found behind ours are verified with the key before the chain continues from them.

A failed verification blocks the log: ``append`` raises ``AuditIntegrityError`` (so the guard runs
nothing) until ``acknowledge`` sets the broken file aside and starts a new chain that records why.

A log that cannot be written right now (a full or read-only disk, a locked or read-only database for
the count) makes ``append`` raise ``AuditWriteError``: the guard then runs nothing, and the next append
tries again. A partly written record is cut off at once, and no record is written while the count of
the one before is not saved, so the log is never more than one record ahead of its anchor.

Records are redacted (``redaction.redact_record``: secrets masked character for character) before the
MAC is computed, so the chain covers exactly what is on disk and a command stays recognisable.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from openagent_lsp.errors import OpenAgentError
from openagent_lsp.redaction import redact_record

GENESIS = "0" * 64
KEY_BYTES = 32
KEY_FILENAME = "audit.key"
_RESERVED = ("seq", "ts", "prev_mac", "mac")


class AuditIntegrityError(OpenAgentError):
    """The audit log failed verification: nothing may run until acknowledged."""


class AuditWriteError(OpenAgentError):
    """A record or its count cannot be written now (disk full, read-only, database locked): nothing runs."""


_WRITE_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EIO: "an input/output error",
}


def _write_error(what: str, exc: BaseException) -> AuditWriteError:
    reason = _WRITE_REASONS.get(getattr(exc, "errno", None) or -1, str(exc))
    return AuditWriteError(f"{what}: {reason}")


def canonical(record: dict[str, Any]) -> bytes:
    body = {k: v for k, v in record.items() if k != "mac"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode(
        "utf-8"
    )


def record_mac(key: bytes, record: dict[str, Any]) -> str:
    return hmac.new(key, canonical(record), hashlib.sha256).hexdigest()


def load_or_create_key(path: Path) -> tuple[bytes, bool]:
    """The HMAC key (32 random bytes, file mode 0600); True when it was just created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        data = path.read_bytes()
        if len(data) != KEY_BYTES:
            raise AuditIntegrityError(f"the audit key {path} is damaged ({len(data)} bytes)") from None
        return data, False
    key = secrets.token_bytes(KEY_BYTES)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    return key, True


class AuditAnchor(Protocol):
    """The second place that remembers how many records a log holds and how the last one ends."""

    def load_anchor(self, log_id: str) -> tuple[int, str, str] | None:
        """(count, last_mac, anchor_mac) or None when nothing was stored."""

    def store_anchor(self, log_id: str, count: int, last_mac: str, anchor_mac: str) -> None: ...


class FileAnchor:
    """An anchor kept in a small JSON file (written atomically)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def load_anchor(self, log_id: str) -> tuple[int, str, str] | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            entry = data[log_id]
            return int(entry["count"]), str(entry["last_mac"]), str(entry["mac"])
        except FileNotFoundError:
            return None
        except (KeyError, ValueError, TypeError, OSError):
            return None

    def store_anchor(self, log_id: str, count: int, last_mac: str, anchor_mac: str) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                data = {}
        except (OSError, ValueError):
            data = {}
        data[log_id] = {"count": count, "last_mac": last_mac, "mac": anchor_mac}
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, json.dumps(data).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)


@dataclass(frozen=True)
class Verification:
    ok: bool
    detail: str
    count: int = 0
    last_mac: str = GENESIS
    end: int = 0  # byte offset after the last good record
    torn_tail: bool = False


class AuditLog:
    """Append-only, HMAC-chained JSONL file; safe to share between threads and processes."""

    def __init__(self, path: Path, *, key_path: Path | None = None, anchor: AuditAnchor | None = None,
                 redact: Callable[[dict[str, Any]], dict[str, Any]] = redact_record) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.key_path = Path(key_path) if key_path is not None else self.path.parent / KEY_FILENAME
        self.anchor: AuditAnchor = anchor if anchor is not None else FileAnchor(
            self.path.with_name(self.path.name + ".anchor"))
        self.log_id = self.path.name
        self._redact = redact
        self._lock = threading.Lock()
        self._seq = 0
        self._last_mac = GENESIS
        self._end = 0
        self._anchored = 0  # the record count last saved in the anchor
        self._failure = ""
        self.notes: list[str] = []
        self._key = b""
        self._open()

    # -- state ------------------------------------------------------------------------------------

    @property
    def failure(self) -> str:
        """Why the log is blocked ("" when it verified)."""
        return self._failure

    def blocked_reason(self) -> str:
        """For the guard: non-empty while nothing may run."""
        if not self._failure:
            return ""
        return (f"the audit log failed verification ({self._failure}); nothing runs until you acknowledge "
                "it (command openagent.audit.acknowledge)")

    def _open(self) -> None:
        key_existed = self.key_path.exists()
        try:
            self._key, _created = load_or_create_key(self.key_path)
        except (OSError, AuditIntegrityError) as exc:
            self._failure = f"the audit key cannot be read: {exc}"
            return
        if not key_existed and self._has_content() and self._first_is_legacy():
            self._set_aside_legacy()
        with self._locked_file():
            result = self._verify_locked(repair=True)
        if not result.ok:
            self._failure = result.detail
            return
        if not key_existed and result.count:
            # Records MAC'ed with a key that is gone cannot have verified: unreachable, kept as a guard.
            self._failure = "the audit key was missing"
            return
        self._seq, self._last_mac, self._end = result.count, result.last_mac, result.end
        self._anchored = result.count

    def _has_content(self) -> bool:
        try:
            return self.path.stat().st_size > 0
        except FileNotFoundError:
            return False

    def _first_is_legacy(self) -> bool:
        """A log written before records carried MACs (a plain hash chain)."""
        try:
            with self.path.open("rb") as fh:
                first = json.loads(fh.readline())
        except (OSError, ValueError):
            return False
        return isinstance(first, dict) and "hash" in first and "mac" not in first

    def _set_aside_legacy(self) -> None:
        aside = self.path.with_name(f"{self.path.stem}.pre-hmac-{int(time.time())}{self.path.suffix}")
        os.replace(self.path, aside)
        self.notes.append(f"an audit log without MACs was kept as {aside.name}; a new chain starts")

    # -- files ------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked_file(self) -> Iterator[int]:
        """The log opened for appending, under an exclusive lock (other servers wait)."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise _write_error(f"{self.path} cannot be opened", exc) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)

    def _records_from(self, offset: int) -> Iterator[tuple[int, int, bytes]]:
        """(start, end, line) of every line from ``offset``; the last one may lack its newline."""
        with self.path.open("rb") as fh:
            fh.seek(offset)
            pos = offset
            for raw in fh:
                yield pos, pos + len(raw), raw
                pos += len(raw)

    def _anchor_mac(self, count: int, last_mac: str) -> str:
        return hmac.new(self._key, f"{self.log_id}|{count}|{last_mac}".encode(), hashlib.sha256).hexdigest()

    def _store_anchor(self, count: int, last_mac: str) -> None:
        self.anchor.store_anchor(self.log_id, count, last_mac, self._anchor_mac(count, last_mac))

    def _chain(self, offset: int, seq: int, prev: str) -> Verification:
        """Verify the records from ``offset`` on, continuing a chain at (seq, prev)."""
        count, end, lines = seq, offset, 0
        pending: list[tuple[int, int, bytes]] = list(self._records_from(offset)) if self.path.exists() else []
        for index, (_start, stop, raw) in enumerate(pending):
            lines += 1
            line = raw.strip()
            last = index == len(pending) - 1
            if not line:
                end = stop
                continue
            if last and not raw.endswith(b"\n"):
                try:
                    json.loads(line)
                except ValueError:  # a write cut short by a crash: only ever the very last line
                    return Verification(True, "torn last line", count, prev, end, torn_tail=True)
            where = f"record {count + 1}"
            try:
                obj = json.loads(line)
            except ValueError:
                return Verification(False, f"{where}: not valid JSON")
            if not isinstance(obj, dict) or "mac" not in obj:
                return Verification(False, f"{where}: not an audit record")
            if obj.get("seq") != count + 1:
                return Verification(False, f"{where}: sequence {obj.get('seq')} where {count + 1} was expected "
                                           "(record deleted, reordered or inserted)")
            if obj.get("prev_mac") != prev:
                return Verification(False, f"{where}: does not follow the record before it")
            if not hmac.compare_digest(record_mac(self._key, obj), str(obj["mac"])):
                return Verification(False, f"{where}: its MAC does not match (record edited or forged)")
            prev = str(obj["mac"])
            count += 1
            end = stop
        return Verification(True, f"{count} records verified", count, prev, end)

    def _verify_locked(self, *, repair: bool) -> Verification:
        result = self._chain(0, 0, GENESIS)
        if not result.ok:
            return result
        anchored = self.anchor.load_anchor(self.log_id)
        if anchored is None:
            if result.count:
                return Verification(False, f"the log holds {result.count} records but the record count kept "
                                           "elsewhere is missing")
        else:
            count, last_mac, mac = anchored
            if not hmac.compare_digest(self._anchor_mac(count, last_mac), mac):
                return Verification(False, "the record count kept elsewhere was altered")
            if result.count < count:
                return Verification(False, f"the log holds {result.count} records but {count} were written "
                                           "(truncated)")
            if result.count > count + 1:
                return Verification(False, f"the log holds {result.count} records but only {count} were written")
            if result.count == count and result.last_mac != last_mac:
                return Verification(False, "the last record is not the one written (log replaced)")
            if result.count == count + 1 and count and self._mac_at(count) != last_mac:
                return Verification(False, "the log does not continue the records written (log replaced)")
        if repair:
            if result.torn_tail:
                os.truncate(self.path, result.end)
                self.notes.append("a record cut short by a crash was removed from the end of the audit log")
            if anchored is None or anchored[0] != result.count:
                self._store_anchor(result.count, result.last_mac)
        ok_detail = f"{result.count} records verified"
        return Verification(True, ok_detail, result.count, result.last_mac, result.end)

    def _mac_at(self, seq: int) -> str:
        for _start, _stop, raw in self._records_from(0):
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            if isinstance(obj, dict) and obj.get("seq") == seq:
                return str(obj.get("mac", ""))
        return ""

    # -- API --------------------------------------------------------------------------------------

    def append(self, record: dict[str, Any]) -> dict[str, Any]:
        """Write one record; returns it with ``seq``, ``ts``, ``prev_mac`` and ``mac`` filled in.

        Raises ``AuditIntegrityError`` while the log is blocked and ``AuditWriteError`` when the record
        or its count cannot be saved: either way the caller must not act."""
        body = self._redact({k: v for k, v in dict(record).items() if k not in _RESERVED})
        with self._lock:
            if self._failure:
                raise AuditIntegrityError(self.blocked_reason())
            if self._anchored != self._seq:  # the count of the last record is still unsaved
                self._save_anchor()
            with self._locked_file() as fd:
                size = os.fstat(fd).st_size
                if size != self._end:
                    self._catch_up(fd, size)
                full: dict[str, Any] = {**body, "seq": self._seq + 1, "ts": time.time(), "prev_mac": self._last_mac}
                # Round-trip through JSON so the MAC covers exactly what is stored (tuples, Paths...).
                full = json.loads(json.dumps(full, ensure_ascii=False, default=str))
                full["mac"] = record_mac(self._key, full)
                data = (json.dumps(full, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
                self._write_record(fd, data)
                self._seq, self._last_mac, self._end = full["seq"], full["mac"], self._end + len(data)
            self._save_anchor()
            return full

    def _write_record(self, fd: int, data: bytes) -> None:
        """Write and fsync ``data`` at the end; on failure cut off whatever part of it reached the file."""
        try:
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
            os.fsync(fd)
        except OSError as exc:
            with contextlib.suppress(OSError):  # a torn tail would also be cut on the next open
                os.ftruncate(fd, self._end)
            raise _write_error(f"a record could not be saved in {self.path}", exc) from exc

    def _save_anchor(self) -> None:
        try:
            self._store_anchor(self._seq, self._last_mac)
        except Exception as exc:  # OSError, StorageError (locked, read-only, full)
            raise AuditWriteError(str(exc)) from exc
        self._anchored = self._seq

    def _catch_up(self, fd: int, size: int) -> None:
        """The file changed behind us: accept only records that continue our chain under our key
        (another server on this workspace appended them)."""
        result = self._chain(self._end, self._seq, self._last_mac) if size > self._end else None
        if result is not None and result.ok and result.torn_tail:
            os.ftruncate(fd, result.end)  # that server died in the middle of a write
            size = result.end
        if result is None or not result.ok or result.end != size:
            why = result.detail if result is not None and not result.ok else (
                "the audit log shrank or changed while the server was running")
            self._failure = why
            raise AuditIntegrityError(self.blocked_reason())
        self._seq, self._last_mac, self._end = result.count, result.last_mac, result.end

    def verify(self) -> tuple[bool, str]:
        """Check the whole chain and the anchor; (False, where-and-why) on the first problem."""
        with self._lock:
            if not self._key:
                return False, self._failure or "no audit key"
            with self._locked_file():
                result = self._verify_locked(repair=False)
            if result.ok and result.count < self._seq:
                result = Verification(False, f"the log holds {result.count} records but {self._seq} were written "
                                             "(truncated)")
            if not result.ok:
                self._failure = self._failure or result.detail
                return False, result.detail
            if result.torn_tail:
                return False, "the last record was cut short"
            return True, result.detail

    def acknowledge(self) -> str:
        """The user saw the failure: set the broken log aside and start a new chain saying why."""
        with self._lock:
            failure = self._failure
            if not failure:
                return ""
            aside = self.path.with_name(f"{self.path.stem}.failed-{int(time.time())}{self.path.suffix}")
            with contextlib.suppress(FileNotFoundError):
                os.replace(self.path, aside)
            if not self._key:
                self._key, _ = load_or_create_key(self.key_path)
            self._seq, self._last_mac, self._end, self._failure = 0, GENESIS, 0, ""
            self._store_anchor(0, GENESIS)
            self._anchored = 0
        self.append({"event": "audit_acknowledged", "failure": failure, "previous_log": aside.name})
        return aside.name

    def recent(self, n: int) -> list[dict[str, Any]]:
        """The last ``n`` records, oldest first."""
        if n <= 0:
            return []
        with self._lock:
            if not self.path.exists():
                return []
            out: deque[dict[str, Any]] = deque(maxlen=n)
            for _start, _stop, raw in self._records_from(0):
                try:
                    obj = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(obj, dict):
                    out.append(obj)
            return list(out)
