"""The buttons of 使い方 as tests expect them, written out here rather than taken from
xlkit.workbook.design, so that a change in either place is caught."""

from __future__ import annotations

# (caption, VBA sub, the line its sub hands RunPython)
BUTTONS = (
    ("入力チェック", "XlkitValidate", "import xlkit.macros as m; m.validate()"),
    ("集計", "XlkitSummarize", "import xlkit.macros as m; m.summarize()"),
    ("Word出力", "XlkitExportWord", "import xlkit.macros as m; m.export_word()"),
    ("Excel出力", "XlkitExportExcel", "import xlkit.macros as m; m.export_excel()"),
    ("照会票作成", "XlkitSurvey", "import xlkit.macros as m; m.survey()"),
    ("回答取込", "XlkitCollect", "import xlkit.macros as m; m.collect()"),
    ("年度締め", "XlkitCloseYear", "import xlkit.macros as m; m.close_year()"),
    ("診断", "XlkitDoctor", "import xlkit.macros as m; m.doctor()"),
)

# caption -> (sub, RunPython's line)
BY_CAPTION = {caption: (sub, line) for caption, sub, line in BUTTONS}
