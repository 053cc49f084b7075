from __future__ import annotations

import json
import subprocess
import sys


def test_logs_go_to_stderr_never_stdout() -> None:
    code = (
        "from openagent_lsp.logging import configure_logging, get_logger\n"
        "import logging\n"
        "configure_logging('debug')\n"
        "get_logger('t').info('hello', request_id=7)\n"
        "get_logger('t').warning('careful')\n"
        "logging.getLogger('pygls').warning('stdlib too')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert proc.stdout == ""
    lines = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    events = {line["event"] for line in lines}
    assert {"hello", "careful", "stdlib too"} <= events
    assert any(line.get("request_id") == 7 for line in lines)


def test_unconfigured_logger_does_not_print_to_stdout() -> None:
    code = "from openagent_lsp.logging import get_logger\nget_logger('x').info('early')\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert proc.stdout == ""
    assert "early" in proc.stderr


def test_warnings_are_buffered_then_forwarded_to_the_editor() -> None:
    from openagent_lsp.logging import EditorLogBridge

    bridge = EditorLogBridge()
    bridge(None, "warning", {"event": "before_init", "x": 1})
    bridge(None, "info", {"event": "not_forwarded"})
    received: list[tuple[str, str]] = []
    bridge.set_sink(lambda level, message: received.append((level, message)))
    bridge(None, "error", {"event": "after_init"})
    assert received[0][0] == "warning" and "before_init" in received[0][1]
    assert received[1][0] == "error" and "after_init" in received[1][1]
    assert all("not_forwarded" not in m for _, m in received)
