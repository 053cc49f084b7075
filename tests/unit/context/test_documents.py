"""Document sync: UTF-16 positions, clamping, incremental re-parse equal to a full parse."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from openagent_lsp.context.documents import Document, DocumentStore
from openagent_lsp.context.text import utf16_len, utf16_to_index
from openagent_lsp.context.types import Position, Range, TextChange
from openagent_lsp.errors import InvalidInputError

URI = "file:///w/a.py"


def _rng(l1: int, c1: int, l2: int, c2: int) -> Range:
    return Range(Position(l1, c1), Position(l2, c2))


def test_importing_context_does_not_import_tree_sitter() -> None:
    code = (
        "import sys, openagent_lsp.context, openagent_lsp.context.documents, "
        "openagent_lsp.context.scope, openagent_lsp.context.outline, openagent_lsp.completion.postprocess;"
        "print('tree_sitter' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_utf16_helpers_count_surrogate_pairs() -> None:
    assert utf16_len("a😀b") == 4
    assert utf16_len("中文") == 2
    assert utf16_to_index("a😀b", 3) == 2
    assert utf16_to_index("a😀b", 2) == 1  # inside the pair: rounds down, never splits the emoji
    assert utf16_to_index("a😀b", 99) == 3


def test_offsets_and_positions_with_emoji_and_cjk() -> None:
    doc = Document(URI, "python", 1, "s = '😀中'\nx = 1\n")
    # After the emoji: 'x' index 6 in str, but character 7 in UTF-16.
    assert doc.offset_at(Position(0, 7)) == 6
    assert doc.position_at(6) == Position(0, 7)
    assert doc.position_at(7) == Position(0, 8)
    assert doc.offset_at(Position(1, 0)) == doc.text.index("x")
    for off in range(len(doc.text) + 1):
        assert doc.offset_at(doc.position_at(off)) == off


def test_out_of_range_positions_are_clamped() -> None:
    doc = Document(URI, "python", 1, "ab\ncd")
    assert doc.offset_at(Position(0, 99)) == 2
    assert doc.offset_at(Position(99, 0)) == 5
    assert doc.offset_at(Position(-1, -5)) == 0
    assert doc.position_at(999) == Position(1, 2)
    assert doc.position_at(-3) == Position(0, 0)


def test_crlf_lines() -> None:
    doc = Document(URI, "python", 1, "a = 1\r\nb = 2\r\n")
    assert doc.line_count == 3
    assert doc.line(0) == "a = 1"
    assert doc.offset_at(Position(0, 99)) == 5  # clamps before the \r\n
    assert doc.offset_at(Position(1, 0)) == 7
    assert doc.line(5) == ""


def test_store_open_change_close_and_unknown_uri() -> None:
    store = DocumentStore()
    store.open(URI, "python", 1, "x = 1\n")
    doc = store.change(URI, 2, [TextChange(_rng(0, 4, 0, 5), "42")])
    assert doc.text == "x = 42\n" and doc.version == 2
    store.change(URI, 3, [TextChange(None, "y = 😀\n")])
    assert store.get(URI).text == "y = 😀\n"
    store.close(URI)
    with pytest.raises(InvalidInputError, match="not open"):
        store.get(URI)
    with pytest.raises(InvalidInputError):
        store.change(URI, 4, [TextChange(None, "")])
    store.close(URI)  # closing twice is harmless


def test_multiple_changes_apply_in_order_with_utf16_ranges() -> None:
    store = DocumentStore()
    store.open(URI, "python", 1, "a = '😀'\nb = 2\n")
    doc = store.get(URI)
    assert doc.tree is not None
    store.change(
        URI,
        2,
        [
            TextChange(_rng(0, 7, 0, 7), "中"),  # after the emoji (UTF-16 column 7)
            TextChange(_rng(1, 4, 1, 5), "'🚀'"),
        ],
    )
    assert doc.text == "a = '😀中'\nb = '🚀'\n"
    assert not doc.tree.root_node.has_error
    assert str(doc.tree.root_node) == str(Document("x", "python", 0, doc.text).tree.root_node)


@pytest.mark.parametrize("lang", ["python", "javascript", "typescript", "typescriptreact", "go", "rust"])
def test_incremental_reparse_matches_full_parse_on_random_multibyte_edits(lang: str) -> None:
    rnd = random.Random(7)
    base = {
        "python": "def f(x):\n    return '数据' + x  # 😀\n\nclass A:\n    pass\n",
        "javascript": "function f(x) {\n  return '数据' + x; // 😀\n}\n",
        "typescript": "function f(x: string): string {\n  return '数据' + x; // 😀\n}\n",
        "typescriptreact": "const A = () => <div>数据 😀</div>;\n",
        "go": 'package a\n\nfunc F(x string) string {\n\treturn "数据" + x // 😀\n}\n',
        "rust": 'fn f(x: &str) -> String {\n    format!("数据{}", x) // 😀\n}\n',
    }[lang]
    store = DocumentStore()
    doc = store.open("file:///w/f", lang, 1, base)
    assert doc.tree is not None
    pieces = ["x", "😀", "中文", "\n", "", "(", "é\n  ", "🚀🚀"]
    for version in range(2, 60):
        n = doc.line_count
        l1 = rnd.randrange(n)
        l2 = min(n - 1, l1 + rnd.choice([0, 0, 1]))
        start = Position(l1, rnd.randrange(utf16_len(doc.line(l1)) + 2))
        end = Position(l2, rnd.randrange(utf16_len(doc.line(l2)) + 2))
        if end < start:
            start, end = end, start
        expected_text = (
            doc.text[: doc.offset_at(start)] + (piece := rnd.choice(pieces)) + doc.text[doc.offset_at(end) :]
        )
        store.change(doc.uri, version, [TextChange(Range(start, end), piece)])
        assert doc.text == expected_text
        fresh = Document("x", lang, 0, doc.text)
        assert doc._starts() == fresh._starts()
        if version % 3 == 0:
            assert doc.tree is not None and fresh.tree is not None
            assert str(doc.tree.root_node) == str(fresh.tree.root_node)
            assert doc.tree.root_node.end_byte == len(doc.text.encode())


def test_plain_text_has_no_tree() -> None:
    doc = Document("file:///w/notes.txt", "plaintext", 1, "hello 😀")
    assert doc.tree is None
    assert doc.position_at(len(doc.text)) == Position(0, 8)


def test_language_falls_back_to_extension() -> None:
    doc = Document("file:///w/x.rs", "plaintext", 1, "fn main() {}")
    assert doc.grammar == "rust"
    assert doc.tree is not None and doc.tree.root_node.type == "source_file"


def test_documents_above_the_parse_bound_have_no_tree_and_shrinking_brings_it_back() -> None:
    from openagent_lsp.context.documents import MAX_TREE_BYTES

    big = "x = 1\n" * (MAX_TREE_BYTES // 6 + 10)
    store = DocumentStore()
    doc = store.open("file:///big.py", "python", 1, big)
    assert doc.tree is None  # a parse would hold the GIL for seconds
    store.change("file:///big.py", 2, [TextChange(None, "def f():\n    return 1\n")])
    tree = doc.tree
    assert tree is not None and tree.root_node.type == "module"


def test_positions_inside_and_after_lone_surrogates() -> None:
    line = "a😀b\ud83dc"
    assert utf16_len(line) == 6
    assert [utf16_to_index(line, u) for u in range(8)] == [0, 1, 1, 2, 3, 4, 5, 5]
    store = DocumentStore()
    doc = store.open("file:///s.py", "python", 1, f"{line}\n")
    assert doc.offset_at(Position(0, 5)) == 4 and doc.position_at(5) == Position(0, 6)
