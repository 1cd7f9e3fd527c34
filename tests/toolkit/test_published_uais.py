"""UAIs published by the ministry parse; any other check letter on their digits is refused."""

from __future__ import annotations

import string

import pytest

from educonnect_core import Uai
from educonnect_core.errors import InvalidField

#: Real UAIs, as published in the ministry's directory of schools (annuaire de l'éducation) —
#: the expectation comes from the outside world, not from the implementation's alphabet.
PUBLISHED = {
    "0750654D": "lycée Henri-IV, Paris (quoted in SPEC.md)",
    "0750655E": "lycée Louis-le-Grand, Paris",
    "0750667T": "lycée Condorcet, Paris",
    "0690026D": "lycée du Parc, Lyon",
    "0130040Y": "lycée Thiers, Marseille",
    "0310036W": "lycée Pierre-de-Fermat, Toulouse",
    "0999901Z": "the test school of the shared feed samples (../shared)",
}


@pytest.mark.parametrize("uai", sorted(PUBLISHED))
def test_a_published_uai_parses(uai: str) -> None:
    """Each published UAI is accepted as it is, and in lower case with spaces around."""
    assert Uai.parse(uai).value == uai
    assert Uai.parse(f"  {uai.lower()} ").value == uai


@pytest.mark.parametrize("uai", sorted(PUBLISHED))
def test_every_other_letter_on_published_digits_is_refused(uai: str) -> None:
    """On a published UAI's digits, each of the 25 other letters is refused on field « uai »."""
    for letter in string.ascii_uppercase.replace(uai[7], ""):
        with pytest.raises(InvalidField) as refused:
            Uai.parse(uai[:7] + letter)
        assert refused.value.field == "uai"
