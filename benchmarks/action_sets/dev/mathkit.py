def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(value, high))


def factorial(n: int) -> int:
    result = 1
    for k in range(2, n + 1):
        result *= k
    return result


def gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return abs(a)


def mean(values: list[float]) -> float:
    if not values:
        raise ValueError("mean of an empty list")
    return sum(values) / len(values)


def celsius_to_fahrenheit(celsius: float) -> float:
    return celsius * 9 / 5 + 32
