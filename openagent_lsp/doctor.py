"""``openagent-lsp doctor``: a terminal check that the install works, end to end.

Prints the effective configuration and backend, whether the model is available, loads it with a
progress bar, and completes one sample.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from openagent_lsp import __version__
from openagent_lsp.config import SettingsHolder
from openagent_lsp.errors import OpenAgentError
from openagent_lsp.llm.base import GenerationRequest
from openagent_lsp.llm.factory import describe_backend, get_llm
from openagent_lsp.logging import configure_logging

SAMPLE = "def fibonacci(n):\n    "


def _bar(message: str, percent: int | None = None) -> None:
    width = 30
    filled = int(width * (percent or 0) / 100)
    sys.stdout.write(f"\r  [{'#' * filled}{'.' * (width - filled)}] {percent or 0:3d}%  {message[:50]:<50}")
    sys.stdout.flush()
    if percent == 100:
        sys.stdout.write("\n")


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="openagent-lsp doctor", description=__doc__)
    parser.add_argument("--model", help="override the model setting for this check")
    parser.add_argument("--no-load", action="store_true", help="only print the configuration")
    args = parser.parse_args(list(argv))
    configure_logging("error")
    holder = SettingsHolder()
    settings = holder.current
    if args.model:
        settings = settings.model_copy(update={"model": args.model})
    out = sys.stdout
    out.write(f"openagent-lsp {__version__} (Python {sys.version.split()[0]})\n")
    if holder.startup_error:
        out.write(f"! configuration problem: {holder.startup_error}\n")
    out.write("configuration:\n")
    for line in json.dumps(settings.model_dump(), indent=2).splitlines():
        out.write(f"  {line}\n")
    _describe_sandbox()
    backend = describe_backend(settings.model)
    out.write(f"backend: {backend}\nmodel: {settings.model}\n")
    if backend == "transformers":
        _describe_local(settings.device, settings.precision)
    if args.no_load:
        return 0
    try:
        llm = get_llm(settings.model, settings)
        out.write("loading:\n")
        started = time.monotonic()
        llm.load(_bar)
        out.write(f"loaded in {time.monotonic() - started:.1f}s")
        info = llm.info
        if info.precision:
            out.write(f" ({info.precision} on {info.device}; {info.reason})")
        _describe_measurements(info.threads_policy, info.head, info.calibration)
        fim = llm.fim_format
        out.write(f"\nfill-in-the-middle: {'yes ' + fim.prefix if fim else 'no (prefix-only prompts)'}\n")
        out.write(f"model kind: {describe_kind(info.kind, info.kind_reason, info.parameters)}\n")
        started = time.monotonic()
        text = llm.generate(GenerationRequest(prompt=SAMPLE.rstrip(" "), max_new_tokens=24))
        elapsed = time.monotonic() - started
    except OpenAgentError as exc:
        out.write(f"\nFAILED: {exc}\n")
        return 1
    out.write(f"sample completion ({elapsed:.2f}s):\n{SAMPLE.rstrip(' ')}{text}\n")
    out.write("OK\n")
    return 0


def _describe_measurements(threads_policy: str, head: str, calibration: dict[str, Any] | None) -> None:
    out = sys.stdout
    if threads_policy:
        out.write(f"threads: {threads_policy}\n")
    if head:
        out.write(f"vocabulary head: {head}\n")
    if not calibration:
        return
    where = "cached measurement" if calibration.get("cached") else f"measured now in {calibration['seconds']} s"
    out.write(f"number formats on this CPU ({where}, {calibration['threads']} threads):\n")
    out.write(f"  {'candidate':<20} {'prefill ms/token':>16} {'decode ms/token':>16} {'same answers':>13}\n")
    for c in calibration["candidates"]:
        mark = " (loses quality)" if not c["keeps_quality"] else ""
        mark = " <- chosen" if c["name"] == calibration["chosen"] else mark
        out.write(f"  {c['name']:<20} {c['prefill_ms_per_token']:>16.2f} {c['decode_ms_per_token']:>16.1f} "
                  f"{c['agreement'] * 100:>12.1f}%{mark}\n")


def _describe_sandbox() -> None:
    """Which OS sandbox the agent's commands run in here, and what that means for prompts."""
    from openagent_lsp.sandbox import detect_sandbox

    status = detect_sandbox()
    sys.stdout.write(f"sandbox: {status.level.value} (Landlock ABI {status.landlock_abi}, user namespaces "
                     f"{'yes' if status.user_namespaces else 'no'}): {status.to_json()['detail']}\n")


def describe_kind(kind: str, reason: str, parameters: int = 0) -> str:
    """One line for the model's kind and what it means for the actions."""
    from openagent_lsp.llm.kind import PromptStyle, prompt_style

    if kind not in ("base", "instruct"):
        return "unknown: actions use chat prompts"
    name = "base" if kind == "base" else "instruction-tuned"
    style = prompt_style(kind, parameters)
    if style.style == PromptStyle.COMPLETION:
        return (f"{name} ({reason}): actions use completion-shaped prompts ({style.reason}); "
                "chat answers only simple questions")
    return f"{name} ({reason}): actions and chat use chat prompts"


def _describe_local(device: str, precision: str) -> None:
    from openagent_lsp.llm.precision import bitsandbytes_available, choose_precision, cuda_available

    try:
        import torch
        import transformers

        sys.stdout.write(f"torch {torch.__version__}, transformers {transformers.__version__}, "
                         f"CUDA {'available' if cuda_available() else 'not available'}, "
                         f"bitsandbytes {'installed' if bitsandbytes_available() else 'not installed'}\n")
    except ImportError:
        sys.stdout.write("torch/transformers not installed: pip install 'openagent-lsp[local]'\n")
        return
    choice = choose_precision(precision, device)
    sys.stdout.write(f"precision: {choice.precision} on {choice.device} ({choice.reason or choice.why})\n")
