"""Match one simple command against the catalogue of known-safe shapes.

The result says whether the command has a known shape at all, why it does not fit (the first
problem), and what its arguments mean: files read, directory trees read, files written, scripts it
runs, links it creates, and whether it runs workspace code (a runner: sandbox only). Nothing here
touches the file system; ``risk/shapes.py`` judges those paths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from openagent_lsp.policy.shapes.catalog_dev import DEV_PROGRAMS, PYTHON_LOADS, PYTHON_MODULES
from openagent_lsp.policy.shapes.catalog_files import FILE_PROGRAMS, HELP
from openagent_lsp.policy.shapes.catalog_git import GIT
from openagent_lsp.policy.shapes.catalog_search import SEARCH_PROGRAMS, TAR
from openagent_lsp.policy.shapes.catalog_shell import SHELL_PROGRAMS, WRAPPERS, plain_identifier
from openagent_lsp.policy.shapes.options import Arg, Parsed, Syntax, opt, parse_args
from openagent_lsp.policy.shapes.program import Program
from openagent_lsp.policy.shell import DYN, SHELLS, Part, Word, is_python, program_dir_is_standard

CATALOG: dict[str, Program] = {**FILE_PROGRAMS, **SEARCH_PROGRAMS, **DEV_PROGRAMS, **SHELL_PROGRAMS, "git": GIT}

# Shown in the prompt as what the command is: "runs workspace code" needs the sandbox.
FREE_TEXT = frozenset({"echo"})
ALWAYS_ASK = {
    "let": "let evaluates arithmetic, and bash arithmetic can run commands hidden in variables",
}
RUNNER_WRAPPERS = {
    "uv": "run",
    "poetry": "run",
    "pipenv": "run",
    "pdm": "run",
    "hatch": "run",
}
_RUNNER_WRAPPER_SYNTAX = Syntax(
    (
        opt("--no-sync"),
        opt("--frozen"),
        opt("--locked"),
        opt("--offline"),
        opt("--isolated"),
        opt("--no-project"),
        opt("-q", "--quiet"),
        opt("-v", "--verbose"),
        opt("--project", arg=Arg.READ),
        opt("--directory", arg=Arg.READ),
    ),
    permute=False,
    abbreviate=False,
)
_SHELL_SYNTAX = Syntax(
    (
        *HELP,
        opt("-c"),
        opt("-e"),
        opt("-u"),
        opt("-x"),
        opt("-v"),
        opt("-f"),
        opt("-o", arg=Arg.TEXT),
        opt("--norc"),
        opt("--noprofile"),
        opt("--posix"),
        opt("-l", "--login", arg=Arg.UNSAFE, why="reads the login profile files"),
        opt("-i", arg=Arg.UNSAFE, why="reads the interactive start-up files"),
        opt("-s", arg=Arg.UNSAFE, why="reads commands from standard input"),
        opt("--rcfile", "--init-file", arg=Arg.UNSAFE, why="runs a start-up file"),
        opt("-O", "+O", arg=Arg.UNSAFE, why="changes how the shell reads commands"),
    ),
    permute=False,
    abbreviate=True,
)
PIP = Program(
    Syntax((opt("-V", "--version"), opt("-h", "--help"), opt("-q", "--quiet"), opt("-v", "--verbose")), permute=False),
    max_operands=0,
    subcommands={
        "list": Program(
            Syntax(
                (
                    opt("-o", "--outdated"),
                    opt("-u", "--uptodate"),
                    opt("-e", "--editable"),
                    opt("-l", "--local"),
                    opt("--user"),
                    opt("--format", arg=Arg.TEXT),
                    opt("--not-required"),
                    opt("--exclude-editable"),
                    opt("--include-editable"),
                    opt("-q", "--quiet"),
                    opt("-v", "--verbose"),
                )
            ),
            max_operands=0,
        ),
        "show": Program(Syntax((opt("-f", "--files"), opt("-q", "--quiet"), opt("-v", "--verbose"))), rest=Arg.TEXT),
        "freeze": Program(
            Syntax(
                (opt("-l", "--local"), opt("--user"), opt("--all"), opt("--exclude-editable"), opt("-q", "--quiet"))
            ),
            max_operands=0,
        ),
        "check": Program(Syntax((opt("-q", "--quiet"),)), max_operands=0),
    },
)
CATALOG.update({"pip": PIP, "pip3": PIP})


@dataclass(frozen=True)
class Tree:
    """A directory a command reads recursively; ``names``: globs the files read must match (empty:
    any); ``hidden``: whether dot-files are read; ``follow``: whether symlinks are followed."""

    root: Word
    names: tuple[str, ...] = ()
    hidden: bool = True
    follow: bool = False


@dataclass
class Shape:
    known: bool = True
    problem: str = ""
    runner: bool = False
    git_write: bool = False
    loads: tuple[str, ...] = ()
    reads: list[Word] = field(default_factory=list)
    trees: list[Tree] = field(default_factory=list)
    writes: list[Word] = field(default_factory=list)
    write_dirs: list[Word] = field(default_factory=list)
    scripts: list[Word] = field(default_factory=list)  # files run as code: bound by content
    config_files: list[Word] = field(default_factory=list)  # files a runner loads, named on its command line
    modules: list[str] = field(default_factory=list)  # python -m MODULE (resolved by the judge)
    links: list[tuple[Word, Word, bool]] = field(default_factory=list)  # (points to, link, symbolic)
    option_globs: list[Word] = field(default_factory=list)
    listed_trees: list[Word] = field(default_factory=list)  # directories whose names are listed recursively

    def fail(self, problem: str) -> Shape:
        if not self.problem:
            self.problem = problem
        return self


UNKNOWN = Shape(known=False)


def judge_shape(part: Part, inner_start: int | None = None) -> Shape:
    """The shape of ``part``; for a wrapper, ``inner_start`` is where the wrapped command begins."""
    name = part.name
    args = part.args
    if name in ALWAYS_ASK:
        return Shape().fail(ALWAYS_ASK[name])
    if name in FREE_TEXT:
        return Shape()
    if name in WRAPPERS:
        return _wrapper(WRAPPERS[name], args if inner_start is None else args[:inner_start])
    if name in RUNNER_WRAPPERS:
        return _runner_wrapper(name, args, inner_start)
    if name in SHELLS:
        return _shell(part)
    if is_python(name):
        return _python(args)
    if name == "find":
        return _find(args)
    if name == "tar":
        return _tar(args)
    if name in ("grep", "egrep", "fgrep"):
        return _grep(CATALOG[name], args)
    if name == "rg":
        return _rg(args)
    if name in ("source", "."):
        return _source(args)
    if part.program_path and not program_dir_is_standard(part.program_path):
        # ./build.sh, tools/run, even ./cat: a program from the workspace (or elsewhere) runs as a
        # script, whatever its name; the catalogue describes the system's programs only.
        return Shape(runner=True, scripts=[Word(part.program_path, part.program_path)])
    if name == "node":
        return _node(args)
    program = CATALOG.get(name)
    if program is None:
        return UNKNOWN
    shape = match(program, args)
    if name in _RECURSIVE_READERS and not shape.problem and _recursive(args):
        # "diff -r a b", "cp -r src dst": every file under the sources is read.
        shape.trees.extend(Tree(w) for w in shape.reads)
        shape.reads = []
    return shape


_RECURSIVE_READERS = frozenset({"diff", "cp"})


def _recursive(args: list[Word]) -> bool:
    for w in args:
        t = w.text
        if t == "--":
            break
        if t in ("--recursive", "--archive", "--new-file") or (
            t.startswith("-") and not t.startswith("--") and any(c in t[1:] for c in "rRaN")
        ):
            return True
    return False


def match(program: Program, args: list[Word], shape: Shape | None = None) -> Shape:
    shape = shape or Shape()
    parsed = Parsed(operands=list(args)) if program.no_options else parse_args(program.syntax, args)
    if parsed.problem:
        return shape.fail(parsed.problem)
    shape.option_globs.extend(parsed.option_globs)
    _options(parsed, shape)
    for o, value in parsed.options:
        if value is not None and any(n in program.config_options for n in o.names):
            shape.config_files.append(value)
    if program.subcommands is not None:
        if not parsed.operands:
            if parsed.options:
                return shape  # "git --version", "npm -v"
            return shape.fail("a sub-command is needed")
        sub_word = parsed.operands[0]
        sub = program.subcommands.get(sub_word.text) if not sub_word.dynamic else None
        if sub is None:
            return shape.fail(f"sub-command {sub_word.text!r} has no known-safe shape")
        return match(sub, parsed.operands[1:], shape)
    if program.check is not None:
        problem = program.check(parsed)
        if problem:
            return shape.fail(problem)
    if shape.problem:
        return shape
    n = len(parsed.operands)
    if n < program.min_operands:
        return shape.fail("too few arguments")
    if program.max_operands is not None and n > program.max_operands:
        return shape.fail("more arguments than the known-safe shape allows")
    operands = list(parsed.operands)
    if program.last_is_target:
        targets = [v for name in program.target_options for v in parsed.values(name)]
        if not targets and len(operands) >= 2:
            shape.writes.append(operands.pop())
        elif not targets and program is CATALOG.get("ln") and operands:
            last = operands[0]
            shape.writes.append(
                Word(last.text.rstrip("/").rsplit("/", 1)[-1] or ".", last.raw, last.dynamic, last.glob)
            )
        _links(program, parsed, operands, shape, targets)
    moved = program is CATALOG.get("mv")
    for k, w in enumerate(operands):
        kind = program.operand_kind(k)
        if moved:
            kind = Arg.WRITE  # mv takes the sources away
        _operand(kind, w, shape)
    asks_version = bool(parsed.options) and all(o.canonical in ("--version", "--help") for o, _ in parsed.options)
    shape.runner = shape.runner or (program.runner and not (asks_version and not parsed.operands))
    shape.git_write = shape.git_write or program.git_write
    shape.loads = tuple(dict.fromkeys((*shape.loads, *program.loads)))
    return shape


def _links(program: Program, parsed: Parsed, sources: list[Word], shape: Shape, targets: list[Word]) -> None:
    is_ln = program is CATALOG.get("ln")
    symbolic = parsed.has("-s")
    if not (is_ln or symbolic or parsed.has("-l")):
        return  # a plain copy or move, no link
    link = targets[0] if targets else (shape.writes[-1] if shape.writes else None)
    if link is None:
        return
    for src in sources:
        shape.links.append((src, link, symbolic))


def _options(parsed: Parsed, shape: Shape) -> None:
    for o, value in parsed.options:
        if o.arg in (Arg.CODE, Arg.UNSAFE):
            shape.fail(f"{o.canonical} {o.why or 'is not a known-safe option'}")
            continue
        if value is None:
            continue
        _operand(o.arg, value, shape)


def _operand(kind: Arg, w: Word, shape: Shape) -> None:
    if kind is Arg.READ:
        shape.reads.append(w)
    elif kind is Arg.READ_TREE:
        shape.trees.append(Tree(w))
    elif kind is Arg.WRITE:
        shape.writes.append(w)
    elif kind is Arg.WRITE_DIR:
        shape.write_dirs.append(w)
    elif kind is Arg.VAR:
        if not plain_identifier(w.text):
            shape.fail(f"{w.raw!r} is not a plain variable name (bash evaluates subscripts as code)")
    elif kind in (Arg.CODE, Arg.UNSAFE):
        shape.fail("an argument is code")


# -- programs whose arguments depend on each other ------------------------------------------------


def _wrapper(program: Program, own_args: list[Word]) -> Shape:
    """Only the wrapper's own options: the command it runs is judged as a part of its own."""
    return match(program, own_args)


