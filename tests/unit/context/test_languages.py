"""Language mapping: languageId first, extension second, unknown means plain text."""

from __future__ import annotations

import pytest

from openagent_lsp.context.languages import (
    comment_prefix,
    get_language,
    grammar_for,
    language_id_for_path,
    new_parser,
    path_from_uri,
)


@pytest.mark.parametrize(
    ("language_id", "grammar"),
    [
        ("python", "python"),
        ("javascript", "javascript"),
        ("javascriptreact", "javascript"),
        ("typescript", "typescript"),
        ("typescriptreact", "tsx"),
        ("go", "go"),
        ("rust", "rust"),
        ("cobol", None),
    ],
)
def test_grammar_for_language_id(language_id: str, grammar: str | None) -> None:
    assert grammar_for(language_id) == grammar


def test_extension_fallback_and_uri_paths() -> None:
    assert grammar_for("plaintext", "file:///a/b%20c/x.tsx") == "tsx"
    assert language_id_for_path("src/main.go") == "go"
    assert language_id_for_path("README.md") is None
    assert path_from_uri("file:///a/b%20c/x.py") == "/a/b c/x.py"


def test_languages_are_cached_and_parsers_fresh() -> None:
    assert get_language("python") is get_language("python")
    p1, p2 = new_parser("python"), new_parser("python")
    assert p1 is not None and p1 is not p2
    assert new_parser(None) is None
    assert get_language("cobol") is None


def test_comment_prefix() -> None:
    assert comment_prefix("python") == "#"
    assert comment_prefix("typescript") == "//"
    assert comment_prefix("go") == "//"
    assert comment_prefix("lua") == "--"
