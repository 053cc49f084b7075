"""Load against the real server over stdio: many documents typed in at once, a chat beside them, and a
prober that keeps asking ``openagent/status`` to see whether the event loop stays responsive.

Typing is simulated the way an editor sends it: a change per key, then an automatic inline-completion
request that supersedes the previous one. The figures are measured and printed; tests built on this
check that everything was answered and that the structures stay bounded, never how fast.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.raw_lsp import RawServer, encode

SOURCE = "def handler_{i}(request, items):\n    total = 0\n    for item in items:\n        total += "


@dataclass
class LoadFigures:
    streams: int = 0
    keys_per_stream: int = 0
    completion_requests: int = 0
    completions_answered: int = 0
    completion_errors: int = 0
    unanswered: int = 0
    chat_ok: bool | None = None
    chat_error: str = ""
    status_ms: list[float] = field(default_factory=list)
    loop_lag: dict[str, Any] = field(default_factory=dict)  # measured inside the server (LoopWatch)

    def to_json(self) -> dict[str, Any]:
        ms = sorted(self.status_ms)

        def q(p: float) -> float | None:
            return round(ms[min(len(ms) - 1, int(p * len(ms)))], 2) if ms else None

        return {"streams": self.streams, "keysPerStream": self.keys_per_stream,
                "completionRequests": self.completion_requests, "completionsAnswered": self.completions_answered,
                "completionErrors": self.completion_errors, "unanswered": self.unanswered,
                "chatOk": self.chat_ok, "chatError": self.chat_error, "statusSamples": len(ms),
                "statusMs": {"p50": q(0.5), "p90": q(0.9), "p99": q(0.99), "max": round(ms[-1], 2) if ms else None},
                "eventLoopLagInServer": self.loop_lag}


def doc_uri(root: Path, i: int) -> str:
    return (root / f"load_{i}.py").as_uri()


def open_documents(server: RawServer, root: Path, count: int) -> list[str]:
    uris = []
    for i in range(count):
        uri = doc_uri(root, i)
        server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                                "text": SOURCE.format(i=i)}})
        uris.append(uri)
    return uris


def close_documents(server: RawServer, uris: list[str]) -> None:
    for uri in uris:
        server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})


def _cursor(i: int, typed: int) -> dict[str, int]:
    last = SOURCE.format(i=i).split("\n")[-1]
    return {"line": SOURCE.count("\n"), "character": len(last) + typed}


def _type_burst(server: RawServer, uri: str, i: int, keys: int, interval_s: float, figures: LoadFigures,
                lock: threading.Lock, timeout: float) -> None:
    ids = []
    for k in range(keys):
        pos = _cursor(i, k)
        server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2 + k}, "contentChanges": [
            {"range": {"start": pos, "end": pos}, "text": "abcdefghijklmnopqrstuvwxyz"[k % 26]}]})
        msg_id = server.new_id()
        server.send_raw(encode({"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/inlineCompletion",
                                "params": {"textDocument": {"uri": uri}, "position": _cursor(i, k + 1),
                                           "context": {"triggerKind": 2}}}))
        ids.append(msg_id)
        if interval_s:
            time.sleep(interval_s)  # the typist's pace, not a wait for the server
    for msg_id in ids:
        try:
            reply = server.wait_response(msg_id, timeout)
        except TimeoutError:
            with lock:
                figures.unanswered += 1
            continue
        with lock:
            figures.completion_requests += 1
            if "result" in reply:
                figures.completions_answered += 1
            else:
                figures.completion_errors += 1


def run_load(server: RawServer, root: Path, *, streams: int = 50, keys: int = 8, interval_s: float = 0.04,
             chat: bool = True, probe_interval_s: float = 0.02, timeout: float = 300.0) -> LoadFigures:
    """``streams`` documents typed in at once (``keys`` keys each) plus one chat, with a status prober."""
    figures = LoadFigures(streams=streams, keys_per_stream=keys)
    lock = threading.Lock()
    warm_up(server, root)
    lag_before = server.request("openagent/status", {}, timeout=timeout)["result"]["eventLoopLag"]
    uris = open_documents(server, root, streams)
    done = threading.Event()

    def probe() -> None:
        while not done.is_set():
            started = time.perf_counter()
            server.request("openagent/status", {}, timeout=timeout)
            figures.status_ms.append((time.perf_counter() - started) * 1000)
            done.wait(probe_interval_s)

    def chat_turn() -> None:
        reply = server.request("workspace/executeCommand", {"command": "openagent.chat", "arguments": [
            {"message": "Explain what handler_0 computes, step by step."}]}, timeout=timeout)
        result = reply.get("result") or {}
        figures.chat_ok = bool(result.get("ok"))
        figures.chat_error = str(result.get("error") or reply.get("error") or "")

    prober = threading.Thread(target=probe, name="status-prober", daemon=True)
    prober.start()
    workers = [threading.Thread(target=_type_burst, args=(server, uri, i, keys, interval_s, figures, lock, timeout),
                                daemon=True) for i, uri in enumerate(uris)]
    if chat:
        workers.append(threading.Thread(target=chat_turn, daemon=True))
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout)
    done.set()
    prober.join(timeout)
    figures.loop_lag = server.request("openagent/status", {}, timeout=timeout)["result"]["eventLoopLag"]
    figures.loop_lag["samplesBeforeLoad"] = lag_before.get("samples", 0)
    close_documents(server, uris)
    return figures


def warm_up(server: RawServer, root: Path, timeout: float = 300.0) -> None:
    """One completion and the chat services before measuring: the first use of each imports its modules
    (a one-time start-up cost, measured by ``make bench``), which is not what this load is about."""
    uri = (root / "warm_up.py").as_uri()
    server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                            "text": "def warm(x):\n    \n"}})
    server.request("textDocument/inlineCompletion", {"textDocument": {"uri": uri}, "position": {
        "line": 1, "character": 4}, "context": {"triggerKind": 1}}, timeout=timeout)
    server.request("workspace/executeCommand", {"command": "openagent.chat.list", "arguments": []}, timeout=timeout)
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def _slot(n: int, width: int = 6) -> str:
    letters = []
    for _ in range(width):
        n, r = divmod(n, 26)
        letters.append("abcdefghijklmnopqrstuvwxyz"[r])
    return "".join(letters)


def completions_for_rss(server: RawServer, root: Path, total: int, checkpoints: tuple[int, ...],
                        documents: int = 50, timeout: float = 120.0) -> dict[int, int]:
    """``total`` invoked completions spread over ``documents`` documents, each after an edit that gives the
    document a prefix it never had (the model runs, not the cache) at the same length (the workload stays
    the same from the first completion to the last); the server's RSS at each checkpoint."""
    uris = open_documents(server, root, documents)
    rss: dict[int, int] = {}
    for i, uri in enumerate(uris):  # a six-letter slot at the cursor, rewritten before each request
        pos = _cursor(i, 0)
        server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": pos, "end": pos}, "text": _slot(0)}]})
    for n in range(1, total + 1):
        i = n % documents
        slot_start, slot_end = _cursor(i, 0), _cursor(i, 6)
        server.notify("textDocument/didChange", {"textDocument": {"uri": uris[i], "version": 2 + n},
                                                 "contentChanges": [{"range": {"start": slot_start, "end": slot_end},
                                                                     "text": _slot(n)}]})
        reply = server.request("textDocument/inlineCompletion", {
            "textDocument": {"uri": uris[i]}, "position": slot_end, "context": {"triggerKind": 1}}, timeout=timeout)
        if "result" not in reply:
            raise RuntimeError(f"completion {n} failed: {reply}")
        if n in checkpoints:
            rss[n] = rss_bytes(server.pid)
    close_documents(server, uris)
    return rss
