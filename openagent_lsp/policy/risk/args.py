"""Small readers over a part's argument words: flags present, positionals, option values.

These are deliberately forgiving (they serve the risk handlers, which look for danger); the
allowlist in ``policy/shapes`` parses options exactly as each program does.
"""

from __future__ import annotations

from openagent_lsp.policy.shell import Word


def looks_like_path(text: str) -> bool:
    return text.startswith((".", "/", "~")) or "/" in text


def short_flags(args: list[Word]) -> set[str]:
    """Single-letter flags present (``-rf`` -> {r, f}); stops at ``--``."""
    out: set[str] = set()
    for w in args:
        t = w.text
        if t == "--":
            break
        if t.startswith("-") and not t.startswith("--") and len(t) > 1:
            out.update(t[1:])
    return out


def long_flags(args: list[Word]) -> set[str]:
    out: set[str] = set()
    for w in args:
        if w.text == "--":
            break
        if w.text.startswith("--"):
            out.add(w.text.split("=", 1)[0])
    return out


def positionals(args: list[Word], value_opts: frozenset[str] = frozenset()) -> list[Word]:
    out: list[Word] = []
    i = 0
    opts_done = False
    while i < len(args):
        w = args[i]
        t = w.text
        if not opts_done and t == "--":
            opts_done = True
        elif not opts_done and t.startswith("-") and len(t) > 1 and not w.dynamic:
            if t in value_opts:
                i += 1
        else:
            out.append(w)
        i += 1
    return out


def opt_values(args: list[Word], names: tuple[str, ...]) -> list[Word]:
    """Values of options like ``-o FILE``, ``-oFILE``, ``--output=FILE``, ``--output FILE``."""
    out: list[Word] = []
    for i, w in enumerate(args):
        t = w.text
        for n in names:
            if t == n and i + 1 < len(args):
                out.append(args[i + 1])
            elif n.startswith("--") and t.startswith(n + "="):
                out.append(Word(t[len(n) + 1 :], w.raw, w.dynamic, w.glob))
            elif not n.startswith("--") and len(n) == 2 and t.startswith(n) and len(t) > 2 and not t.startswith("--"):
                out.append(Word(t[2:], w.raw, w.dynamic, w.glob))
    return out
