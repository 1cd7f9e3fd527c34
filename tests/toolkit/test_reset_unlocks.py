"""A director's password reset lifts the login lock of the account at once."""

from __future__ import annotations

from datetime import date

import pytest

from educonnect_core import Channel, Director, Selection, Uai
from educonnect_core.errors import CredentialsRefused
from educonnect_core.services.administration import Administration
from educonnect_core.testing import World, in_memory_world
from educonnect_core.testing.demo import UAI, snapshot

LOGIN = "j.dupont"


def _locked_world() -> tuple[World, Administration, str]:
    world = in_memory_world(seed=3)
    world.app.integrate(snapshot(birth_date_of_tom=date(2019, 2, 8)))
    admin = world.app.administration(Director("directrice", uais=[Uai.parse(UAI)]))
    admin.notify(UAI, [LOGIN], Channel.PAPER)
    (letter,) = world.letters_to(LOGIN)
    assert letter.password is not None
    portal = world.app.portal()
    for _ in range(world.app.runtime.policy.login_throttle.free + 1):
        with pytest.raises(CredentialsRefused):
            portal.login(LOGIN, "Faux2000faux")
    with pytest.raises(CredentialsRefused):  # locked: even the right password is refused now
        portal.login(LOGIN, letter.password)
    return world, admin, letter.password


@pytest.mark.parametrize("how", ["reset from the list", "notification with reset"])
def test_a_director_reset_unlocks_the_login(how: str) -> None:
    """After enough wrong passwords lock the login, the director's reset (from the list, or a
    notification with reset) gives a provisional password that logs in at once, without waiting.
    """
    world, admin, _old = _locked_world()
    if how == "reset from the list":
        admin.reset_passwords(UAI, [LOGIN])
    else:
        admin.notify(UAI, [LOGIN], Channel.PAPER, reset=True)
    rows = admin.rows(UAI, Selection(logins={LOGIN})).rows
    new = rows[0].password
    assert new not in ("", "******")
    result = world.app.portal().login(LOGIN, new)
    assert type(result).__name__ == "FirstConnectionRequired"
