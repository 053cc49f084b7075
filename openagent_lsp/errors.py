"""One exception hierarchy for the whole project.

Every error a user can see derives from ``OpenAgentError``; its message is written for the user
(what went wrong and what to do), because the LSP layer sends it back verbatim as the JSON-RPC error.
"""


class OpenAgentError(Exception):
    """Base of every error the project raises on purpose."""


class ConfigError(OpenAgentError):
    """A configuration value (settings, policy file, options) is invalid."""


class ModelLoadError(OpenAgentError):
    """A model could not be loaded; the message says how to fix it."""


class GenerationCancelled(OpenAgentError):
    """A generation was stopped because its request was cancelled or superseded."""


class PolicyViolationError(OpenAgentError):
    """A tool call was denied by the PolicyEngine or by the user."""


class ToolError(OpenAgentError):
    """A tool failed to run or was given bad input."""


class InvalidInputError(OpenAgentError):
    """A request carried arguments that cannot be used (maps to JSON-RPC InvalidParams)."""


class StorageError(OpenAgentError):
    """The local database (chat history, grants) could not be read or written: locked, read-only, full."""


class NoUsableAnswer(OpenAgentError):
    """The model answered, but nothing in its answer can be used (no code, an empty docstring, no test)."""
