"""openagent-lsp: a language server hosting a local AI coding agent."""

__version__ = "0.1.0"
