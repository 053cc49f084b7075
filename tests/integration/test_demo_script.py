"""`make demo`'s script runs to the end against the real server (here with the tiny model, so it stays
quick); the embedded model's run is `make demo` itself."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from tests.support.lsp import server_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(600)
async def test_the_demo_script_runs_every_part(tiny_model_dir: Path, tmp_path: Path) -> None:
    env = server_env(tmp_path, tiny_model_dir, OPENAGENT_PRECISION="fp32", TMPDIR=str(tmp_path))
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "demo" / "run_demo.py"), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await process.communicate()
    text = out.decode("utf-8", "replace")
    assert process.returncode == 0, text[-4000:]
    for part in ("== inline completion", "== code actions on the selection", '"Explain this code"',
                 '"Add docstring"', '"Write tests for this function"', "== chat: a question about the workspace",
                 "approval prompt from the server", "== audit log:", "== server status"):
        assert part in text, f"{part!r} missing from the demo's output:\n{text[-4000:]}"
