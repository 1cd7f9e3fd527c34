"""educonnect-core: the school director's side of EduConnect, the French national school identity
service — guardians' accounts of primary schools from the directory feed to activation.

The public API is re-exported here; `educonnect_core.testing` holds the in-memory world and the
test support other teams can reuse.
"""

import importlib
from typing import TYPE_CHECKING, Final

from educonnect_core.domain.account import (
    HIDDEN_PASSWORD,
    Account,
    ActivationLink,
    Chosen,
    FailureCounter,
    NoPassword,
    NotifyOutcome,
    Password,
    Provisional,
)
from educonnect_core.domain.directory import (
    DirectorySnapshot,
    GuardianLink,
    Responsable,
    School,
    SchoolClass,
    Student,
)
from educonnect_core.domain.letters import (
    LETTERS,
    LetterContent,
    LetterKind,
    LetterSettings,
    compose,
    letter_for,
)
from educonnect_core.domain.lifecycle import (
    MACHINE,
    TRANSITIONS,
    AccountState,
    Channel,
    Event,
    Origin,
)
from educonnect_core.domain.messages import (
    ACCOUNT_MENUS,
    LIST_MENUS,
    Say,
    confirmation_question,
    confirmation_warning,
    menu_label,
)
from educonnect_core.domain.permissions import PERMISSIONS, Action, Permission, permission
from educonnect_core.domain.policy import LoginScheme, PasswordRule, Policy, Throttle
from educonnect_core.domain.records import (
    AccountList,
    AuditEntry,
    Director,
    Document,
    OutboxMessage,
)
from educonnect_core.domain.selection import (
    Page,
    ResponsableRow,
    Selection,
    SortColumn,
    select_rows,
)
from educonnect_core.domain.statistics import (
    Enrolment,
    SchoolStatistics,
    StatisticsLine,
    StatisticsTable,
    compute_statistics,
    format_percent,
)
from educonnect_core.domain.values import LEVELS, Email, Ine, Level, Login, Mobile, Uai
from educonnect_core.errors import (
    ActionNotAllowed,
    ActivationLinkRefused,
    BirthDateLocked,
    BirthDateRefused,
    ConcurrentChange,
    CredentialsRefused,
    DeliveryFailed,
    EduconnectError,
    IdentityNotRecognised,
    InvalidField,
    NoEmailAddress,
    NotFound,
    NotInScope,
    StorageError,
    TransitionNotAllowed,
)
from educonnect_core.ports import (
    Accounts,
    AuditTrail,
    Clock,
    Directory,
    DocumentRenderer,
    DocumentSink,
    Mailer,
    Outbox,
    PasswordHasher,
    SecretSource,
    StagedDocument,
    Storage,
    UnitOfWork,
)

# The application, the services and the standard adapters are imported on first use (PEP 562):
# `import educonnect_core` then costs the domain only (issue 14: start-up time of every tool that
# imports the package for one value type). Type checkers see ordinary imports.
if TYPE_CHECKING:
    from educonnect_core.application import EduConnect
    from educonnect_core.defaults import ScryptHasher, SystemClock, SystemSecrets
    from educonnect_core.services.administration import Administration
    from educonnect_core.services.exports import CSV_HEADER, csv_bytes, export_filename
    from educonnect_core.services.integration import IntegrationReport, Rejection
    from educonnect_core.services.portal import (
        FirstConnectionRequired,
        LoginResult,
        PasswordChangeRequired,
        PendingActivation,
        Portal,
        Session,
    )
    from educonnect_core.services.relay import DeliveryReport, OutboxRelay
    from educonnect_core.services.reports import (
        CONFIRMATIONS,
        MESSAGES,
        AccountOutcome,
        AccountPage,
        ActionReport,
        ChildView,
        Reminder,
        Skip,
    )
    from educonnect_core.services.statistics import StatisticsPage

