"""Turning a base model's continuation into something a user keeps.

A base model does not stop when the answer is complete: it repeats its last sentence, starts the next
definition, or drifts into code. These pure functions cut the continuation to its useful part; they
never add content the model did not write (beyond the prompt's own primer, which the answer starts with).
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterable

# A sentence ends at ., ! or ? followed by a space or the end; decimal points (0.2) do not end one.
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\d\.)\s+(?=\S)")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Text that is code rather than prose: a definition, an assignment line, a prompt marker echoed back.
_CODE_LIKE = re.compile(r"^\s*(def |class |return |import |from \S+ import |for .+:$|if .+:$|@\w)|^\s*\w+\s*=\s*\S")


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


# Words that say nothing about what a sentence claims; left out when comparing two sentences.
_FILLER = frozenset({"a", "an", "and", "are", "as", "be", "by", "for", "function", "in", "is", "it", "its", "of",
                     "on", "or", "method", "that", "the", "this", "to", "which", "will", "with"})


def _near_duplicate(sentence: str, seen: Iterable[str]) -> bool:
    """The same sentence again, or one that makes the same claim in slightly different words (models loop
    with small variations: "This function returns the area" / "It returns the area")."""
    words = _norm(sentence).split()
    if not words:
        return True
    content = set(words) - _FILLER
    for earlier in seen:
        other = earlier.split()
        if words == other:
            return True
        other_content = set(other) - _FILLER
        if len(content) >= 2 and len(other_content) >= 2 \
                and len(content & other_content) / max(len(content), len(other_content)) >= 0.75:
            return True
    return False


def comment_lines(continuation: str, marker: str) -> list[str]:
    """The comment block the model continued, without markers; stops at the first line that is not
    a comment (the model went back to writing code) or that is empty after an answer began."""
    out: list[str] = []
    for index, raw in enumerate(continuation.split("\n")):
        line = raw.strip()
        if index > 0:
            if not line.startswith(marker):
                break
            line = line[len(marker):].strip()
        if not line:
            if out:
                break
            continue
        out.append(line)
    return out


def prose_answer(lines: list[str], *, max_sentences: int = 4, primer: str = "") -> str:
    """Sentences from ``lines`` with loops, echoed code and unfinished tails removed.

    ``primer`` is the start of the answer that the prompt already wrote (e.g. "The `f` function");
    it leads the first sentence.
    """
    text = " ".join(line.strip() for line in lines if line.strip())
    if primer:
        text = primer.rstrip() + ("" if text[:1] in ",.;:" else " ") + text.lstrip()
    kept: list[str] = []
    seen: list[str] = []
    for sentence in sentences(text):
        if _CODE_LIKE.match(sentence) or _near_duplicate(sentence, seen):
            break
        seen.append(_norm(sentence))
        kept.append(sentence)
        if len(kept) >= max_sentences:
            break
    if not kept:
        return ""
    # A last sentence cut by the token limit ends mid-word: drop it when others are complete.
    if len(kept) > 1 and kept[-1][-1:] not in ".!?)`\"'":
        kept.pop()
    answer = " ".join(kept)
    if primer and _norm(answer) == _norm(primer):
        return ""  # the model added nothing to the primer
    return answer


_THIS_FUNCTION = re.compile(
    r"^(?:this|the)\s+(?:function|method|class)\s+(?:`[^`]*`\s+)?(?:is\s+used\s+to\s+|will\s+|can\s+)?(\w+)\s*",
    re.IGNORECASE,
)


def _imperative(verb: str) -> str:
    """'returns' -> 'Return', 'checks' -> 'Check', 'flattens' -> 'Flatten', 'convert' -> 'Convert'."""
    lower = verb.lower()
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("shes", "sh"), ("ches", "ch"), ("xes", "x")):
        if lower.endswith(suffix) and len(lower) > len(suffix) + 1:
            lower = lower[: -len(suffix)] + repl
            break
    else:
        if lower.endswith("s") and not lower.endswith("ss") and len(lower) > 3:
            lower = lower[:-1]
    return lower[:1].upper() + lower[1:]


def docstring_text(continuation: str, *, max_sentences: int = 2) -> str:
    """The summary a docstring should hold: the first paragraph, loops cut, in PEP 257's imperative
    mood ("Return the mean ..." rather than "This function returns the mean ...")."""
    paragraph = continuation.split('"""', 1)[0].split("'''", 1)[0].strip().split("\n\n", 1)[0]
    lines = [line.strip() for line in paragraph.split("\n") if line.strip()]
    text = prose_answer(lines, max_sentences=max_sentences)
    if not text:
        return ""
    match = _THIS_FUNCTION.match(text)
    if match and match.group(1).lower() not in ("a", "an", "the", "to", "be", "is"):
        text = _imperative(match.group(1)) + " " + text[match.end():]
    text = text[:1].upper() + text[1:]
    if text[-1:] not in ".!?":
        text += "."
    return text


