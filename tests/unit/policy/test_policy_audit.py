"""AuditLog: HMAC chain over every field, a record count kept elsewhere, and what a tamperer or a crash
can do to it -- edits, forged and re-chained records, truncation, a replaced anchor, a lost key, kill -9
in the middle of a write -- each detected or survived as the module says."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from openagent_lsp.policy.audit import (
    GENESIS,
    AuditIntegrityError,
    AuditLog,
    FileAnchor,
    canonical,
    record_mac,
)

pytestmark = pytest.mark.timeout(120)


def _lines(p: Path) -> list[str]:
    return p.read_text().splitlines()


def _write(p: Path, lines: list[str]) -> None:
    p.write_text("".join(line + "\n" for line in lines))


def _fill(path: Path, n: int = 5) -> AuditLog:
    log = AuditLog(path)
    for i in range(n):
        log.append({"event": "tool_result", "subject": f"cmd {i}", "decision": "allow", "exit_code": i})
    return log


def _key(path: Path) -> bytes:
    return (path.parent / "audit.key").read_bytes()


def test_records_are_chained_and_every_field_is_inside_the_mac(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    a = log.append({"subject": "ls", "decision": "allow", "exit_code": 0})
    b = log.append({"subject": "rm x", "decision": "require_approval", "exit_code": 1, "seq": 99, "mac": "x"})
    assert (a["seq"], b["seq"]) == (1, 2)
    assert a["prev_mac"] == GENESIS and b["prev_mac"] == a["mac"]
    key = _key(path)
    assert a["mac"] == record_mac(key, a)
    assert record_mac(key, dict(a, exit_code=1)) != a["mac"]  # the exit code is inside the MAC
    assert record_mac(key, dict(a, decision="deny")) != a["mac"]  # so is the decision
    assert log.verify() == (True, "2 records verified")


def test_the_key_is_private_to_the_user(tmp_path: Path) -> None:
    AuditLog(tmp_path / "audit.jsonl")
    mode = stat.S_IMODE((tmp_path / "audit.key").stat().st_mode)
    assert mode == 0o600 and (tmp_path / "audit.key").stat().st_size == 32


def test_an_edited_record_is_detected(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    _fill(p)
    lines = _lines(p)
    rec = json.loads(lines[2])
    rec["exit_code"] = 0 if rec["exit_code"] else 1
    lines[2] = json.dumps(rec)
    _write(p, lines)
    log = AuditLog(p)
    assert "record 3" in log.failure and "MAC" in log.failure
    assert log.verify()[0] is False


def test_rechaining_with_plain_hashes_is_detected(tmp_path: Path) -> None:
    """The attack a plain hash chain could not see: edit, then recompute every link after it."""
    p = tmp_path / "a.jsonl"
    _fill(p)
    prev = GENESIS
    rechained = []
    for line in _lines(p):
        rec = json.loads(line)
        rec["decision"] = "deny"
        rec["prev_mac"] = prev
        rec["mac"] = hashlib.sha256(canonical(rec)).hexdigest()
        prev = rec["mac"]
        rechained.append(json.dumps(rec))
    _write(p, rechained)
    log = AuditLog(p)
    assert "record 1" in log.failure and "MAC" in log.failure


def test_a_record_forged_with_another_key_is_detected(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    log = _fill(p, 3)
    last = log.recent(1)[0]
    forged = {"event": "tool_decision", "subject": "curl evil | sh", "outcome": "allowed", "seq": 4, "ts": time.time(),
              "prev_mac": last["mac"]}
    forged["mac"] = record_mac(os.urandom(32), forged)
    with p.open("a") as fh:
        fh.write(json.dumps(forged) + "\n")
    reopened = AuditLog(p)
    assert "record 4" in reopened.failure


def test_deletion_and_reordering_in_the_middle_are_detected(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    _fill(p)
    original = _lines(p)
    _write(p, original[:2] + original[3:])
    assert "sequence" in AuditLog(p).failure
    _write(p, [original[0], original[2], original[1], *original[3:]])
    assert AuditLog(p).failure
    _write(p, [*original[:2], "not json", *original[2:]])
    assert "not valid JSON" in AuditLog(p).failure


def test_truncation_is_detected_after_a_restart_and_while_running(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    live = _fill(p)
    original = _lines(p)
    _write(p, original[:3])  # a valid chain, two records short
    ok, why = live.verify()
    assert not ok and "truncated" in why
    restarted = AuditLog(p)
    assert "truncated" in restarted.failure and "3 records" in restarted.failure
    _write(p, [])
    assert "truncated" in AuditLog(p).failure
    p.unlink()
    assert "truncated" in AuditLog(p).failure


def test_a_lowered_record_count_is_detected(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    _fill(p)
    anchor = p.with_name(p.name + ".anchor")
    data = json.loads(anchor.read_text())
    data[p.name]["count"] = 3  # the tamperer cuts the log and the count, but cannot re-MAC the count
    anchor.write_text(json.dumps(data))
    _write(p, _lines(p)[:3])
    assert "altered" in AuditLog(p).failure


def test_a_replaced_log_is_detected(tmp_path: Path) -> None:
    """An older copy of the same log (valid MACs, same key) put back with the current count missing."""
    p = tmp_path / "a.jsonl"
    log = _fill(p, 3)
    old_copy = p.read_text()
    log.append({"event": "x"})
    log.append({"event": "y"})
    p.write_text(old_copy)
    assert "truncated" in AuditLog(p).failure


def test_a_lost_key_or_anchor_is_detected(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    _fill(p)
    (tmp_path / "audit.key").unlink()
    assert AuditLog(p).failure
    q = tmp_path / "b" / "b.jsonl"
    _fill(q)
    q.with_name(q.name + ".anchor").unlink()
    assert "missing" in AuditLog(q).failure


def test_a_log_from_before_macs_is_set_aside_and_a_new_chain_starts(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    p.write_text(json.dumps({"seq": 1, "hash": "ab" * 32, "prev_hash": GENESIS, "event": "old"}) + "\n")
    log = AuditLog(p)
    assert log.failure == "" and any("without MACs" in n for n in log.notes)
    assert list(tmp_path.glob("a.pre-hmac-*.jsonl"))
    assert log.append({"event": "new"})["seq"] == 1


def test_reopen_continues_the_chain(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    _fill(p, 3)
    log = AuditLog(p)
    rec = log.append({"subject": "after reopen"})
    assert rec["seq"] == 4
    assert log.verify()[0]
    assert [r["seq"] for r in log.recent(2)] == [3, 4]
    assert log.recent(0) == []
    assert len(log.recent(100)) == 4


def test_a_failed_log_refuses_appends_until_acknowledged(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    _fill(p)
    _write(p, _lines(p)[:2])
    log = AuditLog(p)
    assert "acknowledge" in log.blocked_reason()
    with pytest.raises(AuditIntegrityError):
        log.append({"event": "anything"})
    aside = log.acknowledge()
    assert (tmp_path / aside).exists()
    assert log.blocked_reason() == ""
    first = log.recent(1)[0]
    assert first["event"] == "audit_acknowledged" and "truncated" in first["failure"]
    assert log.append({"event": "next"})["seq"] == 2
    assert AuditLog(p).failure == "" and log.verify()[0]


def test_a_change_behind_a_running_log_blocks_it(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    log = _fill(p, 3)
    lines = _lines(p)
    rec = json.loads(lines[-1])
    rec["exit_code"] = 99
    lines[-1] = json.dumps(rec)
    _write(p, lines)  # same number of records, different bytes
    with pytest.raises(AuditIntegrityError):
        log.append({"event": "next"})
    assert log.blocked_reason()


def test_records_of_another_server_on_the_same_log_are_accepted(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    one, two = AuditLog(p), AuditLog(p)
    for i in range(3):
        one.append({"from": "one", "i": i})
        two.append({"from": "two", "i": i})
    assert [r["seq"] for r in one.recent(10)] == list(range(1, 7))
    assert one.verify()[0] and two.verify()[0] and AuditLog(p).failure == ""


def test_a_torn_last_line_from_a_crash_is_cut_off(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    _fill(p, 3)
    with p.open("a") as fh:
        fh.write('{"event":"tool_decision","seq":4,"subj')  # the write a kill -9 interrupted
    log = AuditLog(p)
    assert log.failure == "" and any("cut short" in n for n in log.notes)
    assert log.append({"event": "after crash"})["seq"] == 4
    assert log.verify()[0]


def test_a_broken_line_that_is_not_the_last_is_tampering(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    _fill(p, 3)
    lines = _lines(p)
    _write(p, [lines[0], lines[1][:20], lines[2]])
    assert AuditLog(p).failure


def test_a_crash_between_record_and_count_is_survived(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    anchor = p.with_name(p.name + ".anchor")
    log = _fill(p, 3)
    before = anchor.read_text()
    log.append({"event": "record written, count not yet"})
    anchor.write_text(before)  # as if the process died between the two writes
    reopened = AuditLog(p)
    assert reopened.failure == ""
    assert FileAnchor(anchor).load_anchor(p.name)[0] == 4  # repaired
    assert reopened.append({"event": "go on"})["seq"] == 5


_WRITER = """
import sys
from pathlib import Path
from openagent_lsp.policy.audit import AuditLog
log = AuditLog(Path(sys.argv[1]))
i = 0
while True:
    i += 1
    log.append({"event": "tool_decision", "subject": "x" * 2000, "i": i})
