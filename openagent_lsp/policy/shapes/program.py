"""What the allowlist knows about one program: how it parses its arguments and what each means."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from openagent_lsp.policy.shapes.options import Arg, Parsed, Syntax
from openagent_lsp.policy.shell import Word

# A program-specific check on the parsed arguments: returns a problem ("" when fine).
Check = Callable[[Parsed], str]


@dataclass(frozen=True)
class Program:
    """A known-safe shape: a command matches when its arguments parse with ``syntax``, every option is
    of a harmless kind, and the operands fit ``operands``/``rest`` and the count limits.

    ``runner``: runs code from the workspace (tests, builds): allowed only inside the OS sandbox.
    ``loads``: file names (globs) the runner loads as code or config; one the agent wrote makes it ask.
    ``subcommands``: the first operand picks a sub-program (``git status``, ``npm test``); a
    sub-command not listed is not a known-safe shape.
    ``git_write``: git itself writes the repository (index, refs): the run needs ``.git`` writable.
    """

    syntax: Syntax = field(default_factory=Syntax)
    operands: tuple[Arg, ...] = ()
    rest: Arg = Arg.READ
    min_operands: int = 0
    max_operands: int | None = None
    runner: bool = False
    loads: tuple[str, ...] = ()
    subcommands: Mapping[str, Program] | None = None
    check: Check | None = None
    git_write: bool = False
    # Options whose value is a file or directory the runner loads as code or configuration: it must
    # lie in the workspace, and not be one the agent wrote.
    config_options: tuple[str, ...] = ()
    # Arguments are not options at all (``test -d x``: -d is an operator): every word is an operand.
    no_options: bool = False
    # The last operand is written (cp, mv, ln, install) unless a target directory option is given.
    last_is_target: bool = False
    target_options: tuple[str, ...] = ()

    def operand_kind(self, index: int) -> Arg:
        return self.operands[index] if index < len(self.operands) else self.rest


def literal_words(words: list[Word]) -> bool:
    return all(not w.dynamic for w in words)
