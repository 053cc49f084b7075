"""Plain position types shared by the context layer.

They mirror LSP's ``Position``/``Range`` (``character`` counts UTF-16 code units) so that
``server/convert.py`` can translate them one to one, while domain code never imports lsprotocol.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """A zero-based LSP position; ``character`` is in UTF-16 code units, as the protocol says."""

    line: int
    character: int


@dataclass(frozen=True, slots=True)
class Range:
    """A half-open LSP range ``[start, end)``."""

    start: Position
    end: Position


@dataclass(frozen=True, slots=True)
class TextChange:
    """One entry of ``didChange.contentChanges``; ``range=None`` replaces the whole document."""

    range: Range | None
    text: str
