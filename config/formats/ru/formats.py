# Russian dates: the month in the genitive inside a date ("E": 4 декабря 2026 г.), weekday and
# month names lower-case (our catalogue, web/dates.py). The rest is Django's
# django/conf/locale/ru/formats.py.
DATE_FORMAT = "j E Y г."  # 4 декабря 2026 г.
DATETIME_FORMAT = "j E Y г., G:i"  # 4 декабря 2026 г., 14:30
MONTH_DAY_FORMAT = "j E"  # 4 декабря (Django's "j F" reads "4 декабрь")
YEAR_MONTH_FORMAT = "F Y г."  # декабрь 2026 г.
WEEKDAY_DATE_FORMAT = "l, j E Y г."  # пятница, 4 декабря 2026 г.
