"""``make eval-actions``: do the code actions and chat give answers a user would keep? Checked by running them.

The real application services run in-process (``ActionService`` for *Add docstring* and *Write tests*,
``ChatService`` for ``/explain`` and questions), exactly as the editor drives them, against:

- **docstring** — every function of the set's modules: the edited file still parses, the docstring sits
  inside that function, is non-empty, copies no line of the code, and names a parameter or the return value;
- **tests** — the same pure functions: the generated test file parses, imports the function, and its tests
  *run and pass* under pytest inside the OS sandbox (``openagent_lsp.sandbox``); a test whose asserts are all
  tautologies (``f(x) == f(x)``) counts as failed;
- **explain** — ``/explain`` on each function: the answer names the function and an identifier from its body
  (not a keyword or builtin), and copies no line of the code or of the prompt;
- **chat** — questions about ``demo/sample_project`` with one checkable fact each (``action_sets/chat.json``).

Sets: ``dev`` (prompts may be tuned on it) and ``heldout`` (never used for tuning). Greedy decoding; the seed
orders the cases (and builds the tiny test model), so a run is deterministic for a seed, model and machine.

    python benchmarks/eval_actions.py --models embedded,embedded:smollm2,tiny --sets dev,heldout
    OPENAGENT_OPENAI_BASE_URL=http://127.0.0.1:8000/v1 python benchmarks/eval_actions.py --models openai:NAME
"""

from __future__ import annotations

import argparse
import asyncio
import builtins
import json
import keyword
import random
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import ast  # noqa: E402

from openagent_lsp.agent.core import Agent, AgentSettings  # noqa: E402
from openagent_lsp.assist.actions import ActionService  # noqa: E402
from openagent_lsp.assist.arguments import ActionArgs, ChatRequest  # noqa: E402
from openagent_lsp.assist.base_chat import NOTE_MARKER  # noqa: E402
from openagent_lsp.assist.chat import ChatService  # noqa: E402
from openagent_lsp.assist.edits import EditPlan  # noqa: E402
from openagent_lsp.config import Settings  # noqa: E402
from openagent_lsp.context.documents import DocumentStore  # noqa: E402
from openagent_lsp.errors import OpenAgentError  # noqa: E402
from openagent_lsp.llm.base import BaseLLM, CancelToken  # noqa: E402
from openagent_lsp.policy.types import ApprovalAnswer  # noqa: E402
from openagent_lsp.sandbox import SandboxSpec, SandboxUnavailable, python_toolchain_paths, run_sandboxed  # noqa: E402
from openagent_lsp.store.db import Store  # noqa: E402
from openagent_lsp.tools import build_default_registry  # noqa: E402
from openagent_lsp.tools.guard import InMemoryGrantStore, ToolGuard  # noqa: E402
from openagent_lsp.tools.testing import FakePolicyEngine, MemoryAuditLog, ScriptedApprover  # noqa: E402

SETS = ROOT / "benchmarks" / "action_sets"
SAMPLE = ROOT / "demo" / "sample_project"
TASKS = ("docstring", "tests", "explain", "chat")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NOT_IDENTIFIERS = set(keyword.kwlist) | set(dir(builtins)) | {"self", "cls"}


def log(message: str) -> None:
    print(f"[eval-actions] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class FunctionCase:
    module: Path
    name: str
    line: int  # zero-based line of the def
    code: str
    params: tuple[str, ...]
    body_identifiers: frozenset[str]


def function_cases(set_name: str) -> list[FunctionCase]:
    cases = []
    for module in sorted((SETS / set_name).glob("*.py")):
        text = module.read_text(encoding="utf-8")
        lines = text.split("\n")
        for node in ast.parse(text).body:
            if not isinstance(node, ast.FunctionDef):
                continue
            code = "\n".join(lines[node.lineno - 1:node.end_lineno])
            args = node.args
            params = tuple(a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs])
            body = "\n".join(lines[node.body[0].lineno - 1:node.end_lineno])
            identifiers = {w for w in _IDENT.findall(_strip_strings(body)) if w not in _NOT_IDENTIFIERS}
            cases.append(FunctionCase(module, node.name, node.lineno - 1, code, params,
                                      frozenset(identifiers - {node.name})))
    return cases


def _strip_strings(code: str) -> str:
    return re.sub(r"\"[^\"\n]*\"|'[^'\n]*'", " ", code)


