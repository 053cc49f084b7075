"""git: read-only sub-commands, history rewrites, network, and the options and config keys that
make git run programs."""

from __future__ import annotations

from pathlib import Path

from openagent_lsp.policy.risk.args import long_flags, opt_values, positionals, short_flags
from openagent_lsp.policy.risk.assessment import Assessment
from openagent_lsp.policy.risk.tables import (
    DESTRUCTIVE_TEXT,
    GIT_EXEC_CONFIG_RE,
    GIT_HISTORY_REWRITE,
    GIT_NETWORK_SUBCOMMANDS,
    GIT_READ_SUBCOMMANDS,
    GIT_WRITE_SUBCOMMANDS,
)
from openagent_lsp.policy.risk.targets import judge_target, resolve_arg
from openagent_lsp.policy.shell import Part, Word
from openagent_lsp.policy.types import FileOp, Risk

_CLONE_VALUE_OPTS = frozenset(
    {"-b", "--branch", "-o", "--origin", "--depth", "-c", "--config", "--template", "--reference", "-j"}
)


def handle_git(a: Assessment, idx: int, p: Part) -> None:
    args = p.args
    i = 0
    cwd = p.cwd
    while i < len(args):
        t = args[i].text
        if t in ("-c", "--config-env") or t.startswith(("-c", "--config-env=", "--exec-path=")):
            takes_next = t in ("-c", "--config-env")
            value = args[i + 1].text if takes_next and i + 1 < len(args) else t.partition("=")[2] or t[2:]
            if DESTRUCTIVE_TEXT.search(value):
                a.add(
                    Risk.CRITICAL,
                    f"git {t.split('=')[0][:14]} runs destructive shell text",
                    "risk:exec-option",
                    p.display,
                    idx,
                )
            else:
                a.add(Risk.HIGH, f"git {t} can make git run arbitrary programs", "risk:git-config", p.display, idx)
            i += 2 if takes_next else 1
            continue
        if t in ("-C",):
            if i + 1 < len(args):
                path, _, _ = resolve_arg(args[i + 1], cwd)
                if path is None or not path.is_relative_to(a.workspace):
                    a.add(Risk.MEDIUM, "git -C points outside the workspace", "risk:git-outside", p.display, idx)
                cwd = path
            i += 2
            continue
        if t in ("--git-dir", "--work-tree", "--namespace", "--super-prefix") or t.startswith(
            ("--git-dir=", "--work-tree=")
        ):
            a.add(Risk.MEDIUM, f"git {t.split('=')[0]} uses another repository", "risk:git-outside", p.display, idx)
            i += 1 if "=" in t else 2
            continue
        if t.startswith("-"):
            i += 1
            continue
        break
    sub = args[i].text if i < len(args) else ""
    rest = args[i + 1 :]
    _git_subcommand(a, idx, p, sub, rest, cwd)


