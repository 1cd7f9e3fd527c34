"""The identifier rule of the directory (issue 14 item 1 made it cheaper): an id is refused when
empty, longer than 64 characters or holding any character `str.isspace` calls a space — every
Unicode space, not only the ASCII ones — exactly as the rule was first written.
"""

from __future__ import annotations

import sys

from hypothesis import example, given
from hypothesis import strategies as st

from educonnect_core.domain.directory import _id
from educonnect_core.errors import InvalidField

#: Every character Python calls a space (U+0085, U+00A0, U+2028, U+3000…).
SPACES = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())


def first_written(raw: str) -> str | tuple[str, str, str]:
    """The rule as it was first written: the id, or the refusal."""
    text = str(raw).strip()
    if not text or len(text) > 64 or any(c.isspace() for c in text):
        return REFUSED
    return text


def verdict(raw: str) -> str | tuple[str, str, str]:
    """The id, or the refusal (record, field, reason)."""
    try:
        return _id("élève", "id", raw)
    except InvalidField as error:
        return (error.record, error.field, error.reason)


REFUSED = ("élève", "id", "identifiant vide, trop long ou avec des espaces")


class TestSameRuleAsFirstWritten:
    """For any text, made of letters and every kind of space, the same verdict."""

    @given(st.text(alphabet=st.sampled_from("ab-_é" + SPACES), max_size=70))
    @example("E\u00a01")
    @example("\u3000E1\u2028")
    @example("a" * 64)
    @example("a" * 65)
    def test_same_verdict(self, raw: str) -> None:
        assert verdict(raw) == first_written(raw)

    def test_every_space_is_refused_inside(self) -> None:
        assert all(verdict(f"E{space}1") == REFUSED for space in SPACES)
