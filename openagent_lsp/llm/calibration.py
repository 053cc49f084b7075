"""Pick the number format and head by measuring them on this machine, once, and remember the result.

CPU flags do not say what is fast: on a Zen 4 CPU with native bf16, bf16 decoded *slower* than fp32.
So on the first load of a model on a machine, each candidate runs a short prefill and a few decode
steps, and its greedy choices on a code snippet are compared with fp32's. The fastest candidate that
keeps the answers wins. The figures are cached per (model, CPU, torch version) in the model cache and
shown in ``openagent/status`` and ``doctor``.

Candidates (CPU): ``fp32`` (full head), ``fp32+screened-head`` (exact: see ``llm/head.py``), ``bf16``.
int8 dynamic quantization is not a candidate: it changed 39 % of the greedy choices on code (its
per-token activation scales cannot hold Gemma's outlier channels; ``make bench``, ``int8``).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from openagent_lsp.llm.head import build_head
from openagent_lsp.logging import get_logger

log = get_logger(__name__)

CALIBRATION_VERSION = 1
# A candidate keeps quality when it makes the same greedy choice as fp32 at this share of positions
# of the snippet. Exact candidates score 1.0; bf16 weights scored 0.966 on held-out code.
MIN_AGREEMENT = 0.99
# What a typical completion costs: the new part of a prompt, then a first line of tokens.
TYPICAL_PREFILL_TOKENS = 256
TYPICAL_DECODE_TOKENS = 16


@dataclass
class CandidateFigures:
    name: str  # "fp32", "fp32+screened-head", "bf16"
    precision: str
    head: str
    prefill_ms_per_token: float
    decode_ms_per_token: float
    agreement: float  # share of greedy choices equal to fp32's on the snippet
    keeps_quality: bool

    @property
    def typical_ms(self) -> float:
        return self.prefill_ms_per_token * TYPICAL_PREFILL_TOKENS + self.decode_ms_per_token * TYPICAL_DECODE_TOKENS


@dataclass
class Calibration:
    chosen: str
    threads: int
    seconds: float
    candidates: list[CandidateFigures] = field(default_factory=list)
    cached: bool = False

    def choice(self) -> CandidateFigures:
        return next(c for c in self.candidates if c.name == self.chosen)

    def to_json(self) -> dict[str, Any]:
        return {"chosen": self.chosen, "threads": self.threads, "seconds": round(self.seconds, 2),
                "cached": self.cached, "candidates": [asdict(c) for c in self.candidates]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibration:
        return cls(chosen=data["chosen"], threads=int(data["threads"]), seconds=float(data["seconds"]),
                   candidates=[CandidateFigures(**c) for c in data["candidates"]], cached=True)


def cache_key(model_folder: str | Path, torch_version: str, cpu: str, cores: int) -> str:
    """Same model files, same CPU, same torch: the same answer."""
    folder = Path(model_folder)
    parts = [str(CALIBRATION_VERSION), torch_version, cpu, str(cores), str(folder.resolve())]
    for name in ("config.json", "model.safetensors"):
        path = folder / name
        if path.exists():
            stat = path.stat()
            parts.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]


def cpu_description() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
        name = next((ln.split(":", 1)[1].strip() for ln in text.splitlines() if ln.startswith("model name")), "")
        flags = next((ln.split(":", 1)[1].strip() for ln in text.splitlines() if ln.startswith("flags")), "")
        return f"{name}|{hashlib.sha256(flags.encode()).hexdigest()[:12]}"
    except OSError:
        return f"{platform.processor()}|{platform.machine()}"


def load_cached(path: Path) -> Calibration | None:
    try:
        return Calibration.from_json(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(path: Path, calibration: Calibration) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(calibration.to_json(), indent=2))
    tmp.replace(path)


Progress = Callable[[str, float], None]  # message, fraction done (0..1)


def calibrate(model: Any, snippet_ids: list[int], forward: Callable[..., Any], threads: int,
              progress: Progress | None = None, repeats: int = 2) -> Calibration:
    """Measure every candidate on ``model`` (loaded in fp32) and choose.

    ``forward(model, ids, cache, keep)`` runs the decoder and returns the last ``keep`` hidden states
    (and the cache); it is the backend's own forward pass, so what is measured is what runs.
    """
    import torch

    started = time.perf_counter()
    torch.set_num_threads(threads)
    ids = snippet_ids
    prefill_ids, decode_ids = ids[: max(2, len(ids) - 8)], ids[max(2, len(ids) - 8):]
    reference: list[int] | None = None
    figures: list[CandidateFigures] = []
    plans = [("fp32", "fp32", "full"), ("fp32+screened-head", "fp32", "bf16-screened"), ("bf16", "bf16", "full")]
    for step, (name, precision, head_kind) in enumerate(plans):
        if progress:
            progress(f"measuring {name}", step / len(plans))
        candidate = model if precision == "fp32" else copy.deepcopy(model).to(torch.bfloat16)
        head = build_head(candidate, head_kind)
        with torch.inference_mode():
            choices = _teacher_forced_choices(candidate, head, ids, forward)
            prefill_ms = _fastest_ms(functools.partial(forward, candidate, prefill_ids, None, 1), repeats)
            decode_ms = _decode_ms(candidate, head, prefill_ids, decode_ids, forward)
        if reference is None:
            reference = choices
        agreement = sum(a == b for a, b in zip(choices, reference, strict=True)) / max(1, len(reference))
        figures.append(CandidateFigures(
            name=name, precision=precision, head=head.kind,
            prefill_ms_per_token=round(prefill_ms / len(prefill_ids), 3),
            decode_ms_per_token=round(decode_ms, 3), agreement=round(agreement, 4),
            keeps_quality=agreement >= MIN_AGREEMENT,
        ))
        if candidate is not model:
            del candidate
    eligible = [c for c in figures if c.keeps_quality]
    chosen = min(eligible, key=lambda c: c.typical_ms)
    result = Calibration(chosen=chosen.name, threads=threads, seconds=time.perf_counter() - started,
                         candidates=figures)
    log.info("calibrated", chosen=chosen.name, seconds=round(result.seconds, 2),
             figures={c.name: (c.prefill_ms_per_token, c.decode_ms_per_token, c.agreement) for c in figures})
    return result


def _teacher_forced_choices(model: Any, head: Any, ids: list[int], forward: Callable[..., Any]) -> list[int]:
    hidden, _ = forward(model, ids, None, len(ids) - 1)
    return list(head.best(hidden))


def _fastest_ms(run: Callable[[], Any], repeats: int) -> float:
    """The fastest of ``repeats`` runs: interference from other processes only ever adds time."""
    run()  # warm-up: first-call allocations and kernel choice
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1000)
    return min(times)


def _decode_ms(model: Any, head: Any, prefix: list[int], steps: list[int], forward: Callable[..., Any]) -> float:
    """Milliseconds per decode step (forward of one token + choosing the next), after a prefill."""
    _, cache = forward(model, prefix, None, 1)
    hidden, cache = forward(model, steps[:1], cache, 1)  # warm-up step
    head.best(hidden)
    times = []
    for token in steps[1:]:
        t0 = time.perf_counter()
        hidden, cache = forward(model, [token], cache, 1)
        head.best(hidden)
        times.append((time.perf_counter() - t0) * 1000)
    return min(times) if times else 0.0
