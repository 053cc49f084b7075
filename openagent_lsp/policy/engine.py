"""PolicyEngine: the single place that says ALLOW, DENY or REQUIRE_APPROVAL.

It combines three things: the parsed command (shell.py), how risky each part is (risk/, with the
allowlist of known-safe argument shapes in shapes/) and the user's policy rules (schema.py). A chain
is as bad as its worst part, and the reason names the part that decided, so the approval prompt
tells the user what actually matters.

A command that runs workspace code (tests, builds, scripts) is allowed only because the caller runs
it inside the OS sandbox: the decision says so (``requires_sandbox``), and an engine told that there
is no sandbox (``sandboxed=False``) asks instead.

``grant_key`` scopes "always allow" to the exact command: structure, every argument and variable
value quoted, the working directory, the resolved path of every program, and the content hash of
every script or module it runs. A stored grant matches a new command only if the new command
produces the *same* key (so a changed script no longer matches) and is not DENY-level.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from openagent_lsp.policy.paths import SAFE_DEVICE_WRITES
from openagent_lsp.policy.paths import check_path as _check_path
from openagent_lsp.policy.risk import Finding, RiskAssessor
from openagent_lsp.policy.schema import Policy, default_policy, load_policy, split_rule
from openagent_lsp.policy.session import AgentWrites
from openagent_lsp.policy.shell import DYN, MAX_COMMAND_CHARS, Analysis, Part, analyze
from openagent_lsp.policy.types import BoundFile, Decision, FileOp, Risk, Verdict

_VERDICT_RANK = {Verdict.ALLOW: 0, Verdict.REQUIRE_APPROVAL: 1, Verdict.DENY: 2}
GRANT_PREFIX = "cmd2:"
# Shell builtins run no program file: their grant key names them as builtins.
_BUILTINS = frozenset(
    {"cd", "echo", "printf", "test", "[", "read", "mapfile", "readarray", "set", "shopt", "export", "unset", "type",
     "command", "hash", "pwd", "true", "false", ":", "source", ".", "eval", "exec", "exit", "return", "local",
     "declare", "typeset", "wait", "umask", "trap", "let", "alias", "getopts", "shift", "break", "continue",
     "pushd", "popd", "dirs", "time", "builtin", "kill", "ulimit"}
)
_STRICT_ENV = "OPENAGENT_EXEC_STRICT"
# Findings about moving, writing or deleting files whose every path the path policy already judged.
_FILE_OPERATION_RULES = frozenset({"risk:move", "risk:write", "risk:delete"})
# Findings and rules that mean git changes its own repository (index, refs, objects).
_GIT_WRITE_RULES = ("risk:git-write", "risk:git-destroy", "risk:git-push", "risk:git-force-push",
                    "risk:git-network", "policy:ask:git ", "policy:allow:git ")


def strict_from_env() -> bool:
    return os.environ.get(_STRICT_ENV, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class _Rule:
    text: str
    program: str
    patterns: tuple[str, ...]
    open_ended: bool

    @classmethod
    def parse(cls, text: str) -> _Rule:
        tokens = split_rule(text)
        program = tokens[0].rstrip("/").rsplit("/", 1)[-1].lower()
        pats = tokens[1:]
        open_ended = bool(pats) and pats[-1] == "*"
        if open_ended:
            pats = pats[:-1]
        return cls(text, program, tuple(pats), open_ended)

    def matches(self, part: Part) -> bool:
        if self.program != "*" and part.name != self.program:
            return False
        args = [w.text for w in part.args]
        if len(args) < len(self.patterns) or (not self.open_ended and len(args) != len(self.patterns)):
            return False
        # A run-time-only argument can only be matched by a bare "*" pattern.
        return all(
            (pat == "*" if DYN in arg else fnmatchcase(arg, pat))
            for pat, arg in zip(self.patterns, args, strict=False)
        )


@dataclass(frozen=True)
class _Candidate:
    verdict: Verdict
    risk: Risk
    reason: str
    rule: str
    subject: str
    # Allowed only because it runs in the sandbox (workspace code, or a program a policy rule allows).
    sandbox: bool = False

    def rank(self) -> tuple[int, int]:
        return _VERDICT_RANK[self.verdict], self.risk.rank


class PolicyEngine:
    """Decides about shell commands and file operations for one policy."""

    def __init__(
        self,
        policy: Policy,
        strict: bool = False,
        *,
        sandboxed: bool = True,
        agent_writes: AgentWrites | None = None,
    ) -> None:
        """``sandboxed``: the caller runs commands that need it inside the OS sandbox. Pass False
        where the system has none (``openagent_lsp.sandbox.detect_sandbox``): every command that
        runs workspace code then asks. ``agent_writes`` is the record of files the agent wrote."""
        self.policy = policy
        self.strict = bool(strict or policy.strict)
        self.sandboxed = sandboxed
        self.agent_writes = agent_writes if agent_writes is not None else AgentWrites()
        self.load_warning: str | None = None
        self._path_rules = policy.paths.rule_set()
        self._allow = [_Rule.parse(r) for r in policy.commands.allow]
        self._ask = [_Rule.parse(r) for r in policy.commands.ask]
        self._deny = [_Rule.parse(r) for r in policy.commands.deny]

    @classmethod
    def from_file(
        cls,
        path: str | None,
        strict: bool | None = None,
        *,
        sandboxed: bool = True,
        agent_writes: AgentWrites | None = None,
    ) -> PolicyEngine:
        """Build from a policy file; a broken file falls back to the strict default (see load_warning).

        ``strict=None`` means: the policy's own flag, or OPENAGENT_EXEC_STRICT. ``sandboxed``: see
        ``__init__`` (pass ``detect_sandbox().level.runs_workspace_code_safely``).
        """
        policy, warning = load_policy(path)
        eff = strict if strict is not None else (policy.strict or strict_from_env())
        engine = cls(policy, strict=eff or policy.strict, sandboxed=sandboxed, agent_writes=agent_writes)
        engine.load_warning = warning
        return engine

    @classmethod
    def default(cls, strict: bool = False, *, sandboxed: bool = True) -> PolicyEngine:
        return cls(default_policy(), strict=strict, sandboxed=sandboxed)

    # -- files the agent wrote ----------------------------------------------------------------------
    def record_agent_write(self, path: Path | str) -> None:
        """The file tools call this for every file the agent writes (runners that load it then ask)."""
        self.agent_writes.record(path)

    def record_command_writes(self, workspace: Path, since: float) -> list[Path]:
        """The shell tool calls this after each agent command with the time it started: files it
        changed count as written by the agent."""
        return self.agent_writes.record_changes(Path(workspace).resolve(), since)

    def forget_agent_writes(self) -> None:
        self.agent_writes.forget()

    # -- files --------------------------------------------------------------------------------------
    def check_path(self, op: FileOp, path: str, workspace: Path) -> Decision:
        """Decide a file operation (``path`` as the model wrote it, relative to ``workspace``)."""
        return _check_path(FileOp(op), path, Path(workspace), self._path_rules, self.strict)

    # -- commands -----------------------------------------------------------------------------------
    def check_command(self, command: str, cwd: Path, workspace: Path) -> Decision:
        """Decide a shell command line. Never raises: an internal error is a DENY with the reason."""
        try:
            decision, _ = self._decide(command, Path(cwd), Path(workspace))
            return decision
        except Exception as exc:  # fail closed
            return Decision(
                Verdict.DENY,
                Risk.HIGH,
                f"the policy engine failed on this command ({exc.__class__.__name__}: {exc})",
                "engine:error",
            )

    def grant_key_matches(self, command: str, grant_key: str, cwd: Path, workspace: Path) -> bool:
        """True when a stored "always allow" ``grant_key`` covers ``command`` exactly.

        A grant never covers a DENY-level or unparsable command, and compares the full canonical
        shape, so it cannot stretch to another program, an extra pipe/chain element or other paths.
        """
        if not grant_key or not isinstance(grant_key, str):
            return False
        decision = self.check_command(command, cwd, workspace)
        if decision.verdict is Verdict.DENY or not decision.grant_key:
            return False
        return hmac.compare_digest(decision.grant_key.encode(), grant_key.encode())

    matches_grant = grant_key_matches

    def explain(self, command: str, cwd: Path, workspace: Path) -> tuple[Decision, list[Finding]]:
        """The decision plus every finding behind it (for the CLI and for debugging policies)."""
        return self._decide(command, Path(cwd), Path(workspace))

    # -- internals ----------------------------------------------------------------------------------
    def _decide(self, command: str, cwd: Path, workspace: Path) -> tuple[Decision, list[Finding]]:
        if not isinstance(command, str):
            return Decision(Verdict.DENY, Risk.HIGH, "the command is not a string", "unknown:invalid"), []
        try:
            ws = workspace.resolve()
            cwd_r = cwd.resolve() if cwd.is_absolute() else (ws / cwd).resolve()
        except (OSError, RuntimeError, ValueError):
            return Decision(
                Verdict.DENY, Risk.HIGH, "the working directory cannot be resolved", "unknown:cwd"
            ), []
        if "\x00" in command:
            return Decision(Verdict.DENY, Risk.HIGH, "the command contains a NUL byte", "unknown:nul"), []
        if len(command) > MAX_COMMAND_CHARS:
            return Decision(
                Verdict.DENY,
                Risk.HIGH,
                f"the command is longer than {MAX_COMMAND_CHARS} characters: too long to review",
                "unknown:too-long",
            ), []
        # Control and bidi characters can make the approval prompt show something else than
        # what runs; such a command can be approved once but never granted.
        tricks = _has_display_tricks(command)
        analysis = analyze(command, cwd_r, ws)
        if analysis.empty:
            return Decision(
                Verdict.DENY, Risk.LOW, "nothing to run (empty command or only comments)", "unknown:empty"
            ), []
        assessment = RiskAssessor(self._path_rules, ws, self.agent_writes).assess_full(analysis)
        findings = assessment.findings
        if tricks:
            findings.append(
                Finding(
                    Risk.HIGH,
                    "the command contains control or bidirectional characters that can hide what it does",
                    "unknown:control-chars",
                    command[:200],
                    unknown=True,
                )
            )
        candidates = self._candidates(analysis, findings)
        requires_sandbox = any(f.requires_sandbox for f in findings) or any(c.sandbox for c in candidates)
        git_write = any(f.git_write for f in findings)
        git_only = bool(analysis.parts) and all(p.name == "git" for p in analysis.parts)
        if git_only and any(r.startswith(_GIT_WRITE_RULES) for r in [*(f.rule for f in findings),
                                                                      *(c.rule for c in candidates)]):
            # commit, merge, rebase...: they ask, and once approved they must be able to write .git.
            git_write = True
        if git_write and not git_only:
            candidates.append(
                _Candidate(
                    Verdict.REQUIRE_APPROVAL,
                    Risk.MEDIUM,
                    "git writes the repository, and other programs in the same command would run with .git writable",
                    "sandbox:git-write-mixed",
                    "",
                )
            )
        worst = max(candidates, key=_Candidate.rank)
        if worst.verdict is Verdict.ALLOW and requires_sandbox and (self.strict or not self.sandboxed):
            why = (
                "it runs workspace code (strict mode asks first)"
                if self.sandboxed
                else "it runs workspace code, and this system has no OS sandbox to contain it"
            )
            worst = _Candidate(Verdict.REQUIRE_APPROVAL, Risk.MEDIUM, why, "sandbox:unavailable", "")
            candidates.append(worst)
        changed = assessment.written_here | assessment.changed
        writes = sorted(str(p) for p in changed if str(p) not in SAFE_DEVICE_WRITES)
        if worst.verdict is Verdict.ALLOW and writes and not self.sandboxed:
            # Without an OS sandbox nothing contains what the analysis missed: only plainly
            # read-only commands run without a prompt.
            why = "it writes files, and this system has no OS sandbox to contain it"
            worst = _Candidate(Verdict.REQUIRE_APPROVAL, Risk.MEDIUM, why, "sandbox:unavailable", "")
            candidates.append(worst)
        needs_network = bool(assessment.network)
        if worst.verdict is Verdict.ALLOW and needs_network:
            # The sandbox has no network unless a prompt said "with network" and the user agreed.
            why = "it uses the network, which a command gets only when you approve it"
            worst = _Candidate(Verdict.REQUIRE_APPROVAL, Risk.MEDIUM, why, "sandbox:network", "")
            candidates.append(worst)
        risk = max((c.risk for c in candidates), key=lambda r: r.rank)
        many = len(analysis.parts) > 1
        reason = f"{worst.subject}: {worst.reason}" if many and worst.subject else worst.reason
        grantable = (
            worst.verdict is not Verdict.DENY
            and not any(f.unknown for f in findings)
            and not any(f.rule.startswith("path:protected") for f in findings)
            and all(p.name for p in analysis.parts)
            and risk is not Risk.CRITICAL
        )
        bound = tuple(dict.fromkeys(assessment.bound_files))
        key = _grant_key(analysis, bound, cwd_r) if grantable else ""
        summary = _grant_summary(analysis, bound, cwd_r, ws, needs_network) if grantable else ""
        details = tuple(f"{f.risk.value}: {f.subject}: {f.reason}" for f in findings)[:50]
        return Decision(
            worst.verdict,
            risk,
            reason[:1000],
            worst.rule,
            grant_key=key,
            details=details,
            requires_sandbox=requires_sandbox,
            git_write=git_write and worst.verdict is not Verdict.DENY,
            bound_files=bound,
            needs_network=needs_network and worst.verdict is not Verdict.DENY,
            grant_summary=summary,
            writes_protected=any(f.rule.startswith("path:protected") for f in findings),
        ), findings

    def _candidates(self, analysis: Analysis, findings: list[Finding]) -> list[_Candidate]:
        by_part: dict[int | None, list[Finding]] = {}
        for f in findings:
            by_part.setdefault(f.part, []).append(f)
        out: list[_Candidate] = []
        for idx, part in enumerate(analysis.parts):
            out.extend(self._part_candidates(part, by_part.get(idx, [])))
        for f in by_part.get(None, []):
            out.append(self._finding_candidate(f, allow_rule=None, ask_rule=None))
        if not out:
            out.append(_Candidate(Verdict.ALLOW, Risk.LOW, "nothing risky found", "risk:low", ""))
        return out

    def _part_candidates(self, part: Part, findings: list[Finding]) -> list[_Candidate]:
        out: list[_Candidate] = []
        subject = part.display[:200]
        if part.name:
            deny = next((r for r in self._deny if r.matches(part)), None)
            if deny is not None:
                out.append(
                    _Candidate(
                        Verdict.DENY,
                        max([Risk.HIGH, *(f.risk for f in findings)], key=_rank),
                        f"denied by policy rule '{deny.text}'",
                        f"policy:deny:{deny.text}",
                        subject,
                    )
                )
            ask = next((r for r in self._ask if r.matches(part)), None)
            allow = next((r for r in self._allow if r.matches(part)), None)
        else:
            ask = allow = None
        if ask is not None:
            out.append(
                _Candidate(
                    Verdict.REQUIRE_APPROVAL,
                    max([Risk.LOW, *(f.risk for f in findings)], key=_rank),
                    f"policy rule '{ask.text}' asks for approval",
                    f"policy:ask:{ask.text}",
                    subject,
                )
            )
        for f in findings:
            out.append(self._finding_candidate(f, allow_rule=allow, ask_rule=ask))
        if not findings and not out:
            out.append(
                _Candidate(
                    Verdict.ALLOW,
                    Risk.LOW,
                    f"{part.name or 'command'} is read-only or low-risk",
                    "risk:low",
                    subject,
                )
            )
        return out

    def _finding_candidate(self, f: Finding, allow_rule: _Rule | None, ask_rule: _Rule | None) -> _Candidate:
        subject = f.subject[:200]
        if f.verdict is not None:
            v = f.verdict
            if f.risk is Risk.CRITICAL:
                v = Verdict.DENY
            return _Candidate(v, f.risk, f.reason, f.rule, subject)
        if f.risk is Risk.CRITICAL:
            return _Candidate(Verdict.DENY, f.risk, f.reason, f.rule, subject)
        if f.unknown:
            v = Verdict.DENY if self.strict else Verdict.REQUIRE_APPROVAL
            return _Candidate(
                v, f.risk, f.reason + (" (strict mode)" if self.strict else ""), f.rule, subject
            )
        if f.risk is Risk.HIGH:
            return _Candidate(Verdict.REQUIRE_APPROVAL, f.risk, f.reason, f.rule, subject)
        if f.risk is Risk.MEDIUM:
            if f.unknown_program and self.strict and allow_rule is None and ask_rule is None:
                return _Candidate(
                    Verdict.DENY, f.risk, f.reason + " (strict mode denies unknown programs)", f.rule, subject
                )
            if allow_rule is not None and not self.strict:
                # The policy allows what the engine cannot model: it runs, but only in the sandbox
                # (plain file operations excepted: the path policy judged every file they touch).
                return _Candidate(
                    Verdict.ALLOW,
                    f.risk,
                    f"{f.reason}; allowed by policy rule '{allow_rule.text}'",
                    f"policy:allow:{allow_rule.text}",
                    subject,
                    sandbox=f.rule not in _FILE_OPERATION_RULES,
                )
            return _Candidate(Verdict.REQUIRE_APPROVAL, f.risk, f.reason, f.rule, subject)
        return _Candidate(Verdict.ALLOW, f.risk, f.reason, f.rule, subject)


def _rank(r: Risk) -> int:
    return r.rank


def _has_display_tricks(command: str) -> bool:
    for ch in command:
        o = ord(ch)
        if ch in "\n\t":
            continue
        if (
            o < 0x20
            or 0x7F <= o <= 0x9F
            or 0x202A <= o <= 0x202E
            or 0x2066 <= o <= 0x2069
            or o in (0x200E, 0x200F)
        ):
            return True
    return False


def _grant_key(analysis: Analysis, bound: Iterable[BoundFile], cwd: Path) -> str:
    """The exact command: its shape, where each program resolves to, and every script's content."""
    body = " ".join(t for t in analysis.key_tokens if t).replace(DYN, "$?")
    programs = sorted({f"{p.name}={_program_location(p)}" for p in analysis.parts if p.name})
    contents = sorted(f"{b.path}#sha256={b.sha256}" for b in bound)
    full = " || ".join(x for x in (body, " ".join(programs), " ".join(contents)) if x)
    if len(full) > 600:
        return GRANT_PREFIX + "sha256:" + hashlib.sha256(full.encode("utf-8", "surrogatepass")).hexdigest()
    return GRANT_PREFIX + full


