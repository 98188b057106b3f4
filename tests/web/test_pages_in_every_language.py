"""Every role's main pages read in each language: on the demo data, each role opens its menu's
pages and, from each, the first records and forms they link to, in Portuguese, Russian, Polish,
French and Estonian. A text that is a message of our catalogue left in English (while the
language has a translation for it) fails, and so does an activity-log event code shown raw
(`agreement.activate`) instead of its sentence."""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from tenancy.events import event_types
from tenancy.models import AuditEvent, User
from tests.web.test_translations import LOCALES, parse_po

pytestmark = pytest.mark.django_db

ROLES = ("admin", "manager", "dispatcher", "tech1", "contact")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")
# Pages a role reaches by links: the menu's, then records and forms linked from them.
FOLLOW = re.compile(r"^/[\w/-]*?(/\d+/|/new/|/edit/)[\w/-]*$")
SKIP = re.compile(r"/(csv|export|sign-out|language|tenant/switch)|\?format=|^/admin/")
MAX_PAGES_PER_ROLE = 45
TEXT_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")


class _PageText(HTMLParser):
    """The text a person reads on a page (and its tooltips and labels for screen readers), and
    the links it offers. Skips scripts, styles, code, and text marked as another language
    (the language switcher names each language in that language)."""

    SKIPPED = {"script", "style", "code", "pre", "title", "template"}

    def __init__(self, page_language: str):
        super().__init__()
        self.page_language = page_language
        self.texts: list[str] = []
        self.links: list[str] = []
        self._skip: list[str] = []
        self._option_value: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._option_value = attrs.get("value") if tag == "option" else None
        other_language = attrs.get("lang") not in (None, self.page_language)
        if tag in self.SKIPPED or other_language:
            self._skip.append(tag)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for name in ("hx-get",):
            if attrs.get(name):
                self.links.append(attrs[name])
        if not self._skip:
            for name in TEXT_ATTRIBUTES:
                if attrs.get(name):
                    self.texts.append(attrs[name].strip())

    def handle_endtag(self, tag):
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_data(self, data):
        text = " ".join(data.split())
        # An option that shows its own value is an identifier (the time zone "Poland").
        if text and not self._skip and text != self._option_value:
            self.texts.append(text)


def _english_messages(locale: str, language: str):
    """The catalogue's messages that read differently in ``language``: exact texts, and one
    pattern for the messages with placeholders."""
    exact, patterns, translations = set(), [], set()
    with translation.override(language):
        for entry in parse_po(
            Path(settings.BASE_DIR) / "locale" / locale / "LC_MESSAGES" / "django.po"
        ):
            if entry.msgid_plural:
                continue
            translated = (
                translation.pgettext(entry.msgctxt, entry.msgid)
                if entry.msgctxt is not None
                else translation.gettext(entry.msgid)
            )
            translations.add(translated)
            if translated == entry.msgid or len(entry.msgid) < 3:
                continue  # the same word in this language ("SLA", "E-mail", "Kg")
            if PLACEHOLDER.search(entry.msgid):
                parts = PLACEHOLDER.split(entry.msgid)
                if sum(len(part.strip()) for part in parts) >= 8:
                    patterns.append(".+?".join(re.escape(part) for part in parts))
            else:
                exact.add(entry.msgid)
    # A text that is this language's own word for another message is not English: Estonian
    # "Read" (lines) is not the English "Read".
    exact -= translations
    return exact, re.compile("^(?:" + "|".join(patterns) + ")$") if patterns else None


def _crawl(client, language: str, families: set[str]) -> dict[str, _PageText]:
    """The role's home and the pages it links to (the menu, the tiles), then the records and
    forms those lead to; a kind of record or form page (its address without the ids) that
    another role already read in this language is read once only."""
    pages: dict[str, _PageText] = {}
    queue = ["/"]
    own: set[str] = set()
    while queue and len(pages) < MAX_PAGES_PER_ROLE:
        url = queue.pop(0)
        if url in pages:
            continue
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        parsed = _PageText(language)
        parsed.feed(response.content.decode())
        pages[url] = parsed
        for href in parsed.links:
            parts = urlsplit(href)
            if parts.netloc or not parts.path.startswith("/") or SKIP.search(href):
                continue
            target = parts.path
            family = re.sub(r"\d+", "N", target)
            if url == "/" and target not in own:
                own.add(target)
                families.add(family)
                queue.append(target)
            elif FOLLOW.match(target) and family not in families:
                families.add(family)
                queue.append(target)
    return pages


@pytest.fixture
def demo(settings):
    settings.DEMO_DATA_ALLOWED = True
    call_command("seed_demo", verbosity=0)


def test_every_roles_pages_read_in_every_language(demo, client):
    codes = {kind.code for kind in event_types()}
    codes |= set(AuditEvent.objects.values_list("action", flat=True).distinct())
    assert {"agreement.create", "agreement.activate"} <= codes  # the demo records events
    raw_code = re.compile(r"\b(?:" + "|".join(re.escape(code) for code in codes) + r")\b")
    problems = []
    for locale, language in LOCALES.items():
        exact, pattern = _english_messages(locale, language)
        families: set[str] = set()
        for role in ROLES:
            user = User.objects.get(email=f"{role}@acme.test")
            client.force_login(user)
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
            pages = _crawl(client, language, families)
            assert len(pages) >= 3, (role, list(pages))
            for url, page in pages.items():
                for text in page.texts:
                    if text in exact or (pattern and pattern.match(text)):
                        problems.append(f"{language} {role} {url}: English {text!r}")
                    if found := raw_code.search(text):
                        problems.append(f"{language} {role} {url}: event code {found[0]!r}")
    assert not problems, "\n".join(sorted(set(problems)))
