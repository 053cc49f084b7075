"""One settings model for the whole server.

Precedence, lowest first: defaults < environment (``OPENAGENT_*``) < LSP ``initializationOptions``
< ``workspace/didChangeConfiguration``. Keys are accepted in snake_case or camelCase (VS Code
settings are camelCase). Invalid values raise ``ConfigError`` naming the field, and the caller keeps
the last good settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from openagent_lsp.errors import ConfigError

Precision = Literal["auto", "fp32", "bf16", "int8", "4bit"]
Device = Literal["auto", "cpu", "cuda"]
LogLevel = Literal["debug", "info", "warning", "error"]


class _Section(BaseModel):
    # defer_build: the validators are compiled on first use, not when the server process starts.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", defer_build=True)


class CompletionSettings(_Section):
    enabled: bool = True
    # 150 ms: below the usual inter-key gap of fast typists bursts (~40-120 ms) is useless, above
    # ~200 ms the suggestion feels late; the typing-burst benchmark measures the trade-off.
    debounce_ms: int = Field(150, ge=0, le=2000)
    max_new_tokens: int = Field(48, ge=1, le=512)
    # Prompt budget in model tokens. Cold prefill on 2 CPU cores costs ~2.7 ms/token, and KV reuse
    # makes the warm path pay only for new tokens (see benchmarks/).
    prompt_budget_tokens: int = Field(768, ge=64, le=16384)
    suffix_budget_tokens: int = Field(192, ge=0, le=4096)
    context_from_open_files: bool = True
    context_budget_tokens: int = Field(192, ge=0, le=4096)
    prompt_lookup: Literal["auto", "on", "off"] = "auto"
    early_first_line: bool = True
    # In the background, at the lowest priority: compute a document's prompt into the model's KV cache when
    # it is opened or the cursor moves far, so the first suggestion there finds most of it done.
    warm_on_open: bool = True
    # After a suggestion is shown, compute the next one as if it were accepted (costs CPU while idle).
    precompute_next: bool = False
    cache_size: int = Field(256, ge=0, le=100_000)


class ChatSettings(_Section):
    max_new_tokens: int = Field(384, ge=1, le=8192)
    context_budget_tokens: int = Field(4096, ge=256, le=131072)
    max_agent_steps: int = Field(6, ge=1, le=50)
    approval_timeout_s: float = Field(120.0, gt=0, le=3600)


class Settings(_Section):
    # "embedded" (default), "embedded:smollm2", a local folder or .gguf file, a Hugging Face id already in
    # the local cache, "ollama:NAME", or "openai:NAME".
    model: str = "embedded"
    device: Device = "auto"
    precision: Precision = "auto"
    load_in_4bit: bool = False
    openai_base_url: str = "http://127.0.0.1:8000/v1"
    openai_api_key: str = ""
    ollama_url: str = "http://127.0.0.1:11434"
    request_timeout_s: float = Field(60.0, gt=0, le=3600)
    # CPU threads for the in-process model; 0 = all cores but one. Measured on 2 cores with another
    # process busy: 2 threads collapse (OpenMP threads wait on each other), 1 thread decodes 3-5x faster.
    cpu_threads: int = Field(0, ge=0, le=512)
    model_cache_dir: str = ""
    preload_model: bool = True
    # How actions and chat ask the model: "auto" (completion-shaped text for base models and instruction-tuned
    # ones under 1B parameters, chat messages otherwise), or "completion" / "chat" to choose.
    prompt_style: Literal["auto", "completion", "chat"] = "auto"
    log_level: LogLevel = "info"
    debug: bool = False
    policy_file: str = ""
    exec_strict: bool = False
    database_url: str = ""
    completion: CompletionSettings = Field(default_factory=CompletionSettings)
    chat: ChatSettings = Field(default_factory=ChatSettings)

    def model_key(self) -> tuple[Any, ...]:
        """What, when changed, requires loading another model."""
        return (self.model, self.device, self.precision, self.load_in_4bit, self.openai_base_url,
                self.ollama_url, self.model_cache_dir, self.cpu_threads)


# Environment variables the issue tracker and README document; any field also works as
# OPENAGENT_<FIELD> and nested fields as OPENAGENT_<SECTION>__<FIELD>.
def env_layer(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    environ = os.environ if environ is None else environ
    layer: dict[str, Any] = {}
    top = set(Settings.model_fields)
    for key, value in environ.items():
        if not key.startswith("OPENAGENT_"):
            continue
        name = key[len("OPENAGENT_"):].lower()
        if "__" in name:
            section, field = name.split("__", 1)
            if section in ("completion", "chat"):
                layer.setdefault(section, {})[field] = value
            continue
        if name in top and name not in ("completion", "chat"):
            layer[name] = value
    return layer


def _normalise_keys(data: Mapping[str, Any]) -> dict[str, Any]:
    """Accept camelCase or snake_case, and a client's wrapping ``{"openagent": {...}}``."""
    if set(data) == {"openagent"} and isinstance(data["openagent"], Mapping):
        data = data["openagent"]
    return dict(data)


