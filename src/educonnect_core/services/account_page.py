"""The account page (guide §5.2, quick guide §6.1): the account, its children here and in other
schools, and the actions its menus offer.
"""

from __future__ import annotations

from typing import Final

from educonnect_core.domain.account import Account
from educonnect_core.domain.permissions import Action
from educonnect_core.domain.values import Uai
from educonnect_core.ports import UnitOfWork
from educonnect_core.services.actions import offered
from educonnect_core.services.reports import AccountPage, ChildView

__all__ = ["PAGE_ACTIONS", "account_page"]

#: The actions of the page's menus (« (Re)Notifier le compte », « Modifier le compte »).
PAGE_ACTIONS: Final = (
    Action.NOTIFY,
    Action.NOTIFY_WITH_RESET,
    Action.RESET_PASSWORD,
    Action.RESEND_ACTIVATION_EMAIL,
)


def account_page(uow: UnitOfWork, uai: Uai, account: Account) -> AccountPage:
    """The page of `account` as the director of school `uai` sees it."""
    children = uow.directory.children([account.account_id]).get(account.account_id, ())
    schools = {s.uai: s for s in uow.directory.schools({c.uai for c in children})}
    class_names = {
        c.class_id: c.name for u in {c.uai for c in children} for c in uow.directory.classes(u)
    }
    views = sorted(
        (
            ChildView(
                student_id=c.student_id,
                name=c.name,
                birth_date=c.birth_date,
                uai=c.uai.value,
                school_name=schools[c.uai].name if c.uai in schools else "",
                class_name=class_names.get(c.class_id or ""),
                level=c.level,
                in_this_school=c.uai == uai,
            )
            for c in children
        ),
        key=lambda v: (v.name, v.student_id),
    )
    return AccountPage(
        login=account.login.value,
        name=account.name,
        password=account.password_display,
        email=None if account.email is None else account.email.value,
        mobile=None if account.mobile is None else account.mobile.value,
        origin=account.origin,
        state=account.state,
        distributed_at=account.distributed_at,
        last_login_at=account.last_login_at,
        children_here=tuple(v for v in views if v.in_this_school),
        children_elsewhere=tuple(v for v in views if not v.in_this_school),
        actions=tuple(a for a in PAGE_ACTIONS if offered(a, account.state, unit=True)),
        blocked=account.blocked,
    )
