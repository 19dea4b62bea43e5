"""House rules of the test suite itself: shared helpers live in tests/support/, and the shared
row factories (tests/support/factories.py) give rows that break no rule."""

from __future__ import annotations

import ast
import datetime as dt

import pytest

from support import REPO, check_file

# every Python file of tests/ (support/ and uno/ too) and of benchmarks/
SOURCES = sorted([*(REPO / "tests").rglob("*.py"), *(REPO / "benchmarks").glob("*.py")])


def _imported(tree: ast.AST) -> list[str]:
    """Every module name an import statement names, with each part of a dotted name."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.module:
                names.append(node.module)
            # `from . import test_validate` and `from support import conftest` name modules too
            names += [alias.name for alias in node.names]
    return names


def _forbidden(name: str) -> bool:
    return any(part.startswith("test_") or part == "conftest" for part in name.split("."))


def test_the_check_sees_every_spelling_of_a_test_module_import():
    source = ("import test_validate\nfrom test_workbook import CASE\nfrom .test_validate import case\n"
              "from . import test_macros\nimport conftest\nfrom support.payload import remote_book\n")
    assert [n for n in _imported(ast.parse(source)) if _forbidden(n)] == [
        "test_validate", "test_workbook", "test_validate", "test_macros", "conftest"]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_file_imports_a_test_module_or_conftest(path):
    """A test module is not a library: what two files share goes into tests/support/
    (and fixtures into tests/conftest.py, which pytest loads by itself)."""
    bad = [n for n in _imported(ast.parse(path.read_text(encoding="utf-8"), str(path))) if _forbidden(n)]
    assert bad == [], f"{path.relative_to(REPO)} imports {bad}: move what it needs into tests/support/"


def test_the_sources_include_the_test_modules():
    names = {p.name for p in SOURCES}
    assert {"conftest.py", "test_house.py", "factories.py", "bench_macros.py"} <= names


# --- the factories ---------------------------------------------------------------------------

def test_factory_rows_break_no_rule(tmp_path, make_linkage, make_case, make_register):
    path = make_register(tmp_path / "r.xlsx", [make_linkage(i) for i in range(1, 6)] + [make_linkage(6, 2019)],
                         [make_case(1), make_case(2, submitted_on=dt.date(2025, 3, 1))])
    assert check_file(path).issues == []


def test_a_change_makes_a_row_wrong_only_where_it_is_made(tmp_path, make_linkage, make_case, make_register):
    """The examples of tests/support/factories.py's docstring."""
    path = make_register(tmp_path / "r.xlsx", [make_linkage(2), make_linkage(3, division="存在しない課")],
                         [make_case(1), make_case(2, submitted_on="R7.2.30")])
    assert [(i.sheet, i.cell, i.code) for i in check_file(path).issues] == [
        ("外部結合", "C3", "master-unknown"), ("審議案件", "G3", "date-invalid")]


def test_factory_rows_written_by_the_builder_break_no_rule(tmp_path, make_linkage, make_case):
    from xlkit.workbook.builder import build

    path = build(tmp_path / "r.xlsx", linkages=[make_linkage(i) for i in range(1, 4)], cases=[make_case(1)],
                 settings={"report_year": 2020})
    assert check_file(path).issues == []


def test_factory_defaults_come_from_the_schemas_and_masters(make_linkage, make_case):
    from xlkit import schema

    masters = schema.masters()
    linkage, case = make_linkage(), make_case()
    assert set(linkage) <= {c.key for c in schema.linkage().columns}
    assert {c.key for c in schema.linkage().columns if c.required} <= set(linkage)
    assert set(case) <= {c.key for c in schema.case().columns}
    assert {c.key for c in schema.case().columns if c.required} <= set(case)
    assert [linkage["division"], linkage["body"]] in masters["課"]
    assert set(case["divisions"]) <= {d for d, _ in masters["課"]}
    assert set(case["categories"]) <= set(masters["区分"]) and case["result"] in masters["審議結果"]


def test_the_year_follows_the_date_unless_given(make_linkage, make_case):
    assert make_linkage(start=dt.date(2020, 3, 31))["fiscal_year"] == 2019
    assert make_linkage(1, 2018)["fiscal_year"] == 2018
    assert make_linkage(start="R2.13.1")["fiscal_year"] == 2020  # text: the `year` argument
    assert make_linkage(start=dt.date(2006, 6, 1), fiscal_year=2020)["fiscal_year"] == 2020  # 記載漏れ
    assert make_case(submitted_on=dt.date(2025, 2, 13))["fiscal_year"] == 2024
    assert make_case(submitted_on="R7.2.30")["fiscal_year"] == 2025
