"""How the model calls tools, and how its output is parsed.

The format (also stated in the system prompt, see ``agent/prompts.py``)::

    <tool_call>{"tool": "shell.run", "args": {"command": "pytest -q"}}</tool_call>

One JSON object per call: ``"tool"`` is a registered tool name, ``"args"`` an object validated by
that tool's pydantic model. The agent generates with ``</tool_call>`` as a stop sequence, so the
closing tag may be missing from the text it receives; an unclosed call at the very end is accepted.
Smaller models often prefer a fenced block, which is accepted too::

    ```tool
    {"tool": "files.read", "args": {"path": "src/app.py"}}
    ```

Aliases accepted for robustness: ``"name"`` for ``"tool"``; ``"arguments"``/``"parameters"`` for
``"args"``; ``args`` given as a JSON string. A turn with no call is the final answer.

Why parsing is strict about *what* and lenient about *how*: anything malformed (bad JSON, missing
tool name, args not an object) is reported back to the model as an error observation and never
executed; whitespace, code fences and key aliases are forgiven so small models still work. Text a
model writes after its call (an invented "Observation: ...") is discarded.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

TOOL_CALL_OPEN = "<tool_call>"
TOOL_CALL_CLOSE = "</tool_call>"
STOP_SEQUENCES = [TOOL_CALL_CLOSE]
OBSERVATION_PREFIX = "Observation"

# Markers that start a call; used by the stream filter so tool-call JSON never reaches the user.
CALL_MARKERS = (TOOL_CALL_OPEN, "```tool\n", "```tool_call\n", "```tool\r\n", "```tool_call\r\n")

_CALL_RE = re.compile(
    r"<tool_call>\s*(?P<xml>.*?)\s*(?:</tool_call>|\Z)"
    r"|```(?:tool|tool_call)[ \t]*\r?\n(?P<fence>.*?)(?:\r?\n)?```",
    re.DOTALL,
)
# A fenced call cut off by the end of the generation (no closing fence).
_OPEN_FENCE_RE = re.compile(r"```(?:tool|tool_call)[ \t]*\r?\n(?P<fence>.*)\Z", re.DOTALL)
_HALLUCINATED_OBSERVATION = re.compile(r"^\s*(Observation\b|<tool_result\b|<observation\b)", re.MULTILINE)


@dataclass(frozen=True)
class ToolCall:
    name: str
    args: dict[str, Any]
    raw: str


@dataclass
class ParsedTurn:
    """One model turn: the prose before the first call, the calls, and the calls that failed to parse."""

    text: str
    calls: list[ToolCall] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    has_tool_syntax: bool = False
    # The assistant message to keep in the transcript: prose + calls, without invented observations.
    transcript: str = ""


def _decode_call(raw: str) -> ToolCall | str:
    body = raw.strip()
    if body.startswith("```"):  # a fence inside the tags
        body = re.sub(r"^```[a-z_]*\s*", "", body)
        body = re.sub(r"\s*```$", "", body)
    if not body:
        return "empty tool call"
    try:
        obj = json.loads(body)
    except json.JSONDecodeError:
        start = body.find("{")
        if start < 0:
            return f"tool call is not JSON: {body[:200]!r}"
        try:
            obj, _ = json.JSONDecoder().raw_decode(body[start:])
        except json.JSONDecodeError as exc:
            return f"tool call is not valid JSON ({exc.msg} at position {exc.pos}): {body[:200]!r}"
    if not isinstance(obj, dict):
        return f"tool call must be a JSON object, got {type(obj).__name__}"
    name = obj.get("tool", obj.get("name"))
    if not isinstance(name, str) or not name.strip():
        return 'tool call has no "tool" name'
    args: Any = obj.get("args", obj.get("arguments", obj.get("parameters", {})))
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except json.JSONDecodeError:
            return f'"args" of {name} is a string that is not JSON'
    if args is None:
        args = {}
    if not isinstance(args, dict):
        return f'"args" of {name} must be a JSON object, got {type(args).__name__}'
    return ToolCall(name=name.strip(), args=args, raw=raw)


def parse_turn(text: str, max_calls: int = 4) -> ParsedTurn:
    """Split a model turn into prose and tool calls (see the module docstring for the format)."""
    matches = list(_CALL_RE.finditer(text))
    open_fence = None
    if not matches:
        open_fence = _OPEN_FENCE_RE.search(text)
    if not matches and open_fence is None:
        return ParsedTurn(text=text, transcript=text)

    turn = ParsedTurn(text="", has_tool_syntax=True)
    first_start = matches[0].start() if matches else open_fence.start()  # type: ignore[union-attr]
    turn.text = text[:first_start].rstrip()
    end = first_start
    bodies: list[str] = []
    if matches:
        for m in matches:
            # Stop at an invented observation between calls: anything after it is not the model's own plan.
            between = text[end:m.start()]
            if m is not matches[0] and _HALLUCINATED_OBSERVATION.search(between):
                break
            bodies.append(m.group("xml") if m.group("xml") is not None else m.group("fence"))
            end = m.end()
    else:
        bodies.append(open_fence.group("fence"))  # type: ignore[union-attr]
        end = len(text)

    for raw in bodies:
        decoded = _decode_call(raw)
        if isinstance(decoded, str):
            turn.errors.append(decoded)
        elif len(turn.calls) >= max_calls:
            turn.errors.append(
                f"too many tool calls in one step (limit {max_calls}); {decoded.name} was skipped"
            )
        else:
            turn.calls.append(decoded)
    transcript = text[:end]
    if transcript.count(TOOL_CALL_OPEN) > transcript.count(TOOL_CALL_CLOSE):
        transcript += TOOL_CALL_CLOSE  # the stop sequence was stripped by the backend
    turn.transcript = transcript.strip()
    return turn


def format_call(name: str, args: dict[str, Any]) -> str:
    """A call in the canonical format (for examples in prompts and tests)."""
    return f"{TOOL_CALL_OPEN}{json.dumps({'tool': name, 'args': args}, ensure_ascii=False)}{TOOL_CALL_CLOSE}"


def format_observation(name: str, ok: bool, body: str) -> str:
    status = "ok" if ok else "error"
    return f"{OBSERVATION_PREFIX} from {name} ({status}):\n{body}"


class StreamFilter:
    """Forwards streamed text to the user but never the tool-call syntax.

    Text is held back while its tail could still become a call marker; once a marker appears,
    nothing more from this turn is forwarded.
    """

    def __init__(self) -> None:
        self._buffer = ""
        self.in_call = False

    def feed(self, piece: str) -> str:
        if self.in_call:
            return ""
        self._buffer += piece
        positions = [p for p in (self._buffer.find(m) for m in CALL_MARKERS) if p >= 0]
        if positions:
            self.in_call = True
            out, self._buffer = self._buffer[: min(positions)].rstrip(), ""
            return out
        # Trailing whitespace waits for what follows: before a call it is dropped.
        hold = len(self._buffer) - len(self._buffer.rstrip())
        for marker in CALL_MARKERS:
            for size in range(min(len(marker) - 1, len(self._buffer)), 0, -1):
                if self._buffer.endswith(marker[:size]):
                    hold = max(hold, size)
                    break
        head = self._buffer[: len(self._buffer) - hold]
        hold += len(head) - len(head.rstrip())  # whitespace right before a possible marker waits too
        out = self._buffer[: len(self._buffer) - hold]
        self._buffer = self._buffer[len(self._buffer) - hold:]
        return out

    def flush(self) -> str:
        if self.in_call:
            return ""
        out, self._buffer = self._buffer, ""
        return out
