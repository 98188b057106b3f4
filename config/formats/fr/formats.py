# French dates: no comma after the weekday. The rest is Django's
# django/conf/locale/fr/formats.py.
WEEKDAY_DATE_FORMAT = "l j F Y"  # vendredi 4 décembre 2026
