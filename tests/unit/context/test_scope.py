"""Enclosing scope, imports, related snippets and the budgeted completion context."""

from __future__ import annotations

from openagent_lsp.context.documents import DocumentStore
from openagent_lsp.context.scope import (
    build_context,
    enclosing_scope,
    enclosing_scopes,
    estimate_tokens,
    imports,
    related_snippets,
    take_head,
    take_tail,
)

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


def test_related_snippets_pick_definitions_used_near_cursor() -> None:
    store = _store()
    cursor = PY.index("        \n") + 8
    snippets = related_snippets(store, "file:///w/cart.py", PY[:cursor], estimate_tokens, 200)
    assert snippets and snippets[0].name == "sum_prices"
    assert snippets[0].path == "prices.py"
    assert all(s.uri != "file:///w/cart.py" for s in snippets)
    assert all(s.name != "unrelated" for s in snippets)


def test_related_snippets_respect_budget() -> None:
    store = _store()
    assert related_snippets(store, "file:///w/cart.py", PY, estimate_tokens, 5) == []
    assert related_snippets(store, "file:///w/cart.py", PY, estimate_tokens, 0) == []


def test_build_context_renders_header_in_language_comment_syntax() -> None:
    store = _store()
    cursor = PY.index("        \n") + 8
    ctx = build_context(store, "file:///w/cart.py", cursor, estimate_tokens, 512)
    assert ctx.prefix == PY[:cursor] and ctx.suffix == PY[cursor:]
    assert ctx.scope is not None and ctx.scope.name == "total"
    assert ctx.imports == "import os\nfrom typing import Any"
    header = ctx.render_header()
    assert header.startswith("# Path: prices.py\n# def sum_prices(items):\n")
    assert ctx.prompt_prefix() == header + ctx.prefix

    ts_store = DocumentStore()
    ts_store.open(
        "file:///w/util.ts", "typescript", 1, "export function sumPrices(items: Item[]) {\n  return 1;\n}\n"
    )
    ts_store.open("file:///w/main.ts", "typescript", 1, "const total = sumPrices(items);\n")
    ts_ctx = build_context(ts_store, "file:///w/main.ts", 31, estimate_tokens, 512)
    assert ts_ctx.render_header().startswith("// Path: util.ts\n// function sumPrices(items: Item[]) {")


def test_build_context_truncates_prefix_and_keeps_imports() -> None:
    store = DocumentStore()
    body = "import os\nimport sys\n\n" + "".join(
        f"value_{i} = os.path.join('a', str({i}))\n" for i in range(400)
    )
    store.open("file:///w/big.py", "python", 1, body)
    ctx = build_context(store, "file:///w/big.py", len(body), estimate_tokens, 300)
    assert ctx.prefix_truncated
    assert body.endswith(ctx.prefix) and ctx.prefix.startswith("value_")
    assert ctx.imports_in_prompt == "import os\nimport sys"
    total = estimate_tokens(ctx.prompt_prefix()) + estimate_tokens(ctx.suffix)
    assert total <= 300


def test_take_head_and_tail_cut_at_lines() -> None:
    text = "".join(f"line {i}\n" for i in range(100))
    tail, cut = take_tail(text, estimate_tokens, 20)
    assert cut and text.endswith(tail) and tail.startswith("line ") and estimate_tokens(tail) <= 20
    head, cut = take_head(text, estimate_tokens, 20)
    assert cut and text.startswith(head) and head.endswith("\n") and estimate_tokens(head) <= 20
    assert take_tail("short", estimate_tokens, 20) == ("short", False)
