"""What every command that works on a deployment shares: the --database-url and --data-dir
options, the settings built from them (and SIMREG_* in the environment), and simreg opened on
those settings for the length of the command.

A domain error, while opening (a missing master key) or inside the command (a refused action),
ends the command with its code and message on stderr and exit status 2, the same for every
command, so scripts can tell a refusal (2) from a crash (1).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from simreg.bootstrap import Simreg, bootstrap
from simreg.cli.console import CliConsole
from simreg.core.errors import DomainError
from simreg.core.settings import Settings

err = CliConsole(stderr=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="SIMREG_DATABASE_URL",
        help="SQLAlchemy URL; default is an SQLite file in the data directory",
    ),
]
DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="SIMREG_DATA_DIR", help="database file, photos, demo key"),
]


def cli_settings(database_url: str | None, data_dir: Path | None, **extra: object) -> Settings:
    """Settings from the environment, with the options given on the command line on top.
    ``extra`` holds further values (None means not given)."""
    values: dict[str, object] = {k: v for k, v in extra.items() if v is not None}
    if database_url:
        values["database_url"] = database_url
    if data_dir:
        values["data_dir"] = data_dir
    return Settings.model_validate(values)


def fail(error: DomainError) -> NoReturn:
    err.print(f"[red]{error.code}[/red]: {error.message}")
    raise typer.Exit(2) from None


@contextmanager
def opened(database_url: str | None, data_dir: Path | None) -> Iterator[Simreg]:
    """simreg on the command's settings, closed when the block ends however it ends."""
    try:
        simreg = bootstrap(cli_settings(database_url, data_dir))
    except DomainError as error:
        fail(error)
    try:
        yield simreg
    except DomainError as error:
        fail(error)
    finally:
        simreg.close()
