"""Known-safe shapes of developer runners: test runners, linters, build tools, compilers.

Runners execute workspace code (tests, build scripts, plugins named in config files), so every one
of them is ``runner=True``: allowed only inside the OS sandbox. ``loads`` names the files each one
reads as code or configuration; one written by the agent in this session makes the runner ask.
"""

from __future__ import annotations

import re

from openagent_lsp.policy.shapes.catalog_files import HELP
from openagent_lsp.policy.shapes.options import Arg, Parsed, Syntax, flags, opt
from openagent_lsp.policy.shapes.program import Program

T, R, W, TREE = Arg.TEXT, Arg.READ, Arg.WRITE, Arg.READ_TREE

PYTHON_LOADS = ("*.pth", "sitecustomize.py", "usercustomize.py")
PYTEST_LOADS = (
    "conftest.py",
    "pytest.ini",
    ".pytest.ini",
    "pyproject.toml",
    "tox.ini",
    "setup.cfg",
    *PYTHON_LOADS,
)


def _pytest_check(parsed: Parsed) -> str:
    for value in parsed.values("-p"):
        if not value.text.startswith("no:"):
            return f"pytest -p {value.text} loads a plugin"
    return ""


PYTEST = Program(
    Syntax(
        (
            opt("-h", "--help"),
            opt("--version", "-V"),
            *flags("-q", "-v", "-x", "-s", "-l", "-r"),
            opt("--quiet"),
            opt("--verbose"),
            opt("--verbosity", arg=T),
            opt("--exitfirst"),
            opt("-k", arg=T),
            opt("-m", arg=T),
            opt("--capture", arg=T),
            opt("--showlocals"),
            opt("--no-showlocals"),
            opt("--tb", arg=T),
            opt("-rA", "-ra", "-rf", "-rs", "-rx", "-rE"),
            opt("--lf", "--last-failed"),
            opt("--ff", "--failed-first"),
            opt("--nf", "--new-first"),
            opt("--sw", "--stepwise"),
            opt("--sw-skip", "--stepwise-skip"),
            opt("--co", "--collect-only"),
            opt("--durations", arg=T),
            opt("--durations-min", arg=T),
            opt("--maxfail", arg=T),
            opt("-p", arg=T),
            opt("--rootdir", arg=T),
            opt("-c", "--config-file", arg=R),
            opt("--confcutdir", arg=T),
            opt("--import-mode", arg=T),
            opt("--basetemp", arg=Arg.WRITE_DIR),
            opt("--cache-clear"),
            opt("--cache-show", arg=T, optional=True),
            opt("--no-header"),
            opt("--no-summary"),
            opt("--disable-warnings", "--disable-pytest-warnings"),
            opt("-W", "--pythonwarnings", arg=T),
            opt("--junitxml", "--junit-xml", arg=W),
            opt("--junit-prefix", arg=T),
            opt("--log-level", arg=T),
            opt("--log-cli-level", arg=T),
            opt("--log-format", arg=T),
            opt("--log-file", arg=W),
            opt("--log-file-level", arg=T),
            opt("--color", arg=T),
            opt("--code-highlight", arg=T),
            opt("--doctest-modules"),
            opt("--doctest-glob", arg=T),
            opt("--doctest-continue-on-failure"),
            opt("--pyargs"),
            opt("--ignore", arg=T),
            opt("--ignore-glob", arg=T),
            opt("--deselect", arg=T),
            opt("--noconftest", "--no-conftest"),
            opt("--full-trace"),
            opt("--setup-show"),
            opt("--setup-only"),
            opt("--setup-plan"),
            opt("--fixtures", "--funcargs"),
            opt("--fixtures-per-test"),
            opt("--markers"),
            opt("--strict-markers"),
            opt("--strict-config"),
            opt("--strict"),
            opt("--runxfail"),
            opt("--assert", arg=T),
            opt("--keep-duplicates"),
            opt("--continue-on-collection-errors"),
            opt("--debug", arg=T, optional=True),
            # Common plugins: xdist, timeout, cov, randomly.
            opt("-n", "--numprocesses", arg=T),
            opt("--dist", arg=T),
            opt("--timeout", arg=T),
            opt("--cov", arg=T, optional=True),
            opt("--cov-report", arg=T),
            opt("--cov-fail-under", arg=T),
            opt("--cov-branch"),
            opt("--no-cov"),
            opt("--randomly-seed", arg=T),
            opt("--pdb", arg=Arg.UNSAFE, why="starts an interactive debugger"),
            opt("--trace", arg=Arg.UNSAFE, why="starts an interactive debugger"),
            opt("-o", "--override-ini", arg=Arg.UNSAFE, why="overrides configuration (it can load plugins)"),
        )
    ),
    rest=R,
    runner=True,
    loads=PYTEST_LOADS,
    config_options=("-c", "--config-file", "--rootdir", "--confcutdir"),
    check=_pytest_check,
)

