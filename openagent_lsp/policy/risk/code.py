"""Shells and interpreters: scripts, inline one-liners, code read from a pipe, ``source``."""

from __future__ import annotations

import re

from openagent_lsp.policy.risk.args import positionals
from openagent_lsp.policy.risk.assessment import Assessment
from openagent_lsp.policy.risk.packages import handle_package
from openagent_lsp.policy.risk.tables import (
    CODE_CRITICAL,
    PYTHON_CODE_MODULES,
    PYTHON_SERVER_MODULES,
    PYTHON_TOOL_MODULES,
)
from openagent_lsp.policy.risk.targets import judge_target, resolve_arg
from openagent_lsp.policy.shell import INLINE_CODE_FLAGS, Part, Word
from openagent_lsp.policy.types import FileOp, Risk

_BACKTICKS = re.compile(r"`[^`]+`")


def code_risk(code: str, lang: str = "") -> tuple[Risk, str]:
    """Inline interpreter code: CRITICAL when it visibly reaches the OS/network, else HIGH."""
    if lang in ("perl", "ruby", "php") and _BACKTICKS.search(code):
        return Risk.CRITICAL, "runs shell commands in backticks"
    for rx, why in CODE_CRITICAL:
        if rx.search(code):
            return Risk.CRITICAL, why
    return Risk.HIGH, "runs inline interpreter code"


def handle_shell(a: Assessment, idx: int, p: Part) -> None:
    if p.code_payload_parsed:
        return  # the payload's own parts were judged
    args = [w for w in p.args if not (w.text.startswith(("-", "+")) and len(w.text) > 1)]
    if p.name == "busybox":
        args = args[1:]
    if args:
        script = args[0]
        if script.dynamic:
            a.add(Risk.HIGH, f"{p.name} runs a script only known at run time", "risk:dynamic-code", p.display, idx)
            a.dynamic_code.append(idx)
        else:
            a.add(Risk.MEDIUM, f"{p.name} runs the script {script.text}", "risk:run-script", p.display, idx)
        return
    if p.stdin_pipe or p.stdin_payload is not None:
        a.add(Risk.HIGH, f"{p.name} runs commands it reads from a pipe", "risk:pipe-to-shell", p.display, idx)
        a.dynamic_code.append(idx)
        return
    a.add(Risk.MEDIUM, f"starts an interactive {p.name}", "risk:shell", p.display, idx)


def handle_source(a: Assessment, idx: int, p: Part) -> None:
    first = p.args[0] if p.args else None
    if first is not None and not first.dynamic and re.search(r"(^|/)bin/activate(\.\w+)?$", first.text):
        path, _, _ = resolve_arg(first, p.cwd)
        if path is not None and path.is_relative_to(a.workspace):
            return  # activating the workspace's own virtualenv
    if any(w.dynamic for w in p.args[:1]):
        a.add(Risk.HIGH, f"{p.name} runs a script only known at run time", "risk:dynamic-code", p.display, idx)
        a.dynamic_code.append(idx)
    else:
        a.add(Risk.MEDIUM, f"{p.name} runs a shell script in this shell", "risk:run-script", p.display, idx)


def handle_python(a: Assessment, idx: int, p: Part) -> None:
    args = p.args
    i = 0
    while i < len(args):
        t = args[i].text
        if t in ("-V", "--version", "-h", "--help") and i == 0 and len(args) == 1:
            return
        if t == "-c" or (t.startswith("-") and not t.startswith("--") and "c" in t[1:]):
            after = t[t.index("c") + 1 :] if t != "-c" else ""
            code = Word(after, after) if after else (args[i + 1] if i + 1 < len(args) else Word("", ""))
            _inline(a, idx, p, code)
            return
        if t == "-m" or (t.startswith("-m") and len(t) > 2):
            mod = t[2:] if len(t) > 2 else (args[i + 1].text if i + 1 < len(args) else "")
            margs = args[i + (1 if len(t) > 2 else 2) :]
            _python_module(a, idx, p, mod, margs)
            return
        if t in ("-W", "-X", "--check-hash-based-pycs"):
            i += 2
            continue
        if t == "-":
            break
        if t.startswith("-"):
            i += 1
            continue
        w = args[i]
        if w.dynamic:
            a.add(Risk.HIGH, "runs a Python script only known at run time", "risk:dynamic-code", p.display, idx)
            a.dynamic_code.append(idx)
        else:
            a.add(Risk.MEDIUM, f"runs the Python script {w.text}", "risk:run-script", p.display, idx)
        return
    _stdin_code(a, idx, p)


