"""Clean up raw model output before it is shown as an inline completion.

Pure functions, no model or protocol imports. The rules target what users complain about most in
AI completions — duplicated code (text that already follows the cursor, repeated lines, a second
closing bracket) and wrong indentation (a completion running out of its block, doubled indentation
after token healing) — in the spirit of Tabby's per-language post-processing filters.

The order matters: whitespace healing first (it changes indentation), then repetition (a line that
loops within itself, then repeated lines and blocks), then the
block/bracket limits, then suffix de-duplication (which needs the final shape), then cleanup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from openagent_lsp.context.text import indent_width

_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {")": "(", "]": "[", "}": "{"}
_SCAN_WINDOW = 20_000
_TRIVIAL_CLOSING = set(")]}'\"`;,.:")
_CLOSER_LINE = re.compile(r"^[ \t]*[)\]}][)\]};,]*[ \t]*$")
_PY_CONTINUATION = re.compile(r"^(elif\b|else\b|except\b|finally\b)")

_C_LIKE = {
    "javascript", "javascriptreact", "typescript", "typescriptreact", "java", "c", "cpp", "csharp",
    "kotlin", "swift", "php", "scala", "dart", "json", "jsonc", "objective-c", "objective-cpp",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PostContext:
    """Where the completion goes: text before/after the cursor, the language, and the mode."""

    prefix: str
    suffix: str
    language_id: str
    multiline: bool = True


# ------------------------------------------------------------------------------------------ lexing
def _family(language_id: str) -> str | None:
    lid = (language_id or "").lower()
    if lid == "python":
        return "python"
    if lid == "go":
        return "go"
    if lid == "rust":
        return "rust"
    if lid in _C_LIKE:
        return "c"
    return None


_PY_STRING = (
    r"[rRbBuUfFtT]{0,2}(?:\"\"\"(?:\\.|[^\\])*?(?:\"\"\"|\Z)|'''(?:\\.|[^\\])*?(?:'''|\Z)"
    r"|\"(?:\\.|[^\"\\\n])*(?:\"|$)|'(?:\\.|[^'\\\n])*(?:'|$))"
)
_C_COMMENT = r"//[^\n]*|/\*(?:.|\n)*?(?:\*/|\Z)"
_C_STRING = r"\"(?:\\.|[^\"\\\n])*(?:\"|$)|'(?:\\.|[^'\\\n])*(?:'|$)|`(?:\\.|[^`\\])*(?:`|\Z)"
_RUST_STRING = (
    r"b?r(?P<hashes>\#*)\"(?:.|\n)*?(?:\"(?P=hashes)|\Z)|b?\"(?:\\.|[^\"\\])*(?:\"|\Z)"
    r"|b?'(?:\\(?:u\{[0-9a-fA-F]+\}|x[0-9a-fA-F]{2}|.)|[^'\\\n])'"
)


@cache
def _lexer(family: str) -> re.Pattern[str]:
    if family == "python":
        skip = rf"\#[^\n]*|{_PY_STRING}"
    elif family == "rust":
        skip = rf"{_C_COMMENT}|{_RUST_STRING}"
    else:
        skip = rf"{_C_COMMENT}|{_C_STRING}"
    return re.compile(rf"(?P<skip>{skip})|(?P<br>[()\[\]{{}}])", re.M)


@dataclass(slots=True)
class _Scan:
    brackets: list[tuple[int, str]]
    spans: list[tuple[int, int]]  # strings and comments, [start, end)


def _scan(text: str, family: str) -> _Scan:
    brackets: list[tuple[int, str]] = []
    spans: list[tuple[int, int]] = []
    for m in _lexer(family).finditer(text):
        if m.lastgroup == "br":
            brackets.append((m.start(), m.group()))
        else:
            spans.append((m.start(), m.end()))
    return _Scan(brackets, spans)


def _span_at(spans: list[tuple[int, int]], pos: int) -> tuple[int, int] | None:
    """The string/comment span strictly containing ``pos`` (its start before, its end after)."""
    for start, end in spans:
        if start < pos < end:
            return start, end
        if start >= pos:
            break
    return None


def _prefix_tail(prefix: str) -> str:
    if len(prefix) <= _SCAN_WINDOW:
        return prefix
    tail = prefix[-_SCAN_WINDOW:]
    nl = tail.find("\n")
    return tail[nl + 1 :] if nl >= 0 else tail


def _stack_before(scan: _Scan, cursor: int) -> list[str]:
    return [ch for ch, _ in _open_at(scan, cursor)]


def _open_at(scan: _Scan, cursor: int) -> list[tuple[str, int]]:
    """Brackets still open at ``cursor``, innermost last, with their positions."""
    stack: list[tuple[str, int]] = []
    for pos, ch in scan.brackets:
        if pos >= cursor:
            break
        if ch in _OPENERS:
            stack.append((ch, pos))
        elif stack and stack[-1][0] == _CLOSERS[ch]:
            stack.pop()
    return stack


def _line_indent_at(text: str, pos: int) -> tuple[int, bool]:
    """Indent of the line holding ``pos`` and whether ``pos`` is its first non-blank character."""
    start = text.rfind("\n", 0, pos) + 1
    before = text[start:pos]
    line = text[start : text.find("\n", pos) if text.find("\n", pos) >= 0 else len(text)]
    return indent_width(line), not before.strip()


# ------------------------------------------------------------------------------------------ helpers
def _current_line(prefix: str) -> str:
    return prefix[prefix.rfind("\n") + 1 :]


def _rest_of_line(suffix: str) -> str:
    nl = suffix.find("\n")
    line = suffix if nl < 0 else suffix[:nl]
    return line.rstrip("\r")


def _strip_comment(line: str, family: str | None) -> str:
    """``line`` without a trailing line comment (so ``def f():  # x`` still ends with ``:``)."""
    if family is None:
        return line.rstrip()
    for start, end in reversed(_scan(line, family).spans):
        snippet = line[start:end]
        if end >= len(line.rstrip()) and (snippet.startswith("#") or snippet.startswith("//")):
            return line[:start].rstrip()
        break
    return line.rstrip()


def _opens_block(line: str, family: str | None, stack_empty: bool) -> bool:
    code = _strip_comment(line, family)
    if not code.strip():
        return False
    if family == "python":
        return code.endswith(":") and stack_empty
    if family in ("c", "go", "rust"):
        if code.endswith("{"):
            return True
        stripped = code.strip()
        return code.endswith(":") and (stripped.startswith("case ") or stripped.startswith("default"))
    return code.endswith(":") or code.endswith("{")


# ------------------------------------------------------------------------------------------ decide
def decide_multiline(prefix: str, suffix: str, language_id: str) -> bool:
    """Whether to ask for (and keep) a multi-line completion at this cursor.

    Multi-line on an empty or whitespace-only line (new statements start there) and at the end of a
    line that opens a block (``def f():``, ``{``); single-line when text follows the cursor on the
    line, or when the cursor is in the middle of an expression.
    """
    rest = _rest_of_line(suffix).strip()
    family = _family(language_id)
    current = _current_line(prefix)
    if rest:
        # Only auto-closed brackets after the cursor, as in `{|}`: a block body is welcome.
        if all(ch in ")]}\"'`;," for ch in rest) and current.rstrip().endswith("{"):
            return family != "python"
        return False
    if not current.strip():
        return True
    stack_empty = True
    if family == "python":
        stack_empty = not _stack_before(_scan(_prefix_tail(prefix), "python"), len(_prefix_tail(prefix)))
    return _opens_block(current, family, stack_empty)


# ------------------------------------------------------------------------------------------ steps
def _heal_leading_whitespace(completion: str, prefix: str) -> str:
    """Undo doubled indentation: the prompt's trailing whitespace was trimmed before generation,
    so the model typically re-emits it, but the editor already has it before the cursor."""
    current = _current_line(prefix)
    typed_ws = current[len(current.rstrip(" \t")) :]
    if not typed_ws:
        return completion
    first_end = completion.find("\n")
    first = completion if first_end < 0 else completion[:first_end]
    lead = first[: len(first) - len(first.lstrip(" \t"))]
    if not lead:
        return completion
    if not current.strip() and lead.startswith(typed_ws):
        # At indentation: the model's leading whitespace is absolute; keep only the excess.
        return completion[len(typed_ws) :]
    return completion[len(lead) :]


def _is_trivial(line: str) -> bool:
    s = line.strip()
    return len(s) < 4 or all(ch in _TRIVIAL_CLOSING or ch.isspace() for ch in s)


def _cut_repetition(lines: list[str]) -> list[str]:
    """Stop where the model starts looping: a block of 2-6 lines repeated back to back, or a
    non-trivial single line three times in a row."""
    n = len(lines)
    for i in range(n):
        for size in range(2, 7):
            if i + 2 * size > n:
                break
            block = [ln.strip() for ln in lines[i : i + size]]
            if all(_is_trivial(b) for b in block):
                continue
            if block == [ln.strip() for ln in lines[i + size : i + 2 * size]]:
                return lines[: i + size]
        if i + 2 < n and not _is_trivial(lines[i]):
            s = lines[i].strip()
            if lines[i + 1].strip() == s and lines[i + 2].strip() == s:
                return lines[: i + 1]
    return lines


# Tokens of one line for the loop check: string literals, numbers, identifiers, single symbols.
_LINE_TOKEN = re.compile(r"""[rRbBfFuU]{0,2}"(?:\\.|[^"\\])*"|[rRbBfFuU]{0,2}'(?:\\.|[^'\\])*'|\d[\w.]*|\w+|\S""")
_MAX_UNIT = 8  # tokens in the repeated unit: `'..', ` is 2, `foo(x) + ` is 6


def _loops_within(line: str) -> bool:
    """Whether ``line`` repeats one n-gram back to back like a model stuck in a loop:
    ``os.path.join(d, '..', '..', '..', '..', …``.

    Four copies in a row, or three that run to the end of the line (the model was cut off mid-loop),
    of a unit holding at least one word, number or string (``# -------`` and ``'=' * 40`` are fine).
    Two or three copies inside a finished line stay: ``join(here, '..', '..')``, ``[0, 0, 0, 0]``.
    """
    tokens = _LINE_TOKEN.findall(line)
    n = len(tokens)
    for size in range(1, min(_MAX_UNIT, n // 3) + 1):
        for start in range(n - 3 * size + 1):
            unit = tokens[start:start + size]
            if not any(t[0].isalnum() or t[0] in "_'\"" or t[-1] in "'\"" for t in unit):
                continue
            copies = 1
            pos = start + size
            while pos + size <= n and tokens[pos:pos + size] == unit:
                copies += 1
                pos += size
            if copies >= 4:
                return True
            if copies == 3 and tokens[pos:] == unit[: n - pos]:
                return True
    return False


def _cut_looping_lines(lines: list[str]) -> list[str]:
    """Drop the first line that loops within itself and everything after it: a half-shown loop is not
    worth accepting, and the lines after it were written by the same stuck model."""
    for index, line in enumerate(lines):
        if _loops_within(line):
            return lines[:index]
    return lines


def _line_starts(text: str) -> list[int]:
    starts = [0]
    pos = text.find("\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    return starts


def _block_limit(completion: str, ctx: PostContext, family: str | None) -> int:
    """Index in ``completion`` where it must end to stay inside the cursor's block and balanced."""
    cut = len(completion)
    head = _prefix_tail(ctx.prefix)
    cursor = len(head)
    lines = completion.split("\n")
    starts = _line_starts(completion)

    stack0: list[str] = []
    in_scan: _Scan | None = None
    if family is not None:
        in_scan = _scan(head + completion, family)
        open0 = _open_at(in_scan, cursor)
        stack0 = [ch for ch, _ in open0]
        opener_indent = [_line_indent_at(head, pos)[0] for _, pos in open0]
        suffix_head = ctx.suffix[:_SCAN_WINDOW]
        joined = head + suffix_head
        out_scan = _scan(joined, family)
        # Which of the brackets open at the cursor the existing suffix already closes. A closer that
        # starts its line is matched by indentation to its opener (the `}` at column 0 closes the
        # `fn` line, not the `match` inside it); others close the innermost.
        protected: set[int] = set()
        remaining = list(range(len(stack0)))
        local: list[str] = []
        for pos, ch in out_scan.brackets:
            if pos < cursor:
                continue
            if not remaining:
                break
            if ch in _OPENERS:
                local.append(ch)
                continue
            if local:
                if local[-1] == _CLOSERS[ch]:
                    local.pop()
                continue
            indent, leading = _line_indent_at(joined, pos)
            target = remaining[-1]
            if leading:
                for idx in reversed(remaining):
                    if opener_indent[idx] == indent:
                        target = idx
                        break
            protected.add(target)
            remaining = [i for i in remaining if i < target]

        # A string the suffix closes must not be closed by the completion too.
        out_span = _span_at(out_scan.spans, cursor)
        in_span = _span_at(in_scan.spans, cursor)
        if out_span is not None and in_span is not None and out_span[1] <= cursor + len(suffix_head):
            opening = joined[out_span[0] : cursor]
            quote = _closing_quote(opening, family)
            end = in_span[1] - cursor
            if quote and end <= len(completion) and completion[:end].endswith(quote):
                cut = min(cut, end - len(quote))

        stack: list[tuple[str, int | None]] = [(ch, i) for i, ch in enumerate(stack0)]
        first_outer_close: int | None = None
        for pos, ch in in_scan.brackets:
            if pos < cursor:
                continue
            rel = pos - cursor
            if rel >= cut:
                break
            if ch in _OPENERS:
                stack.append((ch, None))
                continue
            if not stack or stack[-1][0] != _CLOSERS[ch]:
                cut = rel  # a closer without an opener
                break
            origin = stack[-1][1]
            if origin is not None:
                if origin in protected:
                    cut = rel  # the suffix already closes this bracket
                    break
                if first_outer_close is None:
                    first_outer_close = rel
            stack.pop()
        if first_outer_close is not None and ctx.multiline:
            # The cursor's block is closed: finish that line, then only lines of closing brackets.
            line_no = max(i for i, s in enumerate(starts) if s <= first_outer_close)
            end_line = line_no
            while end_line + 1 < len(lines) and _CLOSER_LINE.match(lines[end_line + 1]):
                end_line += 1
            line_end = starts[end_line] + len(lines[end_line])
            cut = min(cut, line_end)

    if ctx.multiline and len(lines) > 1:
        cut = min(cut, _indent_limit(completion, lines, starts, ctx, family, in_scan, cursor, len(stack0)))
    return cut


def _closing_quote(opening: str, family: str) -> str:
    """The delimiter that closes a string literal whose text starts with ``opening``."""
    body = opening.lstrip("rRbBuUfFtT") if family in ("python", "rust") else opening
    body = body.lstrip("#") if family == "rust" else body
    if family == "python" and body[:3] in ('"""', "'''"):
        return body[:3]
    if family == "rust" and opening.lstrip("b").startswith("r"):
        return '"' + "#" * (len(opening.lstrip("b")[1:]) - len(opening.lstrip("b")[1:].lstrip("#")))
    return body[:1]


def _indent_limit(
    completion: str,
    lines: list[str],
    starts: list[int],
    ctx: PostContext,
    family: str | None,
    scan: _Scan | None,
    cursor: int,
    base_depth: int,
) -> int:
    """Cut at the first line that leaves the cursor's block by indentation, or after a blank line
    followed by a dedent (the usual sign the model went on to write the next definition)."""
    current = _current_line(ctx.prefix)
    first = lines[0]
    cur_indent = indent_width(current + first) if current.strip() or first.strip() else indent_width(current)
    whole_first = current + first
    opener = bool(current.strip()) and _opens_block(whole_first, family, base_depth == 0)
    if opener:
        block_indent = indent_width(whole_first) + 1
    elif not current.strip():
        block_indent = cur_indent
    else:
        block_indent = indent_width(current)

    # Depth at each line start, from the completion's own brackets.
    depth_at: dict[int, int] = {}
    if scan is not None:
        stack_depth = 0
        line_idx = 1
        for pos, ch in scan.brackets:
            if pos < cursor:
                continue
            rel = pos - cursor
            while line_idx < len(starts) and starts[line_idx] <= rel:
                depth_at[line_idx] = stack_depth
                line_idx += 1
            stack_depth += 1 if ch in _OPENERS else -1
        while line_idx < len(starts):
            depth_at[line_idx] = stack_depth
            line_idx += 1

    prev_indent = indent_width(whole_first) if whole_first.strip() else cur_indent
    saw_blank = False
    first_blank: int | None = None
    for i in range(1, len(lines)):
        line = lines[i]
        if not line.strip():
            if not saw_blank:
                first_blank = i
            saw_blank = True
            continue
        if scan is not None and (
            depth_at.get(i, 0) > 0 or _span_at(scan.spans, cursor + starts[i]) is not None
        ):
            saw_blank = False
            continue
        ind = indent_width(line)
        closer = _CLOSER_LINE.match(line) is not None or (
            family in ("c", "go", "rust") and line.lstrip()[:1] in _CLOSERS
        )
        if not closer:
            continuation = (
                family == "python" and opener and ind == block_indent - 1
                and _PY_CONTINUATION.match(line.lstrip()) is not None
            )  # fmt: skip
            if ind < block_indent and not continuation:
                return starts[first_blank] - 1 if saw_blank and first_blank is not None else starts[i] - 1
            if saw_blank and ind < prev_indent and first_blank is not None:
                return starts[first_blank] - 1
        prev_indent = ind
        saw_blank = False
    return len(completion)


def _line_key(line: str) -> str:
    """Comparison key for suffix de-duplication: closing-bracket lines keep their indentation
    (a `    }` closing the inner block is not the `}` after it), other lines compare stripped."""
    return line.rstrip() if _is_trivial(line) else line.strip()


def _dedupe_suffix_lines(lines: list[str], ctx: PostContext) -> list[str]:
    """Drop the completion's tail when it re-types the lines that already follow the cursor."""
    following = [_line_key(ln) for ln in ctx.suffix.split("\n")[1:60] if ln.strip()]
    if not following:
        return lines
    at_line_start = not _current_line(ctx.prefix).strip() and not _rest_of_line(ctx.suffix).strip()
    first_candidate = 0 if at_line_start else 1
    for i in range(first_candidate, len(lines)):
        if not lines[i].strip() or _line_key(lines[i]) != following[0]:
            continue
        rest = [_line_key(ln) for ln in lines[i:] if ln.strip()]
        if rest[: len(following)] == following[: len(rest)]:
            return lines[:i]
    return lines


def _dedupe_suffix_chars(lines: list[str], ctx: PostContext) -> list[str]:
    """Trim the end of the last line where it re-types the text after the cursor on that line."""
    rest = _rest_of_line(ctx.suffix)
    if not rest.strip() or not lines:
        return lines
    last = lines[-1]
    wanted = rest.rstrip()
    for k in range(min(len(last), len(rest)), 0, -1):
        overlap = rest[:k]
        if not last.endswith(overlap):
            continue
        if overlap.rstrip() == wanted or all(ch in _TRIVIAL_CLOSING or ch.isspace() for ch in overlap):
            return [*lines[:-1], last[: len(last) - k]]
    return lines


def _repeats_prefix(lines: list[str], prefix: str) -> bool:
    body = [ln.strip() for ln in lines if ln.strip()]
    if not body or all(_is_trivial(ln) for ln in body):
        return False
    before = [ln.strip() for ln in prefix[-4000:].split("\n")[:-1] if ln.strip()]
    return len(before) >= len(body) and before[-len(body) :] == body


# ------------------------------------------------------------------------------------------ public
def postprocess(completion: str, ctx: PostContext) -> str:
    """The text to show for ``completion`` at the cursor described by ``ctx`` ("" to show nothing)."""
    crlf = "\r\n" in ctx.prefix[-2000:] or "\r\n" in ctx.suffix[:2000]
    text = completion.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return ""
    family = _family(ctx.language_id)
    text = _heal_leading_whitespace(text, ctx.prefix)
    if not ctx.multiline:
        text = text.split("\n", 1)[0]
        if not text.strip():
            return ""
    lines = _cut_repetition(_cut_looping_lines(text.split("\n")))
    if not lines or not "".join(lines).strip():
        return ""
    lines = _dedupe_suffix_chars(lines, ctx)
    text = "\n".join(lines)
    text = text[: _block_limit(text, ctx, family)]
    lines = _dedupe_suffix_lines(text.split("\n"), ctx)
    # With text after the cursor, a final whitespace-only line is the indentation the suffix
    # (typically an auto-closed bracket) lands on: keep it, drop blank lines before it.
    keep_tail_ws = bool(_rest_of_line(ctx.suffix).strip())
    tail = lines.pop() if keep_tail_ws and len(lines) > 1 and not lines[-1].strip() else None
    while len(lines) > 1 and not lines[-1].strip():
        lines.pop()
    if tail is None:
        lines = _dedupe_suffix_chars(lines, ctx)
    cleaned = [ln.rstrip() for ln in lines[:-1]]
    if lines:
        cleaned.append(lines[-1] if keep_tail_ws and tail is None else lines[-1].rstrip())
    if tail is not None:
        cleaned.append(tail)
    else:
        while len(cleaned) > 1 and not cleaned[-1].strip():
            cleaned.pop()
    result = "\n".join(cleaned)
    if not result.strip():
        return ""
    if not _current_line(ctx.prefix).strip() and _repeats_prefix(cleaned, ctx.prefix):
        return ""
    return result.replace("\n", "\r\n") if crlf else result


def _normalize(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in text.strip().split("\n") if line.strip())


def is_duplicate(candidate: str, previous_shown: list[str]) -> bool:
    """Whether ``candidate`` is (up to whitespace) a suggestion already shown, or empty.

    Showing the same ghost text again after the user dismissed it reads as the tool being stuck.
    """
    norm = _normalize(candidate)
    if not norm:
        return True
    return any(norm == _normalize(prev) for prev in previous_shown)
