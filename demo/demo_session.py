"""The agent part of the demo: code actions, chat, an approval prompt."""

from __future__ import annotations

from pathlib import Path
from typing import Any


async def run_agent_parts(editor: Any, uri: str, workspace: Path, lines: list[str]) -> None:
    return None
