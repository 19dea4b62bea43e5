"""XlsxWriter format properties shared by the register's sheets."""

from __future__ import annotations

FONT = "游ゴシック"
FONT_SIZE = 11

# Dates are real Excel dates shown in the register's usual 和暦 form (R2.4.1).
DATE_FORMAT = "[$-ja-JP]ge.m.d;@"

_BASE = {"font_name": FONT, "font_size": FONT_SIZE, "valign": "top"}

TEXT = {**_BASE, "text_wrap": True}
DATE = {**_BASE, "num_format": DATE_FORMAT, "align": "left"}
NUMBER = {**_BASE, "num_format": "0", "align": "right"}
MARK = {**_BASE, "align": "center"}

HEADER = {
    **_BASE, "bold": True, "text_wrap": True, "valign": "vcenter", "align": "center",
    "font_color": "#FFFFFF", "bg_color": "#305496", "border": 1,
}
# Required columns: the same header in a darker red so that staff see what must be filled.
HEADER_REQUIRED = {**HEADER, "bg_color": "#C00000"}

MASTER_HEADER = {**HEADER, "bg_color": "#548235", "locked": True}
UNLOCKED = {**_BASE, "locked": False}
UNLOCKED_DATE = {**DATE, "locked": False}
UNLOCKED_NUMBER = {**NUMBER, "locked": False}
LOCKED_TEXT = {**TEXT, "locked": True}

TITLE = {"font_name": FONT, "font_size": 16, "bold": True}
SUBTITLE = {"font_name": FONT, "font_size": 12, "bold": True, "font_color": "#305496"}
BODY = {**_BASE, "text_wrap": True, "valign": "vcenter"}
NOTE = {**_BASE, "font_color": "#595959", "text_wrap": True}
