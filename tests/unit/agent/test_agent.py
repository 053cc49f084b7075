"""The agent loop with a scripted model and a scripted approver."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from openagent_lsp.agent import Agent, AgentSettings, ConversationContext
from openagent_lsp.agent.protocol import format_call
from openagent_lsp.agent.testing import ScriptedLLM
from openagent_lsp.errors import InvalidInputError
from openagent_lsp.llm.base import CancelToken
from openagent_lsp.policy.types import ApprovalAnswer
from openagent_lsp.tools.guard import ToolGuard
from openagent_lsp.tools.registry import build_default_registry
from openagent_lsp.tools.testing import MemoryAuditLog, ScriptedApprover


def make_agent(llm: ScriptedLLM, guard: ToolGuard, **settings: object) -> Agent:
    return Agent(llm, build_default_registry(), guard, AgentSettings(**settings))  # type: ignore[arg-type]


def conversation(workspace: Path) -> ConversationContext:
    return ConversationContext(conversation_id="c1", workspace=workspace)


def observations(llm: ScriptedLLM, request_index: int) -> str:
    messages = llm.requests[request_index].messages or []
    return messages[-1]["content"]


async def test_final_answer_is_streamed_and_recorded(guard: ToolGuard, workspace: Path) -> None:
    llm = ScriptedLLM(["The answer is 42."])
    agent = make_agent(llm, guard)
    deltas: list[str] = []
    ctx = conversation(workspace)
    reply = await agent.process_message("what is the answer?", ctx, on_delta=deltas.append)
    assert reply.ok and reply.text == "The answer is 42."
    assert "".join(deltas) == "The answer is 42." and len(deltas) > 1
    assert reply.steps == 1 and reply.tool_calls == []
    assert ctx.messages == [
        {"role": "user", "content": "what is the answer?"},
        {"role": "assistant", "content": "The answer is 42."},
    ]
    assert reply.metrics["ok"] is True and reply.metrics["steps"] == 1
    assert agent.metrics.snapshot()["succeeded"] == 1


async def test_tool_call_result_is_fed_back(guard: ToolGuard, workspace: Path) -> None:
    (workspace / "notes.txt").write_text("remember the milk")
    llm = ScriptedLLM(
        [
            "I'll read it.\n" + format_call("files.read", {"path": "notes.txt"}),
            "It says to remember the milk.",
        ]
    )
    agent = make_agent(llm, guard)
    deltas: list[str] = []
    reply = await agent.process_message("read notes.txt", conversation(workspace), on_delta=deltas.append)
    assert reply.ok and reply.text == "It says to remember the milk."
    assert [(c.name, c.ok) for c in reply.tool_calls] == [("files.read", True)]
    obs = observations(llm, 1)
    assert obs.startswith("Observation from files.read (ok)") and "remember the milk" in obs
    streamed = "".join(deltas)
    assert "<tool_call>" not in streamed and "files.read" not in streamed
    assert streamed == "I'll read it.\n\nIt says to remember the milk." == reply.transcript
    # The generation was asked to stop after a call.
    assert "</tool_call>" in llm.requests[0].stop


async def test_malformed_call_is_reported_and_not_executed(guard: ToolGuard, workspace: Path) -> None:
    marker = workspace / "marker"
    broken = '<tool_call>{"tool": "shell.run", "args": {"command": "touch ' + str(marker) + '"}</tool_call>'
    llm = ScriptedLLM([broken, "Sorry."])
    reply = await make_agent(llm, guard).process_message("make a marker", conversation(workspace))
    assert not marker.exists()
    assert reply.tool_calls == []
    obs = observations(llm, 1)
    assert "not valid JSON" in obs and "Nothing was executed" in obs


async def test_unknown_tool_and_invalid_args_are_not_executed(
    guard: ToolGuard, workspace: Path, approver: ScriptedApprover
) -> None:
    approver.default = ApprovalAnswer.RUN_ONCE  # would run anything that reached it
    marker = workspace / "marker"
    llm = ScriptedLLM(
        [
            format_call("shell.exec", {"command": f"touch {marker}"}),
            format_call("shell.run", {"command": f"touch {marker}", "confirm": True}),
            format_call("shell.run", {"cmd": f"touch {marker}"}),
            "Giving up.",
        ]
    )
    reply = await make_agent(llm, guard).process_message("touch it", conversation(workspace))
    assert not marker.exists()
    assert approver.requests == []
    assert [(c.name, c.executed) for c in reply.tool_calls] == [
        ("shell.exec", False),
        ("shell.run", False),
        ("shell.run", False),
    ]
    assert "unknown tool 'shell.exec'" in observations(llm, 1)
    assert "confirm" in observations(llm, 2)
    assert "command" in observations(llm, 3) and "Field required" in observations(llm, 3)


async def test_denied_command_is_not_run(
    guard: ToolGuard, workspace: Path, approver: ScriptedApprover, audit: MemoryAuditLog
) -> None:
    approver.default = ApprovalAnswer.ALWAYS_ALLOW
    marker = workspace / "marker"
    llm = ScriptedLLM(
        [format_call("shell.run", {"command": f"rm -rf build; touch {marker}"}), "It was denied."]
    )
    reply = await make_agent(llm, guard).process_message("clean up", conversation(workspace))
    assert not marker.exists()
    assert approver.requests == []
    assert reply.tool_calls[0].ok is False and reply.tool_calls[0].metadata["reason"] == "denied"
    assert "not allowed" in observations(llm, 1)
    assert audit.events("tool_decision")[0]["outcome"] == "denied"


async def test_user_approval_run_once_runs(
    guard: ToolGuard, workspace: Path, approver: ScriptedApprover
) -> None:
    approver.answers = [ApprovalAnswer.RUN_ONCE]
    marker = workspace / "marker"
    llm = ScriptedLLM([format_call("shell.run", {"command": f"touch {marker}"}), "Done."])
    reply = await make_agent(llm, guard).process_message("make a marker", conversation(workspace))
    assert marker.exists() and reply.ok and reply.tool_calls[0].ok
    assert approver.requests[0].subject == f"touch {marker}"


async def test_user_denial_is_reported(guard: ToolGuard, workspace: Path) -> None:
    marker = workspace / "marker"
    llm = ScriptedLLM([format_call("shell.run", {"command": f"touch {marker}"}), "OK, I won't."])
    reply = await make_agent(llm, guard).process_message("make a marker", conversation(workspace))
    assert not marker.exists() and reply.ok
    assert "denied by the user" in observations(llm, 1)


async def test_step_limit(guard: ToolGuard, workspace: Path) -> None:
    llm = ScriptedLLM([format_call("git.status", {})] * 10)
    reply = await make_agent(llm, guard, max_steps=3).process_message("loop", conversation(workspace))
    assert not reply.ok and "step limit" in reply.error and reply.steps == 3
    assert len(llm.requests) == 3
    assert agent_failed(reply.metrics)


def agent_failed(metrics: dict[str, object]) -> bool:
    return metrics["ok"] is False and metrics["steps"] == 3


async def test_deadline_stops_a_runaway_generation(guard: ToolGuard, workspace: Path) -> None:
    llm = ScriptedLLM(endless=True)
    agent = make_agent(llm, guard, deadline_s=0.3)
    reply = await asyncio.wait_for(agent.process_message("go", conversation(workspace)), 60)  # hang guard
    assert not reply.ok and reply.error.startswith("deadline")
    assert llm.stopped.wait(30), "the backend kept generating after the deadline"


async def wait_until(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.005)


async def test_cancel_token_stops_generation_at_once(guard: ToolGuard, workspace: Path) -> None:
    llm = ScriptedLLM(endless=True)
    cancel = CancelToken()
    deltas: list[str] = []
    task = asyncio.create_task(
        make_agent(llm, guard).process_message("go", conversation(workspace), deltas.append, cancel)
    )
    await wait_until(lambda: deltas)
    cancel.cancel("user pressed stop")
    seen = len(deltas)
    reply = await asyncio.wait_for(task, 30)  # a hang guard, not a speed check
    assert reply.cancelled and not reply.ok and "user pressed stop" in reply.error
    assert llm.stopped.wait(30)
    assert len(deltas) == seen  # nothing forwarded after the cancel


async def test_task_cancellation_stops_the_backend(guard: ToolGuard, workspace: Path) -> None:
    llm = ScriptedLLM(endless=True)
    task = asyncio.create_task(make_agent(llm, guard).process_message("go", conversation(workspace)))
    await wait_until(lambda: llm.pieces_sent > 0)  # the backend is generating
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert llm.stopped.wait(10)  # generous: the machine may be loaded


async def test_cancel_during_a_tool_call_stops_the_tool(
    guard: ToolGuard, workspace: Path, approver: ScriptedApprover
) -> None:
    approver.default = ApprovalAnswer.RUN_ONCE
    llm = ScriptedLLM([format_call("shell.run", {"command": "sleep 30"}), "never"])
    cancel = CancelToken()
    task = asyncio.create_task(
        make_agent(llm, guard).process_message("wait", conversation(workspace), None, cancel)
    )
    await wait_until(lambda: approver.requests)  # the tool call is under way
    cancel.cancel()
    reply = await asyncio.wait_for(task, 30)
    assert reply.cancelled
    assert reply.tool_calls and reply.tool_calls[0].ok is False


async def test_backend_error_is_an_error_reply(guard: ToolGuard, workspace: Path) -> None:
    llm = ScriptedLLM([RuntimeError("CUDA out of memory")])
    agent = make_agent(llm, guard)
    ctx = conversation(workspace)
    reply = await agent.process_message("hi", ctx)
    assert not reply.ok and "CUDA out of memory" in reply.error
    assert ctx.messages == [{"role": "user", "content": "hi"}]
    assert agent.metrics.snapshot()["failed"] == 1


async def test_workspace_mismatch_is_refused(guard: ToolGuard, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(InvalidInputError, match="workspace"):
        await make_agent(ScriptedLLM(["x"]), guard).process_message("hi", conversation(other))


async def test_prompt_offers_selected_tools_and_fits_budget(guard: ToolGuard, workspace: Path) -> None:
    llm = ScriptedLLM(["ok"])
    agent = make_agent(llm, guard, context_tokens=2000, max_new_tokens=500)
    ctx = conversation(workspace)
    for i in range(40):
        ctx.messages += [
            {"role": "user", "content": f"old {i} " + "w" * 400},
            {"role": "assistant", "content": "a" * 400},
        ]
    reply = await agent.process_message("run the tests", ctx)
    assert "shell.run" in reply.tools_offered and "files.delete" not in reply.tools_offered
    messages = llm.requests[0].messages or []
    system = messages[0]["content"]
    assert messages[0]["role"] == "system" and "- shell.run:" in system and "- files.delete:" not in system
    assert "<tool_call>" in system  # the format is documented to the model
    assert messages[-1]["content"] == "run the tests"
    assert sum(llm.count_tokens(m["content"]) + 4 for m in messages) <= 1500
    assert len(messages) < 82


async def test_editor_context_goes_into_the_user_turn(guard: ToolGuard, workspace: Path) -> None:
    llm = ScriptedLLM(["ok"])
    ctx = ConversationContext(
        "c", workspace, uri="file:///ws/app.py", selection="def f(): pass", language="python"
    )
    await make_agent(llm, guard).process_message("explain this", ctx)
    user = (llm.requests[0].messages or [])[-1]["content"]
    assert (
        "file:///ws/app.py" in user
        and "```python\ndef f(): pass\n```" in user
        and user.endswith("explain this")
    )


async def test_always_allow_through_the_agent_is_reused(
    guard: ToolGuard, workspace: Path, approver: ScriptedApprover
) -> None:
    approver.answers = [ApprovalAnswer.ALWAYS_ALLOW]
    llm = ScriptedLLM(
        [
            format_call("shell.run", {"command": "touch -a one"}),
            format_call("shell.run", {"command": "touch -a two"}),
            format_call("shell.run", {"command": "mkdir three"}),
            "done",
        ]
    )
    reply = await make_agent(llm, guard).process_message("go", conversation(workspace))
    assert (workspace / "one").exists() and (workspace / "two").exists()
    assert not (workspace / "three").exists()  # different program: asked again, default DENY
    assert len(approver.requests) == 2 and reply.ok
