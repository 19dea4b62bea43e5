"""照会票: `survey` of every 課 from a big register, then `collect` of the answered forms into it.

    python benchmarks/bench_survey.py [--rows 10000] [--divisions 40] [--year 2021] [--keep DIR] [--profile]

Targets (the survey issue): survey of 40 課 from a 10,000-row register in ≤ 5 s, and collect of
40 forms into it in ≤ 3 s.

1. A register of the current format is built (xlkit.workbook.builder.build) with --rows linkages
   spread evenly over --divisions 課 (the 36 of schemas/masters.json and more), realistic
   values: start dates from 2006 to --year (most as date cells, some as 和暦 text), 計上年度 the
   年度 of the start (a few later, with 記載漏れ), some rows ended before 年度 N, ○ marks, 関連審議案件
   on the rows of approved cases; 審議案件 has approved 外部結合 cases still without a linkage, so
   that some forms have pre-listed cases. 設定: 報告年度 = --year.
2. survey: `inquiry_tasks.survey(reader.load(path), out_dir, year=N)`; the load and the survey are timed
   apart (target: their sum).
3. The forms are answered as a 課 would, with openpyxl, untimed: on 継続中の外部結合 an end date
   typed as text (R3.9.30) on one row; on 新規の外部結合 one or two new rows (a pre-listed case
   completed where there is one); the 回答者 block of 記入のしかた. Columns are found by their headers.
4. collect: `inquiry_tasks.collect(copy, [forms_dir], year=N)` on a copy of the register — read, plan,
   write through the register writer, 変更履歴, 回答状況 — then, untimed, the outcome counts and
   `tasks.validate` of the written copy (0 errors expected).

Each step runs in its own process, forked from this small one, so that its peak resident set
(ru_maxrss, shown with what the imports alone took) is its own. The times exclude Python's
start-up and imports. A missed target prints a cProfile of that step (--profile: always). The
benchmark reports; it exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SURVEY_TARGET = 5.0
COLLECT_TARGET = 3.0
PROFILE_LINES = 30

# 課 beyond the 36 of schemas/masters.json, with their 実施機関
EXTRA_DIVISIONS = [("地域コミュニティ課", "区長"), ("障害者福祉課", "区長"), ("ごみ減量リサイクル課", "区長"),
                   ("中央図書館", "教育委員会")]
PARTNERS = ["地方公共団体情報システム機構", "LGWAN-ASPサービス提供者", "国民健康保険中央会", "東京都国民健康保険団体連合会",
            "日本年金機構", "厚生労働省", "デジタル庁", "東京都", "特別区人事・厚生事務組合", "東日本電信電話株式会社"] + [
            f"株式会社サービス{i:02d}" for i in range(30)]
VERBS = ["給付", "収納", "賦課", "申請受付", "通知書作成", "資格管理", "予約", "相談記録"]


def mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dotted(day) -> str:
    """A date as staff type it: R3.9.30."""
    from xlkit.dates import format_dotted

    return format_dotted(day).replace(" ", "")


# --------------------------------------------------------------------------- 1. the register


def divisions(count: int) -> list[tuple[str, str]]:
    from xlkit import schema

    seed = [tuple(d) for d in schema.masters()["課"]] + EXTRA_DIVISIONS
    seed += [(f"特命担当課{k}", "区長") for k in range(1, count - len(seed) + 1)]
    return seed[:count]


def register_rows(rows: int, division_count: int, year: int, seed: int = 7) -> tuple[list, list, list]:
    """(linkages, cases, 課) of the register: dicts of schema key -> value, as builder.build takes them."""
    import datetime as dt
    import random

    from xlkit.dates import fiscal_year, nendo
    from xlkit.pasted_table import id_prefix

    rng = random.Random(seed)
    chart = divisions(division_count)
    first = dt.date(2006, 4, 1)
    last = dt.date(year, 12, 31)  # rows of 年度 N already typed before the survey
    span = (last - first).days
    numbers: dict[int, int] = {}
    linkages = []
    for i in range(rows):
        division, body = chart[i % len(chart)]
        start = first + dt.timedelta(days=rng.randrange(span + 1))
        fy = fiscal_year(start)
        end = None
        if rng.random() < 0.25:  # a quarter ended, each before 年度 N began
            end = start + dt.timedelta(days=rng.randrange(180, 3000))
            if end > dt.date(year, 3, 31):
                end = None
        row = {"body": body, "division": division,
               "business": f"{VERBS[i % len(VERBS)]}業務{i // len(chart):04d}",
               "reason": f"事務の効率化と正確性の向上のため、{rng.choice(PARTNERS)}のシステムと結合する必要があるため",
               "subjects": rng.choice(["住民基本台帳に記載されている者", "国民健康保険の被保険者", "児童手当の受給者",
                                       "介護保険の被保険者", "区民税の納税義務者", "申請者"]),
               "items": rng.choice(["氏名、住所、生年月日、性別", "氏名、住所、電話番号、口座情報",
                                    "氏名、生年月日、個人番号、所得情報", "氏名、住所、資格情報"]),
               "basis": f"{nendo(fy)}第{rng.randrange(1, 8)}回審議会承認",
               "partner": rng.choice(PARTNERS),
               "start": start if rng.random() < 0.85 else dotted(start),  # most as date cells, some as text
               "fiscal_year": fy}
        if end is not None:
            row["end"] = end
        if fy < year and end is None and rng.random() < 0.02:  # counted a year late, with the reason
            row["fiscal_year"] = fy = fy + 1
            row["note"] = "記載漏れ"
        if rng.random() < 0.3:
            row["my_number"] = True
        if rng.random() < 0.03:
            row["consent"] = True
        numbers[fy] = numbers.get(fy, 0) + 1
        row["id"] = f"{id_prefix(fy)}-{numbers[fy]:03d}"
        linkages.append(row)

    # 審議案件: from 年度 N−2 on, each approved 外部結合 case is cited by a linkage of its 課 …
    cases = []
    per_year: dict[int, int] = {}

    def add_case(fy: int, division: str, categories: list[str], result: str = "承認") -> dict:
        per_year[fy] = per_year.get(fy, 0) + 1
        no = per_year[fy]
        case = {"fiscal_year": fy, "no": no, "title": f"{division}の{VERBS[no % len(VERBS)]}に係る外部結合について",
                "divisions": [division], "categories": categories, "meeting": f"第{no % 6 + 1}回",
                "submitted_on": dt.date(fy, 4, 10) + dt.timedelta(days=(no * 7) % 300), "result": result}
        cases.append(case)
        return case

    for fy in range(year - 12, year - 2):  # older cases: before the practice of citing them
        for k in range(8):
            add_case(fy, chart[(fy + k) % len(chart)][0], ["外部結合"] if k % 2 else ["業務委託"])
    for row in linkages:
        if row["fiscal_year"] >= year - 2 and not row.get("note") and len(cases) < 200 and rng.random() < 0.1:
            case = add_case(row["fiscal_year"], row["division"], ["外部結合", "業務委託"] if rng.random() < 0.3 else ["外部結合"])
            row["case_ref"] = f"{case['fiscal_year']}-{case['no']}"
    # … but these, approved in 年度 N, have none yet: the forms of their 課 pre-list them
    for k in range(division_count // 2):
        add_case(year, chart[(k * 3) % len(chart)][0], ["外部結合"])
    add_case(year, chart[1][0], ["業務委託"])  # not a linkage: not asked for
    add_case(year, chart[2][0], ["外部結合"], result="継続審議")  # not approved: not asked for
    return linkages, cases, chart


def build_register(path: Path, rows: int, division_count: int, year: int) -> dict:
    import datetime as dt

    from xlkit.workbook.builder import build

    linkages, cases, chart = register_rows(rows, division_count, year)
    build(path, linkages=linkages, cases=cases, divisions=chart,
          settings={"report_year": year, "survey_due": dt.date(year, 5, 31),
                    "department": "区政情報課"})
    return {"linkages": len(linkages), "cases": len(cases), "divisions": len(chart),
            "mb_file": path.stat().st_size / 1024 / 1024}


# --------------------------------------------------------------------------- 2. survey


def run_survey(path: Path, out: Path, year: int, profile: bool) -> dict:
    from xlkit import inquiry_tasks
    from xlkit.workbook import reader

    imports = mb()
    if profile:
        return _profiled(lambda: inquiry_tasks.survey(reader.load(path), out, year=year, overwrite=True))
    t0 = time.perf_counter()
    book = reader.load(path)
    t1 = time.perf_counter()
    done = inquiry_tasks.survey(book, out, year=year)
    t2 = time.perf_counter()
    return {"load": t1 - t0, "survey": t2 - t1, "forms": len(done.paths), "listing": done.listing.exists(),
            "continuing": sum(len(f.continuing) for f in done.forms), "cases": sum(len(f.cases) for f in done.forms),
            "written": sum(1 for p in done.paths if p.exists()), "mb": mb(), "mb_imports": imports}


# --------------------------------------------------------------------------- 3. answering the forms


def fill_forms(folder: Path, year: int) -> dict:
    """Answer every 照会票 in `folder` as 課 staff would; returns what collect should find."""
    import datetime as dt
    import warnings

    import openpyxl

    from xlkit import inquiry, schema
    from xlkit.dates import nendo

    warnings.filterwarnings("ignore", module="openpyxl")  # the forms' data validation extensions
    link = schema.linkage()
    header = link.header
    ended_on = dt.date(year, 9, 30)
    ends = new = completed = 0
    forms = sorted(folder.glob("照会票_*.xlsx"))
    for k, path in enumerate(forms):
        wb = openpyxl.load_workbook(path)

        # 継続中の外部結合: one linkage ended on 30 September of 年度 N, typed as text
        ws = wb[inquiry.CONTINUING]
        col = {cell.value: cell.column for cell in ws[1] if cell.value}
        for r in range(2, ws.max_row + 1):
            start = ws.cell(r, col[header("start")]).value
            if ws.cell(r, col[header("end")]).value is None and isinstance(start, dt.datetime) \
                    and start.date() <= ended_on:
                ws.cell(r, col[header("end")]).value = dotted(ended_on)
                ends += 1
                break

        # 新規の外部結合: a pre-listed case completed where there is one, then a new row; two on every other form
        ws = wb[inquiry.NEW]
        col = {cell.value: cell.column for cell in ws[1] if cell.value}
        prelisted = [r for r in range(2, ws.max_row + 1) if ws.cell(r, col[header("case_ref")]).value]
        free = ws.max_row + 1 if prelisted else 2
        division = _division_of(wb[inquiry.HOWTO])
        targets = (prelisted[:1] + [free, free + 1])[:1 + k % 2]  # two rows on every other form
        for j, r in enumerate(targets):
            start = dt.date(year, 5 + j * 3, 1)
            values = {"division": division, "business": f"{division}の新しい業務{k}-{j}",
                      "reason": "電子申請の受付を始めるため", "subjects": "電子申請を行った者",
                      "items": "氏名、住所、電話番号、申請内容", "basis": f"{nendo(year)}第1回審議会承認",
                      "partner": "地方公共団体情報システム機構",
                      "start": start if j == 0 else dotted(start)}  # a date cell, or text as typed
            if k % 3 == 0:
                values["my_number"] = "○"
            for key, value in values.items():
                ws.cell(r, col[header(key)]).value = value
            new += 1
            completed += r in prelisted

        # 回答者: the cell right of each label on 記入のしかた
        ws = wb[inquiry.HOWTO]
        typed = {"name": f"担当 太郎{k}", "extension": 1000 + k, "answered_on": dt.datetime(year, 5, 10 + k % 15)}
        answer = {label: typed[key] for label, key in inquiry.RESPONDENT.items()}  # 担当者・内線・回答日
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.strip() in answer:
                    ws.cell(cell.row, cell.column + 1).value = answer.pop(cell.value.strip())
        if answer:
            raise SystemExit(f"{path.name}: 回答者の欄が見つかりません: {'、'.join(answer)}")
        wb.save(path)
    return {"forms": len(forms), "ends": ends, "new": new, "completed": completed}


def _division_of(ws) -> str:
    """The form's 課: the value right of the label 課 on 記入のしかた."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == "課":
                return ws.cell(cell.row, cell.column + 1).value
    raise SystemExit("記入のしかたに課がありません")


