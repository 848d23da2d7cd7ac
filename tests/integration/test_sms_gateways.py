"""The gateways against real counterparts: the file gateway writes JSON lines; the SMPP gateway
talks to the smpp34 package's SMPP server (in this process, or `simreg sms smsc` in another),
sends Chinese and long texts intact, and reconnects when the SMSC restarts or is killed."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from simreg.adapters.sms_file import FileSmsGateway
from simreg.adapters.sms_smpp import SmppGateway
from simreg.sms.ports import (
    Receipt,
    ReceiptState,
    SendError,
    SendOutcomeUnknown,
    TransientSendError,
)
from tests.support.sms import (
    MovableClock,
    free_port,
    journal_lines,
    running_smsc,
    smpp_gateway,
    smsc_process,
)

CHINESE = "【运营商】尊敬的用户，您的号码138****0000需补登实名信息：https://simreg.example/r/abc_1"
LONG = "请在2026年12月31日前完成补登。" * 12  # about 200 characters: four UCS-2 parts


def wait_for_receipts(gateway: SmppGateway, count: int, timeout: float = 10.0) -> list[Receipt]:
    got: list[Receipt] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        got += gateway.receipts()
        time.sleep(0.05)
    return got


def send_when_reconnected(gateway: SmppGateway, to: str, text: str, timeout: float = 10.0) -> str:
    """What the dispatcher does: a transient refusal means the message waits for a retry."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return gateway.send(to, text, "retry")
        except TransientSendError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_file_gateway_appends_one_json_line_per_message_and_reports_delivery(
    tmp_path: Path,
) -> None:
    clock = MovableClock()
    path = tmp_path / "sms" / "sent.jsonl"
    gateway = FileSmsGateway(path, clock)
    first = gateway.send("13900000001", CHINESE, "campaign:1:target:1:sms")
    second = gateway.send("13900000002", "hello", "campaign:1:target:2:sms")
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == [first, second]
    assert lines[0]["to"] == "13900000001" and lines[0]["text"] == CHINESE
    assert lines[0]["reference"] == "campaign:1:target:1:sms"
    assert CHINESE in path.read_text(encoding="utf-8")  # readable, not \u escapes
    assert gateway.receipts() == [
        Receipt(first, ReceiptState.DELIVERED, clock.now()),
        Receipt(second, ReceiptState.DELIVERED, clock.now()),
    ]
    assert gateway.receipts() == []


def test_smpp_gateway_sends_chinese_and_long_texts_intact() -> None:
    clock = MovableClock()
    with running_smsc() as smsc:
        gateway = smpp_gateway(smsc.port, clock)
        short_id = gateway.send("13900000001", CHINESE, "a")
        long_id = gateway.send("13900000002", LONG, "b")
        plain_id = gateway.send("13900000003", "Code_1 @ $5 {ok} 100€", "c")
        receipts = wait_for_receipts(gateway, 3)
        gateway.close()
    by_number = {m.destination: m for m in smsc.messages}
    assert by_number["13900000001"].text == CHINESE
    assert by_number["13900000001"].data_coding == 8  # UCS-2
    assert by_number["13900000002"].text == LONG and by_number["13900000002"].parts == 4
    assert by_number["13900000003"].text == "Code_1 @ $5 {ok} 100€"
    assert by_number["13900000003"].data_coding == 0  # GSM default alphabet
    assert by_number["13900000001"].source == "10086"
    # One receipt per message, the long one's four parts folded into one for its first id.
    assert sorted(r.message_id for r in receipts) == sorted([short_id, long_id, plain_id])
    assert {r.state for r in receipts} == {ReceiptState.DELIVERED}
    assert long_id == by_number["13900000002"].message_ids[0]


def test_smpp_gateway_reconnects_after_the_smsc_restarts() -> None:
    clock = MovableClock()
    port = free_port()
    with running_smsc(port) as before:
        gateway = smpp_gateway(port, clock)
        first_id = gateway.send("13900000001", "before the restart", "a")
    # The SMSC unbound on its way down and is gone: nothing can be sent, and nothing was.
    with pytest.raises(TransientSendError):
        gateway.send("13900000002", "while it is down", "b")
    with running_smsc(port) as after:
        after_id = send_when_reconnected(gateway, "13900000003", "after the restart")
        receipts: list[Receipt] = []
        deadline = time.monotonic() + 10
        while after_id not in {r.message_id for r in receipts} and time.monotonic() < deadline:
            receipts += gateway.receipts()
            time.sleep(0.05)
        gateway.close()
    assert before.texts_to("13900000001") == ["before the restart"]
    assert after.texts_to("13900000003") == ["after the restart"]
    assert [m.destination for m in before.messages + after.messages] == [
        "13900000001",
        "13900000003",
    ]
    # The new message's receipt comes over the new session. The first message's receipt may
    # have arrived before the SMSC went down (the gateway keeps it until asked); never twice.
    ids = sorted(r.message_id for r in receipts)
    assert after_id in ids
    assert ids in (sorted([after_id]), sorted([first_id, after_id]))


def test_smpp_gateway_reconnects_after_the_smsc_process_is_killed(tmp_path: Path) -> None:
    clock = MovableClock()
    port = free_port()
    first_journal, second_journal = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    gateway = smpp_gateway(port, clock)
    with smsc_process(port, first_journal) as process:
        gateway.send("13900000001", CHINESE, "a")
        process.kill()
        process.wait(10)
    # A send into the dead connection either fails cleanly or is reported as unknown
    # (it may have left); the dispatcher never resends either way round.
    time.sleep(0.3)
    with pytest.raises(SendError) as failed:
        gateway.send("13900000002", "into the void", "b")
    assert isinstance(failed.value, TransientSendError | SendOutcomeUnknown)
    with smsc_process(port, second_journal, "--fail-every", "1"):
        after_id = send_when_reconnected(gateway, "13900000003", "after the crash")
        deadline = time.monotonic() + 10
        receipts: list[Receipt] = []
        while not any(r.message_id == after_id for r in receipts) and time.monotonic() < deadline:
            receipts += gateway.receipts()  # the first SMSC's receipt may be among them
            time.sleep(0.05)
        gateway.close()
    assert [(m["destination"], m["text"]) for m in journal_lines(first_journal)] == [
        ("13900000001", CHINESE)
    ]
    assert [(m["destination"], m["text"]) for m in journal_lines(second_journal)] == [
        ("13900000003", "after the crash")
    ]
    assert [r.state for r in receipts if r.message_id == after_id] == [ReceiptState.UNDELIVERABLE]
