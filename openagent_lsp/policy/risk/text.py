"""Text processors with a programming language inside: sed (``e``, ``w``) and awk (``system()``,
pipes, ``/inet/``)."""

from __future__ import annotations

import re

from openagent_lsp.policy.risk.args import opt_values, positionals
from openagent_lsp.policy.risk.assessment import Assessment
from openagent_lsp.policy.risk.tables import DESTRUCTIVE_TEXT
from openagent_lsp.policy.risk.targets import judge_target
from openagent_lsp.policy.shell import Part
from openagent_lsp.policy.types import FileOp, Risk


def handle_sed(a: Assessment, idx: int, p: Part) -> None:
    args = p.args
    scripts = opt_values(args, ("-e", "--expression"))
    files_from = opt_values(args, ("-f", "--file"))
    pos = positionals(args, frozenset({"-e", "--expression", "-f", "--file", "-l", "--line-length"}))
    if not scripts and not files_from and pos:
        scripts, pos = [pos[0]], pos[1:]
    inplace = any(
        w.text.startswith(("-i", "--in-place"))
        or (w.text.startswith("-") and not w.text.startswith("--") and "i" in w.text[1:] and "e" not in w.text[1:])
        for w in args
    )
    if files_from:
        a.add(Risk.MEDIUM, "sed runs a script file", "risk:script", p.display, idx)
    for s in scripts:
        if s.dynamic:
            a.add(Risk.HIGH, "sed script only known at run time", "risk:sed-exec", p.display, idx)
            continue
        danger = sed_script_danger(s.text)
        if danger == "exec":
            a.add(Risk.HIGH, "the sed script executes commands (e)", "risk:sed-exec", p.display, idx)
        elif danger == "write":
            a.add(Risk.MEDIUM, "the sed script writes files (w)", "risk:sed-write", p.display, idx)
    if inplace:
        for w in pos:
            judge_target(a, idx, p.display, w, p.cwd, FileOp.WRITE, verb="edit in place")


def handle_awk(a: Assessment, idx: int, p: Part) -> None:
    args = p.args
    if opt_values(args, ("-f", "--file")):
        a.add(Risk.MEDIUM, "awk runs a script file", "risk:script", p.display, idx)
        return
    pos = positionals(args, frozenset({"-F", "-v", "--assign", "--field-separator"}))
    script = pos[0] if pos else None
    if script is None:
        return
    text = script.text
    if script.dynamic:
        a.add(Risk.HIGH, "awk program only known at run time", "risk:awk-exec", p.display, idx)
        return
    if "/inet/" in text:
        a.add(Risk.CRITICAL, "awk opens a network connection (/inet/)", "risk:reverse-shell", p.display, idx)
    elif re.search(r"\bsystem\s*\(|\|\s*\"|\"\s*\|\s*getline|\|&", text):
        if DESTRUCTIVE_TEXT.search(text):
            a.add(Risk.CRITICAL, "awk runs destructive shell commands", "risk:awk-exec", p.display, idx)
        else:
            a.add(Risk.HIGH, "awk runs shell commands", "risk:awk-exec", p.display, idx)
    elif re.search(r"(print|printf)[^;}]*>", text):
        a.add(Risk.MEDIUM, "awk writes files", "risk:awk-write", p.display, idx)


def sed_script_danger(script: str) -> str:
    """'exec' if a sed script runs commands (e), 'write' if it writes files (w/W), else ''."""
    i, n = 0, len(script)
    while i < n:
        c = script[i]
        if c in " \t\n;{}!0123456789,$~+":
            i += 1
            continue
        if c in "/\\":  # address regex /re/ or \cREc
            delim = c if c == "/" else (script[i + 1] if i + 1 < n else "/")
            i += 1 if c == "/" else 2
            while i < n and script[i] != delim:
                i += 2 if script[i] == "\\" else 1
            i += 1
            continue
        if c in "sy":
            if i + 1 >= n:
                return ""
            delim = script[i + 1]
            i += 2
            for _ in range(2):
                while i < n and script[i] != delim:
                    i += 2 if script[i] == "\\" else 1
                i += 1
            flags = ""
            while i < n and script[i] not in ";\n}":
                flags += script[i]
                i += 1
            if c == "s":
                if "e" in flags:
                    return "exec"
                if "w" in flags:
                    return "write"
            continue
        if c == "e":
            return "exec"
        if c in "wW":
            return "write"
        if c in "aic":  # text commands: the rest of the line is text
            while i < n and script[i] != "\n":
                i += 1
            continue
        if c in "rRbtTq:QlL":  # commands with an argument up to the end of the command
            i += 1
            while i < n and script[i] not in ";\n}":
                i += 1
            continue
        i += 1
    return ""
