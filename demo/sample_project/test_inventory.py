from inventory import Item, restock, total_value


def test_total_value() -> None:
    items = [Item("apple", 0.5, 10), Item("pear", 0.75, 4)]
    assert total_value(items) == 8.0


def test_restock() -> None:
    items = [Item("apple", 0.5, 10)]
    assert restock(items, "apple", 5).quantity == 15
