"""The account page as the guide shows it (issue 10 item 4; guide §5.2, §5.5, quick guide §6.1):
no reset offered to a NOT_NOTIFIED account, the guide's labels, empty values and footnote.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from tests.core.support import AWA, CLAIRE, EMAILS, JEAN, LOGINS, MARC, UAI, notified, rentree

from educonnect_core import Action, ActionNotAllowed, Channel, Selection, Skip

PARIS = ZoneInfo("Europe/Paris")


class TestNoResetForNotNotified:
    """From its page, a NOT_NOTIFIED account is offered neither reset nor notify-with-reset, and
    both are refused; from the list, notify-with-reset still notifies it without a reset.
    """

    def test_the_page_offers_only_a_plain_notification(self) -> None:
        scene = rentree()
        page = scene.page(LOGINS[MARC])
        assert page.actions == (Action.NOTIFY,)

    def test_a_notified_account_is_offered_both_resets(self) -> None:
        scene = notified()
        page = scene.page(LOGINS[MARC])
        assert page.actions == (
            Action.NOTIFY,
            Action.NOTIFY_WITH_RESET,
            Action.RESET_PASSWORD,
        )

    def test_unit_notify_with_reset_is_refused_and_audited(self) -> None:
        scene = rentree()
        login = LOGINS[MARC]
        before = scene.stored(login)
        with pytest.raises(ActionNotAllowed) as refused:
            scene.admin.notify(UAI, login, Channel.PAPER, reset=True)
        assert (refused.value.state, refused.value.action) == ("NOT_NOTIFIED", "NOTIFY_WITH_RESET")
        assert scene.stored(login) == before
        assert scene.world.renderer.sheets == []
        assert scene.audit_of(login)[-1] == ("director:dir-1", "NOTIFY_WITH_RESET", "refused")

    def test_bulk_notify_with_reset_keeps_notifying_without_reset(self) -> None:
        scene = rentree()
        report = scene.admin.notify(UAI, [LOGINS[MARC]], Channel.PAPER, reset=True)
        (outcome,) = report.outcomes
        assert (outcome.done, outcome.password_reset, outcome.skip) == (
            True,
            False,
            Skip.RESET_NOT_APPLIED,
        )


class TestFields:
    """« Informations du compte »: the guide's labels, « Non renseigné(e) » for what is empty,
    no password row before the first notification, the footnote on provisional passwords.
    """

    def test_a_not_notified_account(self) -> None:
        scene = rentree()
        page = scene.page(LOGINS[MARC])
        assert page.fields(PARIS) == (
            ("Identifiant", "m.lebrun"),
            ("Courrier électronique", "Non renseigné"),
            ("Téléphone Mobile", "Non renseigné"),
            ("Origine du compte", "Non renseigné"),
            ("État du compte", "Non notifié"),
            ("Date de distribution", "Non renseignée"),
            ("Date de dernière connexion", "Non renseignée"),
        )
        assert page.footnote == (
            "* Seuls les mots de passe provisoires sont affichés, le mot de passe choisi par le "
            "responsable lors de l'activation de son compte est masqué."
        )

    def test_an_activated_account(self) -> None:
        scene = rentree()
        scene.admin.notify(UAI, Selection(), Channel.PAPER)
        scene.activate(LOGINS[AWA])
        day = f"{scene.now.astimezone(PARIS):%d-%m-%Y}"
        assert dict(scene.page(LOGINS[AWA]).fields(PARIS)) == {
            "Identifiant": "a.diallo",
            "Mot de passe *": "******",
            "Courrier électronique": EMAILS[AWA],
            "Téléphone Mobile": "0600000003",
            "Origine du compte": "Etablissement",
            "État du compte": "Activé",
            "Date de distribution": day,
            "Date de dernière connexion": day,
        }

    def test_a_notified_account_shows_its_provisional_password(self) -> None:
        scene = notified()
        fields = dict(scene.page(LOGINS[JEAN]).fields(PARIS))
        assert fields["Mot de passe *"] == scene.password(LOGINS[JEAN])
        assert fields["Courrier électronique"] == "Non renseigné"
        assert (
            dict(scene.page(LOGINS[CLAIRE]).fields())["Courrier électronique"] == (EMAILS[CLAIRE])
        )
