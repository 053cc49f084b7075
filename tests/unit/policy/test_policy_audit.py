"""AuditLog: hash chain over every field, tamper detection, reopen, threads."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from openagent_lsp.policy.audit import AuditLog, record_hash


def _lines(p: Path) -> list[str]:
    return p.read_text().splitlines()


def _write(p: Path, lines: list[str]) -> None:
    p.write_text("".join(line + "\n" for line in lines))


def _fill(path: Path, n: int = 5) -> AuditLog:
    log = AuditLog(path)
    for i in range(n):
        log.append({"event": "tool_result", "subject": f"cmd {i}", "decision": "allow", "exit_code": i})
    return log


def test_records_are_chained_and_hash_everything(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    a = log.append({"subject": "ls", "decision": "allow", "exit_code": 0})
    b = log.append(
        {"subject": "rm x", "decision": "require_approval", "exit_code": 1, "seq": 99, "hash": "x"}
    )
    assert (a["seq"], b["seq"]) == (1, 2)
    assert b["prev_hash"] == a["hash"]
    assert a["hash"] == record_hash(a)
    changed = dict(a, exit_code=1)
    assert record_hash(changed) != a["hash"]  # the exit code is inside the hash
    changed = dict(a, decision="deny")
    assert record_hash(changed) != a["hash"]  # so is the decision
    assert log.verify() == (True, "2 records verified")


def test_edit_is_detected(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    _fill(p)
    lines = _lines(p)
    rec = json.loads(lines[2])
    rec["exit_code"] = 0 if rec["exit_code"] else 1
    lines[2] = json.dumps(rec)
    _write(p, lines)
    ok, why = AuditLog(p).verify()
    assert not ok and "line 3" in why and "edited" in why


def test_decision_edit_even_with_rehash_breaks_the_chain(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    _fill(p)
    lines = _lines(p)
    rec = json.loads(lines[1])
    rec["decision"] = "deny"
    rec["hash"] = record_hash(rec)  # an attacker who recomputes one hash still breaks the next link
    lines[1] = json.dumps(rec)
    _write(p, lines)
    ok, why = AuditLog(p).verify()
    assert not ok and "line 3" in why


def test_deletion_reorder_truncation_detected(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    _fill(p)
    original = _lines(p)
    _write(p, original[:2] + original[3:])
    assert not AuditLog(p).verify()[0]
    _write(p, [original[0], original[2], original[1], *original[3:]])
    assert not AuditLog(p).verify()[0]
    _write(p, original[:1] + original[1:4])  # same file object cannot notice a tail cut, a live log can:
    live = _fill(tmp_path / "b.jsonl")
    blines = _lines(tmp_path / "b.jsonl")
    _write(tmp_path / "b.jsonl", blines[:3])
    ok, why = live.verify()
    assert not ok and "truncated" in why
    _write(p, [*original[:2], "not json", *original[2:]])
    assert not AuditLog(p).verify()[0]


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
