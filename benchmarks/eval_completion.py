"""``make eval``: offline line-completion quality of the embedded model, on Python standard-library code.

Held-out files and cursor positions are drawn from the standard library with a seed. At each position
the rest of the line is hidden and the real completion path runs in-process: cross-file context
(``build_context(...).render_header()`` over a DocumentStore holding two other stdlib files), the
prompt (``build_prompt`` with the default budgets), the model's stream, token healing
(``heal_completion``) and post-processing (``postprocess``). The first line of the suggestion is
scored against the hidden text: exact match and edit similarity (difflib ratio x 100). Greedy, so a
run is deterministic for a given seed, precision and machine.

    python benchmarks/eval_completion.py --precision fp32,int8 --n 40 --seed 1 --context on,off
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import statistics
import sys
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from openagent_lsp.completion.postprocess import PostContext, decide_multiline, postprocess  # noqa: E402
from openagent_lsp.completion.prompt import build_prompt, heal_completion  # noqa: E402
from openagent_lsp.config import CompletionSettings  # noqa: E402
from openagent_lsp.context.documents import DocumentStore  # noqa: E402
from openagent_lsp.context.scope import build_context  # noqa: E402
from openagent_lsp.llm.base import GenerationRequest  # noqa: E402

STDLIB = Path(sysconfig.get_paths()["stdlib"])
SPLIT_AFTER = " (.,=[:"


@dataclass(frozen=True)
class Case:
    path: Path
    line: int
    offset: int  # cursor offset in the original text
    target: str  # the hidden rest of the line


def log(message: str) -> None:
    print(f"[eval] {message}", file=sys.stderr, flush=True)


def candidate_files() -> list[Path]:
    files = []
    for path in sorted(STDLIB.glob("*.py")):
        if path.name.startswith(("_", "test")) or path.name == "this.py":
            continue
        try:
            size = len(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
        if 4_000 <= size <= 80_000:
            files.append(path)
    return files


def pick(seed: int, n: int, n_files: int = 10) -> tuple[list[Case], list[Path]]:
    """``n`` cases from ``n_files`` held-out files, and 2 other files for cross-file context."""
    rng = random.Random(seed)
    files = candidate_files()
    chosen = rng.sample(files, n_files + 2)
    held_out, context_files = chosen[:n_files], chosen[n_files:]
    per_file = [n // n_files + (1 if i < n % n_files else 0) for i in range(n_files)]
    cases: list[Case] = []
    for path, count in zip(held_out, per_file, strict=True):
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        starts = [0]
        for line in lines:
            starts.append(starts[-1] + len(line) + 1)
        in_docstring = False
        eligible = []
        for i, line in enumerate(lines):
            stripped = line.strip()
            if stripped.count('"""') % 2 == 1 or stripped.count("'''") % 2 == 1:
                in_docstring = not in_docstring
                continue
            if in_docstring or i < 30 or len(stripped) < 16 or stripped.startswith(("#", "@", "import ", "from ")):
                continue
            if not line.startswith(" "):  # inside a function or class body
                continue
            eligible.append(i)
        for i in sorted(rng.sample(eligible, min(count, len(eligible)))):
            line = lines[i]
            indent = len(line) - len(line.lstrip())
            splits = [j for j in range(indent + 3, len(line) - 3) if line[j - 1] in SPLIT_AFTER]
            col = rng.choice(splits) if splits else indent + len(line.strip()) // 2
            cases.append(Case(path, i, starts[i] + col, line[col:].rstrip()))
    return cases, context_files


