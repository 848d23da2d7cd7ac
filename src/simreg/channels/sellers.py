"""Unauthorised online sellers of cards: reported, handed to the market regulator, taken down.

A report moves reported → handed_over → taken_down, or is dismissed; each step is dated.
"""

from __future__ import annotations

from enum import StrEnum


class SellerReportStatus(StrEnum):
    REPORTED = "reported"
    HANDED_OVER = "handed_over"  # passed to the market regulator for take-down
    TAKEN_DOWN = "taken_down"
    DISMISSED = "dismissed"


NEXT: dict[str, tuple[frozenset[SellerReportStatus], SellerReportStatus]] = {
    "hand_over": (frozenset({SellerReportStatus.REPORTED}), SellerReportStatus.HANDED_OVER),
    "taken_down": (frozenset({SellerReportStatus.HANDED_OVER}), SellerReportStatus.TAKEN_DOWN),
    "dismiss": (
        frozenset({SellerReportStatus.REPORTED, SellerReportStatus.HANDED_OVER}),
        SellerReportStatus.DISMISSED,
    ),
}
