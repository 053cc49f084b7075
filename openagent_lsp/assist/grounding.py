"""What a base model is shown to answer a question about the workspace.

A base model cannot call tools, so the facts must be in its prompt: an outline of the workspace (file:
definitions), then the source files most related to the question, the most related one last (nearest
the question, where a small model attends best), then the question as a comment with the answer opened.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from openagent_lsp.assist.base_prompts import ShapedPrompt
from openagent_lsp.context.documents import DocumentStore
from openagent_lsp.context.languages import comment_prefix, language_id_for_path, path_from_uri
from openagent_lsp.context.outline import outline

_SKIP_DIRS = frozenset({".git", "node_modules", "__pycache__", ".venv", "venv", ".mypy_cache", ".ruff_cache",
                        ".pytest_cache", "build", "dist", ".tox", "target"})
_MAX_FILES = 200
_MAX_FILE_BYTES = 100_000
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
# Questions whose answer is a name in the code: the answer is opened with a backtick so the model
# continues with an identifier rather than a sentence about it.
_ASKS_FOR_NAME = re.compile(
    r"\b(which|what)\b.*\b(function|file|exception|error|class|module|method|variable|constant)\b|\bname of\b",
    re.IGNORECASE)
_STOP_WORDS = frozenset({"what", "which", "does", "when", "where", "with", "that", "this", "there", "have", "from",
                         "into", "about", "name", "code", "file", "function", "the", "and", "for", "one"})


@dataclass(frozen=True)
class SourceFile:
    path: str  # relative to the workspace, with forward slashes
    text: str
    language: str


def workspace_sources(workspace: Path, documents: DocumentStore | None = None) -> list[SourceFile]:
    """Source files of the workspace in a known language (open documents as the editor has them)."""
    open_texts: dict[str, tuple[str, str]] = {}
    if documents is not None:
        for doc in documents:
            open_texts[os.path.realpath(path_from_uri(doc.uri))] = (doc.text, doc.language_id)
    found: list[SourceFile] = []
    for dirpath, dirnames, filenames in os.walk(workspace):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            language = language_id_for_path(name)
            if language is None:
                continue
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, workspace).replace(os.sep, "/")
            opened = open_texts.get(os.path.realpath(full))
            if opened is not None:
                found.append(SourceFile(rel, opened[0], opened[1] or language))
            else:
                try:
                    if os.path.getsize(full) > _MAX_FILE_BYTES:
                        continue
                    with open(full, encoding="utf-8", errors="replace") as handle:
                        found.append(SourceFile(rel, handle.read(), language))
                except OSError:
                    continue
            if len(found) >= _MAX_FILES:
                return found
    return found


def outline_lines(files: list[SourceFile]) -> list[str]:
    """One line per file: its top-level definitions (``class Item, def total_value``)."""
    lines = []
    for source in files:
        symbols = [s for s in outline(source.text, source.language, source.path) if s.container is None]
        if not symbols:
            continue
        names = ", ".join(("class " if s.kind == "class" else "def " if s.kind == "function" else "") + s.name
                          for s in symbols)
        lines.append(f"{source.path}: {names}")
    return lines


def question_words(question: str) -> set[str]:
    words = set()
    for word in _WORD.findall(question):
        lower = word.lower()
        if len(lower) > 2 and lower not in _STOP_WORDS:
            words.add(lower.rstrip("s") if len(lower) > 4 else lower)
    return words


def relevance(source: SourceFile, words: set[str]) -> int:
    text = source.text.lower()
    return sum(text.count(word) for word in words) + sum(3 for word in words if word in source.path.lower())


def chat_prompt(question: str, files: list[SourceFile], count_tokens: Callable[[str], int],
                budget_tokens: int = 1500) -> ShapedPrompt:
    """Outline + the most related sources (within ``budget_tokens``) + the question, answer opened."""
    words = question_words(question)
    ranked = sorted(files, key=lambda f: relevance(f, words), reverse=True)
    marker = "#"
    outline_text = "\n".join(f"{marker} {line}" for line in outline_lines(files)[:60])
    header = f"{marker} Project outline (file: definitions)\n{outline_text}\n\n\n" if outline_text else ""
    used = count_tokens(header)
    chosen: list[SourceFile] = []
    for source in ranked:
        cost = count_tokens(source.text) + 8
        if used + cost > budget_tokens:
            continue
        chosen.append(source)
        used += cost
    blocks = []
    for source in reversed(chosen):  # the most related file last, next to the question
        file_marker = comment_prefix(source.language)
        blocks.append(f"{file_marker} file: {source.path}\n{source.text.strip()}\n\n\n")
    asked = " ".join(question.split())
    primer = "`" if _ASKS_FOR_NAME.search(asked) else ""
    text = f"{header}{''.join(blocks)}{marker} Question about the code above: {asked}\n{marker} Answer:"
    text += f" {primer}" if primer else ""
    return ShapedPrompt(text, stop=["\n"], max_new_tokens=48, primer=primer)
