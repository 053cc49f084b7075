"""Arguments of the code-action commands, validated with a message a user can act on.

Kept apart from the LSP handlers so pydantic is imported when a command first arrives, not at start-up.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from openagent_lsp.assist import actions as catalog
from openagent_lsp.config import describe_validation_error
from openagent_lsp.errors import InvalidInputError


class Position(BaseModel):
    model_config = ConfigDict(defer_build=True)
    line: int = Field(ge=0)
    character: int = Field(ge=0)


class RangeArg(BaseModel):
    model_config = ConfigDict(defer_build=True)
    start: Position
    end: Position

    def domain(self) -> Any:
        from openagent_lsp.context.types import Position, Range

        return Range(Position(self.start.line, self.start.character), Position(self.end.line, self.end.character))


class ActionArgs(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    action: str
    uri: str
    range: RangeArg
    diagnostics: list[str] = Field(default_factory=list)
    question: str = ""


def parse_action_args(raw: Any, command: str) -> ActionArgs:
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{command} expects one object argument {{action, uri, range}}")
    try:
        args = ActionArgs.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInputError(describe_validation_error(exc).replace("invalid setting", "invalid argument")) from exc
    if args.action not in catalog.ACTIONS:
        raise InvalidInputError(f"action: unknown action {args.action!r}")
    return args


