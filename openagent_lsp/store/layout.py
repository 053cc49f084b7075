"""Where the server keeps its own state, and which of it a sandboxed command must never reach.

The database (chats, "always allow" grants, the audit log's record count), the audit log and its
HMAC key, the workspace snapshots behind "undo last turn", the quarantine for configuration a command
created, and the user's config dir: a command the agent runs could otherwise grant itself, rewrite
the audit trail or read the key. ``protected`` names all of it for the OS sandbox.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from openagent_lsp.store.db import APP_NAME, MEMORY, default_db_path, resolve_db_location


@dataclass(frozen=True)
class StateLayout:
    state_dir: Path
    database: Path | None  # None: an in-memory database
    audit_log: Path
    snapshots_dir: Path
    quarantine_dir: Path
    config_dir: Path

    @property
    def audit_dir(self) -> Path:
        return self.audit_log.parent

    @property
    def audit_key(self) -> Path:
        return self.audit_dir / "audit.key"

    @classmethod
    def for_workspace(cls, database_url: str | None, workspace: Path) -> StateLayout:
        """Everything lives next to the database (or in the user state dir); one audit log per workspace."""
        import platformdirs

        location = resolve_db_location(database_url or None)
        database = None if location == MEMORY else Path(location).absolute()
        state_dir = database.parent if database is not None else default_db_path().parent
        digest = hashlib.sha256(str(workspace).encode()).hexdigest()[:12]
        return cls(
            state_dir=state_dir,
            database=database,
            audit_log=state_dir / "audit" / f"{workspace.name or 'root'}-{digest}.jsonl",
            snapshots_dir=state_dir / "snapshots",
            quarantine_dir=state_dir / "quarantine",
            config_dir=Path(platformdirs.user_config_dir(APP_NAME)),
        )

    def protected(self, workspace: Path, extra: tuple[Path, ...] = ()) -> tuple[Path, ...]:
        """What the sandbox hides: each state dir whole, unless it holds the workspace (a database set
        inside a project's parent folder) -- then only the server's own files in it."""
        files: list[Path] = [self.audit_dir, self.snapshots_dir, self.quarantine_dir, *extra]
        if self.database is not None:
            files += [self.database.with_name(self.database.name + s) for s in ("", "-wal", "-shm", "-journal")]
        dirs = [self.state_dir, default_db_path().parent, self.config_dir]
        ws = Path(workspace).resolve()
        out: list[Path] = []
        for d in dirs:
            d = d.absolute()
            if not ws.is_relative_to(d.resolve() if d.exists() else d):
                out.append(d)
        for f in files:
            f = f.absolute()
            if not any(f.is_relative_to(d) for d in out):
                out.append(f)
        return tuple(dict.fromkeys(out))
