"""Every letter C01–C07, word for word against the guide's annex A1 (issue 10 item 2).

The expected texts below are transcribed from the guide (« Annexe 1 : Courriers », A1.2 to A1.8),
with the sample's data (Jean DUPONT, the school CHARLEMAGNE, Léa, Enzo and Maël DUPONT,
celine.dupont114, BUNZ57DM) replaced by placeholders; they are not built from the library's
templates. The letters are produced by the real use cases — a notification on paper and by
e-mail, with and without a reset, of accounts in each of the four states, and the first
connection that sends C07 — and compared word for word: any changed, added or missing word fails.
"""

from __future__ import annotations

import pytest
from tests.documents.support import SCHOOL_NAME, UAI, SchoolWorld, bring_to, school_world

from educonnect_core import AccountState, Channel, LetterContent, LetterKind
from educonnect_core.testing import RecordingMailer, RecordingRenderer

# Transcribed from annex A1 (guide v1.9). The guide's layout (indents, blank lines) does not
# count; the words and their order do. In A1.2 the last child lacks its dash (« Maël DUPONT : »),
# a slip of the guide's page layout: A1.3, A1.6 and A1.7 show it, and so do we.
C01 = """
A l’attention de {recipient}.
Mise à disposition de services en ligne pour suivre la scolarité de votre enfant

L’école {school} met à la disposition des parents d’élèves un ensemble de services
pédagogiques et administratifs, accessibles à l’adresse internet suivante :
https://educonnect.education.gouv.fr

En ce qui concerne votre compte d’accès :
Vous trouverez ci-dessous l’identifiant et le mot de passe de votre compte internet pour
accéder aux services proposés pour
{children} :
Identifiant : {login}
Mot de passe * : {password}
* Mot de passe provisoire, à modifier lors de la première connexion

Le directeur d’école.

Activez votre compte responsable en 2 étapes :
Pour accéder aux services une adresse de messagerie est indispensable.

Etape 1 : à la première connexion, vous devrez saisir le mot de passe provisoire ci-dessus, et
vérifier votre adresse de messagerie.

Etape 2 : un courriel contenant un lien d'activation vous sera envoyé, sur lequel il faut
absolument cliquer afin d'activer votre compte.
NB: Si vous ne recevez pas de courriel, vérifiez qu'il n'a pas été classé comme "spam" ou
connectez-vous à nouveau pour modifier votre adresse de messagerie.

En cas de problème, vous trouverez toutes les informations nécessaires à cette adresse :
https://educonnect.education.gouv.fr/educt-aide/contacts/
"""

C02 = """
L’école {school} met à la disposition des parents d’élèves un ensemble de services
pédagogiques et administratifs, accessibles à l’adresse internet suivante :
https://educonnect.education.gouv.fr

En ce qui concerne votre compte d’accès :
Vous trouverez ci-dessous l’identifiant et le mot de passe de votre compte internet pour
accéder aux services proposés pour
{children} :

Identifiant : {login}
Mot de passe * : {password}
* Mot de passe provisoire, à modifier lors de la première connexion

Le directeur d’école.

Activez votre compte responsable en 2 étapes :
Pour accéder aux services une adresse de messagerie est indispensable.

Etape 1 : à la première connexion, vous devrez saisir le mot de passe provisoire ci-dessus, et
vérifier votre adresse de messagerie.

Etape 2 : un courriel contenant un lien d'activation vous sera envoyé, sur lequel il faut
absolument cliquer afin d'activer votre compte.
NB: Si vous ne recevez pas de courriel, vérifiez qu'il n'a pas été classé comme "spam" ou
connectez-vous à nouveau pour modifier votre adresse de messagerie.

En cas de problème, vous trouverez toutes les informations nécessaires à cette adresse :
https://educonnect.education.gouv.fr/educt-aide/contacts/
"""

C03 = """
A l’attention de {recipient}.
Mise à disposition de services en ligne pour suivre la scolarité de votre enfant

Votre compte d’accès aux services pédagogiques et administratifs proposés pour
{children}
est toujours valide.

Rappel de votre identifiant : {login}

Votre mot de passe est inchangé.

Pour accéder à vos services, il suffit de vous connecter à l’adresse internet suivante :
https://educonnect.education.gouv.fr

Le directeur d’école.

En cas de problème, vous trouverez toutes les informations nécessaires à cette adresse :
https://educonnect.education.gouv.fr/educt-aide/contacts/
"""

