"""The real server with a scripted model: each chat turn's model output comes from a file the test wrote.

A prompt-injected model is simulated exactly: it proposes the tool calls an attacker would want
(``OPENAGENT_TEST_SCRIPT`` names a JSON file holding a list of model outputs, one per generation).
Everything else -- the LSP layer, the agent loop, the guard, the policy, the approvals, the sandbox,
the audit and undo -- is the real code.

Run as ``python tests/support/scripted_server.py`` (the package on PYTHONPATH).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from openagent_lsp.agent.testing import ScriptedLLM
from openagent_lsp.config import Settings
from openagent_lsp.llm.base import BaseLLM


def main() -> None:
    from openagent_lsp.logging import configure_logging
    from openagent_lsp.server.app import create_server

    configure_logging(os.environ.get("OPENAGENT_LOG_LEVEL", "warning"))
    turns = json.loads(Path(os.environ["OPENAGENT_TEST_SCRIPT"]).read_text(encoding="utf-8"))

    def factory(_name: str, _settings: Settings) -> BaseLLM:
        return ScriptedLLM(list(turns))  # type: ignore[return-value]

    create_server(llm_factory=factory).start_io()


if __name__ == "__main__":
    main()
