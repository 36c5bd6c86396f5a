from datetime import date

import pytest

from reportgen.errors import ReportgenError
from reportgen.periods import parse_date, parse_period, ytd_scope


@pytest.mark.parametrize(
    ("text", "kind", "start", "end", "label"),
    [
        ("2023-06", "month", date(2023, 6, 1), date(2023, 6, 30), "June 2023"),
        ("2024-02", "month", date(2024, 2, 1), date(2024, 2, 29), "February 2024"),
        ("2023-Q2", "quarter", date(2023, 4, 1), date(2023, 6, 30), "Q2 2023"),
        ("2023", "year", date(2023, 1, 1), date(2023, 12, 31), "2023"),
    ],
)
def test_periods_parse_to_scopes(text, kind, start, end, label):
    scope = parse_period(text)
    assert (scope.kind, scope.start, scope.end, scope.label) == (kind, start, end, label)


@pytest.mark.parametrize(
    "text", ["2023-13", "2023-6", "June 2023", "2023-06' OR 1=1 --", "../../x", "2023-06/../..", "２０２３", "2023-Q5", ""]
)
def test_anything_else_is_refused_in_one_line(text):
    with pytest.raises(ReportgenError) as info:
        parse_period(text)
    assert "\n" not in str(info.value)


def test_dates_must_be_real_days():
    assert parse_date("2023-06-26") == date(2023, 6, 26)
    with pytest.raises(ReportgenError, match="no such day"):
        parse_date("2023-02-30")


def test_year_to_date_runs_from_january_to_the_as_of_day():
    scope = ytd_scope(date(2023, 6, 26))
    assert (scope.start, scope.end, scope.as_of, scope.key) == (date(2023, 1, 1), date(2023, 6, 26), date(2023, 6, 26), "2023")


def test_scopes_round_trip_through_plain_data():
    scope = parse_period("2023-06", as_of=date(2023, 7, 1))
    assert type(scope).from_dict(scope.to_dict()) == scope
