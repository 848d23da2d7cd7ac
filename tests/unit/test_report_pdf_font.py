"""SIMREG_REPORT_PDF_FONT: a font file that cannot set the report's Chinese is refused when
simreg starts, with the setting's name and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import reportlab

from simreg.adapters.report_pdf import PdfMonthlyReport
from simreg.core.errors import ConfigurationError

# Bitstream Vera, shipped with reportlab: a TrueType font with Latin glyphs only.
LATIN_ONLY = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"


def refusal(font_file: Path) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as refused:
        PdfMonthlyReport(font_file)
    assert refused.value.code == "REPORT-PDF-FONT"
    assert "SIMREG_REPORT_PDF_FONT" in str(refused.value)
    return refused.value


def test_a_missing_font_file_is_refused(tmp_path: Path) -> None:
    assert "is not a file" in str(refusal(tmp_path / "nowhere.ttf"))


def test_a_file_that_is_not_truetype_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "fake.ttf"
    fake.write_bytes(b"OTTO" + bytes(200))  # an OpenType/CFF signature: reportlab cannot embed
    assert "cannot be embedded" in str(refusal(fake))


def test_a_font_without_chinese_is_refused() -> None:
    assert LATIN_ONLY.is_file()
    error = refusal(LATIN_ONLY)
    assert "has no glyph for" in str(error) and "实" in str(error)