def _runner_wrapper(name: str, args: list[Word], inner_start: int | None) -> Shape:
    if not args or args[0].text != RUNNER_WRAPPERS[name]:
        return UNKNOWN
    own = args[1:inner_start] if inner_start is not None else args[1:]
    shape = match(Program(_RUNNER_WRAPPER_SYNTAX, rest=Arg.TEXT), own)
    shape.runner = True
    shape.loads = ("pyproject.toml", "uv.toml", "poetry.toml", *PYTHON_LOADS)
    return shape


def _shell(part: Part) -> Shape:
    parsed = parse_args(_SHELL_SYNTAX, part.args)
    shape = Shape()
    if parsed.problem:
        return shape.fail(parsed.problem)
    _options(parsed, shape)
    if parsed.has("-c"):
        return shape  # the command string was parsed into parts of its own
    if parsed.operands:
        script = parsed.operands[0]
        shape.runner = True
        shape.scripts.append(script)
        return shape
    return shape.fail(f"{part.name} reads the commands it runs from its input")


_PYTHON_SYNTAX = (
    *(f"-{c}" for c in "bBdEhiIOPqsSuvVx"),
    "--help",
    "--version",
)


def _python(args: list[Word]) -> Shape:
    shape = Shape(loads=PYTHON_LOADS)
    i = 0
    while i < len(args):
        w = args[i]
        t = w.text
        if w.dynamic and t.startswith(DYN):
            return shape.fail(f"argument {w.raw!r} is only known at run time")
        if t in ("--help", "--version", "-V", "-h") and len(args) == 1:
            return shape
        if t in ("-W", "-X", "--check-hash-based-pycs"):
            i += 2
            continue
        if t.startswith(("-W", "-X")) and len(t) > 2:
            i += 1
            continue
        if t == "-m" or (t.startswith("-m") and len(t) > 2 and not t.startswith("--")):
            module = t[2:] if len(t) > 2 else (args[i + 1].text if i + 1 < len(args) else "")
            rest = args[i + (1 if len(t) > 2 else 2) :]
            return _python_module(module, rest, shape)
        if t == "-c" or (t.startswith("-") and not t.startswith("--") and "c" in t[1:]):
            return shape.fail("runs inline Python code")
        if t == "-":
            return shape.fail("runs Python code read from its input")
        if t.startswith("-"):
            letters = t[1:]
            if t.startswith("--") or not all(f"-{c}" in _PYTHON_SYNTAX for c in letters):
                return shape.fail(f"unknown option {t}")
            if "i" in letters:
                return shape.fail("-i starts an interactive interpreter")
            i += 1
            continue
        shape.runner = True
        shape.scripts.append(w)
        return shape
    return shape.fail("starts an interactive Python")


