"""Helpers of the database module that do not need a database."""

from __future__ import annotations

from warroom.core.db import padded_in_list


def test_in_lists_are_padded_to_a_power_of_two_with_the_last_value() -> None:
    assert padded_in_list([]) == []
    assert padded_in_list([7]) == [7]
    assert padded_in_list([1, 2, 3]) == [1, 2, 3, 3]
    assert padded_in_list([1, 2, 3, 4]) == [1, 2, 3, 4]
    sizes = {len(padded_in_list(list(range(n)))) for n in range(1, 201)}
    assert sizes == {1, 2, 4, 8, 16, 32, 64, 128, 256}
