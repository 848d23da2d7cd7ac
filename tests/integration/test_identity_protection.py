"""Identity data is encrypted at rest, masked on output and kept out of logs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from simreg.bootstrap import Simreg, bootstrap
from simreg.core.errors import ConfigurationError, DomainError
from simreg.core.settings import Settings
from simreg.db import tables as t
from simreg.demo.seed import seed_demo
from tests.support.world import FRONT, World


def stored_bytes(data_dir: Path) -> bytes:
    """Everything SQLite keeps on disk: the database, its write-ahead log and shared memory."""
    return b"".join(p.read_bytes() for p in sorted(data_dir.glob("simreg.db*")))


def test_demo_database_file_holds_no_plain_document_number_or_name(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "demo", demo=True)
    app = bootstrap(settings)
    seed_demo(app, customers=60, numbers=200, progress=False, legacy_lines=300)
    with app.engine.connect() as conn:
        customers = conn.execute(select(t.customers.c.doc_number_enc, t.customers.c.doc_masked))
        numbers = [
            app.vault.fields.decrypt_text(c.doc_number_enc, "customer.doc_number")
            for c in customers
        ]
        names = [
            app.vault.fields.decrypt_text(r.name_enc, "registration.name")
            for r in conn.execute(select(t.registrations.c.name_enc))
        ]
        # Holders of imported legacy lines (the demo imports a generated base).
        names += [
            app.vault.fields.decrypt_text(blob, "line.holder_name")
            for blob in conn.execute(select(t.lines.c.holder_name_enc)).scalars()
            if blob is not None
        ]
        masked = conn.execute(select(t.customers.c.doc_masked)).scalars().first()
        # Staff and channel managers are named in clear by design; a customer may share a name.
        public = {m for m in conn.execute(select(t.channels.c.manager_name)).scalars() if m}
        public |= {
            part
            for d in conn.execute(select(t.staff.c.display_name)).scalars()
            for part in d.split()
        }
    app.close()

    raw = stored_bytes(settings.data_dir)
    assert masked is not None and masked.encode() in raw  # the scan does see stored text
    assert len(numbers) > 50
    # Whole numbers, and for resident IDs the birth date and sequence without the region.
    leaked = [n for n in numbers if n.encode() in raw or (len(n) == 18 and n[6:].encode() in raw)]
    assert leaked == []
    private = {n for n in names if not any(n in p for p in public)}
    assert [n for n in private if n.encode("utf-8") in raw] == []


def test_photos_on_disk_are_encrypted(world: World) -> None:
    world.submit()
    files = [p for p in world.simreg.settings.photo_dir.rglob("*") if p.is_file()]
    assert len(files) == 2
    for path in files:
        blob = path.read_bytes()
        assert FRONT[:64] not in blob
        assert not blob.startswith(b"\xff\xd8")  # no JPEG marker: not an image on disk


def test_document_numbers_and_names_never_reach_the_logs(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    number = world.resident_id()
    world.submit(document_number=number, customer_name="欧阳明日")
    with pytest.raises(DomainError):
        world.submit(
            document_number=number[:-1] + ("0" if number[-1] != "0" else "1"),
            customer_name="欧阳明日",
        )
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert number not in text
    assert number[:17] not in text
    assert "欧阳明日" not in text


def test_refuses_to_start_without_a_key_outside_demo_mode(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as refused:
        bootstrap(Settings(data_dir=tmp_path))
    assert refused.value.code == "MASTER-KEY-MISSING"
    with pytest.raises(ConfigurationError):
        bootstrap(Settings(data_dir=tmp_path, master_key="too-short"))


def test_blind_index_finds_one_document_under_any_typing(simreg: Simreg, world: World) -> None:
    world.submit(document_number="11010519491231002X")
    world.submit(document_number="110105 19491231 002x")
    with simreg.engine.connect() as conn:
        rows = conn.execute(select(t.customers.c.doc_index, t.customers.c.held_lines)).all()
    assert len(rows) == 1
    assert rows[0].held_lines == 2
    assert "11010519491231002X" not in rows[0].doc_index
