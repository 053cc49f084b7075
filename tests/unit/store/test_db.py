"""Store: grants and conversations persist across reopen; schema migrations; URL parsing."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from openagent_lsp.errors import ConfigError, InvalidInputError
from openagent_lsp.policy.types import ApprovalAnswer
from openagent_lsp.store.db import SCHEMA_VERSION, Store, default_db_path, resolve_db_location
from openagent_lsp.tools.guard import Outcome, ToolGuard
from openagent_lsp.tools.testing import FakePolicyEngine, MemoryAuditLog, ScriptedApprover


def test_grants_persist_across_reopen(tmp_path: Path) -> None:
    db = tmp_path / "state" / "openagent.db"
    with Store(db) as store:
        store.add_grant("/ws/a", "pytest <args>")
        store.add_grant("/ws/a", "pytest <args>")  # idempotent
        store.add_grant("/ws/a", "write src/x.py", kind="file")
        store.add_grant("/ws/b", "make")
    with Store(db) as store:
        assert store.list_grants("/ws/a") == ["pytest <args>"]
        assert store.list_grants("/ws/a", kind="file") == ["write src/x.py"]
        assert store.list_grants("/ws/b") == ["make"]
        assert store.list_grants("/ws/c") == []
        assert store.revoke_grant("/ws/a", "pytest <args>") is True
        assert store.revoke_grant("/ws/a", "pytest <args>") is False
        assert store.clear_grants("/ws/b") == 1
    with Store(db) as store:
        assert store.list_grants("/ws/a") == [] and store.list_grants("/ws/b") == []
        assert [g["grant_key"] for g in store.grants()] == ["write src/x.py"]


def test_empty_grant_key_is_refused(tmp_path: Path) -> None:
    with Store(tmp_path / "db") as store, pytest.raises(InvalidInputError):
        store.add_grant("/ws", "")


def test_conversations_and_history_persist(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    with Store(db) as store:
        first = store.create_conversation("/ws")
        store.add_message(first, "user", "Why does   the test\nfail?")
        store.add_message(first, "assistant", "Because of X.")
        second = store.create_conversation("/ws", title="Refactor")
        store.add_message(second, "user", "go")
        store.create_conversation("/other")
    with Store(db) as store:
        history = store.get_history(first)
        assert [(m.role, m.content) for m in history] == [
            ("user", "Why does   the test\nfail?"),
            ("assistant", "Because of X."),
        ]
        assert history[0].as_chat() == {"role": "user", "content": "Why does   the test\nfail?"}
        assert [m.content for m in store.get_history(first, limit=1)] == ["Because of X."]
        convs = store.list_conversations("/ws")
        assert [c.id for c in convs] == [second, first]  # most recently updated first
        assert convs[1].title == "Why does the test fail?"  # from the first user message
        assert convs[0].title == "Refactor" and convs[0].message_count == 1
        assert len(store.list_conversations()) == 3
        store.add_message(first, "user", "more")
        assert store.list_conversations("/ws")[0].id == first
        assert store.rename_conversation(first, "Test failure")
        assert store.list_conversations("/ws")[0].title == "Test failure"
        assert store.delete_conversation(first)
        assert store.get_history(first) == []  # messages cascade
        assert not store.delete_conversation(first)


def test_bad_messages_are_refused(tmp_path: Path) -> None:
    with Store(tmp_path / "db") as store:
        cid = store.create_conversation()
        with pytest.raises(InvalidInputError, match="role"):
            store.add_message(cid, "wizard", "x")
        with pytest.raises(InvalidInputError, match="unknown conversation"):
            store.add_message("nope", "user", "x")


def test_ensure_conversation_accepts_client_ids(tmp_path: Path) -> None:
    with Store(tmp_path / "db") as store:
        assert store.ensure_conversation("client-1", "/ws") == "client-1"
        assert store.ensure_conversation("client-1", "/ws") == "client-1"
        store.add_message("client-1", "user", "hi")
        assert len(store.list_conversations()) == 1


def test_wal_and_schema_version(tmp_path: Path) -> None:
    db = tmp_path / "db"
    with Store(db) as store:
        assert store.schema_version == SCHEMA_VERSION
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(ConfigError, match="newer"):
        Store(db)


def test_migration_from_an_empty_file_creates_tables(tmp_path: Path) -> None:
    db = tmp_path / "db"
    sqlite3.connect(db).close()
    with Store(db) as store:
        tables = {r[0] for r in store._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"grants", "conversations", "messages"} <= tables


def test_concurrent_writers_from_threads(tmp_path: Path) -> None:
    with Store(tmp_path / "db") as store:
        cid = store.create_conversation()
        errors: list[BaseException] = []

        def write(n: int) -> None:
            try:
                for i in range(20):
                    store.add_message(cid, "user", f"{n}-{i}")
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(store.get_history(cid)) == 100


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///tmp/x.db", "/tmp/x.db"),
        ("sqlite:////tmp/x.db", "/tmp/x.db"),
        ("/tmp/y.db", "/tmp/y.db"),
        (":memory:", ":memory:"),
        ("sqlite:///:memory:", ":memory:"),
        ("sqlite://", ":memory:"),
    ],
)
def test_resolve_db_location(given: str, expected: str) -> None:
    assert resolve_db_location(given) == expected


def test_default_location_and_bad_urls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert resolve_db_location(None) == str(default_db_path())
    assert "openagent-lsp" in resolve_db_location(None)
    with pytest.raises(ConfigError):
        resolve_db_location("postgresql://host/db")
    with pytest.raises(ConfigError):
        resolve_db_location("sqlite:relative")


def test_in_memory_store() -> None:
    with Store(":memory:") as store:
        store.add_grant("/ws", "make")
        assert store.list_grants("/ws") == ["make"]


async def test_store_backs_the_guard_across_restarts(tmp_path: Path) -> None:
    db = tmp_path / "db"
    ws = tmp_path / "ws"
    ws.mkdir()
    engine = FakePolicyEngine()
    approver = ScriptedApprover([ApprovalAnswer.ALWAYS_ALLOW])
    with Store(db) as store:
        guard = ToolGuard(engine, approver, store, MemoryAuditLog(), ws)
        assert (await guard.authorize_command("pytest -q", None)).outcome is Outcome.APPROVED_ALWAYS
    with Store(db) as store:  # "server restart"
        guard = ToolGuard(engine, approver, store, MemoryAuditLog(), ws)
        assert (await guard.authorize_command("pytest -q", None)).outcome is Outcome.GRANTED
        assert not (await guard.authorize_command("pytest -x", None)).allowed
    assert len(approver.requests) == 2