"""


def test_kill_9_in_the_middle_of_writing_is_survived(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[3]), *sys.path])}
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(p)], env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (p.exists() and p.stat().st_size > 50 * 2000):
            assert proc.poll() is None, "the writer died on its own"
            assert time.monotonic() < deadline, "the writer wrote nothing"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    log = AuditLog(p)
    assert log.failure == "", log.failure
    seq = log.append({"event": "after restart"})["seq"]
    assert seq > 10 and log.verify() == (True, f"{seq} records verified")


def test_thread_safety(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "t.jsonl")

    def worker(k: int) -> None:
        for i in range(25):
            log.append({"worker": k, "i": i})

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert log.verify() == (True, "200 records verified")
    assert sorted(r["seq"] for r in log.recent(1000)) == list(range(1, 201))


def test_the_store_keeps_the_count_in_its_own_file(tmp_path: Path) -> None:
    from openagent_lsp.store.db import Store

    with Store(tmp_path / "state.sqlite3") as store:
        p = tmp_path / "audit" / "ws.jsonl"
        log = AuditLog(p, anchor=store)
        for i in range(4):
            log.append({"i": i})
        assert store.load_anchor(p.name)[0] == 4
        _write(p, _lines(p)[:2])
        assert "truncated" in AuditLog(p, anchor=store).failure


def test_secrets_are_masked_before_the_mac_so_the_chain_verifies(tmp_path: Path) -> None:
    token = "ghp_" + "R3alLook1ngT0kenAbCdEfGhIjKlMnOpQrSt12"
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    written = log.append({"event": "tool_decision", "subject": f"curl -H 'Authorization: token {token}' x",
                          "reason": f"uses {token}", "output": [f"echo {token}"], "exit_code": 0})
    assert token not in path.read_text()
    assert written["subject"] == f"curl -H 'Authorization: token {'*' * len(token)}' x"  # still recognisable
    assert written["exit_code"] == 0 and written["mac"] == record_mac(_key(path), json.loads(_lines(path)[0]))
    assert log.verify()[0] and AuditLog(path).failure == ""
