"""The code actions we offer on a selection, and which of them apply where.

Listing never calls the model (it must answer in milliseconds); the edit is computed only when the
user picks an action (``ActionService``).
"""

from __future__ import annotations

from dataclasses import dataclass

QUICKFIX = "quickfix"
REFACTOR = "refactor.rewrite"
SOURCE = "source"
EMPTY = ""


@dataclass(frozen=True)
class ActionSpec:
    id: str
    title: str
    kind: str
    edits: bool  # False: the answer goes to the chat stream (explain, ask)


ACTIONS: dict[str, ActionSpec] = {
    "ask": ActionSpec("ask", "OpenAgent: Ask agent…", EMPTY, False),
    "explain": ActionSpec("explain", "OpenAgent: Explain this code", EMPTY, False),
    "docstring": ActionSpec("docstring", "OpenAgent: Add docstring", REFACTOR, True),
    "tests": ActionSpec("tests", "OpenAgent: Write tests for this function", SOURCE, True),
    "fix": ActionSpec("fix", "OpenAgent: Fix this diagnostic", QUICKFIX, True),
    "refactor": ActionSpec("refactor", "OpenAgent: Simplify / refactor", REFACTOR, True),
}


def list_actions(has_selection: bool, diagnostics: list[str], only: list[str] | None = None) -> list[ActionSpec]:
    ids = ["ask", "explain", "docstring", "tests", "refactor"] if has_selection else ["explain", "docstring", "tests"]
    if diagnostics:
        ids.insert(0, "fix")
    specs = [ACTIONS[i] for i in ids]
    if only:
        specs = [s for s in specs if any(s.kind == o or s.kind.startswith(o + ".") or (o == "" and s.kind == "")
                                         for o in only)]
    return specs
