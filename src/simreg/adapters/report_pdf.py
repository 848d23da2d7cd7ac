"""The monthly report as an A4 PDF (reportlab).

Text is set in Adobe's STSong-Light through reportlab's CID font support: the PDF names the
font and every PDF viewer supplies its glyphs (Chinese and Latin), so no font file is shipped
or embedded (ADR 13). An operator whose readers may lack a Chinese font names a TrueType font
file instead (`SIMREG_REPORT_PDF_FONT`), and the glyphs the report uses are embedded. The
document is built in invariant mode (fixed creation date and file id): the same report gives
the same bytes. Page numbers ("3 of 12") need the page count, so pages are kept until the end
and numbered as they are written out.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from simreg.adapters.report_pdf_charts import bar_chart, line_chart
from simreg.core.errors import ConfigurationError
from simreg.reporting.domain import TABLE_FIGURES, Figure, FigureRow, Level, Ratio
from simreg.reporting.events import COMPLIANCE_COUNTS, FUNNEL_STEPS, WaitingTimes
from simreg.reporting.monthly import DAILY_FIGURES, Language, MonthlyReport
from simreg.reporting.monthly_labels import Words

FONT = "STSong-Light"
CONTENT_WIDTH = A4[0] - 30 * mm
HEADER_BG = colors.HexColor("#dde6f0")
CHUNK = 40  # table rows laid out at a time (fewer than fit on a page)


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    """Paragraph text is markup: names and labels are escaped so a "<" or "&" in a channel's
    name prints as itself."""
    return Paragraph(escape(text), style)


def _standard_font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _embedded_font(path: Path) -> str:
    """Registers a TrueType font file (.ttf, or the first face of a .ttc) to be embedded, after
    checking that it can set the report's Chinese. A wrong file is refused when simreg starts,
    not when a regulator's report is due."""
    name = f"simreg-embedded-{path.resolve()}"
    if name in pdfmetrics.getRegisteredFontNames():
        return name

    def refuse(why: str, why_zh: str) -> ConfigurationError:
        return ConfigurationError(
            f"SIMREG_REPORT_PDF_FONT ({path}) {why}",
            code="REPORT-PDF-FONT",
            message_zh=f"SIMREG_REPORT_PDF_FONT（{path}）{why_zh}",
        )

    if not path.is_file():
        raise refuse("is not a file.", "不是文件。")
    try:
        font = TTFont(name, str(path), subfontIndex=0)
    except TTFError as error:
        # reportlab embeds TrueType outlines only; OpenType/CFF fonts (.otf, Noto CJK) fail here.
        raise refuse(
            f"cannot be embedded: {error}. Name a TrueType font (.ttf or .ttc) with Chinese.",
            f"无法嵌入：{error}。请指定含中文字形的 TrueType 字体（.ttf 或 .ttc）。",
        ) from error
    missing = sorted({c for c in _CHINESE_SAMPLE if ord(c) not in font.face.charToGlyph})
    if missing:
        raise refuse(
            f"has no glyph for {''.join(missing)}: name a font with Chinese.",
            f"缺少字形 {''.join(missing)}：请指定含中文的字体。",
        )
    pdfmetrics.registerFont(font)
    return name


_ZH = Words(Language.ZH)
# Words every Chinese report prints; a font without them is no use for the report.
_CHINESE_SAMPLE = "".join(
    _ZH(key) for key in ("title", "summary", "census_earlier", "page_n")
).replace(" ", "")


class PdfMonthlyReport:
    def __init__(self, font_file: Path | None = None) -> None:
        self.font = _embedded_font(font_file) if font_file else _standard_font()

    def render(self, report: MonthlyReport, language: Language) -> bytes:
        font = self.font
        words = Words(language)
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=15 * mm,
            rightMargin=15 * mm,
            topMargin=15 * mm,
            bottomMargin=18 * mm,
            title=f"{words('title')} {report.month}",
            author=report.operator or "simreg",
            subject=report.month,
            creator="simreg",
            invariant=True,
        )

        def footer(page: int, total: int) -> str:
            return f"{report.month}  |  " + words("page_n").format(n=page, total=total)

        story = _Story(report, words, font).build()
        doc.build(story, canvasmaker=partial(_NumberedCanvas, footer=footer, footer_font=font))
        return buffer.getvalue()