MYPY = Program(
    Syntax(
        (
            opt("-h", "--help"),
            opt("-V", "--version"),
            opt("-v", "--verbose"),
            opt("--strict"),
            opt("--ignore-missing-imports"),
            opt("--follow-imports", arg=T),
            opt("--config-file", arg=R),
            opt("--python-version", arg=T),
            opt("-p", "--package", arg=T),
            opt("-m", "--module", arg=T),
            opt("-c", "--command", arg=Arg.UNSAFE, why="type-checks code given on the command line"),
            opt("--no-incremental"),
            opt("--incremental"),
            opt("--cache-dir", arg=Arg.WRITE_DIR),
            opt("--show-error-codes"),
            opt("--hide-error-codes"),
            opt("--show-column-numbers"),
            opt("--show-error-context"),
            opt("--pretty"),
            opt("--no-error-summary"),
            opt("--no-color-output"),
            opt("--disallow-untyped-defs"),
            opt("--check-untyped-defs"),
            opt("--warn-unused-ignores"),
            opt("--warn-return-any"),
            opt("--no-implicit-optional"),
            opt("--explicit-package-bases"),
            opt("--namespace-packages"),
            opt("--exclude", arg=T),
            opt("--junit-xml", arg=W),
            opt("--install-types", arg=Arg.UNSAFE, why="installs packages from the network"),
        )
    ),
    rest=R,
    runner=True,
    loads=("mypy.ini", ".mypy.ini", "setup.cfg", "pyproject.toml", *PYTHON_LOADS),
    config_options=("--config-file",),
)

RUFF = Program(
    Syntax((opt("-h", "--help"), opt("-V", "--version")), permute=False, abbreviate=False),
    max_operands=0,
    subcommands={
        "check": Program(
            Syntax(
                (
                    opt("-h", "--help"),
                    opt("--fix"),
                    opt("--no-fix"),
                    opt("--unsafe-fixes"),
                    opt("--show-fixes"),
                    opt("--diff"),
                    opt("-w", "--watch", arg=Arg.UNSAFE, why="keeps running"),
                    opt("--select", arg=T),
                    opt("--extend-select", arg=T),
                    opt("--ignore", arg=T),
                    opt("--exclude", arg=T),
                    opt("--extend-exclude", arg=T),
                    opt("--config", arg=T),
                    opt("--output-format", arg=T),
                    opt("-o", "--output-file", arg=W),
                    opt("--target-version", arg=T),
                    opt("--statistics"),
                    opt("--exit-zero"),
                    opt("--exit-non-zero-on-fix"),
                    opt("--no-cache"),
                    opt("--cache-dir", arg=Arg.WRITE_DIR),
                    opt("--line-length", arg=T),
                    opt("--preview"),
                    opt("-q", "--quiet"),
                    opt("-s", "--silent"),
                    opt("-v", "--verbose"),
                    opt("-e", "--exit-zero"),
                    opt("-n", "--no-cache"),
                ),
                abbreviate=False,
            ),
            rest=R,
            runner=True,
        ),
        "format": Program(
            Syntax(
                (
                    opt("-h", "--help"),
                    opt("--check"),
                    opt("--diff"),
                    opt("--config", arg=T),
                    opt("--exclude", arg=T),
                    opt("--line-length", arg=T),
                    opt("--target-version", arg=T),
                    opt("--preview"),
                    opt("--no-cache"),
                    opt("-q", "--quiet"),
                    opt("-s", "--silent"),
                    opt("-v", "--verbose"),
                ),
                abbreviate=False,
            ),
            rest=R,
            runner=True,
        ),
        "version": Program(Syntax(), max_operands=0),
    },
)

