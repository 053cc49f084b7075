"""Code-navigation tools for the agent: a file's outline and where a symbol is defined.

Thin wrappers over :mod:`openagent_lsp.context.outline`. Every path the model gives is resolved and
must stay inside the workspace (``Path.resolve`` + ``is_relative_to``, never string prefixes), and
the walk skips vendored/generated folders and large files so a search cannot stall the server.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

from openagent_lsp.context.languages import language_id_for_path
from openagent_lsp.context.outline import Symbol, find_symbol, outline
from openagent_lsp.errors import ToolError
from openagent_lsp.tools.workspace import confine

MAX_FILE_BYTES = 1_000_000
SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".mypy_cache",
        ".ruff_cache", ".pytest_cache", ".tox", ".nox", ".idea", ".vscode",
    }
)  # fmt: skip


class CodeOutlineInput(BaseModel):
    """Arguments of the ``code_outline`` tool."""

    path: str = Field(description="File to outline, relative to the workspace root.")


class CodeFindSymbolInput(BaseModel):
    """Arguments of the ``code_find_symbol`` tool."""

    name: str = Field(min_length=1, description="Symbol name, e.g. `parse` or `Parser.parse`.")
    max_files: int = Field(default=2000, ge=1, le=100_000, description="Stop after this many files.")


def _read_source(file: Path) -> str:
    try:
        size = file.stat().st_size
    except OSError as exc:
        raise ToolError(f"Cannot read {file}: {exc.strerror or exc}.") from exc
    if size > MAX_FILE_BYTES:
        raise ToolError(f"{file.name} is larger than {MAX_FILE_BYTES // 1_000_000} MB; not outlined.")
    data = file.read_bytes()
    if b"\0" in data[:8192]:
        raise ToolError(f"{file.name} looks like a binary file.")
    return data.decode("utf-8", errors="replace")


def _format_symbol(sym: Symbol) -> str:
    depth = "  " if sym.container else ""
    return f"{depth}{sym.line + 1}: {sym.kind} {sym.qualified_name}"


def code_outline(path: str, workspace: Path) -> str:
    """Outline of one workspace file, one symbol per line (``line: kind name``, lines 1-based)."""
    file = confine(path, workspace).path
    if not file.is_file():
        raise ToolError(f"{path} is not a file in the workspace.")
    language_id = language_id_for_path(file.name)
    if language_id is None:
        raise ToolError(f"{path}: outlines are available for Python, JavaScript, TypeScript, Go and Rust.")
    symbols = outline(_read_source(file), language_id, str(file))
    rel = file.relative_to(Path(workspace).resolve()).as_posix()
    if not symbols:
        return f"{rel}: no functions, classes or types found."
    return "\n".join([f"{rel}:", *(_format_symbol(s) for s in symbols)])


def iter_source_files(workspace: Path, max_files: int) -> list[Path]:
    """Supported source files under ``workspace`` (sorted, bounded), skipping vendored folders."""
    root = Path(workspace).resolve()
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            if language_id_for_path(name) is None:
                continue
            file = Path(dirpath) / name
            try:
                if not file.resolve().is_relative_to(root) or file.stat().st_size > MAX_FILE_BYTES:
                    continue
            except OSError:
                continue
            found.append(file)
            if len(found) >= max_files:
                return found
    return found


def code_find_symbol(name: str, workspace: Path, max_files: int = 2000) -> str:
    """Where ``name`` is defined in the workspace: ``path:line: kind qualified.name`` per match."""
    wanted = name.strip()
    if not wanted:
        raise ToolError("code_find_symbol needs a non-empty symbol name.")
    root = Path(workspace).resolve()
    files = iter_source_files(root, max_files)
    texts: dict[str, tuple[str, str]] = {}
    for file in files:
        try:
            data = file.read_bytes()
        except OSError:
            continue
        if b"\0" in data[:8192]:
            continue
        # Only parse files that mention the name at all: cheap, and most files do not.
        if wanted.rsplit(".", 1)[-1].encode() not in data:
            continue
        rel = file.relative_to(root).as_posix()
        texts[rel] = (data.decode("utf-8", errors="replace"), language_id_for_path(file.name) or "")
    matches = find_symbol(texts, wanted)
    if not matches:
        return f"No definition of {wanted!r} found ({len(files)} files searched)."
    lines = [f"{m.path}:{m.symbol.line + 1}: {m.symbol.kind} {m.symbol.qualified_name}" for m in matches]
    if len(files) >= max_files:
        lines.append(f"(stopped after {max_files} files; narrow the search or raise max_files)")
    return "\n".join(lines)
