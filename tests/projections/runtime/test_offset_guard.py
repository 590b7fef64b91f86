"""The offset guard's rules, without a broker: records of an event partition
are folded only in offset order, a hole seeks the partition back to its first
missing offset (again after a pause while it stays open), and no commit goes
past the next offset to fold or backwards. Seeks are recorded instead of sent
(the broker part is covered by `test_rebalance_window`)."""

from __future__ import annotations

import asyncio

from faust.types import TP

from projections.runtime.offset_guard import RESEEK, OffsetGuard

ED, ACCESS, REQUESTS = "p.events.ed", "p.events.access", "p.board.requests"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def guarded(starts: dict[tuple[str, int], int]) -> tuple[OffsetGuard, list[tuple[str, int, int]], Clock]:
    sought: list[tuple[str, int, int]] = []

    async def seek(topic: str, partition: int, offset: int) -> None:
        sought.append((topic, partition, offset))

    clock = Clock()
    guard = OffsetGuard((ED, ACCESS), seek, clock)
    guard.reset(starts)
    return guard, sought, clock


def fold(guard: OffsetGuard, topic: str, partition: int, offsets: list[int]) -> list[int]:
    """The offsets the guard let through, each folded as it passed."""

    async def run() -> list[int]:
        passed = []
        for offset in offsets:
            if await guard.admit(topic, partition, offset):
                passed.append(offset)
                guard.folded(topic, partition, offset)
        return passed

    return asyncio.run(run())


def test_records_in_order_pass_and_records_already_folded_do_not():
    guard, sought, _ = guarded({(ED, 0): 10})
    assert fold(guard, ED, 0, [10, 11, 12, 11, 12, 13]) == [10, 11, 12, 13]
    assert not sought


def test_a_hole_seeks_back_once_then_again_after_a_pause_until_it_closes():
    guard, sought, clock = guarded({(ED, 0): 10})
    assert fold(guard, ED, 0, [10, 14, 15, 16]) == [10]
    assert sought == [(ED, 0, 11)]  # once, not once per record beyond the hole
    asyncio.run(guard.recheck())
    assert sought == [(ED, 0, 11)]
    clock.now += RESEEK
    asyncio.run(guard.recheck())  # the records fetched after the seek were dropped too
    assert sought == [(ED, 0, 11), (ED, 0, 11)]
    assert fold(guard, ED, 0, [11, 12, 13, 14]) == [11, 12, 13, 14]
    clock.now += RESEEK
    asyncio.run(guard.recheck())
    assert len(sought) == 2, "a closed hole was sought again"


def test_partitions_are_independent_and_other_topics_are_not_guarded():
    guard, sought, _ = guarded({(ED, 0): 0, (ED, 1): 5, (ACCESS, 0): 3})
    assert fold(guard, ED, 1, [5, 6]) == [5, 6]
    assert fold(guard, ACCESS, 0, [4]) == []
    assert fold(guard, ED, 0, [0]) == [0]
    assert fold(guard, REQUESTS, 0, [7, 2]) == [7, 2]
    assert sought == [(ACCESS, 0, 3)]


def test_commits_stop_at_the_next_offset_to_fold_and_never_go_back():
    guard, _, _ = guarded({(ED, 0): 10, (ED, 1): 0})
    fold(guard, ED, 0, [10, 11, 12, 20])  # 13-19 never folded
    offsets = {TP(ED, 0): 21, TP(ED, 1): 0, TP(REQUESTS, 0): 4}
    assert guard.clamp(offsets) == {TP(ED, 0): 13, TP(REQUESTS, 0): 4}
    guard.on_committed({TP(ED, 0): 13})
    assert guard.clamp({TP(ED, 0): 21}) == {}
    fold(guard, ED, 0, list(range(13, 21)))
    assert guard.clamp({TP(ED, 0): 21}) == {TP(ED, 0): 21}


def test_a_new_assignment_starts_each_partition_at_its_committed_offset():
    guard, sought, _ = guarded({(ED, 0): 10})
    fold(guard, ED, 0, [10, 11, 30])
    guard.reset({(ED, 0): 12, (ED, 2): 0, (REQUESTS, 0): 9})
    assert fold(guard, ED, 0, [12]) == [12]
    assert fold(guard, ED, 2, [0]) == [0]
    assert guard.clamp({TP(REQUESTS, 0): 9}) == {TP(REQUESTS, 0): 9}


def test_records_of_a_partition_not_in_the_last_assignment_are_not_folded():
    # A batch taken before a rebalance can still hold records of a partition
    # that now belongs to another worker.
    guard, sought, _ = guarded({(ED, 0): 10, (ED, 1): 4})
    guard.reset({(ED, 0): 10})
    assert fold(guard, ED, 1, [4, 5]) == []
    assert fold(guard, ED, 0, [10]) == [10]
    assert fold(guard, REQUESTS, 1, [3]) == [3]
    assert not sought
    # Nor are its board's ticks and snapshot requests answered here.
    assert guard.owns(0) and not guard.owns(1)
