"""Values a hostile tester typed or pasted: Excel error values as the buttons read them, and
invisible characters (bidi overrides, zero-width spaces, control characters).

The buttons read each sheet through xlwings (xlkit.macros.read_grid), which sends an error cell
as its literal ("#N/A"); these tests give the core the same grids — a real register file read
with xlkit.workbook.reader.read_grids, then cells replaced as xlwings would send them — and
check what validation says. tests/test_macros.py runs the same through the 入力チェック button.
"""

from __future__ import annotations

import sys
import unicodedata

import pytest

from xlkit import cells, rules, schema
from xlkit.errors import XlkitError
from xlkit.issues import ERROR, WARNING
from xlkit.register import load_sheets
from xlkit.validation import validate_book
from xlkit.workbook.reader import load, read_grids

LINKAGE, CASE, SETTINGS = schema.linkage(), schema.case(), schema.settings()
L, C, S = LINKAGE.sheet, CASE.sheet, SETTINGS.sheet

# every error value Excel shows, as xlwings sends it with err_to_str=True
EXCEL_ERRORS = ["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA", "#SPILL!",
                "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"]


def found(report) -> set[tuple[str, str, str]]:
    return {(i.sheet, i.cell, i.code) for i in report.issues}


@pytest.fixture
def grids(tmp_path, make_register, make_linkage, make_case):
    """``grids()``: a clean register's sheets as 2-D lists, fresh for each call."""
    path = make_register(tmp_path / "r.xlsx", [make_linkage(i) for i in range(1, 4)],
                         [make_case(1), make_case(2)],
                         settings=[["報告年度", 2020], ["所管課", "総合政策部区政情報課"], ["前年度公表値（区長）", None]])
    return lambda: read_grids(path)


def put(grid_set: dict, sheet: str, cell: str, value) -> None:
    """Set `cell` (A1 form) of `sheet` in grids read by read_grids."""
    col, row = ord(cell[0]) - ord("A"), int(cell[1:])
    grid = grid_set[sheet]
    while len(grid[row - 1]) <= col:
        grid[row - 1].append("")
    grid[row - 1][col] = value


def check(grid_set: dict, *, distinct: bool = True):
    book = load_sheets(grid_set)
    if not distinct:
        book.distinct = {}  # a Book made elsewhere: validation walks the cells itself
    return validate_book(book)


def test_the_base_register_is_clean(grids):
    assert check(grids()).issues == []


# --- A. Excel error values ------------------------------------------------------------------

@pytest.mark.parametrize("sheet, cell, what", [
    (L, "A2", "管理番号: text, required"),
    (L, "B2", "実施機関: text with a master"),
    (L, "C3", "課: text with a master"),
    (L, "D2", "業務名: text, required"),
    (L, "H2", "特定個人情報の有無: a ○ mark"),
    (L, "K2", "結合の開始年月日: a date, required"),
    (L, "L3", "結合の終了年月日: a date, optional"),
    (L, "N2", "計上年度: a year"),
    (L, "O2", "関連審議案件: text with a pattern"),
    (L, "P4", "備考: optional text"),
    (C, "B2", "№: an integer"),
    (C, "D2", "担当課: a list of 課"),
    (C, "E3", "区分: a list with a master"),
    (C, "G2", "付議日: a date"),
    (C, "H2", "審議結果: text with a master"),
])
@pytest.mark.parametrize("distinct", [True, False], ids=["reader", "elsewhere"])
def test_an_error_value_is_one_cell_error_value_not_blank(grids, sheet, cell, what, distinct):
    """Read as None, #N/A was 「空欄」; read as text, a bad date, a bad year or an unknown 課."""
    g = grids()
    put(g, sheet, cell, "#N/A")
    report = check(g, distinct=distinct)
    assert found(report) == {(sheet, cell, "cell-error-value")}, what
    [issue] = report.issues
    assert issue.severity == ERROR and issue.value == "#N/A"
    assert "「#N/A」" in issue.message and "値を入力" in issue.message and "数式" in issue.message
    assert "空欄" not in issue.message


@pytest.mark.parametrize("literal", EXCEL_ERRORS)
def test_every_excel_error_value_is_named(grids, literal):
    g = grids()
    put(g, L, "E3", literal)  # 外部結合を行った理由: text, required
    put(g, L, "K4", literal)  # 結合の開始年月日: a date
    report = check(g)
    assert found(report) == {(L, "E3", "cell-error-value"), (L, "K4", "cell-error-value")}
    assert all(f"「{literal}」" in i.message for i in report.issues)


