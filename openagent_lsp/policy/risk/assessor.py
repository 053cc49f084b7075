"""RiskAssessor: how much harm each simple command (and their combination) can do.

Risk is judged on the normalised parts the shell analyzer produced, never on the raw string,
and it looks at combinations a per-command view misses: a secret read plus a network program in
the same line is exfiltration; a download or a decoder feeding a shell is remote code execution.
The verdict tables (how risk becomes ALLOW/DENY/REQUIRE_APPROVAL) live in engine.py; the levels
and examples are documented in default_policy.yaml.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from openagent_lsp.policy.paths import PathRuleSet, resolve_user_path
from openagent_lsp.policy.risk import code, network
from openagent_lsp.policy.risk.assessment import Assessment, Finding
from openagent_lsp.policy.risk.files import chmod_like, handle_readonly
from openagent_lsp.policy.risk.handlers import DESTRUCTIVE_GUESSES, HANDLERS
from openagent_lsp.policy.risk.packages import handle_package
from openagent_lsp.policy.risk.shapes import (
    PLACEHOLDER,
    apply_shape,
    collect_written_here,
    judge_program_location,
    placeholder_trees,
)
from openagent_lsp.policy.risk.tables import (
    BUILD_TOOLS,
    DANGEROUS_ENV_RE,
    DECODERS,
    DESTRUCTIVE_TEXT,
    DISK_DESTROY,
    EXEC_OPTIONS,
    NETWORK,
    NON_PATH_ARGS,
    PACKAGE_MANAGERS,
    POWER,
    PRIVILEGE,
    RAW_NET,
    READ_ONLY,
    SEARCH_PATH_ENV,
    SYSTEM_ADMIN,
)
from openagent_lsp.policy.risk.targets import judge_redirect, judge_sensitive_args
from openagent_lsp.policy.session import AgentWrites
from openagent_lsp.policy.shapes.check import Shape, Tree, judge_shape
from openagent_lsp.policy.shell import (
    DYN,
    SHELLS,
    Analysis,
    Part,
    Word,
    is_interpreter,
    is_python,
    program_dir_is_standard,
    wrapper_inner_start,
)
from openagent_lsp.policy.types import Risk, Verdict

# MEDIUM findings a family handler gives a program for running project code or changing the
# repository; a known-safe shape replaces them (it runs in the sandbox, its files are judged).
_COVERED_BY_SHAPE = frozenset({"risk:build", "risk:run-script", "risk:run-module", "risk:git-write", "risk:run-path"})
# Commands without a catalogue entry that need none: what they run is a part of its own.
_PAYLOAD_ONLY = frozenset({"eval", "trap", "exec", "builtin", "coproc", "command", "sudo", "doas"})
_TEXT_ONLY = frozenset({"echo", "printf", "true"})


class RiskAssessor:
    """Assesses an :class:`Analysis` against the path rules of a policy."""

    def __init__(self, rules: PathRuleSet, workspace: Path, agent_writes: AgentWrites | None = None) -> None:
        self.rules = rules
        self.workspace = workspace
        self.agent_writes = agent_writes

    def assess(self, analysis: Analysis) -> list[Finding]:
        return self.assess_full(analysis).findings

    def assess_full(self, analysis: Analysis) -> Assessment:
        """Every finding, plus the files the command's approval binds (see ``Assessment``)."""
        a = Assessment(analysis, self.rules, self.workspace, self.agent_writes)
        for u in analysis.unknowns:
            a.add(Risk.HIGH, u.reason, "unknown:parse", u.subject, unknown=True)
        if analysis.unknowns and DESTRUCTIVE_TEXT.search(analysis.command):
            # The parser could not read everything: a destructive fragment in the raw text decides.
            a.add(
                Risk.CRITICAL,
                "a part the parser could not read contains destructive shell text",
                "risk:unparsed-destructive",
                analysis.command[:200],
            )
        shapes = [_shape_of(a, idx, part) for idx, part in enumerate(analysis.parts)]
        collect_written_here(a, [shape for shape, _ in shapes])
        for idx, part in enumerate(analysis.parts):
            _judge_part(a, idx, part, *shapes[idx])
        for idx, part in enumerate(analysis.parts):
            _judge_bulk_rewrite(a, idx, part, shapes[idx][0])
        for owner, red, cwd in analysis.redirects:
            judge_redirect(a, owner, red, cwd)
        for name, value, _via in analysis.assignments:
            _judge_assignment(a, None, name, value)
        for name, body, bomb in analysis.functions:
            if bomb:
                a.add(
                    Risk.CRITICAL,
                    f"fork bomb: function {name!r} starts copies of itself in the background",
                    "risk:fork-bomb",
                    f"{name}(){body}",
                )
        if analysis.secret_vars:
            names = ", ".join(sorted(set(analysis.secret_vars))[:3])
            if a.network:
                a.add(
                    Risk.HIGH,
                    f"sends secret variables ({names}) over the network",
                    "risk:secret-var-network",
                    analysis.command[:200],
                )
            else:
                a.add(Risk.MEDIUM, f"expands secret variables ({names})", "risk:secret-var", analysis.command[:200])
        _judge_combinations(a)
        a.findings = list(dict.fromkeys(a.findings))  # the same file judged twice is one finding
        return a