def complete(
    llm: Any, store: DocumentStore, case: Case, context: bool, settings: CompletionSettings
) -> tuple[str, bool]:
    """The pipeline's steps for one cursor; returns (first line of the suggestion, header used)."""
    text = case.path.read_text(encoding="utf-8")
    line_end = text.find("\n", case.offset)
    line_end = len(text) if line_end < 0 else line_end
    prefix, suffix = text[: case.offset], text[line_end:]  # the rest of the line is hidden
    uri = case.path.as_uri()
    store.open(uri, "python", 1, prefix + suffix)
    header = ""
    if context:
        header = build_context(store, uri, len(prefix), llm.count_tokens,
                               settings.context_budget_tokens).render_header()
    prompt = build_prompt(prefix, suffix, header=header, fim=llm.fim_format, count=llm.count_tokens,
                          prefix_budget=settings.prompt_budget_tokens, suffix_budget=settings.suffix_budget_tokens)
    stops = [] if prompt.fim else ["\ndef ", "\nclass ", "\nif __name__"]
    request = GenerationRequest(prompt=prompt.text, max_new_tokens=settings.max_new_tokens, temperature=0.0,
                                cache_key=uri, stop=stops)
    multiline = decide_multiline(prefix, suffix, "python")
    line_start = prefix[prefix.rfind("\n") + 1:]
    raw = ""
    for piece in llm.stream(request):
        raw += piece
        if "\n" in raw.lstrip("\n") or (not multiline and "\n" in raw):
            break  # the first line is complete: that is what is scored
    healed = heal_completion(raw, prompt.healed, not line_start.strip())
    shown = postprocess(healed, PostContext(prefix=prefix, suffix=suffix, language_id="python", multiline=multiline))
    store.close(uri)
    return shown.split("\n", 1)[0], bool(header)


def evaluate(llm: Any, cases: list[Case], context_files: list[Path], context: bool) -> dict[str, Any]:
    settings = CompletionSettings()
    store = DocumentStore()
    if context:
        for path in context_files:
            store.open(path.as_uri(), "python", 1, path.read_text(encoding="utf-8"))
    exact, similarity, latency, empty, headers = 0, [], [], 0, 0
    examples = []
    for case in cases:
        started = time.perf_counter()
        first, had_header = complete(llm, store, case, context, settings)
        latency.append((time.perf_counter() - started) * 1000)
        headers += had_header
        predicted, target = first.rstrip(), case.target
        exact += predicted == target
        empty += not predicted.strip()
        similarity.append(difflib.SequenceMatcher(None, predicted, target).ratio() * 100)
        if len(examples) < 3:
            examples.append({"file": case.path.name, "line": case.line + 1, "target": target,
                             "predicted": predicted})
    n = len(cases)
    return {
        "n": n,
        "exact_match_pct": round(100 * exact / n, 1),
        "edit_similarity_mean": round(statistics.fmean(similarity), 1),
        "empty_pct": round(100 * empty / n, 1),
        "prompts_with_context_header": headers,
        "latency_ms_median": round(statistics.median(latency), 1),
        "examples": examples,
    }


def load(precision: str, model: str) -> Any:
    from openagent_lsp.llm.hf import TransformersLLM

    llm = TransformersLLM(model, device="cpu", precision=precision)
    llm.load()
    return llm


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--precision", default="fp32,int8")
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--context", default="on,off")
    parser.add_argument("--files", type=int, default=10, help="held-out files the positions come from")
    parser.add_argument("--model", default="embedded", help="model reference (default: the embedded model)")
    args = parser.parse_args(argv)
    precisions = [p.strip() for p in args.precision.split(",") if p.strip()]
    contexts = [c.strip() for c in args.context.split(",") if c.strip()]
    if any(c not in ("on", "off") for c in contexts):
        parser.error("--context takes on, off or on,off")
    cases, context_files = pick(args.seed, args.n, min(args.files, args.n))
    report: dict[str, Any] = {
        "model": args.model, "seed": args.seed, "n": len(cases),
        "held_out_files": sorted({c.path.name for c in cases}),
        "context_files": [p.name for p in context_files],
        "settings": {k: v for k, v in CompletionSettings().model_dump().items()
                     if k in ("prompt_budget_tokens", "suffix_budget_tokens", "context_budget_tokens",
                              "max_new_tokens")},
        "results": {},
    }
    started = time.perf_counter()
    for precision in precisions:
        log(f"loading {args.model} at {precision}")
        llm = load(precision, args.model)
        report["results"][precision] = {"precision": llm.info.precision}
        for context in contexts:
            log(f"{precision}, context {context}: {len(cases)} positions")
            result = evaluate(llm, cases, context_files, context == "on")
            report["results"][precision][f"context_{context}"] = result
            log(f"  exact {result['exact_match_pct']}%, similarity {result['edit_similarity_mean']}")
        del llm
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
