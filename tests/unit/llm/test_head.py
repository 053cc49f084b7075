"""The exact bf16-screened head chooses what the fp32 head chooses, near-ties included."""

from __future__ import annotations

import torch

from openagent_lsp.llm.head import FullHead, ScreenedHead, build_head


def _linear(weight: torch.Tensor) -> torch.nn.Linear:
    layer = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=False)
    layer.weight.data = weight
    return layer


def test_screened_head_equals_fp32_argmax_on_random_states() -> None:
    gen = torch.Generator().manual_seed(0)
    weight = torch.randn(5000, 64, generator=gen) / 8
    head = ScreenedHead(_linear(weight))
    hidden = torch.randn(200, 64, generator=gen) * 30
    assert head.best(hidden) == (hidden @ weight.T).argmax(dim=-1).tolist()


def test_screened_head_resolves_near_ties_in_fp32() -> None:
    # Two rows whose scores differ far below bf16's resolution: the screen cannot tell them apart.
    gen = torch.Generator().manual_seed(1)
    weight = torch.randn(1000, 64, generator=gen) / 8
    hidden = torch.randn(1, 64, generator=gen) * 30
    direction = hidden[0] / hidden[0].norm()
    weight[10] = direction * 3.0
    weight[20] = direction * 3.0 * (1 + 2e-5)  # 20 wins by a hair
    weight[30] = direction * 3.0 * (1 - 2e-5)
    head = ScreenedHead(_linear(weight))
    assert head.best(hidden) == [20]
    assert head.last_candidates >= 2  # the screen had to hand the tie to fp32


def test_full_head_caps_scores_but_not_the_choice() -> None:
    weight = torch.randn(50, 8)
    hidden = torch.randn(3, 8) * 100
    capped = FullHead(_linear(weight), softcap=30.0)
    assert capped.logits(hidden).abs().max() <= 30.0
    assert capped.best(hidden) == (hidden @ weight.T).argmax(dim=-1).tolist()


def test_build_head_falls_back_to_full_for_a_bf16_matrix() -> None:
    class Model(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.config = type("Config", (), {})()
            self.lm = _linear(torch.randn(10, 4).to(torch.bfloat16))

        def get_output_embeddings(self) -> torch.nn.Module:
            return self.lm

    assert build_head(Model(), "bf16-screened").kind == "full"
