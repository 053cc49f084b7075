"""Parse a program's arguments the way the program itself does (GNU ``getopt_long`` and kin).

A denylist that looks for ``--checkpoint-action`` misses ``--checkpoint-act`` (GNU accepts any
unique prefix), ``-cvIfoo`` (a cluster whose ``I`` takes the rest as its value) and ``tar cIf``
(old-style letters whose values follow in order). Here every argument is resolved to the option the
program will see, so the allowlist can judge each one; anything that does not resolve cleanly is a
problem, and a problem asks.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from openagent_lsp.policy.shell import DYN, Word


class Arg(enum.Enum):
    """What an option's value or a positional argument means to the program."""

    NONE = "none"  # a flag: no value
    TEXT = "text"  # inert text: a pattern, a number, a format, a name
    READ = "read"  # a file it reads
    READ_TREE = "read-tree"  # a directory it reads recursively
    WRITE = "write"  # a file it creates or overwrites
    WRITE_DIR = "write-dir"  # a directory it writes into
    VAR = "var"  # a shell variable name (bash evaluates subscripts in it as arithmetic)
    CODE = "code"  # a program, a command or code it runs: never auto-allowed
    UNSAFE = "unsafe"  # an option that is dangerous for another reason: never auto-allowed


@dataclass(frozen=True)
class Opt:
    """One option: all its spellings, and what its value means.

    ``optional`` values (``--color[=WHEN]``, ``-O[LEVEL]``) are only taken when attached, as getopt does.
    ``why`` explains a CODE/UNSAFE option in the prompt.
    """

    names: tuple[str, ...]
    arg: Arg = Arg.NONE
    optional: bool = False
    why: str = ""
    # Values after the first (``jq --arg NAME VALUE``): inert text.
    extra_values: int = 0

    @property
    def takes_value(self) -> bool:
        return self.arg is not Arg.NONE

    @property
    def canonical(self) -> str:
        longs = [n for n in self.names if n.startswith("--")]
        return longs[0] if longs else self.names[0]


def opt(*names: str, arg: Arg = Arg.NONE, optional: bool = False, why: str = "", extra_values: int = 0) -> Opt:
    return Opt(tuple(names), arg, optional, why, extra_values)


def flags(*names: str) -> tuple[Opt, ...]:
    """Several value-less options, each with a single spelling."""
    return tuple(Opt((n,)) for n in names)


@dataclass(frozen=True)
class Syntax:
    """How a program reads its command line.

    ``permute``: GNU style, options may follow operands (``ls dir -la``); without it the first operand
    ends the options (POSIX, and programs whose operands are a command).
    ``abbreviate``: unique prefixes of long options are accepted (GNU getopt_long, Python argparse).
    ``single_dash_long``: long options written with one dash (``find -name``, ``gcc -MF``).
    ``old_style``: tar's first argument may be a bundle of letters without a dash.
    """

    options: tuple[Opt, ...] = ()
    permute: bool = True
    abbreviate: bool = True
    single_dash_long: bool = False
    old_style: bool = False


@dataclass
class Parsed:
    """The options as the program sees them, its operands, and the first problem found."""

    options: list[tuple[Opt, Word | None]] = field(default_factory=list)
    operands: list[Word] = field(default_factory=list)
    problem: str = ""
    # Globs like ``*`` in option position: a file named ``--checkpoint-action=...`` would become an
    # option when bash expands them. The checker looks at what they match.
    option_globs: list[Word] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return any(name in o.names for o, _ in self.options)

    def values(self, name: str) -> list[Word]:
        return [v for o, v in self.options if name in o.names and v is not None]


