"""A register opened from OneDrive or SharePoint: xlwings' mapping errors, said in Japanese.

Excel names such a workbook by its web address; on Windows xlwings maps that address to the
synced file on the PC (`book.fullname`, xlwings.utils.fullname_url_to_local_path). When it cannot,
it raises its own XlwingsError in English, which would reach staff as 予期しない問題. Here each of
those errors becomes what happened and what to do.

The error is recognised by where xlwings raised it (the frames of its traceback), its class name
and words of its text, never by importing xlwings (this module is core) nor by the whole
sentence: a reworded xlwings still lands on the right message, an error of another class that
xlwings' mapping lets slip is still about the book's place, and an XlwingsError about anything
else stays unrecognised (None), for the door's unexpected-problem message with its own text.
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


# xlwings' functions that map a book's web address to the PC (xlwings/utils.py): an error raised
# inside them is about the book's place, whatever its class or words
_MAPPERS = frozenset({"fullname_url_to_local_path", "search_local_sharepoint_path", "get_url_to_mount"})


def is_xlwings_error(exc: BaseException) -> bool:
    """`exc` is xlwings' own error (or a subclass), whichever xlwings raised it."""
    return any(cls.__name__ == "XlwingsError" for cls in type(exc).__mro__)


def _raised_where(exc: BaseException) -> tuple[str, str]:
    """("mapping", the address being mapped) when xlwings' mapping raised `exc`; ("elsewhere", "")
    when other xlwings code did; ("", "") when no frame of xlwings is known (an error passed on,
    a test's double): its words then decide."""
    where = ""
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if str(frame.f_globals.get("__name__", "")).split(".")[0] == "xlwings":
            if frame.f_code.co_name in _MAPPERS:
                url = frame.f_locals.get("url")
                return "mapping", url if isinstance(url, str) else ""
            where = "elsewhere"
        tb = tb.tb_next
    return where, ""


def _service_of_url(url: str) -> tuple[str, str]:
    """The service a web address belongs to, by the patterns xlwings maps it with."""
    if re.match(r"https://d\.docs\.live\.net/", url):
        return "OneDrive", CONSUMER
    if re.match(r"https://[^/]*-my\.sharepoint\.", url):
        return "OneDrive for Business", COMMERCIAL
    return "SharePoint", SHAREPOINT


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

    where, url = _raised_where(exc)
    if where == "elsewhere":  # xlwings' words about a sheet or a book whose name holds 「OneDrive」
        return None
    if where == "mapping" and not is_xlwings_error(exc):
        # xlwings' own slip: with no SharePoint setting and no synced folder its fallback search
        # reads an unset variable (UnboundLocalError), which means that no synced folder is known
        return _slip(exc, file, url)
    if not is_xlwings_error(exc):
        return None
    text = " ".join(str(exc).split())
    lowered = text.lower()
    service = _service(text) or (_service_of_url(url) if where == "mapping" else None)
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
    return _said(what, setting)


def _slip(exc: BaseException, file: str, url: str) -> XlkitError:
    """An error of another class raised inside xlwings' mapping, as what staff and IT can act on."""
    from . import messages
    from .errors import os_reason

    name, setting = _service_of_url(url)
    values = {"ファイル": file or "このブック", "サービス": name}
    if isinstance(exc, NameError):
        return _said(messages.text("path.cloud_folder", **values), setting)
    # an OSError (the registry refused) in Japanese; anything else as its words, for IT to look up
    told = os_reason(exc) if isinstance(exc, OSError) else " ".join(str(exc).split()) or "?"
    return _said(messages.text("path.cloud_other", 内容=told, **values), setting)


def _said(what: str, setting: str) -> XlkitError:
    from . import messages

    return XlkitError("\n".join((what, messages.text("path.cloud_fix"), messages.text("path.cloud_it", 設定=setting))))
