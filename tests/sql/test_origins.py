"""Origins ATEN and ENT (issue 13.6, SPEC §1, guide v1.9 det. §1.3.4): an account activated by
the 2nd-degree transition keeps that origin in storage (memory and SQLite), and shows it in the
director's list, its filter, its sort, the account page and the exports.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.sql.scenario import DIRECTOR, UAI, snapshot

from educonnect_core.domain.lifecycle import AccountState, Origin
from educonnect_core.domain.selection import Selection, SortColumn
from educonnect_core.ports import Storage
from educonnect_core.testing import in_memory_world
from educonnect_core.testing.world import World
from educonnect_sql import SqlStorage
from educonnect_sql.keys import ensure_key_file

#: The guide's labels, word for word (det. §1.3.4 « ATEN si … », « ENT si … »).
LABELS = {Origin.ATEN: "ATEN", Origin.ENT: "ENT"}


@pytest.fixture(params=["memory", "sqlite"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """A school of four guardians: one came through ATEN, one through ENT (both « Activé »)."""
    storage: Storage | None = None
    if request.param == "sqlite":
        path = tmp_path / "base.sqlite3"
        storage = SqlStorage.open(f"sqlite:///{path}", migrate=True, key=ensure_key_file(path))
    world = in_memory_world(seed=4, storage=storage)
    world.app.integrate(snapshot(4))
    admin = world.app.administration(DIRECTOR)
    logins = sorted(row.login for row in admin.rows(UAI, Selection(page_size=0)).rows)
    with world.app.runtime.storage.unit_of_work() as uow:
        for login, origin in zip(logins, (Origin.ATEN, Origin.ENT), strict=False):
            account = uow.accounts.by_login(login)
            assert account is not None
            account.state, account.origin = AccountState.ACTIVATED, origin
            uow.accounts.update(account)
        uow.commit()
    yield world
    if isinstance(storage, SqlStorage):
        storage.close()


def logins_of(world: World, selection: Selection) -> list[str]:
    """The logins the director's list shows for `selection`, in its order."""
    rows = world.app.administration(DIRECTOR).rows(UAI, selection).rows
    return [row.login for row in rows]


class TestOriginsAtenAndEnt:
    """Each origin is stored, listed with its label, filtered on, sorted and exported."""

    def test_labels_are_the_guides(self) -> None:
        """The French labels are the guide's words: « ATEN » and « ENT »."""
        assert {o: o.label for o in LABELS} == LABELS

    @pytest.mark.parametrize("origin", [Origin.ATEN, Origin.ENT])
    def test_listed_and_filtered(self, world: World, origin: Origin) -> None:
        """Filtering on one origin lists exactly the account of that origin, with its label."""
        admin = world.app.administration(DIRECTOR)
        rows = admin.rows(UAI, Selection(origins={origin})).rows
        assert [(r.origin, r.origin.label, r.state) for r in rows] == [
            (origin, LABELS[origin], AccountState.ACTIVATED)
        ]
        page = admin.account(UAI, rows[0].login)
        assert page.origin is origin

    def test_both_and_the_others(self, world: World) -> None:
        """ATEN + ENT gives both accounts; the school's other accounts are not among them."""
        both = logins_of(world, Selection(origins={Origin.ATEN, Origin.ENT}))
        others = logins_of(world, Selection(origins={Origin.NONE}))
        assert len(both) == 2
        assert len(others) == 2
        assert not set(both) & set(others)

    def test_sorted_by_label(self, world: World) -> None:
        """Sorted on the origin column, the accounts follow their labels' order (ATEN, ENT, …)."""
        rows = world.app.administration(DIRECTOR).rows(
            UAI, Selection(sort=SortColumn.ORIGIN, page_size=0)
        )
        labels = [r.origin.label for r in rows.rows]
        assert labels == sorted(labels)
        assert labels[:2] == ["ATEN", "ENT"]

    @pytest.mark.parametrize("origin", [Origin.ATEN, Origin.ENT])
    def test_exported(self, world: World, origin: Origin) -> None:
        """The CSV export and the account list of a selection on one origin hold its account."""
        admin = world.app.administration(DIRECTOR)
        (login,) = logins_of(world, Selection(origins={origin}))
        listing = admin.account_list(UAI, Selection(origins={origin}))
        assert [r.login for r in listing.rows] == [login]
        document = admin.export_csv(UAI, Selection(origins={origin}))
        lines = document.content.decode("utf-8-sig").splitlines()
        assert len(lines) == 2
        assert f";{login};" in lines[1] + ";"
