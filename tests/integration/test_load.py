"""Load on the real server (a smaller run than ``make stress``): documents typed in at once plus a chat,
every request answered and ``openagent/status`` answering all along; every per-document structure bounded
and emptied by didClose. No wall-time assertions: the figures are printed, the mechanism is checked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.load import close_documents, run_load
from tests.support.lsp import server_env
from tests.support.raw_lsp import RawServer, start_initialized, wait_model

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def server(tmp_path: Path, tiny_model_dir: Path) -> Iterator[tuple[RawServer, Path]]:
    root = tmp_path / "ws"
    root.mkdir()
    env = server_env(tmp_path, tiny_model_dir, OPENAGENT_PRECISION="fp32", OPENAGENT_COMPLETION__DEBOUNCE_MS="30",
                     OPENAGENT_COMPLETION__MAX_NEW_TOKENS="8", OPENAGENT_CHAT__MAX_NEW_TOKENS="24",
                     OPENAGENT_COMPLETION__CACHE_SIZE="16")
    srv = start_initialized(env, root, stderr_path=tmp_path / "stderr")
    try:
        assert wait_model(srv)["model"]["state"] == "ready"
        yield srv, root
    finally:
        srv.close()


def test_typing_in_many_documents_and_a_chat_at_once(server: tuple[RawServer, Path]) -> None:
    srv, root = server
    figures = run_load(srv, root, streams=12, keys=5)
    print(json.dumps(figures.to_json()))
    assert figures.unanswered == 0 and figures.completion_errors == 0
    assert figures.completions_answered == 12 * 5
    assert figures.chat_ok, figures.chat_error
    assert figures.status_ms, "openagent/status was never answered during the load"
    status = srv.request("openagent/status", {})["result"]
    assert status["completion"]["model_calls"] >= 1 and status["completion"]["superseded"] >= 1


def test_per_document_structures_are_bounded_and_emptied_by_did_close(server: tuple[RawServer, Path]) -> None:
    srv, root = server
    uris = []
    for i in range(40):
        uri = (root / f"bounded_{i}.py").as_uri()
        srv.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                             "text": f"def add_{i}(a, b):\n    \n"}})
        uris.append(uri)
        reply = srv.request("textDocument/inlineCompletion", {"textDocument": {"uri": uri}, "position": {
            "line": 1, "character": 4}, "context": {"triggerKind": 1}}, timeout=120)
        assert reply["result"]["items"], (i, reply)  # a suggestion, so one for the cache
    caches = srv.request("openagent/status", {})["result"]["caches"]
    assert caches["documents"] == 40 and caches["documentStates"] == 40
    assert 0 < caches["suggestionCache"] <= caches["suggestionCacheCapacity"] == 16
    close_documents(srv, uris)
    caches = srv.request("openagent/status", {})["result"]["caches"]
    assert caches["documents"] == 0 and caches["documentStates"] == 0 and caches["suggestionCache"] == 0