def chat_questions(set_name: str) -> list[dict[str, str]]:
    data = json.loads((SETS / "chat.json").read_text(encoding="utf-8"))
    return [q for q in data["questions"] if q["set"] == set_name]


# -- the application services, wired as the server wires them -------------------------------------------

class Models:
    def __init__(self, llm: BaseLLM) -> None:
        self.llm = llm

    def require_ready(self) -> BaseLLM:
        return self.llm


class Workspace:
    """A temporary workspace with the services an editor session would use (writes allowed, commands denied)."""

    def __init__(self, llm: BaseLLM, files: list[Path] | None = None, copy_of: Path | None = None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="openagent-eval-")).resolve() / "ws"
        if copy_of is not None:
            shutil.copytree(copy_of, self.root)
        else:
            self.root.mkdir(parents=True)
        for path in files or []:
            shutil.copy(path, self.root / path.name)
        self.documents = DocumentStore()
        settings = Settings()
        guard = ToolGuard(FakePolicyEngine(), ScriptedApprover(default=ApprovalAnswer.DENY), InMemoryGrantStore(),
                          MemoryAuditLog(), self.root, approval_timeout_s=5.0)
        registry = build_default_registry()
        chat = settings.chat

        def make_agent() -> Agent:
            agent_settings = AgentSettings(max_steps=chat.max_agent_steps, max_new_tokens=chat.max_new_tokens,
                                           context_tokens=chat.context_budget_tokens, temperature=0.0,
                                           deadline_s=240.0)
            return Agent(llm, registry, guard, agent_settings)

        self.actions = ActionService(self.documents, Models(llm), guard, self.root, lambda: chat.max_new_tokens)
        self.chat = ChatService(Store(":memory:"), self.root, self.documents, make_agent=make_agent,
                                registry=registry, guard=guard, staged_diff=lambda: "")

    def open(self, name: str) -> str:
        path = self.root / name
        uri = path.as_uri()
        self.documents.open(uri, "python", 1, path.read_text(encoding="utf-8"))
        return uri

    def close(self) -> None:
        shutil.rmtree(self.root.parent, ignore_errors=True)


def apply_plan(plan: EditPlan, workspace: Workspace) -> dict[Path, str]:
    """The files' new texts after the plan's edits (what the editor would save)."""
    out: dict[Path, str] = {}
    for file_edit in plan.files:
        doc = workspace.documents.find(file_edit.uri)
        text = doc.text if doc is not None else (file_edit.path.read_text(encoding="utf-8")
                                                 if file_edit.path.exists() else "")
        probe = DocumentStore().open(file_edit.uri, "python", 1, text)
        for edit in sorted(file_edit.edits, key=lambda e: (e.range.start.line, e.range.start.character),
                           reverse=True):
            start, end = probe.offset_at(edit.range.start), probe.offset_at(edit.range.end)
            text = text[:start] + edit.new_text + text[end:]
        out[file_edit.path] = text
    return out


def action_args(action: str, uri: str, line: int) -> ActionArgs:
    position = {"line": line + 1, "character": 4}
    return ActionArgs.model_validate({"action": action, "uri": uri, "range": {"start": position, "end": position}})


# -- the checks ------------------------------------------------------------------------------------------

def check_docstring(case: FunctionCase, new_text: str) -> dict[str, bool]:
    checks = {"parses": False, "inside_function": False, "non_empty": False, "not_code": False,
              "names_param_or_return": False, "names_param": False, "rest_unchanged": False}
    try:
        tree = ast.parse(new_text)
    except SyntaxError:
        return checks
    checks["parses"] = True
    node = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == case.name), None)
    doc = ast.get_docstring(node) if node is not None else None
    checks["inside_function"] = doc is not None
    if not doc:
        return checks
    checks["non_empty"] = bool(doc.strip())
    flat = " ".join(doc.split())
    code_lines = [" ".join(line.split()) for line in case.code.split("\n")[1:] if len(line.strip()) > 8]
    checks["not_code"] = not any(line in flat for line in code_lines)
    words = set(_IDENT.findall(doc))
    checks["names_param"] = any(p in words for p in case.params)
    checks["names_param_or_return"] = checks["names_param"] or bool(re.search(r"\breturn(s|ed)?\b", doc, re.I))
    original = case.module.read_text(encoding="utf-8")
    others = [ast.get_source_segment(original, n) for n in ast.parse(original).body if getattr(n, "name", "") !=
              case.name]
    checks["rest_unchanged"] = all(segment is None or segment in new_text for segment in others)
    return checks


