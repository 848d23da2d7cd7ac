"""Jinja2 rendering in the user's language and the operator's timezone."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from simreg.core.errors import Violation
from simreg.web.pages.audit_labels import action_label

WEB = Path(__file__).resolve().parent.parent
LANGUAGES = ("zh", "en")
LANG_COOKIE = "simreg_lang"


def read_catalog(language: str) -> Catalog:
    """Every .po file of the language, merged: each feature keeps its texts in a file of its
    own (messages.po, campaigns.po, ...), so parallel work never edits one file."""
    merged = Catalog(locale=language)
    for po in sorted((WEB / "locale" / language / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as handle:
            for message in read_po(handle, locale=language):
                if message.id:
                    merged[message.id] = message
    return merged


def _translations(language: str) -> Translations:
    """Compile the language's catalogs in memory: no build step, no binary in the repo."""
    catalog = read_catalog(language)
    if not len(catalog):
        return Translations()
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def negotiate_language(request: Request, preferred: str | None = None) -> str:
    """Cookie (the switch), then the staff member's saved choice, then the browser."""
    chosen = request.cookies.get(LANG_COOKIE) or preferred
    if chosen in LANGUAGES:
        return str(chosen)
    header = request.headers.get("accept-language", "")
    ranked = []
    for part in header.split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        ranked.append((weight, tag.lower()[:2]))
    for _weight, tag in sorted(ranked, reverse=True):
        if tag in LANGUAGES:
            return tag
    return "zh"


class Pages:
    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)
        self.envs = {lang: self._environment(lang) for lang in LANGUAGES}

    def _environment(self, language: str) -> Environment:
        env = Environment(
            loader=FileSystemLoader(WEB / "templates"),
            autoescape=select_autoescape(["html"]),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.install_gettext_translations(_translations(language), newstyle=True)  # type: ignore[attr-defined]
        env.filters["localtime"] = self.localtime
        env.filters["ago"] = lambda seconds: _ago(seconds, language)
        env.globals["lang"] = language
        env.globals["say"] = lambda v: _say(v, language)
        env.globals["action_label"] = lambda action: action_label(action, language)
        # (words, code): the action filter lists actions in the order of their words.
        env.filters["action_choice"] = lambda action: (action_label(action, language), action)
        return env

    def localtime(self, value: str | datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        if not value:
            return ""
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.astimezone(self.zone).strftime(fmt)

    def render(
        self,
        request: Request,
        template: str,
        language: str,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        env = self.envs[language]
        html = env.get_template(template).render(request=request, **context)
        return HTMLResponse(html, status_code=status_code)


def _say(violation: Violation | dict[str, Any], language: str) -> str:
    """The message of a violation in the page's language."""
    if isinstance(violation, Violation):
        return violation.message_zh if language == "zh" else violation.message
    key = "message_zh" if language == "zh" else "message"
    return str(violation.get(key) or violation.get("message") or "")


def _ago(seconds: int, language: str) -> str:
    minutes = seconds // 60
    if language == "zh":
        return (
            f"{minutes} 分钟" if minutes < 60 else f"{minutes // 60} 小时 {minutes % 60:02d} 分钟"
        )
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
