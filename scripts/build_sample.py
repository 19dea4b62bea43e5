"""Build the sample register workbooks/sample.xlsx (and sample.xlsm) from workbooks/data/.

    python scripts/build_sample.py [--out-dir workbooks]

1. A register is written by the workbook builder with the 41 cases of 資料１ (cases_r7.json),
   the 10 external provisions of its №29 (provisions_r6.json, with that table's title and
   period), the prior linkages (prior_linkages.json — synthetic, see its $comment) and the 設定
   of the 令和2年度 report. Case №1 has the flow diagram 添付ファイル/流れ図_№1.png attached
   (drawn by scripts/draw_sample_flow.py).
2. The 22 new linkages of 令和2年度 are then imported from r2_new_linkages.tsv — table (2) of
   the report exactly as published — by `xlkit import`'s own code, with 計上年度 2020.

`xlkit summarize workbooks/sample.xlsx` then reproduces table (1) of the report.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xlkit import schema, tasks  # noqa: E402
from xlkit.files import atomic_write  # noqa: E402
from xlkit.dates import fiscal_year  # noqa: E402

DATA = ROOT / "workbooks" / "data"
YEAR = 2020  # the report year of the sample: the 令和2年度 report
REPORT_DATE = dt.date(2025, 7, 3)  # the date of 資料１


def load_json(name: str):
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _typed(register: schema.Register, record: dict) -> dict:
    """JSON values to builder values: ISO dates to dates, ○ to True."""
    out = {}
    for key, value in record.items():
        kind = register.column(key).kind
        if kind == "date" and isinstance(value, str):
            value = dt.date.fromisoformat(value)
        elif kind == "mark":
            value = True if value == "○" else None
        if value is not None:
            out[key] = value
    return out


def prior_linkages() -> list[dict]:
    reg = schema.linkage()
    return [_typed(reg, r) for r in load_json("prior_linkages.json")["linkages"]]


def proposal_text(case: dict) -> str | None:
    items = case.get("proposal_items")
    if not items:
        return case.get("proposal")
    parts = []
    for item in items:
        head = item["label"] + (item["heading"] or "")
        parts.append(f"{head}\n{item['text']}" if item["heading"] else f"{head}{item['text']}")
    return "\n".join(parts)


# the flow diagrams attached to cases (№ -> file names in the folder 添付ファイル beside the register)
ATTACHMENTS = {1: ["流れ図_№1.png"]}


def sheet_wording(case: dict) -> dict:
    """The 別紙's own wording where the published 別紙 says otherwise than the list: its title and
    担当課 (blank: the list's), and the label of 事業内容 item 3 (blank: 対象者; none printed
    without a 対象者数)."""
    out = {}
    if case.get("sheet_title") and case["sheet_title"] != case["title"]:
        out["sheet_title"] = case["sheet_title"]
    if case.get("sheet_divisions") and case["sheet_divisions"] != case["divisions"]:
        out["sheet_divisions"] = case["sheet_divisions"]
    if case.get("subject_count_heading") == "対象者数":
        out["count_heading"] = "対象者数"
    return out


def provision_data() -> dict:
    return load_json("provisions_r6.json")


def provisions() -> list[dict]:
    reg = schema.provision()
    return [_typed(reg, r) for r in provision_data()["provisions"]]


def cases() -> list[dict]:
    table = provision_data()["case"]
    out = []
    for case in load_json("cases_r7.json"):
        submitted = dt.date.fromisoformat(case["submitted_on"])
        record = {
            "fiscal_year": fiscal_year(submitted),
            "no": case["no"],
            "title": case["title"],
            "divisions": case["divisions"],
            "categories": case["categories"],
            "submitted_on": submitted,
            "result": case["result"],
            "business_name": case.get("business_name"),
            "purpose": case.get("purpose"),
            "subjects": case.get("subjects"),
            "overview": case.get("overview"),
            "proposal": proposal_text(case),
            "subject_count": case.get("subject_count"),
            "flow": case.get("flow_note"),
            "attachment": "\n".join(ATTACHMENTS.get(case["no"], [])),
            **sheet_wording(case),
        }
        if (record["fiscal_year"], record["no"]) == (table["fiscal_year"], table["case_no"]):
            record.update(provision_title=table["provision_title"], provision_period=table["provision_period"])
        out.append({k: v for k, v in record.items() if v not in (None, "", [])})
    return out


# 前年度公表値: a + b − c as published for 令和元年度 — the a column of table (1) of the 令和2年度 report
PREVIOUS_PUBLISHED = {"区長": 61, "教育委員会": 5, "選挙管理委員会": 0, "監査委員": 0, "議会": 0}


# the sample's register id (xlkit.formats.ID_NAME): fixed, so that rebuilding the sample keeps the
# 照会票 made from it collectable
SAMPLE_ID = "5a3f0c2e9b7d4e61a8c2f0b1d3e5a7c9"


def settings() -> dict:
    return {"report_year": YEAR, "report_date": REPORT_DATE, "previous_published": dict(PREVIOUS_PUBLISHED),
            # the period of the published 資料１: cases deliberated February to June 2025
            "cases_from": dt.date(2025, 2, 1), "cases_to": dt.date(2025, 6, 30)}


def build(target: Path) -> tasks.Imported:
    """Write one sample register to `target` (its suffix picks .xlsx or .xlsm), whole or not at all."""
    from xlkit.workbook.builder import build as build_workbook

    result = None

    def write(tmp: Path) -> None:
        nonlocal result
        build_workbook(tmp, linkages=prior_linkages(), cases=cases(), provisions=provisions(), settings=settings(),
                       register_id=SAMPLE_ID)
        text = (DATA / "r2_new_linkages.tsv").read_text(encoding="utf-8")
        result = tasks.import_table(tmp, text, YEAR, source="r2_new_linkages.tsv")
        if result.parsed.problems or len(result.appended) != 22:
            lines = "\n".join(str(p) for p in result.parsed.problems)
            raise SystemExit(f"令和2年度の表(2)を取り込めませんでした（{len(result.appended)} 件）。\n{lines}")

    atomic_write(target, write, overwrite=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="サンプルの登録簿（workbooks/sample.xlsx, sample.xlsm）を作ります。")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "workbooks")
    parser.add_argument("--formats", default="xlsx,xlsm", help="作る形式（既定：xlsx,xlsm）")
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for suffix in args.formats.split(","):
        target = args.out_dir / f"sample.{suffix.strip()}"
        result = build(target)
        print(f"{target}: 外部結合 {len(prior_linkages()) + len(result.appended)} 件"
              f"（うち令和2年度の表(2)から {len(result.appended)} 件）、審議案件 {len(cases())} 件、"
              f"外部提供 {len(provisions())} 件")
    return 0


if __name__ == "__main__":
    sys.exit(main())
