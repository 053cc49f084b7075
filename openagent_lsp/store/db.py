"""SQLite persistence: "always allow" grants per workspace, chat conversations and their messages.

Why plain ``sqlite3``: one local file, no server, in the standard library. WAL lets readers (the UI
listing conversations) proceed while the agent writes. One connection shared under a lock keeps the
store usable from the event loop and from worker threads alike; every operation is a short
transaction. The schema version lives in ``PRAGMA user_version`` and is migrated forward on open.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from openagent_lsp.errors import ConfigError, InvalidInputError, StorageError
from openagent_lsp.policy.types import ToolKind

APP_NAME = "openagent-lsp"
DEFAULT_FILENAME = "openagent.db"
MEMORY = ":memory:"
ROLES = frozenset({"system", "user", "assistant", "tool"})
TITLE_LENGTH = 80


def default_db_path() -> Path:
    """``<user state dir>/openagent.db`` (e.g. ~/.local/state/openagent-lsp/openagent.db)."""
    import platformdirs

    return Path(platformdirs.user_state_dir(APP_NAME)) / DEFAULT_FILENAME


def resolve_db_location(url_or_path: str | Path | None) -> str:
    """Accept ``None`` (default file), a plain path, ``:memory:`` or ``sqlite:///path``.

    ``sqlite:///abs/path`` and SQLAlchemy's ``sqlite:////abs/path`` both mean ``/abs/path``;
    ``sqlite:///:memory:`` and ``sqlite://`` mean an in-memory database.
    """
    if url_or_path is None:
        return str(default_db_path())
    text = str(url_or_path).strip()
    if not text:
        return str(default_db_path())
    if text.startswith("sqlite:"):
        if not text.startswith("sqlite://"):
            raise ConfigError(f"invalid database URL {text!r}: expected sqlite:///path")
        rest = text[len("sqlite://"):]
        if rest in ("", "/", "/:memory:", ":memory:"):
            return MEMORY
        while rest.startswith("//"):
            rest = rest[1:]
        return str(Path(rest).expanduser())
    if "://" in text:
        raise ConfigError(f"unsupported database URL {text!r}: only sqlite:///path is supported")
    if text == MEMORY:
        return MEMORY
    return str(Path(text).expanduser())


@dataclass(frozen=True)
class ConversationSummary:
    id: str
    title: str
    workspace: str
    created_at: float
    updated_at: float
    message_count: int


@dataclass(frozen=True)
class StoredMessage:
    id: int
    conversation_id: str
    role: str
    content: str
    created_at: float

    def as_chat(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    # Not executescript(): it commits first, which would take the migration out of its transaction.
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _migrate_1(conn: sqlite3.Connection) -> None:
    _run_script(
        conn,
        """
        CREATE TABLE grants (
            workspace  TEXT NOT NULL,
            kind       TEXT NOT NULL DEFAULT 'command',
            grant_key  TEXT NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (workspace, kind, grant_key)
        );
        CREATE TABLE conversations (
            id         TEXT PRIMARY KEY,
            workspace  TEXT NOT NULL DEFAULT '',
            title      TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE INDEX conversations_by_update ON conversations (workspace, updated_at DESC);
        CREATE TABLE messages (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            role            TEXT NOT NULL,
            content         TEXT NOT NULL,
            created_at      REAL NOT NULL
        );
        CREATE INDEX messages_by_conversation ON messages (conversation_id, id);
        """
    )


def _migrate_2(conn: sqlite3.Connection) -> None:
    # The audit log's record count and last MAC, kept apart from the log (see policy/audit.py), and a
    # MAC on every grant (see store/grants.py).
    _run_script(
        conn,
        """
        CREATE TABLE audit_anchors (
            log_id   TEXT PRIMARY KEY,
            count    INTEGER NOT NULL,
            last_mac TEXT NOT NULL,
            mac      TEXT NOT NULL
        );
        ALTER TABLE grants ADD COLUMN mac TEXT NOT NULL DEFAULT '';
        """,
    )


# Append only: index i migrates user_version i -> i + 1.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_migrate_1, _migrate_2]
SCHEMA_VERSION = len(MIGRATIONS)


class Store:
    """Grants and chat history. Thread-safe; implements the guard's ``GrantStore`` protocol."""

    def __init__(self, location: str | Path | None = None, busy_timeout_s: float = 10.0) -> None:
        self.location = resolve_db_location(location)
        if self.location != MEMORY:
            Path(self.location).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self._conn = sqlite3.connect(
                self.location, check_same_thread=False, isolation_level=None, timeout=busy_timeout_s
            )
        except sqlite3.Error as exc:
            raise ConfigError(f"cannot open database {self.location}: {exc}") from exc
        self._conn.row_factory = sqlite3.Row
        with _storage_errors(self.location, "open the database"):
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            if self.location != MEMORY:
                self._conn.execute("PRAGMA journal_mode = WAL")
                self._conn.execute("PRAGMA synchronous = NORMAL")
        self._migrate()

    # -- lifecycle ------------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        with self._read() as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def _tx(self, what: str = "chat history") -> Iterator[sqlite3.Connection]:
        """One write transaction; a failure (locked, read-only, full) rolls back and says which."""
        with self._lock, _storage_errors(self.location, "save", what):
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")  # inside the try: a COMMIT that fails (disk full) rolls back
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
                raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock, _storage_errors(self.location, "read"):
            yield self._conn

    def _migrate(self) -> None:
        with self._tx() as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise ConfigError(
                    f"database {self.location} has schema version {version}, newer than this "
                    f"openagent-lsp supports ({SCHEMA_VERSION}); upgrade openagent-lsp"
                )
            for index in range(version, SCHEMA_VERSION):
                MIGRATIONS[index](conn)
                conn.execute(f"PRAGMA user_version = {index + 1}")

    # -- grants ("always allow") ------------------------------------------------------------------

    def add_grant(self, workspace: str, grant_key: str, kind: ToolKind = ToolKind.COMMAND, mac: str = "") -> None:
        if not grant_key:
            raise InvalidInputError("an empty grant key cannot be stored")
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO grants (workspace, kind, grant_key, created_at, mac) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(workspace, kind, grant_key) DO UPDATE SET mac = excluded.mac",
                (str(workspace), kind, grant_key, time.time(), mac),
            )

    def grant_rows(self, workspace: str, kind: ToolKind = ToolKind.COMMAND) -> list[tuple[str, str]]:
        """(grant_key, mac) of every grant of ``workspace``, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT grant_key, mac FROM grants WHERE workspace = ? AND kind = ? ORDER BY created_at, grant_key",
                (str(workspace), kind),
            ).fetchall()
        return [(row["grant_key"], row["mac"]) for row in rows]

    def list_grants(self, workspace: str, kind: ToolKind = ToolKind.COMMAND) -> list[str]:
        with self._read():
            rows = self._conn.execute(
                "SELECT grant_key FROM grants WHERE workspace = ? AND kind = ?"
                " ORDER BY created_at, grant_key",
                (str(workspace), kind),
            ).fetchall()
        return [row["grant_key"] for row in rows]

    def grants(self, workspace: str | None = None) -> list[dict[str, object]]:
        """Every grant (optionally of one workspace), for a "manage permissions" view."""
        query = "SELECT workspace, kind, grant_key, created_at FROM grants"
        params: tuple[str, ...] = ()
        if workspace is not None:
            query += " WHERE workspace = ?"
            params = (str(workspace),)
        with self._read():
            rows = self._conn.execute(query + " ORDER BY workspace, created_at", params).fetchall()
        return [dict(row) for row in rows]

    def revoke_grant(self, workspace: str, grant_key: str, kind: ToolKind = ToolKind.COMMAND) -> bool:
        with self._tx() as conn:
            cur = conn.execute(
                "DELETE FROM grants WHERE workspace = ? AND kind = ? AND grant_key = ?",
                (str(workspace), kind, grant_key),
            )
        return cur.rowcount > 0

    def clear_grants(self, workspace: str) -> int:
        with self._tx() as conn:
            cur = conn.execute("DELETE FROM grants WHERE workspace = ?", (str(workspace),))
        return cur.rowcount

    # -- audit anchors (policy.audit.AuditAnchor) -------------------------------------------------

    def load_anchor(self, log_id: str) -> tuple[int, str, str] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT count, last_mac, mac FROM audit_anchors WHERE log_id = ?", (log_id,)
            ).fetchone()
        return None if row is None else (int(row["count"]), str(row["last_mac"]), str(row["mac"]))

    def store_anchor(self, log_id: str, count: int, last_mac: str, anchor_mac: str) -> None:
        with self._tx("the audit record count") as conn:
            conn.execute(
                "INSERT INTO audit_anchors (log_id, count, last_mac, mac) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(log_id) DO UPDATE SET count = excluded.count, last_mac = excluded.last_mac,"
                " mac = excluded.mac",
                (log_id, int(count), last_mac, anchor_mac),
            )

    # -- conversations ----------------------------------------------------------------------------

    def create_conversation(
        self, workspace: str = "", title: str = "", conversation_id: str | None = None
    ) -> str:
        cid = conversation_id or uuid.uuid4().hex
        now = time.time()
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO conversations (id, workspace, title, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (cid, str(workspace), title[:TITLE_LENGTH], now, now),
            )
        return cid

    def ensure_conversation(self, conversation_id: str, workspace: str = "") -> str:
        """Create the conversation if it does not exist yet (clients may pick their own ids)."""
        with self._read():
            exists = self._conn.execute(
                "SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
        if not exists:
            with contextlib.suppress(sqlite3.IntegrityError):  # created concurrently
                self.create_conversation(workspace, conversation_id=conversation_id)
        return conversation_id

    def add_message(self, conversation_id: str, role: str, content: str) -> int:
        if role not in ROLES:
            raise InvalidInputError(f"role: must be one of {sorted(ROLES)}, got {role!r}")
        now = time.time()
        with self._tx() as conn:
            row = conn.execute("SELECT title FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
            if row is None:
                raise InvalidInputError(f"unknown conversation: {conversation_id}")
            cur = conn.execute(
                "INSERT INTO messages (conversation_id, role, content, created_at) VALUES (?, ?, ?, ?)",
                (conversation_id, role, content, now),
            )
            if not row["title"] and role == "user":
                conn.execute(
                    "UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?",
                    (_title_from(content), now, conversation_id),
                )
            else:
                conn.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id))
        return int(cur.lastrowid or 0)

    def get_history(self, conversation_id: str, limit: int | None = None) -> list[StoredMessage]:
        """Messages oldest first; with ``limit``, only the latest ``limit`` messages."""
        with self._read():
            if limit is None:
                rows = self._conn.execute(
                    "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,)
                ).fetchall()
            else:
                rows = self._conn.execute(
                    "SELECT * FROM (SELECT * FROM messages WHERE conversation_id = ?"
                    " ORDER BY id DESC LIMIT ?) ORDER BY id",
                    (conversation_id, int(limit)),
                ).fetchall()
        return [
            StoredMessage(
                id=row["id"],
                conversation_id=row["conversation_id"],
                role=row["role"],
                content=row["content"],
                created_at=row["created_at"],
            )
            for row in rows
        ]

    def list_conversations(self, workspace: str | None = None, limit: int = 50) -> list[ConversationSummary]:
        """Most recently updated first."""
        query = (
            "SELECT c.*, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS n "
            "FROM conversations c"
        )
        params: list[object] = []
        if workspace is not None:
            query += " WHERE c.workspace = ?"
            params.append(str(workspace))
        query += " ORDER BY c.updated_at DESC, c.rowid DESC LIMIT ?"
        params.append(int(limit))
        with self._read():
            rows = self._conn.execute(query, params).fetchall()
        return [
            ConversationSummary(
                id=row["id"],
                title=row["title"] or "(untitled)",
                workspace=row["workspace"],
                created_at=row["created_at"],
                updated_at=row["updated_at"],
                message_count=row["n"],
            )
            for row in rows
        ]

    def rename_conversation(self, conversation_id: str, title: str) -> bool:
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE conversations SET title = ? WHERE id = ?", (title[:TITLE_LENGTH], conversation_id)
            )
        return cur.rowcount > 0

    def delete_conversation(self, conversation_id: str) -> bool:
        with self._tx() as conn:
            cur = conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
        return cur.rowcount > 0


def _title_from(content: str) -> str:
    line = " ".join(content.split())
    return line[: TITLE_LENGTH - 1] + "…" if len(line) > TITLE_LENGTH else line


_REASONS = (
    ("locked", "the database is locked by another program; try again"),
    ("readonly", "the database is read-only"),
    ("read-only", "the database is read-only"),
    ("disk is full", "the disk is full"),
    ("disk i/o error", "a disk I/O error occurred"),
    ("malformed", "the database file is damaged"),
    ("not a database", "the file is not a database"),
)


@contextmanager
def _storage_errors(location: str, action: str, what: str = "chat history") -> Iterator[None]:
    """sqlite3 errors as a StorageError that says what failed and why, in words a user can act on.
    IntegrityError passes through: callers use it (a conversation created concurrently)."""
    try:
        yield
    except sqlite3.IntegrityError:
        raise
    except sqlite3.Error as exc:
        text = str(exc).lower()
        reason = next((words for key, words in _REASONS if key in text), str(exc))
        raise StorageError(f"{what} could not {action}: {reason} ({location})") from exc
