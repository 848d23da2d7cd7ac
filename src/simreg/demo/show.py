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
    (data_dir / "specimen-portrait.jpg").write_bytes(specimen_photo("PORTRAIT"))
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
        documents = "document" if legacy.over_limit_cases == 1 else "documents"
        console.print(
            f"legacy base: {legacy.lines:,} lines imported, {legacy.over_limit_cases} "
            f"{documents} over the limit (RN-14, see /base/over-limit as risk); campaign "
            f"{legacy.campaign_id} asks {legacy.targets:,} unverified lines to re-register "
            f"(/campaigns as manager, /calls as agent). The SMS with each personal link go to "
            f"{legacy.sms_to}.",
            highlight=False,
            soft_wrap=True,
        )
    if access.enterprise is not None and access.enterprise.enterprise_id is not None:
        group = access.enterprise
        console.print(
            f"group customer (RN-12): /enterprises/{group.enterprise_id} as "
            f"{group.account_manager}, {len(group.lines)} lines, {len(group.active)} with an "
            f"active actual user; upload {group.roster} ({group.roster_rows} rows) to bind the "
            f"rest: the verified ones go to review, the others to the reject report.",
            highlight=False,
            soft_wrap=True,
        )
    if access.shop is not None:
        shop = access.shop
        someone = access.shop_customer
        console.print(
            f"online shop (RN-10, RN-11): {base_url}/shop, {shop.numbers:,} free numbers in "
            + ", ".join(shop.regions)
            + (
                f"; order one as {someone.name}, resident ID {someone.document_number} "
                "(known to the identity authority), with the specimen-*.jpg photos; after "
                "review, clerk.hall hands the card over at /pickup."
                if someone is not None
                else "."
            ),
            highlight=False,
            soft_wrap=True,
        )
    past = access.history
    first = past.first_census if past is not None else None
    if past is not None and first is not None:
        console.print(
            f"history: {past.censuses} past censuses (daily for 60 days, month ends back to "
            f"{first.isoformat()}), {past.reregistrations} legacy re-registrations "
            f"and {past.violations} inspection findings over the past year, reviews that took "
            f"minutes to hours: see /reports, /reports/breakdown and /reports/exports as "
            f"admin or auditor.",
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
