"""The real transformers loading and decoding code, on a tiny model built on disk."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import pytest

from openagent_lsp import heap
from openagent_lsp.errors import GenerationCancelled
from openagent_lsp.llm.base import CancelToken, GenerationRequest
from openagent_lsp.llm.hf import TransformersLLM

PROMPT = "def total(items):\n    result = 0\n    for item in items:\n        result += item\n    return result\n\n"


@pytest.fixture(scope="module")
def llm(tiny_model_dir: Path) -> TransformersLLM:
    model = TransformersLLM(str(tiny_model_dir), precision="fp32", device="cpu")
    events: list[tuple[str, int | None]] = []
    model.load(lambda message, percent=None: events.append((message, percent)))
    assert events[-1][1] == 100
    return model


def test_loading_freezes_the_libraries_it_imports(tiny_model_dir: Path) -> None:
    heap.thaw()
    try:
        TransformersLLM(str(tiny_model_dir), precision="fp32", device="cpu").load()
        assert heap.frozen_count() > 0  # torch's objects: out of the full collections' walk
    finally:
        heap.thaw()


def _cold_greedy(llm: TransformersLLM, prompt: str, n: int) -> list[int]:
    return list(llm.stream_ids(llm.encode(prompt), GenerationRequest(max_new_tokens=n)))


def test_loads_and_reports(llm: TransformersLLM) -> None:
    assert llm.info.device == "cpu" and llm.info.precision == "fp32"
    assert llm.fim_format is not None  # the tiny tokenizer carries <|fim_*|> tokens
    assert llm.count_tokens("hello world") > 0


def test_streaming_yields_many_pieces(llm: TransformersLLM) -> None:
    pieces = list(llm.stream(GenerationRequest(prompt=PROMPT, max_new_tokens=16)))
    assert len(pieces) >= 4
    assert llm.last_stats.new_tokens == 16 or llm.last_stats.stopped_by == "eos"


def test_kv_reuse_equals_cold_greedy(llm: TransformersLLM) -> None:
    first = PROMPT + "def mean(values):\n"
    extended = first + "    return sum(values) /"
    llm.generate(GenerationRequest(prompt=first, max_new_tokens=8, cache_key="doc-a"))
    warm = list(llm.stream_ids(llm.encode(extended), GenerationRequest(max_new_tokens=12, cache_key="doc-a")))
    assert llm.last_stats.reused_tokens > 0
    assert warm == _cold_greedy(llm, extended, 12)


def test_kv_reuse_after_an_edit_in_the_middle(llm: TransformersLLM) -> None:
    llm.generate(GenerationRequest(prompt=PROMPT + "x = 1\n", max_new_tokens=4, cache_key="doc-b"))
    edited = PROMPT.replace("result = 0", "result = 10") + "x = 1\n"
    warm = list(llm.stream_ids(llm.encode(edited), GenerationRequest(max_new_tokens=10, cache_key="doc-b")))
    assert 0 < llm.last_stats.reused_tokens < len(llm.encode(edited))
    assert warm == _cold_greedy(llm, edited, 10)


def test_prompt_lookup_equals_plain_greedy(llm: TransformersLLM) -> None:
    prompt = PROMPT * 3 + "def total(items):\n    result = 0\n"
    plain = _cold_greedy(llm, prompt, 24)
    drafted = list(llm.stream_ids(llm.encode(prompt),
                                  GenerationRequest(max_new_tokens=24, lookup_source=prompt)))
    assert drafted == plain
    assert llm.last_stats.drafted_tokens > 0


def test_cancel_stops_generation_between_tokens(llm: TransformersLLM) -> None:
    cancel = CancelToken()
    produced: list[str] = []
    with pytest.raises(GenerationCancelled):
        for piece in llm.stream(GenerationRequest(prompt=PROMPT, max_new_tokens=400), cancel):
            produced.append(piece)
            if len(produced) == 3:
                cancel.cancel("test")
    assert llm.last_stats.stopped_by == "cancelled"
    assert llm.last_stats.new_tokens < 10


def test_cancel_from_another_thread(llm: TransformersLLM) -> None:
    cancel = CancelToken()
    timer = threading.Timer(0.05, cancel.cancel)
    timer.start()
    started = time.monotonic()
    with pytest.raises(GenerationCancelled):
        llm.generate(GenerationRequest(prompt=PROMPT, max_new_tokens=100_000), cancel)
    assert time.monotonic() - started < 30
    assert llm.last_stats.new_tokens < 100_000


def test_stop_strings(llm: TransformersLLM) -> None:
    text = llm.generate(GenerationRequest(prompt=PROMPT, max_new_tokens=40, stop=["\n"]))
    assert "\n" not in text


def test_int8_quantization_loads_and_generates(tiny_model_dir: Path) -> None:
    model = TransformersLLM(str(tiny_model_dir), precision="int8", device="cpu")
    model.load()
    assert model.info.precision == "int8"
    assert model.generate(GenerationRequest(prompt=PROMPT, max_new_tokens=5)) is not None
    assert model.last_stats.new_tokens >= 1 or model.last_stats.stopped_by == "eos"


def test_4bit_without_cuda_falls_back_with_reason(tiny_model_dir: Path) -> None:
    from openagent_lsp.llm.precision import cuda_available

    if cuda_available():
        pytest.skip("this machine has CUDA; the fallback path is for CPU-only machines")
    model = TransformersLLM(str(tiny_model_dir), load_in_4bit=True, device="auto")
    model.load()
    assert model.info.device == "cpu"
    assert "4-bit needs CUDA" in model.info.reason


def test_prefill_scores_only_the_last_position(llm: TransformersLLM) -> None:
    rows: list[int] = []
    head = llm.head
    assert head is not None
    original = head.best

    def spy(hidden: object) -> list[int]:
        rows.append(hidden.shape[0])  # type: ignore[attr-defined]
        return original(hidden)

    head.best = spy  # type: ignore[method-assign]
    try:
        list(llm.stream_ids(llm.encode(PROMPT), GenerationRequest(max_new_tokens=3)))
    finally:
        del head.best
    assert len(llm.encode(PROMPT)) > 20
    assert rows == [1, 1, 1]  # one row per choice, never one per prompt token


def test_screened_head_gives_the_same_tokens_as_the_full_head(tiny_model_dir: Path, llm: TransformersLLM) -> None:
    screened = TransformersLLM(str(tiny_model_dir), precision="fp32", device="cpu", head="bf16-screened")
    screened.load()
    assert screened.info.head == "bf16-screened"
    assert _cold_greedy(screened, PROMPT, 24) == _cold_greedy(llm, PROMPT, 24)
    prompt = PROMPT * 3 + "def total(items):\n    result = 0\n"
    drafted = list(screened.stream_ids(screened.encode(prompt),
                                       GenerationRequest(max_new_tokens=24, lookup_source=prompt)))
    assert drafted == _cold_greedy(llm, prompt, 24)


def test_warm_fills_the_cache_so_the_request_reuses_it(llm: TransformersLLM) -> None:
    document = PROMPT + "def mean(values):\n"
    computed = llm.warm(document, "doc-warm")
    assert computed == len(llm.encode(document))
    request = GenerationRequest(max_new_tokens=6, cache_key="doc-warm")
    warm = list(llm.stream_ids(llm.encode(document + "    return"), request))
    assert llm.last_stats.reused_tokens >= computed - 1
    assert warm == _cold_greedy(llm, document + "    return", 6)


def test_cancelled_warming_keeps_the_chunks_already_computed(tiny_model_dir: Path) -> None:
    model = TransformersLLM(str(tiny_model_dir), precision="fp32", device="cpu", prefill_chunk=8)
    model.load()
    cancel = CancelToken()
    cancel.cancel("a real request arrived")
    model.warm(PROMPT, "doc-cancel", cancel=cancel)  # one chunk runs before the token is checked
    assert model.last_stats is None  # warming never replaces the last suggestion's figures
    model.generate(GenerationRequest(prompt=PROMPT, max_new_tokens=1, cache_key="doc-cancel"))
    assert model.last_stats.reused_tokens == 8


def test_load_reports_real_percentages(tiny_model_dir: Path) -> None:
    events: list[int] = []
    model = TransformersLLM(str(tiny_model_dir), precision="fp32", device="cpu")
    model.load(lambda _message, percent=None: events.append(percent or 0))
    assert events == sorted(events) and events[-1] == 100
    # The weights loop reports inside its span, not only a start and an end.
    assert len({p for p in events if 60 < p < 79}) >= 3, events


def test_auto_precision_measures_once_then_uses_the_cached_figures(tiny_model_dir: Path, tmp_path: Path) -> None:
    # A pinned thread count: the measurement is kept whatever else this machine is running.
    first = TransformersLLM(str(tiny_model_dir), precision="auto", device="cpu", cache_dir=tmp_path, cpu_threads=1)
    first.load()
    calibration = first.info.calibration
    assert calibration is not None and calibration["cached"] is False
    names = {c["name"] for c in calibration["candidates"]}
    assert names == {"fp32", "fp32+screened-head", "bf16"}
    fp32 = next(c for c in calibration["candidates"] if c["name"] == "fp32")
    assert fp32["agreement"] == 1.0 and fp32["decode_ms_per_token"] > 0
    chosen = next(c for c in calibration["candidates"] if c["name"] == calibration["chosen"])
    assert chosen["keeps_quality"]
    assert first.info.precision == chosen["precision"] and "measured on this machine" in first.info.reason
    assert list((tmp_path / "calibration").glob("*.json"))

    second = TransformersLLM(str(tiny_model_dir), precision="auto", device="cpu", cache_dir=tmp_path, cpu_threads=1)
    second.load()
    assert second.info.calibration is not None and second.info.calibration["cached"] is True
    assert second.info.calibration["chosen"] == calibration["chosen"]


def test_a_calibration_measured_while_the_machine_was_busy_is_not_kept(tiny_model_dir: Path, tmp_path: Path) -> None:
    from openagent_lsp.llm.threads import ThreadPolicy

    ticks = itertools.count(1)

    def busy_machine() -> tuple[float, float, float, float]:
        t = next(ticks)
        return 190.0 * t, 200.0 * t, 0.0, float(t)  # others keep 1.9 of 2 CPUs busy

    model = TransformersLLM(str(tiny_model_dir), precision="auto", device="cpu", cache_dir=tmp_path)
    model.threads = ThreadPolicy(cores=2, reader=busy_machine)
    model.threads.sample()
    model.threads.sample()
    model.load()
    model.threads.stop()
    assert model.info.calibration is not None
    assert not list((tmp_path / "calibration").glob("*.json"))
