"""`--origin` knows the origins ATEN and ENT (issue 13.6, guide v1.9 det. §1.3.4) by label or
code, in the list and the export of the command line.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import UAI, cli

from educonnect_core.domain.lifecycle import AccountState, Origin
from educonnect_sql import SqlStorage
from educonnect_sql.keys import ensure_key_file


def give_origins(tmp: Path) -> dict[Origin, str]:
    """Mark two accounts of `UAI` as activated through ATEN and ENT; their logins by origin."""
    code, out = cli(tmp, "list", UAI, "--json")
    assert code == 0, out
    logins = sorted(row["login"] for row in json.loads(out)["rows"])[:2]
    path = tmp / "base.sqlite3"
    storage = SqlStorage.open(f"sqlite:///{path}", key=ensure_key_file(path))
    try:
        with storage.unit_of_work() as uow:
            for login, origin in zip(logins, (Origin.ATEN, Origin.ENT), strict=True):
                account = uow.accounts.by_login(login)
                assert account is not None
                account.state, account.origin = AccountState.ACTIVATED, origin
                uow.accounts.update(account)
            uow.commit()
    finally:
        storage.close()
    return dict(zip((Origin.ATEN, Origin.ENT), logins, strict=True))


class TestOriginOption:
    """The option takes « ATEN » and « ENT » (any case), lists and exports just those accounts."""

    def test_list_by_label_and_code(self, school: Path) -> None:
        """`--origin ATEN` and `--origin ent` each list the one account of that origin."""
        logins = give_origins(school)
        for given, origin in (("ATEN", Origin.ATEN), ("ent", Origin.ENT)):
            code, out = cli(school, "list", UAI, "--origin", given, "--json")
            assert code == 0, out
            rows = json.loads(out)["rows"]
            assert {(r["login"], r["origin"]) for r in rows} == {(logins[origin], origin.value)}
        code, out = cli(school, "list", UAI, "--origin", "ATEN", "--origin", "ENT", "--json")
        assert code == 0, out
        assert {r["login"] for r in json.loads(out)["rows"]} == set(logins.values())

    def test_human_list_shows_the_label(self, school: Path) -> None:
        """The table's « Origine du compte » column reads « ENT »."""
        logins = give_origins(school)
        code, out = cli(school, "list", UAI, "--origin", "ENT")
        assert code == 0, out
        assert logins[Origin.ENT] in out
        assert "ENT" in out.replace(logins[Origin.ENT], "")

    def test_unknown_origin_names_them(self, school: Path) -> None:
        """An unknown origin is refused with the accepted labels, ATEN and ENT among them."""
        code, out = cli(school, "list", UAI, "--origin", "Minitel")
        assert code != 0
        assert "« ATEN »" in out
        assert "« ENT »" in out

    def test_export_csv_of_one_origin(self, school: Path) -> None:
        """`export --origin ATEN --format csv` writes the ATEN account's rows alone."""
        logins = give_origins(school)
        code, out = cli(
            school, "export", UAI, "--origin", "aten", "--format", "csv", "--out", str(school / "x")
        )
        assert code == 0, out
        (path,) = (school / "x").glob("Educonnect-ListeResponsables-*.csv")
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        assert len(lines) >= 2
        assert all(f";{logins[Origin.ATEN]};" in line + ";" for line in lines[1:])
