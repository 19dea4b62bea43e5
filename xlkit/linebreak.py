"""Japanese line breaking: where a line of a cell or a header may end.

Excel and LibreOffice Calc wrap a cell anywhere, so a line may start with 「）」 or end with 「（」;
Word wraps a header where the column ends, in the middle of a word (結合を行っ／た課). Every
writer and builder breaks lines here instead, and inserts the "\\n" itself:

    lines("（株）エヌ・ティ・ティ・データ", 6)     # body text: any character, JIS X 4051 rules
    header("結合を行った課", 13, 9)                # a header: at word boundaries, "結合を\\n行った課"

Widths are in em of the text's own type, measured by xlkit.widths.EM (full width 1 em).
"""

from __future__ import annotations

import re
from functools import cache

from xlkit import widths

# JIS X 4051's basic rules (行頭禁則 / 行末禁則), with the half-width and ASCII counterparts
NO_START = set(
    "、。，．）」』】〕｝〉》］・：；！？ー゛゜ヽヾゝゞ々〻"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
    "‐゠–〜～…‥〟’”"
    ",.)]}:;!?%-"
    "｡｣､･ｰｧｨｩｪｫｬｭｮｯﾞﾟ"
)
NO_END = set("（「『【〔｛〈《［〘〖〝‘“" "([{" "｢")

# a number (with its decimal point and thousands commas) or an ASCII word is one unit; a hyphened
# word may break after its hyphen (LGWAN-／ASP)
_WORD = re.compile(r"[0-9０-９]+(?:[.,．，][0-9０-９]+)*|[A-Za-zＡ-Ｚａ-ｚ]+(?:['’][A-Za-zＡ-Ｚａ-ｚ]+)*")
_SPACES = " \t"
# the smallest pieces: a number or a word, else one character with its combining marks and
# variation selectors
_ATOM = re.compile(_WORD.pattern + r"|.[\u0300-\u036f\u3099\u309a\ufe00-\ufe0f\U000e0100-\U000e01ef]*", re.S)


def lines(text: str, width_em: float) -> list[str]:
    """`text` broken into lines at most `width_em` wide, as Japanese type sets body text: between
    any two characters, except where JIS X 4051 forbids it or inside a number or an ASCII word.
    A "\\n" in `text` always ends a line; a space where a line breaks is dropped."""
    out: list[str] = []
    for para in text.split("\n"):
        out.extend(_fill(_units(para), width_em))
    return out


def header(text: str, width_mm: float, size_pt: float) -> str:
    """A column header with "\\n" where it must wrap in a column whose text is `width_mm` wide
    (inside the cell margins) set in `size_pt` type: at word boundaries (結合を／行った課,
    特定個人情報の／有無, 令和2年度 whole), a word longer than a line broken as body text is."""
    width_em = width_mm * 72 / 25.4 / size_pt
    out: list[str] = []
    for para in text.split("\n"):
        out.extend(_fill(_phrase_units(para, width_em), width_em))
    return "\n".join(out)


def fits(text: str, width_em: float) -> bool:
    """Whether every line of `text` is at most `width_em` wide."""
    return all(_width(line) <= width_em + 1e-9 for line in text.split("\n"))


def line_count(text: str, width_em: float) -> int:
    """How many lines `text` takes in a column `width_em` wide (see lines)."""
    return len(lines(text, width_em))


# Latin capitals and m, w are wider than xlkit.widths' average narrow character in a proportional
# face (IPAex: M 0.87 em): counted wider, a line of 「MPN（※）」 is not wrapped again by the program
_WIDE_LATIN = re.compile(r"[A-Zmw@%&#]")


def _width(text: str) -> float:
    return widths.EM.measure(text) + 0.25 * len(_WIDE_LATIN.findall(text))


def _units(text: str) -> list[str]:
    """`text` cut into the smallest pieces a line may end between: a character, a number or an
    ASCII word; a no-start character joins the piece before it, a no-end one the piece after."""
    atoms = _ATOM.findall(text)
    units: list[str] = []
    glue_next = False
    for atom in atoms:
        while atom[0] in NO_START and len(units) > 1 and not units[-1].strip(_SPACES):
            space = units.pop()  # 「ッ ャ」: no line starts with ャ after a space either
            units[-1] += space
        if units and (glue_next or atom[0] in NO_START):
            units[-1] += atom
        else:
            units.append(atom)
        glue_next = atom[-1] in NO_END
    return units


