"""Programs that create, change or delete files: rm, mv, chmod, dd, find -delete, and the outputs
of otherwise read-only programs (``sort -o``, ``cp``, ``gcc -o``...)."""

from __future__ import annotations

import re

from openagent_lsp.policy.paths import is_block_device
from openagent_lsp.policy.risk.args import long_flags, opt_values, positionals, short_flags
from openagent_lsp.policy.risk.assessment import Assessment
from openagent_lsp.policy.risk.targets import judge_read, judge_target, resolve_arg
from openagent_lsp.policy.shell import Part, Word
from openagent_lsp.policy.types import FileOp, Risk

_COMPILERS = ("gcc", "cc", "g++", "c++", "clang", "clang++", "rustc", "ld", "as")
_COMPRESSORS = ("gzip", "gunzip", "bzip2", "bunzip2", "xz", "unxz", "zstd", "unzstd", "zip")
_FIND_FILTERS = (
    "-name",
    "-iname",
    "-path",
    "-ipath",
    "-regex",
    "-iregex",
    "-newer",
    "-mtime",
    "-mmin",
    "-size",
    "-empty",
    "-user",
    "-perm",
)


def handle_readonly(a: Assessment, idx: int, p: Part) -> None:
    """Read-only programs can still write through options."""
    outs: list[Word] = []
    if p.name == "sort":
        outs = opt_values(p.args, ("-o", "--output"))
    elif p.name in _COMPILERS:
        outs = opt_values(p.args, ("-o",))
    elif p.name == "javac":
        outs = opt_values(p.args, ("-d",))
    elif p.name in ("time", "strace", "ltrace"):
        outs = opt_values(p.args, ("-o", "--output"))
    elif p.name in ("tee", "touch", "mkdir", "dos2unix", "unix2dos"):
        outs = positionals(p.args)
    elif p.name in ("cp", "install"):
        pos = positionals(p.args, frozenset({"-t", "--target-directory", "-S", "--suffix", "-m", "-o", "-g"}))
        outs = opt_values(p.args, ("-t", "--target-directory")) or pos[-1:]
        if len(pos) < 2 and not opt_values(p.args, ("-t", "--target-directory")):
            outs = []
    elif p.name == "ln":
        outs = _ln_outputs(a, idx, p)
    elif p.name in ("split", "csplit"):
        pos = positionals(p.args, frozenset({"-l", "-b", "-n", "-a", "-C", "-d", "-f", "--prefix"}))
        outs = pos[1:2] + opt_values(p.args, ("-f", "--prefix"))
    elif p.name == "uniq":
        outs = positionals(p.args, frozenset({"-f", "-s", "-w"}))[1:2]
    elif p.name in _COMPRESSORS:
        outs = [w for w in positionals(p.args) if w.text != "-"]
    elif p.name == "hostnamectl" and p.args and p.args[0].text.startswith("set"):
        a.add(Risk.HIGH, "changes the host name", "risk:system", p.display, idx)
    for w in outs:
        if w.text in ("-", "/dev/stdout"):
            continue
        judge_target(a, idx, p.display, w, p.cwd, FileOp.WRITE)


def _ln_outputs(a: Assessment, idx: int, p: Part) -> list[Word]:
    pos = positionals(p.args, frozenset({"-t", "--target-directory", "-S", "--suffix"}))
    if "s" in short_flags(p.args) or "--symbolic" in long_flags(p.args):
        for tgt in pos[:-1] if len(pos) >= 2 else pos:
            tp, _, _ = resolve_arg(tgt, p.cwd)
            if tp is None or not tp.is_relative_to(a.workspace):
                a.add(
                    Risk.HIGH,
                    f"creates a link to {tgt.text}, outside the workspace (later writes through it would land there)",
                    "risk:link-outside",
                    p.display,
                    idx,
                )
    if len(pos) >= 2:
        return pos[-1:]
    if pos and not pos[0].dynamic:
        return [Word(pos[0].text.rstrip("/").rsplit("/", 1)[-1] or ".", pos[0].raw)]
    return pos


def handle_rm(a: Assessment, idx: int, p: Part) -> None:
    flags = short_flags(p.args)
    longs = long_flags(p.args)
    recursive = bool({"r", "R"} & flags) or "--recursive" in longs
    if "--no-preserve-root" in longs:
        a.add(Risk.CRITICAL, "rm --no-preserve-root", "risk:destroy", p.display, idx)
    targets = positionals(p.args)
    a.add(
        Risk.MEDIUM,
        f"deletes {'recursively ' if recursive else ''}{len(targets)} path(s)",
        "risk:delete",
        p.display,
        idx,
    )
    for w in targets:
        judge_target(a, idx, p.display, w, p.cwd, FileOp.DELETE, recursive=recursive, verb="delete")


def handle_rmdir(a: Assessment, idx: int, p: Part) -> None:
    a.add(Risk.MEDIUM, "deletes directories", "risk:delete", p.display, idx)
    for w in positionals(p.args):
        judge_target(a, idx, p.display, w, p.cwd, FileOp.DELETE, verb="delete")


