"""Hypothesis-generated hostile JSON-RPC, sent over a real stdio connection to the real server.

Each generated *batch* is a list of cases: well-formed and malformed requests and notifications, broken
frames (wrong, missing or absurd ``Content-Length``), bodies that are not JSON or not UTF-8, unknown
methods, params of the wrong type or ``null``, positions past the end and inside surrogate pairs,
documents up to 10 MB, binary text, changes to documents that were never opened, duplicate ids and
cancellations of ids nobody sent. After each batch the driver asks ``openagent/status``; then every
request whose frame was intact must have been answered with a result or with an error code the JSON-RPC
and LSP specifications name. Anything else is counted: a crash (the process died), a hang (an answer
that never came) or a wrong answer (an internal error, an unknown code, a response without result or
error).

Used by ``tests/integration/test_protocol_fuzz.py`` (a short, derandomized run inside ``make test``) and
``benchmarks/stress_protocol.py`` (``make stress``: 10,000 messages, figures printed as JSON).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from tests.support.raw_lsp import RawServer, ServerDied, encode, frame, start_initialized, wait_model

# Codes a request may be answered with: JSON-RPC (parse, invalid request, method not found, invalid
# params) and LSP (server not initialized, request cancelled, content modified, request failed).
SPEC_CODES = {-32700, -32600, -32601, -32602, -32002, -32800, -32801, -32803}
INTERNAL_ERROR = -32603

URIS = [f"file:///fuzz/doc{i}.py" for i in range(4)] + [
    "file:///fuzz/never-opened.py", "untitled:Untitled-1", "file:///fuzz/%F0%9F%98%80.ts", "not a uri", "",
]
LANGUAGES = ["python", "typescript", "javascript", "go", "rust", "plaintext", "", "\ud83d"]
REQUEST_METHODS = [
    "textDocument/inlineCompletion", "textDocument/completion", "textDocument/codeAction", "codeAction/resolve",
    "workspace/executeCommand", "openagent/status", "openagent/audit", "textDocument/hover", "initialize",
    "$/unknownRequest", "openagent/doesNotExist",
]
NOTIFICATION_METHODS = [
    "textDocument/didOpen", "textDocument/didChange", "textDocument/didClose", "textDocument/didSave",
    "$/cancelRequest", "$/setTrace", "initialized", "workspace/didChangeConfiguration", "$/unknownNotification",
    "openagent/whatever",
]
COMMANDS = [
    "openagent.chat", "openagent.chat.list", "openagent.chat.history", "openagent.chat.cancel",
    "openagent.completion.accepted", "openagent.applyAction", "openagent.explain", "openagent.ask",
    "openagent.unknown", "",
]
SAFE_SETTING_KEYS = ["completion", "chat", "logLevel", "debug", "debounceMs", "unknownSetting"]
MAX_DOCUMENT = 10 * 1024 * 1024

# -- values ---------------------------------------------------------------------------------------------

_PIECES = ["\ud83d", "\ude00", "😀", "é", "中", "\x00", "\r\n", "\r", "\n", "\t", "def f(x):\n    ", "}", "\ufeff"]
texts = st.lists(st.one_of(st.text(max_size=12), st.sampled_from(_PIECES)), max_size=12).map("".join)
ints = st.one_of(st.integers(0, 40), st.integers(-(2**31), 2**31 - 1), st.sampled_from([-1, 2**31 - 1, 2**53]))
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), ints, st.floats(allow_nan=False, allow_infinity=False), texts),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=8,
)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the well-formed value, sometimes anything at all (wrong type, null)."""
    return st.one_of(strategy, strategy, strategy, json_values)


positions = st.fixed_dictionaries({"line": _maybe(ints), "character": _maybe(ints)})
ranges = st.fixed_dictionaries({"start": _maybe(positions), "end": _maybe(positions)})
uris = st.sampled_from(URIS)
text_documents = st.fixed_dictionaries({"uri": _maybe(uris)})


