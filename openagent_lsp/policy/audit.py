"""Tamper-evident audit log: JSON Lines, each record hash-chained to the previous one.

Every field of a record (decision, exit code, subject, ...) is covered by its hash -- the seed
this project replaced left the decision and exit code outside the chain, so they could be edited
without detection. ``hash`` = sha256 over the canonical JSON (sorted keys, no spaces) of the
record without ``hash``; ``prev_hash`` links it to the record before. Editing, deleting,
reordering or truncating records in the middle breaks the chain and ``verify`` says where.
Records are flushed and fsync'ed before ``append`` returns, so an approved action is on disk
before it runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
_RESERVED = ("seq", "ts", "prev_hash", "hash")


def canonical(record: dict[str, Any]) -> bytes:
    body = {k: v for k, v in record.items() if k != "hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode(
        "utf-8"
    )


def record_hash(record: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(record)).hexdigest()


class AuditLog:
    """Append-only, hash-chained JSONL file; safe to share between threads of one process."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._seq, self._last_hash = self._tail()

    def _records(self) -> Iterator[dict[str, Any]]:
        """Every well-formed JSON object in the file, in order (blank and broken lines skipped)."""
        with self.path.open("rb") as fh:
            for raw in fh:
                line = raw.strip()
                if not line:
                    continue
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue
                if isinstance(obj, dict):
                    yield obj

    def _tail(self) -> tuple[int, str]:
        """Continue the chain from the last well-formed record of an existing file."""
        if not self.path.exists():
            return 0, GENESIS
        last: dict[str, Any] | None = None
        for obj in self._records():
            if "hash" in obj and "seq" in obj:
                last = obj
        if last is None:
            return 0, GENESIS
        return int(last["seq"]), str(last["hash"])

    def append(self, record: dict[str, Any]) -> dict[str, Any]:
        """Write one record; returns it with ``seq``, ``ts``, ``prev_hash`` and ``hash`` filled in."""
        body = {k: v for k, v in dict(record).items() if k not in _RESERVED}
        with self._lock:
            full: dict[str, Any] = {
                **body,
                "seq": self._seq + 1,
                "ts": time.time(),
                "prev_hash": self._last_hash,
            }
            # Round-trip through JSON so the hash covers exactly what is stored (tuples, Paths...).
            full = json.loads(json.dumps(full, ensure_ascii=False, default=str))
            full["hash"] = record_hash(full)
            line = json.dumps(full, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                data = line.encode("utf-8")
                written = 0
                while written < len(data):
                    written += os.write(fd, data[written:])
                os.fsync(fd)
            finally:
                os.close(fd)
            self._seq = full["seq"]
            self._last_hash = full["hash"]
            return full

    def verify(self) -> tuple[bool, str]:
        """Check the whole chain; (False, where-and-why) on the first broken link."""
        with self._lock:
            if not self.path.exists():
                return True, "empty log"
            prev = GENESIS
            expected_seq = 1
            count = 0
            with self.path.open("rb") as fh:
                for lineno, raw in enumerate(fh, start=1):
                    line = raw.strip()
                    if not line:
                        continue
                    try:
                        obj = json.loads(line)
                    except ValueError:
                        return False, f"line {lineno}: not valid JSON"
                    if not isinstance(obj, dict) or "hash" not in obj:
                        return False, f"line {lineno}: not an audit record"
                    if obj.get("seq") != expected_seq:
                        return (
                            False,
                            f"line {lineno}: sequence {obj.get('seq')} where {expected_seq} was expected "
                            "(record deleted, reordered or inserted)",
                        )
                    if obj.get("prev_hash") != prev:
                        return False, f"line {lineno}: prev_hash does not match the previous record"
                    if record_hash(obj) != obj["hash"]:
                        return False, f"line {lineno}: content does not match its hash (record edited)"
                    prev = obj["hash"]
                    expected_seq += 1
                    count += 1
            if count != self._seq and self._seq:
                return False, f"the log holds {count} records but {self._seq} were written (truncated)"
            return True, f"{count} records verified"

    def recent(self, n: int) -> list[dict[str, Any]]:
        """The last ``n`` records, oldest first."""
        if n <= 0:
            return []
        with self._lock:
            if not self.path.exists():
                return []
            return list(deque(self._records(), maxlen=n))