def handle_shred(a: Assessment, idx: int, p: Part) -> None:
    a.add(Risk.MEDIUM, "overwrites and deletes files", "risk:delete", p.display, idx)
    for w in positionals(p.args, frozenset({"-n", "-s", "--iterations", "--size"})):
        judge_target(a, idx, p.display, w, p.cwd, FileOp.DELETE, recursive=True, verb="shred")


def handle_mv(a: Assessment, idx: int, p: Part) -> None:
    pos = positionals(p.args, frozenset({"-t", "--target-directory", "-S", "--suffix"}))
    tdir = opt_values(p.args, ("-t", "--target-directory"))
    sources = pos if tdir else pos[:-1]
    dests = tdir or pos[-1:]
    a.add(Risk.MEDIUM, "moves files (the sources disappear)", "risk:move", p.display, idx)
    for w in sources:
        # A rename keeps the data: judged as a write of the source (protected places, outside the
        # workspace), except that moving a protected directory away counts as destroying it.
        judge_target(a, idx, p.display, w, p.cwd, FileOp.WRITE, recursive=True, verb="move away")
    for w in dests:
        judge_target(a, idx, p.display, w, p.cwd, FileOp.WRITE, verb="move into")


def handle_truncate(a: Assessment, idx: int, p: Part) -> None:
    a.add(Risk.MEDIUM, "truncates files", "risk:write", p.display, idx)
    for w in positionals(p.args, frozenset({"-s", "--size", "-r", "--reference"})):
        judge_target(a, idx, p.display, w, p.cwd, FileOp.WRITE, verb="truncate")


def handle_chmod(a: Assessment, idx: int, p: Part) -> None:
    chmod_like(a, idx, p, first_is_mode=True)


def chmod_like(a: Assessment, idx: int, p: Part, first_is_mode: bool) -> None:
    flags = short_flags(p.args)
    recursive = "R" in flags or "--recursive" in long_flags(p.args)
    pos = positionals(p.args, frozenset({"--reference"}))
    mode = pos[0].text if (first_is_mode and pos) else ""
    targets = pos[1:] if first_is_mode else pos
    if p.name == "chmod":
        if re.search(r"[ugoa]*\+[rwxXt]*s|^[0-7]?[4267][0-7]{3}$", mode):
            a.add(Risk.HIGH, f"chmod {mode} sets a setuid/setgid bit", "risk:setuid", p.display, idx)
        elif recursive and re.search(r"777|o\+w|a\+w|\+w", mode):
            a.add(Risk.MEDIUM, f"chmod -R {mode} makes files writable by others", "risk:chmod", p.display, idx)
    verb = f"{p.name}{' -R' if recursive else ''}"
    for w in targets:
        judge_target(a, idx, p.display, w, p.cwd, FileOp.WRITE, recursive=recursive, verb=verb)


def handle_chown(a: Assessment, idx: int, p: Part) -> None:
    a.add(Risk.HIGH, "changes file ownership", "risk:system", p.display, idx)
    chmod_like(a, idx, p, first_is_mode=True)


def handle_dd(a: Assessment, idx: int, p: Part) -> None:
    a.add(Risk.MEDIUM, "dd copies raw data", "risk:dd", p.display, idx)
    for w in p.args:
        if w.text.startswith("of="):
            judge_target(
                a, idx, p.display, Word(w.text[3:], w.raw, w.dynamic, w.glob), p.cwd, FileOp.WRITE, verb="dd write"
            )
        elif w.text.startswith("if="):
            src = w.text[3:]
            if is_block_device(src) or src.startswith("/dev/mem"):
                a.add(Risk.HIGH, f"reads the raw device {src}", "risk:raw-read", p.display, idx)
            elif not w.dynamic:
                path, _, _ = resolve_arg(Word(src, w.raw), p.cwd)
                if path is not None:
                    judge_read(a, idx, p.display, path)


def handle_find(a: Assessment, idx: int, p: Part) -> None:
    args = p.args
    roots: list[Word] = []
    i = 0
    while i < len(args) and not args[i].text.startswith(("-", "(", "!")):
        roots.append(args[i])
        i += 1
    roots = roots or [Word(".", ".")]
    texts = [w.text for w in args]
    filtered = any(t in texts for t in _FIND_FILTERS)
    if "-delete" in texts:
        a.add(Risk.MEDIUM, "find -delete removes what it finds", "risk:delete", p.display, idx)
        for r in roots:
            # With filters, find deletes matches *under* the root, not the root itself.
            target = r if not filtered else Word(r.text.rstrip("/") + "/\u2217found", r.raw, r.dynamic)
            judge_target(
                a, idx, p.display, target, p.cwd, FileOp.DELETE, recursive=not filtered, verb="find -delete in"
            )
    for w in opt_values(args, ("-fprint", "-fprint0", "-fls")):
        judge_target(a, idx, p.display, w, p.cwd, FileOp.WRITE)
    for k, t in enumerate(texts):
        if t == "-fprintf" and k + 1 < len(args):
            judge_target(a, idx, p.display, args[k + 1], p.cwd, FileOp.WRITE)