# --------------------------------------------------------------------------- 4. collect


def run_collect(path: Path, forms: Path, year: int, profile: bool) -> dict:
    from xlkit import inquiry_tasks

    imports = mb()
    if profile:
        return _profiled(lambda: inquiry_tasks.collect(path, [forms], year=year))
    t0 = time.perf_counter()
    done = inquiry_tasks.collect(path, [forms], year=year)
    seconds = time.perf_counter() - t0
    plan = done.plan
    return {"collect": seconds, "written": done.written, "held": plan.held, "ends": len(plan.ends),
            "new": len(plan.new), "conflicts": len(plan.conflicts),
            "problems": [str(p) for p in plan.problems][:5], "refused": [s.file for s in plan.refused_files],
            "present": len(plan.present), "reviews": len(plan.reviews),
            "done": sum(1 for s in plan.status if s.state == "取込済み"), "mb": mb(), "mb_imports": imports}


def check_collected(path: Path, year: int) -> dict:
    import datetime as dt

    from xlkit import schema, tasks
    from xlkit.workbook import reader

    book = reader.load(path)
    report = tasks.validate(book)
    errors = [f"{i.sheet}!{i.cell} {i.code}" for i in report.issues if i.severity == "error"]
    status = [r.values for r, _ in reader.stream(book, schema.status())]
    history = sum(1 for _ in reader.stream(book, schema.history(), keys=()))
    return {"errors": report.errors, "warnings": report.warnings, "first_errors": errors[:5],
            "linkages": len(book.linkages), "ended": sum(1 for r in book.linkages if r.get("end") == dt.date(year, 9, 30)),
            "status": sum(1 for v in status if v.get("fiscal_year") == year),
            "respondents": sum(1 for v in status if v.get("fiscal_year") == year and v.get("respondent")
                               and v.get("extension") and v.get("answered_on")),
            "history": history}