@pytest.mark.parametrize("item, cell", [("報告年度", "B2"), ("所管課", "B3"), ("前年度公表値（区長）", "B4")])
def test_an_error_value_in_settings_is_one_cell_error_value(grids, item, cell):
    g = grids()
    put(g, S, cell, "#REF!")
    report = check(g)
    assert found(report) == {(S, cell, "cell-error-value")}, item
    [issue] = report.issues
    assert issue.column.startswith(item[:4]) and "「#REF!」" in issue.message


def test_error_values_make_no_duplicates(grids):
    """Two #N/A 管理番号 are two missing numbers, not one number twice."""
    g = grids()
    put(g, L, "A2", "#N/A")
    put(g, L, "A3", "#N/A")
    assert found(check(g)) == {(L, "A2", "cell-error-value"), (L, "A3", "cell-error-value")}
    # two linkages alike in everything but a #N/A 相手方 are not known to be the same linkage
    g = grids()
    g[L].append(["L-twin", *g[L][1][1:]])  # row 5: row 2 again under another 管理番号
    assert found(check(g)) == {(L, "D2", "linkage-duplicate"), (L, "D5", "linkage-duplicate")}
    put(g, L, "J2", "#N/A")
    put(g, L, "J5", "#N/A")
    assert found(check(g)) == {(L, "J2", "cell-error-value"), (L, "J5", "cell-error-value")}


def test_a_text_that_is_no_error_value_stays_text():
    assert cells.is_excel_error("#N/A")
    for value in ("#N/A ", "N/A", "#n/a", "#", "", None, 0, "エラー #N/A", ["#N/A"]):
        assert not cells.is_excel_error(value), value
    assert set(EXCEL_ERRORS) <= cells.EXCEL_ERRORS


def test_the_file_door_still_refuses_an_error_cell(tmp_path, make_register, make_linkage):
    """A file says which cells hold errors before anything is read (xlkit.workbook.scan)."""
    def plant(wb):
        wb[L]["D2"] = "#N/A"  # openpyxl writes an error cell (t="e")

    path = make_register(tmp_path / "r.xlsx", [make_linkage(1)], edit=plant)
    with pytest.raises(XlkitError) as caught:
        load(path)
    assert "D2: エラー値 #N/A が入っています" in caught.value.message


# --- B. invisible characters -----------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("株式会社\u202eスビーサ", [(4, "U+202E（右から左への上書き）")]),
    ("\u202a\u202b\u202c\u202d", [(0, "U+202A（左から右への埋め込み）"), (1, "U+202B（右から左への埋め込み）"),
                                  (2, "U+202C（方向指定の終了）"), (3, "U+202D（左から右への上書き）")]),
    ("\u2066a\u2067b\u2068c\u2069", [(0, "U+2066（左から右への分離）"), (2, "U+2067（右から左への分離）"),
                                     (4, "U+2068（前後の文字に合わせた分離）"), (6, "U+2069（方向分離の終了）")]),
    ("a\u200eb\u200fc\u061c", [(1, "U+200E（左から右への方向マーク）"), (3, "U+200F（右から左への方向マーク）"),
                               (5, "U+061C（アラビア文字の方向マーク）")]),
    ("総務\u200b課", [(2, "U+200B（ゼロ幅スペース）")]),
    ("単語\u2060結合", [(2, "U+2060（単語結合子）")]),
    ("\ufeff総務課", [(0, "U+FEFF（バイト順マーク）")]),
    ("ソフト\u00adハイフン", [(3, "U+00AD（ソフトハイフン）")]),
    ("総務\u200d課", [(2, "U+200D（ゼロ幅接合子）")]),  # a ZWJ between kanji joins nothing
    ("\u200d👨", [(0, "U+200D（ゼロ幅接合子）")]),  # nor at the start
    ("a\x01b\x07c\x1bd\x7fe\x85", [(1, "U+0001（制御文字）"), (3, "U+0007（制御文字）"), (5, "U+001B（制御文字）"),
                                   (7, "U+007F（削除文字）"), (9, "U+0085（制御文字）")]),
    ("\x00\x0b\x0c", [(0, "U+0000（ヌル文字）"), (1, "U+000B（垂直タブ）"), (2, "U+000C（改ページ）")]),
    ("x\U000e0041", [(1, "U+E0041（タグ文字）")]),  # a tag with no flag
    ("\u0600", [(0, "U+0600（書式制御文字）")]),
])
def test_invisible_characters_are_found_and_named(text, expected):
    assert [(i, cells.invisible_name(ch)) for i, ch in cells.invisible_chars(text)] == expected


