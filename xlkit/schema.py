"""The registers' schemas, loaded once: the single source of column names, order and kinds."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

LINKAGE = "linkage"
CASE = "case"
SETTINGS = "settings"


@dataclass(frozen=True)
class Column:
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


@dataclass(frozen=True)
class Register:
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
    return json.loads(_schema_dir().joinpath(name).read_text(encoding="utf-8"))


@cache
def register(name: str) -> Register:
    schema = _read_json(f"{name}.schema.json")
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
    return register(LINKAGE)


def case() -> Register:
    return register(CASE)


def settings() -> Register:
    return register(SETTINGS)


@cache
def masters() -> dict:
    """Seed values of the master sheets (実施機関, 課 with its 実施機関, 区分, 審議結果)."""
    data = _read_json("masters.json")
    data.pop("$comment", None)
    return data
