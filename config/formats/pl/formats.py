# Polish dates as Polish writes them: the month in the genitive inside a date ("E": 4 grudnia
# 2026), weekday and month names lower-case (our catalogue, web/dates.py), dots in short dates.
# Whatever is not set here comes from Django's django/conf/locale/pl/formats.py.
DATE_FORMAT = "j E Y"  # 4 grudnia 2026
DATETIME_FORMAT = "j E Y, H:i"  # 4 grudnia 2026, 14:30
MONTH_DAY_FORMAT = "j E"  # 4 grudnia
YEAR_MONTH_FORMAT = "F Y"  # grudzień 2026
SHORT_DATE_FORMAT = "d.m.Y"  # 04.12.2026
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
WEEKDAY_DATE_FORMAT = "l, j E Y"  # piątek, 4 grudnia 2026
