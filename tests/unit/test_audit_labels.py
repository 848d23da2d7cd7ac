"""Every action the code base records in the audit trail has words on the audit page."""

from __future__ import annotations

import re
from pathlib import Path

from simreg.channels.domain import TRANSITIONS
from simreg.channels.sellers import NEXT
from simreg.web.pages.audit_labels import ACTION_LABELS, action_label

SOURCE = Path(__file__).resolve().parents[2] / "src" / "simreg"
_CODE = r"\"([a-z_]+\.[a-z_]+)\""
# Where an action is written out: as the action, as the first word of an event helper, as
# the action a refusal records, or as a module's named action.
_LITERAL = [
    re.compile(rf"\baction\s*=\s*{_CODE}"),
    re.compile(rf"\b(?:_event|enterprise_event)\(\s*{_CODE}"),
    re.compile(rf"\b_record_refusal\(\s*actor,\s*{_CODE}"),
    re.compile(rf"\b_refused\(\s*actor,\s*{_CODE}"),
    re.compile(rf"^[A-Z_]*ACTION\s*=\s*{_CODE}", re.MULTILINE),
    re.compile(rf"\bnow,\s*{_CODE}"),  # the orders closed by the clock
]
# Group-customer lifecycle steps are recorded as "enterprise.<step>".
_STEP = re.compile(r"self\._move\(\s*actor,\s*\w+,\s*\"([a-z_]+)\"")


def recorded_actions() -> set[str]:
    found: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        if path.name == "audit_labels.py":
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in _LITERAL:
            found.update(pattern.findall(text))
    # Every step of the channel lifecycle is recorded as its action (ChannelService._apply).
    found.update(f"channel.{step}" for step in TRANSITIONS)
    customers = (SOURCE / "customers" / "services.py").read_text(encoding="utf-8")
    found.update(f"enterprise.{step}" for step in _STEP.findall(customers))
    found.update(f"seller.{step}" for step in NEXT)
    return found


def test_every_recorded_action_has_words_in_both_languages() -> None:
    actions = recorded_actions()
    # The scan itself must find what it is meant to find, from each kind of call site.
    assert {
        "registration.approved",
        "registration.submit",
        "channel.terminate",
        "enterprise.suspend",
        "seller.taken_down",
        "demo.census_seeded",
        "online_order.handover",
        "online_order.check_abandoned",
    } <= actions
    missing = sorted(actions - ACTION_LABELS.keys())
    assert not missing, missing
    for english, chinese in ACTION_LABELS.values():
        assert english and re.search(r"[\u4e00-\u9fff]", chinese)


def test_labels_follow_the_page_language_and_unknown_codes_show_as_they_are() -> None:
    assert action_label("registration.approved", "zh") == "审核通过"
    assert action_label("registration.approved", "en") == "Registration approved"
    assert action_label("something.new", "zh") == "something.new"
