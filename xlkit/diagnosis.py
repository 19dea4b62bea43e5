"""`xlkit doctor` decided (the button 診断 too): the facts of a PC and a register in, one Japanese line per check out.

Each check says 確認項目 / 結果 / 内容 / 対処, the result being OK, 注意 (works, with something to
know), 要対応 (something will not work until it is fixed) or 対象外 (does not apply here). The facts
are gathered elsewhere (xlkit.doctor_facts, the file and the machine); everything here is plain
data, so a Windows PC's facts are judged on any machine, and the button 診断 (xlkit.macros_doctor)
and the command line give the same rows.

The xlwings rules followed here are those of its VBA module (GetConfig, GetConfigFromSheet): the
xlwings.conf sheet is read from A1 down to the first blank key, keys in upper case, and a key
present on the sheet ends the search even when its value is blank; then xlwings.conf beside the
workbook; then %USERPROFILE%\\.xlwings\\xlwings.conf. Values are expanded as
ExpandEnvironmentStrings does. RunPython takes a blank or absent Interpreter_Win for none and looks
up the legacy Interpreter key the same way, then runs "python" from PATH.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PureWindowsPath

from xlkit import formats, installation, messages

OK, NOTE, ACTION, NA = "OK", "注意", "要対応", "対象外"
RESULTS = (OK, NOTE, ACTION, NA)
NOTHING_TO_DO = "不要"
INTERPRETER_KEY = "INTERPRETER_WIN"
# RunPython's fallback when INTERPRETER_WIN is blank or absent everywhere, then "python" (PATH)
LEGACY_KEY = "INTERPRETER"
# cmd.exe finds these on PATH: RunPython checks no file for them (ExecuteWindows compares exactly)
ON_PATH = ("python", "pythonw")
WORKBOOK_PATH_KEY = "ADD_WORKBOOK_TO_PYTHONPATH"

# Excel refuses to open or save a workbook whose full name is longer than this (its own limit,
# below Windows' MAX_PATH)
EXCEL_PATH_MAX = 218
# Windows' MAX_PATH less its terminating NUL: the longest full name most programs accept
WINDOWS_PATH_MAX = 259
# what xlkit adds under a register's folder at most: exports\照会票\回答\<課>_照会票_令和N年度.xlsx,
# 確定\<年度>\外部結合の状況_令和N年度.docx (with room for a long 課 name)
INSIDE_MAX = 60
# Zone.Identifier zones whose files Excel opens with macros blocked (3 internet, 4 restricted)
BLOCKED_ZONES = {3: "インターネット", 4: "制限付きサイト"}
ONEDRIVE_VARIABLES = ("OneDrive", "OneDriveCommercial", "OneDriveConsumer")

ASK_IT = "区政情報課のシステム担当"
SETUP = f"xlkit のバンドルの「セットアップ.bat」をもう一度実行してください（{ASK_IT}に依頼してください）。"


@dataclass(frozen=True)
class Check:
    """One line of the diagnosis."""

    item: str  # 確認項目
    result: str  # one of RESULTS
    detail: str  # 内容: what was found
    fix: str = NOTHING_TO_DO  # 対処: which command, which file, whom to ask

    def row(self) -> list[str]:
        """The line as the 診断 sheet and the command line show it: 確認項目, 結果, 内容, 対処."""
        return [self.item, self.result, self.detail, self.fix]


@dataclass
class Conf:
    """One place xlwings reads its settings from, and what it says of Interpreter_Win."""

    where: str  # the file, or the sheet, as staff find it
    found: bool = False  # the file (or the sheet) exists
    value: str | None = None  # Interpreter_Win's value; None: the key is not there
    cell: str = ""  # on the sheet: the cell of the value (B1)
    legacy: str | None = None  # Interpreter's value (the legacy key); None: not there
    add_workbook: str | None = None  # ADD_WORKBOOK_TO_PYTHONPATH as VBA passes it on ("True"); None: not there
    add_workbook_cell: str = ""
    near: str = ""  # no such sheet, but one named so but for spaces or case (xlkit.register.misnamed)
    problem: str = ""  # why it could not be read, in Japanese


@dataclass
class Facts:
    """What xlkit doctor knows of this PC and the register; gathered by xlkit.doctor_facts."""

    windows: bool
    python: tuple[int, int, int]
    executable: str
    xlkit_version: str
    xlkit_place: str
    xlwings: str | None  # the installed version; None: not installed
    pywin32: str | None = None  # Windows: the problem importing win32com ("" when it imports)
    environ: Mapping[str, str] = field(default_factory=dict)
    exists: Mapping[str, bool] = field(default_factory=dict)  # Windows: expanded interpreter -> is a file
    user_conf: Conf | None = None  # %USERPROFILE%\.xlwings\xlwings.conf
    soffice: str | None = None  # LibreOffice's soffice, when found
    word: bool | None = None  # Windows: Word is installed (None: not asked)
    # the register: everything below stays empty without one
    register: str | None = None  # its full name as given (a URL for a workbook in the cloud)
    problem: str = ""  # why it cannot be read as a register, in Japanese
    macro: bool = False  # .xlsm: it has buttons
    format: int | None = None
    format_problem: str = ""
    sheets: list[str] = field(default_factory=list)  # its sheet names
    vba_version: str | None = None  # XLWINGS_VERSION of its VBA project
    vba_problem: str = ""
    vba_project: bool = True  # False: an .xlsm with no VBA project at all (a gateway strips them)
    sheet_conf: Conf | None = None  # its xlwings.conf sheet
    folder_conf: Conf | None = None  # xlwings.conf beside it
    exports: str = ""  # the exports folder beside it
    exports_kind: str = ""  # "folder", "missing" (the register's folder was tried instead), "file", "" not tried
    exports_problem: str = ""  # why nothing could be written there, in Japanese
    zone: str | None = None  # Windows: its :Zone.Identifier stream; None when it has none
    zone_problem: str = ""


# --------------------------------------------------------------------------- plain rules


def expand(text: str, environ: Mapping[str, str]) -> str:
    """%NAME% replaced by the variable, as Windows' ExpandEnvironmentStrings does: names in any
    case, an unknown one left as it is."""
    upper = {k.upper(): v for k, v in environ.items()}
    return re.sub(r"%([^%]+)%", lambda m: upper.get(m[1].upper(), m[0]), text)


def sheet_settings(grid: list[list]) -> tuple[dict[str, tuple[object, int]], list[str]]:
    """The xlwings.conf sheet as xlwings reads it: key (upper case) -> (value, row), from A1 down to
    the first blank key; and the keys found twice (xlwings then stops with a VBA error)."""
    found: dict[str, tuple[object, int]] = {}
    twice: list[str] = []
    for number, row in enumerate(grid, start=1):
        key = row[0] if row else None
        if key is None or key == "":  # a cell holding a space is a key to VBA and to End(xlDown)
            if number > 1:  # A1 is read even when blank (GetConfigFromSheet)
                break
            continue
        key = str(key).upper()
        if key in found:
            twice.append(key)
        else:
            found[key] = (row[1] if len(row) > 1 else None, number)
    return found, twice


def sheet_conf(grid: list[list] | None, where: str) -> Conf:
    """Interpreter_Win of the xlwings.conf sheet (grid None: the register has no such sheet)."""
    if grid is None:
        return Conf(where)
    found, twice = sheet_settings(grid)
    conf = Conf(where, found=True)
    if twice:
        conf.problem = (f"シート「{where}」の A 列に同じ設定名が2回あります（{'、'.join(twice)}）。"
                        "xlwings はこのとき止まり、ボタンが動きません。")
    if INTERPRETER_KEY in found:
        value, number = found[INTERPRETER_KEY]
        conf.value = _text(value).strip()
        conf.cell = f"B{number}"
    if LEGACY_KEY in found:
        conf.legacy = _text(found[LEGACY_KEY][0]).strip()
    if WORKBOOK_PATH_KEY in found:
        value, number = found[WORKBOOK_PATH_KEY]
        conf.add_workbook, conf.add_workbook_cell = _text(value), f"B{number}"
    return conf


def _text(value) -> str:
    """A cell's value as VBA's String of it: blank "", a Boolean "True"/"False"."""
    return "" if value is None else str(value)


def file_settings(text: str) -> dict[str, str]:
    """An xlwings.conf file ("KEY","value" lines, as VBA's Input # reads them): key (upper case) ->
    value, the first line of a key winning, as GetConfigFromFile stops there."""
    found: dict[str, str] = {}
    for row in csv.reader(text.splitlines()):
        if len(row) >= 2:
            found.setdefault(row[0].strip().upper(), row[1].strip())
    return found


def file_conf_value(text: str) -> str | None:
    """Interpreter_Win in an xlwings.conf file."""
    return file_settings(text).get(INTERPRETER_KEY)


def zone_id(text: str) -> int | None:
    """The ZoneId of a :Zone.Identifier stream ([ZoneTransfer] ZoneId=3); None when it has none."""
    m = re.search(r"(?mi)^\s*ZoneId\s*=\s*(\d+)", text)
    return int(m[1]) if m else None


def _parts(path: str) -> list[str]:
    return [p.casefold() for p in PureWindowsPath(path).parts]


def _under(path: str, root: str) -> bool:
    inner, outer = _parts(path), _parts(root)
    return bool(outer) and inner[:len(outer)] == outer


def cloud_place(path: str, environ: Mapping[str, str]) -> str | None:
    """"url" for a workbook opened from OneDrive/SharePoint as a web address, "onedrive" for one in
    a folder OneDrive synchronises, None otherwise (Windows path rules on every machine)."""
    if "://" in path:
        return "url"
    roots = [environ[name] for name in ONEDRIVE_VARIABLES if environ.get(name)]
    if any(_under(path, root) for root in roots):
        return "onedrive"
    folders = PureWindowsPath(path).parts[1:-1]
    if any(p.casefold() == "onedrive" or p.casefold().startswith("onedrive - ") for p in folders):
        return "onedrive"
    return None


def unusual_folders(path: str) -> tuple[list[str], list[str]]:
    """The register's folder names (not the drive, not the file) with characters beyond ASCII,
    and those with a space (either kind: the full-width space is as much a space to cmd.exe)."""
    folders = PureWindowsPath(path).parts[1:-1]
    wide = [f for f in folders if not f.isascii()]
    spaced = [f for f in folders if " " in f or "\u3000" in f]
    return wide, spaced


def _same_file(a: str, b: str) -> bool:
    return str(PureWindowsPath(a)).casefold() == str(PureWindowsPath(b)).casefold()


# --------------------------------------------------------------------------- the checks


def diagnose(facts: Facts) -> list[Check]:
    """Every check, in the order staff read them."""
    checks = [_python(facts), _xlkit(facts), _xlwings(facts), _pywin32(facts), *_register(facts),
              *_interpreter(facts), _workbook_path(facts), *_conf_files(facts), *_place(facts), _zone(facts), _exports(facts), _pdf(facts)]
    return [c for c in checks if c is not None]


def counts(checks: Iterable[Check]) -> dict[str, int]:
    """How many lines of each result."""
    found = {r: 0 for r in RESULTS}
    for check in checks:
        found[check.result] += 1
    return found


def summary(checks: list[Check]) -> str:
    """The last line: how many need action and how many are to note."""
    n = counts(checks)
    if n[ACTION]:
        return f"要対応が {n[ACTION]} 件、注意が {n[NOTE]} 件あります。要対応の行の「対処」のとおり直してください。"
    if n[NOTE]:
        return f"要対応はありません。注意が {n[NOTE]} 件あります（そのままでも使えます）。"
    return "要対応・注意はありません。"


def exit_code(checks: Iterable[Check]) -> int:
    """0 when nothing needs action, 1 otherwise."""
    return 1 if any(c.result == ACTION for c in checks) else 0


def _name(facts: Facts) -> str:
    return PureWindowsPath(facts.register).name if facts.register else ""


def _upgrade(facts: Facts) -> str:
    return f"Excel で登録簿を閉じてから、コマンドプロンプトで xlkit upgrade \"{facts.register}\" を実行してください。"


def _python(facts: Facts) -> Check:
    version = ".".join(map(str, facts.python))
    detail = f"Python {version} で動いています（場所：{facts.executable}）"
    if ".".join(map(str, facts.python[:2])) in installation.PYTHONS:
        return Check("Python の版", OK, detail)
    supported = f"{installation.PYTHONS[0]}〜{installation.PYTHONS[-1]}"
    return Check("Python の版", ACTION, f"{detail}。xlkit が対応している Python は {supported} です。",
                 f"Python {supported} のどれか（python.org の Windows installer (64-bit)）を入れてから、{SETUP}")


def _xlkit(facts: Facts) -> Check:
    return Check("xlkit の版", OK, f"xlkit {facts.xlkit_version} が入っています（場所：{facts.xlkit_place}）")


def _xlwings(facts: Facts) -> Check:
    item = "xlwings（ボタンと Python の橋渡し）"
    if facts.xlwings is None:
        return Check(item, ACTION, "xlwings が入っていません。ボタンが動かず、ボタン付きの登録簿も作れません。", SETUP)
    installed = f"入っている xlwings は {facts.xlwings} です。"
    if not facts.register:
        return Check(item, OK, installed + "登録簿を指定すると、登録簿のマクロの版と比べます。")
    if facts.problem:
        return Check(item, OK, installed + "登録簿を読めないため、マクロの版とは比べていません。")
    if not facts.macro:
        return Check(item, NA, installed + f"「{_name(facts)}」はボタンのない登録簿（.xlsx）のため、マクロの版はありません。")
    if not facts.vba_project:  # xlkit upgrade refuses such a file: it rebuilds a project, never adds one
        return Check(item, ACTION, installed + facts.vba_problem + "ファイルの無害化でマクロが取り除かれたおそれがあります。",
                     f"ボタン付きの登録簿は、このパソコンで xlkit new \"新しい登録簿.xlsm\" を実行して作り、この登録簿の値を"
                     f"移してください（マクロ付きのファイルは無害化を通りません）。わからないときは{ASK_IT}へ。")
    if facts.vba_problem:
        return Check(item, ACTION, installed + facts.vba_problem, _upgrade(facts) + "マクロを作り直します。")
    if facts.vba_version != facts.xlwings:
        return Check(item, ACTION,
                     installed + f"登録簿のマクロは xlwings {facts.vba_version} 用です。版が違うと、ボタンが動かないか"
                     "エラーになります。", _upgrade(facts) + "マクロを入っている xlwings に合わせて作り直します。")
    return Check(item, OK, installed + "登録簿のマクロと同じ版です。")


def _pywin32(facts: Facts) -> Check:
    item = "pywin32（Excel とのやり取り）"
    if not facts.windows:
        return Check(item, NA, "Windows 以外では使いません。")
    if facts.pywin32:
        return Check(item, ACTION, f"xlwings が Excel とやり取りするのに使う pywin32 を読み込めません（{facts.pywin32}）。"
                     "ボタンが動きません。", SETUP)
    return Check(item, OK, "pywin32 を読み込めます。")


def _register(facts: Facts) -> list[Check]:
    item = "登録簿"
    if not facts.register:
        return [Check(item, NA, "登録簿を指定していません。",
                      "登録簿も確かめるには xlkit doctor \"登録簿.xlsm\" のように指定してください。")]
    if facts.problem:
        return [Check(item, ACTION, facts.problem,
                      "指定した場所と名前を確かめ、内容に書かれた直し方のとおり直してから、もう一度 xlkit doctor を実行して"
                      f"ください。ファイルが壊れているときは、{ASK_IT}にバックアップからの復元を相談してください。")]
    item = "登録簿の形式"
    if facts.format_problem:
        return [Check(item, ACTION, facts.format_problem,
                      f"Excel の「数式」→「名前の管理」で「{formats.NAME}」を元に戻してください（わからないときは{ASK_IT}へ）。")]
    if facts.format is None:
        return []
    if facts.format > formats.CURRENT:
        return [Check(item, ACTION,
                      messages.text("format.newer", ファイル=_name(facts), 形式=facts.format, 対応=formats.CURRENT),
                      f"このパソコンの xlkit を新しいバンドルで更新してください（{ASK_IT}に依頼してください）。"
                      "登録簿は変更しなくて構いません。")]
    if facts.format < formats.CURRENT:
        return [Check(item, ACTION,
                      messages.text("format.older", ファイル=_name(facts), 形式=facts.format, 対応=formats.CURRENT),
                      _upgrade(facts) + "入力した値は変わりません。")]
    return [Check(item, OK, f"形式 {facts.format}（この xlkit の形式です）。")]


def _interpreter(facts: Facts) -> list[Check]:
    item = "ボタンが使う Python"
    standard = installation.INTERPRETER_WIN
    if not facts.register or facts.problem:
        if not facts.windows:
            return [Check("xlkit の Python（標準の場所）", NA,
                          f"Windows 以外では確かめません（Windows のボタンは {standard} を使います）。")]
        place = expand(standard, facts.environ)
        if facts.exists.get(place):
            return [Check("xlkit の Python（標準の場所）", OK, f"{place} があります。")]
        return [Check("xlkit の Python（標準の場所）", ACTION,
                      f"ボタンが使う標準の場所 {standard}（{place}）に Python がありません。", SETUP)]
    if not facts.macro:
        return [Check(item, NA, f"「{_name(facts)}」はボタンのない登録簿（.xlsx）です。")]
    sheet = facts.sheet_conf
    if sheet is None:  # a format this xlkit cannot read: its sheets, xlwings.conf too, stay unread
        return [Check(item, NA, "登録簿の形式を読めないため、シート「xlwings.conf」の設定は確かめていません。",
                      "「登録簿の形式」の行のとおり直してから、もう一度 xlkit doctor を実行してください。")]
    if sheet.problem:
        return [Check(item, ACTION, sheet.problem, f"シート「{sheet.where}」の重なった行を1つにして上書き保存してください。")]
    source, conf, key, value = _effective(facts)
    if not value:
        if conf is None:
            said = "どこにも Python の場所（Interpreter_Win）が設定されていないため、"
            if not sheet.found:
                said = f"シート「{sheet.where}」がありません{_near(sheet)}。" + said
        elif conf is facts.user_conf:
            said = f"{source}の Interpreter_Win が空欄のため、"
        else:  # GetConfig stops at the first place that has the key, blank or not
            said = (f"{source}の Interpreter_Win（{conf.cell or conf.where}）が空欄です。xlwings は最初に見つかった設定を使う"
                    "ため、空欄のままでは後の設定（利用者ごとの %USERPROFILE%\\.xlwings\\xlwings.conf など）も読まれず、")
        return [Check(item, ACTION, said + "ボタンは PATH 上の python を探します。", _set_value(facts))]
    detail = f"{source}の {key} は {value} です"
    if key != "Interpreter_Win":
        detail += "（Interpreter_Win がないか空欄のため、xlwings はこの古い設定名を使います）"
    if value in ON_PATH:
        return [Check(item, ACTION, detail + "。ファイルの場所ではなく「PATH 上の python」という意味で、xlkit のバンドルの Python は"
                      "使われません。ボタンが動かないか、別の Python で動きます。", _set_value(facts))]
    if not facts.windows:
        if _same_file(value, standard):
            return [Check(item, OK, detail + "（xlkit の標準の場所）。Windows ではないため、ファイルがあるかは確かめていません。")]
        return [Check(item, NOTE, detail + f"。xlkit の標準の場所 {standard} ではありません。Windows ではないため、ファイルが"
                      "あるかは確かめていません。", _set_value(facts))]
    place = expand(value, facts.environ)
    if place != value:
        detail += f"（このパソコンでは {place}）"
    if not facts.exists.get(place):
        if '"' in value:  # Explorer's 「パスのコピー」 quotes the path; xlwings takes the quotes as part of the name
            return [Check(item, ACTION, detail + "。値に「\"」が含まれているため、xlwings はそのファイルを見つけられません。"
                          "ボタンを押すとエラーになります。", "値の前後の「\"」を消して上書き保存してください。" + _set_value(facts))]
        return [Check(item, ACTION, detail + "。そのファイルがありません。ボタンを押すとエラーになります。",
                      f"バンドルで xlkit を入れていないなら、{SETUP}別の場所に入れたなら、{_set_value(facts)}")]
    if _same_file(place, facts.executable):
        return [Check(item, OK, detail + "。この診断を実行している Python です。")]
    scripts = PureWindowsPath(place).parent / "xlkit.exe"
    return [Check(item, NOTE, detail + f"。この診断は別の Python（{facts.executable}）で実行しています。ボタンにはそちらの "
                  "xlkit が使われます。",
                  f"ボタンの Python の xlkit を確かめるには \"{scripts}\" doctor \"{facts.register}\" を実行してください。")]


def _near(sheet: Conf) -> str:
    return f"（「{sheet.near}」というシートはありますが、名前が違うため xlwings は読みません）" if sheet.near else ""


def _places(facts: Facts) -> tuple[tuple[str, Conf | None], ...]:
    """Where GetConfig looks, in its order: the sheet, xlwings.conf beside the register, the user's."""
    return ((f"シート「{facts.sheet_conf.where}」" if facts.sheet_conf else "", facts.sheet_conf),
            ("登録簿と同じフォルダの xlwings.conf ", facts.folder_conf),
            ("利用者の設定ファイル ", facts.user_conf))


def _first(facts: Facts, attribute: str) -> tuple[str, Conf | None]:
    """The place GetConfig takes a key from: the first that has it, even blank."""
    for source, conf in _places(facts):
        if conf is not None and getattr(conf, attribute) is not None:
            return source, conf
    return "", None


def _effective(facts: Facts) -> tuple[str, Conf | None, str, str]:
    """The interpreter RunPython starts for this register: the place, the key, the value ("" when
    none is set and cmd.exe is left to find python on PATH). A blank or absent INTERPRETER_WIN
    falls back to the legacy INTERPRETER, looked up through the same places."""
    source, conf = _first(facts, "value")
    if conf is not None and conf.value:
        return source, conf, "Interpreter_Win", conf.value
    legacy_source, legacy = _first(facts, "legacy")
    if legacy is not None and legacy.legacy:
        return legacy_source, legacy, "Interpreter", legacy.legacy
    return source, conf, "Interpreter_Win", ""


def _workbook_path(facts: Facts) -> Check | None:
    """ADD_WORKBOOK_TO_PYTHONPATH: xlwings.utils.prepare_sys_path puts the register's folder on
    sys.path before any xlkit code runs, and only for "true" (its default)."""
    item = f"ブックのフォルダの読み込み（{WORKBOOK_PATH_KEY}）"
    sheet = facts.sheet_conf
    if not facts.register or facts.problem or not facts.macro or sheet is None or sheet.problem:
        return None
    source, conf = _first(facts, "add_workbook")
    value = conf.add_workbook if conf is not None else None
    if value is not None and value.lower() in ("true", "false"):
        value = value.upper()  # as Excel shows the cell; VBA passes it on as "True"/"False"
    if value is not None and value.lower() != "true":
        return Check(item, OK, f"{source}の {WORKBOOK_PATH_KEY} は {value or '空欄'} です（登録簿のフォルダを読み込みません）。")
    said = (f"{source}の {WORKBOOK_PATH_KEY} は {value} です。" if conf is not None else
            f"{WORKBOOK_PATH_KEY} がどこにも設定されていないため、xlwings は既定の TRUE で動きます。")
    if facts.format is not None and facts.format < formats.CURRENT:
        fix = _upgrade(facts) + f"{WORKBOOK_PATH_KEY} が FALSE になります。"
    elif conf is sheet:
        fix = f"登録簿のシート「{sheet.where}」の {sheet.add_workbook_cell} を FALSE にして、上書き保存してください。"
    else:  # the sheet is read first: a row there outweighs any file
        fix = _add_row(sheet, WORKBOOK_PATH_KEY, "FALSE")
    if cloud_place(facts.register, facts.environ) == "onedrive":
        return Check(item, ACTION, said + "xlwings は xlkit が動く前に、OneDrive のアドレスを手元のフォルダに読み替えようとします。"
                     "読み替えられないと、xlkit の案内ではなく英語のエラーで止まります。", fix)
    return Check(item, NOTE, said + "ボタンを押すと登録簿のフォルダが Python に読み込まれ、そこに Python のファイル（例：pandas.py）が"
                 "あると、入っている xlkit の部品の代わりに使われてしまいます。", fix)


def _set_value(facts: Facts) -> str:
    """How to point the buttons at the bundle's Python."""
    standard = installation.INTERPRETER_WIN
    sheet = facts.sheet_conf
    if facts.format is not None and facts.format < formats.CURRENT:
        return _upgrade(facts) + f"Interpreter_Win に標準の場所 {standard} が入ります。"
    if sheet is not None and sheet.cell:
        return f"登録簿のシート「{sheet.where}」の {sheet.cell} に {standard} と入力して、上書き保存してください。"
    if sheet is not None:
        return _add_row(sheet, "Interpreter_Win", standard)
    return f"Excel で登録簿を閉じてから xlkit upgrade \"{facts.register}\" を実行してください。"


def _add_row(sheet: Conf, key: str, value: str) -> str:
    """How to give the xlwings.conf sheet a setting it lacks; the sheet itself when it is missing
    (xlkit upgrade leaves a register of this format without one as it is)."""
    if sheet.near:
        return (f"シート「{sheet.near}」の名前を「{sheet.where}」に直して（xlwings は名前が完全に同じシートしか読みません）、"
                "上書き保存してから、もう一度 xlkit doctor を実行してください。")
    if not sheet.found:
        return (f"登録簿にシートを追加して名前を「{sheet.where}」にし、A1 に {key}、B1 に {value} と入力して、"
                "上書き保存してください。")
    return (f"登録簿のシート「{sheet.where}」の A 列の最後の設定のすぐ下（空いた行をはさまずに）に {key}、"
            f"その右のセルに {value} と入力して、上書き保存してください。")


def _conf_files(facts: Facts) -> list[Check]:
    """The xlwings.conf files that exist, and whether they count for this register."""
    checks = []
    judged = facts.register and facts.macro and not facts.problem and facts.sheet_conf is not None
    _, used, _, effective = _effective(facts) if judged else ("", None, "", "")
    for item, conf in (("利用者の xlwings 設定", facts.user_conf), ("フォルダの xlwings 設定", facts.folder_conf)):
        if conf is None or not conf.found:
            continue
        if conf.problem:
            checks.append(Check(item, NOTE, f"{conf.where} を読めません（{conf.problem}）。",
                                f"{conf.where} を削除するか、{ASK_IT}に確かめてもらってください。"))
            continue
        key, value = ("Interpreter_Win", conf.value) if conf.value is not None else ("Interpreter", conf.legacy)
        if value is None:
            checks.append(Check(item, OK, f"{conf.where} があります（Python の場所の設定はありません）。"))
            continue
        shown = f"{conf.where} の {key} は {value or '空欄'} です。"
        if used is not None and used is not conf and value != effective:
            checks.append(Check(item, NOTE, shown + "この登録簿では、先に読まれる設定が優先されるため使われません。",
                                "ボタンの Python は「ボタンが使う Python」の行のとおりです。"
                                "この設定ファイルを使うのでなければ、そのままで構いません。"))
        else:
            checks.append(Check(item, OK, shown))
    return checks


def _place(facts: Facts) -> list[Check]:
    if not facts.register:
        return []
    path, checks = facts.register, []
    cloud = cloud_place(path, facts.environ)
    item = "保存場所（OneDrive・SharePoint）"
    if cloud == "url":
        checks.append(Check(item, ACTION, f"登録簿が OneDrive・SharePoint の上（{path}）で開かれています。ボタンはこのパソコンの"
                            "フォルダにある登録簿でしか動かず、exports にも保存できません。",
                            "エクスプローラーで同期したフォルダから開くか、登録簿をこのパソコンか共有フォルダ（ネットワークドライブ）に"
                            "コピーして、そちらを開いてください。"))
    elif cloud == "onedrive":
        checks.append(Check(item, NOTE, "登録簿は OneDrive が同期するフォルダにあります。xlwings はこのフォルダを手元の場所に"
                            "読み替えますが、同期が止まっている・ファイルがオンラインのみのときは、ボタンが動かないことがあります。",
                            "ボタンが「OneDrive」「SharePoint」のエラーで止まるときは、登録簿を右クリック →「このデバイス上に常に"
                            "保持する」を選ぶか、OneDrive の外のフォルダに移してください。"))
    else:
        checks.append(Check(item, OK, "OneDrive・SharePoint のフォルダではありません。"))
    wide, spaced = unusual_folders(path)
    # the bundle's Python lives under the user's profile: a Japanese user name puts it in such a folder too
    bundle = expand(installation.INTERPRETER_WIN, facts.environ) if facts.windows else ""
    item = "フォルダ名（日本語・空白）"
    if wide or spaced or not bundle.isascii():
        found = ([f"日本語など（{'、'.join(wide)}）"] if wide else []) + ([f"空白（{'、'.join(spaced)}）"] if spaced else [])
        said = f"登録簿のフォルダ名に{'と'.join(found)}が含まれています。" if found else ""
        if not bundle.isascii():
            said += f"xlkit の Python の場所（{bundle}）にも日本語などが含まれています（Windows のユーザー名）。"
        checks.append(Check(item, NOTE, said + "xlkit 自身（コマンド、ボタンの処理、exports への出力、照会票、ロックファイル）は"
                            "このままで動きます。ボタンから Python を起動する xlwings は、古い版ではこのような名前で起動に失敗した"
                            "ことがあります。",
                            "ボタンを押しても何も起きないか、Python を起動できないと表示されるときだけ、英数字だけの名前のフォルダ"
                            "（例：C:\\Users\\Public\\Documents\\register）に登録簿を移して試し、結果を" + ASK_IT + "に伝えてください。"))
    else:
        checks.append(Check(item, OK, "フォルダ名は英数字だけです。"))
    item = "パスの長さ"
    length, folder = len(path), len(str(PureWindowsPath(path).parent))
    if cloud != "url" and length > EXCEL_PATH_MAX:
        checks.append(Check(item, ACTION, f"登録簿のパスが {length} 文字あります。Excel は {EXCEL_PATH_MAX} 文字を超えるパスの"
                            "ブックを開けず、保存もできません。",
                            "登録簿を浅いフォルダ（例：ドキュメントの直下）に移すか、フォルダ名を短くしてください。"))
    elif cloud != "url" and folder + INSIDE_MAX > WINDOWS_PATH_MAX:
        checks.append(Check(item, NOTE, f"登録簿のフォルダのパスが {folder} 文字あります。xlkit がその中に作るファイル（exports、"
                            f"確定フォルダ、照会票）のパスが Windows の上限（{WINDOWS_PATH_MAX + 1} 文字）を超え、保存できない"
                            "ことがあります。",
                            "保存できないと表示されたら、登録簿を浅いフォルダに移すか、フォルダ名を短くしてください。"))
    else:
        checks.append(Check(item, OK, f"登録簿のパスは {length} 文字です。"))
    return checks


def _zone(facts: Facts) -> Check | None:
    item = "インターネットから来たファイルの印（Mark of the Web）"
    if not facts.register or facts.problem:
        return None
    if not facts.windows:
        return Check(item, NA, "Windows 以外では確かめません。")
    if facts.zone_problem:
        return Check(item, NOTE, f"印（:Zone.Identifier）を読めませんでした（{facts.zone_problem}）。",
                     "ボタンを押すと「マクロの実行がブロックされました」と出るときは、次の手順で許可してください。"
                     + _unblock(facts))
    zone = zone_id(facts.zone) if facts.zone is not None else None
    if zone in BLOCKED_ZONES:
        return Check(item, ACTION, f"登録簿に{BLOCKED_ZONES[zone]}から来たファイルの印（ZoneId={zone}）が付いています。Excel は"
                     "このファイルのマクロを止めるため、ボタンが動きません。", _unblock(facts))
    if facts.zone is None:
        return Check(item, OK, "印は付いていません。")
    if zone is None:
        return Check(item, NOTE, "印（:Zone.Identifier）は付いていますが、どこから来たか（ZoneId）が書かれていません。",
                     "ボタンを押すと「マクロの実行がブロックされました」と出るときは、次の手順で許可してください。"
                     + _unblock(facts))
    return Check(item, OK, f"印はマクロを止めないもの（ZoneId={zone}）です。")


def _unblock(facts: Facts) -> str:
    return ("Excel で登録簿を閉じ、エクスプローラーで登録簿を右クリック →「プロパティ」→「全般」の下の「セキュリティ」の"
            "「許可する」にチェックを入れて「OK」を押してください。または PowerShell で "
            f"Unblock-File -LiteralPath \"{facts.register}\" を実行してください。")


def _exports(facts: Facts) -> Check | None:
    item = "exports への書き込み"
    if not facts.register or not facts.exports_kind:
        return None
    if facts.exports_kind == "file":
        return Check(item, ACTION, f"{facts.exports} はフォルダではなくファイルです。報告書や照会票を保存できません。",
                     "そのファイルの名前を変えるか、別の場所に移してください（exports フォルダは xlkit が作ります）。")
    if facts.exports_problem:
        where = facts.exports if facts.exports_kind == "folder" else str(PureWindowsPath(facts.exports).parent)
        return Check(item, ACTION, f"{where} に書き込めません（{facts.exports_problem}）。報告書・照会票・確定フォルダを"
                     "保存できません。",
                     f"書き込めるようにフォルダのアクセス権を{ASK_IT}に確かめてもらうか、書き込めるフォルダに登録簿を移して"
                     "ください。")
    if facts.exports_kind == "missing":
        return Check(item, OK, f"{facts.exports} はまだありません。最初の出力のときに作ります（登録簿のフォルダに書き込めます）。")
    return Check(item, OK, f"{facts.exports} に書き込めます。")


def _pdf(facts: Facts) -> Check:
    item = "PDF の作成（LibreOffice・Word）"
    word = " Word も入っているため、Word出力した .docx を Word で PDF に保存することもできます。" if facts.word else ""
    if facts.soffice:
        return Check(item, OK, f"LibreOffice（{facts.soffice}）で PDF を作れます（出力の .pdf、年度締めの PDF）。{word}".strip())
    configured = facts.environ.get("XLKIT_SOFFICE")
    if configured:  # xlkit.export.pdf.find_soffice looks nowhere else once it is set
        return Check(item, NOTE, f"環境変数 XLKIT_SOFFICE に {configured} が設定されていますが、そこに soffice がありません。この"
                     "設定があると xlkit はほかの場所の LibreOffice を探さないため、PDF を作れません。Word・Excel 形式の出力はできます。",
                     "XLKIT_SOFFICE を soffice.exe の正しい場所（例：C:\\Program Files\\LibreOffice\\program\\soffice.exe）に直すか、"
                     f"消してください（わからないときは{ASK_IT}へ）。年度締めは xlkit close-year … --no-pdf で行えます。")
    if facts.word:
        return Check(item, NOTE, "LibreOffice がないため、xlkit は PDF を作れません（年度締めのボタンも PDF を作れず止まります）。"
                     "Word は入っているため、Word出力した .docx を Word の「名前を付けて保存」で PDF にできます。",
                     f"年度締めはコマンドプロンプトで xlkit close-year … --no-pdf で行えます。PDF も xlkit で作るには、"
                     f"LibreOffice を入れるよう{ASK_IT}に依頼するか、環境変数 XLKIT_SOFFICE に soffice.exe の場所を設定してください。")
    where = "" if facts.word is None else "Word も見つかりません。"
    return Check(item, NOTE, f"LibreOffice がないため、xlkit は PDF を作れません。{where}Word・Excel 形式の出力はできます。",
                 f"LibreOffice を入れるよう{ASK_IT}に依頼するか、環境変数 XLKIT_SOFFICE に soffice.exe の場所を設定してください。"
                 "年度締めは xlkit close-year … --no-pdf で行えます。")
