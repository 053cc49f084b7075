"""One recipe per action and model kind: the request to send, and how its answer becomes the result.

Instruction-tuned models (and remote servers, which apply their own chat template) get chat messages
(``prompts.py``). Base models get completion-shaped prompts (``base_prompts.py``) whose continuations
``answers.py`` cuts down. The action service and the chat service both build their requests here, so
an action and its slash command behave the same.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from openagent_lsp.assist import answers, base_prompts
from openagent_lsp.assist.base_prompts import ShapedPrompt
from openagent_lsp.assist.prompts import action_messages, extract_code, reindent
from openagent_lsp.context.languages import comment_prefix
from openagent_lsp.errors import NoUsableAnswer
from openagent_lsp.llm.base import BaseLLM, CancelToken, GenerationRequest
from openagent_lsp.llm.kind import PromptStyle, prompt_style

_DEF_NAME = re.compile(r"^\s*(?:async\s+)?(?:def|class|function|func|fn)\s+([A-Za-z_]\w*)", re.M)


def uses_completion_prompts(llm: BaseLLM, preference: str = "auto") -> bool:
    """Whether to use completion-shaped prompts: base models, and instruction-tuned ones too small to
    follow a chat, unless the ``promptStyle`` setting (``preference``) says (llm/kind.py ``prompt_style``)."""
    return prompt_style(llm.info.kind, llm.info.parameters, preference).style == PromptStyle.COMPLETION


@dataclass(frozen=True)
class Subject:
    """The code an action works on, with what its prompts need around it."""

    code: str
    language: str
    name: str = ""
    module: str = ""  # the file's import name (``inventory`` for inventory.py)
    document: str = ""  # the whole file, for the definitions the code uses
    diagnostics: list[str] = field(default_factory=list)
    question: str = ""

    @property
    def python(self) -> bool:
        return self.language == "python"


def name_of(code: str) -> str:
    """The name of the first definition in ``code`` ("" when there is none)."""
    match = _DEF_NAME.search(code)
    return match.group(1) if match else ""


@dataclass(frozen=True)
class Recipe:
    """What to send, and the function that turns the model's answer into the result text.

    ``finish`` takes what the model wrote (for base models: the continuation, without the prompt).
    ``primer`` is the part of the answer the prompt already wrote: streaming shows it first.
    """

    request: GenerationRequest
    finish: Callable[[str], str]
    primer: str = ""
    comment_marker: str = ""  # set for answers written as a comment block (explain, ask)
    # A second generation built from the first answer (None: the first answer is finished as it is).
    then: Callable[[str], Recipe | None] | None = None


def run_recipe(llm: BaseLLM, recipe: Recipe, cancel: CancelToken | None = None) -> str:
    """Generate (blocking: call it in a worker thread), follow up when the recipe asks, and finish."""
    answer = llm.generate(recipe.request, cancel)
    follow = recipe.then(answer) if recipe.then is not None else None
    if follow is not None:
        return run_recipe(llm, follow, cancel)
    return recipe.finish(answer)


def recipe_for(action: str, subject: Subject, *, base: bool, max_new_tokens: int) -> Recipe:
    """The recipe of ``action`` ("explain", "ask", "docstring", "tests", "fix", "refactor", "commit")."""
    if base:
        recipe = _base_recipe(action, subject)
        if recipe is not None:
            return recipe
    return _chat_recipe(action, subject, max_new_tokens)


# -- instruction-tuned models -----------------------------------------------------------------------

def _chat_recipe(action: str, subject: Subject, max_new_tokens: int) -> Recipe:
    messages = action_messages(action, subject.code, subject.language, subject.diagnostics, subject.question)
    request = GenerationRequest(messages=messages, max_new_tokens=max_new_tokens, temperature=0.0)
    if action in ("explain", "ask", "commit"):
        return Recipe(request, lambda answer: answer.strip())
    if action == "tests":
        return Recipe(request, _code_from(action))
    return Recipe(request, lambda answer: reindent(_code_from(action)(answer), subject.code))


def _code_from(action: str) -> Callable[[str], str]:
    def finish(answer: str) -> str:
        code = extract_code(answer)
        if not code.strip():
            raise NoUsableAnswer(f"the model returned no code for the {action} action")
        return code
    return finish


# -- base models ------------------------------------------------------------------------------------

def _base_recipe(action: str, subject: Subject) -> Recipe | None:
    if action == "explain":
        return _comment_recipe(base_prompts.explain_prompt(subject.code, subject.name, subject.language),
                               subject.language, max_sentences=3)
    if action == "ask":
        return _comment_recipe(base_prompts.ask_prompt(subject.code, subject.question, subject.language),
                               subject.language, max_sentences=3)
    if action == "docstring":
        return _docstring_recipe(subject)
    if action == "tests" and subject.python:
        return _tests_recipe(subject)
    if action in ("fix", "refactor"):
        return _rewrite_recipe(action, subject)
    if action == "commit":
        shaped = base_prompts.commit_prompt(subject.code)
        return Recipe(_request(shaped), _require(answers.commit_subject, "commit message"))
    return None


def _request(shaped: ShapedPrompt) -> GenerationRequest:
    return GenerationRequest(prompt=shaped.text, max_new_tokens=shaped.max_new_tokens, temperature=0.0,
                             stop=list(shaped.stop))


def _require(make: Callable[[str], str], what: str) -> Callable[[str], str]:
    def finish(answer: str) -> str:
        result = make(answer)
        if not result.strip():
            raise NoUsableAnswer(f"the model wrote no usable {what}; try again, or use an instruction-tuned "
                                    f"model for this code")
        return result
    return finish


def _comment_recipe(shaped: ShapedPrompt, language: str, max_sentences: int) -> Recipe:
    marker = comment_prefix(language)

    def finish(answer: str) -> str:
        return answers.prose_answer(answers.comment_lines(answer, marker), max_sentences=max_sentences,
                                    primer=shaped.primer)

    return Recipe(_request(shaped), _require(finish, "explanation"), shaped.primer, marker)


def _docstring_recipe(subject: Subject) -> Recipe:
    shaped = base_prompts.docstring_prompt(subject.code) if subject.python else None
    if shaped is not None:
        def summary_of(answer: str) -> str:
            text = answers.docstring_text(answer)
            if not text or _copies_code(text, subject.code):
                raise NoUsableAnswer("the model wrote no usable docstring; try again, or use an "
                                     "instruction-tuned model for this code")
            return text

        def finish(answer: str) -> str:
            return answers.insert_python_docstring(subject.code, summary_of(answer))

        def describe_arguments(answer: str) -> Recipe | None:
            """Parameters the summary leaves unnamed get an ``Args:`` section, which the model writes."""
            summary = summary_of(answer)
            params = base_prompts.python_parameters(subject.code)
            words = set(re.findall(r"\w+", summary))
            if not params or all(p in words for p in params):
                return None
            follow = base_prompts.docstring_args_prompt(shaped, summary, subject.code, params)

            def finish_with_args(more: str) -> str:
                described = answers.argument_descriptions(follow.primer + more, params)
                return answers.insert_python_docstring(subject.code, summary, described or None)

            return Recipe(_request(follow), finish_with_args)

        return Recipe(_request(shaped), finish, then=describe_arguments)
    # Other languages: a one-sentence summary from the explanation prompt, as a doc comment above
    # (a second sentence of a small model mostly restates the first).
    explain = base_prompts.explain_prompt(subject.code, subject.name, subject.language)
    marker = comment_prefix(subject.language)

    def finish_comment(answer: str) -> str:
        summary = answers.prose_answer(answers.comment_lines(answer, marker), max_sentences=1, primer=explain.primer)
        if not summary:
            raise NoUsableAnswer("the model wrote no usable doc comment")
        return _doc_comment(summary, subject)
    return Recipe(_request(explain), finish_comment)


def _doc_comment(summary: str, subject: Subject) -> str:
    first = next((line for line in subject.code.split("\n") if line.strip()), "")
    indent = first[: len(first) - len(first.lstrip())]
    if subject.language in ("rust",):
        lines = [f"{indent}/// {summary}"]
    elif subject.language in ("go",):
        lines = [f"{indent}// {summary}"]
    elif comment_prefix(subject.language) == "//":
        lines = [f"{indent}/** {summary} */"]
    else:
        lines = [f"{indent}{comment_prefix(subject.language)} {summary}"]
    return "\n".join(lines) + "\n" + subject.code


def _copies_code(text: str, code: str) -> bool:
    """A "docstring" that is one of the function's own lines."""
    flat = " ".join(text.split()).rstrip(".")
    return any(flat == " ".join(line.split()) for line in code.split("\n") if len(line.strip()) > 10)