DOCSTRING_REQUIRED = ("parses", "inside_function", "non_empty", "not_code", "names_param_or_return",
                      "rest_unchanged")


def run_tests(workspace: Path, test_file: Path) -> tuple[bool, str]:
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test_file.name]
    spec = SandboxSpec(workspace=workspace, readable=python_toolchain_paths())
    try:
        result = run_sandboxed(argv, spec, cwd=workspace, timeout_s=60)
    except SandboxUnavailable:
        import subprocess

        done = subprocess.run(argv, cwd=workspace, capture_output=True, text=True, timeout=60, check=False)
        return done.returncode == 0, (done.stdout + done.stderr)[-400:]
    output = result.stdout + result.stderr
    return result.exit_code == 0 and " passed" in output and not result.timed_out, output[-400:]


def check_tests(case: FunctionCase, test_text: str, workspace: Path, test_path: Path) -> dict[str, Any]:
    checks: dict[str, Any] = {"parses": False, "imports_function": False, "has_real_assert": False,
                              "runs_and_passes": False}
    try:
        tree = ast.parse(test_text)
    except SyntaxError:
        return checks
    checks["parses"] = True
    module = case.module.stem
    checks["imports_function"] = any(
        (isinstance(n, ast.ImportFrom) and n.module == module and any(a.name in (case.name, "*") for a in n.names))
        or (isinstance(n, ast.Import) and any(a.name == module for a in n.names))
        for n in ast.walk(tree))
    asserts = [n for n in ast.walk(tree) if isinstance(n, ast.Assert)]
    checks["has_real_assert"] = any(not _tautology(a) and case.name in ast.unparse(a) for a in asserts)
    if checks["imports_function"] and checks["has_real_assert"]:
        test_path.write_text(test_text, encoding="utf-8")
        passed, output = run_tests(workspace, test_path)
        checks["runs_and_passes"] = passed
        checks["output"] = output
        # Not a pass criterion: what keeping only the asserts that pass when run would give (an upper
        # bound for generate-then-run filtering, reported as "what it would take").
        checks["some_assert_passes"] = passed or _some_assert_passes(tree, asserts, case, workspace)
    return checks


def _some_assert_passes(tree: ast.Module, asserts: list[ast.Assert], case: FunctionCase, workspace: Path) -> bool:
    imports = "\n".join(ast.unparse(n) for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom))
    real = [a for a in asserts if not _tautology(a) and case.name in ast.unparse(a)]
    if not real:
        return False
    single = "\n\n".join(f"def test_{i}():\n    {ast.unparse(a)}" for i, a in enumerate(real))
    path = workspace / f"test_single_{case.name}.py"
    path.write_text(f"{imports}\n\n\n{single}\n", encoding="utf-8")
    _, output = run_tests(workspace, path)
    return re.search(r"\b[1-9]\d* passed", output) is not None


def _tautology(node: ast.Assert) -> bool:
    test = node.test
    return (isinstance(test, ast.Compare) and len(test.comparators) == 1
            and ast.dump(test.left) == ast.dump(test.comparators[0]))


def check_explain(case: FunctionCase, answer: str) -> dict[str, bool]:
    words = set(_IDENT.findall(answer.replace("`", " ")))
    code_lines = [line.strip() for line in case.code.split("\n") if len(line.strip()) >= 12]
    return {
        "names_function": case.name in words,
        "names_body_identifier": bool(words & case.body_identifiers),
        "no_copy_of_prompt": bool(answer.strip()) and not any(line in answer for line in code_lines)
        and "what this function does" not in answer.lower(),
    }


EXPLAIN_REQUIRED = ("names_function", "names_body_identifier", "no_copy_of_prompt")


def without_note(text: str) -> str:
    """The answer without the once-per-conversation note about the model (it carries no project facts)."""
    return "\n\n".join(p for p in text.split("\n\n") if NOTE_MARKER not in p).strip()


def check_chat(question: dict[str, str], answer: str) -> dict[str, bool]:
    return {
        "has_fact": re.search(question["expect"], answer) is not None,
        "no_wrong_candidate": re.search(question["reject"], answer) is None,
        "short": len(answer) <= 400,
    }


# -- running ---------------------------------------------------------------------------------------------

