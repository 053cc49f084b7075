"""In-process transformers backend: load (CUDA, 4-bit, int8, bf16 or fp32), stream, reuse KV caches.

The decoding loop is our own rather than ``model.generate`` because we need, at once: token-by-token
streaming, cancellation between tokens, a key/value cache kept per document and reused when the next
prompt extends the last one, prompt-lookup drafting verified greedily, and a priority gate so
completions overtake chat on the one model.
"""

from __future__ import annotations

import inspect
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openagent_lsp.errors import GenerationCancelled, ModelLoadError
from openagent_lsp.llm.base import (
    BackendInfo,
    CancelToken,
    FimFormat,
    GenerationRequest,
    GenerationStats,
    Priority,
    ProgressCallback,
)
from openagent_lsp.llm.fim import detect_fim_format
from openagent_lsp.llm.kind import detect_model_kind
from openagent_lsp.llm.lookup import find_draft
from openagent_lsp.llm.precision import PrecisionChoice, choose_precision
from openagent_lsp.llm.scheduler import PriorityGate
from openagent_lsp.llm.sources import ResolvedModel, default_cache_dir, resolve_model
from openagent_lsp.llm.text import TRANSCRIPT_STOPS, apply_stops, transcript_prompt
from openagent_lsp.logging import get_logger

log = get_logger(__name__)


@dataclass
class _KVEntry:
    ids: list[int]
    cache: Any


@dataclass
class _Run:
    """Bookkeeping of one generation: what is in the KV cache, what was produced."""

    fed: list[int]
    cache: Any
    generated: list[int] = field(default_factory=list)
    stats: GenerationStats = field(default_factory=GenerationStats)


