"""How the command line shows things: rich tables with the guide's French labels and the state
colours of SPEC §2 for people, plain JSON (code names) for programs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from educonnect_core import (
    AccountPage,
    AccountState,
    ActionReport,
    IntegrationReport,
    Page,
    SchoolStatistics,
    StatisticsLine,
)
from educonnect_core.serialization import unstructure

__all__ = [
    "account_json",
    "account_table",
    "dump_json",
    "integration_json",
    "integration_table",
    "report_lines",
    "rows_json",
    "rows_table",
    "state_text",
    "statistics_json",
    "statistics_tables",
]

COLOURS = {
    AccountState.NOT_NOTIFIED: "red",
    AccountState.NOTIFIED: "dark_orange",
    AccountState.ACTIVATING: "yellow",
    AccountState.ACTIVATED: "green",
}


def state_text(state: AccountState) -> str:
    """The state's French label in its colour (rich markup)."""
    return f"[{COLOURS[state]}]{state.label}[/]"


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    return "" if moment is None else f"{moment.astimezone(zone):%d/%m/%Y %H:%M}"


def dump_json(console: Console, data: Any) -> None:
    """Print `data` as JSON, unstyled."""
    console.print_json(json.dumps(data, ensure_ascii=False))


def rows_table(page: Page, zone: ZoneInfo) -> Table:
    """The responsables list of guide §5.1."""
    table = Table(title=f"Responsables — page {page.page}/{page.pages} ({page.total} lignes)")
    for header in (
        "Elève",
        "Classe",
        "Responsable",
        "Identifiant",
        "Mail",
        "Origine",
        "Etat",
        "Distribué le",
        "Dernière connexion",
    ):
        table.add_column(header)
    for row in page.rows:
        table.add_row(
            row.pupil_name,
            row.class_name,
            row.responsable_name,
            row.login,
            "oui" if row.has_email else "non",
            row.origin.label,
            state_text(row.state),
            _when(row.distributed_at, zone),
            _when(row.last_login_at, zone),
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
    """The account page of guide §5.2."""
    table = Table(title=f"Compte {page.login}", show_header=False)
    table.add_column("")
    table.add_column("")
    for label, value in (
        ("Responsable", page.name),
        ("Identifiant", page.login),
        ("Mot de passe", page.password or "(non affiché)"),
        ("Adresse mail", page.email or ""),
        ("Téléphone mobile", page.mobile or ""),
        ("Origine du compte", page.origin.label),
        ("Etat du compte", state_text(page.state)),
        ("Date de distribution", _when(page.distributed_at, zone)),
        ("Date de dernière connexion", _when(page.last_login_at, zone)),
    ):
        table.add_row(label, value)
    for child in page.children_here:
        table.add_row(
            "Enfant (cette école)",
            f"{child.name}, né(e) le {child.birth_date:%d/%m/%Y}, {child.class_name or ''}",
        )
    for child in page.children_elsewhere:
        table.add_row(
            "Enfant (autre école)",
            f"{child.name}, né(e) le {child.birth_date:%d/%m/%Y}, "
            f"{child.uai} - {child.school_name}",
        )
    table.add_row("Actions possibles", ", ".join(a.label for a in page.actions))
    return table


def account_json(page: AccountPage) -> dict[str, Any]:
    """The account page as JSON (the password as the director sees it)."""
    data: dict[str, Any] = unstructure(page)
    data["password"] = page.password
    return data


def _line(line: StatisticsLine) -> list[str]:
    return [
        line.label,
        str(line.accounts),
        str(line.not_notified),
        str(line.notified),
        str(line.activating),
        str(line.activated),
        f"{line.percent_activated} %",
        f"{line.percent_pupils_with_activated_guardian} %",
    ]


def statistics_tables(stats: SchoolStatistics, zone: ZoneInfo) -> list[Table]:
    """The statistics page of guide §6.1: summary, by class, by level."""
    tables = []
    for title, lines in (
        ("Synthèse", (stats.summary,)),
        ("Par classe", stats.by_class),
        ("Par niveau", stats.by_level),
    ):
        table = Table(title=f"{title} — {stats.uai}")
        for header, colour in (
            ("", ""),
            ("Comptes", ""),
            ("Non notifié", "red"),
            ("Notifié et non activé", "dark_orange"),
            ("En cours d’activation", "yellow"),
            ("Activé", "green"),
            ("% activés", ""),
            ("% élèves avec un responsable activé", ""),
        ):
            table.add_column(header, style=colour or None)
        for line in lines:
            table.add_row(*_line(line))
        tables.append(table)
    tables[-1].caption = f"Calculées le {stats.computed_at.astimezone(zone):%d/%m/%Y à %H:%M}"
    return tables


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


def integration_table(report: IntegrationReport) -> Table:
    """The integration report, one figure a line, then the rejections."""
    table = Table(title="Intégration du flux")
    table.add_column("")
    table.add_column("", justify="right")
    for name, value in unstructure(report).items():
        if name != "rejected":
            table.add_row(name.replace("_", " "), str(value))
    table.add_row("rejected", str(len(report.rejected)))
    return table


def integration_json(report: IntegrationReport, warnings: Sequence[object] = ()) -> dict[str, Any]:
    """The integration report as JSON."""
    data: dict[str, Any] = unstructure(report)
    data["changed"] = report.changed
    data["warnings"] = [str(w) for w in warnings]
    return data


def report_lines(report: ActionReport) -> list[str]:
    """The guide's messages of an action, then one line per account left out."""
    lines = list(report.messages)
    for outcome in report.not_done:
        lines.append(f"  – {outcome.name} ({outcome.login}) : non traité")
    return lines