def _shape_of(a: Assessment, idx: int, p: Part) -> tuple[Shape | None, list[Tree]]:
    """The known-safe shape of part ``idx`` (None when its program name is unknown until run time),
    and what an ``xargs`` placeholder in it stands for."""
    if not p.name:
        return None, []
    inner_start = wrapper_inner_start(p.name, p.args) if p.wrapper_of is not None else None
    if not p.xargs_placeholder:
        return judge_shape(p, inner_start), []
    if p.name in _TEXT_ONLY:
        return judge_shape(p, inner_start), []  # "xargs echo": whatever comes in is only printed
    feeder = next((i for i, q in enumerate(a.analysis.parts) if q.wrapper_of == idx and q.name == "xargs"), None)
    if feeder is None:
        return Shape().fail("its arguments come from a command the policy cannot read"), []
    trees, why = placeholder_trees(a, feeder)
    if why:
        return Shape().fail(why), []
    marked = [Word(PLACEHOLDER, "<xargs input>") if (w.dynamic and w.text == DYN) else w for w in p.argv]
    return judge_shape(replace(p, argv=marked), inner_start), trees


def _judge_bulk_rewrite(a: Assessment, idx: int, p: Part, shape: Shape | None) -> None:
    """``find -exec sed -i …``, ``xargs touch``: each file alone is a workspace write, but together they
    rewrite a set of files nobody listed, which is destructive work the user should see first."""
    if not p.via.startswith(("find -", "xargs")):
        return
    if idx not in a.writers and (shape is None or not shape.writes):
        return
    feeder = p.via.split()[0]
    a.add(
        Risk.MEDIUM,
        f"{p.name} rewrites every file {feeder} hands it",
        "risk:bulk-rewrite",
        p.display,
        idx,
        verdict=Verdict.REQUIRE_APPROVAL,
    )


def _judge_combinations(a: Assessment) -> None:
    parts = a.analysis.parts
    if a.sensitive and a.network:
        net = parts[a.network[0]]
        a.add(
            Risk.CRITICAL,
            f"reads secrets ({a.sensitive[0]}) and talks to the network ({net.name}): possible exfiltration",
            "risk:exfiltration",
            a.analysis.command[:200],
        )
    net_names = {parts[i].name for i in a.network}
    for idx in a.dynamic_code:
        p = parts[idx]
        srcs = [parts[i] for i in p.pipe_sources]
        if any(s.name in NETWORK or s.name in ("git",) for s in srcs) or (not srcs and a.network):
            a.add(
                Risk.CRITICAL,
                f"runs code fetched from the network ({', '.join(sorted(net_names)) or 'network'}) with {p.name}",
                "risk:remote-code",
                p.display,
                idx,
            )
        elif any(s.name in DECODERS for s in srcs):
            a.add(
                Risk.CRITICAL,
                f"runs a decoded (obfuscated) payload with {p.name}",
                "risk:obfuscated-code",
                p.display,
                idx,
            )