def parse_args(syntax: Syntax, args: list[Word]) -> Parsed:
    out = Parsed()
    by_name: dict[str, Opt] = {}
    for o in syntax.options:
        for n in o.names:
            by_name.setdefault(n, o)  # the first definition of a spelling wins
    longs = sorted(n for n in by_name if n.startswith("--"))
    singles = sorted(n for n in by_name if n.startswith("-") and not n.startswith("--") and len(n) > 2)
    i = 0
    if syntax.old_style and args and not args[0].dynamic and args[0].text and not args[0].text.startswith("-"):
        i = _old_style(args, by_name, out)
        if out.problem:
            return out
    only_operands = False
    while i < len(args):
        w = args[i]
        t = w.text
        i += 1
        if only_operands:
            out.operands.append(w)
            continue
        if w.dynamic and t.startswith(DYN):
            out.problem = f"argument {w.raw!r} is only known at run time (it could be an option)"
            return out
        if t == "--":
            only_operands = True
            continue
        if not t.startswith("-") or t == "-":
            out.operands.append(w)
            if w.glob and t[:1] in ("*", "?", "["):
                out.option_globs.append(w)
            if not syntax.permute:
                only_operands = True
            continue
        if t.startswith("--"):
            i = _long(t, w, args, i, by_name, longs, syntax.abbreviate, out)
        elif syntax.single_dash_long and _single_dash_name(t, singles):
            i = _long(t, w, args, i, by_name, singles, False, out, single=True)
        else:
            i = _cluster(t, w, args, i, by_name, out)
        if out.problem:
            return out
    return out


def _single_dash_name(t: str, singles: list[str]) -> bool:
    name = t.split("=", 1)[0]
    return name in singles


def _resolve_long(name: str, names: list[str], abbreviate: bool) -> tuple[str | None, str]:
    if name in names:
        return name, ""
    if not abbreviate:
        return None, f"unknown option {name}"
    hits = [n for n in names if n.startswith(name)]
    if len(hits) == 1:
        return hits[0], ""
    if not hits:
        return None, f"unknown option {name}"
    return None, f"ambiguous option {name} (could be {', '.join(hits[:4])})"


def _long(
    t: str,
    w: Word,
    args: list[Word],
    i: int,
    by_name: dict[str, Opt],
    names: list[str],
    abbreviate: bool,
    out: Parsed,
    single: bool = False,
) -> int:
    name, eq, attached = t.partition("=")
    if DYN in name:
        out.problem = f"option name {w.raw!r} is only known at run time"
        return i
    full, problem = _resolve_long(name, names, abbreviate)
    if full is None:
        out.problem = problem
        return i
    o = by_name[full]
    if not o.takes_value:
        if eq:
            out.problem = f"option {full} takes no value"
        out.options.append((o, None))
        return i
    if eq:
        out.options.append((o, Word(attached, w.raw, DYN in attached, w.glob)))
        return i
    if o.optional:
        out.options.append((o, None))
        return i
    if i + o.extra_values >= len(args):
        out.problem = f"option {full} needs {1 + o.extra_values} value(s)"
        return i
    out.options.append((o, args[i]))
    return i + 1 + o.extra_values


def _cluster(t: str, w: Word, args: list[Word], i: int, by_name: dict[str, Opt], out: Parsed) -> int:
    """``-abc``, ``-ofile``, ``-o file``: each letter an option until one takes a value."""
    k = 1
    while k < len(t):
        letter = t[k]
        if letter == DYN:
            out.problem = f"option {w.raw!r} is only known at run time"
            return i
        o = by_name.get("-" + letter)
        if o is None:
            out.problem = f"unknown option -{letter}" + (f" (in {t})" if len(t) > 2 else "")
            return i
        if not o.takes_value:
            out.options.append((o, None))
            k += 1
            continue
        rest = t[k + 1 :]
        if rest:
            out.options.append((o, Word(rest, w.raw, DYN in rest, w.glob)))
            return i
        if o.optional:
            out.options.append((o, None))
            return i
        if i >= len(args):
            out.problem = f"option -{letter} needs a value"
            return i
        out.options.append((o, args[i]))
        return i + 1
    return i


def _old_style(args: list[Word], by_name: dict[str, Opt], out: Parsed) -> int:
    """tar's ``cvzf archive.tgz``: every letter an option, values taken from the next words in order."""
    letters = args[0].text
    i = 1
    for letter in letters:
        o = by_name.get("-" + letter)
        if o is None:
            out.problem = f"unknown option letter {letter!r} in {letters!r}"
            return i
        if o.takes_value and not o.optional:
            if i >= len(args):
                out.problem = f"option letter {letter!r} needs a value"
                return i
            out.options.append((o, args[i]))
            i += 1
        else:
            out.options.append((o, None))
    return i