def _python_module(module: str, rest: list[Word], shape: Shape) -> Shape:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", module):
        return shape.fail(f"python -m {module!r} is not a module name")
    shape.modules.append(module)
    if module in ("pip", "pip3"):
        return match(PIP, rest, shape)
    program = PYTHON_MODULES.get(module)
    if program is not None:
        shape = match(program, rest, shape)
        shape.runner = True
        if module in _MODULE_RUNNERS:
            _named_code(parse_args(program.syntax, rest).operands, shape)
        return shape
    # Any other module runs as workspace code, with its arguments as plain text: sandbox only.
    if any(w.dynamic and w.text.startswith(DYN) for w in rest):
        return shape.fail("an argument is only known at run time")
    shape.runner = True
    return shape


# python -m unittest/doctest/pydoc import what their arguments name: modules and files.
_MODULE_RUNNERS = frozenset({"unittest", "doctest", "pydoc"})
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def _named_code(operands: list[Word], shape: Shape) -> None:
    for w in operands:
        if w.text in ("discover",):
            continue
        if w.dynamic or w.glob:
            shape.fail(f"runs {w.raw}, only known at run time")
        elif w.text.endswith(".py") or "/" in w.text:
            shape.scripts.append(w)
        elif _DOTTED.fullmatch(w.text):
            shape.modules.append(w.text)


