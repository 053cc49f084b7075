"""Prompt-lookup drafting: propose the tokens that followed the latest n-gram the last time it occurred.

Code repeats itself (argument lists, attribute chains, similar lines), so copying a span from the
context and letting the model verify it in one forward pass yields several tokens per pass. Verification
is greedy, so the output equals plain greedy decoding token for token.
"""

from __future__ import annotations


def find_draft(tokens: list[int], max_ngram: int = 3, max_draft: int = 8, min_ngram: int = 2) -> list[int]:
    """Tokens that followed the most recent earlier occurrence of the longest trailing n-gram."""
    length = len(tokens)
    for n in range(min(max_ngram, length - 1), min_ngram - 1, -1):
        tail = tokens[length - n :]
        # Search backwards so the nearest (most relevant) earlier occurrence wins.
        for start in range(length - n - 1, -1, -1):
            if tokens[start : start + n] == tail:
                follow = tokens[start + n : start + n + max_draft]
                if follow:
                    return follow
    return []