def format_docstring(text: str, indent: str, width: int = 88, args: list[tuple[str, str]] | None = None) -> str:
    """A docstring statement at ``indent``: one line when it fits and has no ``Args:`` section; else the
    summary wrapped, the section after a blank line, and the closing quotes on their own line."""
    text = _docstring_safe(text)
    one_line = f'{indent}"""{text}"""'
    if len(one_line) <= width and not args:
        return one_line
    body = textwrap.wrap(text, width=max(width - len(indent) - 3, 40))
    lines = [f'{indent}"""{body[0]}', *(f"{indent}{line}" for line in body[1:])]
    if args:
        lines += ["", f"{indent}Args:"]
        for name, description in args:
            wrapped = textwrap.wrap(f"{name}: {_docstring_safe(description)}",
                                    width=max(width - len(indent) - 4, 40), subsequent_indent="    ")
            lines += [f"{indent}    {line}" for line in wrapped]
    lines.append(f'{indent}"""')
    return "\n".join(lines)


def _docstring_safe(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"""', "'''")


_ARG_LINE = re.compile(r"^\s*\*{0,2}([A-Za-z_]\w*)\s*(?:\([^)]*\))?\s*:\s*(.+?)\s*$")


def argument_descriptions(continuation: str, params: list[str]) -> list[tuple[str, str]]:
    """``name: description`` lines of an ``Args:`` section the model continued, for real parameters only,
    in the signature's order; each description cut to its first sentence, loops dropped."""
    found: dict[str, str] = {}
    seen: list[str] = []
    for line in continuation.split('"""', 1)[0].split("\n"):
        if not line.strip():
            break
        match = _ARG_LINE.match(line)
        if match is None:
            continue
        name, description = match.group(1), match.group(2)
        if name not in params or name in found:
            continue
        first = sentences(description)[:1]
        if not first or _CODE_LIKE.match(first[0]) or _near_duplicate(first[0], seen):
            continue
        text = first[0].rstrip()
        found[name] = text[:1].upper() + text[1:] + ("" if text[-1:] in ".!?" else ".")
        seen.append(_norm(text))
    return [(name, found[name]) for name in params if name in found]


def insert_python_docstring(code: str, docstring: str, args: list[tuple[str, str]] | None = None) -> str:
    """``code`` (one function or class, at any indentation) with ``docstring`` as its first statement,
    replacing a docstring it already has. Raises ValueError when the code does not parse."""
    dedented = textwrap.dedent(code)
    offset = _indent_of(code)
    tree = ast.parse(dedented)
    node = next((n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)),
                None)
    if node is None:
        raise ValueError("no function or class to document")
    lines = code.split("\n")
    first = node.body[0]
    has_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
        and isinstance(first.value.value, str)
    if first.lineno == node.lineno:
        # `def f(x): return x`: the body shares the header line; move it onto a line of its own.
        if has_doc:
            raise ValueError("a one-line definition with a docstring")
        header_line = lines[node.lineno - 1]
        cut = len(offset) + first.col_offset
        body_indent = offset + "    "
        statement = format_docstring(docstring, body_indent, args=args).split("\n")
        moved = [header_line[:cut].rstrip(), *statement, body_indent + header_line[cut:].strip()]
        return "\n".join([*lines[: node.lineno - 1], *moved, *lines[node.lineno:]])
    body_indent = offset + " " * first.col_offset
    statement = format_docstring(docstring, body_indent, args=args).split("\n")
    start = first.lineno - 1
    end = (first.end_lineno or first.lineno) if has_doc else start
    return "\n".join([*lines[:start], *statement, *lines[end:]])


def _indent_of(code: str) -> str:
    for line in code.split("\n"):
        if line.strip():
            return line[: len(line) - len(line.lstrip())]
    return ""


_TAUTOLOGY = re.compile(r"^assert\s+(.+?)\s*==\s*(.+?)\s*$")


def is_tautology(statement: str) -> bool:
    """``assert f(x) == f(x)``: true whatever ``f`` does, so it tests nothing."""
    match = _TAUTOLOGY.match(statement.strip())
    if match is None:
        return False
    return "".join(match.group(1).split()) == "".join(match.group(2).split())


def test_body(continuation: str, indent: str = "    ", max_asserts: int = 4) -> list[str]:
    """Statements of a test function's body from the model's continuation: indented lines until the
    body ends, each kept only when it parses on its own; repeated and tautological asserts dropped."""
    kept: list[str] = []
    asserts = 0
    pending = ""
    for raw in continuation.split("\n"):
        if not raw.strip():
            if kept:
                break
            continue
        if not raw.startswith(indent) and not pending:
            break
        line = raw[len(indent):] if raw.startswith(indent) else raw.strip()
        candidate = (pending + "\n" + line) if pending else line
        try:
            ast.parse(candidate)
        except SyntaxError:
            pending = candidate if candidate.count("\n") < 6 else ""
            continue
        pending = ""
        statement = candidate
        if statement.startswith("assert"):
            if is_tautology(" ".join(statement.split())) or statement in kept:
                continue
            asserts += 1
        kept.append(statement)
        if asserts >= max_asserts:
            break
    # Setup lines after the last assert do nothing.
    while kept and not kept[-1].startswith(("assert", "with ")):
        kept.pop()
    return kept


def used_names(code: str) -> set[str]:
    """Names a piece of Python code loads (to import what a generated test uses)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def commit_subject(continuation: str, limit: int = 72) -> str:
    """One subject line: the first non-empty line, without quotes or a trailing period, at most ``limit``."""
    line = next((ln.strip() for ln in continuation.split("\n") if ln.strip()), "")
    line = line.strip("`\"' ").rstrip(".")
    if len(line) > limit:
        cut = line[:limit].rsplit(" ", 1)[0]
        line = cut if len(cut) > limit // 2 else line[:limit]
    return line[:1].upper() + line[1:]
