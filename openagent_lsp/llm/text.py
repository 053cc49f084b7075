"""Backend-independent helpers for turning model pieces into text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_unicode(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD, one code point (and one UTF-16 unit) for one.

    JSON lets an editor send half a surrogate pair (``"\\ud83d"``); Python keeps it, but tokenizers and
    HTTP bodies need valid Unicode. Positions computed on the original text stay valid on the result.
    """
    return _LONE_SURROGATE.sub("\ufffd", text) if not text.isascii() else text


def apply_stops(pieces: Iterable[str], stops: list[str]) -> Iterator[str]:
    """Yield text until any stop string appears; the stop string itself is never yielded.

    Holds back just enough characters to catch a stop string split across pieces.
    """
    if not stops:
        yield from pieces
        return
    hold = max(len(s) for s in stops) - 1
    buffer = ""
    for piece in pieces:
        buffer += piece
        cut = min((i for i in (buffer.find(s) for s in stops) if i >= 0), default=-1)
        if cut >= 0:
            if cut:
                yield buffer[:cut]
            return
        if len(buffer) > hold:
            emit, buffer = buffer[: len(buffer) - hold], buffer[len(buffer) - hold :]
            yield emit
    if buffer:
        yield buffer


# A base model continues a transcript with the next turn: these end its answer.
TRANSCRIPT_STOPS = ["\nUser:", "\nAssistant:", "\nSystem:", "\nTool:"]


def transcript_prompt(messages: list[dict[str, str]]) -> str:
    """A plain transcript for models without a chat template (base models)."""
    lines = []
    for message in messages:
        role = message.get("role", "user")
        label = {"system": "System", "user": "User", "assistant": "Assistant", "tool": "Tool"}.get(role, role)
        lines.append(f"{label}: {message.get('content', '')}")
    lines.append("Assistant:")
    return "\n\n".join(lines)