@pytest.mark.parametrize("text", [
    "総務課", "ＬＧＷＡＮ－ＡＳＰ", "ｼｽﾃﾑ", "①②", "abc 123", "",
    "氏名\t住所\n生年月日\r\n",  # tab and line breaks are typed (Alt+Enter)
    "葛\U000e0100飾区", "辻\U000e0101󠄀", "邉\ufe00",  # variation selectors: 異体字 of names (category Mn)
    "👨\u200d👩\u200d👧", "🏳\ufe0f\u200d🌈", "👩🏽\u200d💻", "🏃\u200d♀\ufe0f", "👩\u200d❤\ufe0f\u200d👨",  # ZWJ sequences
    "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # a subdivision flag's tags
    "か\u3099", "é",  # combining marks
])
def test_what_is_not_an_invisible_character(text):
    assert cells.invisible_chars(text) == []


def test_the_pre_check_covers_every_format_and_control_character():
    """The fast regex class is hand-written: every Cf and Cc character of this Python's Unicode
    (but tab, line feed, carriage return) must be inside it, or it would pass unseen."""
    missed = [f"U+{c:04X}" for c in range(sys.maxunicode + 1)
              if unicodedata.category(chr(c)) in ("Cf", "Cc") and chr(c) not in "\t\n\r"
              and not cells._INVISIBLE.match(chr(c))]
    assert missed == []
    assert not any(cells._INVISIBLE.match(ch) for ch in "\t\n\r")


def test_the_message_names_each_character_where_it_is_and_what_to_do():
    said = rules.invisible_message("株式会社\u202eスビーサ")
    assert "「U+202E（右から左への上書き）」（5文字目）" in said
    assert "削除" in said and "見た目" in said and "検索" in said
    said = rules.invisible_message("\u200b" * 8 + "x\x01")
    assert "「U+200B（ゼロ幅スペース）」（1・2・3・4・5文字目ほか3か所）" in said
    assert "「U+0001（制御文字）」（10文字目）" in said
    assert rules.invisible_message("総務課") is None


TEXT_CELLS = [(reg.sheet, f"{chr(ord('A') + i)}2", c.header) for reg in (LINKAGE, CASE)
              for i, c in enumerate(reg.columns) if c.kind in ("text", "multi")]


@pytest.mark.parametrize("sheet, cell, header", TEXT_CELLS, ids=[f"{s}!{c}" for s, c, _ in TEXT_CELLS])
def test_every_text_cell_of_both_registers_warns_of_an_invisible_character(grids, sheet, cell, header):
    g = grids()
    col = ord(cell[0]) - ord("A")
    typed = cells.display(g[sheet][1][col]) or "あい"  # a blank optional cell gets a text
    put(g, sheet, cell, typed[:1] + "\u202e" + typed[1:])
    report = check(g)
    [issue] = [i for i in report.issues if i.code == "text-invisible-char"]
    assert (issue.sheet, issue.cell, issue.column, issue.severity) == (sheet, cell, header, WARNING)
    assert "U+202E（右から左への上書き）" in issue.message and "2文字目" in issue.message


def test_control_characters_as_the_buttons_read_them(grids):
    """openpyxl cannot write a control character into a file; Excel sends it as typed."""
    g = grids()
    put(g, L, "E2", "理由\x07です")
    put(g, C, "C2", "案件\x1b名")
    report = check(g)
    assert found(report) == {(L, "E2", "text-invisible-char"), (C, "C2", "text-invisible-char")}
    assert "U+0007（制御文字）" in report.issues[0].message


def test_invisible_characters_in_settings(grids):
    g = grids()
    put(g, S, "B3", "総合政策部\u200b区政情報課")
    report = check(g)
    assert found(report) == {(S, "B3", "text-invisible-char")}
    assert report.issues[0].column == "所管課"


def test_legitimate_text_gives_no_warning(grids):
    g = grids()
    put(g, L, "E2", "理由の1行目\n2行目\t字下げ")
    put(g, L, "F2", "葛\U000e0100飾区の住民")
    put(g, L, "P2", "👨\u200d👩\u200d👧 の世帯")
    assert check(g).issues == []


def test_an_invisible_character_in_a_master_cell_says_both(grids):
    """総務\u200b課 is not the master's 総務課 (so not counted as it): both messages stand."""
    g = grids()
    put(g, L, "C2", "総務\u200b課")
    assert {code for _, _, code in found(check(g))} == {"master-unknown", "text-invisible-char"}
