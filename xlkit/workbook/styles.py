"""XlsxWriter format properties shared by the register's sheets."""

from __future__ import annotations

FONT = "游ゴシック"
FONT_SIZE = 11

# Dates are real Excel dates shown in the register's usual 和暦 form (R2.4.1).
DATE_FORMAT = "[$-411]ge.m.d;@"

_BASE = {"font_name": FONT, "font_size": FONT_SIZE, "valign": "top"}

TEXT = {**_BASE, "text_wrap": True}
DATE = {**_BASE, "num_format": DATE_FORMAT, "align": "left"}
NUMBER = {**_BASE, "num_format": "0", "align": "right"}
MARK = {**_BASE, "align": "center"}

# Optional columns: a light header; required columns: dark navy with white text (legend in 使い方).
HEADER = {
    **_BASE, "bold": True, "text_wrap": True, "valign": "vcenter", "align": "center",
    "font_color": "#1F3864", "bg_color": "#BDD7EE", "border": 1, "border_color": "#8EA9DB",
}
HEADER_REQUIRED = {**HEADER, "font_color": "#FFFFFF", "bg_color": "#1F3864"}

MASTER_HEADER = {**HEADER, "bg_color": "#548235", "locked": True}
UNLOCKED = {**_BASE, "locked": False}
UNLOCKED_DATE = {**DATE, "locked": False}  # the date columns of 課 (開始日, 終了日)
LOCKED_TEXT = {**TEXT, "locked": True}

TITLE = {"font_name": FONT, "font_size": 16, "bold": True}
SUBTITLE = {"font_name": FONT, "font_size": 12, "bold": True, "font_color": "#305496"}
BODY = {**_BASE, "text_wrap": True, "valign": "vcenter"}
NOTE = {**_BASE, "font_color": "#595959", "text_wrap": True}
NOTE_LINE = {**_BASE, "font_color": "#595959"}
SUMMARY_FIRST = {**_BASE, "valign": "vcenter"}
SUMMARY = {**_BASE, "text_wrap": True, "valign": "vcenter", "align": "center"}
# 設定's 値 column: the cells staff edit, shaded so that they are easy to find
_EDITABLE = {"locked": False, "bg_color": "#FFF9E5", "border": 1, "border_color": "#D9D9D9"}
SETTING = {**_BASE, **_EDITABLE}
SETTING_DATE = {**DATE, **_EDITABLE}
SETTING_NUMBER = {**NUMBER, **_EDITABLE}
