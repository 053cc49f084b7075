"""What surrounds the cursor: enclosing scope, the file's imports, and related code from other files.

Facts only, no budget: ``completion/context.py`` decides how much of this fits a prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from openagent_lsp.context.definitions import enclosing_kinds
from openagent_lsp.context.documents import Document, DocumentStore
from openagent_lsp.context.languages import path_from_uri
from openagent_lsp.context.outline import document_symbols
from openagent_lsp.context.text import indent_width
from openagent_lsp.context.types import Range

if TYPE_CHECKING:
    from tree_sitter import Node

_IDENT = re.compile(r"[^\W\d]\w*")

# Identifiers that say nothing about which code is related.
_KEYWORD_TEXT = """
    and as assert async await break case catch class const continue crate def default defer del do
    elif else enum except export extends false final finally fn for from func function go goto if
    impl implements import in instanceof interface is lambda let loop match mod module move mut new
    nil none not null or package pass pub raise ref return self static struct super switch this
    throw trait true try type typeof use var void where while with yield string int float bool str
    none true false usize isize u8 u32 u64 i32 i64 f32 f64 number boolean any unknown err error
    print println fmt console log string_ range len make map chan select
"""
_KEYWORDS = frozenset(_KEYWORD_TEXT.split())

_IMPORT_TYPES: dict[str, set[str]] = {
    "python": {"import_statement", "import_from_statement", "future_import_statement"},
    "javascript": {"import_statement"},
    "typescript": {"import_statement", "import_alias"},
    "tsx": {"import_statement", "import_alias"},
    "go": {"import_declaration"},
    "rust": {"use_declaration", "extern_crate_declaration"},
}
_IMPORT_CONTAINERS = {
    "module",
    "program",
    "source_file",
    "if_statement",
    "try_statement",
    "block",
    "else_clause",
    "except_clause",
    "finally_clause",
    "elif_clause",
}
_FALLBACK_IMPORT = re.compile(
    r"^[ \t]*(?:import\b|from\s+\S+\s+import\b|#\s*include\b|use\s|require\b|using\s).*$", re.M
)


@dataclass(frozen=True, slots=True)
class Scope:
    """An enclosing definition: its kind, name, full text and where it is."""

    kind: str
    name: str
    text: str
    range: Range
    start_offset: int
    end_offset: int

    @property
    def header(self) -> str:
        """The definition's first line (its signature, usually)."""
        return self.text.split("\n", 1)[0]


@dataclass(frozen=True, slots=True)
class Snippet:
    """Code from another open file judged relevant to the cursor."""

    uri: str
    path: str
    text: str
    score: float
    name: str | None = None
    start_line: int = 0


# ---------------------------------------------------------------------------------------- scopes
def _scope_name(node: Node, doc: Document) -> str:
    if node.type == "impl_item":
        typ = node.child_by_field_name("type")
        if typ is not None:
            return doc.node_text(typ.start_byte, typ.end_byte)
    name = node.child_by_field_name("name")
    if name is not None:
        return doc.node_text(name.start_byte, name.end_byte)
    parent = node.parent
    if parent is not None and parent.type in ("variable_declarator", "pair", "assignment_expression"):
        target = (
            parent.child_by_field_name("name")
            or parent.child_by_field_name("key")
            or parent.child_by_field_name("left")
        )
        if target is not None:
            return doc.node_text(target.start_byte, target.end_byte)
    return "<anonymous>"