class TransformersLLM:
    """A causal LM run in this process. Thread-safe; every forward pass goes through one gate."""

    def __init__(
        self,
        model_ref: str,
        *,
        device: str = "auto",
        precision: str = "auto",
        load_in_4bit: bool = False,
        cache_dir: str | Path | None = None,
        max_cached_prompts: int = 6,
        cpu_threads: int = 0,
    ) -> None:
        self._cpu_threads = cpu_threads
        self.name = model_ref
        self.model_ref = model_ref
        self._device_pref = device
        self._precision_pref = "4bit" if load_in_4bit else precision
        self._cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self._max_cached = max_cached_prompts
        self._kv: OrderedDict[str, _KVEntry] = OrderedDict()
        self._kv_lock = threading.Lock()
        self._load_lock = threading.Lock()
        self.gate = PriorityGate()
        self.model: Any = None
        self.tokenizer: Any = None
        self._fim: FimFormat | None = None
        self._eos_ids: set[int] = set()
        self.info = BackendInfo("transformers")
        self.last_stats: GenerationStats | None = None
        self._cache_kwarg = "past_key_values"

    # -- loading -------------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self.model is not None

    @property
    def fim_format(self) -> FimFormat | None:
        return self._fim

    def load(self, progress: ProgressCallback | None = None) -> None:
        with self._load_lock:
            if self.model is not None:
                return
            started = time.monotonic()
            try:
                import torch
                import transformers
            except ImportError as exc:
                raise ModelLoadError(
                    "in-process models need the 'local' extra: pip install 'openagent-lsp[local]' "
                    "(or point 'model' at ollama:NAME / openai:NAME)"
                ) from exc
            transformers.utils.logging.set_verbosity_error()
            transformers.utils.logging.disable_progress_bar()
            resolved = resolve_model(self.model_ref, self._cache_dir, progress)
            source = resolved.folder if isinstance(resolved, ResolvedModel) else resolved
            choice = choose_precision(self._precision_pref, self._device_pref)
            if choice.reason:
                log.warning("precision_fallback", requested=self._precision_pref, chosen=choice.precision,
                            device=choice.device, reason=choice.reason)
            if progress:
                progress(f"loading weights ({choice.precision} on {choice.device})", 65)
            try:
                tokenizer = transformers.AutoTokenizer.from_pretrained(str(source), local_files_only=True)
                model = self._load_model(transformers, torch, str(source), choice)
            except ModelLoadError:
                raise
            except (OSError, ValueError) as exc:
                raise ModelLoadError(_explain_load_failure(self.model_ref, exc)) from exc
            if choice.device == "cpu":
                torch.set_num_threads(self._cpu_threads or max(1, _usable_cpus() - 1))
            if choice.precision == "int8":
                if progress:
                    progress("quantizing Linear layers to int8", 85)
                model = _quantize_int8(torch, model)
            model.eval()
            self.tokenizer = tokenizer
            self.model = model
            self._fim = detect_fim_format(tokenizer.get_vocab())
            self._eos_ids = _eos_ids(tokenizer, model)
            # transformers >= 5.24 renames the forward argument past_key_values -> cache.
            params = inspect.signature(model.forward).parameters
            self._cache_kwarg = "cache" if "cache" in params else "past_key_values"
            kind = detect_model_kind(tokenizer, model.config, self.model_ref)
            self.info = BackendInfo(
                "transformers",
                device=choice.device,
                precision=choice.precision,
                reason=choice.reason or choice.why,
                load_seconds=time.monotonic() - started,
                converted=isinstance(resolved, ResolvedModel) and resolved.converted_now,
                source=resolved.description if isinstance(resolved, ResolvedModel) else str(resolved),
                parameters=sum(p.numel() for p in model.parameters()),
                threads=torch.get_num_threads() if choice.device == "cpu" else 0,
                kind=kind.kind.value, kind_reason=kind.reason,
            )
            if progress:
                progress("model ready", 100)
            log.info("model_loaded", model=self.model_ref, device=choice.device, precision=choice.precision,
                     fim=bool(self._fim), seconds=round(self.info.load_seconds, 2))

    def _load_model(self, transformers: Any, torch: Any, source: str, choice: PrecisionChoice) -> Any:
        kwargs: dict[str, Any] = {"local_files_only": True}
        if choice.precision == "4bit":
            kwargs["quantization_config"] = transformers.BitsAndBytesConfig(
                load_in_4bit=True, bnb_4bit_compute_dtype=torch.bfloat16, bnb_4bit_quant_type="nf4"
            )
            kwargs["device_map"] = {"": 0}
        else:
            kwargs["dtype"] = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(choice.precision, torch.float32)
        model = transformers.AutoModelForCausalLM.from_pretrained(source, **kwargs)
        if choice.device == "cuda" and choice.precision != "4bit":
            model = model.to("cuda")
        return model

    # -- tokens --------------------------------------------------------------------------------

    def encode(self, text: str) -> list[int]:
        self._require_loaded()
        ids: list[int] = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        bos = self.tokenizer.bos_token_id
        # Models trained with BOS (Gemma, Llama) produce garbage without it, and the tokenizer converted
        # from Gemma's GGUF says add_bos_token=False: trust the presence of a BOS token instead.
        if bos is not None and (not ids or ids[0] != bos):
            ids = [bos, *ids]
        return ids

    def _plain_ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def count_tokens(self, text: str) -> int:
        if self.tokenizer is None:
            return max(1, len(text) // 4)  # before load: a conservative estimate
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _chat_text(self, messages: list[dict[str, str]]) -> tuple[str, list[str]]:
        """Chat messages in this model's own format, and the stop strings that format needs.

        The tokenizer's chat template when it has one (instruction-tuned models); otherwise a plain
        transcript, which a base model continues with the next turn unless stopped.
        """
        self._require_loaded()
        if getattr(self.tokenizer, "chat_template", None):
            try:
                text: str = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
                bos = self.tokenizer.bos_token
                # encode() adds BOS itself; avoid a doubled one.
                return (text[len(bos):] if bos and text.startswith(bos) else text), []
            except Exception as exc:
                log.warning("chat_template_failed", error=str(exc))
        return transcript_prompt(messages), list(TRANSCRIPT_STOPS)

    # -- generation ----------------------------------------------------------------------------

    def generate(self, request: GenerationRequest, cancel: CancelToken | None = None) -> str:
        return "".join(self.stream(request, cancel))

    def stream(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Iterator[str]:
        """Yield text pieces as tokens are decoded; stop strings are applied here."""
        prompt, format_stops = (request.prompt, []) if request.messages is None else self._chat_text(request.messages)
        pieces = self._stream_text(prompt, request, cancel)
        yield from apply_stops(pieces, [*request.stop, *format_stops])

    def stream_ids(
        self, prompt_ids: list[int], request: GenerationRequest, cancel: CancelToken | None = None
    ) -> Iterator[int]:
        """Yield generated token ids; the loop behind ``stream`` (exposed for tests and benchmarks)."""
        self._require_loaded()
        import torch

        cancel = cancel or CancelToken()
        priority = request.priority
        run = self._checkout(request.cache_key, prompt_ids)
        started = time.perf_counter()
        stats = run.stats
        stats.prompt_tokens = len(prompt_ids)
        lookup_ids = self._plain_ids(request.lookup_source) if request.lookup_source else None
        try:
            with torch.inference_mode():
                logits = self._feed(prompt_ids[len(run.fed):], run, priority)
                stats.prefill_ms = (time.perf_counter() - started) * 1000
                next_id = self._pick(logits[-1], request)
                while True:
                    if cancel.cancelled:
                        stats.stopped_by = "cancelled"
                        raise GenerationCancelled(cancel.reason or "generation cancelled")
                    if next_id in self._eos_ids:
                        stats.stopped_by = "eos"
                        return
                    run.generated.append(next_id)
                    stats.new_tokens += 1
                    yield next_id
                    if len(run.generated) >= request.max_new_tokens:
                        stats.stopped_by = "max_tokens"
                        return
                    draft: list[int] = []
                    if lookup_ids is not None and request.temperature == 0 and request.repetition_penalty == 1.0:
                        room = request.max_new_tokens - len(run.generated)
                        draft = find_draft(lookup_ids + run.generated, max_draft=min(8, room))
                    logits = self._feed([next_id, *draft], run, priority)
                    if not draft:
                        next_id = self._pick(logits[-1], request, run.generated)
                        continue
                    stats.drafted_tokens += len(draft)
                    predicted = logits.argmax(dim=-1).tolist()
                    accepted = 0
                    while accepted < len(draft) and predicted[accepted] == draft[accepted]:
                        accepted += 1
                    stats.accepted_draft_tokens += accepted
                    # Drop the rejected draft tokens from the cache: it must hold exactly run.fed.
                    rejected = len(draft) - accepted
                    if rejected:
                        run.cache.crop(-rejected)
                        del run.fed[len(run.fed) - rejected :]
                    for token in draft[:accepted]:
                        if token in self._eos_ids:
                            stats.stopped_by = "eos"
                            return
                        run.generated.append(token)
                        stats.new_tokens += 1
                        yield token
                        if len(run.generated) >= request.max_new_tokens:
                            stats.stopped_by = "max_tokens"
                            return
                    next_id = predicted[accepted]
        except GeneratorExit:
            stats.stopped_by = stats.stopped_by or "consumer"
            raise
        finally:
            stats.total_ms = (time.perf_counter() - started) * 1000
            self.last_stats = stats
            self._checkin(request.cache_key, run)

    def _stream_text(self, prompt: str, request: GenerationRequest, cancel: CancelToken | None) -> Iterator[str]:
        prompt_ids = self.encode(prompt)
        generated: list[int] = []
        emitted = ""
        for token in self.stream_ids(prompt_ids, request, cancel):
            generated.append(token)
            text = self.tokenizer.decode(generated, skip_special_tokens=True)
            # An incomplete multi-byte character decodes as U+FFFD: wait for the next token.
            if text.endswith("\ufffd"):
                continue
            if len(text) > len(emitted) and text.startswith(emitted):
                piece, emitted = text[len(emitted):], text
                yield piece
            elif not text.startswith(emitted):
                emitted = text  # tokenizer normalisation changed earlier text; keep going from here

    def _feed(self, ids: list[int], run: _Run, priority: Priority) -> Any:
        import torch

        with self.gate.hold(priority):
            tensor = torch.tensor([ids], dtype=torch.long, device=self.model.device)
            out = self.model(input_ids=tensor, use_cache=True, **{self._cache_kwarg: run.cache})
        run.cache = getattr(out, "past_key_values", None) or getattr(out, "cache", None) or run.cache
        run.fed.extend(ids)
        return out.logits[0].float()

    def _pick(self, logits: Any, request: GenerationRequest, generated: list[int] | None = None) -> int:
        import torch

        if request.repetition_penalty > 1.0 and generated:
            seen = torch.tensor(sorted(set(generated)), dtype=torch.long, device=logits.device)
            scores = logits[seen]
            logits = logits.clone()
            logits[seen] = torch.where(scores > 0, scores / request.repetition_penalty,
                                       scores * request.repetition_penalty)
        if request.temperature <= 0:
            return int(logits.argmax())
        probs = torch.softmax(logits / request.temperature, dim=-1)
        return int(torch.multinomial(probs, 1))

    # -- KV cache per document -----------------------------------------------------------------

    def _checkout(self, key: str | None, prompt_ids: list[int]) -> _Run:
        """Take the cached prefix for ``key`` out of the pool (so no other thread feeds it meanwhile)."""
        from transformers import DynamicCache

        entry = None
        if key is not None:
            with self._kv_lock:
                entry = self._kv.pop(key, None)
        if entry is None:
            return _Run(fed=[], cache=DynamicCache())
        common = 0
        for a, b in zip(entry.ids, prompt_ids, strict=False):
            if a != b:
                break
            common += 1
        # At least one prompt token must be fed to get logits for the next token.
        common = min(common, len(prompt_ids) - 1)
        if common <= 0:
            return _Run(fed=[], cache=DynamicCache())
        excess = entry.cache.get_seq_length() - common
        if excess > 0:
            entry.cache.crop(-excess)
        run = _Run(fed=list(prompt_ids[:common]), cache=entry.cache)
        run.stats.reused_tokens = common
        return run

    def _checkin(self, key: str | None, run: _Run) -> None:
        if key is None or not run.fed:
            return
        with self._kv_lock:
            self._kv[key] = _KVEntry(ids=run.fed, cache=run.cache)
            self._kv.move_to_end(key)
            while len(self._kv) > self._max_cached:
                self._kv.popitem(last=False)

    def forget(self, key: str) -> None:
        with self._kv_lock:
            self._kv.pop(key, None)

    def _require_loaded(self) -> None:
        if self.model is None:
            raise ModelLoadError("the model is not loaded yet")


def _usable_cpus() -> int:
    """CPUs this process may run on (a container's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _eos_ids(tokenizer: Any, model: Any) -> set[int]:
    ids: set[int] = set()
    for value in (tokenizer.eos_token_id, getattr(model.generation_config, "eos_token_id", None)):
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, list):
            ids.update(v for v in value if isinstance(v, int))
    for token in ("<end_of_turn>", "<|endoftext|>", "<|im_end|>", "<|file_separator|>"):
        token_id = tokenizer.get_vocab().get(token)
        if token_id is not None:
            ids.add(token_id)
    return ids


def _quantize_int8(torch: Any, model: Any) -> Any:
    """Dynamic int8 quantization of Linear layers, weights per output channel.

    Per-tensor weight scales (the default) visibly hurt Gemma's output (the tied 262k-row lm_head has
    rows of very different norms); per-channel keeps the text plausible at the same speed.
    """
    import warnings

    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch marks quantized tensor creation as deprecated
        return quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)


def _explain_load_failure(ref: str, exc: Exception) -> str:
    text = str(exc)
    if "local_files_only" in text or "offline" in text.lower() or "couldn't connect" in text.lower():
        return (
            f"model {ref!r} is not available offline. Use 'embedded', a local folder or .gguf file, "
            f"or download it first (e.g. `huggingface-cli download {ref}`) where you have network. ({text[:200]})"
        )
    return f"could not load model {ref!r}: {text[:400]}"
