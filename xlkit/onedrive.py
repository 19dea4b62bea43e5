"""A register opened from OneDrive or SharePoint: xlwings' mapping errors, said in Japanese.

Excel names such a workbook by its web address; on Windows xlwings maps that address to the
synced file on the PC (`book.fullname`, xlwings.utils.fullname_url_to_local_path). When it cannot,
it raises its own XlwingsError in English, which would reach staff as 予期しない問題. Here each of
those errors becomes what happened and what to do.

The error is recognised by its class name and by words of its text, never by importing xlwings
(this module is core) nor by the whole sentence: a reworded xlwings still lands on the right
message, and an XlwingsError about anything else stays unrecognised (None), for the door's
unexpected-problem message with its own text.
"""

from __future__ import annotations

import re

from .errors import XlkitError

# the xlwings settings that tell it where the synced folders are (Windows names: the buttons run
# on Windows; xlwings names the _MAC ones on a Mac and we then take its word for it)
CONSUMER = "ONEDRIVE_CONSUMER_WIN"
COMMERCIAL = "ONEDRIVE_COMMERCIAL_WIN"
SHAREPOINT = "SHAREPOINT_WIN"

_SETTING = re.compile(r"\b(?:ONEDRIVE_CONSUMER|ONEDRIVE_COMMERCIAL|SHAREPOINT)_(?:WIN|MAC)\b")
# a SharePoint address may hold spaces (a library named 「Shared Documents」): up to xlwings' words
_URL = re.compile(r"URL\s+(\S.*?)\s+not\s+recogni[sz]ed|(https?://\S+)", re.IGNORECASE | re.DOTALL)


def is_xlwings_error(exc: BaseException) -> bool:
    """`exc` is xlwings' own error (or a subclass), whichever xlwings raised it."""
    return any(cls.__name__ == "XlwingsError" for cls in type(exc).__mro__)


def _service(text: str) -> tuple[str, str] | None:
    """(the service as staff know it, its xlwings setting) named by an error text; None when the
    text is about neither OneDrive nor SharePoint."""
    lowered = text.lower()
    if "onedrive for business" in lowered:
        return "OneDrive for Business", COMMERCIAL
    if "sharepoint" in lowered and "onedrive" not in lowered:
        return "SharePoint", SHAREPOINT
    if "onedrive" in lowered:
        return "OneDrive", CONSUMER
    return None


def translate(exc: BaseException, file: str = "") -> XlkitError | None:
    """xlwings' error about a OneDrive/SharePoint workbook as a Japanese XlkitError naming the
    workbook `file`, what went wrong and the fix; None for any other error."""
    from . import messages

    if not is_xlwings_error(exc):
        return None
    text = " ".join(str(exc).split())
    lowered = text.lower()
    service = _service(text)
    if service is None:
        return None
    name, setting = service
    found = _SETTING.search(text)
    values = {"ファイル": file or "このブック", "サービス": name}
    if "not recognized" in lowered or "not recognised" in lowered:
        url = _URL.search(str(exc))
        where = (url.group(1) or url.group(2)) if url else "?"
        what = messages.text("path.cloud_unrecognized", 場所=where, **values)
        setting = "、".join((CONSUMER, COMMERCIAL, SHAREPOINT))
    elif "unique" in lowered or "folder level" in lowered:
        what = messages.text("path.cloud_ambiguous", **values)
    elif "folder" in lowered:
        what = messages.text("path.cloud_folder", **values)
    elif "file" in lowered:
        what = messages.text("path.cloud_file", **values)
    else:  # a wording this xlwings did not have: its text is what IT staff can look up
        what = messages.text("path.cloud_other", 内容=text, **values)
    if found:
        setting = found.group(0)
    return XlkitError("\n".join((what, messages.text("path.cloud_fix"), messages.text("path.cloud_it", 設定=setting))))
