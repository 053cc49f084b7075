"""Apply a known-safe shape (``policy/shapes``) to the assessment of one part.

The shape says what each argument means; this module looks at the files behind them: every read is
judged as a file (secrets, places outside the workspace), every directory read recursively is
searched for secrets, every write goes through the path policy, globs are expanded the way bash will,
scripts and modules a runner executes are bound by content, and a runner that would load a file the
agent wrote asks.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import shutil
from pathlib import Path

from openagent_lsp.policy.paths import glob_match, match_path_patterns
from openagent_lsp.policy.risk.assessment import Assessment
from openagent_lsp.policy.risk.targets import (
    judge_read,
    judge_target,
    lexical_path,
    resolve_arg,
    through_created_link,
)
from openagent_lsp.policy.shapes.check import Shape, Tree, find_name_filter
from openagent_lsp.policy.shell import Part, Word
from openagent_lsp.policy.trees import WalkTooBig, files_in_tree, has_dash_names
from openagent_lsp.policy.types import BoundFile, FileOp, Risk, Verdict, file_sha256

FOUND_MARK = "\u2217found"  # what find -exec's {} stands for (see shell.Analyzer._find)


def _ask(a: Assessment, idx: int, p: Part, reason: str, rule: str, risk: Risk = Risk.MEDIUM) -> None:
    a.add(risk, reason, rule, p.display, idx, verdict=Verdict.REQUIRE_APPROVAL)


def apply_shape(a: Assessment, idx: int, p: Part, shape: Shape, trees_for_placeholder: list[Tree]) -> None:
    if shape.problem:
        _ask(a, idx, p, f"{p.name}: {shape.problem}", "shape:not-known-safe")
    for w in shape.reads:
        _judge_read_word(a, idx, p, w, trees_for_placeholder)
    for tree in shape.trees:
        judge_tree(a, idx, p, tree)
    for w in shape.listed_trees:
        _judge_listing(a, idx, p, w)
    for w in [*shape.writes, *shape.write_dirs]:
        if w.text in ("-", "/dev/stdout", "/dev/stderr"):
            continue
        judge_target(a, idx, p.display, w, p.cwd, FileOp.WRITE)
    for target, link, symbolic in shape.links:
        _judge_link(a, idx, p, target, link, symbolic)
    for w in shape.option_globs:
        _judge_option_glob(a, idx, p, w)
    if shape.runner:
        a.add(
            Risk.LOW,
            f"{p.name} runs code from the workspace: it runs only inside the OS sandbox",
            "sandbox:runner",
            p.display,
            idx,
            requires_sandbox=True,
        )
        _judge_runner_inputs(a, idx, p, shape)
    if shape.git_write:
        a.add(
            Risk.LOW,
            f"git {p.args[0].text if p.args else ''} writes the repository itself",
            "sandbox:git-write",
            p.display,
            idx,
            requires_sandbox=True,
            git_write=True,
        )


# -- reads -------------------------------------------------------------------------------------


def _judge_read_word(a: Assessment, idx: int, p: Part, w: Word, placeholder_trees: list[Tree]) -> None:
    if FOUND_MARK in w.text:
        root = w.text.split("/" + FOUND_MARK, 1)[0] or "/"
        names, plain = _find_names(a, idx, p)
        judge_tree(a, idx, p, Tree(Word(root, root, w.dynamic), names=names if plain else ()))
        return
    if w.text == PLACEHOLDER:
        for tree in placeholder_trees:
            judge_tree(a, idx, p, tree)
        return
    if w.dynamic:
        _ask(
            a,
            idx,
            p,
            f"{p.name} reads {w.raw}, a file only known at run time (it could be a secret)",
            "path:dynamic-read",
        )
        return
    if through_created_link(a, w, p.cwd):
        _ask(a, idx, p, f"{p.name} reads {w.raw} through a link made earlier in this command", "path:link-in-command")
        return
    if w.glob:
        _judge_glob_read(a, idx, p, w)
        return
    path, _, _ = resolve_arg(w, p.cwd)
    if path is not None:
        judge_read(a, idx, p.display, path)


def _judge_glob_read(a: Assessment, idx: int, p: Part, w: Word) -> None:
    """A glob reads whatever it matches now, and whatever matching file this command creates."""
    if p.cwd is None and not w.text.startswith("/"):
        _ask(a, idx, p, f"{p.name} reads {w.raw} in a directory only known at run time", "path:dynamic-read")
        return
    base = p.cwd or Path("/")
    pattern = w.text if w.text.startswith("/") else str(base / w.text)
    for match in sorted(glob.glob(pattern))[:2000]:
        judge_read(a, idx, p.display, Path(match).resolve())
    name = w.text.rstrip("/").rsplit("/", 1)[-1]
    for sample in (".env", ".env.local", "id_rsa", "id_ed25519", "x.pem", "x.key", ".netrc", "credentials", ".npmrc"):
        if _glob_name_matches(name, sample) and match_path_patterns(a.rules.read_ask, Path("/x") / sample, a.workspace):
            _ask(a, idx, p, f"{w.raw} can match secret files like {sample}", "path:read_ask:glob")
            a.sensitive.append(w.text)
            return


def _glob_name_matches(pattern: str, name: str) -> bool:
    """bash's rule: a leading dot must be matched by a literal dot."""
    if name.startswith(".") and not pattern.startswith("."):
        return False
    return fnmatch.fnmatchcase(name, pattern)


