"""The policy file: a YAML document validated by pydantic, with errors that point at a line.

A user who breaks their policy file must learn *where* (file, line, field) rather than get a
traceback, and the agent must not run unguarded meanwhile: ``load_policy`` falls back to the
shipped default in strict mode and returns a warning the server shows to the user.
"""

from __future__ import annotations

import shlex
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from openagent_lsp.errors import ConfigError
from openagent_lsp.policy.paths import MAX_PATH_CHARS, PathRuleSet

DEFAULT_POLICY_RESOURCE = "default_policy.yaml"


def split_rule(rule: str) -> list[str]:
    """Split a command rule like ``git push *`` into tokens (shell quoting allowed)."""
    return shlex.split(rule, comments=False, posix=True)


class CommandRules(BaseModel):
    """allow / ask / deny lists of command rules (``program [arg-pattern ...] [*]``)."""

    model_config = ConfigDict(extra="forbid")

    allow: list[str] = Field(default_factory=list)
    ask: list[str] = Field(default_factory=list)
    deny: list[str] = Field(default_factory=list)

    @field_validator("allow", "ask", "deny")
    @classmethod
    def _check_rules(cls, rules: list[str]) -> list[str]:
        for rule in rules:
            try:
                tokens = split_rule(rule)
            except ValueError as exc:
                raise ValueError(f"rule {rule!r} cannot be split into words ({exc})") from exc
            if not tokens:
                raise ValueError("a command rule cannot be empty")
            prog = tokens[0]
            if any(ch in prog for ch in "*?[") and prog != "*":
                raise ValueError(f"rule {rule!r}: the program name cannot be a partial glob")
        return rules


class PathRules(BaseModel):
    """Glob lists for file operations (see default_policy.yaml for the pattern forms)."""

    model_config = ConfigDict(extra="forbid")

    read_ask: list[str] = Field(default_factory=list)
    read_deny: list[str] = Field(default_factory=list)
    write_ask: list[str] = Field(default_factory=list)
    write_deny: list[str] = Field(default_factory=list)
    sensitive_outside: list[str] = Field(default_factory=list)

    @field_validator("read_ask", "read_deny", "write_ask", "write_deny", "sensitive_outside")
    @classmethod
    def _check_globs(cls, globs: list[str]) -> list[str]:
        for g in globs:
            if not g.strip():
                raise ValueError("a path pattern cannot be empty")
            if "\x00" in g or len(g) > MAX_PATH_CHARS:
                raise ValueError(f"path pattern {g[:40]!r} is invalid")
        return globs

    def rule_set(self) -> PathRuleSet:
        return PathRuleSet(
            read_ask=tuple(self.read_ask),
            read_deny=tuple(self.read_deny),
            write_ask=tuple(self.write_ask),
            write_deny=tuple(self.write_deny),
            sensitive_outside=tuple(self.sensitive_outside),
        )


class Policy(BaseModel):
    """A whole policy file."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    strict: bool = False
    commands: CommandRules = Field(default_factory=CommandRules)
    paths: PathRules = Field(default_factory=PathRules)


# -- loading ------------------------------------------------------------------------------------


def _node_line(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """Follow a pydantic error location through the YAML node tree; return a 1-based line."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if node is None:
            break
        nxt: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                    nxt = v
                    line = k.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
            nxt = node.value[key]
        if nxt is None:
            break
        node = nxt
        line = node.start_mark.line + 1
    return line


def parse_policy_text(text: str, source: str = "<policy>") -> Policy:
    """Parse and validate policy YAML; raise ConfigError naming ``source``, the line and the field."""
    try:
        data: Any = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else "?"
        raise ConfigError(f"{source}:{line}: invalid YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: invalid YAML: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}:1: field '<root>': the policy must be a mapping, not {type(data).__name__}"
        )
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        msgs = []
        for err in exc.errors():
            loc = tuple(err.get("loc", ()))
            field = ".".join(str(p) for p in loc) or "<root>"
            at = _node_line(root, loc)
            msgs.append(f"{source}:{at}: field '{field}': {err.get('msg', 'invalid value')}")
        raise ConfigError("invalid policy file: " + "; ".join(msgs)) from exc


def parse_policy_file(path: str | Path) -> Policy:
    """Read and validate a policy file; ConfigError (with file, line, field) on any problem."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read the policy file ({exc.__class__.__name__}: {exc})") from exc
    return parse_policy_text(text, str(p))


def default_policy_text() -> str:
    return resources.files("openagent_lsp.policy").joinpath(DEFAULT_POLICY_RESOURCE).read_text("utf-8")


def default_policy(strict: bool = False) -> Policy:
    """The shipped policy; ``strict=True`` is what a broken user file falls back to."""
    policy = parse_policy_text(default_policy_text(), DEFAULT_POLICY_RESOURCE)
    if strict:
        policy = policy.model_copy(update={"strict": True})
    return policy


def load_policy(path: str | None) -> tuple[Policy, str | None]:
    """Load the user's policy, or fall back to the *strict* default with a warning to show.

    Falling back to strict (rather than failing) keeps the agent usable while making sure a typo
    in a deny list can never silently widen what it may do.
    """
    if not path:
        return default_policy(), None
    try:
        return parse_policy_file(path), None
    except ConfigError as exc:
        return default_policy(strict=True), f"{exc} -- using the built-in strict policy instead"
