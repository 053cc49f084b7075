"""How responsive the event loop is, measured from inside: a timer that should fire every ``PERIOD_S`` notes
how late it fires. The status reports the lag's percentiles, so "the server is slow" can be told apart
from "the editor or the pipe is slow" (a status request's round trip includes both)."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

PERIOD_S = 0.02


class LoopWatch:
    def __init__(self, samples: int = 3000) -> None:  # the last minute at 20 ms
        self._lags: deque[float] = deque(maxlen=samples)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(PERIOD_S)
            self._lags.append(max(0.0, loop.time() - started - PERIOD_S) * 1000)

    def to_json(self) -> dict[str, Any]:
        """Percentiles over the last minute, and over the last ten seconds (what "right now" looks like)."""
        lags = list(self._lags)
        recent = lags[-int(10 / PERIOD_S):]
        return {**_percentiles(lags), "last10s": _percentiles(recent)}


def _percentiles(values: list[float]) -> dict[str, Any]:
    lags = sorted(values)
    if not lags:
        return {"samples": 0}

    def q(p: float) -> float:
        return round(lags[min(len(lags) - 1, int(p * len(lags)))], 2)

    return {"samples": len(lags), "p50Ms": q(0.5), "p99Ms": q(0.99), "maxMs": round(lags[-1], 2)}
