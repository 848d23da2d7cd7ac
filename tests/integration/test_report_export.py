"""The regulator's monthly report (XLSX and PDF) read back as a regulator would: the same
numbers as `ReportService` for the hand-counted base (tests/support/report_base.py), the
census day it used, masked documents only, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from pypdf import PdfReader
from sqlalchemy import insert, select, update

from simreg.bootstrap import Simreg
from simreg.core.clock import FixedClock
from simreg.core.errors import Forbidden, InvalidInput
from simreg.core.settings import Settings
from simreg.db import tables as t
from simreg.identity.documents import document_index, parse_document
from simreg.reporting.domain import Figure, Ratio
from simreg.reporting.monthly import ExportFormat, Language
from tests.support.report_base import (
    CREATED,
    REPORT_NOW,
    ReportBase,
    at,
    build_report_base,
    report_app,
)

# The example number of GB 11643-1999: a real, valid resident ID number.
FULL_NUMBER = "11010519491231002X"
MARCH_31 = date(2026, 3, 31)
MARCH_15 = date(2026, 3, 15)
MASKED = parse_document("resident_id", FULL_NUMBER, today=MARCH_15).masked


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(REPORT_NOW)


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> Iterator[Simreg]:
    with report_app(settings, clock) as simreg:
        yield simreg


@pytest.fixture
def base(app: Simreg, clock: FixedClock) -> ReportBase:
    """The hand-counted base, a census taken on 15 March (none later in March), an open case
    on a real document found on 20 March, and the clock moved on to 2 April."""
    base = build_report_base(app)
    document = parse_document("resident_id", FULL_NUMBER, today=MARCH_15)
    with app.engine.begin() as conn:
        customer = conn.execute(
            insert(t.customers)
            .values(
                doc_type="resident_id",
                doc_index=document_index(app.vault, document),
                doc_number_enc=app.vault.fields.encrypt_text(
                    document.number, "customer.doc_number"
                ),
                doc_masked=document.masked,
                held_lines=6,
                created_at=CREATED,
            )
            .returning(t.customers.c.id)
        ).scalar_one()
        conn.execute(
            insert(t.over_limit_cases).values(
                customer_id=customer,
                open_customer_id=customer,
                status="open",
                held_when_found=6,
                found_at=at("2026-03-20"),
            )
        )
    app.reports.take_census(None)
    clock.at = at("2026-04-02", 4)
    return base


def rows_of(sheet: Worksheet) -> list[tuple[object, ...]]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def labelled(sheet: Worksheet) -> dict[str, tuple[object, ...]]:
    """Rows keyed by their first cell's text."""
    return {str(row[0]): row[1:] for row in rows_of(sheet) if row and row[0] is not None}


