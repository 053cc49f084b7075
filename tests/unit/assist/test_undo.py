"""UndoService: a turn's changes come back, the user's later edits are kept, turns survive a restart, and
the guard holds writes until the turn's snapshot exists."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from openagent_lsp.assist.undo import UndoService, parse_undo_args
from openagent_lsp.errors import InvalidInputError
from openagent_lsp.tools.guard import InMemoryGrantStore, ToolGuard
from openagent_lsp.tools.snapshots import WorkspaceSnapshots
from openagent_lsp.tools.testing import FakePolicyEngine, MemoryAuditLog, ScriptedApprover

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = (tmp_path / "ws").resolve()
    root.mkdir()
    (root / "keep.txt").write_text("original\n")
    (root / "edit.txt").write_text("original\n")
    return root


@pytest.fixture
def undo(ws: Path, tmp_path: Path) -> UndoService:
    return UndoService(WorkspaceSnapshots(ws, tmp_path / "state" / "snapshots"))


async def _turn(undo: UndoService, conversation: str | None, change) -> None:  # type: ignore[no-untyped-def]
    started = undo.begin(conversation, "a turn")
    await started
    change()
    await undo.finish(started)


async def test_undo_restores_what_the_turn_changed(undo: UndoService, ws: Path) -> None:
    def destructive() -> None:
        (ws / "keep.txt").unlink()
        (ws / "edit.txt").write_text("rewritten\n")
        (ws / "created.txt").write_text("new\n")

    await _turn(undo, "c1", destructive)
    result = await undo.undo_last()
    assert sorted(result.files) == ["created.txt", "edit.txt", "keep.txt"]
    assert (ws / "keep.txt").read_text() == "original\n" and (ws / "edit.txt").read_text() == "original\n"
    assert not (ws / "created.txt").exists()
    assert (await undo.undo_last()).files == []  # nothing left


async def test_a_file_the_user_changed_after_the_turn_is_left_alone(undo: UndoService, ws: Path) -> None:
    await _turn(undo, "c1", lambda: (ws / "edit.txt").write_text("agent\n"))
    (ws / "edit.txt").write_text("the user's own later work\n")
    result = await undo.undo_last()
    assert result.skipped == ["edit.txt"] and "left 1 file" in result.message
    assert (ws / "edit.txt").read_text() == "the user's own later work\n"


async def test_a_turn_that_unignores_a_file_does_not_make_undo_remove_it(undo: UndoService, ws: Path) -> None:
    """Found the hard way: a turn rewrote .gitignore, the ignored .env became "new", and undo removed it."""
    (ws / ".gitignore").write_text(".env\n")
    (ws / ".env").write_text("API_KEY=secret\n")
    (ws / "node_modules").mkdir()
    (ws / "node_modules" / "dep.js").write_text("x\n")
    await _turn(undo, "c1", lambda: (ws / ".gitignore").write_text("# emptied by the agent\n"))
    result = await undo.undo_last()
    assert result.files == [".gitignore"]
    assert (ws / ".env").read_text() == "API_KEY=secret\n" and (ws / "node_modules" / "dep.js").exists()
    assert (ws / ".gitignore").read_text() == ".env\n"


async def test_files_the_turn_created_are_moved_aside_not_deleted(undo: UndoService, ws: Path) -> None:
    (ws / ".gitignore").write_text(".env\n")
    (ws / ".env").write_text("API_KEY=secret\n")
    await _turn(undo, "c1", lambda: (ws / ".env").rename(ws / "env.txt"))  # a rename out of the ignore rule
    result = await undo.undo_last()
    assert result.files == ["env.txt"] and not (ws / "env.txt").exists()
    kept = list(undo.snapshots.git_dir.with_suffix(".trash").rglob("env.txt"))
    assert len(kept) == 1 and kept[0].read_text() == "API_KEY=secret\n" and "moved to" in result.message


async def test_turns_without_changes_are_not_kept(undo: UndoService) -> None:
    await _turn(undo, "c1", lambda: None)
    assert undo.turns() == []


async def test_undo_by_conversation(undo: UndoService, ws: Path) -> None:
    await _turn(undo, "a", lambda: (ws / "a.txt").write_text("a\n"))
    await _turn(undo, "b", lambda: (ws / "b.txt").write_text("b\n"))
    result = await undo.undo_last("a")
    assert result.files == ["a.txt"] and (ws / "b.txt").exists()
    assert (await undo.undo_last("nobody")).message == "nothing to undo in this conversation"


async def test_the_journal_survives_a_restart(undo: UndoService, ws: Path) -> None:
    await _turn(undo, "c1", lambda: (ws / "edit.txt").write_text("agent\n"))
    again = UndoService(undo.snapshots)
    assert [t.conversation_id for t in again.turns()] == ["c1"]
    assert (await again.undo_last()).files == ["edit.txt"]


async def test_a_code_action_turn_is_limited_to_its_file(undo: UndoService, ws: Path) -> None:
    await undo.finish(undo.begin(None, "code action", paths=["edit.txt"]), after=False)
    (ws / "edit.txt").write_text("edited by the action\n")
    (ws / "keep.txt").write_text("the user's\n")
    result = await undo.undo_last()
    assert result.files == ["edit.txt"] and (ws / "keep.txt").read_text() == "the user's\n"


async def test_writes_wait_for_the_snapshot(ws: Path, undo: UndoService) -> None:
    guard = ToolGuard(FakePolicyEngine(), ScriptedApprover(), InMemoryGrantStore(), MemoryAuditLog(), ws)
    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    guard.hold_writes_until(gate)
    from openagent_lsp.policy.types import FileOp

    write = asyncio.ensure_future(guard.authorize_path(FileOp.WRITE, "x.txt"))
    read = await guard.authorize_path(FileOp.READ, "keep.txt")  # reads are not held
    assert read.allowed and not write.done()
    gate.set_result(None)
    assert (await asyncio.wait_for(write, 10)).allowed


def test_undo_arguments() -> None:
    assert parse_undo_args(()) is None
    assert parse_undo_args(({},)) is None
    assert parse_undo_args(({"conversationId": "c9"},)) == "c9"
    with pytest.raises(InvalidInputError):
        parse_undo_args(("c9",))
    with pytest.raises(InvalidInputError):
        parse_undo_args(({"conversationId": 5},))
