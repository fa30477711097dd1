from datetime import date

import pytest

from app.domain.timescales import TimescaleError, parse_timescale, uk_date


@pytest.mark.parametrize(
    "label, expected",
    [
        ("Q4 2017/18", date(2018, 3, 31)),
        ("Q1 2018/19", date(2018, 6, 30)),
        ("Q2 2018/19", date(2018, 9, 30)),
        ("Q3 2018/2019", date(2018, 12, 31)),
        ("q4 2019-20", date(2020, 3, 31)),
        ("March 2018", date(2018, 3, 31)),
        ("Feb 2020", date(2020, 2, 29)),
        ("31 March 2018", date(2018, 3, 31)),
        ("1st April 2019", date(2019, 4, 1)),
        ("2018-03-31", date(2018, 3, 31)),
    ],
)
def test_timescales_resolve_to_the_last_day_they_name(label, expected):
    assert parse_timescale(label) == expected


@pytest.mark.parametrize(
    "label, message",
    [
        ("Q4 2017/19", "should be 2017/18"),
        ("Q5 2017/18", "not a timescale"),
        ("31/13/2018", "not a timescale"),
        ("2018-02-30", "not a date"),
        ("Smarch 2018", "not a timescale"),
        ("", "not a timescale"),
    ],
)
def test_bad_timescales_say_what_is_wrong(label, message):
    with pytest.raises(TimescaleError, match=message):
        parse_timescale(label)


def test_uk_dates():
    assert uk_date(date(2018, 3, 31)) == "31 March 2018"
    assert uk_date(None) == ""