_LAZY: Final[dict[str, str]] = {
    "EduConnect": "educonnect_core.application",
    **dict.fromkeys(("ScryptHasher", "SystemClock", "SystemSecrets"), "educonnect_core.defaults"),
    "Administration": "educonnect_core.services.administration",
    **dict.fromkeys(
        ("CSV_HEADER", "csv_bytes", "export_filename"), "educonnect_core.services.exports"
    ),
    **dict.fromkeys(("IntegrationReport", "Rejection"), "educonnect_core.services.integration"),
    **dict.fromkeys(
        (
            "FirstConnectionRequired",
            "LoginResult",
            "PasswordChangeRequired",
            "PendingActivation",
            "Portal",
            "Session",
        ),
        "educonnect_core.services.portal",
    ),
    **dict.fromkeys(("DeliveryReport", "OutboxRelay"), "educonnect_core.services.relay"),
    **dict.fromkeys(
        (
            "CONFIRMATIONS",
            "MESSAGES",
            "AccountOutcome",
            "AccountPage",
            "ActionReport",
            "ChildView",
            "Reminder",
            "Skip",
        ),
        "educonnect_core.services.reports",
    ),
    "StatisticsPage": "educonnect_core.services.statistics",
}


def __getattr__(name: str) -> object:
    """The lazily imported public names: the module is imported on first access."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later accesses are plain attribute reads
    return value


def __dir__() -> list[str]:
    """The module's names, the lazy ones included."""
    return sorted({*globals(), *_LAZY})


__version__ = "0.1.0"

__all__ = [
    "ACCOUNT_MENUS",
    "CONFIRMATIONS",
    "CSV_HEADER",
    "HIDDEN_PASSWORD",
    "LETTERS",
    "LEVELS",
    "LIST_MENUS",
    "MACHINE",
    "MESSAGES",
    "PERMISSIONS",
    "TRANSITIONS",
    "Account",
    "AccountList",
    "AccountOutcome",
    "AccountPage",
    "AccountState",
    "Accounts",
    "Action",
    "ActionNotAllowed",
    "ActionReport",
    "ActivationLink",
    "ActivationLinkRefused",
    "Administration",
    "AuditEntry",
    "AuditTrail",
    "BirthDateLocked",
    "BirthDateRefused",
    "Channel",
    "ChildView",
    "Chosen",
    "Clock",
    "ConcurrentChange",
    "CredentialsRefused",
    "DeliveryFailed",
    "DeliveryReport",
    "Director",
    "Directory",
    "DirectorySnapshot",
    "Document",
    "DocumentRenderer",
    "DocumentSink",
    "EduConnect",
    "EduconnectError",
    "Email",
    "Enrolment",
    "Event",
    "FailureCounter",
    "FirstConnectionRequired",
    "GuardianLink",
    "IdentityNotRecognised",
    "Ine",
    "IntegrationReport",
    "InvalidField",
    "LetterContent",
    "LetterKind",
    "LetterSettings",
    "Level",
    "Login",
    "LoginResult",
    "LoginScheme",
    "Mailer",
    "Mobile",
    "NoEmailAddress",
    "NoPassword",
    "NotFound",
    "NotInScope",
    "NotifyOutcome",
    "Origin",
    "Outbox",
    "OutboxMessage",
    "OutboxRelay",
    "Page",
    "Password",
    "PasswordChangeRequired",
    "PasswordHasher",
    "PasswordRule",
    "PendingActivation",
    "Permission",
    "Policy",
    "Portal",
    "Provisional",
    "Rejection",
    "Reminder",
    "Responsable",
    "ResponsableRow",
    "Say",
    "School",
    "SchoolClass",
    "SchoolStatistics",
    "ScryptHasher",
    "SecretSource",
    "Selection",
    "Session",
    "Skip",
    "SortColumn",
    "StagedDocument",
    "StatisticsLine",
    "StatisticsPage",
    "StatisticsTable",
    "Storage",
    "StorageError",
    "Student",
    "SystemClock",
    "SystemSecrets",
    "Throttle",
    "TransitionNotAllowed",
    "Uai",
    "UnitOfWork",
    "compose",
    "compute_statistics",
    "confirmation_question",
    "confirmation_warning",
    "csv_bytes",
    "export_filename",
    "format_percent",
    "letter_for",
    "menu_label",
    "permission",
    "select_rows",
]
