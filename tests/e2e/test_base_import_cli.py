"""``simreg base import`` as an operator runs it: a file in, a summary and a reject report out."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from simreg.cli.main import app
from tests.support.legacy_base import BaseRow, base_rows, write_csv, write_parquet

runner = CliRunner()


def _operator(tmp_path: Path, database_url: str) -> tuple[dict[str, str], list[str]]:
    key = runner.invoke(app, ["keygen"]).output.strip()
    env = {"SIMREG_MASTER_KEY": key, "SIMREG_DATA_DIR": str(tmp_path / "data")}
    args = ["--database-url", database_url]
    made = runner.invoke(
        app, ["setup", "channel-add", "OWN", "--name", "Hall", "--kind", "own", *args], env=env
    )
    assert made.exit_code == 0, made.output
    return env, args


def _summary(output: str) -> dict[str, str]:
    found = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("│┃ ").split("│")]
        if len(cells) == 2 and cells[1]:
            found[cells[0]] = cells[1]
    return found


def test_import_prints_a_summary_and_writes_the_rejects_beside_the_file(
    tmp_path: Path, database_url: str
) -> None:
    env, args = _operator(tmp_path, database_url)
    rows = [*base_rows(12), BaseRow("13800", "x", "y"), base_rows(1)[0]]
    path = write_csv(tmp_path / "base.csv", rows)

    result = runner.invoke(app, ["base", "import", str(path), "--chunk-size", "5", *args], env=env)

    assert result.exit_code == 0, result.output
    summary = _summary(result.output)
    assert summary["read"] == "14"
    assert summary["loaded"] == "12"
    assert summary["rejected"] == "2"
    assert summary["unchanged (already there)"] == "0"
    assert summary["verified share"] == "66.7%"  # 8 of the 12 loaded rows carry an identity
    assert "today's census retaken for the reports: 12 lines in service" in result.output
    rejects = tmp_path / "base.csv.rejects.csv"
    assert str(rejects.name) in result.output.replace("\n", "")
    with rejects.open(newline="") as handle:
        report = list(csv.DictReader(handle))
    assert [(r["line"], r["msisdn"], r["code"]) for r in report] == [
        ("14", "13800", "LINE-MSISDN"),
        ("15", rows[0].msisdn, "IMPORT-DUPLICATE"),
    ]

    again = runner.invoke(app, ["base", "import", str(path), *args], env=env)

    assert again.exit_code == 0, again.output
    assert _summary(again.output)["unchanged (already there)"] == "12"
    assert _summary(again.output)["loaded"] == "0"
    assert "census retaken" not in again.output  # nothing changed


def test_parquet_with_workers_and_a_chosen_reject_path(tmp_path: Path, database_url: str) -> None:
    env, args = _operator(tmp_path, database_url)
    path = write_parquet(tmp_path / "base.parquet", base_rows(40))
    rejects = tmp_path / "out" / "refused.csv"

    result = runner.invoke(
        app,
        ["base", "import", str(path), "--workers", "2", "--rejects", str(rejects), *args],
        env=env,
    )

    assert result.exit_code == 0, result.output
    assert _summary(result.output)["loaded"] == "40"
    assert rejects.read_text().splitlines() == ["line,msisdn,code,reason"]


def test_a_file_without_the_columns_is_refused_with_a_reason(
    tmp_path: Path, database_url: str
) -> None:
    env, args = _operator(tmp_path, database_url)
    path = tmp_path / "base.csv"
    path.write_text("number,card\n13900000001,8986\n")

    result = runner.invoke(app, ["base", "import", str(path), *args], env=env)

    assert result.exit_code == 2
    assert "IMPORT-HEADER" in result.output
    assert "msisdn" in result.output


def test_a_utf8_file_read_as_gbk_is_refused_with_the_line_before_anything_loads(
    tmp_path: Path, database_url: str
) -> None:
    env, args = _operator(tmp_path, database_url)
    path = write_csv(tmp_path / "base.csv", base_rows(6))  # UTF-8, names in Chinese
    forced = ["--encoding", "gbk"]  # taken as GB18030: UTF-8 Chinese is not valid there

    result = runner.invoke(app, ["base", "import", str(path), *forced, *args], env=env)

    assert result.exit_code == 2, result.output
    assert "IMPORT-ENCODING" in result.output and "Traceback" not in result.output
    said = " ".join(result.output.split())
    assert "Line 3 is UTF-8 text" in said and "--encoding utf-8" in said
    gbk = write_csv(tmp_path / "gbk.csv", base_rows(6), encoding="gb18030")
    right = runner.invoke(app, ["base", "import", str(gbk), *args], env=env)
    assert right.exit_code == 0, right.output
    assert _summary(right.output)["loaded"] == "6"


def test_bulk_mode_on_request_says_so_and_leaves_the_schema_as_migrated(
    tmp_path: Path, database_url: str
) -> None:
    env, args = _operator(tmp_path, database_url)
    path = write_csv(tmp_path / "base.csv", base_rows(30))

    result = runner.invoke(app, ["base", "import", str(path), "--bulk", *args], env=env)

    assert result.exit_code == 0, result.output
    assert _summary(result.output)["loaded"] == "30"
    assert "bulk-load mode" in result.output
    checked = runner.invoke(app, ["db", "check", *args], env=env)
    assert checked.exit_code == 0, checked.output
    assert "models and migrations agree" in checked.output

    small = runner.invoke(app, ["base", "import", str(path), *args], env=env)

    assert small.exit_code == 0, small.output
    assert "bulk-load mode" not in small.output
