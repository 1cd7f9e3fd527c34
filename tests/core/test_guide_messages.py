"""The sentences a director reads, compared whole with the guide v1.9's screenshots (issue 10
items 1, 7 and 14): after a notification, a reset, a resend, for a selection and for one account;
the confirmation questions and menu labels; refusals in French.
"""

from __future__ import annotations

import pytest
from tests.core.support import CLAIRE, JEAN, JEANNE, LOGINS, MARC, UAI, notified, rentree

from educonnect_core import (
    Action,
    ActionNotAllowed,
    ActionReport,
    Channel,
    Say,
    Selection,
    Skip,
    TransitionNotAllowed,
    confirmation_question,
    confirmation_warning,
    menu_label,
)

NOTIFIED = "La distribution a été effectuée avec succès pour le(s) compte(s) sélectionné(s)."
NOTIFIED_ONE = "La distribution a été effectuée avec succès."
NO_EMAIL_ONE = "Aucune adresse mail n'étant renseignée, la distribution par mail est impossible."
RESET = "Le mot de passe a bien été réinitialisé pour les responsable(s) sélectionné(s)."
RESET_ONE = "Le mot de passe a bien été réinitialisé."
WARNING = (
    "Avertissement : les mots de passe des comptes qui n'étaient pas encore notifiés "
    "n'ont pas été mis à jour."
)


class TestAfterAnAction:
    """The confirmation and the errors after an action are the guide's, whole: bulk variants
    for a selection, one-account variants for a page, names as « NOM Prénom » joined by « , ».
    """

    def test_bulk_email_notification_confirms_and_names_those_without_address(self) -> None:
        scene = rentree()
        report = scene.admin.notify(UAI, Selection(), Channel.EMAIL)
        assert report.messages == (
            NOTIFIED,
            "Aucune adresse mail n'étant renseignée, la distribution par mail est impossible "
            "pour le(s) responsable(s) suivant(s) (total : 2 compte(s)) : "
            "DUPONT Jean , LEBRUN Marc",
        )

    def test_one_account_notified_from_its_page(self) -> None:
        scene = rentree()
        report = scene.admin.notify(UAI, LOGINS[CLAIRE], Channel.PAPER)
        assert (report.unit, report.messages) == (True, (NOTIFIED_ONE,))
        assert report.download_label == "Télécharger le courrier au format PDF"

    def test_one_account_without_address_from_its_page(self) -> None:
        scene = rentree()
        report = scene.admin.notify(UAI, LOGINS[MARC], Channel.EMAIL)
        assert report.messages == (NO_EMAIL_ONE,)
        assert [o.skip for o in report.outcomes] == [Skip.NO_EMAIL]

    def test_bulk_reset_and_its_warning(self) -> None:
        scene = notified()
        report = scene.admin.reset_passwords(UAI, [LOGINS[CLAIRE], LOGINS[JEAN]])
        assert report.messages == (RESET,)

    def test_bulk_paper_notification_with_reset_warns_for_the_not_notified(self) -> None:
        scene = rentree()
        scene.admin.notify(UAI, [LOGINS[CLAIRE]], Channel.PAPER)
        report = scene.admin.notify(UAI, [LOGINS[CLAIRE], LOGINS[MARC]], Channel.PAPER, reset=True)
        assert report.messages == (NOTIFIED, WARNING)

    def test_unit_reset_answers_a_report_of_one(self) -> None:
        scene = notified()
        report = scene.admin.reset_password(UAI, LOGINS[CLAIRE])
        assert isinstance(report, ActionReport)
        assert (report.unit, report.action, report.messages) == (
            True,
            Action.RESET_PASSWORD,
            (RESET_ONE,),
        )
        (outcome,) = report.outcomes
        assert outcome.done
        assert outcome.password_reset
        assert scene.page(LOGINS[CLAIRE]).password == scene.password(LOGINS[CLAIRE])

    def test_resend(self) -> None:
        scene = notified()
        scene.first_connection(LOGINS[JEANNE])
        report = scene.admin.resend_activation_email(UAI, LOGINS[JEANNE])
        assert report.messages == ("Le mail a été renvoyé.",)


class TestVocabulary:
    """The questions, labels and the empty-search sentence are data the web console and the
    command line show as they are.
    """

    def test_confirmation_questions(self) -> None:
        assert confirmation_question(Action.NOTIFY, Channel.PAPER) == (
            "Êtes-vous sûr de vouloir notifier le(s) compte(s) (par feuille individuelle) ?"
        )
        assert confirmation_question(Action.NOTIFY_WITH_RESET, Channel.EMAIL) == (
            "Êtes-vous sûr de vouloir notifier le(s) compte(s) (par email) ?"
        )
        assert confirmation_question(Action.NOTIFY, Channel.EMAIL, unit=True) == (
            "Êtes-vous sûr de vouloir notifier le compte (par email) ?"
        )
        assert confirmation_question(Action.RESET_PASSWORD) == (
            "Êtes-vous sûr de vouloir réinitialiser le(s) compte(s) ?"
        )
        assert confirmation_question(Action.RESET_PASSWORD, unit=True) == (
            "Êtes-vous sûr de vouloir réinitialiser le mot de passe du compte ?"
        )
        assert confirmation_question(Action.EXPORT_CSV) is None
        assert confirmation_warning(Action.NOTIFY) == (
            "Avertissement : si vous avez coché l'option 'Avec réinitialisation du mot de passe', "
            "un nouveau mot de passe provisoire sera attribué aux responsables ayant déjà activé "
            "leur compte."
        )

    def test_menu_labels_and_the_empty_search(self) -> None:
        assert menu_label(Action.EXPORT_CSV) == "Exporter la liste des responsables (format csv)"
        assert Action.EXPORT_CSV.label == menu_label(Action.EXPORT_CSV)
        assert menu_label(Action.EXPORT_PDF) == "Imprimer la liste des responsables (format pdf)"
        assert menu_label(Action.RESET_PASSWORD) == "Réinitialiser le(s) mot(s) de passe"
        assert menu_label(Action.RESET_PASSWORD, unit=True) == "Réinitialiser le mot de passe"
        assert Say.NO_RESULT.text == (
            "Attention ! Aucun responsable ne correspond à vos critères de sélection. "
            "Veuillez modifier votre demande."
        )
        assert Say.RESET_NOT_APPLIED.text == WARNING


class TestRefusalsInFrench:
    """A refusal names the state by its French label and the action in French words, never a
    code (issue 10 item 7).
    """

    def test_unit_reset_of_a_not_notified_account(self) -> None:
        scene = rentree()
        with pytest.raises(ActionNotAllowed) as refused:
            scene.admin.reset_password(UAI, LOGINS[MARC])
        assert refused.value.french == (
            "Impossible de réinitialiser le mot de passe : le compte est à l'état « Non notifié »."
        )

    def test_resend_outside_activating(self) -> None:
        scene = notified()
        with pytest.raises(ActionNotAllowed) as refused:
            scene.admin.resend_activation_email(UAI, LOGINS[MARC])
        assert refused.value.french == (
            "Impossible de renvoyer le courriel d'activation : le compte est à l'état "
            "« Notifié et non activé »."
        )

    @pytest.mark.parametrize(
        ("state", "action"),
        [("ACTIVATED", "RESEND_ACTIVATION"), ("NOT_NOTIFIED", "CHANGE_PASSWORD")],
    )
    def test_no_code_in_any_refusal(self, state: str, action: str) -> None:
        french = TransitionNotAllowed("r-1", state, action).french
        assert state not in french
        assert action not in french
        assert french.startswith("Impossible ")
