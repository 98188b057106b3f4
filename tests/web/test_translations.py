"""The five catalogues are complete and compiled: every UI string has a translation, and the
running app serves it (so a stale or missing .mo file fails here, not in front of a user)."""

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALES = {"pt_BR": "pt-br", "ru": "ru", "pl": "pl", "fr": "fr", "et": "et"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    fuzzy: bool = False


def parse_po(path: Path) -> list[Entry]:
    entries, current, key = [], Entry(), None
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if key is not None:
                entries.append(current)
            current, key = Entry(), None
            continue
        if line.startswith("#,") and "fuzzy" in line:
            current.fuzzy = True
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            value = ast.literal_eval(line)
        else:
            keyword, _, rest = line.partition(" ")
            key, value = keyword, ast.literal_eval(rest)
        if key == "msgid":
            current.msgid += value
        elif key == "msgid_plural":
            current.msgid_plural += value
        elif key == "msgctxt":
            current.msgctxt = (current.msgctxt or "") + value
        elif key.startswith("msgstr"):
            index = int(key[7:-1]) if key.startswith("msgstr[") else 0
            current.msgstr[index] = current.msgstr.get(index, "") + value
    return [entry for entry in entries if entry.msgid]


def _catalogue(locale: str) -> list[Entry]:
    return parse_po(Path(settings.BASE_DIR) / "locale" / locale / "LC_MESSAGES" / "django.po")


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_is_complete_and_placeholders_match(locale):
    problems = []
    for entry in _catalogue(locale):
        if entry.fuzzy or not entry.msgstr or not all(entry.msgstr.values()):
            problems.append(f"untranslated: {entry.msgid!r}")
            continue
        singular = set(PLACEHOLDER.findall(entry.msgid))
        plural = set(PLACEHOLDER.findall(entry.msgid_plural))
        for index, text in entry.msgstr.items():
            found = set(PLACEHOLDER.findall(text))
            if not entry.msgid_plural:
                ok = found == singular
            elif index == max(entry.msgstr):  # the "many" form says what msgid_plural says
                ok = found == plural
            else:  # a form for one or a few may name the count or not (ru "21 день" must)
                ok = found <= singular | plural
            if not ok:
                problems.append(f"placeholders differ: {entry.msgid!r} -> {text!r}")
    assert problems == []


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogue_serves_every_translation(locale):
    stale = []
    with translation.override(LOCALES[locale]):
        for entry in _catalogue(locale):
            if entry.msgid_plural or entry.fuzzy or not entry.msgstr.get(0):
                continue
            if entry.msgctxt is not None:
                served = translation.pgettext(entry.msgctxt, entry.msgid)
            else:
                served = translation.gettext(entry.msgid)
            if served != entry.msgstr[0]:
                stale.append(entry.msgid)
    assert stale == [], "run manage.py compilemessages"
