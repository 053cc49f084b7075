"""``openagent-lsp policy ...``: check commands and paths against a policy from a terminal or CI.

Output is JSON on stdout (this is a CLI, not the LSP channel). Exit 0 when the checks ran
(whatever the verdicts), 2 on bad usage or a bad policy/input file -- so a script can tell
"denied" from "could not check".
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from openagent_lsp.errors import ConfigError
from openagent_lsp.policy.engine import PolicyEngine, strict_from_env
from openagent_lsp.policy.schema import default_policy, parse_policy_file
from openagent_lsp.policy.types import Decision, FileOp


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(message)


def _build_parser() -> _Parser:
    p = _Parser(prog="openagent-lsp policy", description="Check commands and paths against a policy.")
    common = _Parser(add_help=False)
    common.add_argument("--policy", help="policy YAML file (default: the built-in policy)")
    common.add_argument("--strict", action="store_true", help="strict mode (as OPENAGENT_EXEC_STRICT=1)")
    common.add_argument(
        "--no-sandbox",
        action="store_true",
        help="decide as on a system without an OS sandbox (commands that run workspace code ask)",
    )
    sub = p.add_subparsers(dest="action", parser_class=_Parser)
    c = sub.add_parser("check", parents=[common], help="decide a shell command")
    c.add_argument("cmd", nargs="?", help="the command line to check")
    c.add_argument("--jsonl", help="file of JSON objects {cmd, cwd?}, one per line ('-' for stdin)")
    c.add_argument("--cwd", help="working directory (default: current directory)")
    c.add_argument("--root", help="workspace root (default: the working directory)")
    c.add_argument("--explain", action="store_true", help="include every finding")
    cp = sub.add_parser("check-path", parents=[common], help="decide a file operation")
    cp.add_argument("path")
    cp.add_argument("--op", required=True, choices=[o.value for o in FileOp])
    cp.add_argument("--root", required=True, help="workspace root")
    return p


def _engine(args: argparse.Namespace) -> PolicyEngine:
    # The CLI reports a broken policy file as an error (exit 2) instead of silently falling back.
    policy = parse_policy_file(args.policy) if args.policy else default_policy()
    return PolicyEngine(
        policy,
        strict=bool(args.strict or policy.strict or strict_from_env()),
        sandboxed=not getattr(args, "no_sandbox", False),
    )


def _out(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def _decision_json(d: Decision, explain: bool) -> dict[str, Any]:
    obj: dict[str, Any] = d.to_json()
    obj["grant_key"] = d.grant_key
    if explain:
        obj["details"] = list(d.details)
    return obj


def main(argv: list[str]) -> int:
    """Entry point for ``openagent-lsp policy``; returns the process exit code."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if args.action is None:
            raise _UsageError("choose an action: check or check-path")
        engine = _engine(args)
        if args.action == "check-path":
            d = engine.check_path(FileOp(args.op), args.path, Path(args.root))
            _out({"op": args.op, "path": args.path, **_decision_json(d, False)})
            return 0
        if (args.cmd is None) == (args.jsonl is None):
            raise _UsageError("give either a command or --jsonl FILE")
        cwd = Path(args.cwd or ".").resolve()
        root = Path(args.root).resolve() if args.root else cwd
        if args.cmd is not None:
            d = engine.check_command(args.cmd, cwd, root)
            _out({"cmd": args.cmd, **_decision_json(d, args.explain)})
            return 0
        return _check_jsonl(engine, args.jsonl, cwd, root, args.explain)
    except _UsageError as exc:
        sys.stderr.write(f"openagent-lsp policy: {exc}\n")
        return 2
    except ConfigError as exc:
        sys.stderr.write(f"openagent-lsp policy: {exc}\n")
        return 2


def _check_jsonl(engine: PolicyEngine, path: str, cwd: Path, root: Path, explain: bool) -> int:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from exc
    items: list[dict[str, Any]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise ConfigError(f"{path}:{lineno}: not valid JSON ({exc})") from exc
        if not isinstance(obj, dict) or not isinstance(obj.get("cmd"), str):
            raise ConfigError(f"{path}:{lineno}: field 'cmd': expected an object with a string 'cmd'")
        if "cwd" in obj and not isinstance(obj["cwd"], str):
            raise ConfigError(f"{path}:{lineno}: field 'cwd': expected a string")
        items.append(obj)
    for obj in items:
        item_cwd = (cwd / obj["cwd"]).resolve() if obj.get("cwd") else cwd
        d = engine.check_command(obj["cmd"], item_cwd, root)
        _out({"cmd": obj["cmd"], **_decision_json(d, explain)})
    return 0
