def chunk(items: list, size: int) -> list[list]:
    if size <= 0:
        raise ValueError("size must be positive")
    return [items[i : i + size] for i in range(0, len(items), size)]


def dedupe(items: list) -> list:
    seen = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def flatten(nested: list[list]) -> list:
    return [item for inner in nested for item in inner]


def running_total(numbers: list[int]) -> list[int]:
    totals = []
    current = 0
    for number in numbers:
        current += number
        totals.append(current)
    return totals


def count_by_key(records: list[dict], key: str) -> dict:
    counts: dict = {}
    for record in records:
        value = record.get(key)
        counts[value] = counts.get(value, 0) + 1
    return counts
