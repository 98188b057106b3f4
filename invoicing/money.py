"""Money on invoices: the currency's precision, half-up rounding, and amounts written the way
the reader's language writes them (Babel's CLDR data: ``1 234,56 zł``, ``R$ 1.234,56``)."""

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, get_currency_precision

# Django's language codes to the CLDR locales Babel knows.
_LOCALES = {
    "en": "en_US",
    "pt-br": "pt_BR",
    "ru": "ru_RU",
    "pl": "pl_PL",
    "fr": "fr_FR",
    "et": "et_EE",
}


def precision(currency: str) -> int:
    return get_currency_precision(currency or "EUR")


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-precision(currency))


def round_money(value: Decimal, currency: str) -> Decimal:
    """Half-up to the currency's precision (Decimal only; floats are refused)."""
    if not isinstance(value, Decimal):
        value = Decimal(value) if isinstance(value, int) else Decimal(str(value))
    return value.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def babel_locale(language: str | None) -> str:
    return _LOCALES.get((language or "en").lower(), "en_US")


def format_money(value: Decimal | None, currency: str, language: str | None) -> str:
    if value is None:
        return ""
    return format_currency(value, currency, locale=babel_locale(language))
