"""Arguments are parsed the way the program parses them: GNU abbreviations, clusters, attached and
separate values, old-style tar letters, "--" and operands before options."""

from __future__ import annotations

import pytest

from openagent_lsp.policy.shapes.check import judge_shape
from openagent_lsp.policy.shapes.options import Arg, Syntax, opt, parse_args
from openagent_lsp.policy.shell import DYN, Part, Word, lit

SYNTAX = Syntax(
    (
        opt("-v", "--verbose"),
        opt("-c", "--create"),
        opt("-f", "--file", arg=Arg.WRITE),
        opt("-I", "--use-compress-program", arg=Arg.CODE),
        opt("--checkpoint", arg=Arg.TEXT, optional=True),
        opt("--checkpoint-action", arg=Arg.CODE),
        opt("--arg", arg=Arg.TEXT, extra_values=1),
    ),
    old_style=True,
)


def words(*texts: str) -> list[Word]:
    return [lit(t) for t in texts]


def names(parsed: object) -> list[tuple[str, str | None]]:
    return [(o.canonical, v.text if v is not None else None) for o, v in parsed.options]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--checkpoint-action=exec=id"], [("--checkpoint-action", "exec=id")]),
        (["--checkpoint-act=exec=id"], [("--checkpoint-action", "exec=id")]),  # unique prefix
        (["--use-comp", "id"], [("--use-compress-program", "id")]),
        (["-cvIid"], [("--create", None), ("--verbose", None), ("--use-compress-program", "id")]),
        (["-cvI", "id"], [("--create", None), ("--verbose", None), ("--use-compress-program", "id")]),
        (["cIf", "id", "x.tar"], [("--create", None), ("--use-compress-program", "id"), ("--file", "x.tar")]),
        (["-fout.tar"], [("--file", "out.tar")]),
        (["--file", "out.tar"], [("--file", "out.tar")]),
        (["--checkpoint", "src"], [("--checkpoint", None)]),  # optional values only attach with "="
        (["--checkpoint=5"], [("--checkpoint", "5")]),
        (["--arg", "name", "value"], [("--arg", "name")]),
    ],
)
def test_options_resolve_like_getopt_long(argv: list[str], expected: list[tuple[str, str | None]]) -> None:
    parsed = parse_args(SYNTAX, words(*argv))
    assert parsed.problem == ""
    assert names(parsed) == expected


def test_ambiguous_and_unknown_options_are_problems() -> None:
    assert "ambiguous" in parse_args(SYNTAX, words("--check=1")).problem
    assert "unknown option" in parse_args(SYNTAX, words("--frobnicate")).problem
    assert "unknown option -z" in parse_args(SYNTAX, words("-cz")).problem
    assert "takes no value" in parse_args(SYNTAX, words("--verbose=1")).problem
    assert "needs" in parse_args(SYNTAX, words("-f")).problem


def test_operands_end_of_options_and_permutation() -> None:
    parsed = parse_args(SYNTAX, words("-c", "src", "-v", "--", "-f", "x"))
    assert [w.text for w in parsed.operands] == ["src", "-f", "x"]
    assert names(parsed) == [("--create", None), ("--verbose", None)]
    posix = Syntax(SYNTAX.options, permute=False)
    parsed = parse_args(posix, words("-c", "src", "-v"))
    assert [w.text for w in parsed.operands] == ["src", "-v"]


def test_run_time_words_in_option_position_are_problems() -> None:
    dyn = Word(DYN, "$X", dynamic=True)
    assert "run time" in parse_args(SYNTAX, [lit("-c"), dyn]).problem
    assert "run time" in parse_args(SYNTAX, [Word("--" + DYN, "--$X", dynamic=True)]).problem
    # a run-time value of a known option is fine for the parser (its kind decides)
    assert parse_args(SYNTAX, [lit("--file"), dyn]).problem == ""


def test_a_leading_glob_is_recorded_as_a_possible_option() -> None:
    parsed = parse_args(SYNTAX, [lit("-c"), Word("*", "*", glob=True)])
    assert [w.text for w in parsed.option_globs] == ["*"]


