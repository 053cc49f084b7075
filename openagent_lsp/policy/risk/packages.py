"""Package managers: installs run install scripts and fetch from the network; ``npx``-style
runners download and run a package."""

from __future__ import annotations

from openagent_lsp.policy.risk.args import opt_values, positionals
from openagent_lsp.policy.risk.assessment import Assessment
from openagent_lsp.policy.risk.tables import PM_INSTALL, PM_READ_SUBCOMMANDS
from openagent_lsp.policy.risk.targets import judge_target
from openagent_lsp.policy.shell import Part
from openagent_lsp.policy.types import FileOp, Risk

_VALUE_OPTIONS = frozenset(
    {
        "-C",
        "--cwd",
        "--prefix",
        "-r",
        "--requirement",
        "-c",
        "-e",
        "--python",
        "-p",
        "--index-url",
        "-i",
        "--extra-index-url",
        "--target",
        "-t",
    }
)


def handle_package(a: Assessment, idx: int, p: Part) -> None:
    pos = positionals(p.args, _VALUE_OPTIONS)
    sub = pos[0].text if pos else (p.args[0].text if p.args else "")
    if not p.args or sub in PM_READ_SUBCOMMANDS or (sub in ("run", "exec") and p.name in ("uv", "poetry")):
        return
    if p.name in ("npx", "uvx", "pipx") or (p.name in ("npm", "pnpm", "yarn", "bun") and sub in ("exec", "dlx", "x")):
        a.add(Risk.MEDIUM, f"{p.name} downloads and runs a package", "risk:package-run", p.display, idx)
        a.network.append(idx)
        return
    if sub in PM_INSTALL:
        a.add(
            Risk.MEDIUM,
            f"{p.name} {sub} installs or changes packages (network, install scripts)",
            "risk:package-install",
            p.display,
            idx,
        )
        a.network.append(idx)
        for w in opt_values(p.args, ("--target", "-t", "--prefix", "--root")):
            judge_target(a, idx, p.display, w, p.cwd, FileOp.WRITE, verb="install into")
        return
    a.add(Risk.MEDIUM, f"{p.name} {sub} runs project code or tooling", "risk:build", p.display, idx)
