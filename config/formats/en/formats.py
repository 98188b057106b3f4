# Fieldline's English formats: Django's (django/conf/locale/en/formats.py) and the weekday date.
WEEKDAY_DATE_FORMAT = "l, F j, Y"  # Friday, December 4, 2026
