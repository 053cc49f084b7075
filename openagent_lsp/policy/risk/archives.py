"""Archives: extraction writes files nobody has seen yet; creation writes the archive."""

from __future__ import annotations

from openagent_lsp.policy.risk.args import opt_values, short_flags
from openagent_lsp.policy.risk.assessment import Assessment
from openagent_lsp.policy.risk.targets import judge_target
from openagent_lsp.policy.shell import Part
from openagent_lsp.policy.types import FileOp, Risk


def handle_tar(a: Assessment, idx: int, p: Part) -> None:
    texts = [w.text for w in p.args]
    first = texts[0] if texts else ""
    letters = set(first.lstrip("-")) if first and not first.startswith("--") else set()
    letters |= short_flags(p.args)
    extract = "x" in letters or "--extract" in texts or "--get" in texts
    create = bool({"c", "r", "u"} & letters) or "--create" in texts or "--append" in texts
    if "P" in letters or "--absolute-names" in texts:
        a.add(Risk.HIGH, "tar --absolute-names can write anywhere", "risk:tar-absolute", p.display, idx)
    if extract:
        a.add(Risk.MEDIUM, "extracts an archive whose content is not known in advance", "risk:extract", p.display, idx)
        for w in opt_values(p.args, ("-C", "--directory")):
            judge_target(a, idx, p.display, w, p.cwd, FileOp.WRITE, verb="extract into")
    if create:
        for w in opt_values(p.args, ("-f", "--file")):
            judge_target(a, idx, p.display, w, p.cwd, FileOp.WRITE)


def handle_unzip(a: Assessment, idx: int, p: Part) -> None:
    a.add(Risk.MEDIUM, "extracts an archive whose content is not known in advance", "risk:extract", p.display, idx)
    for w in opt_values(p.args, ("-d",)):
        judge_target(a, idx, p.display, w, p.cwd, FileOp.WRITE, verb="extract into")
