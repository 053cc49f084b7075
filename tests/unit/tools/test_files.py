"""files.*: confinement (.., ~, absolute, symlinks), atomic writes, the editor bridge, size caps."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from openagent_lsp.errors import PolicyViolationError
from openagent_lsp.policy.types import ApprovalAnswer, FileOp, Verdict
from openagent_lsp.tools import files as files_mod
from openagent_lsp.tools.base import ToolContext
from openagent_lsp.tools.files import (
    FilesDeleteTool,
    FilesListTool,
    FilesReadTool,
    FilesWriteTool,
    write_atomic,
)
from openagent_lsp.tools.guard import InMemoryGrantStore, ToolGuard
from openagent_lsp.tools.testing import FakePolicyEngine, MemoryAuditLog, ScriptedApprover
from openagent_lsp.tools.workspace import confine


class PermissiveEngine(FakePolicyEngine):
    """Says ALLOW to every path, even outside: proves the tool's own re-check holds on its own."""

    def check_path(self, op, path, workspace):  # type: ignore[no-untyped-def]
        from openagent_lsp.policy.types import Decision, Risk

        return Decision(Verdict.ALLOW, Risk.LOW, "anything goes", "test.permissive")


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    d = tmp_path / "outside"
    d.mkdir()
    (d / "secret.txt").write_text("TOP SECRET")
    return d


@pytest.fixture
def lax_ctx(workspace: Path, audit: MemoryAuditLog) -> ToolContext:
    guard = ToolGuard(PermissiveEngine(), ScriptedApprover(), InMemoryGrantStore(), audit, workspace)
    return ToolContext(workspace=workspace, guard=guard)


async def test_read_inside(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "a.txt").write_text("hello\n")
    result = await FilesReadTool().invoke({"path": "a.txt"}, ctx)
    assert result.ok and result.output == "hello\n"