def _tests_recipe(subject: Subject) -> Recipe:
    import_name, context, top_level = _test_context(subject)
    shaped = base_prompts.test_prompt(subject.module or "module", context, subject.name or import_name or "code",
                                      import_name or subject.name)

    def finish(answer: str) -> str:
        body = answers.test_body(answer)
        if not any(statement.startswith("assert") for statement in body):
            raise NoUsableAnswer("the model wrote no usable test; try again, or use an instruction-tuned "
                                    "model for this code")
        code = "\n".join(body)
        used = answers.used_names(code)
        names = sorted(({import_name} | (used & top_level)) - {""})
        imports = []
        if "pytest" in used:
            imports.append("import pytest\n")
        imports.append(f"from {subject.module or 'module'} import {', '.join(names)}")
        indented = "\n".join("    " + line if line else "" for line in code.split("\n"))
        return "\n".join(imports) + f"\n\n\n{shaped.primer}{indented}\n"

    return Recipe(_request(shaped), finish)


def _test_context(subject: Subject) -> tuple[str, str, set[str]]:
    """(name to import, the code shown above the test, the module's top-level names).

    The context is the module's imports, the top-level definitions the code refers to (a dataclass it
    takes, a constant it reads) and the code itself: enough to call it, without the rest of the file.
    """
    code = base_prompts.dedent_code(subject.code)
    name = subject.name
    try:
        tree = ast.parse(subject.document) if subject.document else None
    except SyntaxError:
        tree = None
    if tree is None:
        return name, code, {name}
    top: dict[str, ast.stmt] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            top[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    top[target.id] = node
    import_name = name
    if name not in top:  # a method: import its class
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and any(getattr(n, "name", None) == name for n in node.body):
                import_name = node.name
                break
    lines = subject.document.split("\n")
    imports = [ast.get_source_segment(subject.document, n) or "" for n in tree.body
               if isinstance(n, ast.Import | ast.ImportFrom)]
    referenced = answers.used_names(code)
    needed = []
    for other, node in top.items():
        if other in (name, import_name) or other not in referenced:
            continue
        start = min([node.lineno, *[d.lineno for d in getattr(node, "decorator_list", [])]]) - 1
        needed.append("\n".join(lines[start:node.end_lineno]))
    shown_code = code
    if import_name != name:
        owner = top.get(import_name)
        if owner is not None:
            shown_code = "\n".join(lines[owner.lineno - 1:owner.end_lineno])
    parts = ["\n".join(i for i in imports if i)] if imports else []
    parts += [block for block in needed if len(block) < 1500]
    parts.append(shown_code)
    return import_name, "\n\n\n".join(p for p in parts if p.strip()), set(top)


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except SyntaxError:
        return False
    return True


def _rewrite_recipe(action: str, subject: Subject) -> Recipe | None:
    if action == "fix":
        problems = "; ".join(d.strip() for d in subject.diagnostics if d.strip()) or "it has a bug"
        heading = f"The same function with this problem fixed: {problems}"
    else:
        heading = "The same function, simpler:"
    shaped = base_prompts.rewrite_prompt(subject.code, heading, subject.language)
    if shaped is None:
        return None

    def finish(answer: str) -> str:
        new = _body_until_dedent(shaped.primer + answer)
        if not _parses(new) or " ".join(new.split()) == " ".join(base_prompts.dedent_code(subject.code).split()):
            raise NoUsableAnswer(f"the model found no {'fix' if action == 'fix' else 'simpler version'}; try "
                                    f"again, or use an instruction-tuned model for this code")
        return reindent(new, subject.code)

    return Recipe(_request(shaped), finish)


def _body_until_dedent(code: str) -> str:
    """The definition at the start of ``code``, up to the first line back at its own indentation."""
    lines = code.split("\n")
    out: list[str] = []
    in_body = False
    for line in lines:
        if in_body and line.strip() and not line.startswith((" ", "\t")):
            break
        if line.rstrip().endswith(":") and not line.startswith((" ", "\t", "@")):
            in_body = True
        out.append(line)
    return "\n".join(out).rstrip()
