"""Which device and number format to run an in-process model with.

``auto`` prefers what measured fastest without losing quality (see benchmarks/precision_bench.py):
on CUDA bf16; on a CPU int8 dynamic quantization of the Linear layers when the CPU has the fast
integer paths (AVX2/AVX-512-VNNI), else fp32. bf16 on a CPU without native bf16 support decodes
faster but prefills ~7x slower, so ``auto`` never picks it there.
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
    flags = cpu_flags()
    return "int8" if ("avx2" in flags or "avx512_vnni" in flags or "asimd" in flags) else "fp32"


def _auto_cpu_why() -> str:
    if auto_cpu_precision() == "int8":
        return "int8 dynamic quantization (fast integer kernels on this CPU)"
    return "fp32 (no fast int8 path detected)"
