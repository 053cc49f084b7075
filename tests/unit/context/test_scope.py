"""Enclosing scope, imports and ranked snippets from other files (no budget here: completion/context.py)."""

from __future__ import annotations

from openagent_lsp.context.documents import DocumentStore
from openagent_lsp.context.scope import enclosing_scope, enclosing_scopes, imports, ranked_snippets, render_snippet

PY = """import os
from typing import Any

class Cart:
    def total(self, items):
        price = sum_prices(items)
        \n
def main():
    pass
"""


def _store() -> DocumentStore:
    store = DocumentStore()
    store.open("file:///w/cart.py", "python", 1, PY)
    store.open(
        "file:///w/prices.py",
        "python",
        1,
        "def sum_prices(items):\n    return sum(i.price for i in items)\n\n\n"
        "def unrelated():\n    return 7\n",
    )
    return store


def test_python_scope_on_blank_line_inside_method() -> None:
    doc = _store().get("file:///w/cart.py")
    cursor = PY.index("        \n") + 8
    scopes = enclosing_scopes(doc, cursor)
    assert [(s.kind, s.name) for s in scopes] == [("method", "total"), ("class", "Cart")]
    assert scopes[0].header == "def total(self, items):"
    assert scopes[0].range.start.line == 4


def test_python_scope_at_module_level_after_function() -> None:
    doc = _store().get("file:///w/cart.py")
    assert enclosing_scope(doc, PY.index("def main")) is None
    assert enclosing_scope(doc, PY.index("pass")).name == "main"


def test_brace_language_scopes() -> None:
    store = DocumentStore()
    ts = store.open(
        "file:///w/a.ts",
        "typescript",
        1,
        "class K {\n  m() {\n    const f = () => {\n      \n    };\n  }\n}\n",
    )
    cur = ts.text.index("      \n") + 6
    assert [(s.kind, s.name) for s in enclosing_scopes(ts, cur)] == [
        ("function", "f"),
        ("method", "m"),
        ("class", "K"),
    ]
    rs = store.open("file:///w/a.rs", "rust", 1, "impl Foo {\n    fn bar(&self) {\n        \n    }\n}\n")
    assert [(s.kind, s.name) for s in enclosing_scopes(rs, rs.text.index("        \n") + 8)] == [
        ("method", "bar"),
        ("impl", "Foo"),
    ]
    go = store.open("file:///w/a.go", "go", 1, "package a\n\nfunc (s *S) Run() {\n\t\n}\n\nfunc B() {}\n")
    assert enclosing_scope(go, go.text.index("\t\n") + 1).name == "Run"
    assert enclosing_scope(go, go.text.index("\nfunc B")) is None


def test_scope_with_multibyte_text() -> None:
    store = DocumentStore()
    doc = store.open("file:///w/u.py", "python", 1, "def 数据(x):\n    s = '😀'\n    return s\n")
    sc = enclosing_scope(doc, doc.text.index("return"))
    assert sc is not None and sc.name == "数据"
    assert sc.text.endswith("return s")


def test_imports_per_language() -> None:
    store = DocumentStore()
    py = store.open(
        "file:///w/a.py",
        "python",
        1,
        "import os\nif TYPE_CHECKING:\n    from x import y\ndef f():\n    import z\n",
    )
    assert imports(py) == ["import os", "from x import y"]
    js = store.open(
        "file:///w/a.js", "javascript", 1, "import a from 'a';\nconst b = require('b');\nconst c = 1;\n"
    )
    assert imports(js) == ["import a from 'a';", "const b = require('b');"]
    go = store.open("file:///w/a.go", "go", 1, 'package a\n\nimport (\n\t"fmt"\n)\n')
    assert imports(go) == ['import (\n\t"fmt"\n)']
    rs = store.open("file:///w/a.rs", "rust", 1, "use std::io;\nextern crate foo;\nfn main() {}\n")
    assert imports(rs) == ["use std::io;", "extern crate foo;"]
    txt = store.open("file:///w/a.lua", "lua", 1, "require 'x'\nlocal y = 1\n")
    assert imports(txt) == ["require 'x'"]


def test_ranked_snippets_put_definitions_used_near_the_cursor_first() -> None:
    store = _store()
    cursor = PY.index("        \n") + 8
    snippets = ranked_snippets(store, "file:///w/cart.py", PY[:cursor])
    assert snippets and snippets[0].name == "sum_prices"
    assert snippets[0].path == "prices.py"
    assert all(s.uri != "file:///w/cart.py" for s in snippets)
    assert all(s.name != "unrelated" for s in snippets)
    assert ranked_snippets(store, "file:///w/cart.py", PY[:cursor], max_snippets=0) == []


def test_snippets_render_in_the_language_comment_syntax() -> None:
    store = _store()
    cursor = PY.index("        \n") + 8
    header = render_snippet(ranked_snippets(store, "file:///w/cart.py", PY[:cursor])[0], "#")
    assert header.startswith("# Path: prices.py\n# def sum_prices(items):\n")
    ts_store = DocumentStore()
    ts_store.open(
        "file:///w/util.ts", "typescript", 1, "export function sumPrices(items: Item[]) {\n  return 1;\n}\n"
    )
    ts_store.open("file:///w/main.ts", "typescript", 1, "const total = sumPrices(items);\n")
    [snippet] = ranked_snippets(ts_store, "file:///w/main.ts", "const total = sumPrices(items);")
    assert render_snippet(snippet, "//").startswith("// Path: util.ts\n// function sumPrices(items: Item[]) {")


def test_a_helper_the_file_imports_by_name_ranks_before_mere_overlap() -> None:
    store = DocumentStore()
    store.open("file:///w/pkg/utils.py", "python", 1,
               "def _has_surrogates(s):\n    return False\n\n\ndef items_total(items):\n    return sum(items)\n")
    user = "from .utils import _has_surrogates\n\n\ndef check(items, value):\n    total = len(items)\n    if "
    store.open("file:///w/pkg/policy.py", "python", 1, user)
    ranked = ranked_snippets(store, "file:///w/pkg/policy.py", user)
    assert [s.name for s in ranked][:1] == ["_has_surrogates"]