def judge_tree(a: Assessment, idx: int, p: Part, tree: Tree) -> None:
    """A directory read recursively: every secret-looking file under it counts as read."""
    root = tree.root
    if root.dynamic:
        _ask(a, idx, p, f"{p.name} reads every file under {root.raw}, only known at run time", "path:dynamic-read")
        return
    path, problem, everything = resolve_arg(root, p.cwd)
    if path is None or everything:
        _ask(a, idx, p, f"{p.name} reads every file under {root.raw} ({problem or 'a glob'})", "path:dynamic-read")
        return
    if not path.is_relative_to(a.workspace):
        _ask(
            a,
            idx,
            p,
            f"{p.name} reads every file under {path}, outside the workspace",
            "path:outside-tree",
        )
        a.sensitive.append(path.as_posix())
        return
    secrets = a.rules.read_ask + a.rules.read_deny + a.rules.sensitive_outside

    def is_secret(f: Path) -> bool:
        return match_path_patterns(secrets, f, a.workspace) is not None

    try:
        found = files_in_tree(path, is_secret, hidden=tree.hidden, follow=tree.follow, names=tree.names)
    except WalkTooBig:
        _ask(a, idx, p, f"{p.name} reads a tree too large to check for secrets ({path})", "path:tree-too-big")
        return
    except OSError:
        return
    if found:
        shown = ", ".join(
            f.relative_to(a.workspace).as_posix() if f.is_relative_to(a.workspace) else str(f) for f in found[:3]
        )
        _ask(
            a, idx, p, f"{p.name} reads every file under {root.raw}, including secrets ({shown})", "path:read_ask:tree"
        )
        a.sensitive.append(str(found[0]))


def _judge_listing(a: Assessment, idx: int, p: Part, root: Word) -> None:
    """Listing names recursively: the workspace and system directories are fine, your home is not."""
    if root.dynamic:
        _ask(a, idx, p, f"{p.name} lists files under {root.raw}, only known at run time", "path:dynamic-read")
        return
    path, problem, everything = resolve_arg(root, p.cwd)
    if path is None or everything:
        _ask(a, idx, p, f"{p.name} lists files under {root.raw} ({problem or 'a glob'})", "path:dynamic-read")
        return
    if path.is_relative_to(a.workspace):
        return
    if a.home.is_relative_to(path) or path.is_relative_to(a.home):
        _ask(a, idx, p, f"{p.name} lists every file under {path}, your personal files", "path:outside-tree")
        return
    judge_read(a, idx, p.display, path)


def _find_names(a: Assessment, idx: int, p: Part) -> tuple[tuple[str, ...], bool]:
    """The -name filter of the find whose -exec runs part ``idx``."""
    for q in a.analysis.parts[:idx][::-1]:
        if q.name == "find":
            return find_name_filter(q.args)
    return (), False


# -- writes, links, globs ---------------------------------------------------------------------


