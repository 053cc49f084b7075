"""Processes, services, the environment and the machine: kill, systemctl, crontab, docker,
``env``/``export`` dumps (which print every token in the environment)."""

from __future__ import annotations

import re

from openagent_lsp.policy.risk.args import positionals
from openagent_lsp.policy.risk.assessment import Assessment
from openagent_lsp.policy.risk.files import handle_readonly
from openagent_lsp.policy.shell import DYN, Part
from openagent_lsp.policy.types import Risk

_CONTAINER_ESCAPE_RE = re.compile(
    r"--privileged|--pid[= ]host|--net(work)?[= ]host|(-v|--volume)[= ]/[:\s]|"
    r"(-v|--volume)[= ]/var/run/docker\.sock|--cap-add"
)
_SYSTEMCTL_READ = ("status", "list-units", "list-unit-files", "show", "is-active", "is-enabled", "cat", "")
_SYSTEMCTL_POWER = ("poweroff", "reboot", "halt", "kexec", "suspend", "hibernate", "rescue", "emergency")


def handle_kill(a: Assessment, idx: int, p: Part) -> None:
    args = [w.text for w in p.args]
    i = 0
    if args and args[0] in ("-s", "-n", "--signal"):
        i = 2
    elif args and args[0].startswith("-") and args[0] != "--":
        i = 1
    if i < len(args) and args[i] == "--":
        i += 1
    targets = args[i:]
    if any(t in ("-1", "1") or DYN in t for t in targets):
        a.add(Risk.HIGH, "kills every process (or init)", "risk:kill-all", p.display, idx)
    else:
        a.add(Risk.MEDIUM, "sends signals to processes", "risk:kill", p.display, idx)


def handle_killall5(a: Assessment, idx: int, p: Part) -> None:
    a.add(Risk.HIGH, "kills every process", "risk:kill-all", p.display, idx)


def handle_hostname(a: Assessment, idx: int, p: Part) -> None:
    if positionals(p.args):
        a.add(Risk.HIGH, "changes the host name", "risk:system", p.display, idx)


def handle_container(a: Assessment, idx: int, p: Part) -> None:
    joined = " ".join(w.text for w in p.args)
    if _CONTAINER_ESCAPE_RE.search(joined):
        a.add(Risk.HIGH, f"{p.name} gives a container control of this machine", "risk:container-escape", p.display, idx)
    else:
        a.add(Risk.MEDIUM, f"{p.name} runs containers", "risk:build", p.display, idx)


def handle_hash(a: Assessment, idx: int, p: Part) -> None:
    if any(w.text.startswith("-") and "p" in w.text for w in p.args):
        a.add(Risk.HIGH, "hash -p maps a command name to another program", "risk:env-var", p.display, idx)


def handle_systemctl(a: Assessment, idx: int, p: Part) -> None:
    pos = positionals(p.args)
    sub = pos[0].text if pos else ""
    if sub in _SYSTEMCTL_READ:
        handle_readonly(a, idx, p)
    elif sub in _SYSTEMCTL_POWER:
        a.add(Risk.HIGH, f"systemctl {sub} stops the machine", "risk:power", p.display, idx)
    else:
        a.add(Risk.HIGH, f"systemctl {sub} changes running services", "risk:system", p.display, idx)


def handle_crontab(a: Assessment, idx: int, p: Part) -> None:
    if [w.text for w in p.args] == ["-l"]:
        return
    a.add(Risk.HIGH, "crontab changes scheduled jobs (persistence)", "risk:persistence", p.display, idx)


def handle_history(a: Assessment, idx: int, p: Part) -> None:
    a.add(Risk.MEDIUM, "history", "risk:history", p.display, idx)


def handle_set(a: Assessment, idx: int, p: Part) -> None:
    if not p.args:
        env_dump(a, idx, p)


def handle_printenv(a: Assessment, idx: int, p: Part) -> None:
    if not positionals(p.args):
        env_dump(a, idx, p)
    else:
        names = [w.text for w in positionals(p.args)]
        if any(re.search(r"TOKEN|SECRET|PASS|KEY|CRED", n, re.I) for n in names):
            a.sensitive.append("secret environment variable")
            a.add(Risk.MEDIUM, "prints secret environment variables", "risk:env-secret", p.display, idx)


def handle_env(a: Assessment, idx: int, p: Part) -> None:
    if p.wrapper_of is None:
        env_dump(a, idx, p)


def env_dump(a: Assessment, idx: int, p: Part) -> None:
    a.sensitive.append("environment variables")
    a.add(Risk.MEDIUM, "prints every environment variable (tokens and keys included)", "risk:env-dump", p.display, idx)