C04 = """
Votre compte d’accès aux services pédagogiques et administratifs proposés pour
{children}
est toujours valide.

Rappel de votre identifiant : {login}

Votre mot de passe est inchangé.

Pour accéder à vos services, il suffit de vous connecter à l’adresse internet suivante :
https://educonnect.education.gouv.fr

Le directeur d’école.

En cas de problème, vous trouverez toutes les informations nécessaires à cette adresse :
https://educonnect.education.gouv.fr/educt-aide/contacts/
"""

C05 = """
A l’attention de {recipient}.
Demande de changement de mot de passe pour les services en ligne

Vous avez demandé auprès de l’école {school} un changement de mot de passe pour
accéder aux services pédagogiques et administratifs, accessibles à l’adresse internet
suivante :
https://educonnect.education.gouv.fr

En ce qui concerne votre compte d'accès :

Vous trouverez ci-dessous l'identifiant et le nouveau mot de passe provisoire de votre
compte internet pour accéder aux services proposés pour
{children} :

Identifiant : {login}
Mot de passe * : {password}
* Mot de passe provisoire, à modifier lors de la prochaine connexion

Le directeur d’école.

En cas de problème, vous trouverez toutes les informations nécessaires à cette adresse :
https://educonnect.education.gouv.fr/educt-aide/contacts/
"""

C06 = """
Demande de changement de mot de passe pour les services en ligne

Vous avez demandé auprès de l’école {school} un changement de mot de passe pour
accéder aux services pédagogiques et administratifs, accessibles à l’adresse internet
suivante :

https://educonnect.education.gouv.fr

En ce qui concerne votre compte d'accès :

Vous trouverez ci-dessous l'identifiant et le nouveau mot de passe provisoire de votre
compte internet pour accéder aux services proposés pour

{children} :

Identifiant : {login}

Mot de passe * : {password}
* Mot de passe provisoire, à modifier lors de la prochaine connexion

Le directeur d’école.

En cas de problème, vous trouverez toutes les informations nécessaires à cette adresse :
https://educonnect.education.gouv.fr/educt-aide/contacts/
"""

C07 = """
Bonjour,

Vous souhaitez accéder aux services en ligne de l'éducation nationale avec l'identifiant
{login}

Pour activer votre compte, vous devez d'abord valider votre adresse mail en cliquant sur le
lien ci-dessous et connectez-vous avec le mot de passe que vous avez choisi :

{link}

En cas de problème, vous trouverez toutes les informations nécessaires à cette adresse :
https://educonnect.education.gouv.fr/educt-aide/contacts/

Cordialement,

L'administrateur des services en ligne
"""

TEXTS = {
    LetterKind.C01: C01,
    LetterKind.C02: C02,
    LetterKind.C03: C03,
    LetterKind.C04: C04,
    LetterKind.C05: C05,
    LetterKind.C06: C06,
    LetterKind.C07: C07,
}
#: Annex A1: « Type », « Expéditeur » and « Sujet » of each letter (None: « N/A », a sheet).
HEADERS: dict[LetterKind, tuple[str | None, str | None]] = {
    LetterKind.C01: (None, None),
    LetterKind.C02: (
        "Administrateur des services en ligne",
        "Mise à disposition de services en ligne pour suivre la scolarité de votre enfant",
    ),
    LetterKind.C03: (None, None),
    LetterKind.C04: (
        "Administrateur des services en ligne",
        "Mise à disposition de services en ligne pour suivre la scolarité de votre enfant",
    ),
    LetterKind.C05: (None, None),
    LetterKind.C06: (
        "Administrateur des services en ligne",
        "Services en ligne de l'éducation nationale - demande de changement de mot de passe",
    ),
    LetterKind.C07: (
        "Administrateur des services en ligne",
        "Services en ligne de l'éducation nationale - activation du compte",
    ),
}
#: Annex A1.1, restated: (state, reset) → (paper letter, e-mail letter).
TABLE = {
    (AccountState.NOT_NOTIFIED, False): (LetterKind.C01, LetterKind.C02),
    (AccountState.NOTIFIED, False): (LetterKind.C01, LetterKind.C02),
    (AccountState.ACTIVATING, False): (LetterKind.C03, LetterKind.C04),
    (AccountState.ACTIVATED, False): (LetterKind.C03, LetterKind.C04),
    (AccountState.NOT_NOTIFIED, True): (LetterKind.C01, LetterKind.C02),
    (AccountState.NOTIFIED, True): (LetterKind.C01, LetterKind.C02),
    (AccountState.ACTIVATING, True): (LetterKind.C05, LetterKind.C06),
    (AccountState.ACTIVATED, True): (LetterKind.C05, LetterKind.C06),
}
STATES = (
    AccountState.NOT_NOTIFIED,
    AccountState.NOTIFIED,
    AccountState.ACTIVATING,
    AccountState.ACTIVATED,
)