async def eval_docstring(llm: BaseLLM, cases: list[FunctionCase]) -> list[dict[str, Any]]:
    rows = []
    for case in cases:
        ws = Workspace(llm, [case.module])
        uri = ws.open(case.module.name)
        started = time.perf_counter()
        row: dict[str, Any] = {"function": case.name, "module": case.module.stem}
        try:
            plan = await ws.actions.plan_edit(action_args("docstring", uri, case.line))
            new_text = apply_plan(plan, ws)[ws.root / case.module.name]
            checks = check_docstring(case, new_text)
            node = next(n for n in ast.parse(new_text).body if getattr(n, "name", "") == case.name) \
                if checks["parses"] else None
            row["docstring"] = ast.get_docstring(node) if node is not None else None  # type: ignore[arg-type]
        except (OpenAgentError, StopIteration) as exc:
            checks = {key: False for key in DOCSTRING_REQUIRED}
            row["error"] = str(exc)[:200]
        row["checks"] = checks
        row["ok"] = all(checks.get(k) for k in DOCSTRING_REQUIRED)
        row["seconds"] = round(time.perf_counter() - started, 1)
        rows.append(row)
        ws.close()
        log(f"  docstring {case.name}: {'ok' if row['ok'] else 'FAIL'} {row.get('docstring') or row.get('error')!r}")
    return rows


async def eval_tests(llm: BaseLLM, cases: list[FunctionCase]) -> list[dict[str, Any]]:
    rows = []
    for case in cases:
        ws = Workspace(llm, [case.module])
        uri = ws.open(case.module.name)
        started = time.perf_counter()
        row: dict[str, Any] = {"function": case.name, "module": case.module.stem}
        try:
            plan = await ws.actions.plan_edit(action_args("tests", uri, case.line))
            texts = apply_plan(plan, ws)
            test_path, test_text = next(iter(texts.items()))
            row["test"] = test_text
            checks = check_tests(case, test_text, ws.root, test_path)
        except OpenAgentError as exc:
            checks = {"parses": False, "imports_function": False, "has_real_assert": False, "runs_and_passes": False}
            row["error"] = str(exc)[:200]
        row["output"] = checks.pop("output", "")
        row["checks"] = checks
        row["ok"] = bool(checks["runs_and_passes"])
        row["seconds"] = round(time.perf_counter() - started, 1)
        rows.append(row)
        ws.close()
        log(f"  tests {case.name}: {'PASS' if row['ok'] else 'fail'} "
            f"{(row.get('test') or row.get('error') or '')[-160:]!r}")
    return rows


async def eval_explain(llm: BaseLLM, cases: list[FunctionCase]) -> list[dict[str, Any]]:
    rows = []
    for case in cases:
        ws = Workspace(llm, [case.module])
        uri = ws.open(case.module.name)
        position = {"line": case.line + 1, "character": 4}
        started = time.perf_counter()
        row: dict[str, Any] = {"function": case.name, "module": case.module.stem}
        try:
            result = await ws.chat.send(ChatRequest.model_validate(
                {"message": "/explain", "uri": uri, "range": {"start": position, "end": position}}),
                lambda _d: None, CancelToken())
            answer = without_note(result.text)
        except OpenAgentError as exc:
            answer, row["error"] = "", str(exc)[:200]
        row["answer"] = answer
        row["checks"] = check_explain(case, answer)
        row["ok"] = all(row["checks"][k] for k in EXPLAIN_REQUIRED)
        row["seconds"] = round(time.perf_counter() - started, 1)
        rows.append(row)
        ws.close()
        log(f"  explain {case.name}: {'ok' if row['ok'] else 'FAIL'} {answer[:160]!r}")
    return rows


async def eval_chat(llm: BaseLLM, questions: list[dict[str, str]]) -> list[dict[str, Any]]:
    rows = []
    for question in questions:
        ws = Workspace(llm, copy_of=SAMPLE)
        started = time.perf_counter()
        row: dict[str, Any] = {"question": question["question"]}
        try:
            result = await ws.chat.send(ChatRequest(message=question["question"]), lambda _d: None, CancelToken())
            answer = without_note(result.text)
        except OpenAgentError as exc:
            answer, row["error"] = "", str(exc)[:200]
        row["answer"] = answer[:600]
        row["checks"] = check_chat(question, answer)
        row["ok"] = all(row["checks"].values())
        row["seconds"] = round(time.perf_counter() - started, 1)
        rows.append(row)
        ws.close()
        log(f"  chat {question['question'][:40]!r}: {'ok' if row['ok'] else 'FAIL'} {answer[:120]!r}")
    return rows


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    summary: dict[str, Any] = {"n": n, "pass_pct": round(100 * sum(r["ok"] for r in rows) / n, 1) if n else None}
    keys = sorted({k for r in rows for k in r["checks"]})
    summary["checks_pct"] = {k: round(100 * sum(bool(r["checks"].get(k)) for r in rows) / n, 1) for k in keys}
    summary["seconds"] = round(sum(r["seconds"] for r in rows), 1)
    return summary


