"""With a base model, actions and chat use completion-shaped prompts and keep only the useful continuation.

A scripted model stands in for the base model: the tests check the prompts' shapes and the processing of
continuations, never the model's wording (the action eval measures that with real models).
"""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

from openagent_lsp.agent.core import Agent, AgentSettings
from openagent_lsp.agent.testing import ScriptedLLM
from openagent_lsp.assist.actions import ActionService
from openagent_lsp.assist.arguments import ActionArgs, ChatRequest
from openagent_lsp.assist.base_chat import NOTE_MARKER
from openagent_lsp.assist.chat import ChatDelta, ChatService
from openagent_lsp.context.documents import DocumentStore
from openagent_lsp.errors import NoUsableAnswer
from openagent_lsp.llm.base import CancelToken
from openagent_lsp.store.db import Store
from openagent_lsp.tools import build_default_registry
from openagent_lsp.tools.guard import ToolGuard
from tests.unit.assist.conftest import Models

SOURCE = '''from dataclasses import dataclass


@dataclass
class Box:
    width: float
    height: float


def area(box: Box) -> float:
    return box.width * box.height


class Shelf:
    def fits(self, box, depth):
        return box.width <= depth
'''


def base(*turns: str) -> ScriptedLLM:
    return ScriptedLLM(list(turns), kind="base")


def open_source(documents: DocumentStore, workspace: Path) -> str:
    path = workspace / "boxes.py"
    path.write_text(SOURCE)
    documents.open(path.as_uri(), "python", 1, SOURCE)
    return path.as_uri()


def args(action: str, uri: str, line: int) -> ActionArgs:
    at = {"line": line, "character": 8}
    return ActionArgs.model_validate({"action": action, "uri": uri, "range": {"start": at, "end": at}})


def actions(documents: DocumentStore, llm: ScriptedLLM, guard: ToolGuard, workspace: Path) -> ActionService:
    return ActionService(documents, Models(llm), guard, workspace, lambda: 256)


def applied(text: str, new_text: str, start_line: int, end_line: int) -> str:
    lines = text.split("\n")
    return "\n".join([*lines[:start_line], new_text, *lines[end_line + 1:]])


async def test_docstring_prompt_opens_the_docstring_after_the_whole_function(
        documents: DocumentStore, guard: ToolGuard, workspace: Path) -> None:
    uri = open_source(documents, workspace)
    llm = base("This function returns the area of the box.\n    It returns the area of the box.")
    plan = await actions(documents, llm, guard, workspace).plan_edit(args("docstring", uri, 10))
    request = llm.requests[0]
    assert request.messages is None and '"""' in request.stop
    assert request.prompt.endswith('def area(box: Box) -> float:\n    """')
    assert request.prompt.count("return box.width * box.height") == 1  # the body comes before
    [edit] = plan.files[0].edits
    assert edit.new_text == ('def area(box: Box) -> float:\n    """Return the area of the box."""\n'
                             "    return box.width * box.height")
    ast.parse(applied(SOURCE, edit.new_text, edit.range.start.line, edit.range.end.line))
    assert len(llm.requests) == 1  # the summary names the parameter: no Args section asked


async def test_parameters_the_summary_leaves_out_get_an_args_section(
        documents: DocumentStore, guard: ToolGuard, workspace: Path) -> None:
    uri = open_source(documents, workspace)
    llm = base("Check whether a box fits.", " the box to place.\n        depth: how deep the shelf is.\n\n")
    plan = await actions(documents, llm, guard, workspace).plan_edit(args("docstring", uri, 15))
    follow_up = llm.requests[1].prompt
    assert follow_up.endswith('    """Check whether a box fits.\n\n    Args:\n        box:')  # dedented, like the code
    new_text = plan.files[0].edits[0].new_text
    assert new_text.startswith("    def fits(self, box, depth):\n")
    doc = ast.get_docstring(ast.parse(new_text.strip()).body[0])  # type: ignore[arg-type]
    assert doc == "Check whether a box fits.\n\nArgs:\n    box: The box to place.\n    depth: How deep the shelf is."


async def test_a_docstring_that_is_a_line_of_code_is_refused(documents: DocumentStore, guard: ToolGuard,
                                                             workspace: Path) -> None:
    uri = open_source(documents, workspace)
    llm = base("return box.width * box.height")
    try:
        await actions(documents, llm, guard, workspace).plan_edit(args("docstring", uri, 10))
    except NoUsableAnswer as exc:
        assert "no usable docstring" in str(exc)
    else:
        raise AssertionError("a copied line of code was accepted as a docstring")


