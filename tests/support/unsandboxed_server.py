"""The real server on a system without an OS sandbox (detection answers "none"): commands run
unconfined, through the fallback path. Run as ``python -m tests.support.unsandboxed_server``."""

from __future__ import annotations

import os
import sys


def main() -> None:
    import openagent_lsp.sandbox as sandbox
    import openagent_lsp.sandbox.levels as levels
    from openagent_lsp.logging import configure_logging
    from openagent_lsp.server.app import create_server

    none = levels.SandboxStatus(levels.SandboxLevel.NONE, 0, False, sys.platform)
    sandbox.detect_sandbox = levels.detect_sandbox = lambda: none  # type: ignore[assignment]
    configure_logging(os.environ.get("OPENAGENT_LOG_LEVEL", "warning"))
    create_server().start_io()


if __name__ == "__main__":
    main()
