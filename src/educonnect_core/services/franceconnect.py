"""FranceConnect (guide v1.9 det. §1.3.4): the host's OpenID Connect client verifies the identity
and hands the core its `sub` and claims; the core never talks to FranceConnect.

The first time, the guardian gives their mobile, the SMS code and the birth dates of the children:
the account becomes ACTIVATED with origin FRANCECONNECT, its provisional password erased
(`NoPassword`) and the `sub` bound to it. Afterwards the same `sub` logs in directly (« de façon
automatique »). Several records of the same guardian are merged, as in the SMS sign-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

import attrs

from educonnect_core.domain.lifecycle import AccountState, Origin
from educonnect_core.domain.sms import SmsPurpose, e164
from educonnect_core.errors import IdentityNotRecognised, InvalidField
from educonnect_core.services.merge import absorb
from educonnect_core.services.runtime import Runtime
from educonnect_core.services.signup import attach_children, candidates

if TYPE_CHECKING:
    from educonnect_core.services.portal import Portal

__all__ = ["FranceConnect", "FranceConnectIdentity", "FranceConnectLinkRequired"]


@attrs.frozen
class FranceConnectIdentity:
    """A FranceConnect identity the host verified (ID token and userinfo): the pivot identity's
    `sub` and the claims the core compares with the directory.
    """

    sub: str
    family_name: str
    given_name: str

    def __attrs_post_init__(self) -> None:
        """Refuse an identity without a `sub`."""
        if not self.sub.strip():
            raise InvalidField("franceconnect", "sub", "identifiant FranceConnect absent")


@attrs.frozen
class FranceConnectLinkRequired:
    """A FranceConnect identity not bound yet: ask the mobile, send a code (purpose
    FRANCECONNECT), ask the children's birth dates, then call `Portal.franceconnect_link`.
    """

    family_name: str
    given_name: str


class FranceConnect:
    """The FranceConnect use cases; obtained through `Portal`."""

    def __init__(self, portal: Portal) -> None:
        self._portal = portal
        self._rt: Runtime = portal._rt

    def __repr__(self) -> str:
        return "<FranceConnect>"

    def login(self, identity: FranceConnectIdentity) -> str | FranceConnectLinkRequired:
        """Log in with a verified identity: the login if its `sub` is bound to an account,
        else what the first connection needs.
        """
        now = self._rt.now()
        with self._rt.storage.unit_of_work() as uow:
            account = uow.accounts.by_franceconnect_sub(identity.sub)
            if account is None:
                self._rt.audit(uow, "franceconnect:?", "FRANCECONNECT", "link required", at=now)
                uow.commit()
                return FranceConnectLinkRequired(identity.family_name, identity.given_name)
            uow.accounts.record_login_success(account.account_id, now, connected=True)
            self._rt.audit(
                uow,
                f"guardian:{account.login}",
                "FRANCECONNECT",
                "done: logged in",
                account_id=account.account_id,
                at=now,
            )
            uow.commit()
        return account.login.value

    def link(
        self,
        identity: FranceConnectIdentity,
        *,
        mobile: str,
        proof: str,
        birth_dates: Mapping[str, date],
    ) -> str:
        """The first FranceConnect connection: the records with the identity's names on the
        proven line (`proof`, purpose FRANCECONNECT) whose children are confirmed by
        `birth_dates` are merged into one account, ACTIVATED with origin FRANCECONNECT (a
        provisional password is erased) and bound to `identity.sub`. Returns the login.
        """
        record = "franceconnect"
        line = e164(mobile, record=record)
        if any(not isinstance(day, date) for day in birth_dates.values()):
            raise InvalidField(record, "date de naissance", "date attendue")
        now = self._rt.now()
        sms = self._portal.sms
        with self._rt.storage.unit_of_work() as uow:
            if sms.proven(uow, line, proof, SmsPurpose.FRANCECONNECT, now) is None:
                # Not a valid proof: audited, committed and refused there.
                sms.require_proof(uow, line, proof, SmsPurpose.FRANCECONNECT, now)
            bound = uow.accounts.by_franceconnect_sub(identity.sub)
            found = [
                a
                for a in candidates(
                    uow, line, identity.family_name, identity.given_name, first_given=True
                )
                if a.franceconnect_sub in (None, identity.sub)
            ]
            if bound is not None and all(a.account_id != bound.account_id for a in found):
                found.insert(0, bound)
            if not found:
                self._rt.audit(
                    uow,
                    "franceconnect:?",
                    "FRANCECONNECT",
                    "refused: identity not recognised",
                    at=now,
                )
                uow.commit()
                raise IdentityNotRecognised
            survivor, others = attach_children(self._portal, uow, found, birth_dates, now)
            if bound is not None and survivor.account_id != bound.account_id:
                others = [a for a in (survivor, *others) if a.account_id != bound.account_id]
                survivor = bound
            sms.require_proof(uow, line, proof, SmsPurpose.FRANCECONNECT, now)
            for other in others:
                absorb(self._rt, uow, survivor, other, now, how="franceconnect")
            changed = survivor.self_activate(now, Origin.FRANCECONNECT, None)
            survivor.bind_franceconnect(identity.sub)
            uow.accounts.update(survivor)
            uow.accounts.record_login_success(survivor.account_id, now, connected=True)
            self._rt.audit(
                uow,
                f"guardian:{survivor.login}",
                "FRANCECONNECT",
                "done" if changed else "done: already activated",
                account_id=survivor.account_id,
                at=now,
                detail=f"merged={len(others)}"
                + ("" if survivor.state is AccountState.ACTIVATED else " not activated"),
            )
            uow.commit()
        return survivor.login.value
