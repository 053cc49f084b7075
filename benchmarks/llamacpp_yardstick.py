"""llama.cpp on the same GGUF and machine: the yardstick for how fast this CPU can run the model.

Opt-in, because llama-cpp-python has no wheel here and builds from its sdist in about 5 minutes:

    make bench-llamacpp          # builds it once into build/llama-cpp (never part of make test or CI)
    make bench                   # then prints our ratios to it (section "speed")

Run as a subprocess of the bench (its OpenMP threads never share a process with torch's):

    PYTHONPATH=build/llama-cpp python benchmarks/llamacpp_yardstick.py MODEL.gguf PROMPT.txt NEW_TOKENS

Prints JSON: time to first token for the prompt (cold, no cached prefix), decode tokens/s (median of runs).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "llama-cpp"


def available() -> bool:
    return (BUILD / "llama_cpp").is_dir()


def measure(model_path: str, prompt: str, new_tokens: int, repeats: int = 3) -> dict[str, object]:
    from llama_cpp import Llama

    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    llm = Llama(model_path=model_path, n_ctx=4096, n_threads=threads, n_threads_batch=threads, verbose=False)
    prompt_tokens = len(llm.tokenize(prompt.encode(), add_bos=True))
    ttft, decode = [], []
    for _ in range(repeats):
        llm.reset()  # no prefix reuse: a cold prompt every time
        started = time.perf_counter()
        first = 0.0
        count = 0
        for _chunk in llm.create_completion(prompt, max_tokens=new_tokens, temperature=0.0, stream=True):
            count += 1
            if count == 1:
                first = time.perf_counter()
        ended = time.perf_counter()
        ttft.append((first - started) * 1000)
        if count > 1:
            decode.append((count - 1) / (ended - first))
    return {"threads": threads, "prompt_tokens": prompt_tokens, "new_tokens": new_tokens,
            "ttft_ms_median": round(statistics.median(ttft), 1),
            "decode_tok_s_median": round(statistics.median(decode), 2) if decode else float("nan"),
            "repeats": repeats}


if __name__ == "__main__":
    model, prompt_file, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print(json.dumps(measure(model, Path(prompt_file).read_text(), n)))