class _NumberedCanvas(Canvas):
    """Holds every page until the document ends, then writes each with "page n of total"."""

    def __init__(
        self, *args: Any, footer: Callable[[int, int], str], footer_font: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._held: list[dict[str, Any]] = []
        self._footer = footer
        self._footer_font = footer_font

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        self._held.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # reportlab's own page reset

    def save(self) -> None:
        total = len(self._held)
        for state in self._held:
            self.__dict__.update(state)
            self.setFont(self._footer_font, 8)
            self.setFillColor(colors.grey)
            self.drawCentredString(A4[0] / 2, 10 * mm, self._footer(self.getPageNumber(), total))
            super().showPage()
        super().save()


def _rate(ratio: Ratio | None) -> str:
    rate = ratio.rate if ratio is not None else None
    return f"{rate * 100:.2f}%" if rate is not None else "—"


def _ratio_cell(ratio: Ratio | None) -> str:
    if ratio is None:
        return "—"
    return f"{_rate(ratio)}\n{ratio.numerator:,}/{ratio.denominator:,}"


def _minutes(seconds: float | None) -> str:
    return f"{seconds / 60:.1f}" if seconds is not None else "—"


class _Story:
    def __init__(self, report: MonthlyReport, words: Words, font: str) -> None:
        self.r = report
        self.w = words
        self.font = font
        self.zone = ZoneInfo(report.timezone)
        wrap = "CJK" if words.language is Language.ZH else None
        self.body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12, wordWrap=wrap)
        self.cell = ParagraphStyle("cell", fontName=font, fontSize=7, leading=9, wordWrap=wrap)
        self.indented = ParagraphStyle("indented", parent=self.cell, leftIndent=8)
        self.head = ParagraphStyle("head", parent=self.cell, textColor=colors.black)
        self.title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22)
        self.h2 = ParagraphStyle(
            "h2", fontName=font, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4
        )

    def local(self, at: datetime) -> str:
        return at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def build(self) -> list[Flowable]:
        story: list[Flowable] = [*self.heading(), *self.summary()]
        story += self.figure_section("org_units", self.r.org_units, chart=True)
        story += self.figure_section("channels", self.r.channels)
        story += self.figure_section("kinds", self.r.kinds)
        story += self.daily()
        story += self.review()
        story += self.over_limit()
        story += self.funnel()
        story += self.compliance()
        return story

    # -- tables ---------------------------------------------------------------------------

    def table(
        self,
        rows: Sequence[Sequence[Any]],
        widths: Sequence[float],
        *,
        numeric_from: int = 1,
        total: bool = False,
    ) -> list[Flowable]:
        """A header row (wrapped, shaded, repeated wherever the table runs onto a new page),
        then the rows; numbers right-aligned; the last row shaded when it is a total.

        Long tables are laid out in blocks of ``CHUNK`` rows, each with the header: splitting
        one table of thousands of rows across pages measures the rest again at every page
        (10,000 over-limit IDs took 17 s), blocks keep that to one page's rows."""
        header = [_para(str(h), self.head) for h in rows[0]]
        body = [[c if isinstance(c, Flowable) else str(c) for c in row] for row in rows[1:]]
        blocks = [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)] or [[]]
        out: list[Flowable] = []
        for n, block in enumerate(blocks):
            table = Table([header, *block], colWidths=list(widths), repeatRows=1)
            style: list[Any] = [
                ("FONTNAME", (0, 0), (-1, -1), self.font),
                ("FONTSIZE", (0, 0), (-1, -1), 7),
                ("LEADING", (0, 0), (-1, -1), 9),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("ALIGN", (numeric_from, 1), (-1, -1), "RIGHT"),
            ]
            if total and n == len(blocks) - 1:
                style.append(("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f2f2f2")))
            table.setStyle(TableStyle(style))
            out.append(table)
        return out

    def section(self, key: str, room: float = 40 * mm) -> list[Flowable]:
        """A heading that starts a new page when less than ``room`` is left below it, so it
        is not left alone at the foot of a page."""
        return [CondPageBreak(room), _para(self.w(key), self.h2)]

    # -- sections -------------------------------------------------------------------------

    def heading(self) -> list[Flowable]:
        r, w = self.r, self.w
        title = f"{r.operator} {w('title')}" if r.operator else w("title")
        facts: list[tuple[str, str]] = [("operator", r.operator)] if r.operator else []
        facts += [
            ("month", r.month),
            ("period", f"{r.period.start.isoformat()} – {r.period.end.isoformat()}"),
            ("as_of", r.as_of.isoformat() + ("" if r.complete else f" ({w('running')})")),
        ]
        if r.census is not None:
            note = w("census_exact" if r.census_exact else "census_earlier")
            facts.append(("census", f"{r.census.day.isoformat()} ({note})"))
            facts.append(("census_taken", self.local(r.census.taken_at)))
            facts.append(("lines_in_service", f"{r.census.lines_in_service:,}"))
        else:
            facts.append(("census", w("census_none")))
        facts += [
            ("cutoff", r.cutoff.isoformat()),
            ("generated", self.local(r.generated_at)),
            ("timezone", r.timezone),
        ]
        rows = [[_para(w(k), self.cell), _para(v, self.cell)] for k, v in facts]
        table = Table(rows, colWidths=[60 * mm, CONTENT_WIDTH - 60 * mm])
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("BACKGROUND", (0, 0), (0, -1), HEADER_BG),
                ]
            )
        )
        return [_para(title, self.title), Spacer(1, 4 * mm), table]

    def summary(self) -> list[Flowable]:
        r, w = self.r, self.w
        figures = dict(r.overall.figures)
        figures[Figure.OVER_LIMIT_RESOLVED] = r.over_limit.at_end.resolved_share
        rows: list[list[Any]] = [[w("figure"), w("numerator"), w("denominator"), w("rate")]]
        for figure in (*TABLE_FIGURES, Figure.OVER_LIMIT_RESOLVED):
            ratio = figures.get(figure)
            rows.append(
                [
                    _para(w.figure(figure), self.cell),
                    f"{ratio.numerator:,}" if ratio else "—",
                    f"{ratio.denominator:,}" if ratio else "—",
                    _rate(ratio),
                ]
            )
        counts: list[list[Any]] = [[w("figure"), w("numerator")]]
        for key, value in r.summary_counts():
            counts.append([_para(w(key), self.cell), f"{value:,}"])
        widths = [90 * mm, 30 * mm, 30 * mm, CONTENT_WIDTH - 150 * mm]
        return [
            *self.section("summary"),
            *self.table(rows, widths),
            Spacer(1, 4 * mm),
            *self.table(counts, [90 * mm, 30 * mm]),
        ]

    def figure_section(
        self, key: str, rows: Sequence[FigureRow], *, chart: bool = False
    ) -> list[Flowable]:
        w = self.w
        header = [
            w("code"),
            w("name"),
            w("level"),
            *(w.figure(f) for f in TABLE_FIGURES),
            w("in_service"),
        ]
        data: list[list[Any]] = [header]
        for row in (*rows, self.r.overall):
            below = row.level in (Level.CITY, Level.COUNTY) and row is not self.r.overall
            data.append(
                [
                    row.key or "",
                    _para(w.row_label(row.level, row.label), self.indented if below else self.cell),
                    w.level(row.level),
                    *(_ratio_cell(row.figures.get(f)) for f in TABLE_FIGURES),
                    f"{row.lines.in_service:,}" if row.lines else "—",
                ]
            )
        widths = [18 * mm, 38 * mm, 14 * mm, *([23 * mm] * 4), CONTENT_WIDTH - 162 * mm]
        out = [*self.section(key), *self.table(data, widths, numeric_from=3, total=True)]
        if chart:
            charted = [
                (w.row_label(row.level, row.label), rate)
                for row in rows
                if (rate := _share(row.figures.get(Figure.REAL_NAME_RATE))) is not None
            ]
            if charted:
                labels, values = zip(*charted, strict=True)
                drawing = bar_chart(w("real_name_chart"), labels, values, self.font)
                out += [Spacer(1, 4 * mm), KeepTogether([drawing])]
        return out

    def daily(self) -> list[Flowable]:
        w, days = self.w, self.r.daily
        out = self.section("daily_title", room=120 * mm)
        if days:
            lines = [(w.figure(f), [_share(d.figures.get(f)) for d in days]) for f in DAILY_FIGURES]
            labels = [d.day.strftime("%m-%d") for d in days]
            out.append(line_chart("", labels, lines, self.font))
        data: list[list[Any]] = [[w("day"), *(w.figure(f) for f in DAILY_FIGURES)]]
        for d in days:
            data.append(
                [d.day.isoformat(), *(_ratio_cell(d.figures.get(f)) for f in DAILY_FIGURES)]
            )
        widths = [30 * mm, *([(CONTENT_WIDTH - 30 * mm) / len(DAILY_FIGURES)] * 4)]
        out += self.table(data, widths)
        return out

    def review(self) -> list[Flowable]:
        w, r = self.w, self.r.review
        names = ("reviewer", "decided", "approved", "rejected", "median_min", "p95_min", "max_min")
        data: list[list[Any]] = [[w(n) for n in names]]

        def row(who: str, t: WaitingTimes) -> list[Any]:
            return [
                _para(who, self.cell),
                f"{t.decided:,}",
                f"{t.approved:,}",
                f"{t.rejected:,}",
                _minutes(t.median_seconds),
                _minutes(t.p95_seconds),
                _minutes(t.max_seconds),
            ]

        data += [row(p.reviewer, p.times) for p in r.per_reviewer]
        data.append(row(w("all"), r.overall))
        widths = [CONTENT_WIDTH - 6 * 22 * mm, *([22 * mm] * 6)]
        notes = f"{w('submitted')}: {r.submitted:,}  |  {w('waiting_at_end')}: {r.waiting_at_end:,}"
        return [
            *self.section("review"),
            *self.table(data, widths, total=True),
            Spacer(1, 2 * mm),
            _para(notes, self.body),
        ]

    def over_limit(self) -> list[Flowable]:
        w, report = self.w, self.r.over_limit.at_end
        out = self.section("over_limit")
        if not report.documents:
            return [*out, _para(w("no_open"), self.body)]
        listed = w("listed_of").format(listed=len(report.documents), open=report.open)
        out.append(_para(listed, self.body))
        data: list[list[Any]] = [
            [w(n) for n in ("case", "doc_type", "doc_masked", "held", "found_at")]
        ]
        for doc in report.documents:
            data.append(
                [
                    str(doc.case_id),
                    w.document(doc.doc_type),
                    doc.doc_masked,
                    str(doc.held_when_found),
                    self.local(doc.found_at),
                ]
            )
        widths = [18 * mm, 45 * mm, 50 * mm, 25 * mm, CONTENT_WIDTH - 138 * mm]
        out += self.table(data, widths, numeric_from=3)
        return out

    def funnel(self) -> list[Flowable]:
        w, report = self.w, self.r.funnel
        data: list[list[Any]] = [[w("campaign"), *(w.funnel(s) for s in FUNNEL_STEPS)]]
        for name, steps in (
            *((c.name, c.steps) for c in report.campaigns),
            (w("all"), report.total.steps),
        ):
            data.append([_para(name, self.cell), *(f"{steps.get(s, 0):,}" for s in FUNNEL_STEPS)])
        step_width = 18 * mm
        widths = [CONTENT_WIDTH - step_width * len(FUNNEL_STEPS), *[step_width] * len(FUNNEL_STEPS)]
        return [*self.section("funnel"), *self.table(data, widths, total=True)]

    def compliance(self) -> list[Flowable]:
        w, report = self.w, self.r.compliance
        data: list[list[Any]] = [[w("name"), *(w.compliance(c) for c in COMPLIANCE_COUNTS)]]
        for row in (*report.per_channel, report.total):
            name = w("all") if row is report.total else f"{row.key} {row.label}"
            data.append(
                [_para(name, self.cell), *(f"{row.counts.get(c, 0):,}" for c in COMPLIANCE_COUNTS)]
            )
        count_width = 14 * mm
        widths = [
            CONTENT_WIDTH - count_width * len(COMPLIANCE_COUNTS),
            *[count_width] * len(COMPLIANCE_COUNTS),
        ]
        return [*self.section("compliance"), *self.table(data, widths, total=True)]


def _share(ratio: Ratio | None) -> float | None:
    return ratio.rate if ratio is not None else None
