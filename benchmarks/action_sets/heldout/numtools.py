def is_even(number: int) -> bool:
    return number % 2 == 0


def sum_of_squares(numbers: list[int]) -> int:
    return sum(n * n for n in numbers)


def percentage(part: float, whole: float) -> float:
    if whole == 0:
        return 0.0
    return round(100 * part / whole, 1)


def digits_sum(number: int) -> int:
    total = 0
    for digit in str(abs(number)):
        total += int(digit)
    return total


def safe_divide(a: float, b: float, default: float = 0.0) -> float:
    if b == 0:
        return default
    return a / b
