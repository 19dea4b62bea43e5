"""Where everything sits in a register workbook: sheet names, sheet order, named ranges,
the result sheets' columns and the buttons.

Column names of the two registers, the masters and the settings rows come from the schemas
(xlkit.schema); this module only names what the schemas do not describe.
"""

from __future__ import annotations

from dataclasses import dataclass

from xlkit import schema
from xlkit.installation import INTERPRETER_WIN
from xlkit.records import BODY_SHEET, CATEGORY_SHEET, DIVISION_SHEET, RESULT_SHEET
from xlkit.schema import mark_columns

HOWTO = "使い方"
RESULTS = "検証結果"
SUMMARY = "集計"
CONF = "xlwings.conf"

# Master sheets (named once, by the reader): sheet name -> its header row.
# 課 carries the 実施機関 each 課 belongs to and its period (its columns are those of
# schemas/division.schema.json); 区分 and 審議結果 carry a ○ column whose header is named in
# masters.json (schema.mark_columns).
BODIES, DIVISIONS, CATEGORIES, RESULTS_MASTER = BODY_SHEET, DIVISION_SHEET, CATEGORY_SHEET, RESULT_SHEET
MASTER_HEADERS: dict[str, tuple[str, ...]] = {
    BODIES: (BODIES,),
    DIVISIONS: tuple(schema.division().headers),
    CATEGORIES: (CATEGORIES, mark_columns()[CATEGORIES]["列名"]),
    RESULTS_MASTER: (RESULTS_MASTER, mark_columns()[RESULTS_MASTER]["列名"]),
}
MASTER_WIDTHS: dict[str, tuple[float, ...]] = {
    BODIES: (18,),
    DIVISIONS: tuple(c.width for c in schema.division().columns),
    CATEGORIES: (14, 20),
    RESULTS_MASTER: (14, 16),
}


def master_note_column(master: str) -> int:
    """The column (0-based) of the note in a master sheet's header row: one blank column after
    its headers (課: G since format 4, D before)."""
    return len(MASTER_HEADERS[master]) + 1


def master_note(master: str) -> str:
    """The note the header row of a master sheet carries (master_note_column)."""
    if master in (BODIES, DIVISIONS):
        return "行の並びが報告書の並びになります。追加は最後の行の下に入力してください。"
    return "最後の行の下に入力すると、選択肢に加わります。"

# 設定: 項目 | 値 | 説明
SETTINGS_HEADERS = ("項目", "値", "説明")
SETTINGS_WIDTHS = (26, 34, 70)

# 検証結果: one row per issue found by 入力チェック.
RESULT_HEADERS = ("重要度", "シート", "セル", "列", "値", "メッセージ", "コード")
RESULT_WIDTHS = (8, 10, 8, 22, 24, 70, 20)  # codes such as case-without-linkage fit on one line

# 使い方: the subtitle above the button rows (one row per button, in BUTTONS order, each with its
# help text in column C; an .xlsx has the caption as text in column B instead of a button).
# xlkit upgrade finds the rows by it (xlkit.workbook.migrate).
HOWTO_BUTTONS = "ボタン"

# 診断 (format 6): one row per check of `xlkit doctor`, written by the button 診断.
DIAGNOSIS = "診断"
DIAGNOSIS_HEADERS = ("確認項目", "結果", "内容", "対処")
DIAGNOSIS_WIDTHS = (24, 10, 60, 70)
# one line of 内容 (the column wraps): what 使い方 says of the button says the rest
DIAGNOSIS_PLACEHOLDER = "（「診断」ボタンを押すと、点検の結果がここに書き出されます。）"

# Cell colours written by 入力チェック (fill of a bad cell) and used in the legend of 使い方.
ERROR_FILL = "#FFC7CE"
WARNING_FILL = "#FFEB9C"

