"""Open a register in headless LibreOffice through UNO and report on it as JSON.

Run with the system Python that has the `uno` module (python3-uno), not the project's:

    /usr/bin/python3 tests/uno/lo_register.py inspect BOOK.xlsm OUT.json
    /usr/bin/python3 tests/uno/lo_register.py render BOOK.xlsx OUTDIR

inspect: the sheets; the document's Basic libraries and their modules (LibreOffice imports the
VBA project from source); every form control of every sheet with the macro its click event
is bound to; then, with the xlwings module replaced by a stub whose RunPython appends the
string it receives to a file, each button's bound macro is run through the document's script
provider and each sub of our module is run by name, recording what RunPython received.

The stub's GetConfig reads the document's xlwings.conf sheet as xlwings does and expands %VAR%
from LibreOffice's environment, and its FileExists asks the file system (a backslash read as a
folder separator, as on Windows), so that our module's check of the interpreter runs for real:
with LOCALAPPDATA set by the caller (a folder without xlkit/.venv/Scripts/python.exe), the
interpreter is missing; unset, LibreOffice gets a LOCALAPPDATA in its profile that has the file,
a PC where the bundle is installed. The report gives the interpreter the check found and the
message it would show (XlkitMissingInterpreter, empty when the buttons may run).

render: one PDF per visible sheet (a page of each), for pdftoppm to turn into PNG.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import uno
from com.sun.star.beans import PropertyValue

LIBRARY = "VBAProject"
OUR_MODULE = "xlkit"
STUB = """Rem Attribute VBA_ModuleType=VBAModule
Option VBASupport 1
Public Const XLWINGS_VERSION As String = "stub"

Public Function RunPython(PythonCommand As String)
    Record "{path}", PythonCommand
End Function

' xlwings' GetConfig as far as the sheet goes (GetConfigFromSheet): the keys of the xlwings.conf
' sheet from A1 down to the first blank cell, upper-cased, looked up exactly; a key found there, even
' blank, is the answer; else the default. %VAR% is expanded from the environment as
' WScript.ExpandEnvironmentStrings does (an unknown variable is left as written).
Public Function GetConfig(configKey As String, Optional default As String = "", Optional source As String = "") As Variant
    Dim sht As Object, r As Long, value As String, found As Boolean
    Set sht = Nothing
    On Error Resume Next
    Set sht = ThisWorkbook.Worksheets("xlwings.conf")
    On Error GoTo 0
    If Not sht Is Nothing Then
        r = 1
        Do While CStr(sht.Cells(r, 1).Value) <> ""
            If UCase(CStr(sht.Cells(r, 1).Value)) = configKey Then
                value = CStr(sht.Cells(r, 2).Value)
                found = True
                Exit Do
            End If
            r = r + 1
        Loop
    End If
    If Not found Then value = default
    GetConfig = ExpandEnvironmentStrings(value)
End Function

Function ExpandEnvironmentStrings(ByVal s As String) As String
    Dim a As Long, b As Long, name As String, found As String
    a = InStr(1, s, "%")
    Do While a > 0
        b = InStr(a + 1, s, "%")
        If b = 0 Then Exit Do
        name = Mid(s, a + 1, b - a - 1)
        found = Environ(name)
        If found <> "" Then
            s = Left(s, a - 1) & found & Mid(s, b + 1)
            a = InStr(a + Len(found), s, "%")
        Else
            a = InStr(b + 1, s, "%")
        End If
    Loop
    ExpandEnvironmentStrings = s
End Function

' xlwings' FileExistsOnWindows: GetAttr without an error, and not a folder. The PC this stands for
' is Windows: a backslash separates folders.
Function FileExists(ByVal FileSpec As String) As Boolean
    Dim Attr As Long
    FileSpec = Replace(FileSpec, "\\", "/")
    On Error Resume Next
    Attr = GetAttr(FileSpec)
    If Err.Number = 0 Then FileExists = Not ((Attr And vbDirectory) = vbDirectory)
    On Error GoTo 0
End Function

Sub Record(target As String, entry As String)
    Dim f As Integer
    f = FreeFile
    Open target For Append As #f
    Print #f, entry
    Close #f
