"""The detailed guide's table §3.2 « Assistance aux utilisateurs », one scenario per row, driven
only through the public API on the sample school of `support`.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from tests.core.support import (
    AWA,
    CHOSEN,
    CLAIRE,
    EMAILS,
    HUGO,
    JEAN,
    JEANNE,
    LEO,
    LINA,
    LOGINS,
    MARC,
    OTHER_CHOSEN,
    UAI,
    Scene,
    notified,
    rentree,
)

from educonnect_core import (
    HIDDEN_PASSWORD,
    AccountState,
    ActionNotAllowed,
    ActivationLinkRefused,
    BirthDateLocked,
    BirthDateRefused,
    Channel,
    CredentialsRefused,
    FirstConnectionRequired,
    IdentityNotRecognised,
    LetterKind,
    Origin,
    PasswordChangeRequired,
    PendingActivation,
    Selection,
    Session,
)

N, D, A, V = (
    AccountState.NOT_NOTIFIED,
    AccountState.NOTIFIED,
    AccountState.ACTIVATING,
    AccountState.ACTIVATED,
)
UNCHANGED = "Votre mot de passe est inchangé."


class TestPerteDuLienVersLeGuichet:
    """« Perte du lien vers le guichet EduConnect »: re-notifying sends the portal's address again
    without touching the state or a password the guardian chose.
    """

    def test_renotify_an_activated_account_by_mail(self) -> None:
        scene = notified()
        scene.activate(LOGINS[CLAIRE])
        version = scene.stored(LOGINS[CLAIRE]).version
        report = scene.admin.notify(UAI, [LOGINS[CLAIRE]], Channel.EMAIL)
        (outcome,) = report.outcomes
        assert (outcome.letter, outcome.state_before, outcome.state_after) == (LetterKind.C04, V, V)
        mail = scene.mails_to(EMAILS[CLAIRE])[-1]
        assert mail.letter.kind is LetterKind.C04
        assert "https://educonnect.education.gouv.fr" in mail.letter.lines
        assert mail.letter.password is None
        assert UNCHANGED in mail.letter.lines
        assert scene.stored(LOGINS[CLAIRE]).version == version + 1
        assert scene.stored(LOGINS[CLAIRE]).distributed_at == scene.now
        assert isinstance(scene.portal.login(LOGINS[CLAIRE], CHOSEN), Session)

    def test_renotify_a_notified_account_on_paper_shows_its_password_again(self) -> None:
        scene = notified()
        password = scene.password(LOGINS[MARC])
        scene.admin.notify(UAI, [LOGINS[MARC]], Channel.PAPER)
        (sheet,) = scene.world.renderer.sheets[-1]
        assert (sheet.kind, sheet.password) == (LetterKind.C01, password)
        assert "https://educonnect.education.gouv.fr" in sheet.lines
        assert scene.stored(LOGINS[MARC]).state is D


class TestPerteDeSonIdentifiant:
    """« Perte de son identifiant »: the account page shows the login, and a re-notification
    carries it.
    """

    def test_the_page_and_the_letter_give_the_login(self) -> None:
        scene = notified()
        scene.activate(LOGINS[JEANNE])
        page = scene.page(LOGINS[JEANNE])
        assert (page.login, page.name, page.state) == ("j.dupont2", "Jeanne DUPONT", V)
        scene.admin.notify(UAI, [LOGINS[JEANNE]], Channel.PAPER)
        (sheet,) = scene.world.renderer.sheets[-1]
        assert sheet.kind is LetterKind.C03
        assert "Rappel de votre identifiant : j.dupont2" in sheet.lines
        assert UNCHANGED in sheet.lines
        assert ("director:dir-1", "VIEW_ACCOUNT", "done") in scene.audit_of(LOGINS[JEANNE])


class TestPerteDeSonMotDePasseNonEncoreChange:
    """« Perte de son mot de passe (non encore changé) »: the page shows the provisional password,
    a re-notification gives the same one, and it opens the first connection.
    """

    def test_read_it_on_the_page_or_renotify(self) -> None:
        scene = notified()
        page = scene.page(LOGINS[JEAN])
        assert len(page.password) == 8
        scene.admin.notify(UAI, [LOGINS[JEAN]], Channel.PAPER)
        (sheet,) = scene.world.renderer.sheets[-1]
        assert (sheet.kind, sheet.password) == (LetterKind.C01, page.password)
        assert f"Mot de passe * : {page.password}" in sheet.lines
        step = scene.portal.login(LOGINS[JEAN], page.password)
        assert step == FirstConnectionRequired(LOGINS[JEAN], "Léo DUPONT", None)
        scene.assert_no_secret_in_audit()


class TestPerteDeSonMotDePasseDejaChange:
    """« Perte de son mot de passe (déjà changé) »: a reset makes a new provisional password at
    once (the chosen one stops working), the re-notification carries it; the state never moves.
    """

    def test_reset_then_renotify(self) -> None:
        scene = notified()
        login = LOGINS[CLAIRE]
        scene.activate(login)
        assert scene.page(login).password == HIDDEN_PASSWORD

        report = scene.admin.reset_password(UAI, login)

        assert report.messages == ("Le mot de passe a bien été réinitialisé.",)

        page = scene.page(login)
        assert page.state is V
        assert len(page.password) == 8
        assert page.password != HIDDEN_PASSWORD
        with pytest.raises(CredentialsRefused):
            scene.portal.login(login, CHOSEN)

        scene.admin.notify(UAI, [login], Channel.PAPER)
        (sheet,) = scene.world.renderer.sheets[-1]
        assert (sheet.kind, sheet.password) == (LetterKind.C03, page.password)
        assert "* Mot de passe provisoire, à modifier lors de la prochaine connexion" in (
            sheet.lines
        )

        assert scene.portal.login(login, page.password) == PasswordChangeRequired(login)
        scene.portal.change_password(login, page.password, OTHER_CHOSEN)
        assert isinstance(scene.portal.login(login, OTHER_CHOSEN), Session)
        assert scene.page(login).password == HIDDEN_PASSWORD
        assert scene.stored(login).state is V
        assert ("guardian:c.lebrun", "CHANGE_PASSWORD", "done") in scene.audit_of(login)
        assert ("director:dir-1", "RESET_PASSWORD", "done") in scene.audit_of(login)
        scene.assert_no_secret_in_audit()

    @pytest.mark.parametrize(
        ("channel", "kind"), [(Channel.PAPER, LetterKind.C05), (Channel.EMAIL, LetterKind.C06)]
    )
    def test_renotify_with_reset_sends_the_password_change_letter(
        self, channel: Channel, kind: LetterKind
    ) -> None:
        scene = notified()
        login = LOGINS[AWA]
        scene.activate(login)
        report = scene.admin.notify(UAI, [login], channel, reset=True)
        (outcome,) = report.outcomes
        assert (outcome.letter, outcome.password_reset, outcome.state_after) == (kind, True, V)
        letter = (
            scene.mails_to(EMAILS[AWA])[-1].letter
            if channel is Channel.EMAIL
            else scene.world.renderer.sheets[-1][0]
        )
        assert letter.kind is kind
        assert letter.password == scene.password(login)
        assert letter.lines[0] == (
            "A l’attention de Awa DIALLO."
            if channel is Channel.PAPER
            else "Demande de changement de mot de passe pour les services en ligne"
        )
        with pytest.raises(CredentialsRefused):
            scene.portal.login(login, CHOSEN)
        assert scene.portal.login(login, letter.password) == PasswordChangeRequired(login)


class TestPerteDuLienDActivation:
    """« Perte du lien d’activation »: the director resends the C07 e-mail to an ACTIVATING
    account; the new link works, the old one no longer does; other states are refused.
    """

    def test_resend_the_activation_email(self) -> None:
        scene = notified()
        login = LOGINS[JEANNE]
        scene.first_connection(login)
        lost = scene.token(EMAILS[JEANNE])
        scene.admin.resend_activation_email(UAI, login)
        fresh = scene.token(EMAILS[JEANNE])
        assert [m.letter.kind for m in scene.mails_to(EMAILS[JEANNE])] == [LetterKind.C07] * 2
        with pytest.raises(ActivationLinkRefused):
            scene.portal.confirm_email(lost)
        assert scene.portal.confirm_email(fresh) == login
        assert scene.stored(login).state is V
        assert ("director:dir-1", "RESEND_ACTIVATION_EMAIL", "done") in scene.audit_of(login)
        scene.assert_no_secret_in_audit()

    @pytest.mark.parametrize("rid", [CLAIRE, MARC])
    def test_resend_is_refused_outside_activating(self, rid: str) -> None:
        scene = notified()
        login = LOGINS[rid]
        if rid == CLAIRE:
            scene.activate(login)
        before = scene.stored(login)
        with pytest.raises(ActionNotAllowed) as refused:
            scene.admin.resend_activation_email(UAI, login, "autre@example.org")
        assert refused.value.action == "RESEND_ACTIVATION_EMAIL"
        assert scene.stored(login) == before
        assert ("director:dir-1", "RESEND_ACTIVATION_EMAIL", "refused") in scene.audit_of(login)


class TestChangementDAdresseMail:
    """« Changement d’adresse mail »: ACTIVATING — the director resends with the new address;
    NOT_NOTIFIED / NOTIFIED — the guardian gives it at first connection; ACTIVATED — the guardian
    changes it from the account, and the feed never overwrites it.
    """

    def test_activating_resend_with_the_corrected_address(self) -> None:
        scene = notified()
        login = LOGINS[CLAIRE]
        scene.first_connection(login, email="claire.typo@exmaple.org")
        old = scene.token("claire.typo@exmaple.org")
        scene.admin.resend_activation_email(UAI, login, "claire.new@example.org")
        assert scene.page(login).email == "claire.new@example.org"
        with pytest.raises(ActivationLinkRefused):
            scene.portal.confirm_email(old)
        assert scene.portal.confirm_email(scene.token("claire.new@example.org")) == login
        assert scene.stored(login).state is V
        assert isinstance(scene.portal.login(login, CHOSEN), Session)

    def test_activating_guardian_can_also_change_it_by_logging_in_again(self) -> None:
        scene = notified()
        login = LOGINS[AWA]
        scene.first_connection(login)
        old = scene.token(EMAILS[AWA])
        assert scene.portal.login(login, CHOSEN) == PendingActivation(login, EMAILS[AWA])
        scene.portal.change_email(login, CHOSEN, "awa.d@example.org")
        with pytest.raises(ActivationLinkRefused):
            scene.portal.confirm_email(old)
        assert scene.portal.confirm_email(scene.token("awa.d@example.org")) == login

    @pytest.mark.parametrize("start", [N, D])
    def test_not_yet_activated_guardian_gives_it_at_first_connection(
        self, start: AccountState
    ) -> None:
        scene = rentree() if start is N else notified()
        login = LOGINS[JEANNE]
        with pytest.raises(ActionNotAllowed):
            scene.admin.resend_activation_email(UAI, login, "jeanne.new@example.org")
        if start is N:
            with pytest.raises(CredentialsRefused):
                scene.portal.login(login, scene.stored(login).password.secret)  # type: ignore[union-attr]
            scene.admin.notify(UAI, [login], Channel.EMAIL)
        address = scene.first_connection(login, email="jeanne.new@example.org")
        assert address == "jeanne.new@example.org"
        assert scene.portal.confirm_email(scene.token(address)) == login
        page = scene.page(login)
        assert (page.email, page.state) == ("jeanne.new@example.org", V)
        scene.next_day_integration()
        assert scene.page(login).email == "jeanne.new@example.org"

    def test_activated_guardian_changes_it_from_the_account(self) -> None:
        scene = notified()
        login = LOGINS[CLAIRE]
        scene.activate(login)
        with pytest.raises(ActionNotAllowed):
            scene.admin.resend_activation_email(UAI, login, "claire.new@example.org")
        mails = len(scene.world.mailer.sent)
        scene.portal.change_email(login, CHOSEN, "claire.new@example.org")
        assert len(scene.world.mailer.sent) == mails
        assert scene.page(login).email == "claire.new@example.org"
        assert scene.stored(login).state is V
        report = scene.next_day_integration()
        assert report.accounts_updated == 0
        assert scene.page(login).email == "claire.new@example.org"
        assert scene.stored(login).directory_email is not None
        assert scene.stored(login).directory_email.value == EMAILS[CLAIRE]  # type: ignore[union-attr]
        assert ("guardian:c.lebrun", "CHANGE_EMAIL", "done") in scene.audit_of(login)


def _wrong_birth_date_in_the_feed(scene: Scene, student_id: str) -> date:
    """The directory holds a wrong birth date for `student_id`; returns the true one."""
    true = scene.feed.students[student_id].birth_date
    scene.feed.correct_birth_date(student_id, true + timedelta(days=31))
    scene.integrate()
    return true


class TestRefusDeLaDateDeNaissance:
    """« Refus de la date de naissance de son enfant lors de l’activation »: the true date is
    refused while the directory is wrong; once corrected in the feed, the next day's try succeeds,
    also after the 3-try lock.
    """

    def test_refused_corrected_in_the_feed_retried_the_next_day_succeeds(self) -> None:
        scene = notified()
        login = LOGINS[CLAIRE]
        true = _wrong_birth_date_in_the_feed(scene, HUGO)
        password = scene.password(login)
        step = scene.portal.login(login, password)
        assert step == FirstConnectionRequired(login, "Hugo LEBRUN", EMAILS[CLAIRE])
        before = scene.stored(login)
        with pytest.raises(BirthDateRefused) as refused:
            scene.portal.first_connection(
                login, password, new_password=CHOSEN, email=EMAILS[CLAIRE], birth_date=true
            )
        assert refused.value.attempts_left == 2
        assert refused.value.french == (
            "La date de naissance saisie ne correspond pas à celle de votre enfant."
        )
        after = scene.stored(login)
        assert (after.state, after.password) == (before.state, before.password)
        assert after.birth_date_failures.failures == 1

        scene.feed.correct_birth_date(HUGO, true)
        report = scene.next_day_integration()
        assert report.pupils_updated == 1
        assert report.birth_date_locks_cleared == 1
        scene.portal.first_connection(
            login, password, new_password=CHOSEN, email=EMAILS[CLAIRE], birth_date=true
        )
        assert scene.stored(login).state is A
        assert ("feed", "BIRTH_DATE_CORRECTED", "done") in scene.audit_of(login)
        assert ("guardian:c.lebrun", "BIRTH_DATE", "refused: wrong birth date") in (
            scene.audit_of(login)
        )
        scene.assert_no_secret_in_audit()

    def test_after_the_three_try_lock_too(self) -> None:
        scene = notified()
        login = LOGINS[MARC]
        true = _wrong_birth_date_in_the_feed(scene, LINA)
        password = scene.password(login)

        def attempt() -> None:
            scene.portal.first_connection(
                login, password, new_password=CHOSEN, email="marc@example.org", birth_date=true
            )

        for left in (2, 1):
            with pytest.raises(BirthDateRefused) as refused:
                attempt()
            assert refused.value.attempts_left == left
        with pytest.raises(BirthDateLocked) as locked:
            attempt()
        assert locked.value.retry_at > scene.now
        with pytest.raises(BirthDateLocked):
            attempt()
        assert scene.stored(login).state is D

        scene.feed.correct_birth_date(LINA, true)
        scene.next_day_integration()
        assert scene.stored(login).birth_date_failures.failures == 0
        attempt()
        assert scene.stored(login).state is A
        # Claire, Lina's other guardian, had no failure: her counter was not touched.
        assert scene.stored(LOGINS[CLAIRE]).birth_date_failures.failures == 0


def _birth_dates(scene: Scene, *student_ids: str) -> dict[str, date]:
    return {sid: scene.feed.students[sid].birth_date for sid in student_ids}


class TestMobileNonReconnuSms:
    """« Impossibilité de créer son compte par SMS car numéro de mobile non reconnu »: refused
    while the directory has another number; corrected in the feed, the D+1 sign-up activates the
    account with origin RESPONSABLE.
    """

    def test_sms_sign_up_after_the_mobile_is_corrected(self) -> None:
        scene = notified()
        login = LOGINS[CLAIRE]
        before = scene.fingerprint()
        real = "07 98 76 54 32"

        def sign_up() -> str:
            return scene.portal.sign_up_by_sms(
                surname="Lebrun",
                first_name="Claire",
                mobile=real,
                birth_dates=_birth_dates(scene, LINA, HUGO),
                new_password=CHOSEN,
            )

        with pytest.raises(IdentityNotRecognised) as refused:
            sign_up()
        assert refused.value.french == (
            "Les informations saisies (nom, prénom, numéro de mobile) ne sont pas reconnues."
        )
        after = scene.fingerprint()
        assert after[:3] == before[:3]
        assert [(e.actor, e.action, e.outcome) for e in scene.audit()[-1:]] == [
            ("guardian:?", "RESPONSABLE", "refused: identity not recognised")
        ]

        scene.feed.correct_mobile(CLAIRE, real)
        report = scene.next_day_integration()
        assert report.accounts_updated == 1
        assert scene.page(login).mobile == "0798765432"
        assert sign_up() == login
        account = scene.stored(login)
        assert (account.state, account.origin) == (V, Origin.RESPONSABLE)
        assert isinstance(scene.portal.login(login, CHOSEN), Session)
        assert scene.page(login).password == HIDDEN_PASSWORD
        assert ("guardian:c.lebrun", "RESPONSABLE", "done") in scene.audit_of(login)
        scene.assert_no_secret_in_audit()


class TestMobileNonReconnuFranceConnect:
    """« Impossibilité de se connecter avec FranceConnect car numéro de mobile non reconnu »: the
    same, through FranceConnect: origin FRANCECONNECT.
    """

    def test_franceconnect_after_the_mobile_is_corrected(self) -> None:
        scene = notified()
        login = LOGINS[MARC]

        def connect() -> str:
            return scene.portal.connect_with_franceconnect(
                surname="LEBRUN",
                first_name="Marc",
                mobile="+33 6 12 34 56 78",
                birth_dates=_birth_dates(scene, LINA),
            )

        with pytest.raises(IdentityNotRecognised):
            connect()
        assert scene.stored(login).state is D
        scene.feed.correct_mobile(MARC, "06 12 34 56 78")
        scene.next_day_integration()
        assert connect() == login
        account = scene.stored(login)
        assert (account.state, account.origin) == (V, Origin.FRANCECONNECT)
        assert ("guardian:m.lebrun", "FRANCECONNECT", "done") in scene.audit_of(login)
        assert scene.admin.rows(UAI, Selection(origins={Origin.FRANCECONNECT})).total == 1
        scene.assert_no_secret_in_audit()

    def test_a_wrong_birth_date_is_refused_there_too(self) -> None:
        scene = rentree()
        with pytest.raises(BirthDateRefused):
            scene.portal.connect_with_franceconnect(
                surname="DUPONT",
                first_name="Jean",
                mobile="0611223344",
                birth_dates={LEO: date(2000, 1, 1)},
            )
        assert scene.stored(LOGINS[JEAN]).state is N
