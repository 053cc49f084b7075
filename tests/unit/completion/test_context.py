"""completion/context.py: one token budget split between the code window, the suffix and other files."""

from __future__ import annotations

from openagent_lsp.completion.context import PromptBudget, PromptBuilder
from openagent_lsp.context.documents import DocumentStore


def count_words(text: str) -> int:
    """A stand-in tokenizer: one token per whitespace-separated word (deterministic, cheap)."""
    return len(text.split())


HELPERS = '''def compute_tax(amount, rate):
    """Tax owed on an amount at a rate, rounded to cents."""
    subtotal = amount * rate
    return round(subtotal, 2)


def format_price(value):
    return f"{value:.2f} EUR"
'''

USER = '''import os
from decimal import Decimal

BASE = 10


def checkout(cart, rate):
    amount = sum(item.price for item in cart)
    tax = compute_tax(amount, rate)
    '''

BUDGET = PromptBudget(prefix_tokens=400, suffix_tokens=50, context_tokens=60)


def build(store: DocumentStore, builder: PromptBuilder, text: str, budget: PromptBudget = BUDGET) -> str:
    store.open("file:///w/shop.py", "python", store.get("file:///w/shop.py").version + 1
               if "file:///w/shop.py" in store else 1, text)
    return builder.build("file:///w/shop.py", "python", text, "", fim=None, count=count_words, budget=budget,
                         use_context=True).text


def store_with_helpers() -> DocumentStore:
    store = DocumentStore()
    store.open("file:///w/pricing.py", "python", 1, HELPERS)
    return store


def test_snippets_from_another_file_get_the_whole_context_budget() -> None:
    store = store_with_helpers()
    text = build(store, PromptBuilder(store), USER)
    header = text[: text.index("import os")]
    assert "# Path: pricing.py\n# def compute_tax(amount, rate):" in header
    assert count_words(header) <= BUDGET.context_tokens
    # The snippet alone costs more than a quarter of the budget: it used to be dropped.
    assert count_words(header) > BUDGET.context_tokens // 4


def test_the_header_never_shortens_the_code_window() -> None:
    store = store_with_helpers()
    with_context = build(store, PromptBuilder(store), USER)
    without = PromptBuilder(store).build("file:///w/shop.py", "python", USER, "", fim=None, count=count_words,
                                         budget=BUDGET, use_context=False).text
    assert without == USER.rstrip(" ") and with_context.endswith(without)


def test_imports_come_back_when_the_code_window_cut_them_off() -> None:
    store = store_with_helpers()
    long_user = USER.replace("BASE = 10\n", "".join(f"CONST_{i} = {i}\n" for i in range(300)))
    small = PromptBudget(prefix_tokens=60, suffix_tokens=0, context_tokens=80)
    text = build(store, PromptBuilder(store), long_user, small)
    window = text[text.index("def checkout") - 200:]
    assert "import os\nfrom decimal import Decimal\n" in text
    assert text.index("import os") < text.index(window)
    # When the window shows them, they are not repeated.
    assert build(store, PromptBuilder(store), USER).count("import os") == 1


def test_the_header_stays_identical_while_typing_and_follows_a_new_best_helper() -> None:
    store = store_with_helpers()
    builder = PromptBuilder(store)
    first = build(store, builder, USER)
    typed = build(store, builder, USER + "total = amount + tax")
    header = first[: first.index("import os")]
    assert typed.startswith(header)  # same start of prompt: the KV cache stays warm
    switched = build(store, builder, USER + "label = format_price(amount)\n    ")
    assert "# def format_price(value):" in switched[: switched.index("import os")]


def test_forget_drops_the_remembered_header() -> None:
    store = store_with_helpers()
    builder = PromptBuilder(store)
    build(store, builder, USER)
    builder.forget("file:///w/shop.py")
    assert "file:///w/shop.py" not in builder._headers