# The xlwings.conf sheet: xlwings' VBA (GetConfig) takes a key found on this sheet, even a blank
# one, before the folder's and the user's xlwings.conf, so a row here decides for every PC the
# register is opened on. Each row is here on purpose:
#   Interpreter_Win  the bundle's Python (xlkit.installation.INTERPRETER_WIN, %LOCALAPPDATA%
#                    expanded on each PC): a blank here hid any other setting and RunPython fell back
#                    to a `python` on PATH, which an office PC rarely has
#   PYTHONPATH       blank on purpose: the buttons import xlkit from the bundle's venv, never from a
#                    folder a user's own xlwings.conf (another xlwings tool's) adds
#   Conda Path/Env   blank on purpose: a Conda set-up in a user's xlwings.conf would run the buttons
#                    in that environment instead of the bundle's
#   Use UDF Server   FALSE: RunPython starts the interpreter above; the COM server path is never used
#   Show Console     FALSE: no black window behind the buttons
#   ADD_WORKBOOK_TO_PYTHONPATH  FALSE: otherwise xlwings.utils.prepare_sys_path puts the register's
#                    folder on sys.path before any xlkit code runs, mapping a OneDrive/SharePoint
#                    address to the synced folder and failing there in English (xlkit.onedrive can
#                    only translate what reaches xlkit), and a file beside the register named like a
#                    module (pandas.py, xlkit.py) would be imported instead of the installed one
# Not here since format 6 (older registers keep theirs; they change nothing on an office PC):
# Interpreter_Mac (a blank hid a Mac user's own setting; xlkit's install is for Windows), UDF Modules
# and Debug UDFs (xlkit has no UDFs).
CONF_INTERPRETER = "Interpreter_Win"
CONF_WORKBOOK_PATH = "ADD_WORKBOOK_TO_PYTHONPATH"
XLWINGS_CONF_ROWS: tuple[tuple[str, object], ...] = (
    (CONF_INTERPRETER, INTERPRETER_WIN),
    ("PYTHONPATH", ""),
    ("Conda Path", ""),
    ("Conda Env", ""),
    ("Use UDF Server", False),
    ("Show Console", False),
    (CONF_WORKBOOK_PATH, False),
)

# The texts the VBA of the buttons shows (format 6), on a very hidden, protected sheet of an .xlsm:
# the VBA module stays ASCII (it is read in the project's code page), so it finds the sheet by
# MACRO_TEXTS_KEY in A1 and each text by its ASCII key in column A; PATH_PLACEHOLDER is replaced by
# the interpreter's path. An .xlsx has no VBA and no such sheet.
MACRO_TEXTS = "ボタンの文言"
MACRO_TEXTS_KEY = "xlkit-texts"
MACRO_TEXTS_NOTE = "xlkit のボタンが表示する文言です（xlkit が書き込みます。変更しないでください）。"
PATH_PLACEHOLDER = "{path}"
MACRO_TEXTS_ROWS: tuple[tuple[str, str], ...] = (
    ("interpreter_missing_title", "xlkit の Python が見つかりません"),
    ("interpreter_missing",
     "ボタンを動かす Python（xlkit）がこのパソコンに見つからないため、処理を始めませんでした。\n\n"
     "探した場所：\n" + PATH_PLACEHOLDER + "\n\n"
     "対処：\n"
     "・xlkit のインストール用フォルダにある「セットアップ.bat」を実行してから、もう一度ボタンを押してください"
     "（パソコンを使う人ごとに1回必要です）。\n"
     "・インストール用フォルダがない場合や、実行できない場合は、情報システム担当に連絡してください。\n"
     "・別の場所に入れた Python を使う場合は、「xlwings.conf」シートの Interpreter_Win にその python.exe の"
     "場所を入力してください。\n"
     "・インストールしても直らない場合は、コマンドプロンプトで「xlkit doctor 登録簿のファイル名」を実行すると、"
     "原因と対処が表示されます。"),
)


def linkage_sheet() -> str:
    """The 外部結合 sheet's name (from the schema)."""
    return schema.linkage().sheet


def case_sheet() -> str:
    """The 審議案件 sheet's name (from the schema)."""
    return schema.case().sheet


def provision_sheet() -> str:
    """The 外部提供 sheet's name (from the schema)."""
    return schema.provision().sheet


def provision_howto() -> tuple[str, str]:
    """使い方's line about 外部提供 under 入力のしかた (label, text), below 審議案件's: a new register
    has it, and the step to format 5 adds it (howto_rows.add_howto_line) with 審議案件's row height.
    Its text fits one line (46 characters at most), as 審議案件's does, so both are alike."""
    return (provision_sheet(), "外部提供1件を1行に入力します。「案件の年度」「案件の№」の審議案件の別紙に表で載ります。")


def settings_sheet() -> str:
    """The 設定 sheet's name (from the schema)."""
    return schema.settings().sheet


def history_sheet() -> str:
    """The 変更履歴 sheet's name (from the schema)."""
    return schema.history().sheet


def status_sheet() -> str:
    """The 回答状況 sheet's name (from the schema)."""
    return schema.status().sheet


def sheet_order() -> tuple[str, ...]:
    """The sheets of a register, in tab order. 回答状況 and 変更履歴 came with format 3: the
    upgrade adds them after the last sheet, so a new register has them there too. 外部提供 came
    with format 5 and sits beside the cases it belongs to: the upgrade puts it after 審議案件. 診断
    came with format 6 and sits with the other sheets the buttons write, after 集計. A macro-enabled
    register also has the very hidden MACRO_TEXTS, after every one of these (macro_sheet_order)."""
    return (
        HOWTO,
        linkage_sheet(),
        case_sheet(),
        provision_sheet(),
        RESULTS,
        SUMMARY,
        DIAGNOSIS,
        settings_sheet(),
        BODIES,
        DIVISIONS,
        CATEGORIES,
        RESULTS_MASTER,
        CONF,
        status_sheet(),
        history_sheet(),
    )


