"""The outbox dispatcher on SQLite and PostgreSQL, sending through the SMPP adapter to a real
SMPP server (the smpp34 package's, started here): every message exactly once, receipts
recorded, the campaign funnel stamped, nothing resent after a crash, quiet hours kept, and two
dispatchers at once never sending a message twice."""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from simreg.adapters.passwords import Argon2Passwords
from simreg.bootstrap import Simreg, bootstrap
from simreg.core.settings import Settings
from simreg.db import tables as t
from simreg.db.sms_outbox_store import SqlOutboxTransaction, enqueue
from simreg.sms.ports import SmsGateway
from tests.support.sms import (
    MORNING,
    TEMPLATE,
    MovableClock,
    campaign_with_targets,
    dispatcher,
    free_port,
    outbox_rows,
    running_smsc,
    settle_receipts,
    smpp_gateway,
    statuses,
    target_rows,
)


def test_enqueue_is_idempotent_by_dedupe_key(simreg: Simreg) -> None:
    with simreg.engine.begin() as conn:
        first = enqueue(conn, dedupe_key="k:1", msisdn="13900000001", body="hi", at=MORNING)
        again = enqueue(conn, dedupe_key="k:1", msisdn="13900000001", body="other", at=MORNING)
    with simreg.engine.begin() as conn:
        later = enqueue(conn, dedupe_key="k:1", msisdn="13900000001", body="hi", at=MORNING)
    assert (first, again, later) == (True, False, False)
    rows = outbox_rows(simreg.engine)
    assert rows["13900000001"]["body"] == "hi"
    assert statuses(simreg.engine) == {"queued": 1}


def test_each_message_goes_out_once_with_its_link_and_receipts_reach_the_funnel(
    simreg: Simreg,
) -> None:
    clock = MovableClock()
    campaign_id, targets = campaign_with_targets(simreg.engine, 5, MORNING)
    with running_smsc() as smsc:
        gateway = smpp_gateway(smsc.port, clock)
        dispatch = dispatcher(simreg.engine, gateway, clock)
        report = dispatch.run_once(limit=100)
        assert (report.claimed, report.sent, report.failed) == (5, 5, 0)
        settle_receipts(dispatch, simreg.engine)
        again = dispatch.run_once(limit=100)
        gateway.close()
    assert again.claimed == 0
    assert sorted(m.destination for m in smsc.messages) == sorted(t.msisdn for t in targets)
    for target in targets:
        (text,) = smsc.texts_to(target.msisdn)
        assert text == TEMPLATE.replace("{link}", f"https://simreg.example/r/t{target.id}")
    rows = outbox_rows(simreg.engine)
    assert {row["status"] for row in rows.values()} == {"delivered"}
    assert {row["receipt_status"] for row in rows.values()} == {"delivered"}
    sent_ids = {m.message_ids[0] for m in smsc.messages}
    assert {row["message_id"] for row in rows.values()} == sent_ids
    funnel = target_rows(simreg.engine)
    for target in targets:
        assert funnel[target.id]["sms_sent_at"] is not None
        assert funnel[target.id]["sms_delivered_at"] is not None
        assert funnel[target.id]["sms_failed_at"] is None
    assert campaign_id


def test_undelivered_receipts_mark_the_message_and_the_target_failed(simreg: Simreg) -> None:
    clock = MovableClock()
    _, targets = campaign_with_targets(simreg.engine, 4, MORNING)
    with running_smsc(fail_every=2) as smsc:
        gateway = smpp_gateway(smsc.port, clock)
        dispatch = dispatcher(simreg.engine, gateway, clock)
        dispatch.run_once()
        settle_receipts(dispatch, simreg.engine)
        gateway.close()
    assert statuses(simreg.engine) == {"delivered": 2, "failed": 2}
    failed = [r for r in outbox_rows(simreg.engine).values() if r["status"] == "failed"]
    assert {r["receipt_status"] for r in failed} == {"undeliverable"}
    funnel = target_rows(simreg.engine)
    assert sum(1 for row in funnel.values() if row["sms_failed_at"] is not None) == 2
    assert sum(1 for row in funnel.values() if row["sms_delivered_at"] is not None) == 2
    assert len(smsc.messages) == len(targets)


class DiesAfterSubmitting:
    """The dispatcher's process is killed right after the SMSC accepted its ``n``-th message,
    before the outcome is recorded (the SMPP traffic itself is real)."""

    def __init__(self, gateway: SmsGateway, n: int) -> None:
        self.gateway = gateway
        self.left = n

    def send(self, to: str, text: str, reference: str) -> str:
        message_id = self.gateway.send(to, text, reference)
        self.left -= 1
        if self.left == 0:
            raise KeyboardInterrupt("killed")
        return message_id

    def receipts(self) -> list:  # type: ignore[type-arg]
        return self.gateway.receipts()

    def close(self) -> None:
        self.gateway.close()


