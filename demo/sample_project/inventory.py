"""A small inventory module: the sample project the demo edits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Item:
    name: str
    price: float
    quantity: int = 0


def total_value(items: list[Item]) -> float:
    """Sum of price * quantity over all items."""
    return sum(item.price * item.quantity for item in items)


def restock(items: list[Item], name: str, amount: int) -> Item:
    for item in items:
        if item.name == name:
            item.quantity += amount
            return item
    raise KeyError(name)


def fibonacci(n: int) -> int:
    
