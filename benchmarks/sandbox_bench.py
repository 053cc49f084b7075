"""Sandbox overhead per command: `python benchmarks/sandbox_bench.py` prints JSON.

Runs `true` (and `bash -c true`) plainly and inside the sandbox at every level this machine offers,
interleaved in one run so machine noise hits all variants alike, and reports the median wall time
of a complete spawn -> exit -> reap in milliseconds.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from openagent_lsp.sandbox import SandboxSpec, available_levels, detect_sandbox, sandbox_command

ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


def _time_once(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    elapsed = (time.perf_counter() - started) * 1000.0
    if done.returncode != 0:
        raise RuntimeError(f"{argv[-1]} failed: {done.stderr.decode(errors='replace')}")
    return elapsed


def run(rounds: int = 40) -> dict[str, Any]:
    levels = available_levels()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp).resolve() / "ws"
        (ws / ".git").mkdir(parents=True)
        spec = SandboxSpec(workspace=ws)
        samples: dict[str, list[float]] = {}
        for program in (["true"], ["/bin/bash", "-c", "true"]):
            name = " ".join(program)
            variants: dict[str, tuple[list[str], dict[str, str]]] = {"plain": (program, ENV)}
            contexts = []
            for level in levels:
                ctx = sandbox_command(program, spec, env=ENV, level=level)
                cmd = ctx.__enter__()
                contexts.append(ctx)
                variants[level.value] = (cmd.argv, cmd.env)
            try:
                for argv, env in variants.values():  # warm-up: page cache, first probe
                    _time_once(argv, env, ws)
                for _ in range(rounds):
                    for variant, (argv, env) in variants.items():
                        samples.setdefault(f"{name} | {variant}", []).append(_time_once(argv, env, ws))
            finally:
                for ctx in contexts:
                    ctx.__exit__(None, None, None)
    medians = {k: round(statistics.median(v), 2) for k, v in samples.items()}
    overhead = {}
    for key, value in medians.items():
        program, variant = key.split(" | ")
        if variant != "plain":
            overhead[key] = round(value - medians[f"{program} | plain"], 2)
    return {
        "benchmark": "sandbox_overhead",
        "level_detected": detect_sandbox().level.value,
        "rounds": rounds,
        "python": sys.version.split()[0],
        "median_ms": medians,
        "overhead_ms": overhead,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