def test_a_message_in_flight_when_the_dispatcher_dies_is_never_sent_again(
    simreg: Simreg,
) -> None:
    clock = MovableClock()
    _, targets = campaign_with_targets(simreg.engine, 6, MORNING)
    with running_smsc() as smsc:
        dying = DiesAfterSubmitting(smpp_gateway(smsc.port, clock), 2)
        with pytest.raises(KeyboardInterrupt):
            dispatcher(simreg.engine, dying, clock).run_once(limit=100)
        dying.close()
        assert len(smsc.messages) == 2
        # Killed before its batch of outcomes was committed: all six still read sending.
        assert statuses(simreg.engine) == {"sending": 6}

        # Restarted a little later: the dispatcher's own claims are not yet presumed dead.
        clock.advance(minutes=1)
        gateway = smpp_gateway(smsc.port, clock)
        restarted = dispatcher(simreg.engine, gateway, clock)
        assert restarted.recover() == []
        assert restarted.run_once().claimed == 0

        clock.advance(minutes=10)
        abandoned = restarted.recover()
        report = restarted.run_once()
        gateway.close()
    assert len(abandoned) == 6
    assert report.claimed == 0
    # The SMSC saw the in-flight message once, and the never-submitted ones not at all.
    assert Counter(m.destination for m in smsc.messages).most_common(1)[0][1] == 1
    assert len(smsc.messages) == 2
    assert statuses(simreg.engine) == {"uncertain": 6}
    with simreg.engine.connect() as conn:
        listed = SqlOutboxTransaction(conn).uncertain(10)
        audit = conn.execute(
            select(t.audit_events.c.details).where(t.audit_events.c.action == "sms.uncertain")
        ).scalar_one()
    assert len(listed) == 6 and all("may have been sent" in (m.error or "") for m in listed)
    assert audit["count"] == 6
    assert targets


def test_quiet_hours_hold_messages_until_morning(simreg: Simreg) -> None:
    clock = MovableClock(MORNING.replace(hour=15))  # 23:00 in Shanghai
    campaign_with_targets(simreg.engine, 3, clock.now())
    with running_smsc() as smsc:
        gateway = smpp_gateway(smsc.port, clock)
        dispatch = dispatcher(simreg.engine, gateway, clock)
        night = dispatch.run_once()
        assert night.claimed == 0 and len(smsc.messages) == 0
        assert night.quiet_until is not None
        assert night.quiet_until.astimezone(clock.now().tzinfo).hour == 0  # 08:00 in Shanghai
        clock.at = night.quiet_until
        morning = dispatch.run_once()
        gateway.close()
    assert morning.sent == 3 and len(smsc.messages) == 3


def test_not_before_in_the_future_waits(simreg: Simreg) -> None:
    clock = MovableClock()
    with simreg.engine.begin() as conn:
        enqueue(
            conn,
            dedupe_key="later",
            msisdn="13900000009",
            body="hello",
            at=MORNING,
            not_before=MORNING.replace(hour=4),
        )
    with running_smsc() as smsc:
        gateway = smpp_gateway(smsc.port, clock)
        dispatch = dispatcher(simreg.engine, gateway, clock)
        assert dispatch.run_once().claimed == 0
        clock.advance(hours=2)
        assert dispatch.run_once().sent == 1
        gateway.close()
    assert smsc.texts_to("13900000009") == ["hello"]


def test_messages_wait_while_the_smsc_is_down_and_go_out_once_it_is_back(
    simreg: Simreg,
) -> None:
    clock = MovableClock()
    campaign_with_targets(simreg.engine, 3, MORNING)
    port = free_port()
    gateway = smpp_gateway(port, clock)
    dispatch = dispatcher(simreg.engine, gateway, clock)
    down = dispatch.run_once()
    assert (down.sent, down.deferred) == (0, 3)
    rows = outbox_rows(simreg.engine).values()
    assert {row["status"] for row in rows} == {"queued"}
    assert all("cannot bind" in str(row["error"]) for row in rows)
    with running_smsc(port) as smsc:
        assert dispatch.run_once().claimed == 0  # each waits a minute before the next try
        clock.advance(minutes=2)
        back = dispatch.run_once()
        settle_receipts(dispatch, simreg.engine)
        gateway.close()
    assert back.sent == 3 and len(smsc.messages) == 3
    assert statuses(simreg.engine) == {"delivered": 3}


def test_two_dispatchers_at_once_never_send_a_message_twice(simreg: Simreg) -> None:
    clock = MovableClock()
    _, targets = campaign_with_targets(simreg.engine, 60, MORNING)
    with running_smsc() as smsc:
        gateways = [smpp_gateway(smsc.port, clock, f"esme{i}") for i in range(2)]
        dispatchers = [dispatcher(simreg.engine, g, clock) for g in gateways]
        sent = [0, 0]
        errors: list[BaseException] = []
        start = threading.Barrier(2)

        def work(i: int) -> None:
            try:
                start.wait()
                while (report := dispatchers[i].run_once(limit=4)).claimed:
                    sent[i] += report.sent
            except BaseException as error:  # reported below, not lost in the thread
                errors.append(error)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        settle_receipts(dispatchers, simreg.engine)
        for g in gateways:
            g.close()
    assert errors == []
    assert sum(sent) == 60 and all(sent)  # both took part
    per_number = Counter(m.destination for m in smsc.messages)
    assert sorted(per_number) == sorted(t.msisdn for t in targets)
    assert set(per_number.values()) == {1}
    assert statuses(simreg.engine) == {"delivered": 60}


def test_the_configured_dispatcher_fills_each_link_and_writes_the_file(
    settings: Settings,
) -> None:
    quiet_free = settings.model_copy(update={"sms_quiet_hours": ""})
    app = bootstrap(quiet_free, passwords=Argon2Passwords(fast_for_tests=True))
    try:
        _, targets = campaign_with_targets(app.engine, 2, app.clock.now())
        assert app.sms is not None
        report = app.sms.run_once()
        app.sms.collect_receipts()
        counts = statuses(app.engine)
    finally:
        app.close()
    assert report.sent == 2
    lines = [json.loads(line) for line in Path(quiet_free.sms_file).read_text().splitlines()]
    assert sorted(line["to"] for line in lines) == sorted(t.msisdn for t in targets)
    for line in lines:
        assert line["text"].startswith("【运营商】")
        assert f"{quiet_free.public_base_url}/r/" in line["text"] and "{link}" not in line["text"]
    assert counts == {"delivered": 2}