def _python_module(a: Assessment, idx: int, p: Part, mod: str, margs: list[Word]) -> None:
    if mod in PYTHON_TOOL_MODULES:
        return
    if mod in ("pip", "pip3"):
        handle_package(a, idx, Part(argv=[Word("pip", "pip"), *margs], name="pip", display=p.display, cwd=p.cwd))
        return
    if mod in ("venv", "virtualenv"):
        for w in positionals(margs)[:1]:
            judge_target(a, idx, p.display, w, p.cwd, FileOp.WRITE)
        return
    if mod in PYTHON_CODE_MODULES:
        _inline(a, idx, p, Word(" ".join(w.text for w in margs), "", any(w.dynamic for w in margs)))
        return
    if mod in PYTHON_SERVER_MODULES:
        a.add(Risk.HIGH, f"python -m {mod} opens a network service", "risk:network-service", p.display, idx)
        return
    a.add(Risk.MEDIUM, f"runs the Python module {mod}", "risk:run-module", p.display, idx)


def handle_interpreter(a: Assessment, idx: int, p: Part) -> None:
    flags = INLINE_CODE_FLAGS.get(p.name, ())
    args = p.args
    for i, w in enumerate(args):
        t = w.text
        if t in ("-v", "--version", "-V", "-h", "--help") and len(args) == 1:
            return
        is_code = False
        if t.startswith("--") and t.split("=")[0] in flags:
            is_code = True
            if "=" in t:
                _inline(a, idx, p, Word(t.split("=", 1)[1], w.raw, w.dynamic))
                return
        elif (t.startswith("-") and not t.startswith("--") and t[-1] in [f for f in flags if len(f) == 1]) or (
            t in flags
        ):
            is_code = True  # -e, -ne, -pe, -lne: the code follows (but -rsocket is a library)
        if is_code:
            code = args[i + 1] if i + 1 < len(args) else Word("", "")
            _inline(a, idx, p, code)
            if p.name == "perl" and "i" in t:
                for f in positionals(args[i + 2 :]):
                    judge_target(a, idx, p.display, f, p.cwd, FileOp.WRITE, verb="edit in place")
            return
        if not t.startswith("-"):
            if w.dynamic:
                a.add(Risk.HIGH, f"{p.name} runs a script only known at run time", "risk:dynamic-code", p.display, idx)
                a.dynamic_code.append(idx)
            else:
                a.add(Risk.MEDIUM, f"{p.name} runs the script {t}", "risk:run-script", p.display, idx)
            return
    _stdin_code(a, idx, p)


def _stdin_code(a: Assessment, idx: int, p: Part) -> None:
    if p.stdin_payload is not None:
        _inline(a, idx, p, Word(p.stdin_payload, "<stdin>", p.stdin_dynamic))
        if p.stdin_dynamic:
            a.dynamic_code.append(idx)
        return
    if p.stdin_pipe:
        a.add(Risk.HIGH, f"{p.name} runs code it reads from a pipe", "risk:pipe-to-interpreter", p.display, idx)
        a.dynamic_code.append(idx)
        return
    a.add(Risk.MEDIUM, f"starts an interactive {p.name}", "risk:interpreter", p.display, idx)


def _inline(a: Assessment, idx: int, p: Part, code: Word) -> None:
    r, why = code_risk(code.text, p.name)
    if code.dynamic and r is not Risk.CRITICAL:
        a.dynamic_code.append(idx)
        why = "runs interpreter code only known at run time"
    a.add(
        r,
        f"{p.name} one-liner: {why}",
        "risk:inline-code" if r is not Risk.CRITICAL else "risk:inline-code-critical",
        p.display,
        idx,
    )
