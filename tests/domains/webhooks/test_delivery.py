"""Deliveries to a real HTTP receiver on loopback: signed, retried on schedule, at least once."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from standardwebhooks.webhooks import Webhook

from tenure.domains.webhooks import repository, service
from tenure.domains.webhooks.delivery import BACKOFF, backoff, classify, deliver_due
from tenure.domains.webhooks.repository import Delivery
from tenure.kit.clock import FrozenClock
from tenure.kit.errors import Conflict
from tenure.storage.engine import write_transaction
from tests.domains.webhooks.conftest import SECRET, Receiver, settings

PAYLOAD = {"enrollment": {"id": 12, "step": "notify"}, "customer": {"id": None, "name": "Ana"}}


def _queue(
    engine: Engine, clock: FrozenClock, url: str, key: str = "enrollment:12:notify:1"
) -> int:
    with engine.begin() as conn:
        return service.queue(
            conn,
            key=key,
            url=url,
            event_type="playbook.step",
            payload=PAYLOAD,
            source="playbook:win-back",
            customer_id=None,
            now=clock.now(),
            allow_private=True,
        )


def _get(engine: Engine, delivery_id: int) -> Delivery:
    with engine.connect() as conn:
        return repository.get(conn, delivery_id)


def _verified(secret: str, received: Any) -> Any:
    return Webhook(secret).verify(received.body, received.headers)


def test_a_delivery_arrives_once_signed(
    store: Engine, receiver: Receiver, clock: FrozenClock
) -> None:
    delivery_id = _queue(store, clock, receiver.url("/ok"))
    report = deliver_due(store, clock, settings=settings())
    assert report.delivered == [delivery_id] and not report.retrying and not report.failed
    (got,) = receiver.received
    assert got.headers["webhook-id"] == "enrollment:12:notify:1"
    assert got.headers["content-type"] == "application/json"
    body = _verified(SECRET, got)
    assert body["type"] == "playbook.step"
    assert body["data"] == PAYLOAD
    done = _get(store, delivery_id)
    assert (done.status, done.attempts, done.last_status_code) == ("delivered", 1, 200)
    assert done.delivered_at == clock.now()
    # nothing is due any more: a second pass sends nothing
    clock.advance(timedelta(hours=1))
    assert deliver_due(store, clock, settings=settings()).delivered == []
    assert len(receiver.received) == 1


def test_503_twice_then_200_is_delivered_on_the_third_attempt(
    store: Engine, receiver: Receiver, clock: FrozenClock
) -> None:
    receiver.plans["/flaky"] = [503, 503]
    delivery_id = _queue(store, clock, receiver.url("/flaky"))
    first = clock.now()
    assert deliver_due(store, clock, settings=settings()).retrying == [delivery_id]
    after_one = _get(store, delivery_id)
    assert after_one.status == "queued" and after_one.last_status_code == 503
    assert after_one.next_attempt_at == first + timedelta(seconds=30)
    # not yet due: a pass 29 s later sends nothing
    clock.advance(timedelta(seconds=29))
    assert deliver_due(store, clock, settings=settings()).retrying == []
    clock.advance(timedelta(seconds=1))
    assert deliver_due(store, clock, settings=settings()).retrying == [delivery_id]
    assert _get(store, delivery_id).next_attempt_at == clock.now() + timedelta(minutes=2)
    clock.advance(timedelta(minutes=2))
    assert deliver_due(store, clock, settings=settings()).delivered == [delivery_id]
    done = _get(store, delivery_id)
    assert (done.status, done.attempts, done.last_status_code) == ("delivered", 3, 200)
    assert len(receiver.received) == 3
    # the same webhook-id on every attempt, each one signed afresh and valid
    assert {r.headers["webhook-id"] for r in receiver.received} == {"enrollment:12:notify:1"}
    assert len({r.headers["webhook-timestamp"] for r in receiver.received}) == 3
    assert len({r.body for r in receiver.received}) == 1
    for got in receiver.received:
        _verified(SECRET, got)


def test_400_fails_at_once_and_retry_queues_it_again(
    store: Engine, receiver: Receiver, clock: FrozenClock
) -> None:
    receiver.plans["/bad"] = [400]
    delivery_id = _queue(store, clock, receiver.url("/bad"))
    assert deliver_due(store, clock, settings=settings()).failed == [delivery_id]
    failed = _get(store, delivery_id)
    assert (failed.status, failed.attempts, failed.last_status_code) == ("failed", 1, 400)
    assert failed.last_error == "answered 400"
    with store.begin() as conn:
        again = service.retry(conn, delivery_id, clock.now())
    assert (again.status, again.attempts) == ("queued", 0)
    assert deliver_due(store, clock, settings=settings()).delivered == [delivery_id]
    with store.begin() as conn, pytest.raises(Conflict, match="delivered"):
        service.retry(conn, delivery_id, clock.now())


def test_the_attempts_run_out(store: Engine, receiver: Receiver, clock: FrozenClock) -> None:
    receiver.plans["/down"] = [500] * 10
    delivery_id = _queue(store, clock, receiver.url("/down"))
    config = settings(max_attempts=3)
    for attempt in (1, 2):
        assert deliver_due(store, clock, settings=config).retrying == [delivery_id]
        clock.advance(backoff(attempt))
    assert deliver_due(store, clock, settings=config).failed == [delivery_id]
    gone = _get(store, delivery_id)
    assert (gone.status, gone.attempts, gone.last_error) == ("failed", 3, "answered 500")


def test_a_hanging_receiver_times_out_and_the_others_still_go_out(
    store: Engine, receiver: Receiver, clock: FrozenClock
) -> None:
    hanging = _queue(store, clock, receiver.url("/hang"), key="hang")
    others = [_queue(store, clock, receiver.url(f"/ok{n}"), key=f"ok-{n}") for n in range(3)]
    # one sender thread: the hanging call comes first and holds it only for the timeout
    report = deliver_due(store, clock, settings=settings(concurrency=1, timeout_seconds=1.5))
    assert report.retrying == [hanging]
    assert sorted(report.delivered) == others
    stuck = _get(store, hanging)
    assert stuck.status == "queued" and stuck.last_error == "timed out after 1.5 s"
    assert stuck.next_attempt_at == clock.now() + BACKOFF[0]
    receiver.release.set()
    clock.advance(BACKOFF[0])
    assert deliver_due(store, clock, settings=settings()).delivered == [hanging]
    assert [r.headers["webhook-id"] for r in receiver.at("/hang")] == ["hang", "hang"]


def test_a_worker_killed_mid_call_is_replaced_after_its_lease(
    store: Engine, receiver: Receiver, clock: FrozenClock
) -> None:
    delivery_id = _queue(store, clock, receiver.url("/ok"))
    # a worker claims the delivery and dies before sending: its connection is simply gone
    with write_transaction(store) as conn:
        claimed = repository.claim_next(conn, clock.now(), timedelta(seconds=5), 6)
    assert claimed is not None and claimed.id == delivery_id
    assert _get(store, delivery_id).status == "delivering"
    # while the lease holds, nobody else sends it
    assert deliver_due(store, clock, settings=settings()).delivered == []
    clock.advance(timedelta(seconds=5))
    assert deliver_due(store, clock, settings=settings()).delivered == [delivery_id]
    (got,) = receiver.received
    assert got.headers["webhook-id"] == "enrollment:12:notify:1"
    _verified(SECRET, got)
    assert _get(store, delivery_id).attempts == 2


def test_a_worker_lost_on_the_last_attempt_fails_the_delivery(
    store: Engine, receiver: Receiver, clock: FrozenClock
) -> None:
    delivery_id = _queue(store, clock, receiver.url("/ok"))
    with write_transaction(store) as conn:
        assert repository.claim_next(conn, clock.now(), timedelta(seconds=5), 1) is not None
    clock.advance(timedelta(seconds=6))
    assert deliver_due(store, clock, settings=settings(max_attempts=1)).delivered == []
    lost = _get(store, delivery_id)
    assert lost.status == "failed" and lost.last_error == repository.WORKER_LOST
    assert receiver.received == []


def test_redirects_are_not_followed(store: Engine, receiver: Receiver, clock: FrozenClock) -> None:
    delivery_id = _queue(store, clock, receiver.url("/redirect"))
    assert deliver_due(store, clock, settings=settings()).failed == [delivery_id]
    failed = _get(store, delivery_id)
    assert failed.last_status_code == 302 and "redirects are not followed" in (
        failed.last_error or ""
    )


def test_a_private_address_is_refused_at_delivery_when_not_allowed(
    store: Engine, receiver: Receiver, clock: FrozenClock
) -> None:
    delivery_id = _queue(store, clock, receiver.url("/ok"))  # queued while allowed
    report = deliver_due(store, clock, settings=settings(allow_private=False))
    assert report.failed == [delivery_id]
    assert "private, loopback or link-local" in (_get(store, delivery_id).last_error or "")
    assert receiver.received == []


def test_an_unset_secret_is_made_once_and_kept(
    store: Engine, receiver: Receiver, clock: FrozenClock
) -> None:
    _queue(store, clock, receiver.url("/ok"))
    deliver_due(store, clock, settings=settings(secret=None))
    with store.begin() as conn:
        kept = service.secret(conn, settings(secret=None), clock.now())
        assert service.secret(conn, settings(secret=None), clock.now()) == kept
    assert kept.startswith("whsec_") and kept != SECRET
    assert _verified(kept, receiver.received[0])["data"] == PAYLOAD


def test_the_outcome_of_each_answer() -> None:
    assert classify(204).delivered
    for retried in (408, 429, 500, 502, 503, 504):
        assert classify(retried).retry, retried
    for final in (301, 400, 401, 403, 404, 410, 422):
        outcome = classify(final)
        assert not outcome.delivered and not outcome.retry, final
    assert [backoff(n) for n in range(1, 8)] == [*BACKOFF, BACKOFF[-1]]


def test_the_body_is_the_standard_webhooks_envelope(
    store: Engine, receiver: Receiver, clock: FrozenClock
) -> None:
    _queue(store, clock, receiver.url("/ok"))
    deliver_due(store, clock, settings=settings())
    body = json.loads(receiver.received[0].body)
    assert set(body) == {"type", "timestamp", "data"}


def test_two_workers_at_once_send_each_delivery_once(
    store: Engine, receiver: Receiver, clock: FrozenClock
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    ids = [_queue(store, clock, receiver.url(f"/w{n}"), key=f"w-{n}") for n in range(12)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        passes = [pool.submit(deliver_due, store, clock, settings=settings()) for _ in range(2)]
        reports = [p.result() for p in passes]
    assert sorted(reports[0].delivered + reports[1].delivered) == ids
    assert sorted(r.headers["webhook-id"] for r in receiver.received) == sorted(
        f"w-{n}" for n in range(12)
    )
