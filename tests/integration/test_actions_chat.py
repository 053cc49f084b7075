"""Code actions, chat, approvals and history end to end (real server, tiny model, pytest-lsp client)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml
from lsprotocol import converters, types
from pygls.exceptions import JsonRpcException

from openagent_lsp.policy import schema as policy_schema
from tests.support.editor import Editor
from tests.support.lsp import to_plain

SOURCE = '''import math


def area(radius):
    return math.pi * radius ** 2


def unused():
    pass
'''
SELECTION = types.Range(start=types.Position(line=4, character=4), end=types.Position(line=4, character=20))
FUNCTION_RANGE = (3, 4)  # def area ... return line


_CONVERTER = converters.get_converter()


def raw_action(action: Any) -> dict[str, Any]:
    """The JSON the client received (camelCase), whatever type the client decoded it into."""
    if isinstance(action, dict):
        return action
    if hasattr(action, "_asdict"):
        return to_plain(action)
    return _CONVERTER.unstructure(action)


async def code_actions(s: Editor, uri: str, rng: types.Range, diagnostics: list[types.Diagnostic] | None = None):
    result = await s.request(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=rng,
        context=types.CodeActionContext(diagnostics=diagnostics or [])))
    return [raw_action(a) for a in result]


def strict_write_policy(tmp: Path) -> Path:
    """The default policy plus: every *.py write needs approval."""
    default = yaml.safe_load(Path(policy_schema.__file__).with_name("default_policy.yaml").read_text())
    default["paths"]["write_ask"] = [*default["paths"].get("write_ask", []), "*.py"]
    path = tmp / "policy.yaml"
    path.write_text(yaml.safe_dump(default))
    return path


async def test_actions_are_listed_without_a_model_call(session: Editor) -> None:
    uri = session.open_file("geo.py", SOURCE)
    diag = types.Diagnostic(range=SELECTION, message="radius may be negative")
    actions = await code_actions(session, uri, SELECTION, [diag])
    titles = [a["title"] for a in actions]
    assert titles[0] == "OpenAgent: Fix this diagnostic"
    assert {"OpenAgent: Ask agent…", "OpenAgent: Explain this code", "OpenAgent: Add docstring",
            "OpenAgent: Write tests for this function", "OpenAgent: Simplify / refactor"} <= set(titles)
    status = to_plain(await session.request("openagent/status"))
    assert status["completion"]["model_calls"] == 0 and status["lastGeneration"] is None  # no generation yet
    ask = next(a for a in actions if a["title"] == "OpenAgent: Ask agent…")
    # The test client decodes a CodeAction that carries a command as a Command (an lsprotocol quirk)
    # and stringifies the nested command object; the JSON on the wire carries it as an object.
    assert "'command': 'openagent.askPrompt'" in str(ask["command"]) or ask["command"] == {
        "title": ask["title"], "command": "openagent.askPrompt", "arguments": ask["command"].get("arguments")}


async def test_resolve_returns_an_edit_inside_the_enclosing_function(make_session: Any,
                                                                     tiny_chat_model_dir: Path) -> None:
    # A chat model takes any answer as the new code: the edit's range is what this test checks.
    session = await make_session(model=tiny_chat_model_dir, OPENAGENT_PROMPT_STYLE="chat")
    uri = session.open_file("geo.py", SOURCE)
    actions = await code_actions(session, uri, SELECTION)
    doc_action = next(a for a in actions if a["title"] == "OpenAgent: Add docstring")
    request = types.CodeAction(title=doc_action["title"], kind=doc_action.get("kind"), data=doc_action["data"])
    resolved = raw_action(await session.request(types.CODE_ACTION_RESOLVE, request))
    edits = resolved["edit"]["changes"][uri]
    assert len(edits) == 1
    rng = edits[0]["range"]
    assert rng["start"]["line"] == FUNCTION_RANGE[0] and rng["start"]["character"] == 0
    assert rng["end"]["line"] == FUNCTION_RANGE[1]
    assert edits[0]["newText"].strip()


async def test_apply_edit_reaches_the_client_only_after_approval(make_session: Any, tmp_path: Path,
                                                                 tiny_chat_model_dir: Path) -> None:
    # A chat model: any answer is taken as the new code, so the approval is what this test sees.
    s = await make_session(OPENAGENT_POLICY_FILE=str(strict_write_policy(tmp_path)), model=tiny_chat_model_dir,
                           OPENAGENT_PROMPT_STYLE="chat")
    uri = s.open_file("geo.py", SOURCE)
    args = {"action": "refactor", "uri": uri, "range": to_plain(SELECTION)}
    args["range"] = {"start": {"line": 4, "character": 4}, "end": {"line": 4, "character": 20}}

    s.answer = lambda _p: None  # dismissed
    with pytest.raises(JsonRpcException) as info:
        await s.execute("openagent.applyAction", args)
    assert "not applied" in info.value.message
    assert len(s.prompts) == 1 and s.applied_edits == []
    assert "write" in s.prompts[0].message and "geo.py" in s.prompts[0].message

    s.answer = lambda p: next(a for a in p.actions if a.title == "Run once")
    result = await s.execute("openagent.applyAction", args)
    assert to_plain(result)["applied"] is True
    assert len(s.prompts) == 2 and len(s.applied_edits) == 1


async def test_chat_deltas_arrive_in_order_and_assemble_to_the_final_message(session: Editor) -> None:
    uri = session.open_file("geo.py", SOURCE)
    result = to_plain(await session.execute("openagent.chat", {
        "message": "What does area do?", "uri": uri,
        "range": {"start": {"line": 3, "character": 0}, "end": {"line": 4, "character": 30}}}))
    deltas = [to_plain(d) for d in session.deltas]
    assert deltas, "no openagent/chat/delta notifications"
    assert [d["seq"] for d in deltas] == list(range(1, len(deltas) + 1))
    assert {d["conversationId"] for d in deltas} == {result["conversationId"]}
    assembled = "".join(d["text"] for d in deltas)
    assert result["text"] and result["text"].strip() in assembled
    kinds = [getattr(p, "kind", None) for p in session.progress]
    assert "begin" in kinds and "end" in kinds


def answering(status: dict[str, Any]) -> bool:
    return bool((status.get("agent") or {}).get("activeConversations"))


async def test_chat_cancel_stops_the_stream(make_session: Any, tiny_chat_model_dir: Path) -> None:
    # The held server's generation waits for its cancel: the test never races the model. A chat model:
    # the agent streams its answer (a base model's one-line answer may end before the first piece).
    s = await make_session(hold_after_pieces=0, model=tiny_chat_model_dir, OPENAGENT_PROMPT_STYLE="chat")
    task = asyncio.ensure_future(s.execute("openagent.chat", {"message": "Tell me a long story",
                                                               "conversationId": "conv-cancel"}))
    status = await s.wait_for_status(answering)
    assert status["agent"]["activeConversations"] == ["conv-cancel"]
    cancelled = to_plain(await s.execute("openagent.chat.cancel", {"conversationId": "conv-cancel"}))
    assert cancelled["cancelled"] is True
    result = to_plain(await asyncio.wait_for(task, 60))
    assert result["cancelled"] is True and result["ok"] is False
    count = len(s.deltas)
    # Notifications come in order: whatever the server sent before this answer has arrived by now.
    status = await s.wait_for_status(lambda st: bool((st.get("lastGeneration") or {}).get("stoppedBy")))
    assert len(s.deltas) == count  # nothing streams after the cancel
    assert status["lastGeneration"]["stoppedBy"] == "cancelled"
    assert status["agent"]["activeConversations"] == []


async def test_cancel_request_stops_a_chat(make_session: Any, tiny_chat_model_dir: Path) -> None:
    s = await make_session(hold_after_pieces=0, model=tiny_chat_model_dir, OPENAGENT_PROMPT_STYLE="chat")
    future = asyncio.ensure_future(s.client.protocol.send_request_async(
        types.WORKSPACE_EXECUTE_COMMAND, msg_id="chat-1",
        params=types.ExecuteCommandParams(command="openagent.chat", arguments=[{"message": "A long answer please"}])))
    await s.wait_for_status(answering)
    s.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="chat-1"))
    with pytest.raises(JsonRpcException):
        await future
    status = await s.wait_for_status(lambda st: bool((st.get("lastGeneration") or {}).get("stoppedBy")))
    assert status["lastGeneration"]["stoppedBy"] == "cancelled"


async def test_history_survives_a_server_restart(make_session: Any) -> None:
    first = await make_session()
    result = to_plain(await first.execute("openagent.chat", {"message": "remember the number 42"}))
    conversation_id = result["conversationId"]
    await first.client.shutdown_session()
    await first.client.stop()
    second = await make_session(root=first.root)
    listing = [to_plain(c) for c in await second.execute("openagent.chat.list")]
    assert conversation_id in [c["conversationId"] for c in listing]
    history = await second.execute("openagent.chat.history", {"conversationId": conversation_id})
    history = [to_plain(m) for m in history]
    assert history[0]["role"] == "user" and "42" in history[0]["content"]


@pytest.mark.parametrize("args", [[], ["not an object"], [{"message": ""}], [{"message": "hi", "range": {"start": 1}}]])
async def test_malformed_chat_arguments_are_invalid_params(session: Editor, args: list[Any]) -> None:
    with pytest.raises(JsonRpcException) as info:
        await session.execute("openagent.chat", *args)
    assert info.value.code == -32602
    assert info.value.message


async def test_run_needs_approval_and_runs_only_when_approved(session: Editor) -> None:
    marker = session.root / "marker.txt"
    command = f"/run python3 -c \"open('{marker.name}', 'w').write('x')\""

    session.answer = lambda _p: None  # dismissed
    result = to_plain(await session.execute("openagent.chat", {"message": command}))
    assert not marker.exists() and result["ok"] is False
    assert "python3 -c" in session.prompts[-1].message and "Risk:" in session.prompts[-1].message

    session.answer = lambda p: next(a for a in p.actions if a.title == "Deny")
    await session.execute("openagent.chat", {"message": command})
    assert not marker.exists()

    session.answer = lambda p: next(a for a in p.actions if a.title == "Run once")
    result = to_plain(await session.execute("openagent.chat", {"message": command}))
    assert marker.exists() and result["ok"] is True
    audit = to_plain(await session.request("openagent/audit", {"limit": 20}))
    assert audit["verified"] is True and len(audit["records"]) >= 3


async def test_unanswered_prompt_times_out_as_no(make_session: Any) -> None:
    s = await make_session(OPENAGENT_CHAT__APPROVAL_TIMEOUT_S="1")
    marker = s.root / "late.txt"

    release = asyncio.Event()

    async def never(_p: Any) -> Any:
        await release.wait()  # the user looks away; answered only after the server gave up

    s.answer = never
    result = to_plain(await asyncio.wait_for(s.execute(
        "openagent.chat", {"message": f"/run python3 -c \"open('{marker.name}', 'w')\""}), 20))
    assert result["ok"] is False and not marker.exists()
    release.set()  # the late answer is ignored by the server
    await s.request("openagent/status")  # a round trip after the late answer
    assert not marker.exists()
    audit = to_plain(await s.request("openagent/audit", {"limit": 50}))
    assert not [r for r in audit["records"] if r.get("event") == "tool_result" and r.get("ok")]


async def test_denied_command_never_prompts(session: Editor) -> None:
    result = to_plain(await session.execute("openagent.chat", {"message": "/run rm -rf ~"}))
    assert result["ok"] is False and session.prompts == []


async def test_status_names_the_model_kind_and_a_base_model_says_once_what_it_cannot_do(
        session: Editor, make_session: Any, tiny_chat_model_dir: Path) -> None:
    status = to_plain(await session.request("openagent/status"))
    assert status["model"]["kind"] == "base" and "no chat template" in status["model"]["kind_reason"]
    first = to_plain(await session.execute("openagent.chat", {"message": "Which function computes the area?"}))
    assert "is a small base model" in first["text"] and "ollama:qwen2.5-coder:7b" in first["text"]
    second = to_plain(await session.execute("openagent.chat", {"message": "And the volume?",
                                                                "conversationId": first["conversationId"]}))
    assert "is a small base model" not in second["text"]

    assert status["model"]["prompts"] == "completion"

    # An instruction-tuned model this small still gets completion-shaped prompts, unless promptStyle says.
    chat_model = await make_session(model=tiny_chat_model_dir)
    status = to_plain(await chat_model.request("openagent/status"))
    assert status["model"]["kind"] == "instruct" and "chat template" in status["model"]["kind_reason"]
    assert status["model"]["prompts"] == "completion" and "parameters" in status["model"]["prompts_reason"]
    chosen = await make_session(model=tiny_chat_model_dir, OPENAGENT_PROMPT_STYLE="chat")
    status = to_plain(await chosen.request("openagent/status"))
    assert status["model"]["prompts"] == "chat" and status["model"]["prompts_reason"] == "set by promptStyle"
