"""SIGKILL in the middle of writes, a few rounds (``make stress`` runs 100): the chat history database
stays intact and keeps every acknowledged turn; the server starts again on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.kill_loop import failed, run_kill_loop

pytestmark = pytest.mark.timeout(600)


def test_sigkill_mid_write_loses_no_acknowledged_turn(tmp_path: Path) -> None:
    figures = run_kill_loop(tmp_path, rounds=4, seed=4)
    print(json.dumps(figures.to_json(), indent=1))
    assert figures.kills == 4 and figures.turns_acknowledged > 0
    assert not failed(figures, check_audit_chain=False), figures.failures
