"""Symbols (functions, classes, methods, structs...) of a source file, from its syntax tree.

Used by the ``code_outline``/``code_find_symbol`` tools and to pick related snippets for completion
prompts. The walk only descends into containers (modules, classes, impls, namespaces) and never into
function bodies, which keeps it cheap enough to run per keystroke on every open file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from openagent_lsp.context.definitions import NAMED_DEFINITIONS
from openagent_lsp.context.documents import Document
from openagent_lsp.context.types import Range

if TYPE_CHECKING:
    from tree_sitter import Node


@dataclass(frozen=True, slots=True)
class Symbol:
    """One definition: ``line`` is zero-based like LSP; ``container`` names the enclosing class/impl."""

    name: str
    kind: str
    range: Range
    line: int
    container: str | None = None
    start_offset: int = 0
    end_offset: int = 0

    @property
    def qualified_name(self) -> str:
        """``Container.name`` when nested, else the bare name."""
        return f"{self.container}.{self.name}" if self.container else self.name


@dataclass(frozen=True, slots=True)
class SymbolLocation:
    """A symbol found in one of several files."""

    path: str
    symbol: Symbol


# Definitions whose children are walked for nested definitions (methods, nested types).
_CONTAINERS = {"class", "interface", "trait", "impl", "module", "struct", "enum"}
_CLASS_LIKE = _CONTAINERS - {"module"}

# Non-definition nodes worth walking into (module-level blocks, exports, declarations).
_WALK: dict[str, set[str]] = {
    "python": {
        "module",
        "block",
        "decorated_definition",
        "if_statement",
        "else_clause",
        "elif_clause",
        "try_statement",
        "except_clause",
        "finally_clause",
        "with_statement",
    },
    "javascript": {
        "program",
        "export_statement",
        "class_body",
        "lexical_declaration",
        "variable_declaration",
        "expression_statement",
        "statement_block",
        "ambient_declaration",
    },
    "go": {"source_file", "type_declaration"},
    "rust": {"source_file", "declaration_list"},
}
_WALK["typescript"] = _WALK["javascript"] | {"interface_body", "object_type", "module"}
_WALK["tsx"] = _WALK["typescript"]

_FUNCTION_VALUES = {"arrow_function", "function_expression", "function", "generator_function"}


def _name_of(node: Node, doc: Document, grammar: str) -> str | None:
    if node.type == "impl_item":
        typ = node.child_by_field_name("type")
        trait = node.child_by_field_name("trait")
        if typ is None:
            return None
        name = doc.node_text(typ.start_byte, typ.end_byte)
        if trait is not None:
            return f"{doc.node_text(trait.start_byte, trait.end_byte)} for {name}"
        return name
    name_node = node.child_by_field_name("name")
    if name_node is None:
        return None
    return doc.node_text(name_node.start_byte, name_node.end_byte)


def _go_receiver(node: Node, doc: Document) -> str | None:
    receiver = node.child_by_field_name("receiver")
    if receiver is None:
        return None
    text = doc.node_text(receiver.start_byte, receiver.end_byte).strip("() ")
    return text.split()[-1].lstrip("*") if text else None


def _kind_of(node: Node, grammar: str, base: str, container_kind: str | None) -> str:
    if grammar == "go" and node.type == "type_spec":
        typ = node.child_by_field_name("type")
        if typ is not None and typ.type == "struct_type":
            return "struct"
        if typ is not None and typ.type == "interface_type":
            return "interface"
        return "type"
    if base == "function" and container_kind in _CLASS_LIKE:
        return "method"
    return base


def document_symbols(doc: Document) -> list[Symbol]:
    """Symbols of an open document, cached per version (the tree is re-parsed incrementally)."""
    cached = doc.derived.get("outline")
    if cached is not None and cached[0] == doc.version and doc.version >= 0:
        return cached[1]  # type: ignore[return-value]
    symbols = _collect(doc)
    if doc.version >= 0:
        doc.derived["outline"] = (doc.version, symbols)
    return symbols


def _collect(doc: Document) -> list[Symbol]:
    grammar = doc.grammar
    tree = doc.tree
    if tree is None or grammar is None:
        return []
    defs = NAMED_DEFINITIONS.get(grammar, {})
    walk = _WALK.get(grammar, set())
    out: list[Symbol] = []

    def add(node: Node, name: str, kind: str, container: str | None) -> None:
        start = doc.offset_from_byte(node.start_byte)
        end = doc.offset_from_byte(node.end_byte)
        rng = doc.range_at(start, end)
        out.append(Symbol(name, kind, rng, rng.start.line, container, start, end))

    def visit(node: Node, container: str | None, container_kind: str | None) -> None:
        for child in node.named_children:
            ctype = child.type
            base = defs.get(ctype)
            if base is not None:
                name = _name_of(child, doc, grammar)
                if name is None:
                    continue
                owner = container
                if ctype == "method_declaration" and grammar == "go":
                    owner = _go_receiver(child, doc)
                kind = _kind_of(child, grammar, base, container_kind)
                add(child, name, kind, owner)
                if kind in _CONTAINERS:
                    body = child.child_by_field_name("body")
                    if body is not None:
                        inner = name.split(" for ")[-1] if ctype == "impl_item" else name
                        visit(body, inner, kind)
                continue
            if ctype == "variable_declarator" or ctype in ("public_field_definition", "field_definition"):
                value = child.child_by_field_name("value")
                name_node = child.child_by_field_name("name")
                if value is not None and name_node is not None and value.type in _FUNCTION_VALUES:
                    name = doc.node_text(name_node.start_byte, name_node.end_byte)
                    kind = "method" if container_kind in _CLASS_LIKE else "function"
                    add(child, name, kind, container)
                continue
            if ctype in walk:
                visit(child, container, container_kind)

    visit(tree.root_node, None, None)
    return out


def outline(text: str, language_id: str, path: str = "") -> list[Symbol]:
    """Symbols of ``text`` in source order; empty for languages without a grammar."""
    return _collect(Document(path or "untitled:outline", language_id, -1, text))


def find_symbol(texts: dict[str, tuple[str, str]], name: str) -> list[SymbolLocation]:
    """Definitions named ``name`` (or ``Container.name``) across ``{path: (text, language_id)}``.

    Exact matches come first, then case-insensitive ones, each in path order, so the tool's answer
    is stable between runs.
    """
    wanted = name.strip()
    if not wanted:
        return []
    folded = wanted.casefold()
    exact: list[SymbolLocation] = []
    loose: list[SymbolLocation] = []
    for path in sorted(texts):
        text, language_id = texts[path]
        for sym in outline(text, language_id, path):
            if wanted in (sym.name, sym.qualified_name):
                exact.append(SymbolLocation(path, sym))
            elif folded in (sym.name.casefold(), sym.qualified_name.casefold()):
                loose.append(SymbolLocation(path, sym))
    return exact + loose
