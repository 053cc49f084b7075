"""SIGKILL in the middle of writes, a few rounds (``make stress`` runs 100): the chat history database
stays intact and keeps every acknowledged turn, the HMAC-chained audit log verifies and holds the result
record of every acknowledged command; the server starts again on both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.kill_loop import audit_file, check_audit, failed, run_kill_loop

pytestmark = pytest.mark.timeout(600)


def test_sigkill_mid_write_loses_no_acknowledged_turn_or_audit_record(tmp_path: Path) -> None:
    figures = run_kill_loop(tmp_path, rounds=4, seed=4, check_audit_chain=True)
    print(json.dumps(figures.to_json(), indent=1))
    assert figures.kills == 4 and figures.turns_acknowledged > 0
    assert not failed(figures, check_audit_chain=True), figures.failures
    assert figures.audit_chain_failures == 0 and figures.acknowledged_audit_records_lost == 0


def test_the_audit_check_sees_an_edited_or_missing_record(tmp_path: Path) -> None:
    figures = run_kill_loop(tmp_path, rounds=1, seed=1, check_audit_chain=True)
    db, root = tmp_path / "state" / "history.sqlite3", tmp_path / "ws"
    path = audit_file(db, root)
    lines = path.read_text().splitlines()
    results = [n for n, line in enumerate(lines) if '"tool_result"' in line]
    assert figures.turns_acknowledged > 0 and results
    command = json.loads(lines[results[0]])["subject"]
    assert check_audit(path, db, [command])[:2] == (True, [])
    lines[results[0]] = lines[results[0]].replace(command, command + "x")
    path.write_text("".join(line + "\n" for line in lines))
    ok, lost, detail = check_audit(path, db, [command])
    assert not ok and "MAC does not match" in detail and lost == [command]
