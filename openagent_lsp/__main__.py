"""Command line: ``openagent-lsp`` serves on stdio; ``doctor`` checks an install; ``policy`` tests policies.

Heavy modules (pygls, torch, transformers, grammars) are imported inside the subcommands that need
them, so ``--version`` and ``--help`` answer instantly.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from openagent_lsp import __version__

_SUBCOMMANDS = ("serve", "doctor", "policy", "version")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openagent-lsp",
        description="A language server that brings a local AI coding agent into any editor.",
        epilog="Subcommands: serve (default), doctor, policy check|check-path, version. "
        "Environment: OPENAGENT_MODEL, OPENAGENT_DEVICE, OPENAGENT_PRECISION, OPENAGENT_LOAD_IN_4BIT, "
        "OPENAGENT_LOG_LEVEL, OPENAGENT_DEBUG, OPENAGENT_POLICY_FILE, OPENAGENT_EXEC_STRICT, OPENAGENT_DATABASE_URL.",
    )
    parser.add_argument("--version", action="version", version=f"openagent-lsp {__version__}")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="serve over TCP instead of stdio (debugging)")
    parser.add_argument("--stdio", action="store_true", help="serve on stdin/stdout (the default)")
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"], help="log level (stderr)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = args_list[0] if args_list and args_list[0] in _SUBCOMMANDS else "serve"
    if command != "serve" or (args_list and args_list[0] == "serve"):
        args_list = args_list[1:]
    if command == "version":
        sys.stdout.write(f"openagent-lsp {__version__}\n")
        return 0
    if command == "policy":
        from openagent_lsp.policy.cli import main as policy_main

        return policy_main(args_list)
    if command == "doctor":
        from openagent_lsp.doctor import main as doctor_main

        return doctor_main(args_list)
    return _serve(_parser().parse_args(args_list))


def _serve(args: argparse.Namespace) -> int:
    import os

    from openagent_lsp.logging import configure_logging

    level = args.log_level or os.environ.get("OPENAGENT_LOG_LEVEL", "info")
    if os.environ.get("OPENAGENT_DEBUG", "").lower() in ("1", "true", "yes"):
        level = "debug"
    configure_logging(level if level in ("debug", "info", "warning", "error") else "info")
    from openagent_lsp.server.app import create_server

    server = create_server()
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        if not host or not port.isdigit():
            sys.stderr.write("--tcp expects HOST:PORT, e.g. 127.0.0.1:2087\n")
            return 2
        server.start_tcp(host, int(port))
    else:
        server.start_io()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
