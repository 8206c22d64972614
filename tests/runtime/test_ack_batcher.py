"""The ack batcher (pure bookkeeping, so a recording stand-in for the delivery is enough): one ack per loop turn,
never reaching past a delivery still being handled."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from aio_pika.abc import AbstractIncomingMessage

from pilar_runtime.bus import AckBatcher


class Delivery:
    def __init__(self, tag: int, channel: object, sent: list[tuple[int, bool]]) -> None:
        self.delivery_tag = tag
        self.channel = channel
        self._sent = sent

    async def ack(self, multiple: bool = False) -> None:
        self._sent.append((self.delivery_tag, multiple))


def deliveries(n: int, channel: object, sent: list[tuple[int, bool]]) -> list[Any]:
    return [cast(AbstractIncomingMessage, Delivery(tag, channel, sent)) for tag in range(1, n + 1)]


async def test_handlers_finishing_in_one_turn_share_one_ack() -> None:
    sent: list[tuple[int, bool]] = []
    batcher = AckBatcher()
    messages = deliveries(5, object(), sent)
    for m in messages:
        batcher.received(m)
    for m in messages:
        batcher.acked(m)
    await asyncio.sleep(0.01)
    assert sent == [(5, True)]


async def test_an_ack_never_covers_a_delivery_still_in_flight() -> None:
    sent: list[tuple[int, bool]] = []
    batcher = AckBatcher()
    one, two, three, four = deliveries(4, object(), sent)
    for m in (one, two, three, four):
        batcher.received(m)
    batcher.acked(one)
    batcher.acked(three)  # two is still being handled
    batcher.acked(four)
    await asyncio.sleep(0.01)
    assert sent == [(1, True)]
    batcher.acked(two)
    await asyncio.sleep(0.01)
    assert sent == [(1, True), (4, True)]


async def test_a_requeued_delivery_frees_the_acks_behind_it() -> None:
    sent: list[tuple[int, bool]] = []
    batcher = AckBatcher()
    one, two = deliveries(2, object(), sent)
    batcher.received(one)
    batcher.received(two)
    batcher.acked(two)
    await asyncio.sleep(0.01)
    assert sent == []
    batcher.settled_otherwise(one)  # nacked on its own
    await asyncio.sleep(0.01)
    assert sent == [(2, True)]


async def test_channels_keep_their_own_tags_and_flush_sends_what_is_ready() -> None:
    sent: list[tuple[int, bool]] = []
    batcher = AckBatcher()
    old, new = deliveries(1, object(), sent)[0], deliveries(1, object(), sent)[0]
    batcher.received(old)
    batcher.received(new)
    batcher.acked(new)
    batcher.acked(old)
    await batcher.flush()
    assert sorted(sent) == [(1, True), (1, True)]
