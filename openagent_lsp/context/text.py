"""Small text measures shared by the context layer and post-processing (no tree-sitter here)."""

from __future__ import annotations

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
