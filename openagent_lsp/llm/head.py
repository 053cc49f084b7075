"""The vocabulary head: next-token scores from the model's final hidden states.

Gemma's head is a 262,144 x 640 matrix (tied to the embeddings): in fp32 it is more than half of a
decode step on a CPU. Greedy decoding only needs the *best* token, and that can be found exactly
for less:

- ``ScreenedHead`` scores every token with a bf16 copy of the matrix (half the memory traffic), then
  recomputes in fp32 only the tokens that could still be the best given a proven bound on the bf16
  rounding error. The answer is the fp32 head's argmax, token for token.
- ``FullHead`` is the plain head (fp32, bf16 or a quantized module); sampling, repetition penalties
  and models whose head is not a plain matrix always use it.

Why not a code-vocabulary subset of the head: measured on Gemma, every embedding row has the same
norm (1.03 +- 0.01), so no cheap bound can say that a token outside the subset cannot win; on held-out
standard-library code 0.3 % of the positions' best tokens were outside a 40k-token code vocabulary
(names in comments), with the subset's own best up to 20 logits high, so no "clearly ahead" margin
separates those cases either.
"""

from __future__ import annotations

from typing import Any

# Rounding h and a row of W to bf16 (8 significant bits) changes each product h_i * w_i by at most
# (2u + u^2)|h_i w_i| with u = 2^-8; fp32 accumulation over a few thousand terms adds < 2^-14 relative.
# So |bf16 score - fp32 score| <= BF16_ERROR * ||h|| * ||w|| (Cauchy-Schwarz), with a safety margin.
BF16_ERROR = 2.0**-7 * 1.05


class FullHead:
    """Every token scored by the model's own head module."""

    kind = "full"

    def __init__(self, module: Any, softcap: float | None = None) -> None:
        self._module = module
        self._softcap = softcap

    def logits(self, hidden: Any) -> Any:
        import torch

        out = self._module(hidden).float()
        if self._softcap:
            out = torch.tanh(out / self._softcap) * self._softcap
        return out

    def best(self, hidden: Any) -> list[int]:
        # Soft-capping is monotonic: it never changes the argmax, so it is skipped here.
        return [int(i) for i in self._module(hidden).argmax(dim=-1).tolist()]


class ScreenedHead(FullHead):
    """Exact greedy choice through a bf16 screen and an fp32 check of the few tokens that could win."""

    kind = "bf16-screened"

    def __init__(self, module: Any, softcap: float | None = None) -> None:
        import torch

        super().__init__(module, softcap)
        weight = module.weight.detach()
        self._weight = weight
        self._screen = weight.to(torch.bfloat16)
        self._max_row_norm = float(weight.float().norm(dim=1).max())
        self.last_candidates = 0  # tokens checked in fp32 at the latest position (for the bench)

    def best(self, hidden: Any) -> list[int]:
        import torch

        hidden = hidden.float()
        screen = torch.nn.functional.linear(hidden.to(torch.bfloat16), self._screen).float()
        top = screen.max(dim=-1).values
        # The true best is at least (screen top - bound); a token whose screen score is below
        # (screen top - 2 * bound) is below that, so it cannot be the true best.
        bound = BF16_ERROR * hidden.norm(dim=-1) * self._max_row_norm
        choices: list[int] = []
        for row in range(hidden.shape[0]):
            candidates = torch.nonzero(screen[row] >= top[row] - 2 * bound[row]).flatten()
            exact = torch.nn.functional.linear(hidden[row], self._weight.index_select(0, candidates))
            choices.append(int(candidates[int(exact.argmax())]))
            self.last_candidates = int(candidates.numel())
        return choices


def build_head(model: Any, kind: str) -> FullHead:
    """``kind``: "full" or "bf16-screened" (only for an fp32 head matrix; else the full head)."""
    import torch

    module = model.get_output_embeddings()
    softcap = getattr(model.config, "final_logit_softcapping", None)
    weight = getattr(module, "weight", None)
    if kind == "bf16-screened" and isinstance(weight, torch.Tensor) and weight.dtype == torch.float32 \
            and getattr(module, "bias", None) is None:
        return ScreenedHead(module, softcap)
    return FullHead(module, softcap)
