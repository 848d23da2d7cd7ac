"""The monthly report's two charts drawn with reportlab.graphics, as vector drawings in the
PDF: the daily figures as lines (a day without a value is a gap, not a zero) and the real-name
rate per org unit as bars."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import Marker
from reportlab.lib import colors
from reportlab.lib.units import mm

# The same colours as the workbook's charts.
COLOURS = tuple(colors.HexColor(c) for c in ("#1f5fa8", "#2e8b57", "#d2691e", "#8a2be2"))
WIDTH = 180 * mm


def line_chart(
    title: str,
    days: Sequence[str],
    lines: Sequence[tuple[str, Sequence[float | None]]],
    font: str,
) -> Drawing:
    """Shares (0..1) per day, one line per figure, drawn in percent; ``title`` may be empty
    when a heading above says it."""
    drawing = Drawing(WIDTH, 95 * mm)
    if title:
        drawing.add(String(0, 90 * mm, title, fontName=font, fontSize=10))
    chart = HorizontalLineChart()
    chart.x, chart.y = round(12 * mm), round(32 * mm)
    chart.width, chart.height = round(WIDTH - 16 * mm), round(54 * mm)
    # The chart joins every value of a row, so each run of days with values is a row of its
    # own (in its figure's colour): a day without a value stays a gap.
    runs = [(i, run) for i, (_name, values) in enumerate(lines) for run in _runs(values)]
    chart.data = [run for _i, run in runs] or [[None] * len(days)]
    chart.categoryAxis.categoryNames = list(days)
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.angle = 90
    chart.categoryAxis.labels.dy = -10
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = "%d%%"
    for row, (i, _run) in enumerate(runs):
        chart.lines[row].strokeColor = COLOURS[i % len(COLOURS)]
        chart.lines[row].strokeWidth = 1.5
        # A day between two days without a value has no line to draw: the marker shows it.
        chart.lines[row].symbol = Marker(kind="FilledCircle", size=3)
    if runs:
        drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = round(12 * mm), round(14 * mm)
    legend.fontName, legend.fontSize = font, 7
    legend.alignment = "right"
    legend.columnMaximum = 2
    legend.dx = legend.dy = 6
    legend.deltax = round(80 * mm)
    legend.colorNamePairs = [
        (COLOURS[i % len(COLOURS)], name) for i, (name, _v) in enumerate(lines)
    ]
    drawing.add(legend)
    return drawing


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float], font: str) -> Drawing:
    """One bar per org unit: its real-name rate in percent (units without one are left out
    by the caller rather than drawn as zero)."""
    drawing = Drawing(WIDTH, 80 * mm)
    drawing.add(String(0, 75 * mm, title, fontName=font, fontSize=10))
    chart = VerticalBarChart()
    chart.x, chart.y = round(12 * mm), round(22 * mm)
    chart.width, chart.height = round(WIDTH - 16 * mm), round(48 * mm)
    chart.data = [[v * 100 for v in values]]
    chart.bars[0].fillColor = COLOURS[0]
    chart.categoryAxis.categoryNames = [label[:16] for label in labels]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.angle = 30
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = "%d%%"
    chart.barLabelFormat = "%.1f%%"
    chart.barLabels.fontName = font
    chart.barLabels.fontSize = 6
    chart.barLabels.nudge = 6
    drawing.add(chart)
    return drawing


def _runs(values: Sequence[float | None]) -> list[list[float | None]]:
    """Each stretch of consecutive values, as a full-length row (None elsewhere), in percent."""
    out: list[list[float | None]] = []
    current: list[float | None] | None = None
    for day, value in enumerate(values):
        if value is None:
            current = None
            continue
        if current is None:
            current = [None] * len(values)
            out.append(current)
        current[day] = value * 100
    return out
