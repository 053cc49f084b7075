"""Which device and number format to run an in-process model with.

``auto`` prefers what measured fastest *without losing quality* (``make eval``, ``make bench``):
- CUDA: bf16 (4-bit NF4 through bitsandbytes when asked);
- CPU: fp32. int8 dynamic quantization decodes 2-3x faster here but lost 14 points of edit
  similarity on the line-completion eval (65.2 -> 50.8, embedded model, seed 1), far outside the
  2-point budget, so it stays an explicit choice. bf16 on a CPU without native bf16 support
  prefills ~7x slower, so ``auto`` never picks it there.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class PrecisionChoice:
    device: str
    precision: str
    why: str = ""
    reason: str = ""  # non-empty when the request could not be honoured (a fallback)


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def bitsandbytes_available() -> bool:
    try:
        import bitsandbytes  # noqa: F401
    except Exception:
        return False
    return True


def choose_precision(requested: str, device_pref: str = "auto") -> PrecisionChoice:
    has_cuda = cuda_available()
    if device_pref == "cuda" and not has_cuda:
        fallback = choose_precision(requested if requested != "4bit" else "auto", "cpu")
        return PrecisionChoice("cpu", fallback.precision, fallback.why, "CUDA requested but not available")
    device = "cuda" if (has_cuda and device_pref != "cpu") else "cpu"
    if requested == "4bit":
        if device != "cuda":
            alt = choose_precision("auto", "cpu")
            return PrecisionChoice("cpu", alt.precision, alt.why,
                                   "4-bit needs CUDA (bitsandbytes on CPU only saves memory and runs ~2x slower)")
        if not bitsandbytes_available():
            return PrecisionChoice("cuda", "bf16", "", "4-bit requested but bitsandbytes is not installed "
                                   "(pip install 'openagent-lsp[cuda]')")
        return PrecisionChoice("cuda", "4bit", "4-bit NF4 through bitsandbytes")
    if requested == "int8" and device == "cuda":
        return PrecisionChoice("cuda", "bf16", "", "int8 dynamic quantization runs on CPU only")
    if requested in ("fp32", "bf16", "int8"):
        return PrecisionChoice(device, requested, "requested")
    # auto
    if device == "cuda":
        return PrecisionChoice("cuda", "bf16", "CUDA: bf16")
    return PrecisionChoice("cpu", auto_cpu_precision(), "CPU: " + _auto_cpu_why())


def auto_cpu_precision() -> str:
    # bf16 only where the CPU computes it natively (AMX / AVX-512-BF16); else fp32 (see module doc).
    flags = cpu_flags()
    return "bf16" if ("amx_bf16" in flags or "avx512_bf16" in flags) else "fp32"


def _auto_cpu_why() -> str:
    if auto_cpu_precision() == "bf16":
        return "bf16 (this CPU computes bf16 natively)"
    return "fp32 (int8 is faster but lost quality in the eval; bf16 is slow without native support)"
