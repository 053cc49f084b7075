"""Kill the real server with SIGKILL in the middle of writes, again and again, and check what survived.

Each round starts the server on the same state (chat history database, audit log, workspace), pipelines
chat turns that write (``/run echo ...``: two history messages and audit records each, no model needed),
waits for a random number of them to be acknowledged and then kills the server's process group with
SIGKILL while the rest are in flight. After each kill the database must pass ``PRAGMA integrity_check``
and hold every acknowledged turn. The HMAC-chained audit log is checked the same way: opened as the server
opens it (its key, its record count in the database; a torn last line and one record ahead of the count
are what a crash may leave and are accepted), the chain must verify and every acknowledged command must
have its ``tool_result`` record. ``check_audit=True`` makes those count as failures.

Used by ``tests/integration/test_kill_loop.py`` (a few rounds) and ``benchmarks/kill_loop.py`` (100 rounds).
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.lsp import server_env
from tests.support.raw_lsp import ServerDied, encode, start_initialized


@dataclass
class KillFigures:
    kills: int = 0
    turns_sent: int = 0
    turns_acknowledged: int = 0
    db_integrity_failures: int = 0
    acknowledged_turns_lost: int = 0
    audit_chain_failures: int = 0
    acknowledged_audit_records_lost: int = 0
    restart_failures: int = 0
    failures: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "failures"} | {"failures": self.failures[:10]}


def audit_file(db: Path, root: Path) -> Path:
    """Where the server keeps this workspace's audit log (next to the database)."""
    from openagent_lsp.store.layout import StateLayout

    return StateLayout.for_workspace(str(db), root.resolve()).audit_log


def check_database(db: Path, acknowledged: list[str]) -> tuple[bool, list[str]]:
    """(integrity ok, acknowledged commands missing from the history)."""
    if not db.exists():  # killed before the first write created it
        return True, list(acknowledged)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in conn.execute("SELECT content FROM messages WHERE role = 'user'")}
    finally:
        conn.close()
    return ok, [c for c in acknowledged if f"/run {c}" not in stored]


def check_audit(path: Path, db: Path, acknowledged: list[str]) -> tuple[bool, list[str], str]:
    """(chain verifies, acknowledged commands without their result record, what verification said)."""
    if not path.exists():  # killed before the first record
        return True, list(acknowledged), "no audit log"
    from openagent_lsp.policy.audit import AuditLog
    from openagent_lsp.store.db import Store

    with Store(db) as store:
        log = AuditLog(path, key_path=path.parent / "audit.key", anchor=store)
        ok, detail = (False, log.failure) if log.failure else log.verify()
    subjects: set[str] = set()
    for raw in path.read_bytes().splitlines():
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("event") == "tool_result":
            subjects.add(str(record.get("subject", "")))
    return ok, [c for c in acknowledged if c not in subjects], detail


def run_kill_loop(tmp: Path, rounds: int, seed: int, *, check_audit_chain: bool = False,
                  pipelined: int = 8) -> KillFigures:
    rng = random.Random(seed)
    figures = KillFigures()
    state, root = tmp / "state", tmp / "ws"
    state.mkdir(parents=True, exist_ok=True)
    root.mkdir(parents=True, exist_ok=True)
    db = state / "history.sqlite3"
    env = server_env(tmp, "unused", OPENAGENT_DATABASE_URL=str(db), OPENAGENT_PRELOAD_MODEL="false")
    acknowledged: list[str] = []
    audit_pending: list[str] = []  # acknowledged commands whose audit record was not yet reported lost
    for round_no in range(rounds):
        try:
            server = start_initialized(env, root, stderr_path=tmp / "server.stderr")
        except (TimeoutError, ServerDied, AssertionError) as exc:
            figures.restart_failures += 1
            figures.failures.append(f"round {round_no}: restart failed: {exc}")
            continue
        try:
            ids = []
            for n in range(pipelined):
                command = f"echo round-{round_no}-turn-{n}"
                msg_id = server.new_id()
                server.send_raw(encode({"jsonrpc": "2.0", "id": msg_id, "method": "workspace/executeCommand",
                                        "params": {"command": "openagent.chat", "arguments": [
                                            {"message": f"/run {command}", "conversationId": f"kill-{round_no}"}]}}))
                ids.append((msg_id, command))
                figures.turns_sent += 1
            wait_for = rng.randint(0, pipelined - 1)  # kill while the later turns are still being written
            for msg_id, command in ids[:wait_for]:
                reply = server.wait_response(msg_id, 60)
                if reply.get("result", {}).get("ok"):
                    acknowledged.append(command)
                    audit_pending.append(command)
                    figures.turns_acknowledged += 1
            # Turns answered by now (the reader may have more than we waited for) count as acknowledged too.
            for msg_id, command in ids[wait_for:]:
                if server.response_count(msg_id) and server.wait_response(msg_id, 1).get("result", {}).get("ok"):
                    acknowledged.append(command)
                    audit_pending.append(command)
                    figures.turns_acknowledged += 1
        finally:
            server.close()  # SIGKILL to the whole process group
        figures.kills += 1
        ok, lost = check_database(db, acknowledged)
        if not ok:
            figures.db_integrity_failures += 1
            figures.failures.append(f"round {round_no}: integrity_check failed")
        if lost:
            figures.acknowledged_turns_lost += len(lost)
            figures.failures.append(f"round {round_no}: acknowledged turns lost: {lost[:3]}")
            acknowledged = [c for c in acknowledged if c not in lost]
        chain_ok, audit_lost, detail = check_audit(audit_file(db, root), db, audit_pending)
        if not chain_ok:
            figures.audit_chain_failures += 1
            if check_audit_chain:
                figures.failures.append(f"round {round_no}: audit chain: {detail}")
        if audit_lost:
            figures.acknowledged_audit_records_lost += len(audit_lost)
            if check_audit_chain:
                figures.failures.append(f"round {round_no}: audit records lost: {audit_lost[:3]}")
            audit_pending = [c for c in audit_pending if c not in audit_lost]
    # After the last kill the server still starts and reads the history.
    try:
        server = start_initialized(env, root, stderr_path=tmp / "server.stderr")
        try:
            reply = server.request("workspace/executeCommand", {"command": "openagent.chat.list", "arguments": []},
                                   timeout=60)
            if "result" not in reply:
                figures.restart_failures += 1
                figures.failures.append(f"final restart: chat.list answered {reply}")
        finally:
            server.close()
    except (TimeoutError, ServerDied, AssertionError) as exc:
        figures.restart_failures += 1
        figures.failures.append(f"final restart failed: {exc}")
    return figures


def failed(figures: KillFigures, check_audit_chain: bool) -> bool:
    bad = figures.db_integrity_failures or figures.acknowledged_turns_lost or figures.restart_failures
    if check_audit_chain:
        bad = bad or figures.audit_chain_failures or figures.acknowledged_audit_records_lost
    return bool(bad)


def elapsed_since(started: float) -> float:
    return round(time.monotonic() - started, 1)
