"""`simreg campaigns` as an operator runs it from cron and from a terminal."""

from __future__ import annotations

import json
from datetime import timedelta

from typer.testing import CliRunner

from simreg.bootstrap import Simreg
from simreg.campaigns.domain import DEFAULT_TEMPLATE_ZH, CampaignPlan, parse_filters
from simreg.cli.main import app
from simreg.core.settings import Settings
from tests.support.campaign_base import legacy_lines
from tests.support.world import World

runner = CliRunner()


def test_list_shows_the_funnel_and_advance_runs_due_steps(
    simreg: Simreg, world: World, settings: Settings
) -> None:
    legacy_lines(simreg, 4)
    manager = world.actors["manager"]
    plan = CampaignPlan(
        name="cli campaign",
        filters=parse_filters(),
        sms_template=DEFAULT_TEMPLATE_ZH,
        deadline=simreg.clock.today() + timedelta(days=60),
    )
    campaign_id = simreg.campaigns.create(manager, plan)
    simreg.campaigns.start(manager, campaign_id)
    env = {"SIMREG_MASTER_KEY": settings.master_key, "SIMREG_DATA_DIR": str(settings.data_dir)}
    args = ["--database-url", settings.database_url]

    listed = runner.invoke(app, ["campaigns", "list", "--json", *args], env=env)
    assert listed.exit_code == 0, listed.output
    found = json.loads(listed.output)
    (campaign,) = found["campaigns"]
    assert campaign["name"] == "cli campaign" and campaign["funnel"]["targeted"] == 4
    assert found["real_name"]["lines"] >= 4

    table = runner.invoke(app, ["campaigns", "list", *args], env=env)
    assert "Real-name rate" in table.output and "cli campaign" in table.output

    advanced = runner.invoke(app, ["campaigns", "advance", *args], env=env)
    assert advanced.exit_code == 0, advanced.output
    # Nothing is due on the first day: the SMS has only just been queued.
    assert f"campaign {campaign_id}: 0 call tasks" in advanced.output
