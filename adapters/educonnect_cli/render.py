"""How the command line shows things: rich tables with the guide's French labels and the state
colours of SPEC §2 for people, plain JSON (code names) for programs.

Data is never read as rich markup: every cell and title is a `rich.text.Text` built from the
value as it is, so a name such as ``[/]`` or an address holding ``[link=…]`` prints literally.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from rich.text import Text

from educonnect_core import (
    AccountPage,
    AccountState,
    ActionReport,
    IntegrationReport,
    Page,
    SchoolStatistics,
    StatisticsLine,
    StatisticsPage,
)
from educonnect_core.domain.statistics import COUNT_HEADERS
from educonnect_core.serialization import unstructure

__all__ = [
    "LIST_HEADERS",
    "NO_RESULT",
    "account_json",
    "account_table",
    "dump_json",
    "french_number",
    "integration_json",
    "integration_lines",
    "report_json",
    "report_lines",
    "rows_json",
    "rows_table",
    "state_text",
    "statistics_json",
    "statistics_page_json",
    "statistics_tables",
]

#: The list's column headers, as in the guide (§5.1).
LIST_HEADERS = (
    "Élève",
    "Classe",
    "Responsable",
    "Identifiant",
    "Messagerie",
    "Origine du compte",
    "État de compte",
    "Date de distribution",
    "Date de dernier accès",
)
#: The guide's sentence when no row matches the criteria (§5.1).
NO_RESULT = (
    "Attention ! Aucun responsable ne correspond à vos critères de sélection. "
    "Veuillez modifier votre demande."
)
COLOURS = {
    AccountState.NOT_NOTIFIED: "red",
    AccountState.NOTIFIED: "dark_orange",
    AccountState.ACTIVATING: "yellow",
    AccountState.ACTIVATED: "green",
}


#: After the state of an account blocked by too many failed logins (issue 9 item 7).
BLOCKED_MARK = " (bloqué)"


def state_text(state: AccountState, *, blocked: bool = False) -> Text:
    """The state's French label in its colour, « (bloqué) » after it for a blocked account."""
    text = Text(state.label, style=COLOURS[state])
    if blocked:
        text.append(BLOCKED_MARK, style="bold red")
    return text


def french_number(value: int) -> str:
    """An integer as French prints it: thousands separated by a narrow no-break space."""
    return f"{value:,}".replace(",", "\u202f")


def _day(moment: datetime | None, zone: ZoneInfo) -> str:
    return "" if moment is None else f"{moment.astimezone(zone):%d/%m/%Y}"


def _table(title: str, headers: Iterable[str], *, show_header: bool = True) -> Table:
    table = Table(title=Text(title), show_header=show_header, highlight=False)
    for header in headers:
        table.add_column(Text(header))
    return table