def enclosing_scopes(doc: Document, offset: int) -> list[Scope]:
    """Definitions around ``offset``, innermost first.

    A cursor on a blank line sits outside tree-sitter's node for the function above it (Python
    nodes end at their last statement), so the lookup starts at the last code before the cursor and
    Python scopes are kept only while the cursor is indented deeper than their header.
    """
    tree = doc.tree
    grammar = doc.grammar
    if tree is None or grammar is None:
        return []
    types = enclosing_kinds(grammar)
    text = doc.text
    offset = min(max(offset, 0), len(text))
    line_start = text.rfind("\n", 0, offset) + 1
    before = text[line_start:offset]
    cursor_indent: int | None = None
    lookup = offset
    if not before.strip():
        cursor_indent = indent_width(before)
        stripped = text[:offset].rstrip()
        lookup = max(len(stripped) - 1, 0)
    point = doc.point_at(lookup)
    node: Node | None = tree.root_node.named_descendant_for_point_range(point, point)
    cursor_byte = doc.byte_at(offset)
    scopes: list[Scope] = []
    while node is not None:
        kind = types.get(node.type)
        if kind is not None and _contains(doc, node, cursor_byte, grammar, cursor_indent):
            start = doc.offset_from_byte(node.start_byte)
            end = doc.offset_from_byte(node.end_byte)
            rng = doc.range_at(start, end)
            scopes.append(Scope(kind, _scope_name(node, doc), text[start:end], rng, start, end))
        node = node.parent
    # A function nested in a class is a method.
    for i, sc in enumerate(scopes):
        if sc.kind == "function" and i + 1 < len(scopes) and scopes[i + 1].kind in ("class", "impl", "trait"):
            scopes[i] = Scope("method", sc.name, sc.text, sc.range, sc.start_offset, sc.end_offset)
    return scopes


def _contains(doc: Document, node: Node, cursor_byte: int, grammar: str, cursor_indent: int | None) -> bool:
    if cursor_byte < node.start_byte:
        return False
    if grammar == "python":
        if cursor_byte <= node.end_byte and cursor_indent is None:
            return True
        if cursor_indent is None:
            return False
        start = doc.offset_from_byte(node.start_byte)
        header_indent = indent_width(doc.text[doc.text.rfind("\n", 0, start) + 1 : start])
        return cursor_indent > header_indent
    if cursor_byte < node.end_byte:
        return True
    # The cursor right after an unclosed (error-recovered) definition is still inside it.
    return cursor_byte == node.end_byte and doc.source[node.end_byte - 1 : node.end_byte] not in (b"}", b";")


def enclosing_scope(doc: Document, offset: int) -> Scope | None:
    """The innermost function/method/class around ``offset``, or ``None`` at module level."""
    scopes = enclosing_scopes(doc, offset)
    return scopes[0] if scopes else None


# ---------------------------------------------------------------------------------------- imports
def imports(doc: Document) -> list[str]:
    """The file's import statements (module level, including ``if TYPE_CHECKING:``/``try`` blocks).

    Languages without a grammar fall back to a line regex, which is good enough for a prompt.
    """
    tree = doc.tree
    grammar = doc.grammar
    if tree is None or grammar is None:
        return [m.group(0).strip() for m in _FALLBACK_IMPORT.finditer(doc.text)]
    wanted = _IMPORT_TYPES.get(grammar, set())
    out: list[str] = []

    def visit(node: Node, depth: int) -> None:
        for child in node.named_children:
            if child.type in wanted or (
                grammar in ("javascript", "typescript", "tsx")
                and depth == 0
                and child.type in ("lexical_declaration", "variable_declaration")
                and b"require(" in doc.source[child.start_byte : child.end_byte]
            ):
                out.append(doc.node_text(child.start_byte, child.end_byte))
            elif child.type in _IMPORT_CONTAINERS and depth < 3:
                visit(child, depth + 1)

    visit(tree.root_node, 0)
    return out


# ---------------------------------------------------------------------------------------- snippets
def identifiers(text: str) -> set[str]:
    """Identifiers of ``text`` that may name something (keywords and one-letter names dropped)."""
    return {w for w in _IDENT.findall(text) if len(w) > 1 and w.lower() not in _KEYWORDS}


@dataclass(frozen=True, slots=True)
class _Candidate:
    name: str | None
    text: str
    idents: frozenset[str]
    start_line: int
    end_line: int


_MAX_SNIPPET_LINES = 40
_WINDOW = 20