End Sub
"""


def _pv(name, value):
    prop = PropertyValue()
    prop.Name, prop.Value = name, value
    return prop


class Office:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="xlkit-lo-")
        self.pipe = f"xlkit_{os.getpid()}"
        env = dict(os.environ)
        if "LOCALAPPDATA" not in env:
            # a PC where the bundle is installed: the interpreter the registers name exists
            env["LOCALAPPDATA"] = os.path.join(self.profile, "LocalAppData")
            scripts = os.path.join(env["LOCALAPPDATA"], "xlkit", ".venv", "Scripts")
            os.makedirs(scripts)
            open(os.path.join(scripts, "python.exe"), "w").close()
        self.proc = subprocess.Popen(
            ["soffice", "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
             f"-env:UserInstallation=file://{self.profile}", f"--accept=pipe,name={self.pipe};urp;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        self.localappdata = env["LOCALAPPDATA"]
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.time() + 60
        while True:
            try:
                self.ctx = resolver.resolve(f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("LibreOffice did not start")
                time.sleep(0.2)
        self.desktop = self.ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", self.ctx)

    def open(self, path):
        url = uno.systemPathToFileUrl(os.path.abspath(path))
        # 4 = ALWAYS_EXECUTE_NO_WARN: the document's macros may run without a prompt
        return self.desktop.loadComponentFromURL(url, "_blank", 0, (_pv("Hidden", True), _pv("MacroExecutionMode", 4)))

    def close(self):
        try:
            self.desktop.terminate()
        except Exception:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def _controls(doc):
    out = []
    sheets = doc.Sheets
    for i in range(sheets.Count):
        sheet = sheets.getByIndex(i)
        forms = sheet.DrawPage.Forms
        for f in range(forms.Count):
            form = forms.getByIndex(f)
            for c in range(form.Count):
                control = form.getByIndex(c)
                events = [
                    {"listener": e.ListenerType, "method": e.EventMethod, "type": e.ScriptType, "code": e.ScriptCode}
                    for e in form.getScriptEvents(c)
                ]
                out.append({
                    "sheet": sheet.Name, "name": control.Name,
                    "label": getattr(control, "Label", None), "events": events,
                })
    return out


def _validation(doc):
    """The validation of row 2 of every column of the two register sheets: type, formula, alert style."""
    out = {}
    for name in ("外部結合", "審議案件"):
        if not doc.Sheets.hasByName(name):
            continue
        sheet = doc.Sheets.getByName(name)
        cols = []
        for c in range(40):
            header = sheet.getCellByPosition(c, 0).getString()
            if not header:
                break
            v = sheet.getCellByPosition(c, 1).Validation
            cols.append({"header": header, "type": v.Type.value, "formula1": v.getFormula1(),
                         "alert": v.ErrorAlertStyle.value, "show_input": v.ShowInputMessage,
                         "input": v.InputMessage, "show_error": v.ShowErrorMessage})
        out[name] = cols
    return out


def _lists(doc):
    """Each master list name: its size, then its size after one more entry is typed below the last."""
    out = {}
    names = doc.NamedRanges
    scratch_name = "xlkit_scratch"
    doc.Sheets.insertNewByName(scratch_name, doc.Sheets.Count)
    scratch = doc.Sheets.getByName(scratch_name)
    for i, name in enumerate(names.ElementNames):
        if not name.endswith("一覧"):
            continue
        master = name[: -len("一覧")]
        cell = scratch.getCellByPosition(0, i)
        cell.setFormula(f"=ROWS({name})")
        doc.calculateAll()
        before = cell.getValue()
        sheet = doc.Sheets.getByName(master)
        last = 0
        while sheet.getCellByPosition(0, last + 1).getString():
            last += 1
        sheet.getCellByPosition(0, last + 1).setString("テスト追加")
        doc.calculateAll()
        first_entry = scratch.getCellByPosition(1, i)
        first_entry.setFormula(f"=INDEX({name};ROWS({name});1)")
        doc.calculateAll()
        out[name] = {"content": names.getByName(name).Content, "before": before, "after": cell.getValue(),
                     "last": first_entry.getString(), "rows_on_sheet": last}
    return out


def _run(provider, url, record):
    before = _read(record)
    error = None
    try:
        provider.getScript(url).invoke((), (), ())
    except Exception as e:  # report, do not stop: the test says which one failed
        error = f"{type(e).__name__}: {e}"
    return {"url": url, "received": _read(record)[len(before):], "error": error}


def _call(provider, function, *args):
    """What a function of our module returns, called through the script provider."""
    url = f"vnd.sun.star.script:{LIBRARY}.{OUR_MODULE}.{function}?language=Basic&location=document"
    try:
        return {"value": provider.getScript(url).invoke(args, (), ())[0], "error": None}
    except Exception as e:
        return {"value": None, "error": f"{type(e).__name__}: {e}"}


def _read(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8", errors="replace") as f:
        return [line.rstrip("\r\n") for line in f]


def inspect(office, path, out):
    doc = office.open(path)
    report = {"sheets": list(doc.Sheets.ElementNames), "libraries": {}, "controls": _controls(doc)}
    libraries = doc.BasicLibraries
    for name in libraries.ElementNames:
        libraries.loadLibrary(name)
        report["libraries"][name] = list(libraries.getByName(name).ElementNames)
    report["protected"] = {name: doc.Sheets.getByName(name).isProtected() for name in report["sheets"]}
    report["validation"] = _validation(doc)
    report["lists"] = _lists(doc)
    lib = libraries.getByName(LIBRARY) if libraries.hasByName(LIBRARY) else None
    report["module"] = lib.getByName(OUR_MODULE) if lib is not None and lib.hasByName(OUR_MODULE) else None
    report["button_runs"], report["sub_runs"], report["interpreter"] = [], [], {}
    if lib is not None:
        record = os.path.join(office.profile, "runpython.txt")
        # Stub the xlwings side: RunPython records its argument, GetConfig reads the xlwings.conf
        # sheet and FileExists the file system, so that our module's check of the interpreter runs
        # for real. The Mac-only Dictionary class does not
        # compile in LibreOffice Basic and would stop the whole library from compiling.
        lib.replaceByName("xlwings", STUB.format(path=record))
        if lib.hasByName("Dictionary"):
            lib.removeByName("Dictionary")
        provider = doc.getScriptProvider()
        for control in report["controls"]:
            for event in control["events"]:
                if event["method"] == "actionPerformed":
                    report["button_runs"].append({"label": control["label"], **_run(provider, event["code"], record)})
        for sub in re.findall(r"(?im)^\s*(?:public\s+)?sub\s+(\w+)\s*\(", report["module"] or ""):
            url = f"vnd.sun.star.script:{LIBRARY}.{OUR_MODULE}.{sub}?language=Basic&location=document"
            report["sub_runs"].append({"sub": sub, **_run(provider, url, record)})
        # what the check of the interpreter decides and the message box it would show: LibreOffice's own
        # MsgBox cannot be stubbed (a built-in wins over a module's function of its name) and shows
        # nothing headless, so the message is taken from the function the subs hand to MsgBox
        report["interpreter"] = {name: _call(provider, name) for name in ("XlkitInterpreter", "XlkitMissingInterpreter")}
        report["interpreter"]["title"] = _call(provider, "XlkitText", "interpreter_missing_title")
        report["localappdata"] = office.localappdata
    doc.close(True)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(report, f, ensure_ascii=False, indent=1)


def render(office, path, outdir):
    doc = office.open(path)
    os.makedirs(outdir, exist_ok=True)
    written = {}
    shown = [name for name in doc.Sheets.ElementNames if doc.Sheets.getByName(name).IsVisible]
    for i, name in enumerate(shown):  # a hidden sheet (the buttons' texts) is never printed
        sheet = doc.Sheets.getByName(name)
        # Buttons are not printed (PrintObject False, as in Excel); print them here to see them.
        page = sheet.DrawPage
        for s in range(page.Count):
            shape = page.getByIndex(s)
            shape.Printable = True
            if hasattr(shape, "Control"):
                shape.Control.Printable = True
        pdf = os.path.join(outdir, f"sheet{i + 1:02d}.pdf")
        data = uno.Any("[]com.sun.star.beans.PropertyValue", (_pv("Selection", sheet),))
        doc.storeToURL(uno.systemPathToFileUrl(pdf), (_pv("FilterName", "calc_pdf_Export"), _pv("FilterData", data)))
        written[name] = pdf
    doc.close(True)
    with open(os.path.join(outdir, "sheets.json"), "w", encoding="utf-8") as f:
        json.dump(written, f, ensure_ascii=False, indent=1)


def main(argv):
    command, path, out = argv[1:4]
    office = Office()
    try:
        {"inspect": inspect, "render": render}[command](office, path, out)
    finally:
        office.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
