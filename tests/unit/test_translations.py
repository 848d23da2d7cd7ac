"""Every text on the pages has a Chinese translation, and placeholders survive translation."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

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
    labels = [
        *review._INSPECTION_LABELS.values(),
        *review._AUTHORITY_LABELS.values(),
        *review._HOLDER_LABELS.values(),
        *review._NAMED_LABELS.values(),
    ]
    assert [label for label in labels if label not in translated] == []


def test_no_text_is_translated_two_ways_across_the_catalogs() -> None:
    """The catalogs are merged and the first file wins: a second translation of the same
    English text elsewhere would never be shown. One text with two meanings needs two
    texts."""
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for po in sorted((WEB / "locale" / "zh" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as handle:
            for message in read_po(handle, locale="zh"):
                if not message.id or not message.string:
                    continue
                key = str(message.id)
                if key in seen and seen[key][1] != message.string:
                    clashes.append((key, seen[key], (po.name, message.string)))
                seen.setdefault(key, (po.name, str(message.string)))
    assert clashes == []