BLACK = Program(
    Syntax(
        (
            opt("-h", "--help"),
            opt("--version"),
            opt("--check"),
            opt("--diff"),
            opt("--color"),
            opt("--no-color"),
            opt("-q", "--quiet"),
            opt("-v", "--verbose"),
            opt("-l", "--line-length", arg=T),
            opt("-t", "--target-version", arg=T),
            opt("-S", "--skip-string-normalization"),
            opt("-C", "--skip-magic-trailing-comma"),
            opt("--preview"),
            opt("--fast"),
            opt("--safe"),
            opt("--config", arg=R),
            opt("--include", arg=T),
            opt("--exclude", arg=T),
            opt("--extend-exclude", arg=T),
            opt("--force-exclude", arg=T),
            opt("-c", "--code", arg=T),
        )
    ),
    rest=R,
    runner=True,
    loads=("pyproject.toml",),
    config_options=("--config",),
)
ISORT = Program(
    Syntax(
        (
            opt("-h", "--help"),
            opt("-V", "--version"),
            opt("--check-only", "--check", "-c"),
            opt("--diff"),
            opt("-q", "--quiet"),
            opt("-v", "--verbose"),
            opt("--profile", arg=T),
            opt("-l", "--line-length", "--line-width", arg=T),
            opt("--settings-path", "--settings-file", "--sp", arg=R),
            opt("--skip", "-s", arg=T),
            opt("--skip-glob", arg=T),
            opt("--atomic"),
        )
    ),
    rest=R,
    runner=True,
    loads=("pyproject.toml", ".isort.cfg", "setup.cfg", "tox.ini", ".editorconfig"),
    config_options=("--settings-path",),
)
FLAKE8 = Program(
    Syntax(
        (
            opt("-h", "--help"),
            opt("--version"),
            opt("-v", "--verbose"),
            opt("-q", "--quiet"),
            opt("--count"),
            opt("--statistics"),
            opt("--show-source"),
            opt("--max-line-length", arg=T),
            opt("--max-complexity", arg=T),
            opt("--select", arg=T),
            opt("--extend-select", arg=T),
            opt("--ignore", arg=T),
            opt("--extend-ignore", arg=T),
            opt("--exclude", arg=T),
            opt("--extend-exclude", arg=T),
            opt("--config", arg=R),
            opt("--format", arg=T),
            opt("--output-file", arg=W),
            opt("-j", "--jobs", arg=T),
            opt("--exit-zero"),
        )
    ),
    rest=R,
    runner=True,
    loads=("setup.cfg", "tox.ini", ".flake8", *PYTHON_LOADS),
    config_options=("--config",),
)
PYLINT = Program(
    Syntax(
        (
            opt("-h", "--help"),
            opt("--version"),
            opt("-E", "--errors-only"),
            opt("--disable", "-d", arg=T),
            opt("--enable", "-e", arg=T),
            opt("--rcfile", arg=R),
            opt("-j", "--jobs", arg=T),
            opt("--output-format", "-f", arg=T),
            opt("-r", "--reports", arg=T),
            opt("-s", "--score", arg=T),
            opt("--fail-under", arg=T),
            opt("--max-line-length", arg=T),
            opt("--load-plugins", arg=Arg.CODE, why="loads Python plugins"),
            opt("--init-hook", arg=Arg.CODE, why="runs Python code"),
        )
    ),
    rest=R,
    runner=True,
    loads=(".pylintrc", "pylintrc", "pyproject.toml", "setup.cfg", "tox.ini", *PYTHON_LOADS),
    config_options=("--rcfile",),
)
COVERAGE = Program(
    Syntax((opt("-h", "--help"), opt("--version")), permute=False),
    max_operands=0,
    subcommands={
        "report": Program(
            Syntax(
                (
                    opt("-m", "--show-missing"),
                    opt("--fail-under", arg=T),
                    opt("--skip-covered"),
                    opt("--include", arg=T),
                    opt("--omit", arg=T),
                    opt("--precision", arg=T),
                    opt("--rcfile", arg=R),
                    opt("--format", arg=T),
                )
            ),
            max_operands=0,
            runner=True,
        ),
        "html": Program(
            Syntax(
                (
                    opt("-d", "--directory", arg=Arg.WRITE_DIR),
                    opt("--rcfile", arg=R),
                    opt("--skip-covered"),
                    opt("--include", arg=T),
                    opt("--omit", arg=T),
                )
            ),
            max_operands=0,
            runner=True,
        ),
        "xml": Program(Syntax((opt("-o", arg=W), opt("--rcfile", arg=R))), max_operands=0, runner=True),
        "erase": Program(Syntax(), max_operands=0, runner=True),
    },
)
TOX = Program(
    Syntax(
        (
            opt("-h", "--help"),
            opt("--version"),
            opt("-e", "--env", arg=T),
            opt("-p", "--parallel", arg=T, optional=True),
            opt("-q", "--quiet"),
            opt("-v", "--verbose"),
            opt("-r", "--recreate"),
            opt("-c", "--conf", arg=R),
            opt("--skip-missing-interpreters", arg=T, optional=True),
        )
    ),
    rest=T,
    runner=True,
    loads=("tox.ini", "pyproject.toml", "setup.cfg", "setup.py", *PYTHON_LOADS),
    config_options=("-c",),
)
NOX = Program(
    Syntax(
        (
            opt("-h", "--help"),
            opt("--version"),
            opt("-s", "--session", "--sessions", arg=T),
            opt("-l", "--list", "--list-sessions"),
            opt("-r", "--reuse-existing-virtualenvs"),
            opt("-R"),
            opt("--no-venv"),
            opt("-f", "--noxfile", arg=R),
        )
    ),
    rest=T,
    runner=True,
    loads=("noxfile.py", *PYTHON_LOADS),
    config_options=("-f",),
)


