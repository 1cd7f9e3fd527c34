"""The plain-address path of `Email.parse` (issue 14 item 1): an address of plain ASCII shape is
normalised without running the whole of email-validator, its domain checked once per domain.
It must accept, refuse and normalise exactly as email-validator itself does: compared here with
the same parse without that path on addresses built from the pieces that make the rules
differ (RFC 2142 names, special-use and numeric domains, IDNA, hyphens, dots, lengths).
"""

from __future__ import annotations

from unittest.mock import patch

from hypothesis import example, given
from hypothesis import strategies as st

from educonnect_core.domain import values
from educonnect_core.domain.values import Email
from educonnect_core.errors import InvalidField

LOCALS = ("a", "Jean.Dupont", "x_y+z", "-", "Postmaster", "ABUSE", "info", "a..b", ".a", "é", '"q"')
LABELS: tuple[str, ...] = ("example", "Orange", "fr", "com", "xn--caf-dma", "localhost", "local")
#: « 中 » eighteen times: 24 characters in IDNA ASCII, 54 bytes once normalised to UTF-8.
WIDE = "xn--fiqaaaaaaaaaaaaaaaaa"
LABELS += (WIDE, "test", "invalid", "arpa", "onion", "123", "a-b", "-ab", "ab-", "")
LABELS += ("x" * 63, "x" * 64)


@st.composite
def addresses(draw: st.DrawFn) -> str:
    """``local@domain`` from pieces, sometimes with noise around or a very long local part."""
    local = "".join(draw(st.lists(st.sampled_from(LOCALS), min_size=1, max_size=3)))
    if draw(st.booleans()):
        local += draw(st.text(alphabet="aZ9._+-!é@<> ", max_size=4))
    local *= draw(st.sampled_from((1, 1, 1, 30)))
    domain = ".".join(draw(st.lists(st.sampled_from(LABELS), min_size=1, max_size=5)))
    return f"{local}@{domain}"


def verdict(run: object) -> str:
    """The address `run()` gives, or the refusal as a string (record, field, reason)."""
    try:
        return str(run())  # type: ignore[operator]
    except InvalidField as error:
        return f"refused {error.record} / {error.field} / {error.reason}"


class TestSameVerdictAsEmailValidator:
    """Whatever the address, `Email.parse` gives what the full email-validator check gives."""

    @given(addresses(), st.booleans())
    @example("Postmaster@example.org", False)
    @example("a@xn--caf-dma.fr", True)
    @example("a@example.123", False)
    @example("a@localhost.local", False)
    @example("a@ab-.fr", False)
    @example("a" * 250 + "@b.fr", False)
    @example("a@example.org", False)
    @example("a" * 226 + f"@{WIDE}.fr", False)  # 254 characters as given, 284 bytes normalised
    def test_same_verdict(self, address: str, smtputf8: bool) -> None:
        fast = verdict(lambda: Email.parse(address, record="r", field="f", smtputf8=smtputf8))
        with patch.object(values, "_plain_address", lambda text, smtputf8: None):
            full = verdict(lambda: Email.parse(address, record="r", field="f", smtputf8=smtputf8))
        assert fast == full

    def test_plain_addresses_take_the_plain_path(self) -> None:
        """The plain path does answer for the addresses a feed sends (else it saves nothing)."""
        assert values._plain_address("Jean.Dupont@Orange.FR", smtputf8=False) == (
            "Jean.Dupont@orange.fr"
        )
        assert values._plain_address("x@xn--caf-dma.fr", smtputf8=True) == "x@café.fr"
        assert values._plain_address("postmaster@orange.fr", smtputf8=False) is None