def words(text: str) -> list[str]:
    return text.split()


def expected(kind: LetterKind, **data: str) -> list[str]:
    """The annex's words for letter `kind`, with `data` in place of the sample's."""
    return words(TEXTS[kind].format(**data))


def letter_words(letter: LetterContent) -> list[str]:
    return words("\n".join(letter.lines))


def children_list(names: tuple[str, ...]) -> str:
    return "\n".join(f"- {name}" for name in names)


def world_in_states(renderer: RecordingRenderer, mailer: RecordingMailer) -> SchoolWorld:
    """Four guardians with three children each, one per state, with directory addresses."""
    world = school_world(4, children=3, renderer=renderer, mailer=mailer)
    for guardian, state in zip(world.guardians, STATES, strict=True):
        bring_to(world, guardian, state)
    return world


class TestEveryLetterMatchesTheAnnex:
    """A notification on paper or by e-mail, with or without reset, of an account in each state
    sends the letter of table A1.1, whose whole text is the annex's, word for word.
    """

    @pytest.mark.parametrize("reset", [False, True], ids=["notification", "with-reset"])
    @pytest.mark.parametrize("channel", [Channel.PAPER, Channel.EMAIL])
    def test_full_text(self, channel: Channel, reset: bool) -> None:
        renderer, mailer = RecordingRenderer(), RecordingMailer()
        world = world_in_states(renderer, mailer)
        before = len(mailer.sent)
        world.admin.notify(UAI, [g.login for g in world.guardians], channel, reset=reset)
        world.app.deliver_pending()
        if channel is Channel.PAPER:
            letters = {letter.login: letter for letter in renderer.sheets[-1]}
        else:
            letters = {m.letter.login: m.letter for m in mailer.sent[before:]}
        assert set(letters) == {g.login for g in world.guardians}
        for guardian, state in zip(world.guardians, STATES, strict=True):
            letter = letters[guardian.login]
            paper, email = TABLE[state, reset]
            kind = paper if channel is Channel.PAPER else email
            assert letter.kind is kind, (state, reset)
            password = world.admin.account(UAI, guardian.login).password
            shows_password = kind not in (LetterKind.C03, LetterKind.C04)
            assert (letter.password is not None) is shows_password
            assert letter_words(letter) == expected(
                kind,
                recipient=guardian.name,
                school=SCHOOL_NAME,
                children=children_list(guardian.children),
                login=guardian.login,
                password=password or "",
            ), (state, kind)
            assert (letter.sender, letter.subject) == HEADERS[kind]

    def test_c07_activation_email(self) -> None:
        mailer = RecordingMailer()
        world = school_world(1, children=2, mailer=mailer)
        guardian = world.guardians[0]
        before_mail = len(mailer.sent)
        before_token = len(world.secrets.issued)
        bring_to(world, guardian, AccountState.ACTIVATING)
        world.app.deliver_pending()
        sent = mailer.sent[before_mail:]
        letter = next(m.letter for m in sent if m.letter.kind is LetterKind.C07)
        token = world.secrets.issued[before_token]
        link = f"https://educonnect.education.gouv.fr/activation?jeton={token}"
        assert letter_words(letter) == expected(LetterKind.C07, login=guardian.login, link=link)
        assert (letter.sender, letter.subject) == HEADERS[LetterKind.C07]
