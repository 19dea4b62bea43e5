"""PDF conversion leaves nothing behind: LibreOffice, the gpg helpers it starts and its profile go
with xlkit, however xlkit ends (done, LibreOffice failing, timeout, Ctrl+C, SIGTERM, SIGKILL); and
the characters no installed font has are told before the conversion.

The process tests run with a private temporary folder and look for processes through /proc:
anything whose command line or environment names that folder (LibreOffice, the guardian, gpg
helpers, which inherit LibreOffice's environment) and anything in the sessions those ran in
(the gpg helpers once they are zombies, whose command line is gone).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from xlkit.errors import XlkitError
from xlkit.export import api, pdf, soffice_guard
from xlkit.export.model import Cell, Document, Para, Sheet, Table, TableColumn
from support import REPO, needs_soffice, said

LINUX = Path("/proc/self/stat").exists()
needs_proc = pytest.mark.skipif(not LINUX, reason="processes are looked up in /proc")
EXPORT = "import sys; from xlkit.cli import main; sys.exit(main())"
HIEROGLYPH = "\U00013000"  # EGYPTIAN HIEROGLYPH A001: no font of a Japanese office PC has it


# --- looking at processes -----------------------------------------------------------------------

def _stat(pid: int) -> tuple[int, int] | None:
    """(session id, start time) of `pid`, or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    fields = raw[raw.rindex(b")") + 2:].split()
    return int(fields[3]), int(fields[19])


def _mentions(pid: int, needle: bytes) -> bool:
    for part in ("cmdline", "environ"):
        try:
            if needle in Path(f"/proc/{pid}/{part}").read_bytes():
                return True
        except OSError:
            pass
    return False


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


class Watch:
    """Records, while a conversion runs, every process naming `folder` and the sessions they are in."""

    def __init__(self, folder: Path, sessions=()):
        self.needle = str(folder).encode()
        self.seen: set[tuple[int, int]] = set()  # (pid, start time): a reused pid is another process
        self.names: set[str] = set()
        self.sessions: set[int] = set(sessions)
        self.soffice = threading.Event()  # LibreOffice itself is running
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()

    def _run(self):
        me, mine = os.getpid(), os.getsid(0)  # this test's own session holds far more than the conversion
        while not self._done.is_set():
            for pid in _pids():
                if pid == me or not _mentions(pid, self.needle):
                    continue
                stat = _stat(pid)
                if stat is None:
                    continue
                self.seen.add((pid, stat[1]))
                try:
                    self.names.add(Path(f"/proc/{pid}/comm").read_text().strip())
                except OSError:
                    pass
                if stat[0] != mine:
                    self.sessions.add(stat[0])
                try:
                    if b"soffice" in Path(f"/proc/{pid}/cmdline").read_bytes():
                        self.soffice.set()
                except OSError:
                    pass
            time.sleep(0.02)

    def left(self) -> list[str]:
        """The processes of the conversion still there (zombies too), as "pid name" lines."""
        me = os.getpid()
        found = []
        for pid in _pids():
            stat = _stat(pid)
            if stat is None or pid == me:
                continue
            if (pid, stat[1]) in self.seen or stat[0] in self.sessions or _mentions(pid, self.needle):
                try:
                    found.append(f"{pid} {Path(f'/proc/{pid}/comm').read_text().strip()}")
                except OSError:
                    pass
        return found


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(("xlkit-lo-", "xlkit-pdf-")))


