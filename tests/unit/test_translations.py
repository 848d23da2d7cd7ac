"""Every text on the pages has a Chinese translation, and placeholders survive translation."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

from simreg.web.pages import review
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


def test_review_check_labels_chosen_in_code_are_translated_too() -> None:
    # The review console's checks pass their label through a variable, which extraction
    # from the templates cannot see.
    translated = {m.id for m in read_catalog("zh") if m.id and m.string}
    labels = [*review._INSPECTION_LABELS.values(), *review._AUTHORITY_LABELS.values()]
    assert [label for label in labels if label not in translated] == []