def _make_check(parsed: Parsed) -> str:
    for w in parsed.operands:
        if "=" in w.text:
            return f"make variable assignment {w.text.split('=', 1)[0]}=... can inject commands"
    return ""


MAKE = Program(
    Syntax(
        (
            *HELP,
            *flags("-b", "-m", "-h", "-v"),
            opt("-B", "--always-make"),
            opt("-C", "--directory", arg=R),
            opt("-d"),
            opt("--debug", arg=T, optional=True),
            opt("-e", "--environment-overrides"),
            opt("-E", "--eval", arg=Arg.CODE, why="runs make code given on the command line"),
            opt("-f", "--file", "--makefile", arg=R),
            opt("-i", "--ignore-errors"),
            opt("-I", "--include-dir", arg=R),
            opt("-j", "--jobs", arg=T, optional=True),
            opt("--jobserver-style", arg=T),
            opt("-k", "--keep-going"),
            opt("-l", "--load-average", "--max-load", arg=T, optional=True),
            opt("-L", "--check-symlink-times"),
            opt("-n", "--just-print", "--dry-run", "--recon"),
            opt("-o", "--old-file", "--assume-old", arg=T),
            opt("-O", "--output-sync", arg=T, optional=True),
            opt("-p", "--print-data-base"),
            opt("-q", "--question"),
            opt("-r", "--no-builtin-rules"),
            opt("-R", "--no-builtin-variables"),
            opt("--shuffle", arg=T, optional=True),
            opt("-s", "--silent", "--quiet"),
            opt("--no-silent"),
            opt("-S", "--no-keep-going", "--stop"),
            opt("-t", "--touch"),
            opt("--trace"),
            opt("-w", "--print-directory"),
            opt("--no-print-directory"),
            opt("-W", "--what-if", "--new-file", "--assume-new", arg=T),
            opt("--warn-undefined-variables"),
        )
    ),
    rest=T,
    runner=True,
    loads=("GNUmakefile", "makefile", "Makefile", "*.mk"),
    config_options=("-f", "-C", "-I"),
    check=_make_check,
)