def _node(args: list[Word]) -> Shape:
    shape = match(CATALOG["node"], args)
    parsed = parse_args(CATALOG["node"].syntax, args)
    if not shape.problem and parsed.operands:
        shape.scripts.append(parsed.operands[0])
    return shape


def _source(args: list[Word]) -> Shape:
    """Activating the workspace's virtualenv runs its activate script: workspace code, bound by content."""
    if len(args) == 1 and re.search(r"(^|/)bin/activate(\.\w+)?$", args[0].text) and not args[0].dynamic:
        return Shape(runner=True, scripts=[args[0]])
    return Shape().fail("runs a shell script in this shell")


_GREP_RECURSIVE = ("-r", "-R", "--recursive", "--dereference-recursive")


def _grep(program: Program, args: list[Word]) -> Shape:
    shape = Shape()
    parsed = parse_args(program.syntax, args)
    if parsed.problem:
        return shape.fail(parsed.problem)
    shape.option_globs.extend(parsed.option_globs)
    _options(parsed, shape)
    operands = list(parsed.operands)
    if not (parsed.values("-e") or parsed.values("-f")):
        if not operands:
            return shape.fail("grep without a pattern")
        operands = operands[1:]
    recursive = any(parsed.has(o) for o in _GREP_RECURSIVE) or any(v.text == "recurse" for v in parsed.values("-d"))
    if recursive:
        names = tuple(v.text for v in parsed.values("--include"))
        follow = parsed.has("-R")
        for w in operands or [Word(".", ".")]:
            shape.trees.append(Tree(w, names=names, hidden=True, follow=follow))
    else:
        shape.reads.extend(operands)
    return shape


