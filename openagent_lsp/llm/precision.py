"""Which device and number format to run an in-process model with.

``auto`` prefers what is fastest *without losing quality*:
- CUDA: bf16 (4-bit NF4 through bitsandbytes when asked);
- CPU: measured on this machine at the first load (``llm/calibration.py``): fp32, fp32 with the exact
  bf16-screened head, or bf16, whichever is fastest among those that keep fp32's answers. CPU flags
  do not decide: with native bf16 (avx512_bf16), bf16 still decoded slower than fp32 on Zen 4.
  int8 dynamic quantization is never chosen: it lost 14 points of edit similarity on the
  line-completion eval (65.2 -> 50.8, embedded model, seed 1); it stays an explicit choice.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PrecisionChoice:
    device: str
    precision: str
    why: str = ""
    reason: str = ""  # non-empty when the request could not be honoured (a fallback)
    measure: bool = False  # the backend measures the candidates on this machine and picks (CPU auto)


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
    # Loaded in fp32, then measured: the backend may switch to bf16 or a cheaper exact head.
    return PrecisionChoice("cpu", "fp32", "CPU: measured on this machine at the first load", measure=True)
