"""Judging the files a command touches: resolve each path argument the way the OS will, then ask
the path policy (``paths.check_path``) about it, so a shell command and a file tool get the same
answer for the same file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from openagent_lsp.policy.paths import (
    SAFE_DEVICE_WRITES,
    check_path,
    glob_match,
    is_block_device,
    is_net_device,
    is_protected_dir,
    match_path_patterns,
    resolve_user_path,
)
from openagent_lsp.policy.risk.args import looks_like_path
from openagent_lsp.policy.risk.assessment import Assessment
from openagent_lsp.policy.risk.tables import CONTENT_READERS
from openagent_lsp.policy.shell import DYN, Part, Redirect, Word
from openagent_lsp.policy.types import FileOp, Risk, Verdict


def resolve_arg(w: Word, cwd: Path | None) -> tuple[Path | None, str, bool]:
    """(resolved path, problem, everything-glob) for a path argument."""
    text = w.text
    if w.dynamic:
        return None, "its location is only known at run time", False
    if cwd is None and not text.startswith("/"):
        return None, "the working directory is only known at run time", False
    everything = False
    if w.glob:
        comps = text.split("/")
        first_glob = next(i for i, c in enumerate(comps) if any(ch in c for ch in "*?["))
        last = comps[-1] if comps[-1] else (comps[-2] if len(comps) > 1 else "")
        everything = first_glob >= len(comps) - 2 and bool(re.fullmatch(r"[*?.]+|\.\[!.\]\*|\.\?\*", last))
        if first_glob < len(comps) - 1 and not (first_glob == len(comps) - 2 and comps[-1] == ""):
            everything = True  # a glob in a directory part can match anything below
        prefix = "/".join(comps[:first_glob]) or ("/" if text.startswith("/") else ".")
        text = prefix if everything else "/".join([*comps[:first_glob], "\u2217glob"])
    base = cwd or Path("/")
    res = resolve_user_path(text, base)
    if res.path is None:
        return None, res.error, everything
    return res.path, "", everything


def judge_target(
    a: Assessment,
    idx: int | None,
    p_display: str,
    w: Word,
    cwd: Path | None,
    op: FileOp,
    recursive: bool = False,
    verb: str = "",
) -> None:
    """A path a command writes, deletes or reads."""
    verb = verb or op.value
    text = w.text
    if op is FileOp.WRITE and not w.dynamic:
        lexical = text if text.startswith("/") else None
        if lexical and lexical.rstrip("/") in SAFE_DEVICE_WRITES:
            return
    if not w.dynamic and is_net_device(text):
        a.add(
            Risk.CRITICAL,
            f"{verb} to {text}: a raw network connection (reverse shell / exfiltration)",
            "risk:dev-tcp",
            p_display,
            idx,
        )
        return
    if through_created_link(a, w, cwd):
        a.add(
            Risk.HIGH,
            f"{verb} {w.raw} goes through a link made earlier in this command: what it reaches is not known",
            "path:link-in-command",
            p_display,
            idx,
            verdict=Verdict.REQUIRE_APPROVAL,
        )
        return
    path, problem, everything = resolve_arg(w, cwd)
    if path is None:
        if op is FileOp.READ:
            return
        a.add(Risk.HIGH, f"cannot tell what '{w.raw}' will {verb}: {problem}", "risk:unknown-target", p_display, idx)
        return
    s = path.as_posix()
    if op is not FileOp.READ and is_block_device(s):
        a.add(Risk.CRITICAL, f"{verb} of the raw device {s} destroys data", "risk:block-device", p_display, idx)
        return
    if op is FileOp.READ:
        judge_read(a, idx, p_display, path)
        return
    a.changed.add(path)
    if idx is not None:
        a.writers.add(idx)
    protected = is_protected_dir(path, a.workspace)
    if protected and (recursive or everything):
        what = f"everything in {protected}" if everything else protected
        a.add(Risk.CRITICAL, f"{verb} {what} ({s})", "risk:destroy", p_display, idx)
        return
    if everything and op is FileOp.DELETE:
        a.add(Risk.HIGH, f"{verb} every file matching {w.raw}", "risk:glob-delete", p_display, idx)
    d = check_path(op, s, a.workspace, a.rules)
    if d.verdict is not Verdict.ALLOW:
        a.add(d.risk, d.reason, d.rule, p_display, idx, verdict=d.verdict)


def lexical_path(w: Word, cwd: Path | None) -> Path | None:
    """Where a literal path argument points before symlinks are followed (None if unknowable)."""
    if w.dynamic:
        return None
    text = os.path.expanduser(w.text) if w.text.startswith("~") else w.text
    if not text.startswith("/"):
        if cwd is None:
            return None
        text = str(cwd / text)
    return Path(os.path.normpath(text))


def through_created_link(a: Assessment, w: Word, cwd: Path | None) -> bool:
    """Whether ``w`` names a link an earlier part of this command made, or a path below it."""
    if not a.created_links:
        return False
    lex = lexical_path(w, cwd)
    return lex is not None and any(lex == link or lex.is_relative_to(link) for link in a.created_links)


def judge_read(a: Assessment, idx: int | None, subject: str, path: Path) -> None:
    """A file some part reads: secrets and personal files outside the workspace ask."""
    hit = match_path_patterns(a.rules.read_deny, path, a.workspace)
    if hit:
        a.add(
            Risk.HIGH,
            f"reading {path} is denied by path rule '{hit}'",
            f"path:read_deny:{hit}",
            subject,
            idx,
            verdict=Verdict.DENY,
        )
        a.sensitive.append(path.as_posix())
        return
    hit = match_path_patterns(a.rules.read_ask + a.rules.sensitive_outside, path, a.workspace)
    if hit:
        a.add(
            Risk.MEDIUM,
            f"{path} may hold secrets (path rule '{hit}')",
            f"path:read_ask:{hit}",
            subject,
            idx,
            verdict=Verdict.REQUIRE_APPROVAL,
        )
        a.sensitive.append(path.as_posix())
        return
    if not path.is_relative_to(a.workspace) and path.is_relative_to(a.home) and idx is not None:
        p = a.analysis.parts[idx]
        if p.name in CONTENT_READERS:
            a.add(
                Risk.MEDIUM,
                f"reads {path}, a personal file outside the workspace",
                "path:outside-read",
                subject,
                idx,
                verdict=Verdict.REQUIRE_APPROVAL,
            )


def judge_sensitive_args(a: Assessment, idx: int, p: Part) -> None:
    """Any argument naming a secret-looking file marks the command as reading secrets."""
    for w in p.args:
        cands = [w.text]
        if "=" in w.text:
            cands.append(w.text.split("=", 1)[1])
        if w.text.startswith("@"):
            cands.append(w.text[1:])
        if w.text.startswith("file://"):
            cands.append(w.text[7:])
        for t in cands:
            if not t or DYN in t or t.startswith("-"):
                continue
            if w.glob:
                _glob_sensitive(a, idx, p, t)
                continue
            if not (looks_like_path(t) or match_path_patterns(a.rules.read_ask, Path("/x") / t, a.workspace)):
                continue
            path, _, _ = resolve_arg(Word(t, w.raw), p.cwd)
            if path is not None:
                judge_read(a, idx, p.display, path)
    for r in p.redirects:
        if r.op in ("<", "<>") and not r.target.dynamic:
            path, _, _ = resolve_arg(r.target, p.cwd)
            if path is not None:
                judge_read(a, idx, p.display, path)


def _glob_sensitive(a: Assessment, idx: int, p: Part, text: str) -> None:
    base = text.rstrip("/").rsplit("/", 1)[-1]
    for sample in (".env", "id_rsa", "x.pem", "x.key", ".netrc", "credentials", "id_ed25519"):
        if glob_match(base, sample) and match_path_patterns(a.rules.read_ask, Path("/x") / sample, a.workspace):
            if p.name in CONTENT_READERS:
                a.add(
                    Risk.MEDIUM,
                    f"{text} may match secret files like {sample}",
                    "path:read_ask:glob",
                    p.display,
                    idx,
                    verdict=Verdict.REQUIRE_APPROVAL,
                )
                a.sensitive.append(text)
            return


def judge_redirect(a: Assessment, owner: int | None, red: Redirect, cwd: Path | None) -> None:
    subject = (a.analysis.parts[owner].display if owner is not None else "") + f" {red.op} {red.target.raw}"
    if red.op in ("<", "<&", "<>"):
        if not red.target.dynamic and is_net_device(red.target.text):
            a.add(
                Risk.CRITICAL,
                f"reads from {red.target.text}: a raw network connection",
                "risk:dev-tcp",
                subject.strip(),
                owner,
            )
            return
        if red.op == "<&":
            return
        if red.target.dynamic:
            a.add(
                Risk.MEDIUM,
                f"reads {red.target.raw}, a file only known at run time (it could hold secrets)",
                "path:dynamic-read",
                subject.strip(),
                owner,
                verdict=Verdict.REQUIRE_APPROVAL,
            )
            return
        if owner is None:
            # "$(<file)": bash itself reads the file into the command line.
            path, _, _ = resolve_arg(red.target, cwd)
            if path is not None:
                judge_read(a, owner, subject.strip(), path)
        if red.op != "<>":
            return  # other reads through "<" are checked with the owning part
    judge_target(a, owner, subject.strip(), red.target, cwd, FileOp.WRITE, verb="redirect output")
