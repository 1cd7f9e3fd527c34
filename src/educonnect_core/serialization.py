"""One cattrs converter for the library's values: to and from plain JSON-ready data.

Values become strings (UAI, INE, e-mail, mobile, login, level code), states and other enums their
code names (``NOT_NOTIFIED``), instants ISO 8601 strings. Storage adapters use it for nested
records (a letter in the outbox); the command line uses it for ``--json`` output.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, TypeVar

import cattrs

from educonnect_core.domain.values import Email, Ine, Level, Login, Mobile, Uai

__all__ = ["converter", "structure", "unstructure"]

T = TypeVar("T")

converter = cattrs.Converter()

for _value in (Uai, Ine, Email, Mobile, Login):
    converter.register_unstructure_hook(_value, lambda v: v.value)
    converter.register_structure_hook(_value, lambda raw, cls: cls(str(raw)))
converter.register_unstructure_hook(Level, lambda v: v.code)
converter.register_structure_hook(Level, lambda raw, _: Level(str(raw)))
converter.register_unstructure_hook(datetime, lambda v: v.isoformat())
converter.register_structure_hook(datetime, lambda raw, _: datetime.fromisoformat(raw))
converter.register_unstructure_hook(date, lambda v: v.isoformat())
converter.register_structure_hook(date, lambda raw, _: date.fromisoformat(raw))
converter.register_unstructure_hook_func(
    lambda cls: isinstance(cls, type) and issubclass(cls, enum.Enum), lambda v: v.name
)
converter.register_structure_hook_func(
    lambda cls: isinstance(cls, type) and issubclass(cls, enum.Enum), lambda raw, cls: cls[raw]
)


def unstructure(value: Any) -> Any:
    """`value` as plain dicts, lists, strings and numbers."""
    return converter.unstructure(value)


def structure(data: Any, cls: type[T]) -> T:
    """Rebuild a `cls` from what `unstructure` produced."""
    return converter.structure(data, cls)
