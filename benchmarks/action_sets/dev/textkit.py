import re


def slugify(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())
    return "-".join(words)


def count_vowels(text: str) -> int:
    return sum(1 for ch in text.lower() if ch in "aeiou")


def is_palindrome(text: str) -> bool:
    letters = [ch.lower() for ch in text if ch.isalnum()]
    return letters == letters[::-1]


def initials(name: str) -> str:
    return "".join(part[0].upper() for part in name.split() if part)


def truncate(text: str, width: int, marker: str = "...") -> str:
    if len(text) <= width:
        return text
    return text[: max(width - len(marker), 0)] + marker