def macro_sheet_order() -> tuple[str, ...]:
    """The sheets of a macro-enabled register (.xlsm), in tab order: sheet_order() and MACRO_TEXTS."""
    return (*sheet_order(), MACRO_TEXTS)


def list_name(master: str) -> str:
    """The workbook-level name whose range feeds the dropdowns of a master (e.g. 課一覧)."""
    return f"{master}一覧"


def table_name(sheet: str) -> str:
    """The Excel table (ListObject) name of a register sheet (e.g. 表_外部結合)."""
    return f"表_{sheet}"


def per_body_title(title: str, body: str) -> str:
    """The 設定 row of a per-body setting: 前年度公表値（区長） (xlkit.schema.per_body_title)."""
    return schema.per_body_title(title, body)


@dataclass(frozen=True)
class Button:
    """One button of 使い方 and the macro it runs."""

    sub: str  # the VBA sub the button is bound to (ASCII)
    caption: str  # what staff read on the button
    function: str  # the function of xlkit.macros it runs
    help: str  # the line of 使い方 that says what it does
    since: int = 1  # the register format (xlkit.formats) that brought it: its upgrade step adds its row

    @property
    def python(self) -> str:
        """The Python statement RunPython receives."""
        return f"import xlkit.macros as m; m.{self.function}()"

    @property
    def vba(self) -> str:
        return f'RunPython "{self.python}"'


BUTTONS: tuple[Button, ...] = (
    Button(
        "XlkitValidate", "入力チェック", "validate",
        "「外部結合」「審議案件」「設定」の入力内容を点検し、結果を「検証結果」シートに書き出します。"
        "誤りのあるセルはエラーを赤、警告を黄色で塗ります。入力した値は変更しません。",
    ),
    Button(
        "XlkitSummarize", "集計", "summarize",
        "「設定」の報告年度について、実施機関別の外部結合件数（a + b − c）を「集計」シートに書き出します。"
        "前年度公表値と合わない実施機関があればお知らせします。",
    ),
    Button(
        "XlkitExportWord", "Word出力", "export_word",
        "報告書2つを Word ファイルとして、このブックと同じフォルダの exports に保存します。"
        "「外部電子計算機との結合の状況」（「設定」の報告年度）と、審議会資料「審議案件について」"
        "（一覧と別紙。「設定」の資料の対象期間の付議日のもの。期間が空欄なら付議日のある全件）です。",
    ),
    Button(
        "XlkitExportExcel", "Excel出力", "export_excel",
        "Word出力と同じ2つの報告書を、印刷できる Excel ファイルとして exports に保存します。"
        "同じ名前のファイルがあるときは上書きせず、別の名前で保存します。",
    ),
    Button(
        "XlkitSurvey", "照会票作成", "survey",
        "「設定」の報告年度について、課ごとの照会票（外部結合の庁内照会）と照会一覧を、exports の中の"
        "「照会票」フォルダに作ります。同じ名前の照会票があるときは作りません（上書きしません）。",
        since=3,
    ),
    Button(
        "XlkitCollect", "回答取込", "collect",
        "回答された照会票を選んで読み込み、確認のうえ新規の外部結合と終了年月日をこのブックに書き込み、"
        "「変更履歴」「回答状況」に記録します。取り込めない照会票があれば何も書き込みません。"
        "書き込んだ後は上書き保存してください。",
        since=3,
    ),
    Button(
        "XlkitCloseYear", "年度締め", "close_year",
        "「設定」の報告年度を確定します。入力チェックにエラーがないこと・報告日があることを確かめ、登録簿の写し・"
        "外部結合の状況の報告書（Word・PDF）・集計値を「確定\\<年度>」フォルダに保存し、前年度公表値・締めた年度・"
        "報告年度を書き換えます。",
        since=4,
    ),
    Button(
        "XlkitDoctor", "診断", "doctor",
        "このパソコンで登録簿のボタンが動くかを点検し（Python・xlkit・xlwings の版、Python の場所、登録簿の形式、"
        "exports への書き込み、保存場所の名前など）、結果と対処を「診断」シートに書き出します。",
        since=6,
    ),
)
# Buttons are only ever added at the end (xlkit upgrade finds a register's button rows as the
# first ones), one row of 使い方 each: a new one goes last, with the format that brings it.


def buttons_until(version: int) -> tuple[Button, ...]:
    """The buttons a register of format `version` has."""
    return tuple(b for b in BUTTONS if b.since <= version)
