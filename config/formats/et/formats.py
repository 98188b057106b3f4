# Estonian dates. Django's django/conf/locale/et/formats.py has no date-and-time formats, which
# then fall back to the American "N j, Y, P"; these are the Estonian ones.
DATETIME_FORMAT = "j. F Y, H:i"  # 4. detsember 2026, 14:30
SHORT_DATETIME_FORMAT = "d.m.Y H:i"  # 04.12.2026 14:30
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
FIRST_DAY_OF_WEEK = 1  # Monday
WEEKDAY_DATE_FORMAT = "l, j. F Y"  # reede, 4. detsember 2026
