"""Incremental vs full parse of a 5,000-line Python file through ``DocumentStore.change``.

Prints JSON figures (``make bench``); the target is <= 5 ms median for the incremental path.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from openagent_lsp.context.documents import DocumentStore
from openagent_lsp.context.types import Position, Range, TextChange


def _source(lines: int = 5000) -> str:
    """5,000 lines of real Python (standard-library modules), plus one line of multi-byte text so
    the UTF-8/UTF-16 conversion paths are exercised rather than the ASCII fast path."""
    import argparse
    import dataclasses
    import inspect
    import typing

    out = ["# Multi-byte header: café 数据 🚀"]
    for module in (typing, argparse, inspect, dataclasses):
        try:
            out.extend(Path(module.__file__ or "").read_text(encoding="utf-8").split("\n"))
        except OSError:
            continue
        if len(out) >= lines:
            break
    if len(out) < lines:  # stdlib sources not installed: synthesize
        i = 0
        while len(out) < lines:
            out += [f"def f{i}(a, b):", f"    return a * {i} + b", ""]
            i += 1
    return "\n".join(out[:lines]) + "\n"


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def run(repetitions: int = 50) -> dict[str, float | int]:
    """Median timings in milliseconds (and the document size they were measured on).

    ``incremental_*`` time ``DocumentStore.change`` plus the next ``Document.tree`` access (the
    lazy incremental re-parse). Typing that keeps the code valid (a space at the end of a line) is
    the common case; an edit that makes the code invalid (an unclosed ``(``) costs more because
    tree-sitter's error recovery re-examines more of the tree.
    """
    text = _source()
    lines = text.split("\n")
    store = DocumentStore()
    uri = "file:///bench/big.py"

    full: list[float] = []
    for _ in range(max(5, repetitions // 5)):
        doc = store.open(uri, "python", 1, text)
        t0 = time.perf_counter()
        assert doc.tree is not None
        full.append(time.perf_counter() - t0)

    doc = store.open(uri, "python", 1, text)
    assert doc.tree is not None
    version = 1

    def timed(change: TextChange) -> tuple[float, float]:
        nonlocal version
        version += 1
        t0 = time.perf_counter()
        store.change(uri, version, [change])
        t1 = time.perf_counter()
        assert doc.tree is not None
        return t1 - t0, time.perf_counter() - t0

    valid: list[float] = []
    apply_only: list[float] = []
    error: list[float] = []
    code_lines = [i for i, ln in enumerate(lines) if ln.strip() and len(ln) < 100][50:]
    step = max(1, len(code_lines) // repetitions)
    for i in range(repetitions):
        line = code_lines[(i * step) % len(code_lines)]
        # Type a space at the end of a line (the code stays valid), then delete it.
        col = len(lines[line])
        pos = Position(line, col)
        a, b = timed(TextChange(Range(pos, pos), " "))
        apply_only.append(a)
        valid.append(b)
        timed(TextChange(Range(pos, Position(line, col + 1)), ""))
        # Type "(" at the end of the line: a transient syntax error, as while typing a call.
        error.append(timed(TextChange(Range(pos, pos), "("))[1])
        timed(TextChange(Range(pos, Position(line, col + 1)), ""))
    assert doc.text == text
    assert not doc.tree.root_node.has_error
    return {
        "lines": text.count("\n"),
        "bytes": len(text.encode()),
        "full_parse_ms": _median_ms(full),
        "incremental_valid_edit_ms": _median_ms(valid),
        "incremental_syntax_error_edit_ms": _median_ms(error),
        "change_apply_only_ms": _median_ms(apply_only),
        "repetitions": repetitions,
    }


if __name__ == "__main__":
    print(json.dumps(run()))