def dump_json(console: Console, data: Any) -> None:
    """Print `data` as JSON, unstyled, exactly (no markup, no highlighting)."""
    console.print(
        json.dumps(data, ensure_ascii=False, indent=2),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def rows_table(page: Page, zone: ZoneInfo) -> Table:
    """The responsables list of guide §5.1, with « 1 à 9 sur 9 élève(s) » below."""
    table = _table("Liste des responsables", LIST_HEADERS)
    table.columns[LIST_HEADERS.index("État de compte")].no_wrap = True
    for row in page.rows:
        table.add_row(
            Text(f"{row.student_surname} {row.student_first_name}"),
            Text(row.class_name),
            Text(f"{row.surname} {row.first_name}"),
            Text(row.login),
            Text("Oui" if row.has_email else "Non"),
            Text(row.origin.label),
            state_text(row.state, blocked=row.blocked),
            Text(_day(row.distributed_at, zone)),
            Text(_day(row.last_login_at, zone)),
        )
    first = (page.page - 1) * page.page_size + 1 if page.page_size else 1
    last = first + len(page.rows) - 1
    table.caption = Text(
        f"{french_number(first)} à {french_number(last)} sur "
        f"{french_number(page.total)} élève(s) — page {page.page}/{page.pages}"
    )
    return table


def rows_json(page: Page) -> dict[str, Any]:
    """The list as JSON (no passwords: the list does not show them)."""
    rows = []
    for row in page.rows:
        data = unstructure(row)
        data.pop("password", None)
        rows.append(data)
    return {"page": page.page, "pages": page.pages, "total": page.total, "rows": rows}


def account_table(page: AccountPage, zone: ZoneInfo) -> Table:
    """The account page of guide §5.2: the core's « Informations du compte » fields (the
    blocked line included), the children, the actions offered, and the footnote under the
    password.
    """
    table = _table(f"Compte {page.login}", ("", ""), show_header=False)
    lines: list[tuple[str, Text]] = [("Responsable", Text(page.name))]
    for label, value in page.fields(zone):
        shown = state_text(page.state) if label == "État du compte" else Text(value)
        lines.append((label, shown))
    for child in page.children_here:
        lines.append(
            (
                "Enfant (cette école)",
                Text(
                    f"{child.name}, né(e) le {child.birth_date:%d/%m/%Y}, {child.class_name or ''}"
                ),
            )
        )
    for child in page.children_elsewhere:
        lines.append(
            (
                "Enfant (autre école)",
                Text(
                    f"{child.name}, né(e) le {child.birth_date:%d/%m/%Y}, "
                    f"{child.uai} - {child.school_name}"
                ),
            )
        )
    lines.append(("Actions possibles", Text(", ".join(a.label for a in page.actions))))
    for label, cell in lines:
        table.add_row(Text(label), cell)
    if page.state is not AccountState.NOT_NOTIFIED:
        table.caption = Text(page.footnote)
    return table


def account_json(page: AccountPage) -> dict[str, Any]:
    """The account page as JSON (the password as the director sees it)."""
    data: dict[str, Any] = unstructure(page)
    data["password"] = page.password
    return data


#: The count columns of the statistics in their state's colour (SPEC §2).
_STATE_COLUMNS = dict(zip(COUNT_HEADERS[1:5], COLOURS.values(), strict=True))


def statistics_tables(page: StatisticsPage) -> list[tuple[Table, str | None]]:
    """The statistics page of guide §6.1 as stored: its three tables with the guide's titles
    and headers and the rows the core formatted (percentages « 0.84 % »), each with the guide's
    « … ne sont pas calculées … » sentence when nothing was computed yet (else None).
    """
    shown = []
    for table in page.tables():
        grid = Table(title=Text(table.title), highlight=False)
        for header in table.headers:
            grid.add_column(Text(header), style=_STATE_COLUMNS.get(header))
        for row in table.rows:
            grid.add_row(*(Text(cell) for cell in row))
        shown.append((grid, table.message))
    return shown


def statistics_json(stats: SchoolStatistics) -> dict[str, Any]:
    """The statistics as JSON, with the percentages."""
    data: dict[str, Any] = unstructure(stats)

    def with_percent(line: StatisticsLine, raw: dict[str, Any]) -> dict[str, Any]:
        raw["percent_activated"] = line.percent_activated
        raw["percent_pupils_with_activated_guardian"] = line.percent_pupils_with_activated_guardian
        return raw

    data["summary"] = with_percent(stats.summary, data["summary"])
    data["by_class"] = [
        with_percent(x, r) for x, r in zip(stats.by_class, data["by_class"], strict=True)
    ]
    data["by_level"] = [
        with_percent(x, r) for x, r in zip(stats.by_level, data["by_level"], strict=True)
    ]
    return data


def statistics_page_json(page: StatisticsPage) -> dict[str, Any]:
    """The stored statistics as JSON: the figures (`statistics_json`; ``summary`` None and no
    lines before the first computation), ``computed``, ``updated_at`` (ISO 8601, the users'
    time zone) and the guide's ``last_update`` and ``message`` sentences.
    """
    data: dict[str, Any] = (
        statistics_json(page.statistics)
        if page.statistics is not None
        else {"uai": page.uai, "computed_at": None, "summary": None, "by_class": [], "by_level": []}
    )
    data["computed"] = page.computed
    data["updated_at"] = None if page.updated_at is None else page.updated_at.isoformat()
    data["last_update"] = page.last_update
    data["message"] = page.message
    return data


#: The integration report's figures, in French, in the order they are shown.
INTEGRATION_LABELS = {
    "accounts_created": "Comptes créés",
    "accounts_updated": "Comptes mis à jour",
    "accounts_unchanged": "Comptes inchangés",
    "without_account": "Responsables sans compte (aucun enfant éligible)",
    "pupils_created": "Élèves ajoutés",
    "pupils_updated": "Élèves mis à jour",
    "pupils_unchanged": "Élèves inchangés",
    "pupils_removed": "Élèves partis",
    "pupils_ineligible": "Élèves non éligibles",
    "links_added": "Liens responsable–élève ajoutés",
    "links_removed": "Liens responsable–élève retirés",
    "birth_date_locks_cleared": "Blocages de date de naissance levés",
}


def integration_table(report: IntegrationReport) -> Table:
    """The integration report, one figure a line, in French."""
    table = _table("Intégration du flux annuaire", ("", ""), show_header=False)
    table.columns[1].justify = "right"
    for name, label in INTEGRATION_LABELS.items():
        value = getattr(report, name, None)
        if isinstance(value, int):
            table.add_row(Text(label), Text(french_number(value)))
    table.add_row(Text("Enregistrements rejetés"), Text(french_number(len(report.rejected))))
    return table


def _capped(lines: list[str], limit: int | None, what: str) -> list[str]:
    """`lines` cut to `limit`, then « … et N autres `what` (tous avec --json). »."""
    if limit is None or len(lines) <= limit:
        return lines
    rest = french_number(len(lines) - limit)
    return [*lines[:limit], f"  … et {rest} autres {what} (tous avec --json)."]


def integration_lines(
    report: IntegrationReport, warnings: Sequence[object], *, limit: int | None
) -> list[str]:
    """One line per rejection, per ineligible pupil, per guardian left without an account, then
    per warning; beyond `limit` each list ends with « … et N autres … » (never cut silently;
    ``--json`` lists them all).
    """
    rejections = []
    for rejection in report.rejected:
        where = f"{rejection.source} : " if rejection.source else ""
        rejections.append(
            f"  Rejet — {where}{rejection.record}, champ « {rejection.field} » : {rejection.reason}"
        )
    return [
        *_capped(rejections, limit, "rejets"),
        *_capped(
            [f"  Élève non éligible — {name} ({sid})" for sid, name in report.ineligible_pupils],
            limit,
            "élèves non éligibles",
        ),
        *_capped(
            [
                f"  Responsable sans compte — {name} ({rid})"
                for rid, name in report.guardians_without_account
            ],
            limit,
            "responsables sans compte",
        ),
        *_capped([f"  Avertissement — {w}" for w in warnings], limit, "avertissements"),
    ]


def integration_json(report: IntegrationReport, warnings: Sequence[object] = ()) -> dict[str, Any]:
    """The integration report as JSON, every rejection and warning included."""
    data: dict[str, Any] = unstructure(report)
    data["changed"] = report.changed
    data["warnings"] = [str(w) for w in warnings]
    return data


def report_lines(report: ActionReport) -> list[str]:
    """The guide's messages of an action, as the service gives them."""
    return list(report.messages)


def report_json(report: ActionReport, document: str | None = None) -> dict[str, Any]:
    """An action's report as JSON: the messages, each account's outcome, the document's path."""
    return {
        "action": report.action.name,
        "uai": report.uai,
        "messages": list(report.messages),
        "done": [o.login for o in report.done],
        "not_done": [
            {"login": o.login, "name": o.name, "reason": getattr(o.skip, "name", None)}
            for o in report.not_done
        ],
        "document": document,
    }