def _judge_link(a: Assessment, idx: int, p: Part, target: Word, link: Word, symbolic: bool) -> None:
    lex = lexical_path(link, p.cwd)
    if lex is not None:
        a.created_links[lex] = target.text
    if target.dynamic:
        _ask(a, idx, p, f"{p.name} links to {target.raw}, only known at run time", "path:link-dynamic")
        return
    base = p.cwd
    if symbolic and lex is not None and not target.text.startswith("/"):
        base = lex.parent  # a relative symlink points relative to where the link lives
    tp, _, _ = resolve_arg(target, base)
    if tp is None:
        return
    if symbolic and not tp.is_relative_to(a.workspace):
        a.add(
            Risk.HIGH,
            f"creates a link to {target.text}, outside the workspace (later writes through it would land there)",
            "risk:link-outside",
            p.display,
            idx,
        )
        return
    # A link can be written through: linking a file is judged like writing it.
    verb = "symlink to" if symbolic else "hard-link"
    judge_target(a, idx, p.display, Word(str(tp), target.raw), None, FileOp.WRITE, verb=verb)


def _judge_option_glob(a: Assessment, idx: int, p: Part, w: Word) -> None:
    """``*`` expands to file names; one starting with '-' becomes an option of the program."""
    base = p.cwd
    if base is None:
        _ask(a, idx, p, f"{w.raw} expands in a directory only known at run time", "shape:option-glob")
        return
    names = [os.path.basename(m) for m in glob.glob(str(base / w.text))]
    if any(n.startswith("-") for n in names) or _command_creates_dash_names(a):
        _ask(
            a,
            idx,
            p,
            f"{w.raw} expands to a file name starting with '-', which {p.name} reads as an option",
            "shape:option-glob",
        )


def _command_creates_dash_names(a: Assessment) -> bool:
    return any(path.name.startswith("-") for path in a.written_here)


def placeholder_trees(a: Assessment, xargs_idx: int) -> tuple[list[Tree], str]:
    """What ``xargs`` feeds its command: the names a find/git/rg stage prints, as trees to judge;
    or a reason why that cannot be known."""
    xargs = a.analysis.parts[xargs_idx]
    sources = [a.analysis.parts[i] for i in xargs.pipe_sources]
    if len(sources) != 1:
        return [], "its arguments come from the output of a command the policy cannot read"
    src = sources[0]
    if src.name == "find":
        names, plain = find_name_filter(src.args)
        roots = []
        for w in src.args:
            if w.text.startswith(("-", "(", "!")):
                break
            roots.append(w)
        if any(r.text.startswith("-") or r.dynamic for r in roots):
            return [], "find starts from a directory only known at run time"
        return [Tree(r, names=names if plain else ()) for r in roots or [Word(".", ".")]], ""
    texts = [w.text for w in src.args]
    lists_names = (
        src.name == "git"
        and bool(texts)
        and (
            texts[0] == "ls-files"
            or (texts[0] in ("diff", "show", "log") and ("--name-only" in texts or "--name-status" in texts))
        )
    )
    lists_names = lists_names or (
        src.name in ("rg", "grep") and any(t in ("-l", "--files-with-matches", "--files") for t in texts)
    )
    if lists_names:
        try:
            dashes = has_dash_names(a.workspace)
        except WalkTooBig:
            dashes = True
        if dashes:
            return [], "a file name in the workspace starts with '-' and would become an option"
        return [Tree(Word(str(a.workspace), str(a.workspace)), hidden=False)], ""
    return [], f"its arguments come from the output of {src.name}"


PLACEHOLDER = "./\u2217xargs"


# -- runners ----------------------------------------------------------------------------------


def judge_program_location(a: Assessment, idx: int, p: Part) -> None:
    """A program found on PATH inside the workspace (an in-tree virtualenv's bin, node_modules/.bin)
    is workspace code whatever its name: sandbox only, bound by content, asks if the agent wrote it."""
    if p.program_path or not p.name or p.name in p.function_names:
        return
    found = shutil.which(p.argv[0].text)
    if found is None:
        return
    path = Path(found).resolve()
    if not path.is_relative_to(a.workspace):
        return
    a.add(
        Risk.LOW,
        f"{p.name} is {path.relative_to(a.workspace)}, a program inside the workspace: sandbox only",
        "sandbox:workspace-program",
        p.display,
        idx,
        requires_sandbox=True,
    )
    _judge_code_path(a, idx, p, path, str(path.relative_to(a.workspace)))