async def test_tests_continue_a_test_module_that_imports_the_function(
        documents: DocumentStore, guard: ToolGuard, workspace: Path) -> None:
    uri = open_source(documents, workspace)
    llm = base("    assert area(Box(2, 3)) == 6\n    assert area(Box(2, 3)) == 6\n"
               "    assert area(b) == area(b)\n\n\ndef test_other():\n    assert False\n")
    plan = await actions(documents, llm, guard, workspace).plan_edit(args("tests", uri, 10))
    prompt = llm.requests[0].prompt
    assert prompt.endswith("# file: test_boxes.py\nfrom boxes import area\n\n\ndef test_area():\n")
    assert "class Box:" in prompt.split("# file: boxes.py", 1)[1]  # the dataclass it takes is shown
    [file_edit] = plan.files
    assert file_edit.create and file_edit.path == workspace / "test_boxes.py"
    assert file_edit.edits[0].new_text == ("from boxes import Box, area\n\n\ndef test_area():\n"
                                           "    assert area(Box(2, 3)) == 6\n\n")


async def test_tests_of_a_method_import_its_class(documents: DocumentStore, guard: ToolGuard,
                                                  workspace: Path) -> None:
    uri = open_source(documents, workspace)
    llm = base("    assert Shelf().fits(Box(1, 1), 2) is True\n")
    plan = await actions(documents, llm, guard, workspace).plan_edit(args("tests", uri, 15))
    assert llm.requests[0].prompt.endswith("from boxes import Shelf\n\n\ndef test_fits():\n")
    assert plan.files[0].edits[0].new_text.startswith("from boxes import Box, Shelf\n")


async def test_no_assert_is_no_test(documents: DocumentStore, guard: ToolGuard, workspace: Path) -> None:
    uri = open_source(documents, workspace)
    try:
        await actions(documents, base("    x = 1\n"), guard, workspace).plan_edit(args("tests", uri, 10))
    except NoUsableAnswer as exc:
        assert "no usable test" in str(exc)
    else:
        raise AssertionError("a test without an assert was accepted")


async def test_fix_continues_the_header_and_keeps_a_parsing_body(documents: DocumentStore, guard: ToolGuard,
                                                                 workspace: Path) -> None:
    uri = open_source(documents, workspace)
    llm = base("    return box.width * box.height * 1.0\n\n\nprint(area)")
    action = ActionArgs.model_validate({"action": "fix", "uri": uri, "diagnostics": ["returns an int"],
                                        "range": {"start": {"line": 10, "character": 4},
                                                  "end": {"line": 10, "character": 4}}})
    plan = await actions(documents, llm, guard, workspace).plan_edit(action)
    assert "problem fixed: returns an int" in llm.requests[0].prompt
    assert plan.files[0].edits[0].new_text == "def area(box: Box) -> float:\n    return box.width * box.height * 1.0"


# -- chat ----------------------------------------------------------------------------------------------

def chat_service(documents: DocumentStore, guard: ToolGuard, workspace: Path, llm: ScriptedLLM,
                 diff: str = "") -> ChatService:
    registry = build_default_registry()

    def make_agent() -> Agent:
        return Agent(llm, registry, guard, AgentSettings(select_tools=False))

    return ChatService(Store(":memory:"), workspace, documents, make_agent=make_agent, registry=registry,
                       guard=guard, staged_diff=lambda: diff)


def chat(message: str, uri: str | None = None, line: int = 10, conversation: str | None = None) -> ChatRequest:
    fields: dict[str, object] = {"message": message}
    if uri:
        at = {"line": line, "character": 4}
        fields.update(uri=uri, range={"start": at, "end": at})
    if conversation:
        fields["conversationId"] = conversation
    return ChatRequest.model_validate(fields)


async def test_explain_is_a_comment_block_after_the_code_and_the_note_comes_once(
        documents: DocumentStore, guard: ToolGuard, workspace: Path) -> None:
    uri = open_source(documents, workspace)
    llm = base(" multiplies the box's width by its height.\n# It multiplies the box's width by its height.\n"
               "def more():\n", " multiplies width and height.\n")
    svc = chat_service(documents, guard, workspace, llm)
    deltas: list[ChatDelta] = []
    first = await svc.send(chat("/explain", uri), deltas.append, CancelToken())
    assert llm.requests[0].prompt.endswith(
        "    return box.width * box.height\n\n# What this function does:\n# The `area` function")
    answer, note = first.text.split("\n\n", 1)
    assert answer == "The `area` function multiplies the box's width by its height."
    assert NOTE_MARKER in note and "ollama:qwen2.5-coder:7b" in note
    assert "".join(d.text for d in deltas) == first.text
    second = await svc.send(chat("/explain", uri, conversation=first.conversation_id), lambda _d: None,
                            CancelToken())
    assert second.ok and NOTE_MARKER not in second.text


