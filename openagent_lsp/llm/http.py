"""Streaming HTTP for remote backends, with the standard library only (no client start-up cost).

Cancellation: the response is closed as soon as the token is cancelled between two lines; the socket
timeout bounds how long a silent server can block the worker thread.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

from openagent_lsp.errors import GenerationCancelled, ModelLoadError
from openagent_lsp.llm.base import CancelToken


def post_json_lines(
    url: str, payload: dict[str, Any], headers: dict[str, str], timeout: float, cancel: CancelToken | None,
    sse: bool = False,
) -> Iterator[dict[str, Any]]:
    """POST ``payload`` and yield each JSON object of a streamed reply (NDJSON, or SSE ``data:`` lines)."""
    body = json.dumps(payload).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:300]
        raise ModelLoadError(f"{url} answered HTTP {exc.code}: {detail}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise ModelLoadError(f"cannot reach {url}: {getattr(exc, 'reason', exc)}. Is the server running?") from exc
    with response:
        for raw in response:
            if cancel is not None and cancel.cancelled:
                raise GenerationCancelled(cancel.reason or "generation cancelled")
            line = raw.decode("utf-8", errors="replace").strip()
            if not line:
                continue
            if sse:
                if not line.startswith("data:"):
                    continue
                line = line[5:].strip()
                if line == "[DONE]":
                    return
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue


def get_json(url: str, headers: dict[str, str], timeout: float) -> Any:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"cannot reach {url}: {getattr(exc, 'reason', exc)}. Is the server running?") from exc
