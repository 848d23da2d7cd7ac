"""The demo's legacy base: a generated province and a few thousand pre-2013 style lines,
imported the way an operator imports its real base, and a running re-registration campaign
over them, so the real-name figures, RN-14 cases and campaign pages have something to show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from simreg.adapters.base_files import open_base_file
from simreg.bootstrap import Simreg, master_key
from simreg.campaigns.domain import DEFAULT_TEMPLATE_ZH, CampaignPlan, parse_filters
from simreg.core.actors import Actor
from simreg.db.base_import import SqlBaseImportTransaction
from simreg.db.unit_of_work import SqlUnitOfWork
from simreg.demo.base_generator import write_base
from simreg.demo.province import create_province
from simreg.legacy.importing import BaseImportService

BASE_FILE = "demo-legacy-base.parquet"


@dataclass(frozen=True)
class LegacySeed:
    lines: int
    campaign_id: int
    targets: int
    over_limit_cases: int
    sms_to: str  # where the campaign's SMS go: the demo's file, or the SMSC


def seed_legacy_base(
    simreg: Simreg, *, manager: Actor, risk: Actor, lines: int, seed: int = 2013
) -> LegacySeed:
    settings = simreg.settings
    province = create_province(simreg, seed)
    path = settings.data_dir / BASE_FILE
    write_base(
        path,
        lines,
        # Another seed than `simreg demo-data`'s default, so a base generated later on the
        # same province does not reuse these numbers.
        seed + 7919,
        province.network.channel_codes,
        own_channels=province.network.own_channel_codes,
        per_id_limit=settings.per_id_limit,
    )
    importer = BaseImportService(
        uow=SqlUnitOfWork(simreg.engine, SqlBaseImportTransaction),
        master_key=master_key(settings),
        clock=simreg.clock,
    )
    report = importer.run(open_base_file(path), rejects=path.with_suffix(".rejects.csv"))
    found = simreg.over_limit.find(risk)
    # Calls follow at once here (0 days) so the call-centre worklist fills while the demo runs.
    campaign_id = simreg.campaigns.create(
        manager,
        CampaignPlan(
            name="2026 冬季存量用户实名补登",
            filters=parse_filters(),
            sms_template=DEFAULT_TEMPLATE_ZH,
            call_after_days=0,
            deadline=simreg.clock.today() + timedelta(days=45),
        ),
    )
    started = simreg.campaigns.start(manager, campaign_id)
    sms_to = (
        str(settings.sms_file)
        if settings.sms_gateway == "file"
        else f"the SMSC at {settings.smpp_host}:{settings.smpp_port}"
    )
    return LegacySeed(report.totals.read, campaign_id, started.targets, found, sms_to)
