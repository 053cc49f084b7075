from __future__ import annotations

import pytest

from openagent_lsp.config import SettingsHolder, build_settings, env_layer
from openagent_lsp.errors import ConfigError


def test_defaults() -> None:
    settings = build_settings()
    assert settings.model == "embedded"
    assert settings.completion.debounce_ms == 150
    assert settings.exec_strict is False


def test_env_overrides_defaults() -> None:
    env = {"OPENAGENT_MODEL": "ollama:qwen", "OPENAGENT_EXEC_STRICT": "true", "OPENAGENT_LOAD_IN_4BIT": "1",
           "OPENAGENT_COMPLETION__DEBOUNCE_MS": "80", "UNRELATED": "x"}
    settings = build_settings(env_layer(env))
    assert settings.model == "ollama:qwen"
    assert settings.exec_strict is True
    assert settings.load_in_4bit is True
    assert settings.completion.debounce_ms == 80


def test_precedence_env_lt_init_lt_runtime() -> None:
    holder = SettingsHolder({"OPENAGENT_MODEL": "from-env", "OPENAGENT_DEVICE": "cpu"})
    assert holder.current.model == "from-env"
    holder.apply_initialization_options({"model": "from-init", "completion": {"debounceMs": 10}})
    assert holder.current.model == "from-init"
    assert holder.current.device == "cpu"  # env layer still applies below
    assert holder.current.completion.debounce_ms == 10
    holder.apply_runtime({"openagent": {"model": "from-runtime"}})
    assert holder.current.model == "from-runtime"
    assert holder.current.completion.debounce_ms == 10  # init layer still applies below


def test_camel_and_snake_case_accepted() -> None:
    a = build_settings({"completion": {"maxNewTokens": 12}, "execStrict": True})
    b = build_settings({"completion": {"max_new_tokens": 12}, "exec_strict": True})
    assert a == b


@pytest.mark.parametrize(
    ("layer", "field"),
    [
        ({"precision": "fp8"}, "precision"),
        ({"completion": {"debounceMs": -5}}, "completion.debounce_ms"),
        ({"device": "tpu"}, "device"),
        ({"notASetting": 1}, "notASetting"),
    ],
)
def test_invalid_values_name_the_field(layer: dict, field: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_settings(layer)
    assert field in str(info.value)


def test_bad_update_keeps_last_good_settings() -> None:
    holder = SettingsHolder({})
    holder.apply_initialization_options({"model": "good"})
    with pytest.raises(ConfigError):
        holder.apply_runtime({"precision": "nonsense"})
    assert holder.current.model == "good"
    assert holder.current.precision == "auto"


def test_broken_environment_falls_back_to_defaults() -> None:
    holder = SettingsHolder({"OPENAGENT_DEVICE": "quantum"})
    assert holder.current.device == "auto"
    assert holder.startup_error is not None and "device" in holder.startup_error


def test_aliases_with_digits_and_mixed_layers() -> None:
    settings = build_settings({"load_in_4bit": False}, {"loadIn4bit": True}, {"chat": {"approvalTimeoutS": 5}})
    assert settings.load_in_4bit is True
    assert settings.chat.approval_timeout_s == 5


def test_null_from_the_editor_unsets_a_setting_back_to_the_environment() -> None:
    holder = SettingsHolder({"OPENAGENT_COMPLETION__DEBOUNCE_MS": "90"})
    holder.apply_initialization_options({"completion": {"debounceMs": 20, "maxNewTokens": 30}})
    assert holder.current.completion.debounce_ms == 20
    holder.apply_runtime({"completion": {"debounceMs": None}})
    assert holder.current.completion.debounce_ms == 90  # the environment applies again
    assert holder.current.completion.max_new_tokens == 30  # other editor settings stay
    holder.apply_runtime({"completion": {"maxNewTokens": None, "debounceMs": None}})
    assert holder.current.completion.max_new_tokens == build_settings().completion.max_new_tokens
