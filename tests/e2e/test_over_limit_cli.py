"""`simreg base over-limit-find` as an operator runs it after an import."""

from __future__ import annotations

from typer.testing import CliRunner

from simreg.cli.main import app
from simreg.core.settings import Settings
from tests.support.over_limit_base import document_holding
from tests.support.world import World

runner = CliRunner()


def test_find_from_the_command_line(world: World, settings: Settings) -> None:
    document_holding(world.simreg, 8)
    document_holding(world.simreg, 3)
    env = {"SIMREG_MASTER_KEY": settings.master_key, "SIMREG_DATA_DIR": str(settings.data_dir)}
    args = ["base", "over-limit-find", "--database-url", settings.database_url]

    first = runner.invoke(app, [*args, "--as", "risk"], env=env)
    assert first.exit_code == 0, first.output
    assert "1 new cases; 1 documents over the limit of 5; 1 open, 0 resolved" in first.output
    again = runner.invoke(app, [*args, "--as", "risk"], env=env)
    assert again.output.startswith("0 new cases")

    auditor = runner.invoke(app, [*args, "--as", "auditor"], env=env)
    assert auditor.exit_code == 2 and "FORBIDDEN" in auditor.output
    nobody = runner.invoke(app, [*args, "--as", "nobody"], env=env)
    assert nobody.exit_code == 2 and "STAFF-UNKNOWN" in nobody.output
