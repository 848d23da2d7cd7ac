"""The monthly report's two charts drawn with reportlab.graphics, as vector drawings in the
PDF: the daily figures as lines (a day without a value is a gap, not a zero) and the real-name
rate per org unit as bars."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
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
    """Shares (0..1) per day, one line per figure, drawn in percent."""
    drawing = Drawing(WIDTH, 95 * mm)
    drawing.add(String(0, 90 * mm, title, fontName=font, fontSize=10))
    chart = HorizontalLineChart()
    chart.x, chart.y = round(12 * mm), round(24 * mm)
    chart.width, chart.height = round(WIDTH - 16 * mm), round(60 * mm)
    chart.data = [[v * 100 if v is not None else None for v in values] for _n, values in lines]
    chart.categoryAxis.categoryNames = list(days)
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.angle = 90
    chart.categoryAxis.labels.dy = -10
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = "%d%%"
    for i in range(len(lines)):
        chart.lines[i].strokeColor = COLOURS[i % len(COLOURS)]
        chart.lines[i].strokeWidth = 1.5
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = round(12 * mm), round(6 * mm)
    legend.fontName, legend.fontSize = font, 7
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.dx = legend.dy = 6
    legend.deltax = round(45 * mm)
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
