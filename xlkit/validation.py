"""Validating a register: the schema per cell, then the cross-row rules (xlkit.rules).

Reading (xlkit.register) has already checked the headers, refused what is not a register
and prepared each cell; what failed there is in `book.issues` and is not reported again.

Speed: a 10,000-row register has about 150,000 cells but few distinct values per column
(the same 課, 相手方, 条例根拠 … again and again). The reader keeps each column's distinct
typed values (`Book.distinct`); each is judged once — its property's subschema, with the
validators built once per register (module cache), and the one-cell rules of xlkit.rules —
and only a column holding a bad value is walked again to find its cells. About 0.5 s for
10,000 linkages, read included (benchmarks/bench_validate.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import cache

from jsonschema import Draft202012Validator

from . import cells, formats, messages, rules, schema
from .issues import ERROR, WARNING, Issue, sort_key
from .records import Book, Record
from .register import gc_paused, value_key


@dataclass
class Findings:
    """What 入力チェック found: every issue, sorted by sheet (tab order), row and column."""

    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for i in self.issues if i.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for i in self.issues if i.severity == WARNING)

    def as_json(self) -> dict:
        return {"errors": self.errors, "warnings": self.warnings,
                "issues": [i.as_json() for i in self.issues]}


def validate_book(book: Book, *, rows: Mapping[str, Collection[int]] | None = None) -> Findings:
    """Every problem of a prepared register: the reader's, the schema's, then the cross-row rules'.

    With `rows` (sheet -> row numbers), the one-cell checks — the schema, masters, typos, blank
    required cells — look at those rows alone, and at no other sheet (設定 neither): what
    回答取込 asks of the rows it would write (xlkit.answers). The reader's issues and the rules
    across rows are still over the whole register, so that each issue on those rows is the one
    the whole check finds."""
    with gc_paused():
        return _validate(book, rows)


def _validate(book: Book, rows: Mapping[str, Collection[int]] | None = None) -> Findings:
    found = _format_issues(book)
    reported = {(i.sheet, i.cell) for i in book.issues}
    for reg, records in ((schema.linkage(), book.linkages), (schema.case(), book.cases),
                         (schema.provision(), book.provisions)):
        if rows is None:
            found += _check_cells(book, reg, records, reported)
        elif reg.sheet in rows:
            wanted = rows[reg.sheet]
            found += _check_cells(book, reg, [r for r in records if r.row in wanted], reported, whole=False)
    if rows is None or schema.settings().sheet in rows:
        found += _check_settings(book, reported)
    wrong = {(i.sheet, i.cell) for i in found if i.severity == ERROR}
    # a rule built on a cell already wrong (区分 「外部結合、外部結合」) would be a second message
    # about the same cell; it is asked again once the cell is fixed
    found += [i for i in rules.check(book) if not (i.code in rules.ON_CELL_VALUE and (i.sheet, i.cell) in wrong)]
    found.sort(key=sort_key)
    return Findings(found)


def _format_issues(book: Book) -> list[Issue]:
    """The reader's issues; for a register of an older format, one 「xlkit upgrade」 in place of
    the columns and sheets a newer format added (「列がありません」 would send staff to add them by hand)."""
    if book.format >= formats.CURRENT:
        return list(book.issues)
    added = formats.added_since(book.format)

    def lacks_by_format(issue: Issue) -> bool:
        headers = added.get(issue.sheet)
        return issue.code in _MISSING and headers is not None and (not headers or issue.column in headers)

    found = [i for i in book.issues if not lacks_by_format(i)]
    # as grave as what it stands for: an optional column a later format added is no error
    replaced = [i for i in book.issues if lacks_by_format(i)]
    severity = ERROR if any(i.severity == ERROR for i in replaced) else WARNING
    found.append(Issue.make("format-old", "", "", "", messages.text(
        "format.old_register", 形式=book.format, 対応=formats.CURRENT), severity=severity))
    return found


_MISSING = {"header-missing", "master-sheet-missing", "master-column-missing", "settings-missing",
            "provision-sheet-missing"}


# --- the schema, one subschema per column ------------------------------------------------

@cache
def property_validators(name: str) -> dict[str, Draft202012Validator]:
    """One Draft 2020-12 validator (with the format checker) per register, evolved once per property."""
    reg = schema.register(name)
    Draft202012Validator.check_schema(reg.schema)
    root = Draft202012Validator(reg.schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return {c.key: root.evolve(schema=c.schema) for c in reg.columns}


def json_value(value):
    """A prepared value as the schema sees it: dates as ISO strings, marks as ○, multi as lists."""
    if value is True or isinstance(value, dt.date):
        return cells.as_text(value, date=dt.date.isoformat)
    return value


def _check_cells(book: Book, reg: schema.Register, records: list[Record],
                 reported: set[tuple[str, str]], whole: bool = True) -> list[Issue]:
    """The schema and the one-cell rules (masters, typos, half-width kana), once per distinct cell.

    A prepared value depends only on what was typed (and the book's masters), so each distinct
    typed value of a column is judged once — the reader has them already (`book.distinct`) for
    a `whole` sheet; `records` of some rows only bring their own — and only the columns with a
    bad value are walked again to find its cells.
    """
    missing = book.missing.get(reg.sheet, set())
    validators = property_validators(reg.name)
    present = [c for c in reg.columns if c.key not in missing]
    distinct = (book.distinct.get(reg.sheet) if whole else None) or _distinct(records)
    found = []
    for column in present:
        judges = [_schema_judge(validators[column.key], column), *rules.cell_judges(book, column)]
        bad = {}
        for hashable, (ok, value) in distinct.get(column.key, {}).items():
            if ok and value is not None:
                verdict = _judge(judges, hashable if type(hashable) is str else hashable[1], value)
                if verdict:
                    bad[hashable] = verdict
        if not bad:
            continue
        key = column.key
        for rec in records:
            raw = rec.raw.get(key)
            if raw is None or key not in rec.values:
                continue
            verdict = bad.get(value_key(raw))
            if verdict:
                for code, message in verdict:
                    found.append(Issue.make(code, rec.sheet, rec.cell(key), column.header, message, raw))
    required = frozenset(c.key for c in present if c.required)
    columns = {c.key: c for c in present}
    for rec in records:
        lacking = required - rec.values.keys()
        for key in lacking:
            cell = rec.cell(key)
            if (rec.sheet, cell) not in reported:  # a value that could not be read is reported once
                found.append(required_issue(rec.sheet, cell, columns[key]))
    return found


def _distinct(records: list[Record]) -> dict[str, dict]:
    """Distinct typed cells per column, for a Book not made by the reader."""
    distinct: dict[str, dict] = {}
    for rec in records:
        for key, value in rec.values.items():
            distinct.setdefault(key, {})[value_key(rec.raw[key])] = (True, value)
    return distinct


def _judge(judges, raw, value) -> tuple:
    verdict = ()
    for judge in judges:
        found = judge(raw, value)
        if found is not None:
            verdict += (found,)
    return verdict


def _schema_judge(validator: Draft202012Validator, column: schema.Column):
    return lambda raw, value: _verdict(validator, column, value)


def required_issue(sheet: str, cell: str, column: schema.Column) -> Issue:
    hint = f"{column.input_message}" if column.input_message else ""
    return Issue.make("required", sheet, cell, column.header,
                      f"「{column.header}」が空欄です。入力が必要な項目です。{hint}", None)


def _verdict(validator: Draft202012Validator, column: schema.Column, value) -> tuple[str, str] | None:
    instance = json_value(value)
    if next(validator.iter_errors(instance), None) is None:
        return None
    errors = list(validator.iter_errors(instance))
    errors.sort(key=lambda e: (list(e.path), e.validator))
    messages = []
    for error in errors:
        text = _message(error, column, value)
        if text not in messages:
            messages.append(text)
    return "schema-" + _kebab(errors[0].validator), "".join(messages)


def _kebab(keyword: str) -> str:
    return "".join("-" + ch.lower() if ch.isupper() else ch for ch in keyword)


# jsonschema keyword -> its message in xlkit/data/messages.json
_SAID = {"minLength": "schema.min_length", "maxLength": "schema.max_length", "pattern": "schema.pattern",
         "format": "schema.format", "enum": "schema.enum", "const": "schema.enum", "minimum": "schema.minimum",
         "maximum": "schema.maximum", "exclusiveMinimum": "schema.exclusive_minimum",
         "exclusiveMaximum": "schema.exclusive_maximum", "type": "schema.type", "minItems": "schema.min_items",
         "maxItems": "schema.max_items", "uniqueItems": "schema.unique_items"}
_KINDS = {"string": "schema.type_string", "integer": "schema.type_integer", "number": "schema.type_number",
          "array": "schema.type_array", "boolean": "schema.type_boolean", "object": "schema.type_object",
          "null": "schema.type_null"}


def _message(error, column: schema.Column, value) -> str:
    """A jsonschema error said in Japanese, naming the value and what was expected."""
    keyword, expected, instance = error.validator, error.validator_value, error.instance
    path = list(error.path)
    whole = f"「{cells.as_text(value)}」"
    item = f"「{cells.as_text(instance)}」" if path else whole
    if path and isinstance(path[0], int):
        item = messages.text("schema.nth", 番号=path[0] + 1, 値=item)
    said = {"値": item, "全体": whole, "条件": expected, "キーワード": keyword, "説明": column.input_message or ""}
    if keyword == "maxLength":
        said["文字数"] = len(instance)
    elif keyword == "pattern":
        said["説明"] = said["説明"] or messages.text("schema.pattern_default")
    elif keyword == "format":
        said["形式"] = messages.text("schema.format_date") if expected == "date" else expected
    elif keyword in ("enum", "const"):
        allowed = expected if keyword == "enum" else [expected]
        said["選択肢"] = "、".join(messages.text("schema.blank") if a is None else str(a) for a in allowed)
    elif keyword == "type":
        kinds = [expected] if isinstance(expected, str) else expected
        said["種類"] = messages.text("schema.type_or").join(
            messages.text(_KINDS[k]) if k in _KINDS else k for k in kinds)
    elif keyword == "uniqueItems":
        said["重複"] = "、".join(map(str, sorted({v for v in instance if instance.count(v) > 1})))
    return messages.text(_SAID.get(keyword, "schema.other"), **said)


# --- 設定 ------------------------------------------------------------------------------

def _check_settings(book: Book, reported: set[tuple[str, str]]) -> list[Issue]:
    reg = schema.settings()
    validators = property_validators(reg.name)
    cells_of = book.setting_cells
    found = []
    if any(i.code == "settings-missing" for i in book.issues):
        return found  # no 設定 sheet: the reader already warned once
    for column in reg.columns:
        value = book.settings.get(column.key)
        cell = cells_of.get(column.key, "")
        if column.kind == "per-body":
            continue  # read as integers by the reader; checked against the figures in rules
        if value is None:
            if column.required and (reg.sheet, cell) not in reported:
                where = ("が空欄です。値を入力してください。" if cell else
                         f"がありません。A列に「{column.header}」、B列に値を入力してください。")
                found.append(Issue.make("required", reg.sheet, cell, column.header,
                                        f"設定の「{column.header}」{where}{column.input_message or ''}", None))
            continue
        if not cell:
            continue  # a default, not typed
        # the same judges as a register cell: the schema, then the one-cell rules
        judges = [_schema_judge(validators[column.key], column), *rules.cell_judges(book, column)]
        for code, message in _judge(judges, value, value):
            found.append(Issue.make(code, reg.sheet, cell, column.header, message, value))
    return found
