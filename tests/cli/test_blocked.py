"""A blocked account (too many consecutive failed logins) shows in the list and on its page, and
a director's reset unblocks it there too (issue 9 item 7).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli.conftest import UAI, cli

from educonnect_cli.context import Settings, open_app
from educonnect_core.domain.messages import Say


def _block(base: Path, login: str) -> None:
    """Count failed logins on `login` through the storage until it is blocked (a cap of 1 here
    instead of 100, the same columns and the same rule).
    """
    with open_app(Settings(db=str(base / "base.sqlite3"))) as app:
        policy = app.runtime.policy
        with app.runtime.storage.unit_of_work() as uow:
            account = uow.accounts.by_login(login)
            assert account is not None
            counter = uow.accounts.record_login_failure(
                account.account_id, app.runtime.now(), policy.login_throttle, 1
            )
            uow.commit()
    assert counter.blocked


def _rows(base: Path) -> list[dict[str, object]]:
    code, out = cli(base, "list", UAI, "--json")
    assert code == 0, out
    rows: list[dict[str, object]] = json.loads(out)["rows"]
    return rows


def test_blocked_in_the_list_and_the_page_until_a_reset(school: Path) -> None:
    """The list's JSON and its « État de compte » cell say blocked, the page has the blocked
    line and the footnote; a reset (new credentials) unblocks it in the list too.
    """
    code, out = cli(
        school, "notify", UAI, "--all", "--channel", "paper", "--out", str(school / "p"), "--yes"
    )
    assert code == 0, out
    login = str(_rows(school)[0]["login"])
    assert not any(row["blocked"] for row in _rows(school))
    _block(school, login)
    blocked = {str(row["login"]) for row in _rows(school) if row["blocked"]}
    assert blocked == {login}
    code, out = cli(school, "list", UAI, "--text", "", "--sort", "LOGIN")
    lines = [line for line in out.splitlines() if login in line]
    assert lines, out
    assert all("Notifié et non activé (bloqué)" in line for line in lines)
    assert sum("(bloqué)" in line for line in out.splitlines()) == len(lines)
    code, out = cli(school, "account", UAI, login)
    assert code == 0, out
    flat = " ".join(re.sub(r"[│┃─━┏┓┗┛┡┩└┘╭╮╰╯]", " ", out).split())
    assert f"{Say.BLOCKED_LABEL.text} {Say.BLOCKED.text}" in flat
    assert Say.PASSWORD_FOOTNOTE.text in flat
    page = json.loads(cli(school, "account", UAI, login, "--json")[1])
    assert page["blocked"] is True
    code, out = cli(school, "reset", UAI, "--login", login, "--yes")
    assert code == 0, out
    assert not any(row["blocked"] for row in _rows(school))
    assert json.loads(cli(school, "account", UAI, login, "--json")[1])["blocked"] is False
