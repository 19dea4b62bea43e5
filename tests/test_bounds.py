"""The year range is written once (schemas/common.schema.json) and the eras once (xlkit/data/eras.json)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

import xlkit
from xlkit import cells, dates, schema
from xlkit.errors import XlkitError
from xlkit.validation import property_validators
from xlkit.workbook import builder

REPO = Path(__file__).resolve().parent.parent
SCHEMAS = REPO / "schemas"
YEAR_PROPERTIES = [(schema.LINKAGE, "fiscal_year", "計上年度"), (schema.CASE, "fiscal_year", "年度"),
                   (schema.SETTINGS, "report_year", "報告年度")]
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def raw(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


# --- the year range -----------------------------------------------------------------------

def test_year_bounds_are_those_of_the_common_schema():
    fiscal_year = raw("common.schema.json")["$defs"]["fiscal_year"]
    assert schema.year_bounds() == (fiscal_year["minimum"], fiscal_year["maximum"]) == (1989, 2100)
    assert fiscal_year["type"] == "integer"


@pytest.mark.parametrize("register, key, title", YEAR_PROPERTIES)
def test_each_year_property_refers_to_the_common_definition(register, key, title):
    written = raw(f"{register}.schema.json")["properties"][key]
    assert written["$ref"] == "common.schema.json#/$defs/fiscal_year"
    assert not {"type", "minimum", "maximum"} & written.keys()  # the range is not written again
    column = schema.register(register).column(key)
    assert column.header == title and column.kind == "year"
    assert "$ref" not in column.schema
    assert column.schema["type"] == "integer"
    assert (column.schema["minimum"], column.schema["maximum"]) == schema.year_bounds()
    # the register's own schema holds the inlined property too (xlkit.validation checks it whole)
    assert schema.register(register).schema["properties"][key] == column.schema
    # what the property said beside the ref is kept
    for word, value in written.items():
        if word != "$ref":
            assert column.schema[word] == value


@pytest.mark.parametrize("name", ["common", schema.LINKAGE, schema.CASE, schema.SETTINGS])
def test_schemas_are_valid_draft_2020_12(name):
    Draft202012Validator.check_schema(raw(f"{name}.schema.json"))
    if name != "common":
        Draft202012Validator.check_schema(schema.register(name).schema)


def test_no_ref_is_left_after_loading():
    def refs(node):
        if isinstance(node, dict):
            return ("$ref" in node) + sum(refs(v) for v in node.values())
        if isinstance(node, list):
            return sum(refs(v) for v in node)
        return 0

    for name in (schema.LINKAGE, schema.CASE, schema.SETTINGS):
        assert refs(schema.register(name).schema) == 0


def test_cells_year_refuses_a_year_outside_the_bounds():
    first, last = schema.year_bounds()
    assert cells.year(first) == first and cells.year(last) == last
    assert cells.year(str(last)) == last
    for year in (first - 1, last + 1, str(first - 1), f"{last + 1}年度"):
        with pytest.raises(cells.CellError) as caught:
            cells.year(year)
        assert "西暦4桁" in caught.value.reason and JAPANESE.search(caught.value.reason)


@pytest.mark.parametrize("register, key, title", YEAR_PROPERTIES)
def test_validation_refuses_a_year_outside_the_bounds(register, key, title):
    first, last = schema.year_bounds()
    validator = property_validators(register)[key]
    assert validator.is_valid(first) and validator.is_valid(last)
    assert [e.validator for e in validator.iter_errors(first - 1)] == ["minimum"]
    assert [e.validator for e in validator.iter_errors(last + 1)] == ["maximum"]
    assert [e.validator for e in validator.iter_errors("2020")] == ["type"]


def test_the_import_command_names_the_bounds(tmp_path, capsys):
    """--year outside the bounds is refused by the one year reader (tasks.parse_year), naming them.

    (The command's own second check after it could never be reached, and is gone.)"""
    from xlkit import cli

    first, last = schema.year_bounds()
    for year in (first - 1, last + 1):
        code = cli.main(["import", str(tmp_path / "x.xlsx"), str(tmp_path / "t.txt"), "--year", str(year)])
        message = capsys.readouterr().err
        assert code == 2
        assert f"「{year}」" in message and f"{first}〜{last}" in message and "西暦4桁" in message


def test_a_ref_beside_a_contradicting_keyword_is_refused():
    ref = "common.schema.json#/$defs/fiscal_year"
    # a broken schema file is said in Japanese, as every XlkitError (xlkit.schema no longer raises ValueError)
    with pytest.raises(XlkitError, match="maximum"):
        schema._resolve({"$ref": ref, "maximum": 3000}, "test.schema.json")
    with pytest.raises(XlkitError, match="定義"):
        schema._resolve({"$ref": "common.schema.json#/$defs/no_such_type"}, "test.schema.json")
    # annotations and x- keywords beside it are the property's own
    resolved = schema._resolve({"$ref": ref, "title": "年度", "x-kind": "year"}, "test.schema.json")
    assert resolved["title"] == "年度" and resolved["minimum"] == schema.year_bounds()[0]


# --- the eras -----------------------------------------------------------------------------

def test_eras_come_from_the_data_file():
    data = json.loads((Path(xlkit.__file__).parent / "data" / "eras.json").read_text(encoding="utf-8"))
    assert JAPANESE.search(data["$comment"])
    assert [(e.name, e.letter) for e in dates.ERAS] == [(e["name"], e["letter"]) for e in data["eras"]]
    D = dt.date
    assert dates.ERAS == (
        dates.Era("令和", "R", D(2019, 5, 1), None),
        dates.Era("平成", "H", D(1989, 1, 8), D(2019, 4, 30)),
        dates.Era("昭和", "S", D(1926, 12, 25), D(1989, 1, 7)),
        dates.Era("大正", "T", D(1912, 7, 30), D(1926, 12, 24)),
        dates.Era("明治", "M", D(1873, 1, 1), D(1912, 7, 29), year_one=1868),
    )
    assert dates.ERAS[-1].offset == 1867


@pytest.mark.parametrize("typed, day", [
    ("H31.4.30", dt.date(2019, 4, 30)), ("R1.5.1", dt.date(2019, 5, 1)), ("令和元年5月1日", dt.date(2019, 5, 1)),
    ("S64.1.7", dt.date(1989, 1, 7)), ("H1.1.8", dt.date(1989, 1, 8)), ("平成元年1月8日", dt.date(1989, 1, 8)),
    ("T15.12.24", dt.date(1926, 12, 24)), ("S1.12.25", dt.date(1926, 12, 25)), ("M6.1.1", dt.date(1873, 1, 1)),
    ("M45.7.29", dt.date(1912, 7, 29)), ("大正元年7月30日", dt.date(1912, 7, 30)), ("ｈ18．6．1", dt.date(2006, 6, 1)),
])
def test_era_dates_read_as_before(typed, day):
    assert dates.parse_date(typed) == day


@pytest.mark.parametrize("typed, words", [
    ("H31.5.1", ["平成31年5月1日はありません", "令和元年5月1日の誤りではありませんか"]),
    ("R1.4.30", ["令和の始まり", "平成31年4月30日の誤りではありませんか"]),
    ("S64.1.8", ["昭和64年1月8日はありません", "平成元年1月8日の誤りではありませんか"]),
    ("M5.12.31", ["明治の始まり（1873年1月1日）より前です"]),
    ("1872/12/31", ["明治6年（1873年）より前のため扱えません"]),
])
def test_era_dates_refused_as_before(typed, words):
    with pytest.raises(dates.DateError) as caught:
        dates.parse_date(typed)
    for word in words:
        assert word in caught.value.reason


def test_era_formats_as_before():
    assert dates.format_dotted(dt.date(2019, 4, 30)) == "H31. 4.30"
    assert dates.format_wareki(dt.date(2019, 5, 1)) == "令和元年5月1日"
    assert dates.nendo(2019) == "令和元年度" and dates.nendo(1988) == "昭和63年度"
    with pytest.raises(dates.DateError, match="明治6年より前"):
        dates.era_of(dt.date(1872, 12, 31))


# --- the workbook's date validation -------------------------------------------------------

def test_builder_date_bounds_follow_the_year_range():
    assert builder.DATE_MIN == dt.date(1989, 1, 8)  # the first day of 平成, the era of the first year
    assert builder.DATE_MAX == dt.date(2100, 12, 31)
    first, last = schema.year_bounds()
    assert builder.DATE_MIN == dates.era_of(builder.DATE_MIN).first_day
    assert dates.era_of(builder.DATE_MIN).offset + 1 == first and builder.DATE_MAX.year == last


@pytest.mark.parametrize("register, key, title", YEAR_PROPERTIES[:2])
def test_builder_year_column_validation_uses_the_schema(register, key, title):
    options = builder.validation(schema.register(register).column(key))
    assert (options["minimum"], options["maximum"]) == schema.year_bounds()


# --- written once -------------------------------------------------------------------------

@pytest.mark.parametrize("literal", ["1989", "2100"])
def test_no_module_writes_the_year_range(literal):
    package = Path(xlkit.__file__).parent
    written = [str(p.relative_to(package)) for p in sorted(package.rglob("*.py"))
               if literal in p.read_text(encoding="utf-8")]
    assert written == []


def test_schema_files_ship_in_the_wheel():
    import fnmatch
    import tomllib

    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert setuptools["package-dir"]["xlkit.schemas"] == "schemas"
    globs = setuptools["package-data"]["xlkit.schemas"]
    for name in ("common.schema.json", *(f"{n}.schema.json" for n in (schema.LINKAGE, schema.CASE, schema.SETTINGS))):
        assert (SCHEMAS / name).is_file() and any(fnmatch.fnmatch(name, g) for g in globs), name
    assert any(fnmatch.fnmatch("eras.json", g.removeprefix("data/")) for g in setuptools["package-data"]["xlkit"])
