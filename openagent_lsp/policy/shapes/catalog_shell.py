"""Known-safe shapes of bash builtins and of wrappers (``env``, ``timeout``, ``nice``...).

Builtins that take a variable name (``read``, ``printf -v``, ``mapfile``, ``unset``, ``test -v``)
are judged on that name: bash evaluates an array subscript in it as arithmetic, and arithmetic
expands ``$(...)``, so ``printf -v 'a[$(id)]' x`` runs ``id``. Only plain identifiers pass.
"""

from __future__ import annotations

import re

from openagent_lsp.policy.shapes.catalog_files import HELP
from openagent_lsp.policy.shapes.options import Arg, Parsed, Syntax, flags, opt
from openagent_lsp.policy.shapes.program import Program

T, R, W, VAR = Arg.TEXT, Arg.READ, Arg.WRITE, Arg.VAR
_SET_OPTIONS = frozenset(
    {"errexit", "nounset", "pipefail", "xtrace", "verbose", "noglob", "noclobber", "allexport", "notify", "errtrace"}
)
_SHOPT_SAFE = frozenset(
    {"nullglob", "failglob", "globstar", "nocaseglob", "nocasematch", "lastpipe", "inherit_errexit"}
)


def _set_check(parsed: Parsed) -> str:
    for value in parsed.values("-o"):
        if value.text not in _SET_OPTIONS:
            return f"set -o {value.text} changes how the shell runs commands"
    return ""


def _shopt_check(parsed: Parsed) -> str:
    if parsed.has("-s") or parsed.has("-u"):
        bad = [w.text for w in parsed.operands if w.text not in _SHOPT_SAFE]
        if bad:
            return f"shopt {bad[0]} changes how the shell reads commands"
    return ""


def _test_check(parsed: Parsed) -> str:
    words = [w.text for w in parsed.operands]
    for k, t in enumerate(words[:-1]):
        if t in ("-v", "-R") and "[" in words[k + 1]:
            return "test -v with an array subscript evaluates it as code"
    return ""


def _alias_check(parsed: Parsed) -> str:
    return "alias defines a command" if any("=" in w.text for w in parsed.operands) else ""


SHELL_PROGRAMS: dict[str, Program] = {
    "printf": Program(Syntax((opt("-v", arg=VAR),), permute=False, abbreviate=False), operands=(T,), rest=T),
    "read": Program(
        Syntax(
            (
                opt("-a", arg=VAR),
                opt("-d", arg=T),
                opt("-e"),
                opt("-E"),
                opt("-i", arg=T),
                opt("-n", arg=T),
                opt("-N", arg=T),
                opt("-p", arg=T),
                opt("-r"),
                opt("-s"),
                opt("-t", arg=T),
                opt("-u", arg=T),
            ),
            permute=False,
            abbreviate=False,
        ),
        rest=VAR,
    ),
    "mapfile": Program(
        Syntax(
            (
                opt("-d", arg=T),
                opt("-n", arg=T),
                opt("-O", arg=T),
                opt("-s", arg=T),
                opt("-t"),
                opt("-u", arg=T),
                opt("-C", arg=Arg.CODE, why="runs a callback for every line"),
                opt("-c", arg=T),
            ),
            permute=False,
            abbreviate=False,
        ),
        rest=VAR,
        max_operands=1,
    ),
    "unset": Program(Syntax(flags("-f", "-v", "-n"), permute=False, abbreviate=False), rest=VAR),
    "getopts": Program(Syntax(), operands=(T, VAR), rest=T, min_operands=2),
    "wait": Program(Syntax((opt("-n"), opt("-f"), opt("-p", arg=VAR)), abbreviate=False), rest=T),
    "test": Program(no_options=True, rest=T, check=_test_check),
    "[": Program(no_options=True, rest=T, check=_test_check),
    "cd": Program(Syntax(flags("-L", "-P", "-e", "-@"), permute=False, abbreviate=False), rest=T, max_operands=1),
    "pushd": Program(Syntax(flags("-n"), permute=False, abbreviate=False), rest=T, max_operands=1),
    "popd": Program(Syntax(flags("-n"), permute=False, abbreviate=False), rest=T, max_operands=1),
    "dirs": Program(Syntax(flags("-c", "-l", "-p", "-v"), permute=False, abbreviate=False), rest=T),
    "set": Program(
        Syntax(
            (
                *flags("-e", "-u", "-x", "-v", "-f", "-C", "-a", "-b", "-E", "-T", "+e", "+u", "+x", "+v"),
                opt("-o", arg=T),
                opt("+o", arg=T),
            ),
            permute=False,
            abbreviate=False,
        ),
        rest=T,
        check=_set_check,
    ),
    "shopt": Program(Syntax(flags("-s", "-u", "-p", "-q", "-o"), abbreviate=False), rest=T, check=_shopt_check),
    "type": Program(Syntax(flags("-a", "-f", "-p", "-P", "-t"), abbreviate=False), rest=T),
    "command": Program(Syntax(flags("-v", "-V", "-p"), abbreviate=False), rest=T),
    "hash": Program(Syntax((opt("-r"), opt("-l"), opt("-t"), opt("-d")), abbreviate=False), rest=T),
    "umask": Program(Syntax(flags("-S", "-p"), abbreviate=False), rest=T, max_operands=1),
    "exit": Program(Syntax(), rest=T, max_operands=1),
    "return": Program(Syntax(), rest=T, max_operands=1),
    "break": Program(Syntax(), rest=T, max_operands=1),
    "continue": Program(Syntax(), rest=T, max_operands=1),
    "shift": Program(Syntax(), rest=T, max_operands=1),
    "alias": Program(Syntax(flags("-p"), abbreviate=False), rest=T, check=_alias_check),
    "local": Program(Syntax(flags("-a", "-A", "-r", "-x", "-l", "-u", "-t"), abbreviate=False), rest=VAR),
}

