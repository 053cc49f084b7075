"""Shape the model prompt for an inline completion from budgets ``completion/context.py`` decided.

Budgets are in model tokens (the tokenizer's own count). The prefix is cut at a line boundary from
the start, the suffix from the end, so the text next to the cursor — what matters most — is kept.
Trailing indentation is removed from the prompt ("token healing"): models emit the indentation
themselves, and a prompt ending in spaces makes them add one space too many.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from openagent_lsp.llm.base import FimFormat


@dataclass(frozen=True)
class Prompt:
    text: str
    healed: str  # trailing whitespace removed from the prefix; the completion must not repeat it
    prefix_used: str
    suffix_used: str
    fim: bool
    lookup_source: str  # text the drafter may copy from (prefix + suffix + context snippets)


def split_trailing_indent(prefix: str) -> tuple[str, str]:
    """Split off spaces/tabs at the end of the last line (not newlines)."""
    stripped = prefix.rstrip(" \t")
    return stripped, prefix[len(stripped):]


# The prefix window starts on a multiple of this many lines from the top of the file: while the user
# types, the window's start (and so the model's KV cache) stays put instead of moving one line at a
# time, which would make every request a cold prefill.
WINDOW_STEP_LINES = 16


def fit_prefix(prefix: str, budget: int, count: Callable[[str], int]) -> str:
    if count(prefix) <= budget:
        return prefix
    lines = prefix.splitlines(keepends=True)
    # Binary search the number of trailing lines that fits: counting tokens is the expensive part.
    lo, hi = 0, len(lines)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count("".join(lines[len(lines) - mid:])) <= budget:
            lo = mid
        else:
            hi = mid - 1
    start = len(lines) - lo
    start = -(-start // WINDOW_STEP_LINES) * WINDOW_STEP_LINES  # round up: still fits, stable start
    start = min(start, len(lines) - 1) if lo else start
    kept = "".join(lines[start:]) if lo else ""
    if not kept:  # one huge line: keep its tail by characters
        kept = prefix[-budget * 3:]
    return kept


def fit_suffix(suffix: str, budget: int, count: Callable[[str], int]) -> str:
    if budget <= 0:
        return ""
    if count(suffix) <= budget:
        return suffix
    lines = suffix.splitlines(keepends=True)
    lo, hi = 0, len(lines)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count("".join(lines[:mid])) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return "".join(lines[:lo])


def build_prompt(
    prefix: str,
    suffix: str,
    *,
    fim: FimFormat | None,
    count: Callable[[str], int],
    prefix_budget: int,
    suffix_budget: int,
    header: str = "",
    header_if_cut: str = "",
) -> Prompt:
    """The prompt text: ``header`` (already fitted to its own budget by ``completion/context.py``), then
    ``header_if_cut`` when the prefix window does not start at the top of the file and does not show it
    (the file's imports), then the prefix window; the suffix follows the FIM hole."""
    body, healed = split_trailing_indent(prefix)
    suffix_used = fit_suffix(suffix, suffix_budget, count) if fim else ""
    prefix_used = fit_prefix(body, prefix_budget, count)
    if header_if_cut and len(prefix_used) < len(body) and header_if_cut.strip() not in prefix_used:
        header += header_if_cut
    full_prefix = header + prefix_used
    text = fim.build(full_prefix, suffix_used) if fim else full_prefix
    return Prompt(text=text, healed=healed, prefix_used=prefix_used, suffix_used=suffix_used,
                  fim=fim is not None, lookup_source=header + prefix_used + suffix)


def heal_completion(completion: str, healed: str, prefix_ends_line: bool) -> str:
    """Remove from the completion the indentation the user already typed (it was cut from the prompt).

    On a blank line, a completion that starts with a line break would put the ghost text on the next
    line: the break is dropped and the first line re-indented to where the cursor already is.
    """
    if prefix_ends_line and completion.startswith(("\n", "\r\n")) and completion.strip():
        completion = completion.lstrip("\r\n")
    if not healed:
        return completion
    if completion.startswith(healed):
        return completion[len(healed):]
    # The model chose a shorter indent than the user typed: keep the user's and drop the model's.
    lead = len(completion) - len(completion.lstrip(" \t"))
    if prefix_ends_line and lead:
        return completion[lead:]
    return completion