def test_march_xlsx_holds_the_service_figures(app: Simreg, base: ReportBase) -> None:
    auditor = base.actors["auditor"]
    export = app.monthly_reports.export(auditor, "2026-03", ExportFormat.XLSX, Language.EN)
    assert export.filename == "simreg-report-2026-03.xlsx"
    assert export.media_type.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(export.content))
    assert book.sheetnames[:4] == ["Summary", "By org unit", "By channel", "By line kind"]

    # No census on 31 March: the census of 15 March is used, and the summary says so.
    summary = labelled(book["Summary"])
    assert summary["Figures as of the end of"][0] == datetime(2026, 3, 31)
    census_used = summary["Census used for real-name rates"]
    assert census_used[0] == datetime(2026, 3, 15)
    assert "nearest earlier census" in str(census_used[1])
    assert summary["Lines in service (census)"][0] == 17

    on_census = app.reports.figures(auditor, as_of=MARCH_15).total.figures
    at_end = app.reports.figures(auditor, as_of=MARCH_31).total.figures
    expected = {
        "Real-name rate": on_census[Figure.REAL_NAME_RATE],
        "New-customer real-name rate": on_census[Figure.NEW_CUSTOMER_RATE],
        "Real-name app deployment": at_end[Figure.APP_DEPLOYMENT_RATE],
        "Social-channel registrations through the app": at_end[Figure.APP_REGISTRATION_SHARE],
        "Over-limit IDs resolved": Ratio(1, 3),
    }
    assert expected["Real-name rate"] == Ratio(10, 17)  # the hand count
    assert expected["Real-name app deployment"] == Ratio(1, 2)
    for label, ratio in expected.items():
        count, out_of, rate = summary[label][:3]
        assert (count, out_of) == (ratio.numerator, ratio.denominator), label
        assert isinstance(rate, float) and rate == pytest.approx(ratio.rate), label
    rate_cell = next(
        row[3] for row in book["Summary"].iter_rows() if row[0].value == "Real-name rate"
    )
    assert rate_cell.data_type == "n" and rate_cell.number_format == "0.00%"
    assert summary["IDs over the limit found so far"][0] == 3
    assert summary["Found in the month"][0] == 3
    assert summary["Resolved in the month"][0] == 1
    assert summary["Open at the end"][0] == 2

    counties = {row[0]: row for row in rows_of(book["By org unit"])[2:]}
    assert counties["P"][3:6] == (10, 16, pytest.approx(10 / 16))  # the province
    assert counties["C1"][2] == "City"  # the city below it
    kinds = {row[0]: row for row in rows_of(book["By line kind"])[2:]}
    assert kinds["data"][3:5] == (1, 2)
    channels = {row[0]: row for row in rows_of(book["By channel"])[2:]}
    assert channels["SOC2"][12:15] == (0, 2, 0)  # A4 and A5 came without the app

    daily = rows_of(book["Daily"])[2:]
    assert len(daily) == 31
    by_day = {row[0].date(): row for row in daily if isinstance(row[0], datetime)}
    assert by_day[MARCH_15][1:3] == (10, 17)  # the census day has real-name figures
    assert by_day[date(2026, 3, 16)][1] is None  # a day without a census has none
    assert by_day[date(2026, 3, 2)][10:12] == (1, 1)  # A1 came through the app

    review = labelled(book["Review times"])
    assert review["All"][:3] == (6, 5, 1)
    assert review["All"][3] == pytest.approx(35.0)  # median minutes: (30 + 40) / 2
    assert review["r_rev1"][0] == 3

    listed = rows_of(book["Over-limit IDs"])
    assert [row[2] for row in listed[1:]] == ["110105********0022", MASKED]
    assert book["Over-limit IDs"].freeze_panes == "A2"
    assert book["By org unit"].freeze_panes == "C3"

    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        names = archive.namelist()
        assert any(n.startswith("xl/charts/chart") for n in names)
        assert len([n for n in names if n.startswith("xl/charts/chart")]) == 2
        text = b"".join(archive.read(n) for n in names)
    assert FULL_NUMBER.encode() not in text
    assert MASKED.encode() in text


def test_march_pdf_shows_the_figures_and_the_census_day(app: Simreg, base: ReportBase) -> None:
    auditor = base.actors["auditor"]
    export = app.monthly_reports.export(auditor, "2026-03", ExportFormat.PDF)  # zh by default
    assert export.filename == "simreg-report-2026-03.pdf"
    assert export.media_type == "application/pdf"
    reader = PdfReader(io.BytesIO(export.content))
    assert len(reader.pages) >= 2
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "实名制登记月报" in text
    assert "2026-03-15" in text and "此前最近一次普查" in text
    assert "58.82%" in text  # real-name rate 10/17
    assert "90.91%" in text  # new-customer rate 10/11
    assert "110105********0022" in text and MASKED in text
    assert FULL_NUMBER not in text and FULL_NUMBER.encode() not in export.content
    assert f"共 {len(reader.pages)} 页" in text

    english = app.monthly_reports.export(auditor, "2026-03", ExportFormat.PDF, Language.EN)
    words = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(english.content)).pages)
    assert "Real-name registration monthly report" in words and "58.82%" in words


# Debian's fonts-wqy-microhei (installed by .ci/run): TrueType outlines with Chinese.
CJK_TRUETYPE = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
STANDARD_14 = {
    f"/{family}{style}"
    for family, styles in (
        ("Helvetica", ("", "-Bold", "-Oblique", "-BoldOblique")),
        ("Times", ("-Roman", "-Bold", "-Italic", "-BoldItalic")),
        ("Courier", ("", "-Bold", "-Oblique", "-BoldOblique")),
    )
    for style in styles
} | {"/Symbol", "/ZapfDingbats"}


def test_a_named_truetype_font_is_embedded_in_the_pdf(
    settings: Settings, clock: FixedClock
) -> None:
    if not CJK_TRUETYPE.is_file():
        pytest.skip(f"{CJK_TRUETYPE} is not installed (Debian package fonts-wqy-microhei)")
    embedding = settings.model_copy(update={"report_pdf_font": CJK_TRUETYPE})
    with report_app(embedding, clock) as app:
        base = build_report_base(app)
        app.reports.take_census(None)
        auditor = base.actors["auditor"]
        export = app.monthly_reports.export(auditor, "2026-03", ExportFormat.PDF)
        again = app.monthly_reports.export(auditor, "2026-03", ExportFormat.PDF)
    assert export.content == again.content
    reader = PdfReader(io.BytesIO(export.content))
    fonts = [
        font.get_object() for page in reader.pages for font in page["/Resources"]["/Font"].values()
    ]
    # Every font but the standard 14 (reportlab's Helvetica, which every viewer must have) is
    # carried inside the file; STSong-Light is not even named.
    carried = [font for font in fonts if font["/BaseFont"] not in STANDARD_14]
    assert carried and all("/FontFile2" in font["/FontDescriptor"] for font in carried)
    assert b"STSong" not in export.content
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "实名制登记月报" in text and "58.82%" in text


