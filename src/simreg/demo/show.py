"""What the demo prints: who to log in as, and a request to try."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from simreg.demo.seed import DemoAccess
from simreg.demo.synthetic import specimen_photo


def print_access(console: Console, access: DemoAccess, base_url: str, data_dir: Path) -> None:
    front, back = data_dir / "specimen-front.jpg", data_dir / "specimen-back.jpg"
    front.write_bytes(specimen_photo("FRONT"))
    back.write_bytes(specimen_photo("BACK"))
    table = Table(title=f"simreg demo accounts (password for pages: {access.password})")
    table.add_column("user")
    table.add_column("API bearer token")
    for user, token in access.tokens.items():
        table.add_row(user, token)
    table.add_row(f"device {access.device_serial}", access.device_token)
    console.print(table)
    console.print(
        f"Pages: {base_url}/login — the clerk app as clerk.hall (or clerk.shop on a phone, "
        f"after entering the device token at /app/device), the review console as reviewer.",
        highlight=False,
        soft_wrap=True,
    )
    c = access.counts
    console.print(
        f"seeded: {c.get('active', 0)} active lines, {c.get('pending_review', 0)} waiting for "
        f"review, {c.get('rejected', 0)} rejected; free numbers e.g. "
        + ", ".join(access.free_numbers[:3]),
        highlight=False,
    )
    if access.legacy is not None:
        legacy = access.legacy
        console.print(
            f"legacy base: {legacy.lines:,} lines imported, {legacy.over_limit_cases} documents "
            f"over the limit (RN-14, see /base/over-limit as risk); campaign "
            f"{legacy.campaign_id} asks {legacy.targets:,} unverified lines to re-register "
            f"(/campaigns as manager, /calls as agent). The SMS with each personal link go to "
            f"{legacy.sms_to}.",
            highlight=False,
            soft_wrap=True,
        )
    clerk = access.tokens["clerk.hall"]
    console.print("\nTry it: a clerk at the own hall submits a registration for review:")
    console.print(
        f"curl -s {base_url}/api/v1/registrations \\\n"
        f"  -H 'Authorization: Bearer {clerk}' \\\n"
        f"  -F msisdn={access.free_numbers[0]} -F document_type=resident_id \\\n"
        f"  -F document_number={access.fresh_resident_id} -F customer_name=张三 \\\n"
        f"  -F original_inspected=true -F inspection_method=chip_reader \\\n"
        f"  -F photo_front=@{front} -F photo_back=@{back}",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f"\nThen as the reviewer: curl -s {base_url}/api/v1/review/queue "
        f"-H 'Authorization: Bearer {access.tokens['reviewer']}'\n"
        f"A document already at the RN-05 limit: {access.full_resident_id}\n"
        f"API docs: {base_url}/docs",
        highlight=False,
        soft_wrap=True,
    )
