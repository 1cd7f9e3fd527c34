"""Self sign-up by SMS (guide v1.9 det. §1.3.4): name, first name, mobile → SMS code → the
children to attach, each confirmed by its birth date → a password and an e-mail → ACTIVATED
with origin RESPONSABLE.

When the guardian is recorded more than once (one record per school or per spelling), every
record with these names on this line is offered; the accounts whose children are all confirmed
are attached, and merged into one (`services.merge.absorb`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

import attrs

from educonnect_core.domain.account import Account
from educonnect_core.domain.lifecycle import AccountState, Origin
from educonnect_core.domain.sms import SmsCodeRefused, SmsPurpose, e164
from educonnect_core.domain.values import Email, Mobile
from educonnect_core.errors import IdentityNotRecognised, InvalidField
from educonnect_core.ports import UnitOfWork
from educonnect_core.services.merge import absorb, same_person
from educonnect_core.services.runtime import Runtime

if TYPE_CHECKING:
    from educonnect_core.services.portal import Portal

__all__ = ["ChildToConfirm", "SmsSignUp", "attach_children"]


@attrs.frozen
class ChildToConfirm:
    """A child the guardian may attach: its id (to answer with) and its name."""

    student_id: str
    name: str


def candidates(
    uow: UnitOfWork, line: str, surname: str, first_name: str, *, first_given: bool = False
) -> list[Account]:
    """The accounts with these names on this line, by login. With `first_given`, `first_name`
    may hold several given names (FranceConnect's ``given_name``): the first one suffices.
    """
    found = []
    for account in uow.accounts.by_mobile(Mobile.parse(line)):
        names = [first_name]
        if first_given and first_name.split():
            names.append(first_name.split(maxsplit=1)[0])
        if any(same_person(account, surname, name) for name in names):
            found.append(account)
    return sorted(found, key=lambda a: a.login.value)


def attach_children(
    portal: Portal,
    uow: UnitOfWork,
    accounts: Sequence[Account],
    birth_dates: Mapping[str, date],
    now: datetime,
) -> tuple[Account, list[Account]]:
    """The accounts the answers attach: each account one of whose children is answered must
    have every child answered with the right birth date (else the failure is counted on it,
    committed, and raised); at least one must be. Returns the survivor (an activated one if
    any, else the first by login) and the others, to merge into it.
    """
    children = uow.directory.children([a.account_id for a in accounts])
    owner = {c.student_id: a for a in accounts for c in children.get(a.account_id, ())}
    answered = {owner[sid].account_id for sid in birth_dates if sid in owner}
    chosen = [a for a in accounts if a.account_id in answered]
    stray = [sid for sid in birth_dates if sid not in owner]
    if not chosen or stray:
        target = accounts[0] if not stray or stray[0] not in owner else owner[stray[0]]
        portal._check_birth_dates(uow, target, children.get(target.account_id, ()), now, {})
    for account in chosen:
        own = children.get(account.account_id, ())
        answers = {c.student_id: birth_dates.get(c.student_id, date.min) for c in own}
        portal._check_birth_dates(uow, account, own, now, answers)
    activated = [a for a in chosen if a.state is AccountState.ACTIVATED]
    survivor = (activated or chosen)[0]
    return survivor, [a for a in chosen if a is not survivor]


class SmsSignUp:
    """The SMS sign-up use cases; obtained through `Portal`."""

    def __init__(self, portal: Portal) -> None:
        self._portal = portal
        self._rt: Runtime = portal._rt

    def __repr__(self) -> str:
        return "<SmsSignUp>"

    def children(
        self, *, surname: str, first_name: str, mobile: str, proof: str
    ) -> tuple[ChildToConfirm, ...]:
        """The children the guardian may attach, once the SMS code was right (`proof`, purpose
        SIGN_UP): every child of every record with these names on this line, by name. The
        proof is not spent. Unknown names give `IdentityNotRecognised`.
        """
        line = e164(mobile, record="inscription")
        now = self._rt.now()
        with self._rt.storage.unit_of_work() as uow:
            if self._portal.sms.proven(uow, line, proof, SmsPurpose.SIGN_UP, now) is None:
                raise SmsCodeRefused(0)
            found = candidates(uow, line, surname, first_name)
            kids = uow.directory.children([a.account_id for a in found])
        listed = {c.student_id: c for k in kids.values() for c in k}
        if not listed:
            raise IdentityNotRecognised
        ordered = sorted(listed.values(), key=lambda c: (c.surname, c.first_name, c.student_id))
        return tuple(ChildToConfirm(c.student_id, c.name) for c in ordered)

    def sign_up(
        self,
        *,
        surname: str,
        first_name: str,
        mobile: str,
        proof: str,
        birth_dates: Mapping[str, date],
        new_password: str,
        email: str,
    ) -> str:
        """Finish the sign-up: the children confirmed by `birth_dates` (student id → date) are
        attached, the accounts that hold them merged into one, which becomes ACTIVATED with
        origin RESPONSABLE, the chosen password and `email`. Spends the proof. Returns the login.
        """
        record = "inscription"
        self._portal._refuse_new_password(new_password, "SMS_SIGN_UP", record=record, login=None)
        address = Email.parse(email, record=record)
        line = e164(mobile, record=record)
        if any(not isinstance(day, date) for day in birth_dates.values()):
            raise InvalidField(record, "date de naissance", "date attendue")
        now = self._rt.now()
        with self._rt.storage.unit_of_work() as uow:
            if self._portal.sms.proven(uow, line, proof, SmsPurpose.SIGN_UP, now) is None:
                # Not a valid proof: audited, committed and refused there.
                self._portal.sms.require_proof(uow, line, proof, SmsPurpose.SIGN_UP, now)
            found = candidates(uow, line, surname, first_name)
            if not found:
                self._rt.audit(
                    uow, "guardian:?", "SMS_SIGN_UP", "refused: identity not recognised", at=now
                )
                uow.commit()
                raise IdentityNotRecognised
            survivor, others = attach_children(self._portal, uow, found, birth_dates, now)
            self._portal.sms.require_proof(uow, line, proof, SmsPurpose.SIGN_UP, now)
            for other in others:
                absorb(self._rt, uow, survivor, other, now, how="sms sign-up")
            changed = survivor.self_activate(
                now, Origin.RESPONSABLE, self._rt.hasher.hash(new_password), address
            )
            uow.accounts.update(survivor)
            uow.accounts.record_login_success(survivor.account_id, now, connected=True)
            self._rt.audit(
                uow,
                f"guardian:{survivor.login}",
                "SMS_SIGN_UP",
                "done" if changed else "done: already activated",
                account_id=survivor.account_id,
                at=now,
                detail=f"merged={len(others)}",
            )
            uow.commit()
        return survivor.login.value
