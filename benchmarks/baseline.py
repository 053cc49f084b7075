"""The decoding path as it was before scores were computed only where used (commit 97987e7), kept so that
``make bench`` compares old and new in the same run, on the same model object, instead of against old
numbers from another day.

What it did: fp32; threads = all cores but one; every forward pass returned the scores of *every* fed
position (a 1,024-token prefill computed 1,024 x 262,144 scores to use the last row); greedy argmax of
the full head at each step.
"""

from __future__ import annotations

import os
import time
from typing import Any


def old_threads() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, cpus - 1)


class OldPath:
    """Greedy decoding exactly as the old ``_feed``/``_pick`` did, on an fp32 ``TransformersLLM``'s model."""

    def __init__(self, llm: Any) -> None:
        assert llm.info.precision == "fp32", "the old path ran fp32"
        self.model = llm.model
        self.kwarg = llm._cache_kwarg

    def _feed(self, ids: list[int], cache: Any) -> tuple[Any, Any]:
        import torch

        tensor = torch.tensor([ids], dtype=torch.long)
        out = self.model(input_ids=tensor, use_cache=True, **{self.kwarg: cache})
        new_cache = getattr(out, "past_key_values", None) or getattr(out, "cache", None) or cache
        return out.logits[0].float(), new_cache

    def run(self, prompt_ids: list[int], new_tokens: int) -> dict[str, float]:
        """Prefill ``prompt_ids`` then decode ``new_tokens`` greedily; returns prefill ms and decode ms/token."""
        import torch
        from transformers import DynamicCache

        previous = torch.get_num_threads()
        torch.set_num_threads(old_threads())
        try:
            with torch.inference_mode():
                started = time.perf_counter()
                logits, cache = self._feed(prompt_ids, DynamicCache())
                next_id = int(logits[-1].argmax())
                prefill_ms = (time.perf_counter() - started) * 1000
                steps = []
                for _ in range(new_tokens):
                    t0 = time.perf_counter()
                    logits, cache = self._feed([next_id], cache)
                    next_id = int(logits[-1].argmax())
                    steps.append((time.perf_counter() - t0) * 1000)
        finally:
            torch.set_num_threads(previous)
        steps.sort()
        return {"prefill_ms": prefill_ms, "decode_ms_per_token": steps[len(steps) // 2] if steps else 0.0,
                "threads": old_threads()}
