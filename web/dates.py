"""Dates as each language writes them.

The formats are Django's format localisation: ``config/formats/<locale>/formats.py``
(``FORMAT_MODULE_PATH``) sets what Django's own formats get wrong for us, such as the genitive
month of Polish and Russian dates ("E": "4 grudnia 2026", "4 декабря 2026 г."). Templates name
a format (``|date:"DATE_FORMAT"``, ``|date:"SHORT_DATE_FORMAT"``) and never spell one out;
``|weekday_date`` (web/templatetags/fieldline.py) gives a date with its weekday, from each
language's ``WEEKDAY_DATE_FORMAT``.

Django's catalogues capitalise weekday and month names in some languages ("Piątek", "Grudzień",
"Sexta-feira", "Dezembro"), as a calendar heading would; inside a date they are lower-case
("piątek, 4 grudnia 2026", "sexta-feira, 4 de dezembro de 2026"). The names are listed here
so that makemessages puts them in our catalogues, whose translations take precedence over
Django's (LOCALE_PATHS): the same messages as django.utils.dates, translated as the language
writes them in running text.
"""

import datetime

from django.utils import formats, translation
from django.utils.translation import gettext_lazy as _

WEEKDAYS = (
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
)
MONTHS = (
    _("January"),
    _("February"),
    _("March"),
    _("April"),
    _("May"),
    _("June"),
    _("July"),
    _("August"),
    _("September"),
    _("October"),
    _("November"),
    _("December"),
)


def weekday_date_format(language: str | None = None) -> str:
    """The active (or given) language's format of a date with its weekday."""
    for module in formats.get_format_modules(language or translation.get_language()):
        found = getattr(module, "WEEKDAY_DATE_FORMAT", None)
        if found:
            return found
    return "l, " + formats.get_format("DATE_FORMAT", language)


def weekday_date(value: datetime.date) -> str:
    """A date with its weekday: "piątek, 4 grudnia 2026", "Friday, December 4, 2026"."""
    return formats.date_format(value, weekday_date_format())