_RG_HIDDEN = ("--hidden", "-u", "--unrestricted")


def _rg(args: list[Word]) -> Shape:
    program = CATALOG["rg"]
    shape = Shape()
    parsed = parse_args(program.syntax, args)
    if parsed.problem:
        return shape.fail(parsed.problem)
    shape.option_globs.extend(parsed.option_globs)
    _options(parsed, shape)
    operands = list(parsed.operands)
    lists_only = parsed.has("--files") or parsed.has("--type-list")
    if not (parsed.values("-e") or parsed.values("-f") or lists_only):
        if not operands:
            return shape.fail("rg without a pattern")
        operands = operands[1:]
    hidden = any(parsed.has(o) for o in _RG_HIDDEN)
    follow = parsed.has("-L")
    if not lists_only:
        for w in operands or [Word(".", ".")]:
            shape.trees.append(Tree(w, hidden=hidden, follow=follow))
    return shape


def _tar(args: list[Word]) -> Shape:
    shape = Shape()
    parsed = parse_args(TAR.syntax, args)
    if parsed.problem:
        return shape.fail(parsed.problem)
    for o, _ in parsed.options:
        if o.arg in (Arg.CODE, Arg.UNSAFE):
            return shape.fail(f"{o.canonical} {o.why}")
    create = any(parsed.has(o) for o in ("-c", "-r", "-u", "-A"))
    extract = parsed.has("-x")
    listing = parsed.has("-t") or parsed.has("-d")
    if sum((create, extract, listing)) != 1:
        return shape.fail("tar needs exactly one of create, extract or list")
    for w in parsed.values("-f"):
        if w.text == "-":
            continue
        (shape.writes if create else shape.reads).append(w)
    for w in parsed.values("-C"):
        (shape.write_dirs if extract else shape.reads).append(w)
    shape.reads.extend(parsed.values("-T") + parsed.values("-X"))
    shape.writes.extend(parsed.values("--index-file"))
    if create:
        shape.trees.extend(Tree(w) for w in parsed.operands)
    elif extract:
        shape.problem = "extracting an archive writes files nobody has seen"
    return shape


