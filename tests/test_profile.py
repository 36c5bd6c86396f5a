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
