def reverse_words(sentence: str) -> str:
    return " ".join(reversed(sentence.split()))


def capitalize_words(text: str) -> str:
    return " ".join(word[:1].upper() + word[1:] for word in text.split(" "))


def remove_digits(text: str) -> str:
    return "".join(ch for ch in text if not ch.isdigit())


def word_lengths(sentence: str) -> dict[str, int]:
    return {word: len(word) for word in sentence.split()}


def pad_left(text: str, width: int, fill: str = " ") -> str:
    if len(text) >= width:
        return text
    return fill * (width - len(text)) + text