def _grant_summary(analysis: Analysis, bound: Iterable[BoundFile], cwd: Path, workspace: Path, network: bool) -> str:
    """What the grant key covers, said plainly: the same words, programs, place and script contents."""
    where = "the workspace root" if cwd == workspace else _shown(cwd, workspace)
    terms = [f"run from {where}"]
    programs = sorted({f"{p.name} ({_program_location(p)})" for p in analysis.parts if p.name})
    if programs:
        terms.append("programs " + ", ".join(programs[:6]) + (" …" if len(programs) > 6 else ""))
    scripts = sorted({_shown(b.path, workspace) for b in bound})
    if scripts:
        terms.append("only while " + ", ".join(scripts[:4]) + " keep the content they have now")
    if network:
        terms.append("with network access")
    return "this exact command, word for word (" + "; ".join(terms) + ")"


def _shown(path: Path, workspace: Path) -> str:
    try:
        return "./" + path.relative_to(workspace).as_posix()
    except ValueError:
        return str(path)


def _program_location(part: Part) -> str:
    """Where a part's program really is: two programs with one name in different places differ."""
    if part.name in part.function_names:
        return "function"
    if part.program_path:
        base = part.cwd if part.cwd is not None else Path("/")
        path = Path(part.program_path) if part.program_path.startswith("/") else base / part.program_path
        try:
            return str(path.resolve())
        except (OSError, RuntimeError):
            return str(path)
    if part.name in _BUILTINS:
        return "builtin"
    found = shutil.which(part.argv[0].text)
    if found is None:
        return "not-found"
    try:
        return str(Path(found).resolve())
    except (OSError, RuntimeError):
        return found
