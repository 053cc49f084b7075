"""``make eval``: offline line-completion quality of the embedded model, on Python standard-library code.

Two sets of held-out cursor positions, drawn with a seed:

- ``stdlib``: random lines of random standard-library modules; two other modules are open as context;
- ``crossfile``: lines of package modules (``email``, ``json``, ``asyncio``, ...) that call a helper the
  module imports from a sibling module; that sibling is open in the editor, so cross-file context can
  show the model the helper's definition.

At each position the rest of the line is hidden and the real completion path runs in-process: the
prompt (``completion/context.py`` ``PromptBuilder`` with the default budgets, cross-file context on or
off), the model's stream, token healing (``heal_completion``) and post-processing (``postprocess``). The
first line of the suggestion is scored against the hidden text: exact match and edit similarity
(difflib ratio x 100). Greedy, so a run is deterministic for a given seed, precision and machine.

    python benchmarks/eval_completion.py --precision fp32 --n 40 --seed 1 --context on,off --sets stdlib,crossfile
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import random
import re
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

from openagent_lsp.completion.context import PromptBuilder  # noqa: E402
from openagent_lsp.completion.pipeline import budget_of  # noqa: E402
from openagent_lsp.completion.postprocess import PostContext, decide_multiline, postprocess  # noqa: E402
from openagent_lsp.completion.prompt import heal_completion  # noqa: E402
from openagent_lsp.config import CompletionSettings  # noqa: E402
from openagent_lsp.context.documents import DocumentStore  # noqa: E402
from openagent_lsp.llm.base import GenerationRequest  # noqa: E402

STDLIB = Path(sysconfig.get_paths()["stdlib"])
SPLIT_AFTER = " (.,=[:"


@dataclass(frozen=True)
class Case:
    path: Path
    line: int
    offset: int  # cursor offset in the original text
    target: str  # the hidden rest of the line
    context_files: tuple[Path, ...] = ()  # other files open in the editor


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


def pick(seed: int, n: int, n_files: int = 10) -> list[Case]:
    """``n`` cases from ``n_files`` held-out files, with 2 other files open for cross-file context."""
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
            cases.append(Case(path, i, starts[i] + col, line[col:].rstrip(), tuple(context_files)))
    return cases


PACKAGES = ("email", "json", "http", "logging", "asyncio", "concurrent/futures", "importlib", "xml/etree",
            "urllib", "unittest", "multiprocessing", "xmlrpc", "html", "wsgiref", "sqlite3", "dbm",
            "collections", "ctypes", "tomllib", "zoneinfo", "re", "venv", "pydoc_data", "lib2to3")


def _top_level_names(tree: ast.Module) -> set[str]:
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)}


def _sibling_helpers(path: Path, tree: ast.Module, package: Path) -> dict[str, Path]:
    """Names ``path`` imports from a sibling module of its package (``from .x import f`` or
    ``from email.x import f``), mapped to the sibling that defines them."""
    found: dict[str, Path] = {}
    dotted = ".".join(package.relative_to(STDLIB).parts)
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom) or not node.module:
            continue
        if node.level == 1:
            module = node.module
        elif node.level == 0 and node.module.startswith(dotted + "."):
            module = node.module[len(dotted) + 1:]
        else:
            continue
        sibling = package / (module.replace(".", "/") + ".py")
        if not sibling.is_file() or sibling == path:
            continue
        try:
            defined = _top_level_names(ast.parse(sibling.read_text(encoding="utf-8")))
        except (SyntaxError, UnicodeDecodeError):
            continue
        for alias in node.names:
            if alias.asname is None and alias.name in defined:
                found[alias.name] = sibling
    return found


def pick_crossfile(seed: int, n: int) -> list[Case]:
    """``n`` cursors just before a call of a helper defined in a sibling module, which is open."""
    rng = random.Random(seed)
    pool: list[Case] = []
    for package_name in PACKAGES:
        package = STDLIB / package_name
        if not package.is_dir():
            continue
        for path in sorted(package.glob("*.py")):
            try:
                text = path.read_text(encoding="utf-8")
                tree = ast.parse(text)
            except (SyntaxError, UnicodeDecodeError, OSError):
                continue
            helpers = _sibling_helpers(path, tree, package)
            if not helpers:
                continue
            calls = re.compile(r"\b(" + "|".join(map(re.escape, sorted(helpers))) + r")\(")
            offset = 0
            for i, line in enumerate(text.split("\n")):
                match = calls.search(line)
                if match and line.startswith(" ") and not line.strip().startswith(("#", "def ", "class ")):
                    col = match.start()
                    pool.append(Case(path, i, offset + col, line[col:].rstrip(), (helpers[match.group(1)],)))
                offset += len(line) + 1
    by_file: dict[Path, list[Case]] = {}
    for case in pool:
        by_file.setdefault(case.path, []).append(case)
    files = sorted(by_file)
    rng.shuffle(files)
    cases: list[Case] = []
    while len(cases) < n and files:  # round robin over files: no file dominates the set
        for path in list(files):
            if len(cases) >= n:
                break
            options = by_file[path]
            if not options:
                files.remove(path)
                continue
            cases.append(options.pop(rng.randrange(len(options))))
    return sorted(cases, key=lambda c: (str(c.path), c.line))


def complete(llm: Any, case: Case, context: bool, settings: CompletionSettings) -> tuple[str, bool]:
    """The pipeline's steps for one cursor; returns (first line of the suggestion, context header used)."""
    store = DocumentStore()
    for path in case.context_files:
        store.open(path.as_uri(), "python", 1, path.read_text(encoding="utf-8"))
    text = case.path.read_text(encoding="utf-8")
    line_end = text.find("\n", case.offset)
    line_end = len(text) if line_end < 0 else line_end
    prefix, suffix = text[: case.offset], text[line_end:]  # the rest of the line is hidden
    uri = case.path.as_uri()
    store.open(uri, "python", 1, prefix + suffix)
    prompt = PromptBuilder(store).build(uri, "python", prefix, suffix, fim=llm.fim_format, count=llm.count_tokens,
                                        budget=budget_of(settings), use_context=context)
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
    return shown.split("\n", 1)[0], "# Path: " in prompt.text


