import pytest

from reportgen.errors import ReportgenError
from reportgen.profile import load_profile, shipped_profiles


def test_default_profile_holds_the_publishers_orders():
    profile = load_profile()
    assert [r.key for r in profile.regions] == ["homs", "raqqa", "deir-ezzor", "hama", "aleppo", "suwaidaa"]
    assert profile.region("Hama desert").categories == ("civilians", "combatants", "isis")
    assert profile.region("deir-ezzor").categories == ("combatants", "isis", "civilians")
    assert profile.region("homs").categories == ("combatants", "civilians", "isis")
    assert profile.group_order == ("isis", "combatants", "civilians")


def test_compact_form_follows_the_threshold_unless_a_region_says_otherwise(tmp_path):
    profile = load_profile()
    assert profile.is_compact(profile.region("aleppo"), 8)
    assert not profile.is_compact(profile.region("raqqa"), 39)
    text = (profile_path := tmp_path / "p.toml")
    text.write_text(
        'name = "p"\ncompact_max_fatalities = 10\n'
        '[[regions]]\nkey = "a"\nname = "A"\ncompact = false\n'
        '[[categories]]\nkey = "c"\nsingular = "c"\nplural = "cs"\n',
        encoding="utf-8",
    )
    other = load_profile(str(profile_path))
    assert not other.is_compact(other.region("a"), 3)


def test_shipped_profiles_load_by_name():
    for name in shipped_profiles():
        assert load_profile(name).categories


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name = 'x'\n[[regions]]\nkey='a'\n", "missing or malformed"),
        ("this is not toml", "not a valid TOML profile"),
        (
            "[[categories]]\nkey='c'\nsingular='c'\nplural='cs'\n[[regions]]\nkey='a'\nname='A'\ncategories=['zz']\n",
            "regions.a.categories",
        ),
    ],
)
def test_bad_profiles_are_one_line_errors(tmp_path, content, message):
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ReportgenError, match=message):
        load_profile(str(path))


def test_unknown_profile_name_lists_the_shipped_ones():
    with pytest.raises(ReportgenError, match="syrian-desert"):
        load_profile("no-such-profile")


# -- measures: what the source records -------------------------------------------------

CATEGORY = "[[categories]]\nkey = 'c'\nsingular = 'c'\nplural = 'cs'\n"


def test_each_shipped_profile_lists_what_its_source_records():
    measures = {name: load_profile(name).measures for name in shipped_profiles()}
    assert measures["syrian-desert"] == measures["sdf-areas"] == measures["landmines"] == ("killed", "injured")
    assert measures["acled"] == measures["acled-syria"] == ("killed",)
    assert measures["ucdp"] == ("killed", "ranges")


@pytest.mark.parametrize(
    ("top", "mapping", "expected"),
    [
        ("", "", ("killed", "injured")),  # CSV, JSON and text record both
        ("", "[mapping.acled]\nunattributed = 'c'\n", ("killed",)),
        ("", "[mapping.ucdp]\nunattributed = 'c'\ncivilians = 'c'\n", ("killed", "ranges")),
        ("measures = ['ranges', 'killed']\n", "[mapping.acled]\nunattributed = 'c'\n", ("killed", "ranges")),
    ],
)
def test_measures_default_to_what_the_mapped_datasets_record(tmp_path, top, mapping, expected):
    path = tmp_path / "p.toml"
    path.write_text(top + CATEGORY + mapping, encoding="utf-8")
    assert load_profile(str(path)).measures == expected


@pytest.mark.parametrize(
    ("measures", "message"),
    [
        ("['killed', 'wounded']", "measures: 'wounded' \\(expected some of killed, injured, ranges\\)"),
        ("['injured']", 'measures \\(must list "killed"'),
        ("3", "measures \\(expected text or a list of texts\\)"),
    ],
)
def test_an_unknown_measure_is_refused_in_one_line(tmp_path, measures, message):
    path = tmp_path / "bad.toml"
    path.write_text(f"measures = {measures}\n{CATEGORY}", encoding="utf-8")
    with pytest.raises(ReportgenError, match=message) as caught:
        load_profile(str(path))
    assert "\n" not in str(caught.value) and str(caught.value).startswith(f"{path}: profile field measures")
