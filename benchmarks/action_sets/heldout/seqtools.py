def last_n(items: list, n: int) -> list:
    if n <= 0:
        return []
    return items[-n:]


def max_index(values: list[float]) -> int:
    best = 0
    for index, value in enumerate(values):
        if value > values[best]:
            best = index
    return best


def pairwise_sums(numbers: list[int]) -> list[int]:
    return [a + b for a, b in zip(numbers, numbers[1:])]


def invert_dict(mapping: dict) -> dict:
    return {value: key for key, value in mapping.items()}


def count_greater(values: list[int], threshold: int) -> int:
    count = 0
    for value in values:
        if value > threshold:
            count += 1
    return count