_NPM_COMMON = (
    opt("-h", "--help"),
    opt("-s", "--silent"),
    opt("-q", "--quiet"),
    opt("--loglevel", arg=T),
    opt("--if-present"),
    opt("-w", "--workspace", arg=T),
    opt("-ws", "--workspaces"),
    opt("--include-workspace-root"),
    opt("--color", arg=T),
    opt("--no-color"),
)
NPM_LOADS = ("package.json", ".npmrc", "node_modules/**")
# npm reads its own options anywhere before "--" (the script's own arguments come after it), so an
# option after the script name is still npm's: permute like GNU.
_NPM_SCRIPT = Program(Syntax(_NPM_COMMON), rest=T, runner=True, loads=NPM_LOADS)
NPM = Program(
    Syntax((opt("-v", "--version"), opt("-h", "--help")), permute=False),
    max_operands=0,
    subcommands={
        "test": _NPM_SCRIPT,
        "t": _NPM_SCRIPT,
        "tst": _NPM_SCRIPT,
        "run": Program(Syntax(_NPM_COMMON), operands=(T,), rest=T, runner=True, loads=NPM_LOADS),
        "run-script": Program(Syntax(_NPM_COMMON), operands=(T,), rest=T, runner=True, loads=NPM_LOADS),
        "start": _NPM_SCRIPT,
        "ls": Program(
            Syntax(
                (
                    *_NPM_COMMON,
                    opt("-a", "--all"),
                    opt("--depth", arg=T),
                    opt("--json"),
                    opt("-l", "--long"),
                    opt("-p", "--parseable"),
                    opt("--omit", arg=T),
                    opt("-g", "--global"),
                )
            ),
            rest=T,
        ),
        "list": Program(
            Syntax(
                (
                    *_NPM_COMMON,
                    opt("-a", "--all"),
                    opt("--depth", arg=T),
                    opt("--json"),
                    opt("-l", "--long"),
                    opt("-p", "--parseable"),
                    opt("--omit", arg=T),
                    opt("-g", "--global"),
                )
            ),
            rest=T,
        ),
    },
)
_YARN_PNPM = Program(
    Syntax((opt("-v", "--version"), opt("-h", "--help")), permute=False),
    max_operands=0,
    subcommands={
        "test": _NPM_SCRIPT,
        "run": Program(Syntax(_NPM_COMMON, permute=False), operands=(T,), rest=T, runner=True, loads=NPM_LOADS),
    },
)

NODE = Program(
    Syntax(
        (
            opt("-v", "--version"),
            opt("-h", "--help"),
            opt("--test"),
            opt("--enable-source-maps"),
            opt("--no-warnings"),
            opt("--trace-warnings"),
            opt("--experimental-vm-modules"),
            opt("--max-old-space-size", arg=T),
            opt("--stack-size", arg=T),
            opt("-r", "--require", arg=Arg.UNSAFE, why="preloads a module"),
            opt("--import", "--loader", "--experimental-loader", arg=Arg.UNSAFE, why="preloads a module"),
            opt("-e", "--eval", "-p", "--print", arg=Arg.CODE, why="runs inline code"),
            opt("-i", "--interactive", arg=Arg.UNSAFE, why="starts a REPL"),
            opt("--inspect", "--inspect-brk", arg=Arg.UNSAFE, optional=True, why="opens a debugger port"),
        ),
        permute=False,
        abbreviate=False,
    ),
    rest=T,
    runner=True,
    loads=("package.json", ".npmrc", "node_modules/**"),
)

_CARGO_COMMON = (
    opt("-h", "--help"),
    opt("-q", "--quiet"),
    opt("-v", "--verbose"),
    opt("--color", arg=T),
    opt("--offline"),
    opt("--frozen"),
    opt("--locked"),
    opt("-r", "--release"),
    opt("--profile", arg=T),
    opt("-p", "--package", arg=T),
    opt("--workspace", "--all"),
    opt("--exclude", arg=T),
    opt("--lib"),
    opt("--bins"),
    opt("--bin", arg=T),
    opt("--tests"),
    opt("--test", arg=T),
    opt("--examples"),
    opt("--example", arg=T),
    opt("--benches"),
    opt("--bench", arg=T),
    opt("--all-targets"),
    opt("-F", "--features", arg=T),
    opt("--all-features"),
    opt("--no-default-features"),
    opt("--target", arg=T),
    opt("--target-dir", arg=Arg.WRITE_DIR),
    opt("-j", "--jobs", arg=T),
    opt("--keep-going"),
    opt("--message-format", arg=T),
    opt("--timings", arg=T, optional=True),
    opt("--manifest-path", arg=R),
    opt("--no-run"),
    opt("--no-fail-fast"),
    opt("--check"),
    opt("--doc"),
    opt("--config", arg=Arg.CODE, why="sets cargo configuration (it can name programs to run)"),
    opt("-Z", arg=Arg.UNSAFE, why="enables unstable cargo features"),
)
_CARGO_RUN = Program(
    Syntax(_CARGO_COMMON, permute=False, abbreviate=False),
    rest=T,
    runner=True,
    loads=("Cargo.toml", "build.rs", ".cargo/config", ".cargo/config.toml", "rust-toolchain", "rust-toolchain.toml"),
    config_options=("--manifest-path",),
)
CARGO = Program(
    Syntax((opt("-V", "--version"), opt("-h", "--help"), opt("--list")), permute=False, abbreviate=False),
    max_operands=0,
    subcommands={
        name: _CARGO_RUN
        for name in (
            "build",
            "b",
            "test",
            "t",
            "check",
            "c",
            "clippy",
            "run",
            "r",
            "bench",
            "doc",
            "fmt",
            "tree",
            "metadata",
        )
    },
)

