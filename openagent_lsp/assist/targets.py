"""The code an action works on: the innermost definition around the selection, never the whole file."""

from __future__ import annotations

from dataclasses import dataclass

from openagent_lsp.context.definitions import DEFINITION_WRAPPERS, enclosing_kinds
from openagent_lsp.context.documents import Document
from openagent_lsp.context.types import Range
from openagent_lsp.errors import InvalidInputError


@dataclass(frozen=True)
class Target:
    """The code an action works on: the enclosing syntax node of the selection."""

    range: Range
    start: int
    end: int
    text: str
    name: str
    kind: str


def find_target(doc: Document, selection: Range) -> Target:
    """The smallest function/class-like node that contains the selection; else the selected lines."""
    start = doc.offset_at(selection.start)
    end = doc.offset_at(selection.end)
    if end < start:
        start, end = end, start
    tree, grammar = doc.tree, doc.grammar
    if tree is not None and grammar is not None:
        kinds = enclosing_kinds(grammar)
        sb, eb = doc.byte_at(start), doc.byte_at(max(start, end - 1) if end > start else end)
        node = tree.root_node.named_descendant_for_byte_range(sb, eb)
        while node is not None and node.type not in kinds:
            node = node.parent
        if node is not None:
            # A decorated Python definition is edited as a whole (decorators included).
            if node.parent is not None and node.parent.type in DEFINITION_WRAPPERS:
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