def _judge_part(a: Assessment, idx: int, p: Part, shape: Shape | None, placeholder: list[Tree]) -> None:
    subj = p.display
    if not p.name:
        a.add(
            Risk.HIGH, "the program name is only known at run time", "unknown:dynamic-program", subj, idx, unknown=True
        )
        a.dynamic_code.append(idx)
        _judge_destructive_guesses(a, idx, p)
        return
    if p.odd_name:
        a.add(Risk.HIGH, p.odd_name, "unknown:odd-name", subj, idx, unknown=True)
    if any(c.isspace() for c in p.name) or p.name in ("{", "}"):
        a.add(Risk.HIGH, f"{p.name!r} is not a plain program name", "unknown:odd-name", subj, idx, unknown=True)
    for name, value in p.assignments:
        _judge_assignment(a, idx, name, value)
    if p.code_dynamic:
        a.dynamic_code.append(idx)
    if any(r.op in ("<", "<>") and r.target.dynamic for r in p.redirects) and (
        p.name in SHELLS or is_interpreter(p.name)
    ):
        a.add(Risk.HIGH, f"{p.name} runs code read from a run-time source", "risk:dynamic-code", p.display, idx)
        a.dynamic_code.append(idx)
    _judge_exec_options(a, idx, p)
    known = shape is not None and shape.known
    with a.scratch_findings() as family:
        if p.program_path and not program_dir_is_standard(p.program_path):
            where = ""
            res = resolve_user_path(p.program_path, p.cwd or a.workspace)
            if res.path is not None and res.path.is_relative_to(a.workspace):
                where = " from the workspace"
            a.add(Risk.MEDIUM, f"runs the program {p.program_path}{where}", "risk:run-path", subj, idx)
        _dispatch(a, idx, p, shape_known=known)
    fits = known and shape is not None and not shape.problem
    a.findings.extend(
        f for f in family if not (fits and f.risk is Risk.MEDIUM and f.verdict is None and f.rule in _COVERED_BY_SHAPE)
    )
    judge_program_location(a, idx, p)
    if shape is not None and shape.known:
        apply_shape(a, idx, p, shape, placeholder)
    elif not family and p.name not in p.function_names and p.name not in _PAYLOAD_ONLY:
        a.add(
            Risk.MEDIUM,
            f"{p.name} has no known-safe shape in this policy",
            "shape:unknown-program",
            subj,
            idx,
        )
    if p.name not in NON_PATH_ARGS:
        judge_sensitive_args(a, idx, p)
    if p.name in NETWORK or p.name in RAW_NET:
        a.network.append(idx)


