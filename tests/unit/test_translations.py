"""Every text on the pages has a Chinese translation, and placeholders survive translation."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

from simreg.web.pages.rendering import read_catalog

WEB = Path(__file__).resolve().parents[2] / "src" / "simreg" / "web"


def template_messages() -> set[str]:
    found = extract_from_dir(
        str(WEB / "templates"),
        method_map=[("**.html", "jinja2")],
        options_map={"**.html": {"extensions": "jinja2.ext.i18n"}},
    )
    return {
        message for _file, _line, message, _comments, _context in found if isinstance(message, str)
    }


def test_every_page_text_is_translated_to_chinese() -> None:
    catalog = read_catalog("zh")
    translated = {m.id: m.string for m in catalog if m.id and m.string}
    missing = sorted(template_messages() - set(translated))
    assert missing == []
    for source, target in translated.items():
        assert set(re.findall(r"%\(\w+\)s", source)) == set(re.findall(r"%\(\w+\)s", target)), (
            source
        )
