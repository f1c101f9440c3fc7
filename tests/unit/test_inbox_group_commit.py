"""Group commit (the inbox sync's writer): items submitted together are written together, each caller gets its own
item's result, and a failed write fails exactly the items it carried."""

from __future__ import annotations

import asyncio

from engine.inbox import GroupCommit


class Writer:
    """Writes batches of numbers, remembering each batch; a batch holding `poison` fails."""

    def __init__(self, poison: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.poison = poison
        self.begun = asyncio.Event()

    async def __call__(self, batch: list[int]) -> list[str]:
        self.batches.append(batch)
        self.begun.set()
        await asyncio.sleep(0)  # a database round trip: other submitters queue meanwhile
        if self.poison in batch:
            raise ValueError(f"cannot write {self.poison}")
        return [f"wrote {n}" for n in batch]


async def test_items_submitted_together_share_one_write_and_get_their_own_results() -> None:
    writer = Writer()
    group = GroupCommit(writer, slots=asyncio.Semaphore(1), limit=50)

    results = await asyncio.gather(*(group.submit(n) for n in range(5)))

    assert results == [f"wrote {n}" for n in range(5)]
    assert writer.batches == [[0, 1, 2, 3, 4]]


async def test_a_write_carries_at_most_limit_items_oldest_first() -> None:
    writer = Writer()
    group = GroupCommit(writer, slots=asyncio.Semaphore(1), limit=2)

    results = await asyncio.gather(*(group.submit(n) for n in range(5)))

    assert results == [f"wrote {n}" for n in range(5)]
    assert writer.batches == [[0, 1], [2, 3], [4]]


async def test_items_arriving_during_a_write_wait_for_the_next_one() -> None:
    writer = Writer()
    group = GroupCommit(writer, slots=asyncio.Semaphore(1), limit=50)

    async def later(n: int) -> str:
        await writer.begun.wait()  # the first write has begun
        return await group.submit(n)

    results = await asyncio.gather(group.submit(0), later(1), later(2))

    assert results == ["wrote 0", "wrote 1", "wrote 2"]
    assert writer.batches == [[0], [1, 2]]


async def test_a_failed_write_fails_the_items_it_carried_and_no_others() -> None:
    writer = Writer(poison=3)
    group = GroupCommit(writer, slots=asyncio.Semaphore(1), limit=2)

    results = await asyncio.gather(*(group.submit(n) for n in range(5)), return_exceptions=True)

    assert results[:2] == ["wrote 0", "wrote 1"] and results[4] == "wrote 4"
    assert [(type(r), str(r)) for r in results[2:4]] == [(ValueError, "cannot write 3")] * 2
