from __future__ import annotations

from openagent_lsp.llm.lookup import find_draft
from openagent_lsp.llm.text import apply_stops


def test_stop_string_split_across_pieces() -> None:
    assert "".join(apply_stops(["abc\nde", "f\nSTO", "P more"], ["STOP"])) == "abc\ndef\n"


def test_no_stop_passes_everything() -> None:
    assert "".join(apply_stops(["a", "b", "c"], ["zz"])) == "abc"
    assert list(apply_stops(["a", "b"], [])) == ["a", "b"]


def test_find_draft_copies_what_followed_the_last_ngram() -> None:
    tokens = [1, 2, 3, 4, 5, 9, 9, 2, 3]
    assert find_draft(tokens, max_ngram=3, max_draft=3) == [4, 5, 9]


def test_find_draft_prefers_the_most_recent_occurrence() -> None:
    tokens = [7, 8, 1, 7, 8, 2, 7, 8]
    assert find_draft(tokens, max_ngram=2, max_draft=1) == [2]


def test_find_draft_empty_when_nothing_repeats() -> None:
    assert find_draft([1, 2, 3, 4]) == []
