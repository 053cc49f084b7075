"""Fixtures for the application services: open documents and a scripted model (the workspace and the
guard come from tests/unit/conftest.py)."""

from __future__ import annotations

import pytest

from openagent_lsp.agent.testing import ScriptedLLM
from openagent_lsp.context.documents import DocumentStore
from openagent_lsp.errors import OpenAgentError
from openagent_lsp.llm.base import BaseLLM


class Models:
    """A ``ModelSource``: the scripted model, or the error a loading model gives."""

    def __init__(self, llm: BaseLLM | None) -> None:
        self.llm = llm

    def require_ready(self) -> BaseLLM:
        if self.llm is None:
            raise OpenAgentError("the model is still loading; try again in a moment")
        return self.llm


@pytest.fixture
def documents() -> DocumentStore:
    return DocumentStore()


def scripted(*turns: str) -> ScriptedLLM:
    return ScriptedLLM(list(turns))