def _phrase_units(text: str, width_em: float) -> list[str]:
    """Units for a header: whole phrases; a phrase wider than the line falls back to _units."""
    units: list[str] = []
    for phrase in _phrases(text):
        if _width(phrase.rstrip(_SPACES)) <= width_em:
            units.append(phrase)
        else:
            units.extend(_word_pieces(phrase))
    # kinsoku across phrases too: a phrase starting with 「）」 joins the one before it
    glued: list[str] = []
    for unit in units:
        if glued and (unit[0] in NO_START or glued[-1][-1] in NO_END):
            glued[-1] += unit
        else:
            glued.append(unit)
    return glued


def _word_pieces(phrase: str) -> list[str]:
    """A phrase too wide for its column, cut where a reader still sees words: between scripts
    (令和｜2｜年度), and a run of kanji in twos, as most kanji words are (特定｜個人｜情報)."""
    pieces: list[str] = []
    for run in re.findall(r"[\u3400-\u9fff\uf900-\ufaff々〆]+|[\u3041-\u309f]+|[\u30a0-\u30ffｦ-ﾟ]+|.", phrase):
        if "\u3400" <= run[0] <= "\ufaff" or run[0] in "々〆":
            pieces.extend(run[n:n + 2] for n in range(0, len(run), 2))
        else:
            pieces.append(run)
    glued: list[str] = []
    for piece in pieces:  # digits and ASCII words stay whole; kinsoku as in _units
        if glued and (_WORD.fullmatch(glued[-1] + piece) or piece[0] in NO_START or glued[-1][-1] in NO_END):
            glued[-1] += piece
        else:
            glued.append(piece)
    return glued


def _fill(units: list[str], width_em: float) -> list[str]:
    """Greedy filling: as many units on a line as fit; a unit wider than a line gets one of its
    own, cut only where it must be (a number longer than the column)."""
    out: list[str] = []
    current, used = "", 0.0  # used: the line's width, its trailing spaces left out (widths add up)
    for unit in units:
        bare = unit.rstrip(_SPACES)
        tail = current[len(current.rstrip(_SPACES)):]
        wider = used + _width(tail + bare) if bare else used
        if not current or wider <= width_em:
            current, used = current + unit, wider
        else:
            out.append(current.rstrip(_SPACES))
            current = unit.lstrip(_SPACES)  # the space a line breaks at is not printed
            used = _width(current.rstrip(_SPACES))
        while used > width_em and len(current) > 1:
            head = _longest_head(current, width_em)
            out.append(head)
            current = current[len(head):]
            used = _width(current.rstrip(_SPACES))
    out.append(current.rstrip(_SPACES) if out else current)
    return out


def _longest_head(text: str, width_em: float) -> str:
    """The longest start of `text` that fits (at least one character): the cut of last resort."""
    for n in range(1, len(text) + 1):
        if _width(text[:n]) > width_em:
            cut = max(n - 1, 1)
            # still no line starting with 「。」 or ending with 「（」 where another cut allows it
            for at in range(cut, 0, -1):
                if text[at] not in NO_START and text[at - 1] not in NO_END:
                    return text[:at]
            return text[:cut]
    return text


def _phrases(text: str) -> list[str]:
    """`text` as phrases (文節): BudouX's Japanese model when installed, else a rule."""
    parser = _budoux()
    if parser is not None:
        return parser.parse(text) if text else [""]
    return script_phrases(text)


@cache
def _budoux():
    try:
        import budoux
    except ImportError:  # the rule below is the fallback; budoux is a declared dependency
        return None
    return budoux.load_default_japanese_parser()


def script_phrases(text: str) -> list[str]:
    """Phrases by a rule: a phrase ends where hiragana is followed by anything else (the
    particle or inflection ends the 文節: 結合を｜行った｜課, 特定個人情報の｜有無), and
    at a space."""
    out, current = [], ""
    for ch in text:
        if current and (_is_hiragana(current[-1]) and not _is_hiragana(ch) and ch not in NO_START
                        or current[-1] in _SPACES and ch not in _SPACES):
            out.append(current)
            current = ""
        current += ch
    out.append(current)
    return out


def _is_hiragana(ch: str) -> bool:
    return "\u3041" <= ch <= "\u309f"
