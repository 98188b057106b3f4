# Brazilian Portuguese dates: weekday and month names lower-case (our catalogue, web/dates.py).
# The rest is Django's django/conf/locale/pt_BR/formats.py.
WEEKDAY_DATE_FORMAT = r"l, j \d\e F \d\e Y"  # sexta-feira, 4 de dezembro de 2026