@pytest.mark.parametrize("use_lax", [False, True], ids=["policy", "tool-recheck"])
@pytest.mark.parametrize(
    "path",
    [
        "../outside/secret.txt",
        "sub/../../outside/secret.txt",
        "{outside}/secret.txt",
        "~/secret.txt",
        "link_dir/secret.txt",
        "link_file",
    ],
)
async def test_reads_cannot_escape(
    path: str,
    use_lax: bool,
    ctx: ToolContext,
    lax_ctx: ToolContext,
    workspace: Path,
    outside: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOME", str(outside))
    (workspace / "sub").mkdir()
    (workspace / "link_dir").symlink_to(outside)
    (workspace / "link_file").symlink_to(outside / "secret.txt")
    context = lax_ctx if use_lax else ctx
    result = await FilesReadTool().invoke({"path": path.format(outside=outside)}, context)
    assert not result.ok
    assert "TOP SECRET" not in result.output
    assert result.metadata["reason"] == "denied"


@pytest.mark.parametrize("path", ["../outside/new.txt", "link_dir/new.txt", "{outside}/new.txt", "~/new.txt"])
async def test_writes_cannot_escape(
    path: str, lax_ctx: ToolContext, workspace: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(outside))
    (workspace / "link_dir").symlink_to(outside)
    result = await FilesWriteTool().invoke(
        {"path": path.format(outside=outside), "content": "pwned"}, lax_ctx
    )
    assert not result.ok
    assert not (outside / "new.txt").exists()


async def test_write_through_file_symlink_to_outside_is_refused(
    lax_ctx: ToolContext, workspace: Path, outside: Path
) -> None:
    (workspace / "innocent.txt").symlink_to(outside / "secret.txt")
    result = await FilesWriteTool().invoke({"path": "innocent.txt", "content": "pwned"}, lax_ctx)
    assert not result.ok
    assert (outside / "secret.txt").read_text() == "TOP SECRET"


async def test_delete_cannot_escape(lax_ctx: ToolContext, workspace: Path, outside: Path) -> None:
    (workspace / "link_dir").symlink_to(outside)
    result = await FilesDeleteTool().invoke({"path": "link_dir/secret.txt"}, lax_ctx)
    assert not result.ok and (outside / "secret.txt").exists()
    result = await FilesDeleteTool().invoke({"path": str(outside / "secret.txt")}, lax_ctx)
    assert not result.ok and (outside / "secret.txt").exists()


async def test_delete_of_a_symlink_removes_the_link_not_the_target(
    lax_ctx: ToolContext, workspace: Path, outside: Path
) -> None:
    (workspace / "link").symlink_to(outside / "secret.txt")
    result = await FilesDeleteTool().invoke({"path": "link"}, lax_ctx)
    assert result.ok, result.error
    assert not (workspace / "link").is_symlink()
    assert (outside / "secret.txt").read_text() == "TOP SECRET"


async def test_symlink_swapped_in_after_the_check_is_not_followed(workspace: Path, outside: Path) -> None:
    (workspace / "dir").mkdir()
    target = confine("dir/new.txt", workspace)  # checked while dir/ is a real directory
    (workspace / "dir").rmdir()
    (workspace / "dir").symlink_to(outside)  # attacker swaps it
    with pytest.raises(PolicyViolationError):
        write_atomic(target, b"pwned")
    assert not (outside / "new.txt").exists()


async def test_final_component_swapped_for_symlink_is_not_followed_on_read(
    workspace: Path, outside: Path
) -> None:
    (workspace / "f.txt").write_text("ok")
    target = confine("f.txt", workspace)
    (workspace / "f.txt").unlink()
    (workspace / "f.txt").symlink_to(outside / "secret.txt")
    with pytest.raises(PolicyViolationError):
        files_mod.read_confined(target, 1000)


async def test_symlink_inside_workspace_is_fine(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "real").mkdir()
    (workspace / "real" / "x.txt").write_text("x")
    (workspace / "alias").symlink_to(workspace / "real")
    result = await FilesReadTool().invoke({"path": "alias/x.txt"}, ctx)
    assert result.ok and result.output == "x"


async def test_policy_deny_blocks_before_touching(workspace: Path, audit: MemoryAuditLog) -> None:
    engine = FakePolicyEngine(path_verdicts={FileOp.WRITE: Verdict.DENY})
    guard = ToolGuard(engine, ScriptedApprover(), InMemoryGrantStore(), audit, workspace)
    result = await FilesWriteTool().invoke({"path": "a.txt", "content": "x"}, ToolContext(workspace, guard))
    assert not result.ok and not (workspace / "a.txt").exists()


async def test_delete_requires_approval_and_respects_denial(
    ctx: ToolContext, workspace: Path, approver: ScriptedApprover
) -> None:
    (workspace / "a.txt").write_text("keep me")
    denied = await FilesDeleteTool().invoke({"path": "a.txt"}, ctx)
    assert not denied.ok and (workspace / "a.txt").exists()
    approver.answers = [ApprovalAnswer.RUN_ONCE]
    approved = await FilesDeleteTool().invoke({"path": "a.txt"}, ctx)
    assert approved.ok and not (workspace / "a.txt").exists()


async def test_atomic_write_creates_and_replaces(
    ctx: ToolContext, workspace: Path, audit: MemoryAuditLog
) -> None:
    result = await FilesWriteTool().invoke({"path": "pkg/new.py", "content": "x = 1\n"}, ctx)
    assert result.ok and result.metadata["created"] and result.metadata["via"] == "disk"
    target = workspace / "pkg" / "new.py"
    assert target.read_text() == "x = 1\n"
    target.chmod(0o755)
    inode_before = target.stat().st_ino
    result = await FilesWriteTool().invoke({"path": "pkg/new.py", "content": "x = 2\n"}, ctx)
    assert result.ok and not result.metadata["created"]
    assert target.read_text() == "x = 2\n"
    assert target.stat().st_ino != inode_before  # replaced, not rewritten in place
    assert target.stat().st_mode & 0o777 == 0o755  # mode preserved
    assert [p.name for p in (workspace / "pkg").iterdir()] == ["new.py"]  # no temp file left
    assert audit.events("tool_result")[-1]["ok"] is True


def test_failed_write_leaves_the_old_file_and_no_temp(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workspace / "a.txt").write_text("old")

    def broken_replace(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files_mod.os, "replace", broken_replace)
    with pytest.raises(Exception, match="No space left"):
        write_atomic(confine("a.txt", workspace), b"new")
    assert (workspace / "a.txt").read_text() == "old"
    assert sorted(os.listdir(workspace)) == ["a.txt"]


class FakeEditor:
    def __init__(self, open_paths: set[Path], accept: bool = True) -> None:
        self.open_paths = open_paths
        self.accept = accept
        self.applied: list[tuple[Path, str]] = []

    def is_open(self, path: Path) -> bool:
        return path in self.open_paths

    async def apply_full_text(self, path: Path, new_text: str) -> bool:
        self.applied.append((path, new_text))
        return self.accept


async def test_open_documents_are_written_through_the_editor(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "open.py").write_text("on disk\n")
    editor = FakeEditor({workspace / "open.py"})
    ctx.editor = editor
    result = await FilesWriteTool().invoke({"path": "open.py", "content": "new text\n"}, ctx)
    assert result.ok and result.metadata["via"] == "editor"
    assert editor.applied == [(workspace / "open.py", "new text\n")]
    assert (workspace / "open.py").read_text() == "on disk\n"  # the buffer changed, not the disk

    closed = await FilesWriteTool().invoke({"path": "closed.py", "content": "c\n"}, ctx)
    assert closed.ok and closed.metadata["via"] == "disk" and (workspace / "closed.py").read_text() == "c\n"


async def test_editor_refusal_is_an_error_and_disk_is_untouched(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "open.py").write_text("on disk\n")
    ctx.editor = FakeEditor({workspace / "open.py"}, accept=False)
    result = await FilesWriteTool().invoke({"path": "open.py", "content": "new\n"}, ctx)
    assert not result.ok and "refused" in result.error
    assert (workspace / "open.py").read_text() == "on disk\n"


async def test_read_is_capped(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "big.txt").write_text("x" * 5000)
    result = await FilesReadTool(read_cap=1000).invoke({"path": "big.txt", "max_bytes": 1000}, ctx)
    assert result.ok and result.metadata["truncated"]
    assert result.output.startswith("x" * 1000) and "showing 1000 of 5000 bytes" in result.output


async def test_binary_and_directory_reads_are_errors(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "bin.dat").write_bytes(b"\x00\x01\x02")
    (workspace / "d").mkdir()
    assert "binary" in (await FilesReadTool().invoke({"path": "bin.dat"}, ctx)).error
    assert "directory" in (await FilesReadTool().invoke({"path": "d"}, ctx)).error
    assert "not found" in (await FilesReadTool().invoke({"path": "nope.txt"}, ctx)).error


async def test_list_does_not_follow_symlinks(ctx: ToolContext, workspace: Path, outside: Path) -> None:
    (workspace / "src").mkdir()
    (workspace / "src" / "m.py").write_text("")
    (workspace / ".git").mkdir()
    (workspace / ".git" / "HEAD").write_text("")
    (workspace / "out").symlink_to(outside)
    flat = await FilesListTool().invoke({}, ctx)
    assert flat.ok and flat.output.splitlines() == [".git/", "out@", "src/"]
    deep = await FilesListTool().invoke({"recursive": True}, ctx)
    lines = deep.output.splitlines()
    assert "src/m.py" in lines and "out@" in lines
    assert not any("secret" in line or line.startswith(".git/") for line in lines)
    escape = await FilesListTool().invoke({"path": "out"}, ctx)
    assert not escape.ok


async def test_unknown_fields_and_nul_bytes_are_rejected(ctx: ToolContext, workspace: Path) -> None:
    r = await FilesWriteTool().invoke({"path": "a.txt", "content": "x", "approved": True}, ctx)
    assert not r.ok and "approved" in r.error and not (workspace / "a.txt").exists()
    r = await FilesReadTool().invoke({"path": "a\x00b"}, ctx)
    assert not r.ok and "path" in r.error


def test_confine_resolves_relative_absolute_and_tilde(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(workspace))
    assert confine("a/../b.txt", workspace).parts == ("b.txt",)
    assert confine(str(workspace / "c.txt"), workspace).parts == ("c.txt",)
    assert confine("~/d.txt", workspace).parts == ("d.txt",)
    with pytest.raises(PolicyViolationError):
        confine("/etc/passwd", workspace)
    with pytest.raises(PolicyViolationError):
        confine(str(workspace) + "-evil/x", workspace)  # a string prefix is not containment


async def test_outside_paths_are_refused_before_asking_and_audited(
    workspace: Path, outside: Path, audit: MemoryAuditLog
) -> None:
    class AskingEngine(FakePolicyEngine):
        """Like the real engine: reading outside the workspace needs approval."""

        def check_path(self, op, path, workspace):  # type: ignore[no-untyped-def]
            from openagent_lsp.policy.types import Decision, Risk

            return Decision(
                Verdict.REQUIRE_APPROVAL, Risk.MEDIUM, "outside", "test.ask", grant_key=f"{op}:{path}"
            )

    approver = ScriptedApprover(default=ApprovalAnswer.ALWAYS_ALLOW)
    guard = ToolGuard(AskingEngine(), approver, InMemoryGrantStore(), audit, workspace)
    result = await FilesReadTool().invoke(
        {"path": str(outside / "secret.txt")}, ToolContext(workspace, guard)
    )
    assert not result.ok and "TOP SECRET" not in result.output
    assert approver.requests == []
    [refusal] = audit.events("tool_refused")
    assert (
        refusal["subject"] == f"read {outside / 'secret.txt'}"
        and "outside the workspace" in refusal["reason"]
    )


async def test_read_prefers_the_open_buffer_when_the_bridge_offers_it(
    ctx: ToolContext, workspace: Path
) -> None:
    (workspace / "open.py").write_text("saved\n")

    class BufferEditor(FakeEditor):
        def get_text(self, path: Path) -> str | None:
            return "unsaved edit\n"

    ctx.editor = BufferEditor({workspace / "open.py"})
    result = await FilesReadTool().invoke({"path": "open.py"}, ctx)
    assert result.ok and result.output == "unsaved edit\n"
    ctx.editor = FakeEditor({workspace / "open.py"})  # no get_text: disk
    assert (await FilesReadTool().invoke({"path": "open.py"}, ctx)).output == "saved\n"
