"""Undo for everything an agent turn changed in the workspace.

Before a turn that may write (a chat turn with tools, ``/run``, a code action's edit) the workspace is
snapshotted (``tools/snapshots.py``); after the turn, again. ``undo_last`` puts back the files that
differ between the two: files the turn created are removed, files it changed or deleted come back.
A file the user changed *after* the turn is left alone and named, so undo never throws away the
user's own later work. A code action's edit is applied by the editor after the server answers, so
its turn has no "after" snapshot; it is limited to the file the edit targets instead.

The "before" snapshot of a chat turn runs while the model thinks: the guard holds every write of any
tool until it is taken (``ToolGuard.hold_writes_until``), so no change escapes it. The journal of
turns lives next to the snapshots, so undo survives a restart of the server.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from openagent_lsp.errors import InvalidInputError, OpenAgentError
from openagent_lsp.logging import get_logger
from openagent_lsp.tools.snapshots import WorkspaceSnapshots

log = get_logger(__name__)

MAX_TURNS = 100


@dataclass
class Turn:
    id: str
    conversation_id: str | None
    label: str
    before: str = ""
    after: str = ""
    paths: list[str] = field(default_factory=list)  # limit to these (workspace-relative); empty = all
    ignored: list[str] = field(default_factory=list)  # what was ignored when the turn began
    started_at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class UndoResult:
    message: str
    files: list[str]
    skipped: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"message": self.message, "files": self.files, "skipped": self.skipped}


class UndoService:
    """Records turns and undoes the last one (of any conversation, or of one)."""

    def __init__(self, snapshots: WorkspaceSnapshots) -> None:
        self.snapshots = snapshots
        self.journal_path = snapshots.git_dir.with_suffix(".turns.json")
        self._lock = threading.Lock()
        self._turns: list[Turn] = self._load()

    # -- journal ----------------------------------------------------------------------------------

    def _load(self) -> list[Turn]:
        try:
            data = json.loads(self.journal_path.read_text(encoding="utf-8"))
            return [Turn(**t) for t in data if isinstance(t, dict)]
        except (OSError, ValueError, TypeError):
            return []

    def _save(self) -> None:
        self.journal_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.journal_path.with_name(self.journal_path.name + ".tmp")
        tmp.write_text(json.dumps([asdict(t) for t in self._turns[-MAX_TURNS:]]), encoding="utf-8")
        tmp.replace(self.journal_path)

    def turns(self) -> list[Turn]:
        with self._lock:
            return list(self._turns)

    # -- recording --------------------------------------------------------------------------------

    def begin(self, conversation_id: str | None, label: str, paths: list[str] | None = None) -> asyncio.Task[Turn]:
        """Start the "before" snapshot in a worker thread; the task's result is the turn."""
        turn = Turn(uuid.uuid4().hex, conversation_id, label, paths=list(paths or []))

        def snapshot_now() -> Turn:
            turn.ignored = self.snapshots.ignored()
            turn.before = self.snapshots.take(turn.ignored)
            return turn

        async def snapshot() -> Turn:
            return await asyncio.to_thread(snapshot_now)

        return asyncio.ensure_future(snapshot())

    async def finish(self, started: asyncio.Task[Turn], *, after: bool = True, keep: bool = True) -> Turn | None:
        """Take the "after" snapshot and keep the turn if it changed anything. Without ``after``, the
        turn is kept as it is when ``keep`` (a code action, whose edit the editor applies later) or
        dropped (a chat turn that called no tool)."""
        try:
            turn = await started
        except Exception as exc:
            log.warning("snapshot_failed", error=str(exc))
            return None
        if not after and not keep:
            return None
        if after:
            try:
                turn.after = await asyncio.to_thread(self.snapshots.take, turn.ignored)
            except OpenAgentError as exc:
                log.warning("snapshot_failed", error=str(exc))
                return None
            if turn.after == turn.before:
                return None
        await asyncio.to_thread(self._record, turn)
        return turn

    def _record(self, turn: Turn) -> None:
        with self._lock:
            self._turns.append(turn)
            self._save()

    # -- undo -------------------------------------------------------------------------------------

    async def undo_last(self, conversation_id: str | None = None) -> UndoResult:
        """Undo the newest turn (of ``conversation_id`` when given) that still has something to undo."""
        return await asyncio.to_thread(self._undo_last, conversation_id)

    def _undo_last(self, conversation_id: str | None) -> UndoResult:
        with self._lock:
            candidates = [t for t in self._turns if conversation_id is None or t.conversation_id == conversation_id]
            for turn in reversed(candidates):
                result = self._undo(turn)
                self._turns.remove(turn)
                self._save()
                if result.files or result.skipped:
                    return result
        return UndoResult("nothing to undo" + (" in this conversation" if conversation_id else ""), [])

    def _undo(self, turn: Turn) -> UndoResult:
        snaps = self.snapshots
        now = snaps.take(turn.ignored)
        if turn.after:
            changed = snaps.changes(turn.before, turn.after, turn.paths or None)
            touched_since = {c.path for c in snaps.changes(turn.after, now)}
        else:
            changed = snaps.changes(turn.before, now, turn.paths or None)
            touched_since = set()
        restorable = [c for c in changed if c.path not in touched_since]
        skipped = sorted(c.path for c in changed if c.path in touched_since)
        trash = snaps.git_dir.with_suffix(".trash") / turn.id
        files = snaps.restore(restorable, trash)
        what = f"{turn.label}: " if turn.label else ""
        message = f"{what}restored {len(files)} file(s) to how they were before the turn"
        created = [c.path for c in restorable if c.before is None]
        if created:
            message += f"; the {len(created)} file(s) it created were moved to {trash}"
        if skipped:
            message += f"; left {len(skipped)} file(s) you changed since untouched: {', '.join(skipped[:5])}"
        return UndoResult(message, files, skipped)


def parse_undo_args(raw: tuple[Any, ...]) -> str | None:
    """``[{}]`` or ``[{"conversationId": id}]`` (also no argument at all) -> the conversation id."""
    if not raw or raw == (None,):
        return None
    first = raw[0]
    if not isinstance(first, dict):
        raise InvalidInputError("openagent.undoLastTurn: expected [{}] or [{\"conversationId\": \"...\"}]")
    value = first.get("conversationId", first.get("conversation_id"))
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 200:
        raise InvalidInputError("openagent.undoLastTurn: conversationId must be a string")
    return value
