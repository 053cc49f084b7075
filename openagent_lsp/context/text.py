"""Small text measures shared by the context layer, post-processing and the LSP layer (no tree-sitter here)."""

from __future__ import annotations

from openagent_lsp.context.types import Position

TAB_WIDTH = 4


def indent_width(text: str) -> int:
    """Width of the leading whitespace of ``text`` (a tab counts as four columns)."""
    width = 0
    for ch in text:
        if ch == " ":
            width += 1
        elif ch == "\t":
            width += TAB_WIDTH
        else:
            break
    return width


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (astral characters such as emoji count twice)."""
    if text.isascii():
        return len(text)
    # surrogatepass: a lone surrogate (JSON allows "\ud83d") is one code unit, not a crash.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def utf16_to_index(line: str, units: int) -> int:
    """String index inside ``line`` that is ``units`` UTF-16 code units from its start.

    Clamped to the line; a column that falls inside a surrogate pair rounds down to the start of
    that character, so an insertion never splits an emoji.
    """
    if units <= 0:
        return 0
    if line.isascii():
        return min(units, len(line))
    encoded = line.encode("utf-16-le", "surrogatepass")[: units * 2]
    decoded = encoded.decode("utf-16-le", "surrogatepass")
    index = len(decoded)
    # The cut fell inside an astral character: its high surrogate decodes alone; round down.
    if decoded and "\ud800" <= decoded[-1] <= "\udbff" and line[index - 1] != decoded[-1]:
        index -= 1
    return index


def end_position(text: str) -> Position:
    """The position just after the last character of ``text`` (LSP columns count UTF-16 units)."""
    line_start = text.rfind("\n") + 1
    return Position(text.count("\n"), utf16_len(text[line_start:]))
