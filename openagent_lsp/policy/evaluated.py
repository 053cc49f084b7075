"""Find the places where bash evaluates text as code although it looks like data.

Arithmetic (``$((x))``, ``((x))``, ``let``, ``[[ x -eq y ]]``, ``declare -i``, array subscripts, the
offsets of ``${v:o:l}``) evaluates the *value* of every variable it names, recursively, and an array
subscript met on the way runs its command substitutions: ``x='a[$(id)]'; echo $((x))`` runs ``id``.
``${!x}`` and namerefs (``declare -n``) do the same through a name; ``${x@P}`` expands a value like a
prompt (command substitutions included); here-documents and backticks nest command substitutions
tree-sitter reads as plain text. None of this is visible to a check that only looks at programs and
arguments, so each occurrence makes the command ask (it still runs in the sandbox when approved).

Arithmetic on literal numbers only (``$((1+2))``) evaluates nothing and passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# The expansion forms that evaluate nothing: ${v}, ${#v}, ${v:-w}, ${v#p}, ${v/p/r}, ${v^^}, ${v@Q}...
_PARAM = r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-]"
_PLAIN_EXPANSION = re.compile(
    r"\$\{#?(" + _PARAM + r")(\[[@*]\]|\[[0-9]+\])?"
    r"(?:(:?[-=+?])[^}]*|(##?|%%?)[^}]*|(//?|/#|/%)[^}]*|(\^\^?|,,?)[^}]*|@[QEAaKkULu])?\}",
    re.DOTALL,
)
_ARITH_NUMBER = re.compile(r"0[xX][0-9a-fA-F]+|[0-9]+#[0-9a-zA-Z@_]+|[0-9]+")
_ARITH_OPERATORS = re.compile(r"[\s+\-*/%()<>=!&|^~?:,]*")
_ARITH_TEST_OPS = frozenset({"-eq", "-ne", "-lt", "-le", "-gt", "-ge"})
_NUMBER = re.compile(r"-?[0-9]+")


def _text(node: Any, src: bytes) -> str:
    return src[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _walk(node: Any) -> Iterator[Any]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def evaluated_code(root: Any, src: bytes) -> list[tuple[str, str]]:
    """(reason, snippet) for every construct under ``root`` whose text bash evaluates as code."""
    out: list[tuple[str, str]] = []
    for node in _walk(root):
        reason = _judge(node, src)
        if reason:
            out.append((reason, _text(node, src)[:120]))
    return out


def _judge(node: Any, src: bytes) -> str:
    t = node.type
    if t == "arithmetic_expansion" or (t == "compound_statement" and _text(node, src).startswith("((")):
        inner = _ARITH_NUMBER.sub(" ", _text(node, src).strip("$()"))
        if not _ARITH_OPERATORS.fullmatch(inner):
            return "bash arithmetic evaluates the values of the variables it names as code"
        return ""
    if t == "test_command":
        return _test(node, src, arithmetic=_text(node, src).startswith("[["))
    if t == "expansion":
        return _expansion(_text(node, src))
    if t == "subscript":
        index = _text(node, src).split("[", 1)[1].rstrip("]") if "[" in _text(node, src) else ""
        if not re.fullmatch(r"\s*[0-9@*]*\s*", index):
            return "an array subscript is evaluated as arithmetic, which runs code hidden in variables"
        return ""
    if t == "declaration_command":
        return _declaration(node, src)
    if t == "heredoc_body":
        return _heredoc(node, src)
    if t == "command_substitution":
        text = _text(node, src)
        if text.startswith("`") and "\\`" in text:
            return "nested backticks run commands the policy cannot read"
        return ""
    if t in ("word", "string_content", "raw_string", "concatenation") and "\\`" in _text(node, src):
        # A backslash-backtick outside a command substitution is literal, except inside one.
        parent = node.parent
        while parent is not None:
            if parent.type == "command_substitution" and _text(parent, src).startswith("`"):
                return "nested backticks run commands the policy cannot read"
            parent = parent.parent
    return ""


def _test(node: Any, src: bytes, arithmetic: bool) -> str:
    """``[[ ]]`` evaluates -eq/-lt... operands as arithmetic; ``[ ]`` and ``[[ ]]`` both evaluate the
    subscript of ``-v name[...]``."""
    for n in _walk(node):
        if arithmetic and n.type == "binary_expression":
            op = next((c for c in n.children if c.type == "test_operator"), None)
            if op is not None and _text(op, src) in _ARITH_TEST_OPS:
                operands = [c for c in n.children if c is not op and c.is_named]
                if not all(_NUMBER.fullmatch(_text(c, src).strip("\"'")) for c in operands):
                    return "[[ -eq ]] and friends evaluate their operands as arithmetic, which runs code in variables"
        if n.type == "unary_expression":
            op = next((c for c in n.children if c.type == "test_operator"), None)
            if op is not None and _text(op, src) in ("-v", "-R"):
                arg = [c for c in n.children if c is not op]
                if any("[" in _text(c, src) for c in arg):
                    return "-v with an array subscript evaluates it as code"
    return ""


def _expansion(text: str) -> str:
    if text.startswith("${!"):
        return "${!name} expands a variable named by another variable's value"
    if re.search(r"@P\}$", text):
        return "${var@P} expands a value like a prompt, running the command substitutions in it"
    if _PLAIN_EXPANSION.fullmatch(text):
        return ""
    # Substring offsets and lengths (${v:o:l}) and subscripts are arithmetic.
    m = re.fullmatch(r"\$\{#?(" + _PARAM + r")(\[[^\]]*\])?:([^}]*)\}", text, re.DOTALL)
    if (
        m
        and re.fullmatch(r"[\s0-9:+\-]*", m.group(3))
        and (m.group(2) is None or re.fullmatch(r"\[[0-9@*]*\]", m.group(2)))
    ):
        return ""
    return "this parameter expansion evaluates part of a value as arithmetic or code"


def _declaration(node: Any, src: bytes) -> str:
    for c in node.named_children:
        t = _text(c, src)
        if c.type == "word" and t.startswith(("-", "+")) and re.search(r"[in]", t[1:]):
            return "declare -i / -n makes later assignments evaluate arithmetic or follow names"
    return ""


def _heredoc(node: Any, src: bytes) -> str:
    parent = node.parent
    if parent is not None:
        for c in parent.children:
            if c.type == "heredoc_start" and any(q in _text(c, src) for q in "'\"\\"):
                return ""  # a quoted delimiter: the body is literal text
    body = _text(node, src)
    if "`" in body or "$(" in body:
        return "the here-document runs command substitutions"
    return ""
