"""The state of judging one analysed command line.

An :class:`Assessment` is created for every command and thrown away after it: the findings, and
the facts that only matter in combination (a secret read here, a network program there), live on
it rather than on a long-lived assessor, so no call can see another call's state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from openagent_lsp.policy.paths import PathRuleSet, home_dir
from openagent_lsp.policy.session import AgentWrites
from openagent_lsp.policy.shell import Analysis, Part
from openagent_lsp.policy.types import BoundFile, Risk, Verdict


@dataclass(frozen=True)
class Finding:
    """One reason a command is risky. ``verdict`` forces a verdict (path rules); ``part`` links
    the finding to the part whose policy rules apply."""

    risk: Risk
    reason: str
    rule: str
    subject: str
    part: int | None = None
    verdict: Verdict | None = None
    unknown: bool = False
    unknown_program: bool = False
    # The part runs workspace code: it may run only inside the OS sandbox.
    requires_sandbox: bool = False
    # The part is git writing its own repository (index, refs): the sandbox must leave .git writable.
    git_write: bool = False


class Assessment:
    """Findings about one :class:`Analysis`, plus what combines across its parts."""

    def __init__(
        self,
        analysis: Analysis,
        rules: PathRuleSet,
        workspace: Path,
        agent_writes: AgentWrites | None = None,
    ) -> None:
        self.analysis = analysis
        self.rules = rules
        self.workspace = workspace
        self.home = home_dir()
        self.agent_writes = agent_writes
        # Links made by an earlier part of this command line (lexical path -> what it points to):
        # a later write or read through one of them is judged as unknowable.
        self.created_links: dict[Path, str] = {}
        # Files this command line writes (redirects, outputs): a runner loading one of them asks.
        self.written_here: set[Path] = set()
        # Files some part writes or deletes by any route (sed -i, rm, redirects...), and which parts.
        self.changed: set[Path] = set()
        self.writers: set[int] = set()
        # Scripts and modules the command runs, bound by content for exact grants.
        self.bound_files: list[BoundFile] = []
        self.findings: list[Finding] = []
        # Paths (or "environment variables") holding secrets that some part reads.
        self.sensitive: list[str] = []
        # Indexes of parts that talk to the network.
        self.network: list[int] = []
        # Indexes of parts that run code only known at run time (a shell fed by a pipe, eval $X...).
        self.dynamic_code: list[int] = []

    def add(
        self,
        risk: Risk,
        reason: str,
        rule: str,
        subject: str,
        part: int | None = None,
        verdict: Verdict | None = None,
        unknown: bool = False,
        unknown_program: bool = False,
        requires_sandbox: bool = False,
        git_write: bool = False,
    ) -> None:
        self.findings.append(
            Finding(risk, reason, rule, subject, part, verdict, unknown, unknown_program, requires_sandbox, git_write)
        )

    @contextmanager
    def scratch_findings(self) -> Iterator[list[Finding]]:
        """Collect findings into a throw-away list (to probe "what if this were rm?")."""
        saved = self.findings
        self.findings = []
        try:
            yield self.findings
        finally:
            self.findings = saved


# Every program handler has this shape: (assessment, index of the part, the part).
Handler = Callable[[Assessment, int, Part], None]