# Wrappers: only their own options are judged here; the command they run is a part of its own.
WRAPPERS: dict[str, Program] = {
    "env": Program(
        Syntax(
            (
                *HELP,
                opt("-i", "--ignore-environment"),
                opt("-0", "--null"),
                opt("-u", "--unset", arg=T),
                opt("-C", "--chdir", arg=T),
                opt("-v", "--debug"),
            ),
            permute=False,
        ),
        rest=T,
    ),
    "nice": Program(Syntax((*HELP, opt("-n", "--adjustment", arg=T)), permute=False), rest=T),
    "nohup": Program(Syntax(HELP, permute=False), rest=T),
    "time": Program(
        Syntax(
            (
                *HELP,
                opt("-p", "--portability"),
                opt("-o", "--output", arg=W),
                opt("-a", "--append"),
                opt("-f", "--format", arg=T),
                opt("-v", "--verbose"),
                opt("-q", "--quiet"),
            ),
            permute=False,
        ),
        rest=T,
    ),
    "timeout": Program(
        Syntax(
            (
                *HELP,
                opt("-s", "--signal", arg=T),
                opt("-k", "--kill-after", arg=T),
                opt("--preserve-status"),
                opt("--foreground"),
                opt("-v", "--verbose"),
            ),
            permute=False,
        ),
        rest=T,
    ),
    "stdbuf": Program(
        Syntax(
            (*HELP, opt("-i", "--input", arg=T), opt("-o", "--output", arg=T), opt("-e", "--error", arg=T)),
            permute=False,
        ),
        rest=T,
    ),
    "xargs": Program(
        Syntax(
            (
                *HELP,
                opt("-0", "--null"),
                opt("-a", "--arg-file", arg=R),
                opt("-d", "--delimiter", arg=T),
                opt("-E", arg=T),
                opt("-e", "--eof", arg=T, optional=True),
                opt("-I", arg=T),
                opt("-i", "--replace", arg=T, optional=True),
                opt("-L", "--max-lines", arg=T),
                opt("-l", arg=T, optional=True),
                opt("-n", "--max-args", arg=T),
                opt("-P", "--max-procs", arg=T),
                opt("-r", "--no-run-if-empty"),
                opt("-s", "--max-chars", arg=T),
                opt("-t", "--verbose"),
                opt("-x", "--exit"),
                opt("--show-limits"),
                opt("-p", "--interactive", arg=Arg.UNSAFE, why="is interactive"),
                opt("-o", "--open-tty", arg=Arg.UNSAFE, why="reads the terminal"),
                opt("--process-slot-var", arg=Arg.UNSAFE, why="sets an environment variable"),
            ),
            permute=False,
        ),
        rest=T,
    ),
}


def plain_identifier(text: str) -> bool:
    return re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text) is not None
