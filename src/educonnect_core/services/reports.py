"""What the director's use cases hand back: per-account outcomes in the guide's words, the account
page, the reminder list. Every sentence comes from `domain.messages`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, date, datetime, tzinfo
from types import MappingProxyType
from typing import Final

import attrs

from educonnect_core.domain.letters import LetterKind
from educonnect_core.domain.lifecycle import AccountState, Channel, Origin
from educonnect_core.domain.messages import NOT_GIVEN, NOT_GIVEN_FEMININE, Say, name_list
from educonnect_core.domain.permissions import Action
from educonnect_core.domain.records import Document
from educonnect_core.domain.values import Level

__all__ = [
    "CONFIRMATIONS",
    "MESSAGES",
    "AccountOutcome",
    "AccountPage",
    "ActionReport",
    "ChildView",
    "Reminder",
    "Skip",
]


class Skip(enum.Enum):
    """Why an account of a selection was not processed (or processed only in part)."""

    #: E-mail notification of an account without any address (guide §5.3.1).
    NO_EMAIL = "no_email"
    #: A letter carrying a password whose only address is one nobody confirmed (issue 9 item 6).
    UNCONFIRMED_EMAIL = "unconfirmed_email"
    #: A reset asked for a NOT_NOTIFIED account from the list: notified without it, or left.
    RESET_NOT_APPLIED = "reset_not_applied"


#: The sentence of each reason, for a selection and for one account (guide §5.3, §5.5).
MESSAGES: Final[Mapping[Skip, tuple[Say, Say]]] = MappingProxyType(
    {
        Skip.NO_EMAIL: (Say.NO_EMAIL, Say.NO_EMAIL_ONE),
        Skip.UNCONFIRMED_EMAIL: (Say.UNCONFIRMED_EMAIL, Say.UNCONFIRMED_EMAIL_ONE),
        Skip.RESET_NOT_APPLIED: (Say.RESET_NOT_APPLIED, Say.RESET_NOT_APPLIED),
    }
)

#: The confirmation after an action that was applied: for a selection, for one account.
CONFIRMATIONS: Final[Mapping[Action, tuple[Say, Say]]] = MappingProxyType(
    {
        Action.NOTIFY: (Say.NOTIFIED, Say.NOTIFIED_ONE),
        Action.NOTIFY_WITH_RESET: (Say.NOTIFIED, Say.NOTIFIED_ONE),
        Action.RESET_PASSWORD: (Say.RESET, Say.RESET_ONE),
        Action.RESEND_ACTIVATION_EMAIL: (Say.RESENT, Say.RESENT),
    }
)


@attrs.frozen
class AccountOutcome:
    """What an action did to one account."""

    login: str
    #: « Prénom NOM ».
    name: str
    done: bool
    state_before: AccountState | None = None
    state_after: AccountState | None = None
    password_reset: bool = False
    letter: LetterKind | None = None
    skip: Skip | None = None
    #: « NOM Prénom », as the guide's messages list people.
    listed_name: str = ""


@attrs.frozen
class ActionReport:
    """The result of a director's action, the same shape for a selection and for one account.

    A selection (`unit` False) comes from the list of responsables; one account (`unit` True)
    from its page, and its messages are the guide's one-account variants. `outcomes` has one
    entry per account, done or not and why; `document` is the paper notification's PDF (one page
    per account) if one was produced, and `location` where a `DocumentSink` published it.
    """

    action: Action
    uai: str
    at: datetime
    outcomes: tuple[AccountOutcome, ...]
    channel: Channel | None = None
    document: Document | None = None
    unit: bool = False
    location: str | None = None

    @property
    def done(self) -> tuple[AccountOutcome, ...]:
        """The accounts the action was applied to."""
        return tuple(o for o in self.outcomes if o.done)

    @property
    def not_done(self) -> tuple[AccountOutcome, ...]:
        """The accounts left out, each with its reason."""
        return tuple(o for o in self.outcomes if not o.done)

    @property
    def messages(self) -> tuple[str, ...]:
        """The confirmation, then one warning or error per reason, in the guide's words."""
        which = 1 if self.unit else 0
        out: list[str] = []
        if self.done and self.action in CONFIRMATIONS:
            out.append(CONFIRMATIONS[self.action][which].text)
        for skip in Skip:
            who = [o for o in self.outcomes if o.skip is skip]
            if who:
                text = MESSAGES[skip][which].text
                names = name_list(o.listed_name or o.name for o in who)
                out.append(text.format(count=len(who), names=names))
        return tuple(out)

    @property
    def download_label(self) -> str | None:
        """The label of the link to the PDF after a paper notification (guide §5.3.1)."""
        return None if self.document is None else Say.DOWNLOAD_PDF.text


@attrs.frozen
class ChildView:
    """A child on the account page: in this school (class) or in another (UAI and school name)."""

    student_id: str
    name: str
    birth_date: date
    uai: str
    school_name: str
    class_name: str | None
    level: Level | None
    in_this_school: bool


@attrs.frozen
class AccountPage:
    """The account page of guide §5.2."""

    login: str
    name: str
    #: Clear if provisional, ``******`` if chosen, empty for NOT_NOTIFIED.
    password: str = attrs.field(repr=False)
    email: str | None
    mobile: str | None
    origin: Origin
    state: AccountState
    distributed_at: datetime | None
    last_login_at: datetime | None
    children_here: tuple[ChildView, ...]
    children_elsewhere: tuple[ChildView, ...]
    #: The actions the page offers now (its menus): those the matrix allows, less any reset of a
    #: NOT_NOTIFIED account (guide §5.5: « les options de réinitialisation du mot de passe ne
    #: sont pas proposées »). Exports belong to the list, not to the page.
    actions: tuple[Action, ...]
    #: Blocked after too many consecutive failed logins: only a director's reset unblocks it.
    blocked: bool = False

    def fields(self, timezone: tzinfo = UTC) -> tuple[tuple[str, str], ...]:
        """The « Informations du compte » block as (label, value) pairs, in the guide's words
        (quick guide §6.1): empty values « Non renseigné(e) », dates JJ-MM-AAAA in `timezone`,
        and no password row for a NOT_NOTIFIED account.
        """

        def day(moment: datetime | None) -> str:
            return (
                NOT_GIVEN_FEMININE if moment is None else f"{moment.astimezone(timezone):%d-%m-%Y}"
            )

        rows = [("Identifiant", self.login)]
        if self.state is not AccountState.NOT_NOTIFIED:
            rows.append(("Mot de passe *", self.password))
        rows += [
            ("Courrier électronique", self.email or NOT_GIVEN),
            ("Téléphone Mobile", self.mobile or NOT_GIVEN),
            ("Origine du compte", self.origin.label),
            ("État du compte", self.state.label),
            ("Date de distribution", day(self.distributed_at)),
            ("Date de dernière connexion", day(self.last_login_at)),
        ]
        if self.blocked:
            rows.append((Say.BLOCKED_LABEL.text, Say.BLOCKED.text))
        return tuple(rows)

    @property
    def footnote(self) -> str:
        """The footnote under the block: only provisional passwords are shown."""
        return Say.PASSWORD_FOOTNOTE.text


@attrs.frozen
class Reminder:
    """An account notified but not activated, and the day its 3 months end."""

    login: str
    name: str
    state: AccountState
    distributed_at: datetime | None
    deadline: date
    #: What the guide suggests before the deadline (§3.1): re-notify, or resend the activation.
    suggested: Action