async def test_a_looping_explanation_stops_the_model(documents: DocumentStore, guard: ToolGuard,
                                                     workspace: Path) -> None:
    uri = open_source(documents, workspace)
    loop = " returns the area.\n" + "# It returns the area.\n" * 200
    llm = base(loop)
    result = await chat_service(documents, guard, workspace, llm).send(chat("/explain", uri), lambda _d: None,
                                                                       CancelToken())
    assert result.text.startswith("The `area` function returns the area.")
    assert llm.pieces_sent * llm.piece_size < len(loop) // 4


async def test_a_question_without_selection_is_answered_from_the_workspace_code(
        documents: DocumentStore, guard: ToolGuard, workspace: Path) -> None:
    open_source(documents, workspace)
    (workspace / "pricing.py").write_text("VAT = 0.2\n\n\ndef with_tax(amount):\n    return amount * (1 + VAT)\n")
    (workspace / ".venv").mkdir()
    (workspace / ".venv" / "hidden.py").write_text("def with_tax_hidden():\n    pass\n")
    llm = base("with_tax`, in pricing.py.\nQ: more")
    result = await chat_service(documents, guard, workspace, llm).send(
        chat("Which function computes the tax?"), lambda _d: None, CancelToken())
    prompt = llm.requests[0].prompt
    assert "# pricing.py: def with_tax" in prompt and "# boxes.py: class Box, def area, class Shelf" in prompt
    assert "with_tax_hidden" not in prompt
    # The most related file sits last, next to the question; a question for a name opens a backtick.
    assert prompt.rindex("# file: pricing.py") > prompt.rindex("# file: boxes.py")
    assert prompt.endswith("# Question about the code above: Which function computes the tax?\n# Answer: `")
    assert result.text.split("\n\n")[0] == "`with_tax`, in pricing.py."


async def test_commit_subject_follows_the_staged_diff(documents: DocumentStore, guard: ToolGuard,
                                                      workspace: Path) -> None:
    diff = "diff --git a/p.py b/p.py\n-    return x\n+    return round(x, 2)\n"
    llm = base(" Round prices to cents.\n\nmore")
    result = await chat_service(documents, guard, workspace, llm, diff=diff).send(
        chat("/commit"), lambda _d: None, CancelToken())
    assert llm.requests[0].prompt.endswith(diff.strip() + "\n\nSubject:")
    assert result.text.startswith("Round prices to cents\n\n")


async def test_a_base_model_answer_that_is_unusable_says_so(documents: DocumentStore, guard: ToolGuard,
                                                            workspace: Path) -> None:
    uri = open_source(documents, workspace)
    result = await chat_service(documents, guard, workspace, base("    pass\n")).send(
        chat("/test", uri), lambda _d: None, CancelToken())
    assert not result.ok and "no usable test" in result.error and "no usable test" in result.text


async def test_cancelling_a_base_model_answer_stops_the_model(documents: DocumentStore, guard: ToolGuard,
                                                              workspace: Path) -> None:
    uri = open_source(documents, workspace)
    llm = ScriptedLLM(kind="base", endless=True)
    cancel = CancelToken()
    svc = chat_service(documents, guard, workspace, llm)
    task = asyncio.ensure_future(svc.send(chat("/explain", uri), lambda _d: None, cancel))
    while not llm.requests:  # the generation has started
        await asyncio.sleep(0.01)
    cancel.cancel("stop")
    result = await asyncio.wait_for(task, 30)
    assert result.cancelled and not result.ok
    assert await asyncio.to_thread(llm.stopped.wait, 30)


async def test_other_languages_get_a_doc_comment_above_the_definition(documents: DocumentStore, guard: ToolGuard,
                                                                      workspace: Path) -> None:
    path = workspace / "math.ts"
    source = "export function double(n: number): number {\n  return n * 2;\n}\n"
    path.write_text(source)
    documents.open(path.as_uri(), "typescript", 1, source)
    llm = base(" returns twice the number `n`.\n// It returns twice the number.\n")
    plan = await actions(documents, llm, guard, workspace).plan_edit(ActionArgs.model_validate({
        "action": "docstring", "uri": path.as_uri(),
        "range": {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 4}}}))
    assert llm.requests[0].prompt.endswith("// What this function does:\n// The `double` function")
    assert plan.files[0].edits[0].new_text == ("/** The `double` function returns twice the number `n`. */\n"
                                               "export function double(n: number): number {\n  return n * 2;\n}")