def load_model(ref: str, precision: str, seed: int, scratch: Path) -> BaseLLM:
    from openagent_lsp.llm.factory import get_llm

    if ref == "tiny":
        from tests.support.tiny_model import build_tiny_model

        ref = str(build_tiny_model(scratch / "tiny-model", seed=seed))
    settings = Settings(model=ref, precision=precision)  # type: ignore[arg-type]
    llm = get_llm(ref, settings)
    llm.load()
    return llm


async def evaluate(llm: BaseLLM, set_name: str, tasks: list[str], seed: int, limit: int) -> dict[str, Any]:
    rng = random.Random(seed)
    functions = function_cases(set_name)
    rng.shuffle(functions)
    questions = chat_questions(set_name)
    if limit:
        functions, questions = functions[:limit], questions[:limit]
    results: dict[str, Any] = {}
    runners = {"docstring": lambda: eval_docstring(llm, functions), "tests": lambda: eval_tests(llm, functions),
               "explain": lambda: eval_explain(llm, functions), "chat": lambda: eval_chat(llm, questions)}
    for task in tasks:
        log(f"{set_name} / {task}")
        rows = await runners[task]()
        results[task] = {"summary": summarize(rows), "cases": rows}
        log(f"{set_name} / {task}: {results[task]['summary']['pass_pct']}% of {len(rows)}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="embedded,embedded:smollm2,tiny")
    parser.add_argument("--sets", default="dev,heldout")
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit", type=int, default=0, help="at most this many cases per task (0: all)")
    parser.add_argument("--precision", default="fp32",
                        help="fp32 (default: the same figures on every CPU), bf16, int8 or auto")
    parser.add_argument("--details", action="store_true", help="print every case, not only the summaries")
    args = parser.parse_args(argv)
    tasks = [t for t in args.tasks.split(",") if t]
    if unknown := [t for t in tasks if t not in TASKS]:
        parser.error(f"unknown task(s) {unknown}; choose from {', '.join(TASKS)}")
    report: dict[str, Any] = {"seed": args.seed, "precision": args.precision, "models": {}}
    scratch = Path(tempfile.mkdtemp(prefix="openagent-eval-models-"))
    started = time.perf_counter()
    try:
        for ref in [m for m in args.models.split(",") if m]:
            log(f"loading {ref}")
            try:
                llm = load_model(ref, args.precision, args.seed, scratch)
            except OpenAgentError as exc:
                report["models"][ref] = {"error": str(exc)}
                log(f"  {ref} unavailable: {exc}")
                continue
            info = llm.info
            entry: dict[str, Any] = {"kind": info.kind or "unknown", "kind_reason": info.kind_reason,
                                     "source": info.source, "precision": info.precision, "sets": {}}
            for set_name in [s for s in args.sets.split(",") if s]:
                entry["sets"][set_name] = asyncio.run(evaluate(llm, set_name, tasks, args.seed, args.limit))
            report["models"][ref] = entry
            del llm
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report["seconds"] = round(time.perf_counter() - started, 1)
    if not args.details:
        for entry in report["models"].values():
            for results in entry.get("sets", {}).values():
                for task in results.values():
                    task["cases"] = [{k: v for k, v in case.items() if k in ("function", "question", "ok")}
                                     for case in task["cases"]]
    print(json.dumps(report, indent=2))
    print_table(report)
    return 0


def print_table(report: dict[str, Any]) -> None:
    """One line per model and set: the pass rate of each task (stderr, for people)."""
    log("model                  set      " + "  ".join(f"{t:>9}" for t in TASKS))
    for ref, entry in report["models"].items():
        for set_name, results in entry.get("sets", {}).items():
            cells = []
            for task in TASKS:
                summary = results.get(task, {}).get("summary")
                cells.append(f"{summary['pass_pct']:>8}%" if summary else f"{'-':>9}")
            log(f"{ref:<22} {set_name:<8} " + "  ".join(cells))


if __name__ == "__main__":
    raise SystemExit(main())
