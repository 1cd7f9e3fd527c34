"""Forgotten login or password (guide v1.9 det. §1.3.3 « s'auto-dépanner »), by e-mail or SMS.

By e-mail: the guardian types their login or their address; every ACTIVATED account it names
that has a confirmed address gets an e-mail with its login and a single-use link, valid like
the activation link, to choose a new password. By SMS: the proof of the line (purpose RECOVERY)
lists the logins of the line's accounts, and lets the guardian choose a new password for one of
them.

The answers never tell whether an account exists: asking by e-mail returns nothing, for anyone,
after the same work (a token drawn, a password hash spent); a refused link or login gives one
`RecoveryRefused` whatever the cause, after one password hash as well.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from educonnect_core.domain.account import Account
from educonnect_core.domain.lifecycle import AccountState
from educonnect_core.domain.records import OutboxMessage
from educonnect_core.domain.recovery import RecoveryRefused, recovery_letter
from educonnect_core.domain.sms import SmsPurpose, e164, same_line
from educonnect_core.domain.values import Email, Login, Mobile
from educonnect_core.errors import EduconnectError
from educonnect_core.ports import UnitOfWork
from educonnect_core.services.runtime import Runtime, token_digest

if TYPE_CHECKING:
    from educonnect_core.services.portal import Portal

__all__ = ["Recovery"]


class Recovery:
    """The forgotten-credentials use cases; obtained through `Portal`."""

    def __init__(self, portal: Portal) -> None:
        self._portal = portal
        self._rt: Runtime = portal._rt

    def __repr__(self) -> str:
        return "<Recovery>"

    def _named(self, uow: UnitOfWork, identifier: str) -> list[Account]:
        text = str(identifier).strip()
        try:
            if "@" in text:
                return list(uow.accounts.by_email(Email.parse(text, record="récupération")))
            found = uow.accounts.by_login(Login.parse(text).value)
        except EduconnectError:
            return []
        return [] if found is None else [found]

    def request_by_email(self, identifier: str) -> None:
        """Send the recovery e-mail to every ACTIVATED account `identifier` (a login or an
        address) names, at its confirmed address. Returns nothing, for anyone.
        """
        now = self._rt.now()
        with self._rt.storage.unit_of_work() as uow:
            targets = [
                a
                for a in self._named(uow, identifier)
                if a.state is AccountState.ACTIVATED and a.chosen_email is not None
            ]
            if not targets:
                # The same draws as one e-mail sent: a link token and a message id.
                self._rt.new_activation(Email("personne@example.org"), now)
                self._rt.message_id()
                self._rt.audit(uow, "guardian:?", "RECOVERY_EMAIL", "not sent: no account", at=now)
            for account in targets:
                address = account.chosen_email
                assert address is not None  # noqa: S101 - filtered above
                token, link = self._rt.new_activation(address, now)
                account.begin_recovery(link)
                uow.accounts.update(account)
                settings = self._rt.letters
                uow.outbox.add(
                    OutboxMessage(
                        self._rt.message_id(),
                        account.account_id,
                        address,
                        recovery_letter(
                            settings,
                            recipient=account.name,
                            login=account.login.value,
                            token=token,
                            url=settings.recovery_url,
                        ),
                        now,
                    )
                )
                self._rt.audit(
                    uow,
                    f"guardian:{account.login}",
                    "RECOVERY_EMAIL",
                    "sent",
                    account_id=account.account_id,
                    at=now,
                )
            uow.commit()
        if targets:
            self._rt.after_mail()

    def recover_by_email(self, token: str, new_password: str) -> str:
        """Choose a new password through the recovery link: the link is used up, every other
        link stops working. Returns the login. An unknown, used or expired link gives
        `RecoveryRefused`.
        """
        self._portal._refuse_new_password(
            new_password, "RECOVERY", record="récupération", login=None
        )
        password_hash = self._rt.hasher.hash(new_password)  # spent whatever follows
        now = self._rt.now()
        with self._rt.storage.unit_of_work() as uow:
            account = uow.accounts.by_recovery_digest(token_digest(str(token)))
            if (
                account is None
                or account.recovery is None
                or now > account.recovery.expires_at
                or account.state is not AccountState.ACTIVATED
            ):
                self._rt.audit(uow, "guardian:?", "RECOVERY", "refused: link", at=now)
                uow.commit()
                raise RecoveryRefused
            account.recover_password(now, password_hash)
            uow.accounts.update(account)
            self._rt.audit(
                uow,
                f"guardian:{account.login}",
                "RECOVERY",
                "done",
                account_id=account.account_id,
                at=now,
                detail="email",
            )
            uow.commit()
        return account.login.value

    def logins_by_sms(self, mobile: str, proof: str) -> tuple[str, ...]:
        """The logins of the activated accounts (ACTIVATING or ACTIVATED) of the line proven by
        `proof` (purpose RECOVERY), by login; spends the proof.
        """
        line = e164(mobile, record="récupération")
        now = self._rt.now()
        with self._rt.storage.unit_of_work() as uow:
            self._portal.sms.require_proof(uow, line, proof, SmsPurpose.RECOVERY, now)
            found = sorted(
                a.login.value
                for a in uow.accounts.by_mobile(Mobile.parse(line))
                if a.state in (AccountState.ACTIVATING, AccountState.ACTIVATED)
            )
            self._rt.audit(
                uow, f"sms:{line}", "RECOVERY_LOGIN", "done", at=now, detail=f"logins={len(found)}"
            )
            uow.commit()
        return tuple(found)

    def password_by_sms(self, *, mobile: str, proof: str, login: str, new_password: str) -> None:
        """Choose a new password for `login`, an ACTIVATED account of the line proven by `proof`
        (purpose RECOVERY); spends the proof. Any other login gives `RecoveryRefused` (the
        proof stays usable until it expires).
        """
        line = e164(mobile, record="récupération")
        self._portal._refuse_new_password(
            new_password, "RECOVERY", record="récupération", login=str(login)
        )
        password_hash = self._rt.hasher.hash(new_password)  # spent whatever follows
        now = self._rt.now()
        sms = self._portal.sms
        with self._rt.storage.unit_of_work() as uow:
            if sms.proven(uow, line, proof, SmsPurpose.RECOVERY, now) is None:
                # Not a valid proof: audited, committed and refused there.
                sms.require_proof(uow, line, proof, SmsPurpose.RECOVERY, now)
            found = self._named(uow, str(login)) if "@" not in str(login) else []
            account = found[0] if found else None
            if (
                account is None
                or account.mobile is None
                or not same_line(account.mobile, line)
                or account.state is not AccountState.ACTIVATED
            ):
                self._rt.audit(uow, f"sms:{line}", "RECOVERY", "refused: login", at=now)
                uow.commit()
                raise RecoveryRefused
            sms.require_proof(uow, line, proof, SmsPurpose.RECOVERY, now)
            account.recover_password(now, password_hash)
            uow.accounts.update(account)
            self._rt.audit(
                uow,
                f"guardian:{account.login}",
                "RECOVERY",
                "done",
                account_id=account.account_id,
                at=now,
                detail="sms",
            )
            uow.commit()