@st.composite
def documents(draw: st.DrawFn) -> str:
    """Source text: ordinary, binary-looking, or (rarely) repeated up to 10 MB."""
    base = draw(st.one_of(texts, st.binary(max_size=64).map(lambda b: b.decode("latin-1"))))
    if draw(st.integers(0, 60)) == 0:
        unit = base or "x = 1\n"
        return (unit * (MAX_DOCUMENT // len(unit) + 1))[: draw(st.integers(MAX_DOCUMENT // 2, MAX_DOCUMENT))]
    return base


def _params_for(method: str) -> st.SearchStrategy[Any]:
    trigger = st.fixed_dictionaries({"triggerKind": _maybe(st.integers(0, 3))})
    if method in ("textDocument/inlineCompletion", "textDocument/completion", "textDocument/hover"):
        return st.fixed_dictionaries({"textDocument": _maybe(text_documents), "position": _maybe(positions),
                                      "context": _maybe(trigger)})
    if method == "textDocument/codeAction":
        return st.fixed_dictionaries({"textDocument": _maybe(text_documents), "range": _maybe(ranges),
                                      "context": _maybe(st.fixed_dictionaries({"diagnostics": st.just([])}))})
    if method == "codeAction/resolve":
        return st.fixed_dictionaries({"title": _maybe(texts), "data": json_values})
    if method == "workspace/executeCommand":
        arguments = st.lists(_maybe(st.fixed_dictionaries({}, optional={
            "message": texts.filter(lambda t: not t.lstrip().startswith("/run")),
            "conversationId": _maybe(st.sampled_from(["c1", "c2", "", "x" * 300])),
            "uri": uris, "range": ranges, "question": texts, "action": texts, "text": texts,
        })), max_size=2)
        return st.fixed_dictionaries({"command": _maybe(st.sampled_from(COMMANDS)), "arguments": _maybe(arguments)})
    return json_values


def _notification_params(method: str) -> st.SearchStrategy[Any]:
    if method == "textDocument/didOpen":
        item = st.fixed_dictionaries({"uri": _maybe(uris), "languageId": _maybe(st.sampled_from(LANGUAGES)),
                                      "version": _maybe(ints), "text": _maybe(documents())})
        return st.fixed_dictionaries({"textDocument": _maybe(item)})
    if method == "textDocument/didChange":
        change = st.one_of(st.fixed_dictionaries({"range": _maybe(ranges), "text": _maybe(texts)}),
                           st.fixed_dictionaries({"text": _maybe(documents())}))
        doc = st.fixed_dictionaries({"uri": _maybe(uris), "version": _maybe(ints)})
        return st.fixed_dictionaries({"textDocument": _maybe(doc), "contentChanges": _maybe(st.lists(change,
                                                                                                     max_size=3))})
    if method in ("textDocument/didClose", "textDocument/didSave"):
        return st.fixed_dictionaries({"textDocument": _maybe(text_documents)})
    if method == "$/cancelRequest":
        return st.fixed_dictionaries({"id": _maybe(st.one_of(ints, texts))})
    if method == "workspace/didChangeConfiguration":
        return st.fixed_dictionaries({"settings": _maybe(st.dictionaries(st.sampled_from(SAFE_SETTING_KEYS),
                                                                         json_values, max_size=3))})
    return json_values


# -- cases ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fresh:
    """An id given out when the case is sent (drawing must not depend on a counter). Cases that share a
    tag share the id (duplicate ids); ``prefix`` makes it a string id."""

    tag: int
    prefix: str | None = None


@dataclass
class Case:
    kind: str
    parts: list[bytes | dict[str, Any]]
    expect: list[Fresh] = field(default_factory=list)  # requests that must be answered (once each)
    messages: int = 1

    def materialize(self, new_id: Callable[[], int]) -> tuple[bytes, list[Any]]:
        ids: dict[Fresh, Any] = {}

        def resolve(value: Any) -> Any:
            if isinstance(value, Fresh):
                if value not in ids:
                    n = new_id()
                    ids[value] = n if value.prefix is None else f"s{n}-{value.prefix}"
                return ids[value]
            return value

        data = b"".join(encode({k: resolve(v) for k, v in part.items()}) if isinstance(part, dict) else part
                        for part in self.parts)
        return data, [resolve(f) for f in self.expect]

    def describe(self) -> str:
        text = repr(self.parts)
        return f"{self.kind}: {text[:300]}{'…' if len(text) > 300 else ''}"


def _request(method: str, params: Any, msg_id: Any, omit_params: bool = False) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
    if not omit_params:
        message["params"] = params
    return message


@st.composite
def request_cases(draw: st.DrawFn) -> Case:
    method = draw(st.one_of(st.sampled_from(REQUEST_METHODS), texts))
    params = draw(_params_for(method))
    # String ids too (unique all the same, so each answer is matched to its own request).
    msg_id = Fresh(0, draw(st.one_of(st.none(), st.none(), st.text(min_size=1, max_size=6))))
    message = _request(method, params, msg_id, omit_params=draw(st.booleans()) and draw(st.booleans()))
    return Case("request", [message], [msg_id])


@st.composite
def notification_cases(draw: st.DrawFn) -> Case:
    method = draw(st.one_of(st.sampled_from(NOTIFICATION_METHODS), texts))
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": draw(_notification_params(method))}
    return Case("notification", [message])


@st.composite
def duplicate_id_cases(draw: st.DrawFn) -> Case:
    method = draw(st.sampled_from(["openagent/status", "textDocument/inlineCompletion", "workspace/executeCommand"]))
    msg_id = Fresh(0)
    first = _request(method, draw(_params_for(method)), msg_id)
    second = _request(method, draw(_params_for(method)), msg_id)
    return Case("duplicate-id", [first, second], [msg_id, msg_id], messages=2)


@st.composite
def cancel_cases(draw: st.DrawFn) -> Case:
    target = draw(st.one_of(ints, texts, st.none()))
    return Case("cancel-unknown", [{"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": target}}])


@st.composite
def malformed_json_cases(draw: st.DrawFn) -> Case:
    valid = json.dumps(_request("openagent/status", {}, "never-answered")).encode()
    body = draw(st.one_of(
        st.binary(max_size=80),
        st.integers(1, len(valid) - 1).map(lambda n: valid[:n]),  # cut short
        st.just(b"[]"), st.just(b"null"), st.just(b"42"), st.just(b'"text"'),
        st.just(b'[{"jsonrpc":"2.0","id":1,"method":"openagent/status"}]'),  # a batch: LSP has none
    ))
    return Case("malformed-json", [frame(body)])


@st.composite
def non_utf8_cases(draw: st.DrawFn) -> Case:
    bad = draw(st.sampled_from([b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80"]))
    body = b'{"jsonrpc":"2.0","id":"bad-bytes","method":"openagent/status","params":"' + bad + b'"}'
    return Case("non-utf8", [frame(body)])


@st.composite
def invalid_envelope_cases(draw: st.DrawFn) -> Case:
    """JSON that is not a valid JSON-RPC request: wrong version, odd ids, a method that is not a string."""
    variant = draw(st.integers(0, 3))
    if variant == 0:
        msg_id = Fresh(0)
        version = draw(st.sampled_from(["1.0", "2", None, 2.0]))
        message = {"jsonrpc": version, "id": msg_id, "method": "openagent/status"}
        return Case("bad-version", [message], [msg_id])
    if variant == 1:
        odd = draw(st.sampled_from([1.5, True, {"a": 1}, [1]]))
        return Case("bad-id", [{"jsonrpc": "2.0", "id": odd, "method": "openagent/status"}])
    if variant == 2:
        msg_id = Fresh(0)
        return Case("bad-method", [{"jsonrpc": "2.0", "id": msg_id, "method": draw(st.one_of(ints, st.none()))}],
                    [msg_id])
    return Case("no-method", [{"jsonrpc": "2.0", "params": draw(json_values)}])


@st.composite
def framing_cases(draw: st.DrawFn) -> Case:
    """Frames whose header lies: the request inside is lost, the stream must recover for the next one."""
    body = json.dumps(_request("openagent/status", {}, "lost-in-a-broken-frame")).encode()
    variant = draw(st.integers(0, 5))
    if variant == 0:  # too short: the rest of the body stays in the stream as garbage
        return Case("length-short", [frame(body, draw(st.integers(1, len(body) - 1)))])
    if variant == 1:  # too long: the server takes the next bytes as part of this body
        extra = draw(st.integers(1, 64))
        return Case("length-long", [frame(body, len(body) + extra), draw(st.binary(min_size=extra, max_size=extra))])
    if variant == 2:  # no Content-Length at all
        return Case("length-missing", [b"Content-Type: application/vscode-jsonrpc\r\n\r\n" + body])
    if variant == 3:  # not a number
        value = draw(st.sampled_from([b"abc", b"-5", b"", b"1e3", b"0x10"]))
        return Case("length-invalid", [b"Content-Length: " + value + b"\r\n\r\n" + body])
    if variant == 4:  # absurd: refused at once instead of waiting for a terabyte
        return Case("length-absurd", [b"Content-Length: 1099511627776\r\n\r\n" + body])
    return Case("garbage-between-frames", [draw(st.binary(max_size=64)) + b"\r\n"])


cases = st.one_of(
    request_cases(), request_cases(), request_cases(), notification_cases(), notification_cases(),
    duplicate_id_cases(), cancel_cases(), malformed_json_cases(), non_utf8_cases(), invalid_envelope_cases(),
    framing_cases(),
)
batches = st.lists(cases, min_size=1, max_size=10)

# -- the driver -----------------------------------------------------------------------------------------


@dataclass
class Figures:
    messages: int = 0
    batches: int = 0
    requests_expected: int = 0
    answered: int = 0
    crashes: int = 0
    hangs: int = 0
    wrong_answers: int = 0
    status_checks: int = 0
    status_ms: list[float] = field(default_factory=list)
    codes: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        ms = sorted(self.status_ms)
        p = (lambda q: round(ms[min(len(ms) - 1, int(q * len(ms)))], 2)) if ms else (lambda q: None)
        return {
            "messages": self.messages, "batches": self.batches, "requestsExpected": self.requests_expected,
            "answered": self.answered, "crashes": self.crashes, "hangs": self.hangs,
            "wrongAnswers": self.wrong_answers, "statusChecks": self.status_checks,
            "statusMs": {"p50": p(0.5), "p99": p(0.99), "max": ms[-1] if ms else None},
            "answerCodes": dict(sorted(self.codes.items())), "caseKinds": dict(sorted(self.kinds.items())),
            "failures": self.failures[:10],
        }


class FuzzTarget:
    """The real server under fuzz; restarted (and the crash counted) when it dies."""

    def __init__(self, env: dict[str, str], root: Path, stderr_path: Path | None = None,
                 answer_timeout: float = 60.0) -> None:
        self.env, self.root, self.stderr_path = env, root, stderr_path
        self.answer_timeout = answer_timeout
        self.figures = Figures()
        self.server: RawServer | None = None

    def start(self) -> RawServer:
        self.server = start_initialized(self.env, self.root, stderr_path=self.stderr_path)
        status = wait_model(self.server)
        if status["model"]["state"] != "ready":
            raise RuntimeError(f"model did not load: {status['model']}")
        return self.server

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None

    def run_batch(self, batch: list[Case]) -> None:
        fig = self.figures
        server = self.server or self.start()
        fig.batches += 1
        expected: list[Any] = []
        try:
            for case in batch:
                data, ids = case.materialize(server.new_id)
                server.send_raw(data)
                fig.messages += case.messages
                fig.kinds[case.kind] += 1
                expected.extend(ids)
            started = time.perf_counter()
            status = server.request("openagent/status", {}, timeout=self.answer_timeout)
            fig.status_ms.append((time.perf_counter() - started) * 1000)
            fig.messages += 1
            fig.status_checks += 1
            if "result" not in status:
                self._fail("wrong", f"openagent/status answered {status}", batch)
            self._check_answers(server, expected, batch)
        except ServerDied as exc:
            self._fail("crash", f"server died: {exc}", batch)
            self.close()
        except TimeoutError as exc:
            self._fail("hang", f"openagent/status: {exc}", batch)
            self.close()  # a fresh server for the next batch

    def _check_answers(self, server: RawServer, expected: list[Any], batch: list[Case]) -> None:
        fig = self.figures
        needed = Counter(json.dumps(i, sort_keys=True) for i in expected)
        deadline = time.monotonic() + self.answer_timeout
        for key, count in needed.items():
            msg_id = json.loads(key)
            fig.requests_expected += count
            for n in range(1, count + 1):
                try:
                    reply = server.wait_response(msg_id, max(0.1, deadline - time.monotonic()), count=n)
                except TimeoutError:
                    self._fail("hang", f"request id {msg_id!r} got no answer", batch)
                    continue
                fig.answered += 1
                self._judge(reply, batch)

    def _judge(self, reply: dict[str, Any], batch: list[Case]) -> None:
        fig = self.figures
        if "result" in reply and "error" not in reply:
            fig.codes["result"] += 1
            return
        error = reply.get("error")
        code = error.get("code") if isinstance(error, dict) else None
        fig.codes[str(code)] += 1
        if code not in SPEC_CODES:
            self._fail("wrong", f"answer {json.dumps(reply)[:400]}", batch)

    def _fail(self, what: str, detail: str, batch: list[Case]) -> None:
        fig = self.figures
        if what == "crash":
            fig.crashes += 1
        elif what == "hang":
            fig.hangs += 1
        else:
            fig.wrong_answers += 1
        if len(fig.failures) < 50:
            fig.failures.append(f"{what}: {detail} | batch: " + " || ".join(c.describe() for c in batch)[:2000])


def fuzz(target: FuzzTarget, examples: int, *, derandomize: bool = False, seed_value: int | None = None,
         on_batch: Callable[[FuzzTarget], None] | None = None) -> None:
    """Run ``examples`` generated batches against ``target`` (failures are counted, never raised)."""

    @settings(max_examples=examples, deadline=None, database=None, derandomize=derandomize,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(batches)
    def run(batch: list[Case]) -> None:
        target.run_batch(batch)
        if on_batch is not None:
            on_batch(target)

    if seed_value is not None and not derandomize:
        run = seed(seed_value)(run)
    run()
