"""Account merge, « regroupement de comptes » (guide v1.9 det. §1.2, §5.1).

A guardian recorded twice in ONDE gets two accounts. Once they prove they hold both (the second
account's login and password, or an SMS code to the mobile both records carry), the children of
the other account are linked to the surviving one and the other is deleted: it no longer logs in,
no director reaches it (§5.1 « Vous ne pourrez pas accéder aux comptes supprimés »), every school
of the children lists the survivor, and its directory record becomes an alias of the survivor
that every later integration of the feed follows (`follow_merges`): the deleted account is never
created again. The merge is audited on both accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from educonnect_core.domain.account import Account
from educonnect_core.domain.directory import DirectorySnapshot, GuardianLink, Responsable
from educonnect_core.domain.lifecycle import AccountState
from educonnect_core.domain.sms import SmsPurpose, e164
from educonnect_core.domain.values import Mobile, search_key
from educonnect_core.errors import ActionNotAllowed, CredentialsRefused, IdentityNotRecognised
from educonnect_core.ports import UnitOfWork
from educonnect_core.services.runtime import Runtime

if TYPE_CHECKING:
    from educonnect_core.services.portal import Portal

__all__ = ["AccountMerge", "MergeResult", "absorb", "follow_merges"]


@attrs.frozen
class MergeResult:
    """What a merge did: the surviving login and the logins that were deleted into it."""

    login: str
    merged: tuple[str, ...]


def absorb(
    runtime: Runtime,
    uow: UnitOfWork,
    survivor: Account,
    other: Account,
    now: datetime,
    *,
    how: str,
) -> None:
    """Move `other`'s children onto `survivor` and delete `other` (its record now an alias of
    the survivor); a FranceConnect identity of `other` passes to a survivor without one. Audited
    on both accounts. The caller commits.
    """
    children = uow.directory.children([other.account_id]).get(other.account_id, ())
    links = [
        link
        for link in uow.directory.links_of_students([c.student_id for c in children])
        if link.responsable_id == other.account_id
    ]
    uow.directory.remove_links(links)
    uow.directory.add_links(
        GuardianLink(survivor.account_id, link.student_id, link.legal) for link in links
    )
    if survivor.franceconnect_sub is None and other.franceconnect_sub is not None:
        survivor.bind_franceconnect(other.franceconnect_sub)  # the identity follows the children
        uow.accounts.update(survivor)
    uow.accounts.merge_into(other, survivor.account_id)
    actor = f"guardian:{survivor.login}"
    runtime.audit(
        uow,
        actor,
        "MERGE",
        f"done: merged into {survivor.login}",
        account_id=other.account_id,
        at=now,
        detail=how,
    )
    runtime.audit(
        uow,
        actor,
        "MERGE",
        f"done: absorbed {other.login}",
        account_id=survivor.account_id,
        at=now,
        detail=f"{how} children={len(links)}",
    )


def follow_merges(uow: UnitOfWork, snapshot: DirectorySnapshot) -> DirectorySnapshot:
    """`snapshot` with every record of a merged account mapped onto its survivor: the links
    name the survivor, and the merged record is dropped (or, when the survivor's own record is
    absent from the feed, stands for it under the survivor's id).
    """
    aliases = uow.accounts.aliases([r.responsable_id for r in snapshot.responsables])
    if not aliases:
        return snapshot
    present = {r.responsable_id for r in snapshot.responsables}
    responsables: dict[str, Responsable] = {}
    for record in snapshot.responsables:
        target = aliases.get(record.responsable_id, record.responsable_id)
        if target == record.responsable_id or (
            target not in present and target not in responsables
        ):
            responsables[target] = attrs.evolve(record, responsable_id=target)
    links = {
        (aliases.get(link.responsable_id, link.responsable_id), link.student_id): link
        for link in snapshot.links
    }
    return attrs.evolve(
        snapshot,
        responsables=tuple(responsables.values()),
        links=tuple(GuardianLink(rid, sid, link.legal) for (rid, sid), link in links.items()),
    )


def same_person(account: Account, surname: str, first_name: str) -> bool:
    """Whether `account` carries these names (case, accents and spaces aside)."""
    return search_key(account.surname) == search_key(surname) and search_key(
        account.first_name
    ) == search_key(first_name)


class AccountMerge:
    """The merge use cases; obtained through `Portal`."""

    def __init__(self, portal: Portal) -> None:
        self._portal = portal
        self._rt: Runtime = portal._rt

    def __repr__(self) -> str:
        return "<AccountMerge>"

    def _survivor(self, uow: UnitOfWork, login: str, password: str, now: datetime) -> Account:
        account = self._portal._authenticate(uow, login, password, now, "MERGE")
        if account is None:
            uow.commit()
            raise CredentialsRefused
        if account.state is not AccountState.ACTIVATED:
            raise ActionNotAllowed(account.account_id, account.state.name, "MERGE")
        return account

    def with_password(
        self, login: str, password: str, *, other_login: str, other_password: str
    ) -> MergeResult:
        """The activated guardian `login` proves they hold `other_login` by its password: the
        other account's children come onto theirs and the other account is deleted. A wrong
        second password is refused and counted on the second account (`CredentialsRefused`).
        """
        now = self._rt.now()
        with self._rt.storage.unit_of_work() as uow:
            survivor = self._survivor(uow, login, password, now)
            other = self._portal._authenticate(uow, other_login, other_password, now, "MERGE")
            if other is None or other.account_id == survivor.account_id:
                uow.commit()
                raise CredentialsRefused
            absorb(self._rt, uow, survivor, other, now, how="password")
            uow.commit()
        return MergeResult(survivor.login.value, (other.login.value,))

    def with_sms(self, login: str, password: str, *, mobile: str, proof: str) -> MergeResult:
        """The activated guardian `login` proves by an SMS code (`proof`, purpose MERGE) that
        they hold `mobile`: every other account with their names on that line is merged into
        theirs (whatever its state, NOT_NOTIFIED included).
        """
        line = e164(mobile)
        now = self._rt.now()
        with self._rt.storage.unit_of_work() as uow:
            survivor = self._survivor(uow, login, password, now)
            self._portal.sms.require_proof(uow, line, proof, SmsPurpose.MERGE, now)
            others: Sequence[Account] = sorted(
                (
                    a
                    for a in uow.accounts.by_mobile(Mobile.parse(line))
                    if a.account_id != survivor.account_id
                    and same_person(a, survivor.surname, survivor.first_name)
                ),
                key=lambda a: a.login.value,
            )
            if not others:
                self._rt.audit(
                    uow,
                    f"guardian:{survivor.login}",
                    "MERGE",
                    "refused: no other account on this line",
                    account_id=survivor.account_id,
                    at=now,
                )
                uow.commit()
                raise IdentityNotRecognised
            for other in others:
                absorb(self._rt, uow, survivor, other, now, how="sms")
            uow.commit()
        return MergeResult(survivor.login.value, tuple(a.login.value for a in others))