def evaluate(llm: Any, cases: list[Case], context: bool) -> dict[str, Any]:
    settings = CompletionSettings()
    exact, similarity, latency, empty, headers = 0, [], [], 0, 0
    examples = []
    for case in cases:
        started = time.perf_counter()
        first, had_header = complete(llm, case, context, settings)
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
    parser.add_argument("--files", type=int, default=10, help="held-out files the stdlib positions come from")
    parser.add_argument("--sets", default="stdlib,crossfile", help="stdlib, crossfile or both")
    parser.add_argument("--model", default="embedded", help="model reference (default: the embedded model)")
    args = parser.parse_args(argv)
    precisions = [p.strip() for p in args.precision.split(",") if p.strip()]
    contexts = [c.strip() for c in args.context.split(",") if c.strip()]
    if any(c not in ("on", "off") for c in contexts):
        parser.error("--context takes on, off or on,off")
    sets: dict[str, list[Case]] = {}
    for name in (x.strip() for x in args.sets.split(",") if x.strip()):
        if name == "stdlib":
            sets[name] = pick(args.seed, args.n, min(args.files, args.n))
        elif name == "crossfile":
            sets[name] = pick_crossfile(args.seed, args.n)
        else:
            parser.error(f"unknown set {name!r}: use stdlib, crossfile")
    report: dict[str, Any] = {
        "model": args.model, "seed": args.seed,
        "sets": {name: {"n": len(cases), "held_out_files": sorted({c.path.name for c in cases}),
                        "context_files": sorted({p.name for c in cases for p in c.context_files})}
                 for name, cases in sets.items()},
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
        for set_name, cases in sets.items():
            for context in contexts:
                log(f"{precision}, {set_name}, context {context}: {len(cases)} positions")
                result = evaluate(llm, cases, context == "on")
                report["results"][precision][f"{set_name}_context_{context}"] = result
                log(f"  exact {result['exact_match_pct']}%, similarity {result['edit_similarity_mean']}")
        del llm
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