def _git_subcommand(a: Assessment, idx: int, p: Part, sub: str, rest: list[Word], cwd: Path | None) -> None:
    texts = [w.text for w in rest]
    flags = short_flags(rest)
    longs = long_flags(rest)
    subj = p.display

    def add(r: Risk, why: str, rule: str) -> None:
        a.add(r, why, rule, subj, idx)

    if any(t.startswith(("--upload-pack", "--receive-pack", "--exec=")) for t in texts) or (
        sub in ("clone", "fetch", "pull", "ls-remote", "archive") and "-u" in texts
    ):
        if DESTRUCTIVE_TEXT.search(" ".join(texts)):
            add(Risk.CRITICAL, "git --upload-pack/--receive-pack runs destructive shell text", "risk:exec-option")
        else:
            add(Risk.HIGH, "git --upload-pack/--receive-pack runs a program", "risk:git-exec")
    for w in opt_values(rest, ("--output",)):
        judge_target(a, idx, subj, w, cwd, FileOp.WRITE)
    if sub in GIT_READ_SUBCOMMANDS:
        return
    if sub == "branch":
        if {"D"} & flags or ("-d" in texts and ("-f" in texts or "--force" in texts)) or "M" in flags:
            add(Risk.HIGH, "git branch -D deletes unmerged work", "risk:git-destroy")
        elif not [t for t in texts if not t.startswith("-")] or longs & {
            "--list",
            "--show-current",
            "--contains",
            "--merged",
        }:
            return
        else:
            add(Risk.MEDIUM, "git branch changes branches", "risk:git-write")
        return
    if sub == "tag":
        if not texts or texts[0] in ("-l", "--list", "-n") or texts[0].startswith("-n"):
            return
        add(Risk.MEDIUM, "git tag changes tags", "risk:git-write")
        return
    if sub == "remote":
        if not texts or texts[0] in ("-v", "--verbose", "show", "get-url"):
            return
        add(Risk.MEDIUM, "git remote changes remotes", "risk:git-write")
        return
    if sub == "config":
        _git_config(a, idx, subj, rest)
        return
    if sub == "stash":
        if texts and texts[0] in ("list", "show"):
            return
        if texts and texts[0] in ("clear", "drop"):
            add(Risk.HIGH, f"git stash {texts[0]} throws away stashed work", "risk:git-destroy")
            return
        add(Risk.MEDIUM, "git stash changes the working tree", "risk:git-write")
        return
    if sub == "reflog" and (not texts or texts[0] in ("show",)):
        return
    if sub == "push":
        forced = (
            "f" in flags
            or longs & {"--force", "--force-with-lease", "--force-if-includes", "--mirror", "--delete", "--prune"}
            or "-d" in texts
            or any(t.startswith("+") or t.startswith(":") for t in texts)
        )
        if forced:
            add(Risk.HIGH, "git push --force/--delete rewrites or removes remote history", "risk:git-force-push")
        else:
            add(Risk.MEDIUM, "git push publishes commits", "risk:git-push")
        a.network.append(idx)
        return
    if sub == "reset":
        if longs & {"--hard", "--merge", "--keep"}:
            add(Risk.HIGH, "git reset --hard throws away uncommitted work", "risk:git-destroy")
        else:
            add(Risk.MEDIUM, "git reset moves the branch", "risk:git-write")
        return
    if sub == "clean":
        if "n" in flags or "--dry-run" in longs:
            return
        if "f" in flags or "--force" in longs:
            add(Risk.HIGH, "git clean -f deletes untracked files", "risk:git-destroy")
        else:
            add(Risk.MEDIUM, "git clean", "risk:git-write")
        return
    if sub in ("checkout", "restore", "switch"):
        if "f" in flags or "--force" in longs or "." in texts or ("--" in texts and sub != "switch"):
            add(Risk.HIGH, f"git {sub} discards uncommitted changes", "risk:git-destroy")
        else:
            add(Risk.MEDIUM, f"git {sub} changes the working tree", "risk:git-write")
        return
    if sub in GIT_HISTORY_REWRITE or (sub == "reflog" and texts and texts[0] in ("expire", "delete")):
        add(Risk.HIGH, f"git {sub} rewrites or drops history", "risk:git-destroy")
        return
    if sub in GIT_NETWORK_SUBCOMMANDS:
        add(Risk.MEDIUM, f"git {sub} talks to the network", "risk:git-network")
        a.network.append(idx)
        if sub == "clone":
            pos = positionals(rest, _CLONE_VALUE_OPTS)
            if len(pos) >= 2:
                judge_target(a, idx, subj, pos[1], cwd, FileOp.WRITE, verb="clone into")
            if "-c" in texts or "--config" in longs or "--template" in longs:
                add(Risk.HIGH, "git clone -c/--template can make git run programs", "risk:git-config")
        return
    if sub in GIT_WRITE_SUBCOMMANDS:
        add(Risk.MEDIUM, f"git {sub} changes the repository", "risk:git-write")
        return
    add(Risk.MEDIUM, f"git {sub} is not a known git command (it may be an alias that runs a program)", "risk:git-alias")


def _git_config(a: Assessment, idx: int, subj: str, rest: list[Word]) -> None:
    texts = [w.text for w in rest]
    pos = [t for t in texts if not t.startswith("-")]
    getters = {
        "--get",
        "--get-all",
        "--get-regexp",
        "--list",
        "-l",
        "--get-urlmatch",
        "--show-origin",
        "get",
        "list",
    }
    if set(texts) & getters or (len(pos) <= 1 and "--unset" not in texts and "--add" not in texts):
        return
    key = pos[1] if pos and pos[0] in ("set", "unset") and len(pos) > 1 else (pos[0] if pos else "")
    if GIT_EXEC_CONFIG_RE.match(key):
        a.add(Risk.HIGH, f"git config {key} can make git run programs", "risk:git-config", subj, idx)
    else:
        a.add(Risk.MEDIUM, "git config changes repository settings", "risk:git-write", subj, idx)
