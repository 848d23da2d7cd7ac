"""The monthly report as an Excel workbook (xlsxwriter).

Numbers are written as numbers (counts as integers, shares as fractions with a percentage
format) so a reader can sort, sum and re-check them; every text goes through `write_string`
with formulas, URLs and number conversion off, so a channel named ``=HYPERLINK(...)`` stays
text. Charts are native Excel charts over the sheets' own cells. The workbook's creation date
is the report's generation time and xlsxwriter stamps its zip entries with a fixed date, so
the same report gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter

from simreg.reporting.domain import TABLE_FIGURES, Figure, FigureRow, Level, Ratio
from simreg.reporting.events import COMPLIANCE_COUNTS, FUNNEL_STEPS, WaitingTimes
from simreg.reporting.monthly import DAILY_FIGURES, Language, MonthlyReport
from simreg.reporting.monthly_labels import Words

LINE_COUNTS = ("in_service", "verified", "legacy_unverified", "reverification_pending", "suspended")
# Excel's chart palette is fine, but the same colours as the PDF make the two easier to compare.
COLOURS = ("#1f5fa8", "#2e8b57", "#d2691e", "#8a2be2")


class XlsxMonthlyReport:
    def render(self, report: MonthlyReport, language: Language) -> bytes:
        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(
            buffer,
            {
                "in_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        words = Words(language)
        book.set_properties(
            {
                "title": f"{words('title')} {report.month}",
                "subject": report.month,
                "author": "simreg",
                "company": report.operator,
                "created": report.generated_at.astimezone(UTC),
            }
        )
        _Writer(book, report, words).write()
        book.close()
        return buffer.getvalue()


class _Writer:
    def __init__(self, book: Any, report: MonthlyReport, words: Words) -> None:
        self.book = book
        self.report = report
        self.w = words
        self.zone = ZoneInfo(report.timezone)
        f = book.add_format
        self.title = f({"bold": True, "font_size": 14})
        self.bold = f({"bold": True})
        self.head = f({"bold": True, "bg_color": "#dde6f0", "border": 1, "text_wrap": True})
        self.text = f({})
        self.indent = f({"indent": 1})
        self.count = f({"num_format": "#,##0"})
        self.pct = f({"num_format": "0.00%"})
        self.minutes = f({"num_format": "0.0"})
        self.day = f({"num_format": "yyyy-mm-dd"})
        self.moment = f({"num_format": "yyyy-mm-dd hh:mm"})
        self.total_text = f({"bold": True, "top": 1})
        self.total_count = f({"bold": True, "top": 1, "num_format": "#,##0"})
        self.total_pct = f({"bold": True, "top": 1, "num_format": "0.00%"})
        self.total_minutes = f({"bold": True, "top": 1, "num_format": "0.0"})

    def write(self) -> None:
        self.summary()
        org = self.figure_sheet("org_units", self.report.org_units)
        self.org_chart(org, len(self.report.org_units))
        self.figure_sheet("channels", self.report.channels)
        self.figure_sheet("kinds", self.report.kinds)
        self.daily()
        self.review()
        self.over_limit()
        self.funnel()
        self.compliance()

    # -- cells ----------------------------------------------------------------------------

    def put_text(self, sheet: Any, row: int, col: int, value: str, fmt: Any = None) -> None:
        sheet.write_string(row, col, value, fmt or self.text)

    def put_number(self, sheet: Any, row: int, col: int, value: float | None, fmt: Any) -> None:
        if value is None:
            sheet.write_blank(row, col, None, fmt)
        else:
            sheet.write_number(row, col, value, fmt)

    def put_ratio(
        self, sheet: Any, row: int, col: int, ratio: Ratio | None, total: bool = False
    ) -> None:
        """Three cells: count, out of, rate (blank where the figure does not apply)."""
        count, pct = (self.total_count, self.total_pct) if total else (self.count, self.pct)
        self.put_number(sheet, row, col, ratio.numerator if ratio else None, count)
        self.put_number(sheet, row, col + 1, ratio.denominator if ratio else None, count)
        self.put_number(sheet, row, col + 2, ratio.rate if ratio else None, pct)

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.zone).replace(tzinfo=None)

    def headers(self, sheet: Any, row: int, names: Sequence[str]) -> None:
        for col, name in enumerate(names):
            self.put_text(sheet, row, col, name, self.head)

    # -- sheets ---------------------------------------------------------------------------

    def summary(self) -> None:
        r, w = self.report, self.w
        sheet = self.book.add_worksheet(w("summary"))
        sheet.set_column(0, 0, 44)
        sheet.set_column(1, 3, 16)
        sheet.set_column(4, 4, 40)
        self.put_text(sheet, 0, 0, w("title"), self.title)
        facts: list[tuple[str, Any]] = [
            ("operator", r.operator or "—"),
            ("month", r.month),
            ("period", f"{r.period.start.isoformat()} – {r.period.end.isoformat()}"),
            ("as_of", r.as_of),
        ]
        row = 2
        for key, value in facts:
            self.put_text(sheet, row, 0, w(key), self.bold)
            if isinstance(value, str):
                self.put_text(sheet, row, 1, value)
            else:
                sheet.write_datetime(row, 1, datetime.combine(value, datetime.min.time()), self.day)
            row += 1
        if not r.complete:
            self.put_text(sheet, row - 1, 2, w("running"))
        self.put_text(sheet, row, 0, w("census"), self.bold)
        if r.census is not None:
            census_day = datetime.combine(r.census.day, datetime.min.time())
            sheet.write_datetime(row, 1, census_day, self.day)
            self.put_text(sheet, row, 2, w("census_exact" if r.census_exact else "census_earlier"))
            row += 1
            self.put_text(sheet, row, 0, w("census_taken"), self.bold)
            sheet.write_datetime(row, 1, self.local(r.census.taken_at), self.moment)
            row += 1
            self.put_text(sheet, row, 0, w("lines_in_service"), self.bold)
            sheet.write_number(row, 1, r.census.lines_in_service, self.count)
        else:
            self.put_text(sheet, row, 1, w("census_none"))
        row += 1
        self.put_text(sheet, row, 0, w("cutoff"), self.bold)
        sheet.write_datetime(row, 1, datetime.combine(r.cutoff, datetime.min.time()), self.day)
        row += 1
        self.put_text(sheet, row, 0, w("generated"), self.bold)
        sheet.write_datetime(row, 1, self.local(r.generated_at), self.moment)
        row += 1
        self.put_text(sheet, row, 0, w("timezone"), self.bold)
        self.put_text(sheet, row, 1, r.timezone)
        row += 2
        self.headers(sheet, row, [w("figure"), w("numerator"), w("denominator"), w("rate")])
        row += 1
        figures = dict(r.overall.figures)
        figures[Figure.OVER_LIMIT_RESOLVED] = r.over_limit.at_end.resolved_share
        for figure in (*TABLE_FIGURES, Figure.OVER_LIMIT_RESOLVED):
            self.put_text(sheet, row, 0, w.figure(figure))
            self.put_ratio(sheet, row, 1, figures.get(figure))
            row += 1
        row += 1
        for key, value in r.summary_counts():
            self.put_text(sheet, row, 0, w(key), self.bold)
            sheet.write_number(row, 1, value, self.count)
            row += 1

    def figure_sheet(self, key: str, rows: Sequence[FigureRow]) -> Any:
        """Code, name, level, then count / out of / rate per figure, then the census counts;
        two header rows (the figure over its three columns), frozen with the names."""
        w = self.w
        sheet = self.book.add_worksheet(w(key))
        sheet.set_column(0, 0, 12)
        sheet.set_column(1, 1, 30)
        sheet.set_column(2, 2, 10)
        sheet.set_column(3, 2 + 3 * len(TABLE_FIGURES) + len(LINE_COUNTS), 12)
        for col, name in enumerate((w("code"), w("name"), w("level"))):
            sheet.merge_range(0, col, 1, col, name, self.head)
        col = 3
        for figure in TABLE_FIGURES:
            sheet.merge_range(0, col, 0, col + 2, w.figure(figure), self.head)
            for offset, sub in enumerate(("numerator", "denominator", "rate")):
                self.put_text(sheet, 1, col + offset, w(sub), self.head)
            col += 3
        sheet.merge_range(0, col, 0, col + len(LINE_COUNTS) - 1, w("census"), self.head)
        for offset, sub in enumerate(LINE_COUNTS):
            self.put_text(sheet, 1, col + offset, w(sub), self.head)
        sheet.freeze_panes(2, 2)
        for i, row in enumerate((*rows, self.report.overall)):
            self.figure_row(sheet, 2 + i, row, total=i == len(rows))
        return sheet

    def figure_row(self, sheet: Any, at: int, row: FigureRow, *, total: bool) -> None:
        w = self.w
        text = self.total_text if total else self.text
        name_fmt = self.indent if row.level in (Level.CITY, Level.COUNTY) and not total else text
        self.put_text(sheet, at, 0, row.key or "", text)
        self.put_text(sheet, at, 1, w.row_label(row.level, row.label), name_fmt)
        self.put_text(sheet, at, 2, w.level(row.level), text)
        col = 3
        for figure in TABLE_FIGURES:
            self.put_ratio(sheet, at, col, row.figures.get(figure), total)
            col += 3
        fmt = self.total_count if total else self.count
        for offset, name in enumerate(LINE_COUNTS):
            value = getattr(row.lines, name) if row.lines is not None else None
            self.put_number(sheet, at, col + offset, value, fmt)

    def org_chart(self, sheet: Any, count: int) -> None:
        if not count:
            return
        name = self.w("org_units")
        chart = self.book.add_chart({"type": "column"})
        chart.add_series(
            {
                "name": self.w.figure(Figure.REAL_NAME_RATE),
                "categories": [name, 2, 1, 1 + count, 1],
                "values": [name, 2, 5, 1 + count, 5],  # the real-name rate column
                "fill": {"color": COLOURS[0]},
            }
        )
        chart.set_title({"name": self.w("real_name_chart")})
        chart.set_y_axis({"num_format": "0%", "min": 0, "max": 1})
        chart.set_legend({"none": True})
        chart.set_size({"width": 720, "height": 320})
        sheet.insert_chart(count + 5, 1, chart)

    def daily(self) -> None:
        w, days = self.w, self.report.daily
        name = w("daily")
        sheet = self.book.add_worksheet(name)
        sheet.set_column(0, 0, 12)
        sheet.set_column(1, 3 * len(DAILY_FIGURES), 11)
        sheet.merge_range(0, 0, 1, 0, w("day"), self.head)
        for i, figure in enumerate(DAILY_FIGURES):
            col = 1 + 3 * i
            sheet.merge_range(0, col, 0, col + 2, w.figure(figure), self.head)
            for offset, sub in enumerate(("numerator", "denominator", "rate")):
                self.put_text(sheet, 1, col + offset, w(sub), self.head)
        sheet.freeze_panes(2, 1)
        for n, day in enumerate(days):
            at = 2 + n
            sheet.write_datetime(at, 0, datetime.combine(day.day, datetime.min.time()), self.day)
            for i, figure in enumerate(DAILY_FIGURES):
                self.put_ratio(sheet, at, 1 + 3 * i, day.figures.get(figure))
        if not days:
            return
        chart = self.book.add_chart({"type": "line"})
        last = 1 + len(days)
        for i, figure in enumerate(DAILY_FIGURES):
            rate_col = 3 + 3 * i
            chart.add_series(
                {
                    "name": w.figure(figure),
                    "categories": [name, 2, 0, last, 0],
                    "values": [name, 2, rate_col, last, rate_col],
                    "line": {"color": COLOURS[i], "width": 2},
                    "marker": {"type": "circle", "size": 4},
                }
            )
        chart.set_title({"name": w("daily_title")})
        chart.set_x_axis({"date_axis": True, "num_format": "mm-dd"})
        chart.set_y_axis({"num_format": "0%", "min": 0, "max": 1})
        chart.show_blanks_as("gap")
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 900, "height": 360})
        sheet.insert_chart(last + 2, 0, chart)

    def review(self) -> None:
        w, r = self.w, self.report.review
        sheet = self.book.add_worksheet(w("review"))
        sheet.set_column(0, 0, 24)
        sheet.set_column(1, 6, 14)
        names = ("reviewer", "decided", "approved", "rejected", "median_min", "p95_min", "max_min")
        self.headers(sheet, 0, [w(n) for n in names])
        sheet.freeze_panes(1, 1)
        rows = [(p.reviewer, p.times, False) for p in r.per_reviewer]
        rows.append((w("all"), r.overall, True))
        for i, (who, times, total) in enumerate(rows, start=1):
            self.times_row(sheet, i, who, times, total)
        at = len(rows) + 2
        for key, value in (("submitted", r.submitted), ("waiting_at_end", r.waiting_at_end)):
            self.put_text(sheet, at, 0, w(key), self.bold)
            sheet.write_number(at, 1, value, self.count)
            at += 1

    def times_row(self, sheet: Any, at: int, who: str, t: WaitingTimes, total: bool) -> None:
        count = self.total_count if total else self.count
        self.put_text(sheet, at, 0, who, self.total_text if total else self.text)
        for col, value in enumerate((t.decided, t.approved, t.rejected), start=1):
            sheet.write_number(at, col, value, count)
        minutes = self.total_minutes if total else self.minutes
        for col, seconds in enumerate((t.median_seconds, t.p95_seconds, t.max_seconds), start=4):
            self.put_number(sheet, at, col, seconds / 60 if seconds is not None else None, minutes)

    def over_limit(self) -> None:
        w = self.w
        sheet = self.book.add_worksheet(w("over_limit"))
        sheet.set_column(0, 0, 10)
        sheet.set_column(1, 1, 26)
        sheet.set_column(2, 2, 24)
        sheet.set_column(3, 3, 14)
        sheet.set_column(4, 4, 18)
        names = ("case", "doc_type", "doc_masked", "held", "found_at")
        self.headers(sheet, 0, [w(n) for n in names])
        sheet.freeze_panes(1, 0)
        documents = self.report.over_limit.at_end.documents
        for i, doc in enumerate(documents, start=1):
            sheet.write_number(i, 0, doc.case_id, self.count)
            self.put_text(sheet, i, 1, w.document(doc.doc_type))
            self.put_text(sheet, i, 2, doc.doc_masked)
            sheet.write_number(i, 3, doc.held_when_found, self.count)
            sheet.write_datetime(i, 4, self.local(doc.found_at), self.moment)
        if not documents:
            self.put_text(sheet, 1, 0, w("no_open"))

    def funnel(self) -> None:
        w, report = self.w, self.report.funnel
        sheet = self.book.add_worksheet(w("funnel"))
        sheet.set_column(0, 0, 30)
        sheet.set_column(1, len(FUNNEL_STEPS), 14)
        self.headers(sheet, 0, [w("campaign"), *(w.funnel(s) for s in FUNNEL_STEPS)])
        sheet.freeze_panes(1, 1)
        rows = [(c.name, c.steps, False) for c in report.campaigns]
        rows.append((w("all"), report.total.steps, True))
        for i, (name, steps, total) in enumerate(rows, start=1):
            self.put_text(sheet, i, 0, name, self.total_text if total else self.text)
            for col, step in enumerate(FUNNEL_STEPS, start=1):
                fmt = self.total_count if total else self.count
                sheet.write_number(i, col, steps.get(step, 0), fmt)

    def compliance(self) -> None:
        w, report = self.w, self.report.compliance
        sheet = self.book.add_worksheet(w("compliance"))
        sheet.set_column(0, 0, 12)
        sheet.set_column(1, 1, 30)
        sheet.set_column(2, 2, 10)
        sheet.set_column(3, 2 + len(COMPLIANCE_COUNTS), 12)
        self.headers(
            sheet,
            0,
            [w("code"), w("name"), w("org_unit"), *(w.compliance(c) for c in COMPLIANCE_COUNTS)],
        )
        sheet.freeze_panes(1, 2)
        rows = [(c, False) for c in report.per_channel]
        rows.append((report.total, True))
        for i, (row, total) in enumerate(rows, start=1):
            text = self.total_text if total else self.text
            self.put_text(sheet, i, 0, row.key or "", text)
            self.put_text(sheet, i, 1, w("all") if total else row.label, text)
            self.put_text(sheet, i, 2, row.org_unit or "", text)
            for col, name in enumerate(COMPLIANCE_COUNTS, start=3):
                fmt = self.total_count if total else self.count
                sheet.write_number(i, col, row.counts.get(name, 0), fmt)
