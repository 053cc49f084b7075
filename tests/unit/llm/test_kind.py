"""Model kind detection: a chat template decides; names are a fallback; a vocabulary alone never does."""

from __future__ import annotations

from types import SimpleNamespace

from openagent_lsp.llm.kind import ModelKind, PromptStyle, detect_model_kind, prompt_style, remote_kind


class Tokenizer(SimpleNamespace):
    def get_vocab(self) -> dict[str, int]:
        return {token: i for i, token in enumerate(getattr(self, "vocab", []))}


def test_a_chat_template_means_instruction_tuned() -> None:
    decision = detect_model_kind(Tokenizer(chat_template="{% for m in messages %}{% endfor %}"))
    assert decision.kind is ModelKind.INSTRUCT and "chat template" in decision.reason


def test_no_template_is_a_base_model_even_with_chat_tokens_in_the_vocabulary() -> None:
    # Gemma 3 base ships <start_of_turn> in its vocabulary like its -it sibling.
    decision = detect_model_kind(Tokenizer(chat_template=None, vocab=["<start_of_turn>", "a"]),
                                 SimpleNamespace(_name_or_path="Gemma 3 270m"))
    assert decision.kind is ModelKind.BASE
    assert "no chat template" in decision.reason and "<start_of_turn>" in decision.reason


def test_instruct_names_count_only_in_the_last_path_component() -> None:
    named = detect_model_kind(Tokenizer(chat_template=None), SimpleNamespace(_name_or_path="/models/gemma-3-270m-it"))
    assert named.kind is ModelKind.INSTRUCT and "gemma-3-270m-it" in named.reason
    folder = detect_model_kind(Tokenizer(chat_template=None), SimpleNamespace(_name_or_path="/srv/chat/it/base-7b"))
    assert folder.kind is ModelKind.BASE
    assert detect_model_kind(Tokenizer(), None, "Qwen2.5-Coder-1.5B-Instruct").kind is ModelKind.INSTRUCT
    assert detect_model_kind(Tokenizer(), None, "italic-base").kind is ModelKind.BASE


def test_remote_servers_apply_their_own_template() -> None:
    assert remote_kind("openai").kind is ModelKind.INSTRUCT


def test_small_instruction_tuned_models_get_completion_shaped_prompts() -> None:
    assert prompt_style("base", 270_000_000).style == PromptStyle.COMPLETION
    assert prompt_style("base", 0).style == PromptStyle.COMPLETION
    small = prompt_style("instruct", 135_000_000)
    assert small.style == PromptStyle.COMPLETION and "135M parameters" in small.reason
    assert prompt_style("instruct", 7_000_000_000).style == PromptStyle.CHAT
    assert prompt_style("instruct", 0).style == PromptStyle.CHAT  # a remote server: size unknown


def test_the_prompt_style_setting_wins() -> None:
    assert prompt_style("base", 270_000_000, "chat").style == PromptStyle.CHAT
    assert prompt_style("instruct", 7_000_000_000, "completion").style == PromptStyle.COMPLETION
    assert prompt_style("instruct", 135_000_000, "auto").style == PromptStyle.COMPLETION
