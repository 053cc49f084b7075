"""Which tree-sitter grammar serves which document, loaded only when first needed.

The grammar wheels are imported lazily so that importing ``openagent_lsp.context`` (and thus
starting the server) never pays for tree-sitter; a language without a grammar is handled as plain
text (``grammar_for`` returns ``None``) rather than failing.
"""

from __future__ import annotations

import functools
import importlib
import posixpath
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

if TYPE_CHECKING:
    from tree_sitter import Language, Parser

#: LSP languageId -> canonical grammar name.
LANGUAGE_IDS: dict[str, str] = {
    "python": "python",
    "javascript": "javascript",
    "javascriptreact": "javascript",
    "typescript": "typescript",
    "typescriptreact": "tsx",
    "go": "go",
    "rust": "rust",
}

#: File extension -> LSP languageId, for files read from disk (tools) or clients sending "plaintext".
EXTENSIONS: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascriptreact",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "typescriptreact",
    ".go": "go",
    ".rs": "rust",
}

# grammar name -> (module, function returning the language pointer)
_GRAMMARS: dict[str, tuple[str, str]] = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "rust": ("tree_sitter_rust", "language"),
}

_HASH_COMMENT = {
    "python",
    "shellscript",
    "bash",
    "sh",
    "ruby",
    "perl",
    "r",
    "yaml",
    "toml",
    "dockerfile",
    "makefile",
    "powershell",
    "julia",
    "elixir",
    "nim",
    "coffeescript",
    "cmake",
    "properties",
}
_DASH_COMMENT = {"lua", "sql", "haskell", "ada", "elm"}


def path_from_uri(uri: str) -> str:
    """The filesystem path of a ``file://`` URI (other schemes: the URI's path part)."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return unquote(parsed.path) if parsed.scheme else uri
    return unquote(parsed.path) or uri


def language_id_for_path(path: str) -> str | None:
    """LSP languageId guessed from a file name's extension, or ``None`` when unknown."""
    _, ext = posixpath.splitext(path.replace("\\", "/"))
    return EXTENSIONS.get(ext.lower())


def grammar_for(language_id: str | None, uri_or_path: str | None = None) -> str | None:
    """Canonical grammar name for a document, trusting the languageId first, then the extension.

    Clients send ``plaintext`` or odd ids for files they do not recognise; the extension fallback
    keeps those files structured.
    """
    if language_id:
        name = LANGUAGE_IDS.get(language_id.lower())
        if name is not None:
            return name
    if uri_or_path:
        guessed = language_id_for_path(path_from_uri(uri_or_path))
        if guessed is not None:
            return LANGUAGE_IDS[guessed]
    return None


@functools.cache
def get_language(grammar: str) -> Language | None:
    """The tree-sitter ``Language`` for a grammar name, imported and built once per process."""
    spec = _GRAMMARS.get(grammar)
    if spec is None:
        return None
    from tree_sitter import Language

    module = importlib.import_module(spec[0])
    return Language(getattr(module, spec[1])())


def new_parser(grammar: str | None) -> Parser | None:
    """A fresh parser for ``grammar`` (``None`` for plain text).

    Parsers are not thread-safe, so each document owns one; the costly part, the ``Language``,
    is shared through :func:`get_language`'s cache.
    """
    if grammar is None:
        return None
    language = get_language(grammar)
    if language is None:
        return None
    from tree_sitter import Parser

    return Parser(language)


def comment_prefix(language_id: str | None) -> str:
    """The line-comment marker of a language, used to render context headers inside prompts."""
    lang = (language_id or "").lower()
    if lang in _HASH_COMMENT:
        return "#"
    if lang in _DASH_COMMENT:
        return "--"
    return "//"