# find: tests with an argument, actions, and operators. -exec payloads are parts of their own.
_FIND_VALUE_TESTS = frozenset(
    {
        "-name",
        "-iname",
        "-path",
        "-ipath",
        "-wholename",
        "-iwholename",
        "-regex",
        "-iregex",
        "-lname",
        "-ilname",
        "-type",
        "-xtype",
        "-size",
        "-mtime",
        "-mmin",
        "-atime",
        "-amin",
        "-ctime",
        "-cmin",
        "-perm",
        "-user",
        "-group",
        "-uid",
        "-gid",
        "-links",
        "-inum",
        "-maxdepth",
        "-mindepth",
        "-regextype",
        "-printf",
        "-used",
        "-fstype",
        "-context",
    }
)
_FIND_FILE_TESTS = frozenset({"-newer", "-anewer", "-cnewer", "-samefile"})
_FIND_FLAGS = frozenset(
    {
        "-depth",
        "-d",
        "-empty",
        "-executable",
        "-readable",
        "-writable",
        "-true",
        "-false",
        "-print",
        "-print0",
        "-ls",
        "-prune",
        "-quit",
        "-not",
        "!",
        "-a",
        "-and",
        "-o",
        "-or",
        "(",
        ")",
        ",",
        "-xdev",
        "-mount",
        "-noleaf",
        "-daystart",
        "-nouser",
        "-nogroup",
        "-ignore_readdir_race",
        "-noignore_readdir_race",
        "-nowarn",
        "-warn",
        "-help",
        "--help",
        "-version",
        "--version",
    }
)
_FIND_WRITES = frozenset({"-fprint", "-fprint0", "-fls"})
_FIND_EXEC = frozenset({"-exec", "-execdir"})


def _find(args: list[Word]) -> Shape:
    shape = Shape()
    i = 0
    while i < len(args) and args[i].text in ("-H", "-P"):
        i += 1
    if i < len(args) and args[i].text in ("-L", "-follow"):
        return shape.fail("find -L follows symbolic links out of the tree")
    roots: list[Word] = []
    while i < len(args) and not args[i].text.startswith(("-", "(", "!")):
        if args[i].dynamic and args[i].text.startswith(DYN):
            return shape.fail(f"argument {args[i].raw!r} is only known at run time")
        roots.append(args[i])
        i += 1
    while i < len(args):
        t = args[i].text
        if args[i].dynamic and DYN in t and t.startswith(DYN):
            return shape.fail(f"argument {args[i].raw!r} is only known at run time")
        if t in _FIND_VALUE_TESTS:
            if i + 1 >= len(args):
                return shape.fail(f"find {t} needs a value")
            i += 2
        elif t in _FIND_FILE_TESTS:
            if i + 1 >= len(args):
                return shape.fail(f"find {t} needs a file")
            shape.reads.append(args[i + 1])
            i += 2
        elif t in _FIND_WRITES:
            if i + 1 >= len(args):
                return shape.fail(f"find {t} needs a file")
            shape.writes.append(args[i + 1])
            i += 2
        elif t == "-fprintf":
            if i + 2 >= len(args):
                return shape.fail("find -fprintf needs a file and a format")
            shape.writes.append(args[i + 1])
            i += 3
        elif t in _FIND_EXEC:
            j = i + 1
            while j < len(args) and args[j].text not in (";", "+"):
                j += 1
            if j >= len(args) or j == i + 1:
                return shape.fail(f"find {t} without a complete command")
            i = j + 1
        elif t in ("-ok", "-okdir"):
            return shape.fail(f"find {t} is interactive")
        elif t == "-delete":
            return shape.fail("find -delete removes what it finds")
        elif t in ("-follow",):
            return shape.fail("find -follow follows symbolic links out of the tree")
        elif t in _FIND_FLAGS:
            i += 1
        elif re.fullmatch(r"-newer[amcB][amcBt]", t):
            if i + 1 >= len(args):
                return shape.fail(f"find {t} needs a value")
            i += 2
        else:
            return shape.fail(f"unknown find expression {t!r}")
    # find lists names under each root; what an -exec payload reads is judged with the payload.
    shape.listed_trees.extend(roots or [Word(".", ".")])
    return shape


def find_name_filter(args: list[Word]) -> tuple[tuple[str, ...], bool]:
    """The -name/-iname globs of a find expression, and whether they really limit what is found
    (only and-ed tests, no -o/-not)."""
    names: list[str] = []
    plain = True
    for k, w in enumerate(args):
        if w.text in ("-name", "-iname") and k + 1 < len(args):
            names.append(args[k + 1].text)
        if w.text in ("-o", "-or", "-not", "!", ","):
            plain = False
        if w.text in _FIND_EXEC:
            break
    return tuple(names), plain
