"""The one reader of dates and timescales, for imports, indicator values, the seed and forms."""

from datetime import date, datetime

import pytest

from app.domain.timescales import (
    Timescale,
    TimescaleError,
    parse_timescale,
    read_timescale,
    uk_date,
)


def exact(day: date) -> Timescale:
    return Timescale(start=day, end=day, label="")


@pytest.mark.parametrize(
    "value, expected",
    [
        # Cell values a workbook holds
        (datetime(2024, 3, 31), exact(date(2024, 3, 31))),
        (datetime(2024, 3, 31, 17, 30), exact(date(2024, 3, 31))),
        (date(2024, 3, 31), exact(date(2024, 3, 31))),
        (45382, exact(date(2024, 3, 31))),  # an Excel serial number
        (45382.0, exact(date(2024, 3, 31))),
        (45382.75, exact(date(2024, 3, 31))),  # a time of day is left out
        ("45382", exact(date(2024, 3, 31))),
        ("45382.0", exact(date(2024, 3, 31))),
        # Dates
        ("2024-03-31", exact(date(2024, 3, 31))),
        ("2024-03-31 00:00:00", exact(date(2024, 3, 31))),
        ("2024-03-31T09:15", exact(date(2024, 3, 31))),
        ("31/03/2024", exact(date(2024, 3, 31))),
        ("31/3/24", exact(date(2024, 3, 31))),
        ("1/4/18", exact(date(2018, 4, 1))),
        ("31.03.2024", exact(date(2024, 3, 31))),
        ("31-03-2024", exact(date(2024, 3, 31))),
        ("29/02/2024", exact(date(2024, 2, 29))),
        ("31 March 2024", exact(date(2024, 3, 31))),
        ("1st April 2019", exact(date(2019, 4, 1))),
        ("31 Mar 2024", exact(date(2024, 3, 31))),
        ("31-Mar-24", exact(date(2024, 3, 31))),
        ("  31  March   2024 ", exact(date(2024, 3, 31))),  # stray spaces
        # Months: the whole month, due by its last day
        ("March 2018", Timescale(date(2018, 3, 1), date(2018, 3, 31), "March 2018")),
        ("Mar 2018", Timescale(date(2018, 3, 1), date(2018, 3, 31), "Mar 2018")),
        ("Mar. 2018", Timescale(date(2018, 3, 1), date(2018, 3, 31), "Mar. 2018")),
        ("Sept 2023", Timescale(date(2023, 9, 1), date(2023, 9, 30), "Sept 2023")),
        ("Feb 2020", Timescale(date(2020, 2, 1), date(2020, 2, 29), "Feb 2020")),
        ("Mar-24", Timescale(date(2024, 3, 1), date(2024, 3, 31), "Mar 2024")),
        ("Mar 18", Timescale(date(2018, 3, 1), date(2018, 3, 31), "Mar 2018")),
        (" March  2018 ", Timescale(date(2018, 3, 1), date(2018, 3, 31), "March 2018")),
        # UK financial-year quarters: Q1 is April to June, Q4 January to March
        ("Q1 2018/19", Timescale(date(2018, 4, 1), date(2018, 6, 30), "Q1 2018/19")),
        ("Q2 2018/19", Timescale(date(2018, 7, 1), date(2018, 9, 30), "Q2 2018/19")),
        ("Q3 2023/24", Timescale(date(2023, 10, 1), date(2023, 12, 31), "Q3 2023/24")),
        ("Q4 2017/18", Timescale(date(2018, 1, 1), date(2018, 3, 31), "Q4 2017/18")),
        ("Q3 2018/2019", Timescale(date(2018, 10, 1), date(2018, 12, 31), "Q3 2018/2019")),
        ("q4 2019-20", Timescale(date(2020, 1, 1), date(2020, 3, 31), "q4 2019-20")),
        ("Q4 1999/00", Timescale(date(2000, 1, 1), date(2000, 3, 31), "Q4 1999/00")),
        # Financial years
        ("2023/24", Timescale(date(2023, 4, 1), date(2024, 3, 31), "2023/24")),
        ("2017-18", Timescale(date(2017, 4, 1), date(2018, 3, 31), "2017-18")),
        ("FY 2017/18", Timescale(date(2017, 4, 1), date(2018, 3, 31), "FY 2017/18")),
        # Blank
        (None, None),
        ("", None),
        ("   ", None),
    ],
)
def test_what_a_date_or_timescale_names(value, expected):
    assert read_timescale(value) == expected


@pytest.mark.parametrize(
    "value, shown",
    [
        ("31/13/2018", "31/13/2018"),
        ("29/02/2023", "29/02/2023"),  # not a leap year
        ("30/02/2024", "30/02/2024"),
        ("2018-02-30", "2018-02-30"),
        ("2023-13-01", "2023-13-01"),
        ("32 March 2018", "32 March 2018"),
        ("Smarch 2018", "Smarch 2018"),
        ("soon", "soon"),
        ("TBC", "TBC"),
        ("Q5 2017/18", "Q5 2017/18"),
        ("Q4 2017/19", "Q4 2017/19"),  # not a financial year
        ("2017/19", "2017/19"),
        ("2018", "2018"),  # a year alone is a serial number of 1905
        ("  31/13/2018 ", "31/13/2018"),
        (0, "0"),  # Excel's day 0
        (60, "60"),  # Excel's 29 February 1900, which never was
        (-1, "-1"),
        (-45382, "-45382"),
        (12, "12"),
        (12.0, "12"),
        (9999999, "9999999"),
        (1e300, str(int(1e300))),
        (float("nan"), "nan"),
        (float("inf"), "inf"),
        (True, "True"),
    ],
)
def test_what_is_not_a_date_is_named(value, shown):
    with pytest.raises(TimescaleError) as refused:
        read_timescale(value)
    assert str(refused.value) == f"'{shown}' is not a date"


def test_a_timescale_typed_into_a_form_is_its_last_day():
    assert parse_timescale("Q4 2017/18") == date(2018, 3, 31)
    assert parse_timescale("31/03/2018") == date(2018, 3, 31)


@pytest.mark.parametrize("label", ["Q5 2017/18", "31/13/2018", "", "  "])
def test_a_form_is_told_the_forms_understood(label):
    with pytest.raises(TimescaleError, match="is not a timescale plantrack understands .*Q4"):
        parse_timescale(label)


def test_uk_dates():
    assert uk_date(date(2018, 3, 31)) == "31 March 2018"
    assert uk_date(None) == ""
