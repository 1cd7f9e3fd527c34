"""A letter carrying a password goes only to an address someone can vouch for (issue 9 item 6):
the directory's, or one the guardian confirmed — never the address typed at first connection
that nobody confirmed yet.
"""

from __future__ import annotations

from tests.core.support import AWA, EMAILS, JEAN, JEANNE, LOGINS, UAI, notified

from educonnect_core import Channel, LetterKind, Skip

UNCONFIRMED_ONE = "L'adresse mail n'étant pas confirmée, la distribution par mail est impossible."


class TestUnconfirmedAddress:
    """An ACTIVATING account whose only address is the unconfirmed one is skipped for a letter
    with a password, with a clear reason; a directory address or a confirmed one is used.
    """

    def test_reset_letter_to_an_unconfirmed_only_address_is_skipped(self) -> None:
        scene = notified()
        login = LOGINS[JEAN]  # no address in the directory
        scene.first_connection(login, email="jean.typo@example.org")
        sent = len(scene.world.mailer.sent)
        report = scene.admin.notify(UAI, [login], Channel.EMAIL, reset=True)
        (outcome,) = report.outcomes
        assert (outcome.done, outcome.skip) == (False, Skip.UNCONFIRMED_EMAIL)
        assert report.messages == (
            "L'adresse mail n'étant pas confirmée, la distribution par mail est impossible pour "
            "le(s) responsable(s) suivant(s) (total : 1 compte(s)) : DUPONT Jean",
        )
        assert len(scene.world.mailer.sent) == sent
        assert not scene.stored(login).provisional  # nothing was reset either
        assert ("director:dir-1", "NOTIFY_WITH_RESET", "skipped: unconfirmed e-mail") in (
            scene.audit_of(login)
        )

    def test_from_the_page_the_one_account_message(self) -> None:
        scene = notified()
        login = LOGINS[JEAN]
        scene.first_connection(login, email="jean.typo@example.org")
        report = scene.admin.notify(UAI, login, Channel.EMAIL, reset=True)
        assert report.messages == (UNCONFIRMED_ONE,)

    def test_a_letter_without_password_still_goes_to_the_typed_address(self) -> None:
        scene = notified()
        login = LOGINS[JEAN]
        scene.first_connection(login, email="jean.typo@example.org")
        report = scene.admin.notify(UAI, [login], Channel.EMAIL)
        assert [o.letter for o in report.done] == [LetterKind.C04]
        mail = scene.world.mailer.sent[-1]
        assert (mail.to.value, mail.letter.password) == ("jean.typo@example.org", None)

    def test_the_directory_address_receives_the_password(self) -> None:
        scene = notified()
        login = LOGINS[JEANNE]
        scene.first_connection(login, email="quelquun@example.org")
        scene.admin.notify(UAI, [login], Channel.EMAIL, reset=True)
        mail = scene.world.mailer.sent[-1]
        assert mail.letter.kind is LetterKind.C06
        assert mail.to.value == EMAILS[JEANNE]
        assert mail.letter.password == scene.password(login)

    def test_a_confirmed_address_receives_the_password(self) -> None:
        scene = notified()
        login = LOGINS[AWA]
        scene.activate(login, email="awa.perso@example.org")
        scene.admin.notify(UAI, [login], Channel.EMAIL, reset=True)
        mail = scene.world.mailer.sent[-1]
        assert (mail.letter.kind, mail.to.value) == (LetterKind.C06, "awa.perso@example.org")