def _merge(base: dict[str, Any], layer: Mapping[str, Any], model: type[BaseModel] | None = None) -> dict[str, Any]:
    """``layer`` over ``base``; a ``null`` in ``layer`` unsets the key (the lower layers decide again)."""
    model = model or Settings
    out = dict(base)
    for key, value in layer.items():
        name = _field_name(model, key)
        section = model.model_fields.get(name)
        section_model = section.annotation if section is not None else None
        if value is None:
            out.pop(name, None)
        elif isinstance(value, Mapping) and isinstance(section_model, type) and issubclass(section_model, BaseModel):
            out[name] = _merge(out.get(name) or {}, value, section_model)
        else:
            out[name] = value
    return out


def _field_name(model: type[BaseModel], key: str) -> str:
    """Map a camelCase alias (``debounceMs``, ``loadIn4bit``) to its field name; unknown keys pass through
    so validation can name them."""
    if key in model.model_fields:
        return key
    folded = key.replace("_", "").lower()
    for name in model.model_fields:
        if name.replace("_", "").lower() == folded:
            return name
    return key


def build_settings(env: Mapping[str, Any] | None = None, *editor_layers: Mapping[str, Any] | None) -> Settings:
    """Validate ``env`` overlaid by the editor's layers (initializationOptions, then each configuration
    change); raise ConfigError naming every bad field. A ``null`` from the editor unsets a key: the
    environment or the default applies again."""
    editor: dict[str, Any] = {}
    for layer in editor_layers:
        if layer:
            editor = _merge(editor, _normalise_keys(layer))
    merged = _merge(_merge({}, _normalise_keys(env or {})), editor)
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from exc


def describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"{field}: {err['msg']} (got {err.get('input')!r})")
    return "invalid setting " + "; ".join(parts)


class SettingsHolder:
    """Keeps the layers apart so a later layer can be replaced, and the last good settings on error.

    Validation is lazy: the environment layer is validated on first access, so building the server
    (and answering ``initialize``) does not pay for it.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._env = env_layer(environ)
        self._init: dict[str, Any] = {}
        self._runtime: dict[str, Any] = {}
        self._current: Settings | None = None
        self.startup_error: str | None = None

    @property
    def current(self) -> Settings:
        if self._current is None:
            try:
                self._current = build_settings(self._env)
            except ConfigError as exc:
                # A broken environment must not stop the server: run on defaults and say so.
                self._current = Settings()
                self.startup_error = f"environment: {exc}"
        return self._current

    @current.setter
    def current(self, value: Settings) -> None:
        self._current = value

    def apply_initialization_options(self, options: Mapping[str, Any] | None) -> Settings:
        _ = self.current  # the environment layer is validated (and its error recorded) first
        candidate = build_settings(self._env, options or {})
        self._init = dict(options or {})
        self.current = candidate
        return candidate

    def apply_runtime(self, options: Mapping[str, Any] | None) -> Settings:
        candidate = build_settings(self._env, self._init, options or {})
        self._runtime = dict(options or {})
        self.current = candidate
        return candidate
