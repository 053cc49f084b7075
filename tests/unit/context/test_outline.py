"""Outline and symbol search per language, and the code tools' workspace confinement."""

from __future__ import annotations

from pathlib import Path

import pytest

from openagent_lsp.context.outline import find_symbol, outline
from openagent_lsp.errors import PolicyViolationError, ToolError
from openagent_lsp.tools.code import (
    CodeFindSymbolInput,
    CodeOutlineInput,
    code_find_symbol,
    code_outline,
)


def _kinds(text: str, lang: str) -> list[tuple[str, str, str | None]]:
    return [(s.name, s.kind, s.container) for s in outline(text, lang)]


def test_python_outline() -> None:
    src = "class A:\n    def m(self):\n        def inner(): pass\n@dec\ndef f():\n    pass\n"
    assert _kinds(src, "python") == [("A", "class", None), ("m", "method", "A"), ("f", "function", None)]
    assert outline(src, "python")[2].line == 4


def test_typescript_outline() -> None:
    src = (
        "export const f = (a: number) => a;\nclass A { m() {} h = () => 1 }\n"
        "interface I { x: number }\nnamespace N { function g() {} }\ntype T = string;\nenum E { A }\n"
    )
    assert _kinds(src, "typescript") == [
        ("f", "function", None),
        ("A", "class", None),
        ("m", "method", "A"),
        ("h", "method", "A"),
        ("I", "interface", None),
        ("N", "module", None),
        ("g", "function", "N"),
        ("T", "type", None),
        ("E", "enum", None),
    ]


def test_go_and_rust_outline() -> None:
    go = "package m\ntype S struct{}\ntype I interface{}\nfunc (s *S) M() {}\nfunc F() {}\n"
    assert _kinds(go, "go") == [
        ("S", "struct", None),
        ("I", "interface", None),
        ("M", "method", "S"),
        ("F", "function", None),
    ]
    rs = (
        "struct S;\nimpl S { fn new() -> Self { S } }\ntrait T { fn t(&self); }\nenum E { A }\nfn main() {}\n"
    )
    assert _kinds(rs, "rust") == [
        ("S", "struct", None),
        ("S", "impl", None),
        ("new", "method", "S"),
        ("T", "trait", None),
        ("t", "method", "T"),
        ("E", "enum", None),
        ("main", "function", None),
    ]


def test_outline_ranges_use_utf16_columns() -> None:
    syms = outline("x = '😀'; y = 1\nclass B: pass\n", "python")
    assert syms[0].name == "B" and syms[0].range.start.line == 1
    js = outline("const s = '😀'; function g() {}\n", "javascript")
    assert js[0].range.start.character == len("const s = '") + 2 + len("'; ")


def test_outline_unknown_language_is_empty() -> None:
    assert outline("def f(): pass", "cobol") == []


def test_find_symbol_exact_then_case_insensitive() -> None:
    texts = {
        "b.py": ("class Parser:\n    def parse(self): pass\n", "python"),
        "a.go": ("package a\nfunc parse() {}\n", "go"),
        "c.ts": ("function Parse() {}\n", "typescript"),
    }
    found = find_symbol(texts, "parse")
    assert [(m.path, m.symbol.qualified_name) for m in found] == [
        ("a.go", "parse"),
        ("b.py", "Parser.parse"),
        ("c.ts", "Parse"),
    ]
    assert [m.path for m in find_symbol(texts, "Parser.parse")] == ["b.py"]
    assert find_symbol(texts, "  ") == []


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text(
        "class Engine:\n    def start(self):\n        pass\n", encoding="utf-8"
    )
    (tmp_path / "main.rs").write_text("fn start() {}\n", encoding="utf-8")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "dep.js").write_text("function start() {}\n", encoding="utf-8")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "x.py").write_text("def start(): pass\n", encoding="utf-8")
    (tmp_path / "big.py").write_text("def start(): pass\n" + "#" * 1_100_000, encoding="utf-8")
    return tmp_path


def test_code_outline_tool(workspace: Path) -> None:
    assert CodeOutlineInput(path="pkg/mod.py").path == "pkg/mod.py"
    out = code_outline("pkg/mod.py", workspace)
    assert out == "pkg/mod.py:\n1: class Engine\n  2: method Engine.start"


def test_code_outline_refuses_paths_outside_workspace(
    workspace: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with pytest.raises(PolicyViolationError, match="outside the workspace"):
        code_outline("../etc/passwd", workspace)
    outside = tmp_path_factory.mktemp("outside") / "secret.py"
    outside.write_text("def secret(): pass\n", encoding="utf-8")
    (workspace / "link.py").symlink_to(outside)
    with pytest.raises(PolicyViolationError, match="outside the workspace"):
        code_outline("link.py", workspace)
    with pytest.raises(ToolError, match="larger than"):
        code_outline("big.py", workspace)
    with pytest.raises(ToolError):
        code_outline("missing.py", workspace)


def test_code_find_symbol_tool_skips_vendored_and_large_files(workspace: Path) -> None:
    assert CodeFindSymbolInput(name="start").max_files == 2000
    out = code_find_symbol("start", workspace)
    assert out.splitlines() == ["main.rs:1: function start", "pkg/mod.py:2: method Engine.start"]
    assert "No definition" in code_find_symbol("nothing_here", workspace)
    with pytest.raises(ToolError):
        code_find_symbol(" ", workspace)
