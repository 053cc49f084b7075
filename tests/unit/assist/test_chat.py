"""ChatService: conversations, selection resolution, slash commands, /run and cancellation, without LSP."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from openagent_lsp.agent.core import Agent, AgentSettings
from openagent_lsp.agent.testing import ScriptedLLM
from openagent_lsp.assist.arguments import ChatRequest
from openagent_lsp.assist.chat import ChatDelta, ChatService
from openagent_lsp.context.documents import DocumentStore
from openagent_lsp.errors import InvalidInputError, OpenAgentError
from openagent_lsp.llm.base import CancelToken
from openagent_lsp.policy.types import ApprovalAnswer
from openagent_lsp.store.db import Store
from openagent_lsp.tools import build_default_registry
from openagent_lsp.tools.guard import ToolGuard
from openagent_lsp.tools.testing import ScriptedApprover

CODE = "def total(items):\n    return sum(i.price for i in items)\n"


def make_service(documents: DocumentStore, guard: ToolGuard, workspace: Path, llm: ScriptedLLM | None,
                 diff: str = "") -> ChatService:
    registry = build_default_registry()

    def make_agent() -> Agent:
        if llm is None:
            raise OpenAgentError("the model is still loading; try again in a moment")
        return Agent(llm, registry, guard, AgentSettings(select_tools=False))

    return ChatService(Store(":memory:"), workspace, documents, make_agent=make_agent, registry=registry,
                       guard=guard, staged_diff=lambda: diff)


def request(**fields: object) -> ChatRequest:
    return ChatRequest.model_validate(fields)


async def test_deltas_are_numbered_and_carry_the_new_conversation(documents: DocumentStore, guard: ToolGuard,
                                                                  workspace: Path) -> None:
    svc = make_service(documents, guard, workspace, ScriptedLLM(["It adds up the prices of the items."]))
    deltas: list[ChatDelta] = []
    result = await svc.send(request(message="what does total do?"), deltas.append, CancelToken())
    assert result.ok and result.text == "It adds up the prices of the items."
    assert [d.seq for d in deltas] == list(range(1, len(deltas) + 1))
    assert {d.conversation_id for d in deltas} == {result.conversation_id}
    assert [m["role"] for m in svc.history(result.conversation_id)] == ["user", "assistant"]
    assert [c["conversationId"] for c in svc.conversations()] == [result.conversation_id]


async def test_selection_of_an_open_document_reaches_the_prompt(documents: DocumentStore, guard: ToolGuard,
                                                                workspace: Path) -> None:
    uri = (workspace / "shop.py").as_uri()
    documents.open(uri, "python", 1, CODE)
    llm = ScriptedLLM(["ok"])
    svc = make_service(documents, guard, workspace, llm)
    empty = {"start": {"line": 1, "character": 8}, "end": {"line": 1, "character": 8}}
    await svc.send(request(message="/explain", uri=uri, range=empty), lambda _d: None, CancelToken())
    prompt = llm.last_prompt_text()
    assert "def total(items):" in prompt  # an empty selection means the enclosing function
    assert "Explain what the selected code does." in prompt


async def test_a_file_the_editor_has_not_opened_is_read_from_disk(documents: DocumentStore, guard: ToolGuard,
                                                                  workspace: Path) -> None:
    path = workspace / "shop.py"
    path.write_text(CODE)
    svc = make_service(documents, guard, workspace, ScriptedLLM(["ok"]))
    selection = svc.resolve_selection(request(message="hi", uri=path.as_uri()))
    assert selection is not None and selection.code == CODE and selection.language == "python"
    with pytest.raises(InvalidInputError, match="not open and not a file"):
        svc.resolve_selection(request(message="hi", uri=(workspace / "missing.py").as_uri()))


async def test_slash_commands_need_what_they_work_on(documents: DocumentStore, guard: ToolGuard,
                                                     workspace: Path) -> None:
    svc = make_service(documents, guard, workspace, ScriptedLLM(["ok"]))
    with pytest.raises(InvalidInputError, match="needs a selection"):
        await svc.send(request(message="/fix"), lambda _d: None, CancelToken())
    with pytest.raises(InvalidInputError, match="unknown slash command"):
        await svc.send(request(message="/teleport"), lambda _d: None, CancelToken())
    with pytest.raises(InvalidInputError, match="nothing is staged"):
        await svc.send(request(message="/commit"), lambda _d: None, CancelToken())
    assert svc.conversations() == []  # nothing was stored for refused requests


async def test_commit_message_sees_the_staged_diff(documents: DocumentStore, guard: ToolGuard,
                                                   workspace: Path) -> None:
    llm = ScriptedLLM(["Add totals"])
    svc = make_service(documents, guard, workspace, llm, diff="+def total(items):")
    result = await svc.send(request(message="/commit"), lambda _d: None, CancelToken())
    assert result.ok and "+def total(items):" in llm.last_prompt_text()


async def test_no_model_is_an_error_but_run_works_without_one(documents: DocumentStore, approver: ScriptedApprover,
                                                              guard: ToolGuard, workspace: Path) -> None:
    svc = make_service(documents, guard, workspace, None)
    with pytest.raises(OpenAgentError, match="still loading"):
        await svc.send(request(message="hello"), lambda _d: None, CancelToken())
    approver.default = ApprovalAnswer.RUN_ONCE
    deltas: list[ChatDelta] = []
    result = await svc.send(request(message="/run echo hi"), deltas.append, CancelToken())
    assert result.ok and "hi" in result.text and deltas[0].text == result.text


async def test_run_that_is_refused_runs_nothing(documents: DocumentStore, guard: ToolGuard, workspace: Path) -> None:
    svc = make_service(documents, guard, workspace, None)
    marker = workspace / "marker"
    result = await svc.send(request(message=f"/run touch {marker}"), lambda _d: None, CancelToken())
    assert not result.ok and not marker.exists()  # the approver denies by default


async def test_cancel_by_conversation_stops_the_answer(documents: DocumentStore, guard: ToolGuard,
                                                       workspace: Path) -> None:
    llm = ScriptedLLM(endless=True)
    svc = make_service(documents, guard, workspace, llm)
    deltas: list[ChatDelta] = []
    task = asyncio.create_task(svc.send(request(message="story", conversationId="c1"), deltas.append, CancelToken()))
    while not deltas:
        await asyncio.sleep(0.005)
    assert svc.cancel("c1") is True
    result = await asyncio.wait_for(task, 30)
    assert result.cancelled and not result.ok
    assert svc.cancel("c1") is False  # nothing is running any more


async def test_pieces_are_batched_without_losing_or_reordering_text() -> None:
    from openagent_lsp.assist.chat import DeltaBatcher

    sent: list[str] = []
    batcher = DeltaBatcher(sent.append, interval_s=3600)  # nothing is due until flushed
    for piece in ["a", "b", "c"]:
        batcher.add(piece)
    assert sent == ["a"]  # the first piece goes out at once
    batcher.flush()
    assert sent == ["a", "bc"]
    batcher.flush()
    assert sent == ["a", "bc"]  # nothing left to send
    ticking = DeltaBatcher(sent.append, interval_s=0)
    ticking.add("d")
    ticking.add("e")
    assert sent[-2:] == ["d", "e"]