_GO_FLAGS = (
    opt("-v", "--v"),
    opt("-x"),
    opt("-n"),
    opt("-a"),
    opt("-race"),
    opt("-msan"),
    opt("-asan"),
    opt("-cover"),
    opt("-covermode", arg=T),
    opt("-coverpkg", arg=T),
    opt("-coverprofile", arg=W),
    opt("-run", arg=T),
    opt("-skip", arg=T),
    opt("-count", arg=T),
    opt("-short"),
    opt("-failfast"),
    opt("-timeout", arg=T),
    opt("-tags", arg=T),
    opt("-o", arg=W),
    opt("-p", arg=T),
    opt("-parallel", arg=T),
    opt("-json"),
    opt("-bench", arg=T),
    opt("-benchmem"),
    opt("-benchtime", arg=T),
    opt("-cpu", arg=T),
    opt("-ldflags", arg=T),
    opt("-gcflags", arg=T),
    opt("-asmflags", arg=T),
    opt("-trimpath"),
    opt("-mod", arg=T),
    opt("-modfile", arg=R),
    opt("-buildvcs", arg=T, optional=True),
    opt("-vet", arg=T),
    opt("-work"),
    opt("-l"),
    opt("-d"),
    opt("-s"),
    opt("-w"),
    opt("-exec", arg=Arg.CODE, why="runs the test binary through another program"),
    opt("-toolexec", arg=Arg.CODE, why="runs every build tool through another program"),
    opt("-overlay", arg=Arg.UNSAFE, why="replaces source files with others"),
)
_GO_RUN = Program(
    Syntax(_GO_FLAGS, permute=False, abbreviate=False, single_dash_long=True),
    rest=T,
    runner=True,
    loads=("go.mod", "go.work"),
    config_options=("-modfile",),
)
GO = Program(
    Syntax((opt("-h", "--help"),), permute=False, abbreviate=False),
    max_operands=0,
    subcommands={
        **{name: _GO_RUN for name in ("build", "test", "vet", "run", "fmt", "list")},
        "version": Program(Syntax(), rest=T),
    },
)


def _gcc_check(parsed: Parsed) -> str:
    for o, value in parsed.options:
        if value is None:
            continue
        if o.names[0] == "-f" and re.match(
            r"(plugin|profile|dump|save|auto-profile|callgraph|stack-usage|record)", value.text
        ):
            return f"-f{value.text} loads a plugin or writes files"
        if o.names[0] == "-W" and re.match(r"[lap],", value.text):
            return f"-W{value.text[:2]} passes options to another program"
    return ""


GCC = Program(
    Syntax(
        (
            opt("--help"),
            opt("--version"),
            *flags("-c", "-S", "-E", "-v", "-w", "-s", "-M", "-H", "-P", "-C"),
            opt("-o", arg=W),
            opt("-g", arg=T, optional=True),
            opt("-O", arg=T, optional=True),
            opt("-W", arg=T, optional=True),
            opt("-f", arg=T),
            opt("-m", arg=T),
            opt("-I", arg=R),
            opt("-L", arg=R),
            opt("-l", arg=T),
            opt("-D", arg=T),
            opt("-U", arg=T),
            opt("-x", arg=T),
            opt("-std", arg=T),
            opt("-shared"),
            opt("-static"),
            opt("-pthread"),
            opt("-pipe"),
            opt("-pedantic"),
            opt("-pedantic-errors"),
            opt("-ansi"),
            opt("-nostdlib"),
            opt("-nostdinc"),
            opt("-rdynamic"),
            opt("-MM"),
            opt("-MD"),
            opt("-MMD"),
            opt("-MP"),
            opt("-MF", arg=W),
            opt("-MT", arg=T),
            opt("-MQ", arg=T),
            opt("-include", arg=R),
            opt("-isystem", arg=R),
            opt("-iquote", arg=R),
            opt("-idirafter", arg=R),
            opt("-dumpversion"),
            opt("-dumpmachine"),
            opt("-print-file-name", arg=T),
            opt("-print-prog-name", arg=T),
            opt("-print-search-dirs"),
            opt("-B", arg=Arg.CODE, why="makes the compiler run programs from another directory"),
            opt("-wrapper", arg=Arg.CODE, why="runs every compiler step through another program"),
            opt("-specs", arg=Arg.CODE, why="loads a specs file that can run programs"),
            opt("-Xlinker", "-Xassembler", "-Xpreprocessor", arg=Arg.UNSAFE, why="passes options to another program"),
            opt("-save-temps", arg=Arg.UNSAFE, optional=True, why="writes temporary files"),
            opt("--sysroot", arg=R),
        ),
        single_dash_long=True,
        abbreviate=False,
    ),
    rest=R,
    runner=True,
    check=_gcc_check,
)