def _dispatch(a: Assessment, idx: int, p: Part, shape_known: bool) -> None:
    """Hand the part to the handler of its program, or of its program's family."""
    subj = p.display
    handler = HANDLERS.get(p.name)
    if p.name in SHELLS:
        code.handle_shell(a, idx, p)
    elif p.name in ("source", "."):
        code.handle_source(a, idx, p)
    elif is_python(p.name):
        code.handle_python(a, idx, p)
    elif is_interpreter(p.name):
        code.handle_interpreter(a, idx, p)
    elif handler is not None:
        handler(a, idx, p)
    elif p.name.startswith("mkfs") or p.name in DISK_DESTROY:
        a.add(Risk.CRITICAL, f"{p.name} formats or repartitions disks", "risk:disk", subj, idx)
    elif p.name in PRIVILEGE:
        a.add(Risk.HIGH, f"{p.name} runs a command with elevated privileges", "risk:privilege", subj, idx)
    elif p.name in POWER:
        a.add(Risk.HIGH, f"{p.name} stops or restarts the machine", "risk:power", subj, idx)
    elif p.name in SYSTEM_ADMIN:
        a.add(Risk.HIGH, f"{p.name} changes system configuration", "risk:system", subj, idx)
        if p.name in ("chown", "chgrp", "chattr", "setfacl"):
            chmod_like(a, idx, p, first_is_mode=p.name != "setfacl")
    elif p.name in RAW_NET:
        network.handle_raw_net(a, idx, p)
    elif p.name in NETWORK:
        network.handle_fetch(a, idx, p)
    elif p.name in PACKAGE_MANAGERS:
        handle_package(a, idx, p)
    elif p.name in BUILD_TOOLS:
        a.add(Risk.MEDIUM, f"{p.name} runs code or changes files", "risk:build", subj, idx)
    elif p.name in READ_ONLY:
        if not shape_known:  # a known shape judges the program's outputs itself
            handle_readonly(a, idx, p)
    elif p.name in p.function_names:
        pass  # a call to a function defined in the same line: its body was judged
    else:
        a.add(
            Risk.MEDIUM,
            f"{p.name} is not a program this policy knows",
            "risk:unknown-program",
            subj,
            idx,
            unknown_program=True,
        )


def _judge_exec_options(a: Assessment, idx: int, p: Part) -> None:
    """Options that make an otherwise harmless program run another program."""
    opts = EXEC_OPTIONS.get(p.name)
    if not opts:
        return
    for w in p.args:
        t = w.text
        if any(
            t == o
            or t.startswith(o + "=")
            or (len(o) == 2 and t.startswith(o) and len(t) > 2 and not t.startswith("--"))
            for o in opts
        ):
            k = p.args.index(w)
            value = t.split("=", 1)[1] if "=" in t else (p.args[k + 1].text if k + 1 < len(p.args) else "")
            if p.name == "ssh" and not re.search(r"(?i)proxycommand|localcommand|permitlocalcommand", t + value):
                continue
            joined = " ".join(x.text for x in p.args)
            if DESTRUCTIVE_TEXT.search(joined):
                a.add(
                    Risk.CRITICAL,
                    f"{p.name} {t.split('=')[0]} runs destructive shell text",
                    "risk:exec-option",
                    p.display,
                    idx,
                )
            else:
                a.add(
                    Risk.HIGH,
                    f"{p.name} {t.split('=')[0]} makes it run another program",
                    "risk:exec-option",
                    p.display,
                    idx,
                )
            return


def _judge_destructive_guesses(a: Assessment, idx: int, p: Part) -> None:
    """A run-time program name that would be catastrophic if it were rm/chmod/dd/... is denied."""
    for guess, handler in DESTRUCTIVE_GUESSES.items():
        probe = Part(argv=[Word(guess, guess), *p.args], name=guess, display=p.display, cwd=p.cwd)
        with a.scratch_findings() as scratch:
            handler(a, idx, probe)
            crit = [f for f in scratch if f.risk is Risk.CRITICAL]
        if crit:
            a.add(
                Risk.CRITICAL,
                f"a run-time program name with arguments that would be destructive for {guess}: {crit[0].reason}",
                "risk:dynamic-destructive",
                p.display,
                idx,
            )
            return


def _judge_assignment(a: Assessment, idx: int | None, name: str, value: Word) -> None:
    base = name.split("[", 1)[0]
    if base in SEARCH_PATH_ENV:
        for entry in value.text.split(":"):
            path = resolve_user_path(entry, a.workspace).path if entry and DYN not in entry else None
            if path is None or not path.is_relative_to(a.workspace):
                a.add(
                    Risk.HIGH,
                    f"{base}={value.raw} imports code from outside the workspace",
                    "risk:env-var",
                    f"{base}={value.raw}"[:200],
                    idx,
                )
                return
        return
    if DANGEROUS_ENV_RE.match(base):
        a.add(
            Risk.HIGH,
            f"setting {base} changes which programs run or how",
            "risk:env-var",
            f"{base}={value.raw}"[:200],
            idx,
        )
