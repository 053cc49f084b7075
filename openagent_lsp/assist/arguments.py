"""Arguments of the code-action and chat commands, validated with messages a user can act on.

One place for the command shapes, so the LSP handlers only pass the raw JSON through. Kept apart from
the handlers so pydantic is imported when a command first arrives, not at start-up.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from openagent_lsp.config import describe_validation_error
from openagent_lsp.context.types import Position, Range
from openagent_lsp.errors import InvalidInputError


class _Args(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", defer_build=True)


class PositionArg(_Args):
    line: int = Field(ge=0)
    character: int = Field(ge=0)


class RangeArg(_Args):
    start: PositionArg
    end: PositionArg

    def domain(self) -> Range:
        return Range(Position(self.start.line, self.start.character), Position(self.end.line, self.end.character))


class ActionArgs(_Args):
    """``codeAction.data`` and ``openagent.applyAction``: which action, on which code."""

    action: str
    uri: str
    range: RangeArg
    diagnostics: list[str] = Field(default_factory=list)
    question: str = ""


class ChatRequest(_Args):
    """``openagent.chat``: a message, optionally about a selection, in a new or existing conversation."""

    message: str = Field(min_length=1, max_length=100_000)
    conversation_id: str | None = Field(default=None, alias="conversationId", max_length=200)
    uri: str | None = None
    range: RangeArg | None = None


class AskArgs(_Args):
    """``openagent.ask``: a question about a selection (the code action "Ask agent…")."""

    question: str = Field(min_length=1, max_length=100_000)
    uri: str | None = None
    range: RangeArg | None = None
    conversation_id: str | None = Field(default=None, alias="conversationId", max_length=200)

    def chat_request(self) -> ChatRequest:
        return ChatRequest(message=self.question, conversation_id=self.conversation_id, uri=self.uri, range=self.range)


class ExplainArgs(_Args):
    """``openagent.explain``: explain the code at a range (a ``/explain`` chat turn)."""

    uri: str
    range: RangeArg
    conversation_id: str | None = Field(default=None, alias="conversationId", max_length=200)

    def chat_request(self) -> ChatRequest:
        return ChatRequest(message="/explain", conversation_id=self.conversation_id, uri=self.uri, range=self.range)


class CommitMessageArgs(_Args):
    """``openagent.commitMessage``: a ``/commit`` turn, optionally in a conversation the client named (so
    it can offer Stop before the first delta)."""

    conversation_id: str | None = Field(default=None, alias="conversationId", max_length=200)

    def chat_request(self) -> ChatRequest:
        return ChatRequest(message="/commit", conversation_id=self.conversation_id)


class ConversationArgs(_Args):
    """``openagent.chat.cancel`` and ``openagent.chat.history``."""

    conversation_id: str = Field(alias="conversationId", min_length=1, max_length=200)


Parsed = TypeVar("Parsed", bound=_Args)


def parse_args(model: type[Parsed], raw: tuple[Any, ...] | list[Any], command: str) -> Parsed:
    """The first argument of ``command`` validated as ``model``; InvalidInputError names the bad field."""
    value = raw[0] if raw else None
    if not isinstance(value, dict):
        fields = ", ".join(name_of(model, f) for f in model.model_fields)
        raise InvalidInputError(f"{command} expects one object argument {{{fields}}}")
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise InvalidInputError(f"{command}: " + describe_validation_error(exc).replace("invalid setting ",
                                                                                        "invalid argument ")) from exc


def name_of(model: type[BaseModel], field: str) -> str:
    info = model.model_fields[field]
    name = info.alias or field
    return name if info.is_required() else f"{name}?"