def _candidates(doc: Document) -> list[_Candidate]:
    cached = doc.derived.get("snippet_candidates")
    if cached is not None and cached[0] == doc.version:
        return cached[1]  # type: ignore[return-value]
    out: list[_Candidate] = []
    symbols = document_symbols(doc) if doc.tree is not None else []
    text = doc.text
    for sym in symbols:
        body = text[sym.start_offset : sym.end_offset]
        lines = body.split("\n")
        # Re-indent nested definitions (methods) to their own level so the prompt reads cleanly.
        indent = sym.range.start.character
        body_lines = [lines[0]] + [ln[indent:] if ln[:indent].strip() == "" else ln for ln in lines[1:]]
        clipped = "\n".join(body_lines[:_MAX_SNIPPET_LINES]).rstrip()
        idents = frozenset(identifiers(clipped))
        out.append(_Candidate(sym.name, clipped, idents, sym.range.start.line, sym.range.end.line))
    if not symbols:
        lines = text.split("\n")
        for start in range(0, max(len(lines), 1), _WINDOW // 2):
            chunk = "\n".join(lines[start : start + _WINDOW]).strip("\n")
            if chunk.strip():
                out.append(_Candidate(None, chunk, frozenset(identifiers(chunk)), start, start + _WINDOW))
            if start + _WINDOW >= len(lines):
                break
    doc.derived["snippet_candidates"] = (doc.version, out)
    return out


def display_path(uri: str, root: str | None = None) -> str:
    """A short path for prompts: relative to ``root`` when possible, else the file name."""
    path = path_from_uri(uri)
    if root:
        try:
            return str(PurePosixPath(path).relative_to(PurePosixPath(root)))
        except ValueError:
            pass
    return PurePosixPath(path).name or path


def ranked_snippets(
    store: DocumentStore,
    uri: str,
    prefix_text: str,
    *,
    root: str | None = None,
    near_lines: int = 40,
    max_snippets: int = 8,
) -> list[Snippet]:
    """Snippets from OTHER open files that share identifiers with the code just before the cursor, best first.

    Definitions whose name is used near the cursor rank first, then definitions the file imports by
    name (``from .utils import f``: the helper the code is about to call), then the rest by Jaccard
    overlap of identifier sets (the sliding-window heuristic of Copilot-style clients). Overlapping
    candidates of one file (a method of a chosen class) are skipped. The caller decides how many fit.
    """
    tail_lines = prefix_text.split("\n")[-near_lines:]
    query = identifiers("\n".join(tail_lines))
    current = store.find(uri)
    imported = identifiers("\n".join(imports(current))) if current is not None else set()
    if not query and not imported:
        return []
    nearest = identifiers("\n".join(tail_lines[-8:]))
    scored: list[tuple[float, Document, _Candidate]] = []
    for doc in store:
        if doc.uri == uri:
            continue
        for cand in _candidates(doc):
            if not cand.idents:
                continue
            common = len(query & cand.idents)
            is_imported = cand.name is not None and cand.name in imported
            if common == 0 and not is_imported:
                continue
            score = common / len(query | cand.idents)
            if cand.name is not None and cand.name in query:
                score += 1.0 if cand.name in nearest else 0.5
            if is_imported:
                score += 0.75
            scored.append((score, doc, cand))
    scored.sort(key=lambda item: (-item[0], item[1].uri, item[2].start_line))
    chosen: list[Snippet] = []
    spans: dict[str, list[tuple[int, int]]] = {}
    for score, doc, cand in scored:
        if len(chosen) >= max_snippets or score < 0.05:
            break
        doc_spans = spans.setdefault(doc.uri, [])
        if any(cand.start_line <= e and s <= cand.end_line for s, e in doc_spans):
            continue  # overlaps a chosen snippet (a method of a chosen class, say)
        chosen.append(Snippet(doc.uri, display_path(doc.uri, root), cand.text, score, cand.name, cand.start_line))
        doc_spans.append((cand.start_line, cand.end_line))
    return chosen


def render_snippet(snippet: Snippet, comment: str) -> str:
    """A snippet as a comment block (``# Path: x.py`` then the code, each line commented)."""
    lines = [f"{comment} Path: {snippet.path}"]
    lines.extend(f"{comment} {line}".rstrip() for line in snippet.text.split("\n"))
    return "\n".join(lines) + "\n"