def check_register(path: Path) -> dict:
    from xlkit import tasks
    from xlkit.workbook import reader

    report = tasks.validate(reader.load(path))
    return {"errors": report.errors, "warnings": report.warnings,
            "first_errors": [f"{i.sheet}!{i.cell} {i.code}" for i in report.issues if i.severity == "error"][:5]}


# --------------------------------------------------------------------------- processes


def _profiled(call) -> dict:
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(call)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(PROFILE_LINES)
    return {"profile": text.getvalue()}


STEPS = {
    "build": lambda a: build_register(Path(a[0]), int(a[1]), int(a[2]), int(a[3])),
    "check_register": lambda a: check_register(Path(a[0])),
    "survey": lambda a: run_survey(Path(a[0]), Path(a[1]), int(a[2]), a[3] == "1"),
    "fill": lambda a: fill_forms(Path(a[0]), int(a[1])),
    "collect": lambda a: run_collect(Path(a[0]), Path(a[1]), int(a[2]), a[3] == "1"),
    "check_collected": lambda a: check_collected(Path(a[0]), int(a[1])),
}


def step(name: str, *args) -> dict:
    """Run one step in a fresh process (its own peak memory); its result comes back as JSON."""
    done = subprocess.run([sys.executable, __file__, "--step", name, *map(str, args)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"step {name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def verdict(seconds: float, target: float) -> str:
    return f"target ≤ {target:.0f} s: {'met' if seconds <= target else 'MISSED'}"


def main() -> int:
    if sys.argv[1:2] == ["--step"]:
        print(json.dumps(STEPS[sys.argv[2]](sys.argv[3:]), ensure_ascii=False))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--divisions", type=int, default=40)
    parser.add_argument("--year", type=int, default=2021, help="年度 N of the survey (設定's 報告年度)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep the register, forms and copy")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of survey and collect")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        register = work / "登録簿.xlsx"
        forms = work / "照会票"
        if forms.exists():
            shutil.rmtree(forms)
        t0 = time.perf_counter()
        built = step("build", register, args.rows, args.divisions, args.year)
        print(f"register: {built['linkages']:,} linkages, {built['cases']} cases, {built['divisions']} 課, "
              f"{built['mb_file']:.1f} MB (built in {time.perf_counter() - t0:.1f} s)")
        before = step("check_register", register)
        print(f"  入力チェック before: {before['errors']} errors, {before['warnings']} warnings"
              + (f"  {before['first_errors']}" if before["errors"] else ""))

        surveyed = step("survey", register, forms, args.year, 0)
        total = surveyed["load"] + surveyed["survey"]
        print(f"survey:  load {surveyed['load']:.2f} s + survey {surveyed['survey']:.2f} s = {total:.2f} s, "
              f"peak {surveyed['mb']:.0f} MB (imports {surveyed['mb_imports']:.0f} MB)  [{verdict(total, SURVEY_TARGET)}]")
        ok = surveyed["forms"] == surveyed["written"] == args.divisions and surveyed["listing"]
        print(f"  {surveyed['written']} forms written (expected {args.divisions}: {'ok' if ok else 'WRONG'}), "
              f"照会一覧 {'written' if surveyed['listing'] else 'MISSING'}; {surveyed['continuing']:,} 継続中 rows, "
              f"{surveyed['cases']} pre-listed cases")

        t0 = time.perf_counter()
        filled = step("fill", forms, args.year)
        print(f"answered (openpyxl, untimed, {time.perf_counter() - t0:.1f} s): {filled['forms']} forms, "
              f"{filled['ends']} end dates, {filled['new']} new rows ({filled['completed']} completing a pre-listed case)")

        copy = work / "登録簿_取込.xlsx"
        shutil.copy(register, copy)
        collected = step("collect", copy, forms, args.year, 0)
        print(f"collect: {collected['collect']:.2f} s, peak {collected['mb']:.0f} MB "
              f"(imports {collected['mb_imports']:.0f} MB)  [{verdict(collected['collect'], COLLECT_TARGET)}]")
        after = step("check_collected", copy, args.year)
        appended = after["linkages"] - built["linkages"]  # the rows the written register gained
        expected = (collected["written"] and not collected["held"] and collected["ends"] == filled["ends"]
                    and collected["new"] == appended == filled["new"] and not collected["conflicts"]
                    and not collected["problems"] and not collected["refused"] and collected["done"] == filled["forms"])
        print(f"  {collected['ends']} end dates, {collected['new']} new rows ({appended} appended), "
              f"{collected['conflicts']} conflicts, {len(collected['problems'])} problems, "
              f"{len(collected['refused'])} refused, {collected['present']} already present, "
              f"{collected['done']} 課 取込済み — {'as answered' if expected else 'NOT as answered'}"
              + ("" if expected else f"  {collected['problems']} {collected['refused']}"))
        print(f"  入力チェック after: {after['errors']} errors, {after['warnings']} warnings; "
              f"{after['linkages']:,} linkages ({after['ended']} ended on 30 September), "
              f"回答状況 {after['status']} rows ({after['respondents']} with 担当者・内線・回答日), "
              f"変更履歴 {after['history']} rows"
              + (f"  {after['first_errors']}" if after["errors"] else ""))

        if args.profile or total > SURVEY_TARGET:
            print("\n--- cProfile: load + survey (a second run, overwriting the forms) ---")
            print(step("survey", register, work / "照会票_profile", args.year, 1)["profile"])
        if args.profile or collected["collect"] > COLLECT_TARGET:
            again = work / "登録簿_profile.xlsx"
            shutil.copy(register, again)
            print("\n--- cProfile: collect (on a fresh copy) ---")
            print(step("collect", again, forms, args.year, 1)["profile"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
