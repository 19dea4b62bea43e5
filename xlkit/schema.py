"""The registers' schemas, loaded once: the single source of column names, order and kinds."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from . import datafiles
from .errors import XlkitError

LINKAGE = "linkage"
CASE = "case"
SETTINGS = "settings"
HISTORY = "history"  # 変更履歴: what xlkit changed in the register, one cell per row
STATUS = "status"  # 回答状況: the 照会票 answers collected, one 課 per row
DIVISION = "division"  # the 課 master sheet: a 課, its 実施機関 and its period (組織改正)
PROVISION = "provision"  # 外部提供: provisions to outside bodies, printed as a table on a case's 別紙


@dataclass(frozen=True)
class Column:
    """One column of a register (or one 設定 item), as its schema in schemas/ defines it."""

    key: str  # the schema property name used in code
    header: str  # the Japanese header shown to staff
    kind: str  # text | date | mark | year | integer | multi | per-body
    required: bool
    master: str | None  # name of the master sheet feeding this column's dropdown
    width: float
    input_message: str | None
    separator: str | None  # for multi columns
    default: Any
    schema: dict  # the property's own subschema

    @property
    def help(self) -> str:
        """The help a 設定 row shows beside its value (column C, and the value cell's input
        message): the input message, else the schema's description."""
        return self.input_message or self.schema.get("description", "")


@dataclass(frozen=True)
class Register:
    """One sheet's schema: its name, sheet name and columns in order."""

    name: str
    sheet: str
    columns: tuple[Column, ...]
    schema: dict

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)

    def header(self, key: str) -> str:
        return self.column(key).header

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


def _schema_dir():
    # A source checkout (and an editable install) reads the top-level schemas/ itself;
    # a wheel carries the same files as the package xlkit.schemas.
    checkout = Path(__file__).resolve().parent.parent / "schemas"
    if (checkout / "masters.json").is_file():
        return checkout
    return resources.files("xlkit.schemas")


def _read_json(name: str) -> dict:
    return datafiles.read_json(_schema_dir().joinpath(name), f"schemas/{name}", "スキーマファイル")


@cache
def _document(name: str) -> dict:
    """A schema file as written (the cache is shared by the registers that refer to it)."""
    return _read_json(name)


# Keywords that only describe: a property may say its own (title, x-input …) beside a "$ref".
_ANNOTATIONS = frozenset({"title", "description", "$comment", "examples", "default", "deprecated"})


def _resolve(node: Any, document: str, seen: tuple[str, ...] = ()) -> Any:
    """`node` with every "$ref" replaced by the definition it names, inlined.

    A ref names a sibling file of schemas/ and a JSON pointer ("common.schema.json#/$defs/fiscal_year"),
    or only a pointer into `document` ("#/$defs/x"). The keywords beside the ref are kept; one that
    contradicts the definition (another "maximum") is refused, since inlining would drop one of
    the two. The result needs no ref resolution, so a validator can use any property on its own
    (xlkit.validation evolves one validator per property).
    """
    if isinstance(node, list):
        return [_resolve(item, document, seen) for item in node]
    if not isinstance(node, dict):
        return node
    resolved = {key: _resolve(value, document, seen) for key, value in node.items() if key != "$ref"}
    if "$ref" not in node:
        return resolved
    ref = node["$ref"]
    target, _, pointer = ref.partition("#")
    target = target or document
    if "/" in target or ":" in target or "\\" in target:
        raise XlkitError(f"スキーマファイル schemas/{document}: 参照 {ref} は schemas/ のファイル名で書いてください")
    where = f"{target}#{pointer}"
    if where in seen:
        raise XlkitError(f"スキーマファイル schemas/{document}: 参照 {ref} が循環しています")
    definition = _document(target)
    for token in filter(None, pointer.split("/")):
        token = token.replace("~1", "/").replace("~0", "~")
        try:
            definition = definition[int(token) if isinstance(definition, list) else token]
        except (KeyError, IndexError, ValueError, TypeError):
            raise XlkitError(f"スキーマファイル schemas/{document}: 参照 {ref} の定義が {target} にありません") from None
    definition = _resolve(definition, target, (*seen, where))
    if not isinstance(definition, dict):
        raise XlkitError(f"スキーマファイル schemas/{document}: 参照 {ref} の定義がスキーマ（オブジェクト）ではありません")
    for key, value in resolved.items():
        if key in definition and definition[key] != value and key not in _ANNOTATIONS and not key.startswith("x-"):
            raise XlkitError(f"スキーマファイル schemas/{document}: 「{key}」が参照 {ref} の定義（{definition[key]!r}）と食い違っています")
    return {**definition, **resolved}


@cache
def year_bounds() -> tuple[int, int]:
    """The first and last fiscal year a register may hold: written once, in common.schema.json."""
    fiscal_year = _resolve({"$ref": "common.schema.json#/$defs/fiscal_year"}, "common.schema.json")
    return fiscal_year["minimum"], fiscal_year["maximum"]


@cache
def register(name: str) -> Register:
    """The register `name` (linkage, case, settings) from schemas/<name>.schema.json, $refs resolved."""
    document = f"{name}.schema.json"
    schema = _resolve(_document(document), document)
    required = set(schema.get("required", ()))
    columns = tuple(
        Column(
            key=key,
            header=prop["title"],
            kind=prop.get("x-kind", "text"),
            required=key in required,
            master=prop.get("x-master"),
            width=float(prop.get("x-width", 16)),
            input_message=prop.get("x-input"),
            separator=prop.get("x-separator"),
            default=prop.get("x-default"),
            schema=prop,
        )
        for key, prop in schema["properties"].items()
    )
    return Register(name=name, sheet=schema["x-sheet"], columns=columns, schema=schema)


def linkage() -> Register:
    """The 外部結合 register's schema."""
    return register(LINKAGE)


def case() -> Register:
    """The 審議案件 register's schema."""
    return register(CASE)


def settings() -> Register:
    """The 設定 sheet's schema."""
    return register(SETTINGS)


def per_body_title(title: str, body: str) -> str:
    """The 設定 row of a per-body setting, as staff see it in column A: 前年度公表値（区長）."""
    return f"{title}（{body}）"


def history() -> Register:
    """The 変更履歴 sheet's schema (written by xlkit only)."""
    return register(HISTORY)


def status() -> Register:
    """The 回答状況 sheet's schema (written by xlkit only)."""
    return register(STATUS)


def division() -> Register:
    """The 課 master sheet's schema: 課, 実施機関, 開始日, 終了日, 後継の課."""
    return register(DIVISION)


def provision() -> Register:
    """The 外部提供 register's schema: one provision per row, tied to a case by 案件の年度 and 案件の№."""
    return register(PROVISION)


@cache
def masters() -> dict:
    """Seed values of the master sheets (実施機関, 課 with its 実施機関, 区分, 審議結果)."""
    data = _read_json("masters.json")
    data.pop("$comment", None)
    return data


def mark_columns() -> dict[str, dict]:
    """Master sheet -> {"列名": header of its ○ column, "○": the seed's marked values}."""
    return masters()["印の列"]
