"""Golden cases for completion post-processing, per language.

Each case is (prefix, suffix, raw model output, expected shown text). ``multiline`` comes from
``decide_multiline`` unless a case sets it, so the cases also exercise that decision.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from openagent_lsp.completion.postprocess import PostContext, decide_multiline, is_duplicate, postprocess


@dataclass(frozen=True)
class Case:
    id: str
    prefix: str
    suffix: str
    raw: str
    expected: str
    multiline: bool | None = None


def _run(case: Case, lang: str) -> str:
    multiline = decide_multiline(case.prefix, case.suffix, lang) if case.multiline is None else case.multiline
    return postprocess(case.raw, PostContext(case.prefix, case.suffix, lang, multiline))


PYTHON = [
    Case("heal-doubled-indent", "def f(n):\n    ", "\n", "    return n * 2", "return n * 2"),
    Case("heal-one-extra-space", "x =", "\n", " 5", " 5", multiline=False),
    Case("heal-space-after-typed-space", "x = ", "\n", " 5", "5"),
    Case(
        "stop-at-dedent-next-def",
        "def f(n):\n    ",
        "\n",
        "if n:\n        return 1\n    return 2\n\ndef g():\n    pass",
        "if n:\n        return 1\n    return 2",
    ),
    Case(
        "opener-keeps-else-stops-at-module-code",
        "def f(n):",
        "\n\ndef g(): pass\n",
        "\n    if n:\n        return 1\n    else:\n        return 2\nprint(f(3))",
        "\n    if n:\n        return 1\n    else:\n        return 2",
    ),
    Case(
        "blank-then-dedent-stops",
        "class A:\n    def m(self):\n        x = 1\n        ",
        "\n",
        "return x\n\n    def k(self):\n        pass",
        "return x",
    ),
    Case(
        "suffix-lines-dedupe",
        "def f(a):\n    ",
        "\n    return total\n",
        "total = a * 2\n    return total",
        "total = a * 2",
    ),
    Case("suffix-closing-paren-dedupe", "print(foo(", "))\n", "a, b))", "a, b"),
    Case("string-closed-by-suffix", 's = "hel', '"\n', 'lo" + name', "lo"),
    Case("unmatched-closer-dropped", "x = 1", "\n", " + 2)", " + 2", multiline=False),
    Case("repetition-cut", "def f():\n    ", "\n", "x = 1\nx = 1\nx = 1\nx = 1", "x = 1"),
    Case("whitespace-only", "def f():\n    ", "\n", "   \n\t\n", ""),
    Case("multibyte-suffix-dedupe", "msg = '数据", "😀'\n", "更多😀'", "更多"),
    Case("multibyte-body", "def 数据():\n    ", "\n", "return '😀 数据'\n\nx = 1", "return '😀 数据'"),
    Case("single-line-mode-keeps-first-line", "value = compute(", ")\n", "a,\n    b", "a,"),
    Case("exact-suffix-repeat-is-empty", "foo(", "bar)\n", "bar)", ""),
    Case(
        "docstring-lines-not-cut",
        "def f():\n    ",
        "\n",
        '"""Doc.\n\nMore.\n"""\n    return 1',
        '"""Doc.\n\nMore.\n"""\n    return 1',
    ),
    Case("crlf-preserved", "def f():\r\n    ", "\r\n", "return 1\r\n\r\ndef g(): pass", "return 1"),
    # A line that loops within itself never reaches the editor (seen in a real session after typing `fo`).
    Case(
        "loop-within-the-line-shows-nothing",
        "for dirpath, dirs, files in os.walk(root):\n    fo",
        "\n",
        "o = os.path.join(dirpath, '..', '..', '..', '..', '..', '..', '..', '..', '..'",
        "",
    ),
    Case(
        "loop-cut-off-after-three-copies",
        "for dirpath, dirs, files in os.walk(root):\n    fo",
        "\n",
        "o = os.path.join(dirpath, '..', '..', '..'",
        "",
        multiline=False,
    ),
    Case(
        "loop-on-a-later-line-drops-that-line",
        "def parent(root):\n    ",
        "\n",
        "base = os.path.abspath(root)\n    up = os.path.join(base, '..', '..', '..', '..', '..')\n    return up",
        "base = os.path.abspath(root)",
    ),
    Case("loop-of-calls", "total = ", "\n", "f(x) + f(x) + f(x) + f(x) + f(x) + f(", "", multiline=False),
    Case("two-parents-are-code", "p = os.path.join(here, ", ")\n", "'..', '..')", "'..', '..'"),
    Case("three-parents-finished-are-code", "p = ", "\n", "os.path.join(here, '..', '..', '..')",
         "os.path.join(here, '..', '..', '..')"),
    Case("short-literal-is-code", "zeros = ", "\n", "[0, 0, 0, 0]", "[0, 0, 0, 0]"),
    Case("separator-comment-is-code", "def f():\n    ", "\n", "# ------------------------\n    return 1",
         "# ------------------------\n    return 1"),
]

JS_TS = [
    Case(
        "brace-closed-by-suffix-js",
        "function f() {\n  ",
        "\n}\n",
        "return 1;\n}\n\nfunction g() {}",
        "return 1;",
    ),
    Case(
        "brace-open-at-eof-closes-block-js",
        "function f() {\n  ",
        "\n",
        "return 1;\n}\n\nfunction g() {}",
        "return 1;\n}",
    ),
    Case("call-paren-dedupe-ts", "const v = add(", ");\n", "a, b);", "a, b"),
    Case("template-string-ts", "const s = `hi ${", "}`;\n", "name}`;", "name"),
    Case("multibyte-string-js", "const s = '中文", "';\n", "字符';", "字符"),
    Case(
        "auto-closed-braces-multiline-ts",
        "if (ok) {",
        "}\n",
        "\n  run();\n}",
        "\n  run();\n",
    ),
    Case(
        "suffix-line-dedupe-js",
        "function f(a) {\n  const b = a + 1;\n  ",
        "\n  return b;\n}\n",
        "const c = b * 2;\n  return b;\n}",
        "const c = b * 2;",
    ),
    Case("unmatched-closer-js", "const x = 1", ";\n", " + y);", " + y", multiline=False),
    Case(
        "repetition-js",
        "function f() {\n  ",
        "\n}\n",
        "log(a);\n  log(b);\n  log(a);\n  log(b);\n  log(a);\n  log(b);",
        "log(a);\n  log(b);",
    ),
    Case(
        "indent-dedent-stop-tsx",
        "const A = () => {\n  ",
        "\n};\n",
        "const x = <div>数据</div>;\n  return x;\n\nexport default A;",
        "const x = <div>数据</div>;\n  return x;",
    ),
    Case("comment-brace-ignored-ts", "function g() { // }\n  ", "\n}\n", "return '}';\n}", "return '}';"),
    Case(
        "loop-within-the-line-js",
        "function up(p) {\n  ",
        "\n}\n",
        "return path.join(p, '..', '..', '..', '..', '..', '..'",
        "",
    ),
]

GO = [
    Case(
        "closing-brace-in-suffix",
        "func main() {\n\t",
        "\n}\n",
        'fmt.Println("😀 hi")\n}',
        'fmt.Println("😀 hi")',
    ),
    Case("heal-tab-indent", "func main() {\n\t", "\n}\n", "\tx := 1", "x := 1"),
    Case("eof-block-closes", "func f() int {\n\t", "", "return 1\n}\n\nfunc g() {}", "return 1\n}"),
    Case("call-args-dedupe", "fmt.Printf(", ")\n", '"%d", n)', '"%d", n'),
    Case("raw-string-braces", "func f() {\n\ts := `", "`\n}\n", "{}`", "{}"),
    Case(
        "suffix-lines-dedupe",
        "func f() error {\n\t",
        "\n\treturn nil\n}\n",
        "err := run()\n\tif err != nil {\n\t\treturn err\n\t}\n\treturn nil\n}",
        "err := run()\n\tif err != nil {\n\t\treturn err\n\t}",
    ),
    Case("opener-multiline", "if err != nil {", "\n}\n", "\n\t\treturn err\n\t}", "\n\t\treturn err"),
    Case("whitespace-only", "func f() {\n\t", "\n}\n", "\n\n", ""),
    Case("cjk-comment", "// 计算\nfunc f() {\n\t", "\n}\n", 'x := "数据" // 注释\n}', 'x := "数据" // 注释'),
]

RUST = [
    Case("vec-bracket-dedupe", "fn main() {\n    let v = vec![1, 2", "];\n}\n", ", 3];", ", 3"),
    Case("fn-body-closed-by-suffix", "fn f() -> u32 {\n    ", "\n}\n", "42\n}\n\nfn g() {}", "42"),
    Case("lifetime-not-a-quote", "fn f<'a>(s: &'a str) -> &'a str {\n    ", "\n}\n", "&s[..1]\n}", "&s[..1]"),
    Case("char-literal-brace", "fn f() -> char {\n    ", "\n}\n", "'}'\n}", "'}'"),
    Case(
        "match-arms-stop-at-block-end",
        "fn f(x: u8) -> u8 {\n    match x {",
        "\n}\n",
        "\n        0 => 1,\n        _ => 2,\n    }\n}\n\nfn g() {}",
        "\n        0 => 1,\n        _ => 2,\n    }",
    ),
    Case(
        "impl-eof",
        "impl S {\n    ",
        "",
        "fn new() -> Self {\n        S {}\n    }\n}\n\nimpl T {}",
        "fn new() -> Self {\n        S {}\n    }\n}",
    ),
    Case("emoji-string", 'fn f() {\n    println!("', '");\n}\n', '😀 数据");', "😀 数据"),
    Case("heal-indent", "fn f() {\n    ", "\n}\n", "    let x = 1;", "let x = 1;"),
    Case("unmatched-closer", "let x = 1", ";\n", " + y);", " + y", multiline=False),
    Case("loop-within-the-line-rust", "fn f() {\n    ", "\n}\n", "let v = vec![a, a, a, a, a, a, a, a", ""),
]


@pytest.mark.parametrize("case", PYTHON, ids=[c.id for c in PYTHON])
def test_python(case: Case) -> None:
    assert _run(case, "python") == case.expected


@pytest.mark.parametrize("case", JS_TS, ids=[c.id for c in JS_TS])
@pytest.mark.parametrize("lang", ["javascript", "typescript", "typescriptreact"])
def test_javascript_typescript(case: Case, lang: str) -> None:
    if case.id.endswith("-tsx") and lang != "typescriptreact":
        pytest.skip("JSX case")
    assert _run(case, lang) == case.expected


@pytest.mark.parametrize("case", GO, ids=[c.id for c in GO])
def test_go(case: Case) -> None:
    assert _run(case, "go") == case.expected


@pytest.mark.parametrize("case", RUST, ids=[c.id for c in RUST])
def test_rust(case: Case) -> None:
    assert _run(case, "rust") == case.expected


@pytest.mark.parametrize(
    ("prefix", "suffix", "lang", "expected"),
    [
        ("def f():\n    ", "\n", "python", True),
        ("def f():", "\n", "python", True),
        ("def f():  # note", "\n", "python", True),
        ("x = {'a':", "\n", "python", False),
        ("x = foo(", ")\n", "python", False),
        ("x = 1", "\n", "python", False),
        ("function f() {", "\n", "javascript", True),
        ("if (ok) {", "}\n", "typescript", True),
        ("const x = a + ", "b;\n", "typescript", False),
        ("func f() {", "\n", "go", True),
        ("\tswitch x {\n\tcase 1:", "\n", "go", True),
        ("let v = vec![", "];\n", "rust", False),
        ("fn f() {", "\n", "rust", True),
        ("hello", "\n", "plaintext", False),
    ],
)
def test_decide_multiline(prefix: str, suffix: str, lang: str, expected: bool) -> None:
    assert decide_multiline(prefix, suffix, lang) is expected


def test_is_duplicate() -> None:
    shown = ["return x + 1", "foo(a,\n    b)"]
    assert is_duplicate("return x + 1  ", shown)
    assert is_duplicate("foo(a,\n        b)\n", shown)
    assert is_duplicate("   ", shown)
    assert not is_duplicate("return x + 2", shown)
    assert not is_duplicate("return x", [])