def settle(check, seconds: float):
    """`check()` once it is falsy, or its last value after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if not value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


# --- a register and a child xlkit ---------------------------------------------------------------

@pytest.fixture(scope="module")
def register(tmp_path_factory, make_register, make_linkage) -> Path:
    folder = tmp_path_factory.mktemp("register")
    return make_register(folder / "r.xlsx", [make_linkage(i) for i in range(1, 4)])


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """A temporary folder of this test's own, for children (TMPDIR) and for this process."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def start_export(register: Path, out: Path, tmp: Path) -> subprocess.Popen:
    """`xlkit export linkages` in a child with TMPDIR=tmp, in a session of its own (its helpers
    that stay in that session are then found by it)."""
    return subprocess.Popen(
        [sys.executable, "-c", EXPORT, "export", "linkages", str(register), "--year", "2020", "--out", str(out)],
        cwd=REPO, env={**os.environ, "TMPDIR": str(tmp)}, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.fixture(scope="module")
def docx_source(tmp_path_factory, register) -> Path:
    from xlkit.workbook.reader import load

    return api.export_linkages(load(register), 2020, tmp_path_factory.mktemp("docx") / "r.docx")


# --- the process tests --------------------------------------------------------------------------

@needs_soffice
@needs_proc
def test_normal_export_leaves_no_process_and_no_folder(register, private_tmp, tmp_path):
    """Not even the gpg helpers LibreOffice starts (they were still there after the export); and the
    folders of a run that died without cleaning up are swept, those of live processes kept."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (private_tmp / f"xlkit-lo-{dead.pid}-abc123" / "user").mkdir(parents=True)
    (private_tmp / f"xlkit-pdf-{dead.pid}-def456").mkdir()
    (private_tmp / f"xlkit-lo-{os.getppid()}-alive").mkdir()
    out = tmp_path / "r.pdf"
    child = start_export(register, out, private_tmp)
    with Watch(private_tmp, sessions={child.pid}) as watch:
        _, err = child.communicate(timeout=120)
    assert child.returncode == 0, err.decode()
    assert out.read_bytes()[:5] == b"%PDF-"
    assert watch.soffice.is_set()  # the watch saw LibreOffice, so it would see what it leaves
    assert settle(watch.left, 0.5) == []
    assert leftovers(private_tmp) == [f"xlkit-lo-{os.getppid()}-alive"]


@needs_soffice
@needs_proc
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killed_export_takes_libreoffice_and_its_folders_along(register, private_tmp, tmp_path, how):
    child = start_export(register, tmp_path / "r.pdf", private_tmp)
    with Watch(private_tmp, sessions={child.pid}) as watch:
        try:
            assert watch.soffice.wait(60), "LibreOffice never started"
            time.sleep(0.2)  # well into the conversion
        finally:
            child.send_signal(how)
            child.communicate()
        # SIGKILL kills; SIGTERM is caught by the command and ends it as Ctrl+C does (xlkit.cli)
        assert child.returncode == (-how if how == signal.SIGKILL else 128 + how)
        assert settle(watch.left, 5) == []
    assert settle(lambda: leftovers(private_tmp), 5) == []


@needs_soffice
@needs_proc
def test_timeout_stops_libreoffice_and_says_so_in_japanese(docx_source, private_tmp, tmp_path):
    with Watch(private_tmp) as watch, pytest.raises(XlkitError) as err:
        pdf.convert(docx_source, tmp_path, timeout=0.5)
    assert watch.seen  # the guardian and LibreOffice had started
    assert settle(watch.left, 0.5) == []
    assert leftovers(private_tmp) == []
    assert not (tmp_path / "r.pdf").exists()
    assert "0.5 秒で終わりませんでした" in said(err.value)


@needs_soffice
@needs_proc
def test_ctrl_c_during_conversion_stops_libreoffice(docx_source, private_tmp, tmp_path, monkeypatch):
    """Ctrl+C arrives as KeyboardInterrupt while xlkit waits for the guardian; raised here by that
    wait itself once LibreOffice runs (a real SIGINT could land after the conversion, or in pytest)."""
    communicate = subprocess.Popen.communicate
    interrupted = []

    def interrupting(proc, *args, **kwargs):
        if not interrupted and "soffice_guard" in str(proc.args):
            interrupted.append(watch.soffice.wait(60))
            raise KeyboardInterrupt
        return communicate(proc, *args, **kwargs)

    with Watch(private_tmp) as watch:
        with monkeypatch.context() as patched, pytest.raises(KeyboardInterrupt):
            patched.setattr(subprocess.Popen, "communicate", interrupting)
            pdf.convert(docx_source, tmp_path, timeout=120)
        assert interrupted == [True]
        assert settle(watch.left, 0.5) == []
    assert leftovers(private_tmp) == []


@needs_soffice
@needs_proc
def test_libreoffice_failing_is_said_in_japanese_and_cleaned_up(private_tmp, tmp_path):
    with Watch(private_tmp) as watch, pytest.raises(XlkitError) as err:
        pdf.convert(tmp_path / "存在しない.docx", tmp_path)
    assert "PDF に変換できませんでした" in said(err.value)
    assert watch.seen
    assert settle(watch.left, 0.5) == []
    assert leftovers(private_tmp) == []


@needs_proc
def test_libreoffice_that_cannot_be_started_is_said_in_japanese(private_tmp, tmp_path, monkeypatch):
    not_a_program = tmp_path / "soffice"
    not_a_program.write_text("")
    not_a_program.chmod(0o644)
    monkeypatch.setenv("XLKIT_SOFFICE", str(not_a_program))
    with pytest.raises(XlkitError) as err:
        pdf.convert(tmp_path / "r.docx", tmp_path)
    assert "LibreOffice を起動できませんでした（" in said(err.value)
    assert leftovers(private_tmp) == []


def test_sweep_keeps_folders_of_live_processes_and_of_unknown_owners(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    names = [f"xlkit-lo-{dead.pid}-a", f"xlkit-pdf-{dead.pid}-b", f"xlkit-lo-{os.getpid()}-c",
             f"xlkit-pdf-{os.getppid()}-d", "xlkit-lo-olderstyle", f"other-{dead.pid}-e"]
    for name in names:
        (tmp_path / name / "sub").mkdir(parents=True)
    removed = pdf.sweep_leftovers(tmp_path)
    assert sorted(p.name for p in removed) == names[:2]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[2:])


def test_temporary_folders_carry_the_process_id():
    with pdf.work_folder() as work:
        assert Path(work).name.startswith(f"xlkit-pdf-{os.getpid()}-")


# --- the guardian alone (no LibreOffice: any command stands in for it) ----------------------------

class Guard:
    """The guardian running `command`, as pdf.convert starts it: this test holds its lifeline."""

    def __init__(self, profile: Path, *command: str, scratch: Path | None = None):
        args = [sys.executable, "-I", str(Path(soffice_guard.__file__)), "--profile", str(profile)]
        if scratch is not None:
            args += ["--scratch", str(scratch)]
        lifeline, self.hold = os.pipe()
        self.proc = subprocess.Popen([*args, "--", *command], stdin=lifeline, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True)
        os.close(lifeline)

    def wait(self) -> tuple[int, str]:
        """(exit code, stderr) once the guardian is done; then the lifeline goes."""
        try:
            _, err = self.proc.communicate(timeout=30)
        finally:
            self.let_go()
        return self.proc.returncode, err.decode()

    def let_go(self) -> None:
        if self.hold is not None:
            os.close(self.hold)
            self.hold = None


@needs_proc
def test_guardian_hands_back_exit_code_and_output_and_removes_the_profile(tmp_path):
    profile = tmp_path / "xlkit-lo-1-x"
    (profile / "user").mkdir(parents=True)
    code, err = Guard(profile, "sh", "-c", 'echo "$GNUPGHOME $TMPDIR"; exit 3').wait()
    assert code == 3
    assert err.split() == [str(profile / "gnupg"), str(profile / "tmp")]
    assert not profile.exists()


@needs_proc
def test_guardian_kills_what_its_command_left_running(tmp_path):
    """A helper that made itself a session of its own and outlived its parent, as gpg-agent does."""
    profile = tmp_path / "xlkit-lo-1-x"
    profile.mkdir()
    with Watch(profile) as watch:
        assert Guard(profile, "sh", "-c", "setsid sleep 60 & sleep 0.3").wait()[0] == 0
        assert {"sh", "sleep"} <= watch.names  # the guardian's command and the helper were seen
        assert settle(watch.left, 0.5) == []
    assert not profile.exists()


@needs_proc
def test_guardian_kills_a_gpg_agent_started_for_the_profile(tmp_path):
    if shutil.which("gpg-connect-agent") is None or shutil.which("gpg-agent") is None:
        pytest.skip("gpg is not installed")
    profile = tmp_path / "xlkit-lo-1-x"
    profile.mkdir()
    with Watch(profile) as watch:
        code, err = Guard(profile, "sh", "-c", 'gpg-connect-agent "GETINFO pid" /bye && sleep 0.5').wait()
        assert code == 0, err
        assert "gpg-agent" in watch.names
        assert settle(watch.left, 0.5) == []
    assert not profile.exists()


@needs_proc
def test_guardian_stops_everything_when_xlkit_goes(tmp_path):
    profile, scratch = tmp_path / "xlkit-lo-1-x", tmp_path / "xlkit-pdf-1-y"
    profile.mkdir()
    scratch.mkdir()
    with Watch(profile) as watch:
        guard = Guard(profile, "sh", "-c", "sleep 60 & setsid sleep 60 & sleep 60", scratch=scratch)
        deadline = time.monotonic() + 30
        while len(watch.seen) < 5 and time.monotonic() < deadline:  # the guardian, sh, three sleeps
            time.sleep(0.02)
        guard.let_go()  # what the kernel does for a killed xlkit
        assert guard.wait()[0] == soffice_guard.ABANDONED
        assert settle(watch.left, 0.5) == []
    assert not profile.exists() and not scratch.exists()


# --- characters no font has ---------------------------------------------------------------------

def test_fontconfig_charsets_are_read_as_merged_ranges():
    text = "20-7e a0 a1-ff\n\n3000-303f 7f-9f\n3040-309f zz 1f600-1f64f\n"
    assert pdf.parse_charsets(text) == [(0x20, 0xFF), (0x3000, 0x309F), (0x1F600, 0x1F64F)]
    assert pdf.parse_charsets("") == []


def test_coverage_comes_from_fc_list_and_is_unknown_without_it(monkeypatch):
    monkeypatch.setattr(pdf, "_fontconfig", lambda *args: "20-7e\n3000-30ff 4e00-9fff\n" if "fc-list" in args[0] else "")
    monkeypatch.setattr(pdf.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(pdf.sys, "platform", "linux")
    assert pdf._coverage.__wrapped__() == ([0x20, 0x3000, 0x4E00], [0x7E, 0x30FF, 0x9FFF])
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    assert pdf._coverage.__wrapped__() is None
    monkeypatch.setattr(pdf.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(pdf.sys, "platform", "win32")  # LibreOffice draws with Windows' fonts there
    assert pdf._coverage.__wrapped__() is None


def test_uncovered_characters(monkeypatch):
    monkeypatch.setattr(pdf, "_coverage", lambda: ([0x20, 0x3000, 0x4E00], [0x7E, 0x30FF, 0x9FFF]))
    assert pdf.uncovered("野家 A\n\t\x0b𠮷" + HIEROGLYPH + "野") == {"𠮷", HIEROGLYPH}
    assert pdf.uncovered("") == set()
    monkeypatch.setattr(pdf, "_coverage", lambda: None)
    assert pdf.uncovered("𠮷") is None


def test_lost_characters_of_a_report_are_those_the_pages_show(monkeypatch):
    monkeypatch.setattr(pdf, "_coverage", lambda: ([0x20], [0x7E]))  # ASCII only
    report = Document("題名①", "portrait", {}, author="作成者②", sheets=[Sheet("シート③", [
        Para("Ab\nあ"),
        Table([TableColumn(10)], header=[["い"]], rows=[["う"], [Cell("え")], [Cell("お", merge_up=True)]]),
    ])])
    assert api.lost_characters(report) == set("あいうえ")
    monkeypatch.setattr(pdf, "_coverage", lambda: None)
    assert api.lost_characters(report) is None


def test_on_lost_hears_of_lost_characters_before_the_conversion(monkeypatch, tmp_path):
    from xlkit.export.layout import load

    monkeypatch.setattr(pdf, "_coverage", lambda: ([0x20], [0x7E]))
    monkeypatch.setattr(pdf, "convert", lambda *a, **k: pytest.fail("converted"))
    report = Document("t", "portrait", {"top": 20, "bottom": 20, "left": 20, "right": 20},
                      [Sheet("s", [Para("業務名 𠮷野家")])])

    heard = []

    def refuse(lost):
        heard.append(lost)
        raise XlkitError("表示できない文字があります")

    with pytest.raises(XlkitError, match="表示できない"):
        api.render(report, tmp_path / "r.pdf", load(), on_lost=refuse)
    assert heard == [set("業務名𠮷野家")] and list(tmp_path.iterdir()) == []
    heard.clear()
    api.render(report, tmp_path / "r.docx", load(), on_lost=heard.append)  # Word has the user's fonts
    assert heard == [] and (tmp_path / "r.docx").is_file()


@needs_soffice
def test_a_character_no_font_has_is_reported_for_a_real_export(tmp_path, make_register, make_linkage):
    """LibreOffice draws such a character as an empty box; the export says which before converting."""
    if not pdf.uncovered(HIEROGLYPH):
        pytest.skip("fontconfig cannot tell, or a font here has U+13000")
    from xlkit.workbook.reader import load

    register = make_register(tmp_path / "r.xlsx", [make_linkage(1, business=f"𠮷野家{HIEROGLYPH}の事務"),
                                                   make_linkage(2)])
    heard: list[set[str]] = []
    out = api.export_linkages(load(register), 2020, tmp_path / "r.pdf", on_lost=heard.append)
    assert out.read_bytes()[:5] == b"%PDF-"
    assert len(heard) == 1 and HIEROGLYPH in heard[0]
    assert not heard[0] & set("野家の事務")
    assert heard[0] <= {HIEROGLYPH, "𠮷"}  # 𠮷 too, where no font here has it


@needs_soffice
def test_the_command_names_the_register_cells_whose_characters_the_pdf_loses(tmp_path, make_register, make_linkage,
                                                                             capsys, monkeypatch):
    """The warning staff read: which character, and which cells of the register hold it (the
    coverage is given here, so the test does not depend on this machine's fonts)."""
    from xlkit.cli import main

    monkeypatch.setattr(pdf, "uncovered", lambda chars: {c for c in chars if c == HIEROGLYPH})
    register = make_register(tmp_path / "r.xlsx", [make_linkage(1, business=f"事務{HIEROGLYPH}"),
                                                   make_linkage(2, partner=f"相手{HIEROGLYPH}"), make_linkage(3)])
    code = main(["export", "linkages", str(register), "--out", str(tmp_path / "r.pdf")])
    err = capsys.readouterr().err
    assert code == 0 and (tmp_path / "r.pdf").is_file()
    [line] = [x for x in err.splitlines() if "U+13000" in x]
    assert line.startswith("注意") and "外部結合!D2" in line and "外部結合!J3" in line and "外部結合!D4" not in line
    assert "xlkit validate" not in err  # the figures' hint: validation says nothing of fonts
    # a Word report keeps every character: nothing to say
    assert main(["export", "linkages", str(register), "--out", str(tmp_path / "r.docx")]) == 0
    assert "U+13000" not in capsys.readouterr().err


@needs_soffice
def test_the_sample_reports_lose_no_character_with_the_fonts_ci_installs(tmp_path):
    """The published 資料's ⑴ ⑵ ⑶ came out as boxes with IPAex alone; .ci/run installs Noto CJK."""
    from xlkit import tasks
    from xlkit.workbook.reader import load
    from support import SAMPLE

    if pdf.uncovered("⑴") is None:
        pytest.skip("this PC cannot tell which characters its fonts have")
    book = load(SAMPLE)
    for export in (tasks.export_linkages, tasks.export_cases):
        written = export(book, tmp_path / f"{export.__name__}.pdf")
        assert written.lost == [], written.lost