DEV_PROGRAMS: dict[str, Program] = {
    "pytest": PYTEST,
    "py.test": PYTEST,
    "mypy": MYPY,
    "ruff": RUFF,
    "black": BLACK,
    "isort": ISORT,
    "flake8": FLAKE8,
    "pylint": PYLINT,
    "coverage": COVERAGE,
    "tox": TOX,
    "nox": NOX,
    "make": MAKE,
    "gmake": MAKE,
    "npm": NPM,
    "yarn": _YARN_PNPM,
    "pnpm": _YARN_PNPM,
    "node": NODE,
    "cargo": CARGO,
    "go": GO,
    "gcc": GCC,
    "cc": GCC,
    "g++": GCC,
    "c++": GCC,
    "clang": GCC,
    "clang++": GCC,
}

# python -m MODULE: the modules whose arguments the catalogue knows.
PYTHON_MODULES: dict[str, Program] = {
    "pytest": PYTEST,
    "mypy": MYPY,
    "black": BLACK,
    "isort": ISORT,
    "flake8": FLAKE8,
    "pylint": PYLINT,
    "coverage": COVERAGE,
    "unittest": Program(
        Syntax(
            (
                opt("-h", "--help"),
                opt("-v", "--verbose"),
                opt("-q", "--quiet"),
                opt("-f", "--failfast"),
                opt("-c", "--catch"),
                opt("-b", "--buffer"),
                opt("-k", arg=T),
                opt("--locals"),
                opt("--durations", arg=T),
                opt("-s", "--start-directory", arg=R),
                opt("-p", "--pattern", arg=T),
                opt("-t", "--top-level-directory", arg=R),
            )
        ),
        rest=T,
        runner=True,
        loads=PYTHON_LOADS,
    ),
    "doctest": Program(
        Syntax((opt("-h", "--help"), opt("-v", "--verbose"), opt("-o", "--option", arg=T), opt("-f", "--fail-fast"))),
        rest=R,
        runner=True,
        loads=PYTHON_LOADS,
    ),
    "pydoc": Program(Syntax((opt("-k", arg=T),), permute=False), rest=T, runner=True, loads=PYTHON_LOADS),
    "json.tool": Program(
        Syntax(
            (
                opt("-h", "--help"),
                opt("--sort-keys"),
                opt("--json-lines"),
                opt("--indent", arg=T),
                opt("--tab"),
                opt("--no-indent"),
                opt("--compact"),
                opt("--no-ensure-ascii"),
            )
        ),
        operands=(R, W),
        max_operands=2,
    ),
    "py_compile": Program(Syntax((opt("-q", "--quiet"),)), rest=R, runner=True),
    "compileall": Program(
        Syntax((*flags("-q", "-f", "-l", "-b"), opt("-j", arg=T), opt("-x", arg=T), opt("-r", arg=T))),
        rest=Arg.READ_TREE,
        runner=True,
    ),
    "venv": Program(
        Syntax(
            (
                opt("--clear"),
                opt("--upgrade"),
                opt("--without-pip"),
                opt("--system-site-packages"),
                opt("--prompt", arg=T),
                opt("--copies"),
                opt("--symlinks"),
                opt("--upgrade-deps"),
            )
        ),
        rest=Arg.WRITE_DIR,
        min_operands=1,
        runner=True,
    ),
    "tokenize": Program(Syntax((opt("-e", "--exact"),)), rest=R),
    "tabnanny": Program(Syntax(flags("-v", "-q")), rest=R),
    "platform": Program(Syntax(), max_operands=0),
    "sysconfig": Program(Syntax(), max_operands=0),
    "site": Program(Syntax((opt("--user-base"), opt("--user-site"))), max_operands=0),
    "this": Program(Syntax(), max_operands=0),
}
