"""Streaming HTTP for remote backends, with the standard library only (no client start-up cost).

What a model server can do wrong, and what the user sees instead of a hang:
- *down* (refused, reset, unknown host): retried with backoff, then "cannot reach URL. Is the server
  running?";
- *busy* (HTTP 429, 502, 503, 504): retried with backoff (``Retry-After`` honoured up to a bound), then
  the status and the server's words; any other HTTP error is not retried;
- *slow*: no byte for ``timeout`` seconds ends the request with "did not answer within N s";
- *garbage*: a reply with no JSON in it is an error that quotes its first bytes (stray lines between good
  ones are skipped);
- *truncated*: a stream that ends before its end marker (SSE ``[DONE]``, a final ``finish_reason``, or
  Ollama's ``"done": true``) is an error, never a silently shortened answer.

Retries happen only before the first byte of an answer was read, so nothing is ever said twice; a
generation has no side effect on the server, so sending it again is safe. A cancel (the user typed on,
or pressed Stop) closes the socket at once, even while it waits for a silent server.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from openagent_lsp.errors import GenerationCancelled, ModelLoadError
from openagent_lsp.llm.base import CancelToken
from openagent_lsp.logging import get_logger

log = get_logger(__name__)

RETRY_STATUS = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # tries in all, the first included
    base_delay_s: float = 0.25
    max_delay_s: float = 4.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay_s)
        return min(self.base_delay_s * (2 ** (attempt - 1)), self.max_delay_s)


DEFAULT_RETRY = RetryPolicy()


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _connection(url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ModelLoadError(f"{url}: not an http(s) URL")
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname, parts.port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return conn, path


class _Exchange:
    """One HTTP request whose socket a cancel can close from another thread."""

    def __init__(self, url: str, timeout: float, cancel: CancelToken | None) -> None:
        self.url, self.timeout, self.cancel = url, timeout, cancel
        self.conn, self.path = _connection(url, timeout)
        self._done = threading.Event()
        self._watch: threading.Thread | None = None

    def open(self, method: str, body: bytes | None, headers: dict[str, str]) -> http.client.HTTPResponse:
        try:
            self.conn.request(method, self.path, body=body, headers=headers)
            self._start_watch()
            response = self.conn.getresponse()
        except TimeoutError as exc:
            raise ModelLoadError(f"{self.url} did not answer within {self.timeout:g} s") from exc
        except (ConnectionError, socket.gaierror, OSError, http.client.HTTPException) as exc:
            self._raise_if_cancelled()
            raise _Retryable(f"cannot reach {self.url}: {exc}. Is the server running?") from exc
        if response.status >= 400:
            detail = response.read(300).decode("utf-8", "replace").strip()
            message = f"{self.url} answered HTTP {response.status} {response.reason}: {detail}"
            if response.status in RETRY_STATUS:
                raise _Retryable(message, _retry_after(response.getheader("Retry-After")))
            raise ModelLoadError(message)
        return response

    def _start_watch(self) -> None:
        cancel = self.cancel
        if cancel is None or self._watch is not None:
            return

        def watch() -> None:
            while not self._done.is_set():
                if cancel.wait(0.05):
                    sock = self.conn.sock
                    if sock is not None:
                        with contextlib.suppress(OSError):
                            sock.shutdown(socket.SHUT_RDWR)
                    return

        self._watch = threading.Thread(target=watch, name="openagent-http-cancel", daemon=True)
        self._watch.start()

    def _raise_if_cancelled(self) -> None:
        if self.cancel is not None and self.cancel.cancelled:
            raise GenerationCancelled(self.cancel.reason or "generation cancelled")

    def lines(self, response: http.client.HTTPResponse) -> Iterator[bytes]:
        try:
            while True:
                self._raise_if_cancelled()
                try:
                    raw = response.readline(1 << 20)
                except TimeoutError as exc:
                    raise ModelLoadError(
                        f"{self.url} stopped answering (nothing for {self.timeout:g} s)") from exc
                except (ConnectionError, OSError, http.client.HTTPException) as exc:
                    self._raise_if_cancelled()
                    raise ModelLoadError(f"the stream from {self.url} broke off: {exc}") from exc
                if not raw:
                    self._raise_if_cancelled()
                    return
                yield raw
        finally:
            self.close()

    def close(self) -> None:
        self._done.set()
        with contextlib.suppress(Exception):
            self.conn.close()


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _with_retry(
    what: str, attempt_once: Callable[[], Any], cancel: CancelToken | None, retry: RetryPolicy
) -> Any:
    for attempt in range(1, retry.attempts + 1):
        try:
            return attempt_once()
        except _Retryable as exc:
            if attempt == retry.attempts:
                raise ModelLoadError(str(exc)) from exc
            delay = retry.delay(attempt, exc.retry_after)
            log.warning("backend_retry", what=what, attempt=attempt, delay_s=round(delay, 2), error=str(exc)[:200])
            if cancel is not None and cancel.wait(delay):
                raise GenerationCancelled(cancel.reason or "generation cancelled") from exc
            if cancel is None:
                time.sleep(delay)
    raise AssertionError("unreachable")


def post_json_lines(
    url: str, payload: dict[str, Any], headers: dict[str, str], timeout: float, cancel: CancelToken | None,
    sse: bool = False, retry: RetryPolicy = DEFAULT_RETRY, is_end: Callable[[dict[str, Any]], bool] | None = None,
) -> Iterator[dict[str, Any]]:
    """POST ``payload`` and yield each JSON object of a streamed reply (NDJSON, or SSE ``data:`` lines).

    ``is_end`` recognises the object that closes the stream (besides SSE's ``[DONE]``); a stream that
    stops without one raises. A server that ignores ``stream`` and answers one JSON object is accepted.
    """
    body = json.dumps(payload).encode()
    all_headers = {"Content-Type": "application/json", "Accept": "text/event-stream, application/x-ndjson, "
                   "application/json", **headers}

    def attempt() -> tuple[_Exchange, http.client.HTTPResponse]:
        exchange = _Exchange(url, timeout, cancel)
        try:
            return exchange, exchange.open("POST", body, all_headers)
        except BaseException:
            exchange.close()
            raise

    exchange, response = _with_retry(url, attempt, cancel, retry)
    yielded = 0
    garbage: list[bytes] = []
    ended = False
    unframed: list[bytes] = []
    for raw in exchange.lines(response):
        line = raw.strip()
        if not line:
            continue
        if sse:
            if line.startswith(b":"):
                continue  # an SSE comment (keep-alive)
            if not line.startswith(b"data:"):
                unframed.append(raw)
                continue
            line = line[5:].strip()
            if line == b"[DONE]":
                ended = True
                break
        try:
            obj = json.loads(line)
        except ValueError:
            garbage.append(line)
            continue
        if not isinstance(obj, dict):
            garbage.append(line)
            continue
        yielded += 1
        yield obj
        if is_end is not None and is_end(obj):
            ended = True
            break
    exchange.close()
    if ended:
        return
    if sse and not yielded and unframed:
        # Not SSE at all: a server that ignored "stream" and sent one JSON document.
        try:
            whole = json.loads(b"".join(unframed))
        except ValueError:
            whole = None
        if isinstance(whole, dict):
            yield whole
            return
        garbage.extend(unframed)
    if not yielded and garbage:
        raise ModelLoadError(f"{url} answered something that is not a model's stream: {garbage[0][:120]!r}")
    if not yielded:
        raise ModelLoadError(f"{url} answered with an empty stream")
    raise ModelLoadError(f"the stream from {url} ended before the answer was complete (cut off after "
                         f"{yielded} parts); the server may have crashed or a proxy closed the connection")


def get_json(url: str, headers: dict[str, str], timeout: float, retry: RetryPolicy = DEFAULT_RETRY) -> Any:
    def attempt() -> Any:
        exchange = _Exchange(url, timeout, None)
        try:
            response = exchange.open("GET", None, headers)
            data = response.read()
        except TimeoutError as exc:
            raise ModelLoadError(f"{url} did not answer within {timeout:g} s") from exc
        except (ConnectionError, OSError, http.client.HTTPException) as exc:
            raise _Retryable(f"cannot reach {url}: {exc}. Is the server running?") from exc
        finally:
            exchange.close()
        try:
            return json.loads(data)
        except ValueError as exc:
            raise ModelLoadError(f"{url} answered something that is not JSON: {data[:120]!r}") from exc

    return _with_retry(url, attempt, None, retry)
