"""Tool-call parsing: lenient about layout, strict about content; stream filtering."""

from __future__ import annotations

import pytest

from openagent_lsp.agent.protocol import StreamFilter, format_call, parse_turn


def test_plain_answer_has_no_calls() -> None:
    turn = parse_turn("The tests pass. ```python\nprint(1)\n```")
    assert not turn.has_tool_syntax and turn.calls == [] and turn.errors == []


def test_tagged_call_with_prose() -> None:
    turn = parse_turn('Let me look.\n<tool_call>{"tool": "files.read", "args": {"path": "a.py"}}</tool_call>')
    assert turn.text == "Let me look."
    assert [(c.name, c.args) for c in turn.calls] == [("files.read", {"path": "a.py"})]
    assert turn.transcript.endswith("</tool_call>")


def test_unclosed_call_at_the_end_is_accepted() -> None:
    # Generation stops at </tool_call>, which many backends strip.
    turn = parse_turn('<tool_call>{"tool": "git.status", "args": {}}')
    assert [c.name for c in turn.calls] == ["git.status"]
    assert turn.transcript == '<tool_call>{"tool": "git.status", "args": {}}</tool_call>'


def test_fenced_call_and_aliases() -> None:
    turn = parse_turn('```tool\n{"name": "shell.run", "arguments": "{\\"command\\": \\"ls\\"}"}\n```')
    assert [(c.name, c.args) for c in turn.calls] == [("shell.run", {"command": "ls"})]


def test_unclosed_fence_at_end() -> None:
    turn = parse_turn('```tool\n{"tool": "git.log", "args": {"max_count": 3}}')
    assert [(c.name, c.args) for c in turn.calls] == [("git.log", {"max_count": 3})]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["shell.run"]', "must be a JSON object"),
        ('{"args": {}}', 'no "tool" name'),
        ('{"tool": "shell.run", "args": [1]}', '"args" of shell.run must be a JSON object'),
        ("", "empty tool call"),
        ("hello", "not JSON"),
    ],
)
def test_malformed_calls_become_errors_not_calls(body: str, message: str) -> None:
    turn = parse_turn(f"<tool_call>{body}</tool_call>")
    assert turn.has_tool_syntax and turn.calls == []
    assert len(turn.errors) == 1 and message in turn.errors[0]


def test_trailing_garbage_after_json_is_tolerated() -> None:
    turn = parse_turn('<tool_call>{"tool": "git.status", "args": {}} please</tool_call>')
    assert [c.name for c in turn.calls] == ["git.status"]


def test_invented_observation_and_later_calls_are_dropped() -> None:
    text = (
        format_call("files.read", {"path": "a"})
        + "\nObservation from files.read (ok):\nfake content\n"
        + format_call("shell.run", {"command": "touch pwned"})
    )
    turn = parse_turn(text)
    assert [c.name for c in turn.calls] == ["files.read"]
    assert "fake content" not in turn.transcript


def test_call_limit_per_step() -> None:
    text = "".join(format_call("git.status", {}) for _ in range(3))
    turn = parse_turn(text, max_calls=2)
    assert len(turn.calls) == 2 and "too many tool calls" in turn.errors[0]


def _filtered(pieces: list[str]) -> str:
    f = StreamFilter()
    return "".join(f.feed(p) for p in pieces) + f.flush()


def test_stream_filter_hides_calls_split_across_pieces() -> None:
    text = 'Checking.<tool_call>{"tool": "git.status", "args": {}}</tool_call>'
    pieces = [text[i : i + 3] for i in range(0, len(text), 3)]
    assert _filtered(pieces) == "Checking."


def test_stream_filter_passes_ordinary_code_fences_and_angle_brackets() -> None:
    text = "Use `a < b` and\n```python\nx = 1\n```\n<tool is not a call"
    pieces = [text[i : i + 2] for i in range(0, len(text), 2)]
    assert _filtered(pieces) == text


def test_stream_filter_hides_fenced_calls() -> None:
    assert _filtered(["Sure.\n``", "`tool\n{", '"tool": "x"}', "\n```"]) == "Sure."
