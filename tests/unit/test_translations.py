"""Every text a page template marks for translation has its Chinese in the catalogues, so a
Chinese page never shows an English sentence (or a raw code) in the middle."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

WEB = Path(__file__).parents[2] / "src" / "simreg" / "web"
# _("text") and _('text'), possibly followed by format arguments.
MARKED = re.compile(r"""\b_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def chinese_catalogue() -> dict[str, str]:
    found: dict[str, str] = {}
    for po in sorted((WEB / "locale" / "zh" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as handle:
            for message in read_po(handle, locale="zh"):
                if message.id and isinstance(message.id, str) and message.string:
                    found[message.id] = str(message.string)
    return found


def marked_texts() -> dict[str, str]:
    texts: dict[str, str] = {}
    for template in sorted((WEB / "templates").rglob("*.html")):
        for match in MARKED.finditer(template.read_text(encoding="utf-8")):
            text = match.group(1) if match.group(1) is not None else match.group(2)
            texts.setdefault(text, str(template.relative_to(WEB)))
    return texts


def test_every_marked_template_text_has_its_chinese() -> None:
    catalogue = chinese_catalogue()
    missing = {text: where for text, where in marked_texts().items() if text not in catalogue}
    assert missing == {}
