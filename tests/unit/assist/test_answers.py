"""Cutting a base model's continuation down to what a user keeps (pure functions)."""

from __future__ import annotations

import ast

import pytest

from openagent_lsp.assist import answers


def test_prose_stops_where_the_model_loops_or_writes_code() -> None:
    continuation = (" returns the mean of the values.\n# The `mean` function returns the mean of the values.\n"
                    "def mean(values):\n    return 0")
    lines = answers.comment_lines(continuation, "#")
    answer = answers.prose_answer(lines, primer="The `mean` function")
    assert answer == "The `mean` function returns the mean of the values."


def test_prose_ends_at_a_near_repeat_and_drops_an_unfinished_last_sentence() -> None:
    looping = ["It returns the first letter of the name.", "It returns the first letter of each name.",
               "The result is upper case."]
    assert answers.prose_answer(looping) == "It returns the first letter of the name."
    cut_off = ["It joins the words.", "The result is lower case.", "It is called by"]
    assert answers.prose_answer(cut_off) == "It joins the words. The result is lower case."


def test_prose_keeps_numbers_and_refuses_an_answer_that_only_repeats_the_primer() -> None:
    assert answers.prose_answer([" 0.2"]) == "0.2"
    assert answers.prose_answer([""], primer="The `f` function") == ""


def test_comment_lines_end_at_the_first_line_that_is_not_a_comment() -> None:
    assert answers.comment_lines(" first.\n# second.\nx = 1\n# third.", "#") == ["first.", "second."]
    assert answers.comment_lines(" first.\n//  second.", "//") == ["first.", "second."]


@pytest.mark.parametrize(("raw", "expected"), [
    ("This function returns the mean of a list.", "Return the mean of a list."),
    ("This function is used to convert a string to a slug.", "Convert a string to a slug."),
    ("This function will flatten a list of lists", "Flatten a list of lists."),
    ("This function counts the pairs.\n\n    More text.", "Count the pairs."),
    ("Return x.\n    Return x.\n    Return x.", "Return x."),
])
def test_docstring_summary_in_the_imperative(raw: str, expected: str) -> None:
    assert answers.docstring_text(raw) == expected


def test_docstring_inserted_at_the_body_indentation_of_a_method() -> None:
    code = "    def area(self, r):\n        return 3.14 * r * r"
    out = answers.insert_python_docstring(code, "Return the area of a circle of radius r.")
    assert out == ('    def area(self, r):\n        """Return the area of a circle of radius r."""\n'
                   "        return 3.14 * r * r")


def test_an_existing_docstring_is_replaced_and_a_long_one_wrapped() -> None:
    code = '@cache\ndef f(x):\n    """Old.\n\n    Old details.\n    """\n    return x'
    out = answers.insert_python_docstring(code, "Return x. " * 12, [("x", "Any value.")])
    tree = ast.parse(out)
    doc = ast.get_docstring(tree.body[0])  # type: ignore[arg-type]
    assert doc is not None and "Old" not in doc and doc.endswith("Args:\n    x: Any value.")
    assert out.startswith("@cache\ndef f(x):\n") and out.endswith('    """\n    return x')
    assert all(len(line) <= 88 for line in out.split("\n"))


def test_a_one_line_definition_gets_its_body_on_a_new_line() -> None:
    out = answers.insert_python_docstring("def f(x): return x", "Return x.")
    assert out == 'def f(x):\n    """Return x."""\n    return x'
    ast.parse(out)


def test_argument_descriptions_keep_real_parameters_in_signature_order() -> None:
    more = "width: the width in pixels.\n        depth: not a parameter.\n        text (str): The text. More."
    assert answers.argument_descriptions(more, ["text", "width"]) == [("text", "The text."),
                                                                    ("width", "The width in pixels.")]


def test_test_body_keeps_parsing_statements_and_drops_tautologies_and_repeats() -> None:
    continuation = ("    assert f(1) == 2\n    assert f(1) == 2\n    assert g(x) == g(x)\n"
                    "    assert f(\n        2) == 3\n    x = 1\n\n\ndef test_more():\n    assert False")
    assert answers.test_body(continuation) == ["assert f(1) == 2", "assert f(\n    2) == 3"]
    assert answers.test_body("    assert (((\n") == []


def test_commit_subject_is_one_short_line() -> None:
    assert answers.commit_subject(' "Round prices with tax to cents."\nbody') == "Round prices with tax to cents"
    long = answers.commit_subject("add " + "very " * 30 + "long subject")
    assert len(long) <= 72 and long.startswith("Add very")
