"""Pick the tools worth describing in the prompt for one message.

Why: every tool description costs prompt tokens, and small local models choose better among few
options. Selection only shapes the prompt; it grants nothing — every call still goes through the guard,
and a registered tool the model names without being offered it is still validated and guarded.
Scoring is deliberately simple and predictable: intent patterns (strong) plus each tool's keywords (weak).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from openagent_lsp.tools.base import ToolRegistry

_FILE_EXT = (
    "py|pyi|js|jsx|ts|tsx|mjs|cjs|json|toml|yaml|yml|md|rst|txt|cfg|ini|go|rs|java|kt|c|h|cc|cpp|hpp|"
    "cs|rb|php|sh|bash|lua|sql|html|css|scss|vue|svelte|lock|env|xml|gradle|swift"
)
_FILE_RE = re.compile(rf"(?:^|[\s`'\"(])(?:[\w.-]+/)*[\w.-]+\.(?:{_FILE_EXT})\b", re.IGNORECASE)
_PATH_RE = re.compile(r"(?:^|[\s`'\"(])(?:\.{0,2}/)?[\w.-]+/[\w./-]+")

# (pattern, {tool: weight})
INTENTS: list[tuple[re.Pattern[str], dict[str, int]]] = [
    (re.compile(r"\b(run|rerun|execute)\b.*\b(tests?|suite|specs?)\b|\bpytest\b|\bunit tests?\b"
                r"|\btests? (pass|fail)"),
     {"shell.run": 6, "files.read": 1}),
    (re.compile(r"\b(npm|yarn|pnpm|cargo|make|go|pip|uv|tox|nox|mvn|gradle)\b\s+\w+"), {"shell.run": 5}),
    (re.compile(r"\b(build|compile|lint|type ?check|mypy|ruff|eslint|format)\b"), {"shell.run": 3}),
    (re.compile(r"\b(run|execute)\b|\bcommand\b|\bterminal\b|\bshell\b"), {"shell.run": 3}),
    (re.compile(r"what('s| has| did)? changed|\bchanges?\b|\bdiff\b|\buncommitted\b|\bmodified\b|\bstaged\b"),
     {"git.status": 5, "git.diff": 5}),
    (re.compile(r"\bgit status\b|\bbranch\b|\bdirty\b|\buntracked\b"), {"git.status": 5}),
    (re.compile(r"\bcommit\b"), {"git.commit": 5, "git.diff": 3, "git.status": 3}),
    (re.compile(r"\bhistory\b|\bgit log\b|\b(recent|last) commits?\b|\bcommits\b"), {"git.log": 5}),
    (re.compile(r"\bblame\b|who (wrote|changed|added|touched)"), {"git.blame": 6, "git.log": 2}),
    (re.compile(r"\b(create|write|add|edit|fix|change|modify|refactor|implement|update|rename|replace)\b"),
     {"files.write": 3, "files.read": 3}),
    (re.compile(r"\b(delete|remove|rm)\b"), {"files.delete": 4, "files.list": 1}),
    (re.compile(r"\b(list|show)\b.*\b(files|directory|folder|tree)\b|\bproject structure\b|\bwhat files\b"),
     {"files.list": 6}),
    (re.compile(r"\bwhere\b.*\b(defined|is|are)\b|\bdefinition\b|\bfind\b.*\b(function|class|symbol|method)\b"),
     {"code.find_symbol": 6, "files.read": 1}),
    (re.compile(r"\boutline\b|\bstructure of\b|\bwhat (functions|classes)\b|\bsymbols\b"),
     {"code.outline": 6}),
    (re.compile(r"\b(explain|read|show|open|look at|what does)\b"), {"files.read": 3}),
]

DEFAULT_TOOLS = ("files.read", "files.list", "code.find_symbol", "git.status")
# Tools that are of little use without their companion.
COMPANIONS = {"files.write": ("files.read",), "git.commit": ("git.diff",), "files.delete": ("files.list",)}


def score_tools(message: str, registry: ToolRegistry, *, has_file_context: bool = False) -> dict[str, int]:
    text = message.lower()
    scores: dict[str, int] = {name: 0 for name in registry.names()}
    for pattern, weights in INTENTS:
        if pattern.search(text):
            for name, weight in weights.items():
                if name in scores:
                    scores[name] += weight
    if _FILE_RE.search(message) or _PATH_RE.search(message):
        for name, weight in (("files.read", 4), ("code.outline", 1), ("git.blame", 0)):
            if name in scores:
                scores[name] += weight
    if has_file_context and "files.read" in scores:
        scores["files.read"] += 1
    words = set(re.findall(r"[a-z_][a-z0-9_]*", text))
    for tool in registry.tools():
        for kw in tool.keywords:
            if (" " in kw and kw in text) or kw in words:
                scores[tool.name] += 1
    return scores


def select_tools(
    message: str,
    registry: ToolRegistry,
    *,
    max_tools: int = 6,
    min_score: int = 2,
    always: Iterable[str] = (),
    has_file_context: bool = False,
) -> list[str]:
    """Names of the tools to offer for ``message``, in registry order (stable prompts cache better)."""
    scores = score_tools(message, registry, has_file_context=has_file_context)
    order = {name: i for i, name in enumerate(registry.names())}
    chosen = [n for n, s in sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]])) if s >= min_score]
    chosen = chosen[:max_tools]
    for name in list(chosen):
        for companion in COMPANIONS.get(name, ()):
            if companion in registry and companion not in chosen:
                chosen.append(companion)
    for name in always:
        if name in registry and name not in chosen:
            chosen.append(name)
    if not chosen:
        chosen = [n for n in DEFAULT_TOOLS if n in registry]
    return sorted(set(chosen), key=lambda n: order[n])
