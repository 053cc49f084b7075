"""Completion-shaped prompts for base models.

A base model does not follow instructions; it continues text. So each action is posed as text whose
natural continuation is the answer: the function followed by the same function with its docstring
opened, a test module that imports the function and opens ``def test_<name>():``, a comment block
after the code that begins the explanation, the staged diff followed by ``Subject:``.
``answers.py`` cuts each continuation to its useful part.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass, field

from openagent_lsp.context.languages import comment_prefix

# Few-shot example of the test module shape: short functions, asserts on small literal inputs with
# edge cases (empty input, zero). Deliberately unlike the functions the action eval uses.
PYTHON_TEST_EXAMPLE = '''# file: shapes.py
def area(width: float, height: float) -> float:
    return width * height


def is_square(width: float, height: float) -> bool:
    return width == height


# file: test_shapes.py
from shapes import area, is_square


def test_area():
    assert area(2, 3) == 6
    assert area(0, 5) == 0


def test_is_square():
    assert is_square(2, 2) is True
    assert is_square(2, 3) is False


# file: names.py
def shout(word: str) -> str:
    return word.upper() + "!"


def first_words(text: str, count: int) -> list[str]:
    return text.split()[:count]


# file: test_names.py
from names import first_words, shout


def test_shout():
    assert shout("hi") == "HI!"
    assert shout("") == "!"


def test_first_words():
    assert first_words("a b c", 2) == ["a", "b"]
    assert first_words("", 3) == []


'''

COMMIT_EXAMPLE = '''diff --git a/app/paging.py b/app/paging.py
--- a/app/paging.py
+++ b/app/paging.py
@@ -10,7 +10,7 @@ def page_count(total, size):
-    return total // size
+    return (total + size - 1) // size

Subject: Round the page count up so the last partial page is counted

'''


@dataclass(frozen=True)
class ShapedPrompt:
    """Text for a base model to continue, where to stop it, and the answer's opening words.

    ``primer`` ends the prompt and begins the answer (the model continues it): answers.py puts it back
    in front of the continuation.
    """

    text: str
    stop: list[str] = field(default_factory=list)
    max_new_tokens: int = 96
    primer: str = ""


def dedent_code(code: str) -> str:
    return textwrap.dedent(code).strip("\n")


def python_header(code: str) -> tuple[str, str] | None:
    """(header, body) of the first function or class in ``code``, dedented; None when it does not parse.

    The header runs from the decorators to the line before the first body statement; an existing
    docstring is left out of the body (the model writes a new one).
    """
    dedented = dedent_code(code)
    try:
        tree = ast.parse(dedented)
    except SyntaxError:
        return None
    node = next((n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)), None)
    if node is None or node.body[0].lineno == node.lineno:
        return None
    lines = dedented.split("\n")
    first = node.body[0]
    header = "\n".join(lines[: first.lineno - 1])
    body_start = first.lineno - 1
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        body_start = first.end_lineno or first.lineno
    return header, "\n".join(lines[body_start:])


def docstring_prompt(code: str) -> ShapedPrompt | None:
    """The function, then the same function with its docstring opened: the model has read the body
    before it writes the docstring. None when ``code`` is not a Python definition."""
    parts = python_header(code)
    if parts is None:
        return None
    header, body = parts
    indent = _body_indent(body)
    undocumented = f"{header}\n{body}"
    text = f"{undocumented}\n\n\n# The same function with a docstring:\n{header}\n{indent}\"\"\""
    return ShapedPrompt(text, stop=['"""', "\n\n"], max_new_tokens=64)


def docstring_args_prompt(first: ShapedPrompt, summary: str, code: str, params: list[str]) -> ShapedPrompt:
    """The docstring prompt continued with the model's summary and an opened Google-style ``Args:``
    section, primed with the first parameter's name: the model describes each parameter."""
    parts = python_header(code)
    indent = _body_indent(parts[1]) if parts else "    "
    primer = f"{params[0]}:"
    text = f"{first.text}{summary}\n\n{indent}Args:\n{indent}    {primer}"
    return ShapedPrompt(text, stop=['"""', "\n\n"], max_new_tokens=min(24 * len(params), 144), primer=primer)


def python_parameters(code: str) -> list[str]:
    """Parameter names of the first function in ``code`` (without self/cls); [] for classes."""
    try:
        tree = ast.parse(dedent_code(code))
    except SyntaxError:
        return []
    node = next((n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)), None)
    if node is None:
        return []
    args = node.args
    names = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return [n for n in names if n not in ("self", "cls")]


def _body_indent(body: str) -> str:
    for line in body.split("\n"):
        if line.strip():
            return line[: len(line) - len(line.lstrip())] or "    "
    return "    "


def test_prompt(module: str, context: str, name: str, import_name: str) -> ShapedPrompt:
    """A test module for ``module`` that imports ``import_name`` and opens ``def test_<name>():``,
    after a same-language example of the shape."""
    test_name = re.sub(r"\W", "_", name).lower() or "code"
    text = (f"{PYTHON_TEST_EXAMPLE}# file: {module}.py\n{context.strip()}\n\n\n"
            f"# file: test_{module}.py\nfrom {module} import {import_name}\n\n\ndef test_{test_name}():\n")
    return ShapedPrompt(text, stop=["\n\n", "\n# file"], max_new_tokens=96, primer=f"def test_{test_name}():\n")


def explain_prompt(code: str, name: str, language: str) -> ShapedPrompt:
    """A comment block after the code that starts the explanation ("The `f` function …")."""
    marker = comment_prefix(language)
    subject = f"The `{name}` function" if name else "This code"
    what = "What this function does" if name else "What this code does"
    text = f"{dedent_code(code)}\n\n{marker} {what}:\n{marker} {subject}"
    return ShapedPrompt(text, stop=["\n\n"], max_new_tokens=80, primer=subject)


def ask_prompt(code: str, question: str, language: str) -> ShapedPrompt:
    """The code, then the question and an opened answer, both as comments."""
    marker = comment_prefix(language)
    asked = " ".join(question.split())
    text = f"{dedent_code(code)}\n\n{marker} Question about the code above: {asked}\n{marker} Answer:"
    return ShapedPrompt(text, stop=["\n\n"], max_new_tokens=80)


def rewrite_prompt(code: str, heading: str, language: str) -> ShapedPrompt | None:
    """The code, a comment saying what the next version is, and its header: the model writes the body.
    Used for fix (heading names the problems) and refactor. None for code without a Python header."""
    parts = python_header(code) if language == "python" else None
    if parts is None:
        return None
    header, _body = parts
    marker = comment_prefix(language)
    text = f"{dedent_code(code)}\n\n\n{marker} {heading}\n{header}\n"
    return ShapedPrompt(text, stop=["\n\n\n", f"\n{marker} "], max_new_tokens=192, primer=header + "\n")


def commit_prompt(diff: str, max_chars: int = 6000) -> ShapedPrompt:
    """The staged diff, then ``Subject:`` — after one example of the shape."""
    shown = diff.strip()
    if len(shown) > max_chars:
        shown = shown[:max_chars].rsplit("\n", 1)[0]
    return ShapedPrompt(f"{COMMIT_EXAMPLE}{shown}\n\nSubject:", stop=["\n"], max_new_tokens=32)
