"""Build a tiny real causal LM on disk: random weights, a byte-level BPE tokenizer trained offline.

The real transformers loading and generation code runs on it in well under a second. Its text is
noise; tests check mechanics (ranges, streaming, cache reuse, equivalences), never wording.
"""

from __future__ import annotations

import glob
import os
import sysconfig
from pathlib import Path

FIM_TOKENS = ["<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"]
# With a chat template the model counts as instruction-tuned (chat prompts); without, as a base model.
CHAT_TEMPLATE = ("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
                 "{% if add_generation_prompt %}assistant:{% endif %}")


def _training_files(limit: int = 12) -> list[str]:
    stdlib = sysconfig.get_paths()["stdlib"]
    names = ["textwrap.py", "string.py", "heapq.py", "bisect.py", "colorsys.py", "keyword.py", "shlex.py",
             "fnmatch.py", "glob.py", "abc.py", "copy.py", "numbers.py"]
    files = [os.path.join(stdlib, n) for n in names if os.path.exists(os.path.join(stdlib, n))]
    return files[:limit] or sorted(glob.glob(os.path.join(stdlib, "*.py")))[:limit]


def build_tiny_model(
    folder: Path, *, fim: bool = True, seed: int = 0, vocab_size: int = 512, train_steps: int = 250,
    chat: bool = False,
) -> Path:
    """Write config, weights and tokenizer files of a ~1M-parameter Llama into ``folder``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    specials = ["<s>", "</s>", "<pad>", *(FIM_TOKENS if fim else [])]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train(_training_files(), trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
        additional_special_tokens=FIM_TOKENS if fim else [],
    )
    if chat:
        fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(folder)
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(fast), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
        bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id, pad_token_id=fast.pad_token_id,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(config)
    if train_steps:
        _train(model, fast, train_steps)
    model.save_pretrained(folder)
    return folder


def _train(model: object, tokenizer: object, steps: int, seq_len: int = 64, batch: int = 8) -> None:
    """A few optimiser steps on stdlib code so the model emits varied code-like tokens, not one token
    repeated (random weights do): enough to exercise post-processing, still noise as code."""
    import torch

    text = "\n".join(Path(f).read_text(encoding="utf-8") for f in _training_files())
    ids = torch.tensor(tokenizer(text)["input_ids"][: 200_000], dtype=torch.long)  # type: ignore[operator]
    vocab = tokenizer.get_vocab()  # type: ignore[attr-defined]
    fim_ids = [vocab[t] for t in FIM_TOKENS] if all(t in vocab for t in FIM_TOKENS) else None
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3)  # type: ignore[attr-defined]
    generator = torch.Generator().manual_seed(0)
    model.train()  # type: ignore[attr-defined]
    for _ in range(steps):
        starts = torch.randint(0, len(ids) - seq_len - 1, (batch,), generator=generator)
        rows = [ids[s : s + seq_len] for s in starts.tolist()]
        if fim_ids is not None:  # teach the fill-in-the-middle layout so FIM prompts get an answer
            rows = [_as_fim(row, fim_ids, generator) for row in rows]
        inputs = torch.stack(rows)
        loss = model(input_ids=inputs, labels=inputs).loss  # type: ignore[operator]
        loss.backward()
        optimiser.step()
        optimiser.zero_grad()
    model.eval()  # type: ignore[attr-defined]


def _as_fim(row: object, fim_ids: list[int], generator: object) -> object:
    import torch

    n = len(row)  # type: ignore[arg-type]
    a, b = sorted(torch.randint(1, n - 1, (2,), generator=generator).tolist())  # type: ignore[call-overload]
    pre, mid, suf = row[:a], row[a:b], row[b:]  # type: ignore[index]
    out = torch.cat([torch.tensor([fim_ids[0]]), pre, torch.tensor([fim_ids[1]]), suf, torch.tensor([fim_ids[2]]), mid])
    return out[:n]