def _judge_runner_inputs(a: Assessment, idx: int, p: Part, shape: Shape) -> None:
    """Scripts and modules a runner executes are bound by content; one the agent (or this same
    command) wrote makes it ask, and so does any config file it loads that the agent wrote."""
    for w in shape.scripts:
        _judge_code_file(a, idx, p, w)
    for module in shape.modules:
        for path in _module_files(module, p.cwd, a.written_here):
            _judge_code_path(a, idx, p, path, f"module {module}")
    for w in shape.config_files:
        config, _, _ = resolve_arg(w, p.cwd)
        if config is None:
            _ask(a, idx, p, f"{p.name} loads {w.raw}, only known at run time", "runner:dynamic-script")
        elif not config.is_relative_to(a.workspace):
            _ask(a, idx, p, f"{p.name} loads {config}, outside the workspace", "runner:outside-script")
        else:
            _judge_written(a, idx, p, config, f"loads {w.text}")
    if a.agent_writes is not None:
        for path in a.agent_writes.matching(a.workspace, shape.loads):
            rel = path.relative_to(a.workspace).as_posix()
            _ask(a, idx, p, f"{p.name} would load {rel}, which the agent wrote in this session", "runner:agent-written")
            return
    for path in sorted(a.written_here):
        if path.is_relative_to(a.workspace) and _matches_loads(path, a.workspace, shape.loads):
            _ask(a, idx, p, f"{p.name} would load {path.name}, which this command writes first", "runner:written-here")
            return


def _matches_loads(path: Path, workspace: Path, loads: tuple[str, ...]) -> bool:
    rel = path.relative_to(workspace).as_posix()
    return any((glob_match(pat, rel) if "/" in pat else glob_match(pat, path.name)) for pat in loads)


def _judge_code_file(a: Assessment, idx: int, p: Part, w: Word) -> None:
    if w.dynamic or w.glob:
        _ask(a, idx, p, f"{p.name} runs {w.raw}, a script only known at run time", "runner:dynamic-script", Risk.HIGH)
        a.dynamic_code.append(idx)
        return
    path, problem, _ = resolve_arg(w, p.cwd)
    if path is None:
        _ask(a, idx, p, f"cannot tell which script {w.raw} is ({problem})", "runner:dynamic-script")
        return
    _judge_code_path(a, idx, p, path, w.text)


def _judge_code_path(a: Assessment, idx: int, p: Part, path: Path, shown: str) -> None:
    if not path.is_relative_to(a.workspace):
        _ask(a, idx, p, f"{p.name} runs {path}, a script outside the workspace", "runner:outside-script")
        return
    # Bound whatever the verdict: an approval or grant of this command covers this content only.
    digest = file_sha256(path)
    if digest:
        a.bound_files.append(BoundFile(path, digest))
    _judge_written(a, idx, p, path, f"runs {shown}")


def _judge_written(a: Assessment, idx: int, p: Part, path: Path, what: str) -> bool:
    if path in a.written_here:
        _ask(a, idx, p, f"{p.name} {what}, which this command writes first", "runner:written-here")
        return True
    if a.agent_writes is not None and a.agent_writes.contains(path):
        _ask(a, idx, p, f"{p.name} {what}, which the agent wrote in this session", "runner:agent-written")
        return True
    return False


def _module_files(module: str, cwd: Path | None, written_here: set[Path]) -> list[Path]:
    """Where ``python -m module`` finds the module in the working directory (first on sys.path):
    files that exist now, or that this same command writes first."""
    if cwd is None:
        return []
    parts = module.split(".")
    rel = Path(*parts)
    candidates = [
        cwd / rel.with_suffix(".py"),
        cwd / rel / "__main__.py",
        cwd / rel / "__init__.py",
        cwd / Path(parts[0]).with_suffix(".py"),
        cwd / parts[0] / "__init__.py",
    ]
    out: list[Path] = []
    for cand in candidates:
        resolved = _resolved(cand)
        if (cand.is_file() or resolved in written_here) and resolved not in out:
            out.append(resolved)
    return out


def collect_written_here(a: Assessment, shapes: list[Shape | None]) -> None:
    """Every file the command line writes, whatever part writes it (loops make order unreliable)."""
    for _owner, red, cwd in a.analysis.redirects:
        if red.op in ("<", "<&") or red.target.dynamic:
            continue
        lex = lexical_path(red.target, cwd)
        if lex is not None:
            a.written_here.add(_resolved(lex))
    for part, shape in zip(a.analysis.parts, shapes, strict=False):
        if shape is None:
            continue
        for w in [*shape.writes, *(link for _, link, _ in shape.links)]:
            lex = lexical_path(w, part.cwd)
            if lex is not None:
                a.written_here.add(_resolved(lex))


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path