def test_the_standard_pdf_names_its_font_without_embedding_it(
    app: Simreg, base: ReportBase
) -> None:
    export = app.monthly_reports.export(base.actors["auditor"], "2026-03", ExportFormat.PDF)
    assert b"/STSong-Light" in export.content and b"/FontFile" not in export.content


def test_a_past_month_exports_the_same_file_again(
    app: Simreg, base: ReportBase, clock: FixedClock
) -> None:
    auditor = base.actors["auditor"]
    first = {fmt: app.monthly_reports.export(auditor, "2026-03", fmt) for fmt in ExportFormat}
    for fmt in ExportFormat:
        again = app.monthly_reports.export(auditor, "2026-03", fmt)
        assert first[fmt].content == again.content, fmt
    now = load_workbook(io.BytesIO(first[ExportFormat.XLSX].content))
    clock.at = at("2027-01-05", 4)  # next year: only the generation time differs
    later = app.monthly_reports.export(auditor, "2026-03", ExportFormat.XLSX)
    then = load_workbook(io.BytesIO(later.content))
    for name in now.sheetnames:
        before, after = rows_of(now[name]), rows_of(then[name])
        if name == "概要":
            before = [r for r in before if r[0] != "生成时间"]
            after = [r for r in after if r[0] != "生成时间"]
        assert before == after, name


def test_exports_are_audited_and_refused_when_not_allowed(app: Simreg, base: ReportBase) -> None:
    app.monthly_reports.export(base.actors["risk"], "2026-03", ExportFormat.PDF, Language.EN)
    with pytest.raises(Forbidden):
        app.monthly_reports.export(base.actors["clerk"], "2026-03", ExportFormat.XLSX)
    with pytest.raises(InvalidInput) as future:
        app.monthly_reports.export(base.actors["auditor"], "2026-05", ExportFormat.XLSX)
    assert future.value.code == "REPORT-FUTURE"
    with pytest.raises(InvalidInput) as malformed:
        app.monthly_reports.assemble(base.actors["auditor"], "2026-3")
    assert malformed.value.code == "REPORT-MONTH"
    with app.engine.connect() as conn:
        audited = conn.execute(
            select(
                t.audit_events.c.outcome,
                t.audit_events.c.actor_staff_id,
                t.audit_events.c.details,
            ).where(t.audit_events.c.action == "report.export")
        ).all()
    assert [(a.outcome, a.actor_staff_id) for a in audited] == [
        ("ok", base.ids["risk"]),
        ("refused", base.ids["clerk"]),
    ]
    details = audited[0].details
    assert details["month"] == "2026-03" and details["format"] == "pdf"
    assert details["language"] == "en" and details["census_day"] == "2026-03-15"


def test_the_current_month_reads_today_and_months_name_their_census(
    app: Simreg, base: ReportBase
) -> None:
    auditor = base.actors["auditor"]
    report = app.monthly_reports.assemble(auditor, "2026-04")
    assert report.as_of == date(2026, 4, 2) and not report.complete
    assert report.census is not None and report.census_exact  # taken for today
    assert len(report.daily) == 2
    months = {m.month: m for m in app.monthly_reports.months(auditor)}
    assert months["2026-04"].census_day == date(2026, 4, 2) and not months["2026-04"].complete
    assert months["2026-03"].census_day == MARCH_15 and not months["2026-03"].census_exact
    assert months["2026-02"].census_day is None
    assert len(months) == 13
    with pytest.raises(Forbidden):
        app.monthly_reports.months(base.actors["clerk"])


def test_names_stay_text_in_both_files(app: Simreg, base: ReportBase) -> None:
    """A channel name that looks like a formula or markup is printed as it is."""
    with app.engine.begin() as conn:
        conn.execute(update(t.channels).where(t.channels.c.code == "SOC1").values(name="=1+2 <b>&"))
    auditor = base.actors["auditor"]
    book = load_workbook(
        io.BytesIO(app.monthly_reports.export(auditor, "2026-03", ExportFormat.XLSX).content)
    )
    sheet = book["按渠道"]
    cell = next(row[1] for row in sheet.iter_rows() if row[0].value == "SOC1")
    assert cell.data_type == "s" and cell.value == "=1+2 <b>&"
    pdf = app.monthly_reports.export(auditor, "2026-03", ExportFormat.PDF)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "=1+2 <b>&" in text
