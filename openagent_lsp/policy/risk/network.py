"""Programs that talk to the network: raw sockets and shells (nc, socat, ssh) and fetchers
(curl, wget, rsync...)."""

from __future__ import annotations

import re

from openagent_lsp.policy.risk.args import opt_values, positionals, short_flags
from openagent_lsp.policy.risk.assessment import Assessment
from openagent_lsp.policy.risk.targets import judge_target
from openagent_lsp.policy.shell import Part, Word
from openagent_lsp.policy.types import FileOp, Risk

_UPLOAD_OPTIONS = (
    "-d",
    "--data",
    "-F",
    "--form",
    "-T",
    "--upload-file",
    "--post-file",
    "--body-file",
    "--post-data",
)
_WGET_OUTPUTS = (
    "-O",
    "--output-document",
    "-P",
    "--directory-prefix",
    "-o",
    "--output-file",
    "-a",
    "--append-output",
)


def handle_raw_net(a: Assessment, idx: int, p: Part) -> None:
    texts = [w.text for w in p.args]
    joined = " ".join(texts).lower()
    flags = short_flags(p.args)
    if p.name in ("nc", "ncat", "netcat") and (
        {"e", "c"} & flags or "--exec" in joined or "--sh-exec" in joined or "--lua-exec" in joined
    ):
        a.add(
            Risk.CRITICAL,
            f"{p.name} -e hands a shell to the network (reverse/bind shell)",
            "risk:reverse-shell",
            p.display,
            idx,
        )
        return
    if p.name == "socat" and re.search(r"\b(exec|system):", joined):
        a.add(
            Risk.CRITICAL,
            "socat exec: connects a program to the network (reverse shell)",
            "risk:reverse-shell",
            p.display,
            idx,
        )
        return
    if p.name == "ssh":
        if {"R", "L", "D"} & flags or any(t.startswith("-oProxyCommand") or "proxycommand" in t.lower() for t in texts):
            a.add(Risk.HIGH, "ssh opens tunnels or runs a proxy command", "risk:ssh-tunnel", p.display, idx)
        a.add(Risk.HIGH, "ssh runs commands on another machine with your keys", "risk:ssh", p.display, idx)
        return
    if p.name in ("scp", "sftp"):
        a.add(Risk.HIGH, f"{p.name} copies files to or from another machine", "risk:remote-copy", p.display, idx)
        return
    if "l" in flags and p.name in ("nc", "ncat", "netcat"):
        a.add(Risk.HIGH, f"{p.name} -l listens for connections", "risk:listener", p.display, idx)
        return
    a.add(Risk.HIGH, f"{p.name} opens raw network connections", "risk:raw-network", p.display, idx)


def handle_fetch(a: Assessment, idx: int, p: Part) -> None:
    name = p.name
    if name == "openssl":
        sub = p.args[0].text if p.args else ""
        if sub not in ("s_client", "s_server"):
            for w in opt_values(p.args, ("-out",)):
                judge_target(a, idx, p.display, w, p.cwd, FileOp.WRITE)
            return
    if name in ("gh", "glab"):
        a.add(Risk.MEDIUM, f"{name} talks to the code-hosting service", "risk:network", p.display, idx)
        return
    if name == "rsync":
        _rsync(a, idx, p)
        return
    upload = any(w.text.startswith(_UPLOAD_OPTIONS) for w in p.args)
    a.add(
        Risk.MEDIUM,
        f"{name} {'uploads to' if upload else 'downloads from'} the network",
        "risk:network",
        p.display,
        idx,
    )
    outs: list[Word] = []
    if name == "curl":
        outs = opt_values(p.args, ("-o", "--output"))
        if any(w.text in ("-K", "--config") for w in p.args):
            a.add(Risk.MEDIUM, "curl reads a config file", "risk:network", p.display, idx)
    elif name == "wget":
        outs = opt_values(p.args, _WGET_OUTPUTS)
    elif name in ("aria2c",):
        outs = opt_values(p.args, ("-d", "--dir", "-o", "--out"))
    for w in outs:
        if w.text == "-":
            continue
        judge_target(a, idx, p.display, w, p.cwd, FileOp.WRITE, verb="download into")


def _rsync(a: Assessment, idx: int, p: Part) -> None:
    pos = positionals(p.args, frozenset({"-e", "--rsh", "--exclude", "--include", "--filter", "-f"}))
    remote = any(":" in w.text and not w.text.startswith("/") for w in pos)
    a.add(
        Risk.HIGH if remote else Risk.MEDIUM,
        "rsync copies files" + (" to another machine" if remote else ""),
        "risk:rsync",
        p.display,
        idx,
    )
    if pos and ":" not in pos[-1].text:
        judge_target(a, idx, p.display, pos[-1], p.cwd, FileOp.WRITE, recursive=False, verb="rsync into")
    if any(w.text.startswith(("-e", "--rsh")) for w in p.args):
        a.add(Risk.HIGH, "rsync -e runs a program", "risk:rsync-exec", p.display, idx)
