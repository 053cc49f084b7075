"""The code-action catalog and how each action turns a model answer into an edit.

Listing actions never calls the model (it must answer in milliseconds); the edit is computed only
when the user picks one (``codeAction/resolve`` or the apply command). An edit replaces the
enclosing tree-sitter node of the selection (function, class, statement), never the whole file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from openagent_lsp.context.documents import Document
from openagent_lsp.context.types import Range
from openagent_lsp.errors import InvalidInputError

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


@dataclass(frozen=True)
class Target:
    """The code an action works on: the enclosing syntax node of the selection."""

    range: Range
    start: int
    end: int
    text: str
    name: str
    kind: str


def list_actions(has_selection: bool, diagnostics: list[str], only: list[str] | None = None) -> list[ActionSpec]:
    ids = ["ask", "explain", "docstring", "tests", "refactor"] if has_selection else ["explain", "docstring", "tests"]
    if diagnostics:
        ids.insert(0, "fix")
    specs = [ACTIONS[i] for i in ids]
    if only:
        specs = [s for s in specs if any(s.kind == o or s.kind.startswith(o + ".") or (o == "" and s.kind == "")
                                         for o in only)]
    return specs


_EDITABLE_NODES = {
    "function_definition", "class_definition", "decorated_definition",  # python
    "function_declaration", "method_definition", "class_declaration", "arrow_function",  # js/ts
    "method_declaration", "type_declaration",  # go
    "function_item", "impl_item", "struct_item", "enum_item",  # rust
}


def find_target(doc: Document, selection: Range) -> Target:
    """The smallest function/class-like node that contains the selection; else the selected lines."""
    start = doc.offset_at(selection.start)
    end = doc.offset_at(selection.end)
    if end < start:
        start, end = end, start
    tree = doc.tree
    if tree is not None:
        sb, eb = doc.byte_at(start), doc.byte_at(max(start, end - 1) if end > start else end)
        node = tree.root_node.named_descendant_for_byte_range(sb, eb)
        while node is not None and node.type not in _EDITABLE_NODES:
            node = node.parent
        if node is not None:
            # A decorated Python definition is edited as a whole (decorators included).
            if node.parent is not None and node.parent.type == "decorated_definition":
                node = node.parent
            s, e = doc.offset_from_byte(node.start_byte), doc.offset_from_byte(node.end_byte)
            name_node = node.child_by_field_name("name") or next(
                (c.child_by_field_name("name") for c in node.named_children if c.child_by_field_name("name")), None)
            name = doc.text[doc.offset_from_byte(name_node.start_byte):doc.offset_from_byte(name_node.end_byte)] \
                if name_node is not None else ""
            # Start at the beginning of the line so the replacement keeps the indentation.
            s = doc.text.rfind("\n", 0, s) + 1
            return Target(doc.range_at(s, e), s, e, doc.text[s:e], name, node.type)
    # No grammar or no enclosing definition: whole selected lines.
    s = doc.text.rfind("\n", 0, start) + 1
    e = doc.text.find("\n", end)
    e = len(doc.text) if e < 0 else e
    if s == e:
        raise InvalidInputError("range: the selection is empty and not inside a function or class")
    return Target(doc.range_at(s, e), s, e, doc.text[s:e], "", "lines")


def action_messages(action: str, target: Target, language: str, diagnostics: list[str],
                    question: str = "") -> list[dict[str, str]]:
    """The chat messages sent to the model for one action."""
    lang = language or "text"
    code = f"```{lang}\n{target.text}\n```"
    system = ("You are a precise coding assistant inside an editor. When asked to change code, answer with "
              "exactly one fenced code block containing the complete replacement code and nothing else.")
    asks = {
        "explain": f"Explain what this {lang} code does, briefly and concretely:\n{code}",
        "ask": f"{question}\n\nThe question is about this {lang} code:\n{code}",
        "docstring": f"Add a docstring (or doc comment) to this {lang} code. Keep the code itself unchanged. "
                     f"Return the whole code with the docstring added:\n{code}",
        "refactor": f"Simplify this {lang} code without changing its behaviour. Return the whole new code:\n{code}",
        "fix": "Fix these problems in the code:\n" + "\n".join(f"- {d}" for d in diagnostics)
               + f"\nReturn the whole corrected code:\n{code}",
        "tests": f"Write pytest-style unit tests for this {lang} code. Return only the test code:\n{code}",
    }
    if action not in asks:
        raise InvalidInputError(f"action: unknown action {action!r}; expected one of {', '.join(asks)}")
    return [{"role": "system", "content": system}, {"role": "user", "content": asks[action]}]


_FENCE = re.compile(r"```[^\n`]*\n(.*?)(?:```|\Z)", re.S)


def extract_code(answer: str) -> str:
    """The first fenced block of the answer, or the whole answer when the model used no fence."""
    match = _FENCE.search(answer)
    code = match.group(1) if match else answer
    return code.strip("\n")


def reindent(code: str, like: str) -> str:
    """Give ``code`` the indentation of the first line of ``like`` (models often drop it)."""
    want = like[: len(like) - len(like.lstrip())]
    lines = code.splitlines()
    if not lines:
        return code
    have = lines[0][: len(lines[0]) - len(lines[0].lstrip())]
    if have == want:
        return code
    out = []
    for line in lines:
        body = line[len(have):] if line.startswith(have) else line.lstrip()
        out.append(want + body if line.strip() else "")
    return "\n".join(out)


def replacement_for(action: str, target: Target, answer: str) -> str:
    """The new text for ``target`` from the model's answer; refuses answers that are not code."""
    code = extract_code(answer)
    if not code.strip():
        raise InvalidInputError(f"the model returned no code for '{ACTIONS[action].title}'")
    return reindent(code, target.text)


def test_file_for(source: Path, workspace: Path) -> Path:
    """Where tests for ``source`` go: an existing tests/ folder, else next to the source."""
    stem = source.stem
    tests_dir = workspace / "tests"
    folder = tests_dir if tests_dir.is_dir() else source.parent
    return folder / f"test_{stem}{source.suffix}"