def test_the_first_definition_of_a_spelling_wins() -> None:
    s = Syntax((opt("-n", "--numbered"), opt("-n", "--max-count", arg=Arg.TEXT)))
    assert names(parse_args(s, words("-n", "x"))) == [("--numbered", None)]


def part(*argv: str) -> Part:
    return Part(argv=words(*argv), name=argv[0], display=" ".join(argv), cwd=None)


@pytest.mark.parametrize(
    "argv",
    [
        ("tar", "--checkpoint=1", "--checkpoint-act=exec=id", "-cf", "x.tar", "src"),
        ("tar", "cIf", "id", "x.tar", "src"),
        ("git", "grep", "--open-files", "foo"),
        ("git", "grep", "-Oid", "foo"),
        ("sort", "--compress-prog=id", "x"),
        ("make", "--ev=all:;id"),
        ("gcc", "-wrapper", "/bin/sh,-c,id", "x.c"),
        ("gcc", "-fplugin=x.so", "x.c"),
        ("mapfile", "-tC", "id", "q"),
        ("printf", "-v", "a[$(id)]", "x"),
        ("read", "-r", "x[0]"),
        ("npm", "run", "x", "--script-shell=id"),
        ("pytest", "-pevil"),
        ("ls", "--frobnicate"),
    ],
)
def test_shapes_reject_what_runs_code(argv: tuple[str, ...]) -> None:
    shape = judge_shape(part(*argv))
    assert shape.known and shape.problem, argv


@pytest.mark.parametrize(
    ("argv", "reads", "writes"),
    [
        (("sort", "-o", "out", "in"), ["in"], ["out"]),
        (("sort", "-uoout", "in"), ["in"], ["out"]),
        (("iconv", "-f", "utf8", "--output=o", "i"), ["i"], ["o"]),
        (("cp", "-t", "dir", "a", "b"), ["a", "b"], []),
        (("cp", "a", "b"), ["a"], ["b"]),
        (("gcc", "-MF", "deps.d", "-MD", "-c", "x.c"), ["x.c"], ["deps.d"]),
        (("tar", "czf", "out.tgz", "src"), [], ["out.tgz"]),
        (("tee", "-a", "log"), [], ["log"]),
    ],
)
def test_shapes_say_what_each_argument_means(argv: tuple[str, ...], reads: list[str], writes: list[str]) -> None:
    shape = judge_shape(part(*argv))
    assert shape.problem == ""
    assert [w.text for w in shape.reads] == reads
    assert [w.text for w in shape.writes] == writes


def test_cp_target_directory_is_a_write_and_links_are_recorded() -> None:
    shape = judge_shape(part("cp", "-t", "dir", "a"))
    assert [w.text for w in shape.write_dirs] == ["dir"]
    ln = judge_shape(part("ln", "-s", ".git/config", "gc"))
    assert [(t.text, link.text, sym) for t, link, sym in ln.links] == [(".git/config", "gc", True)]
    hard = judge_shape(part("ln", ".git/config", "gc"))
    assert [(t.text, link.text, sym) for t, link, sym in hard.links] == [(".git/config", "gc", False)]


def test_runners_and_what_they_load() -> None:
    pytest_shape = judge_shape(part("pytest", "-q"))
    assert pytest_shape.runner and "conftest.py" in pytest_shape.loads
    make_shape = judge_shape(part("make", "-f", "build.mk"))
    assert make_shape.runner and [w.text for w in make_shape.config_files] == ["build.mk"]
    assert "GNUmakefile" in make_shape.loads
    script = judge_shape(part("python3", "-u", "tools/gen.py", "--out", "x"))
    assert script.runner and [w.text for w in script.scripts] == ["tools/gen.py"]
    module = judge_shape(part("python", "-m", "pkg.cli", "--flag"))
    assert module.runner and module.modules == ["pkg.cli"]
    assert not judge_shape(part("ls", "-la")).runner
    assert not judge_shape(part("node", "--version")).runner
    assert judge_shape(part("git", "add", "-A")).git_write
    assert not judge_shape(part("frobnicate")).known
