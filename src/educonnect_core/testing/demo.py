"""A short scripted lifecycle of one school on the in-memory world, printed step by step.

Run it with ``make demo`` or ``python -m educonnect_core.testing.demo``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from educonnect_core.domain.directory import (
    DirectorySnapshot,
    GuardianLink,
    Responsable,
    School,
    SchoolClass,
    Student,
)
from educonnect_core.domain.lifecycle import Channel
from educonnect_core.domain.records import Director
from educonnect_core.domain.selection import Selection
from educonnect_core.domain.statistics import format_percent
from educonnect_core.domain.values import Uai
from educonnect_core.errors import EduconnectError
from educonnect_core.testing.world import in_memory_world

UAI = "0750654D"


def snapshot(birth_date_of_tom: date) -> DirectorySnapshot:
    """A small school: two classes, five pupils, six guardians (one without e-mail)."""
    pupils = [
        ("E1", "DUPONT", "Léa", date(2019, 3, 14), "CPA", "CP"),
        ("E2", "DUPONT", "Enzo", date(2016, 6, 2), "CM1", "CM1"),
        ("E3", "NGUYỄN", "Tom", birth_date_of_tom, "CPA", "CP"),
        ("E4", "DIALLO", "Sékou", date(2016, 1, 30), "CM1", "CM1"),
        ("E5", "MARTIN", "Chloé", date(2019, 11, 5), "CPA", "CP"),
    ]
    guardians = [
        ("R1", "DUPONT", "Céline", "celine.dupont@example.org"),
        ("R2", "DUPONT", "Jean", None),
        ("R3", "NGUYỄN", "Minh", "minh.nguyen@example.org"),
        ("R4", "DIALLO", "Aïssatou", "aissatou.diallo@example.org"),
        ("R5", "MARTIN", "Julie", "julie.martin@example.org"),
        ("R6", "MARTIN", "Jules", "jules.martin@example.org"),
    ]
    links = [
        ("R1", "E1"),
        ("R1", "E2"),
        ("R2", "E1"),
        ("R2", "E2"),
        ("R3", "E3"),
        ("R4", "E4"),
        ("R5", "E5"),
        ("R6", "E5"),
    ]
    return DirectorySnapshot(
        schools=[School.create(UAI, "CHARLEMAGNE")],
        classes=[SchoolClass.create("CPA", UAI, "CP A"), SchoolClass.create("CM1", UAI, "CM1")],
        students=[
            Student.create(
                sid,
                surname=s,
                first_name=f,
                birth_date=b,
                uai=UAI,
                class_id=c,
                level=lv,
                ine=f"{n:010d}A",
            )
            for n, (sid, s, f, b, c, lv) in enumerate(pupils, start=1)
        ],
        responsables=[
            Responsable.create(rid, surname=s, first_name=f, email=e) for rid, s, f, e in guardians
        ],
        links=[GuardianLink(r, s) for r, s in links],
    )


def main(say: Callable[[str], object] = print) -> None:
    """Run the scripted school year and tell each step through `say`."""
    world = in_memory_world(seed=2025)
    app, clock = world.app, world.clock
    admin = app.administration(Director("directrice", uais=[Uai.parse(UAI)], name="Mme Roux"))
    portal = app.portal()

    def step(text: str) -> None:
        say(f"{clock.now():%Y-%m-%d %H:%M}  {text}")

    wrong_date = date(2019, 7, 1)
    report = app.integrate(snapshot(birth_date_of_tom=wrong_date))
    step(f"Intégration du flux AAF : {report.accounts_created} comptes pré-créés (Non notifié).")

    by_mail = admin.notify(UAI, Selection(has_email=True), Channel.EMAIL)
    step("Rentrée — notification par courrier électronique : " + " ".join(by_mail.messages))
    paper = admin.notify(UAI, Selection(has_email=False), Channel.PAPER)
    step(
        f"Rentrée — notification par feuilles individuelles : {' '.join(paper.messages)} "
        f"({paper.document.filename if paper.document else 'aucun document'})"
    )
    class_list = admin.export_csv(UAI, Selection(class_ids={"CPA"}))
    step(f"Liste de la classe CP A pour l'enseignante : {class_list.filename}")

    clock.advance(days=2)
    for login, child_birth in (("c.dupont", date(2016, 6, 2)), ("a.diallo", date(2016, 1, 30))):
        letter = world.letters_to(login)[-1]
        assert letter.password is not None
        portal.first_connection(
            login,
            letter.password,
            new_password="Rentree2025",
            email=f"{login}@example.org",
            birth_date=child_birth,
        )
        step(f"{login} : première connexion faite, courriel d'activation (C07) envoyé.")
        portal.confirm_email(world.activation_token(login))
        step(f"{login} : lien d'activation ouvert — compte Activé.")

    letter = world.letters_to("m.nguyen")[-1]
    assert letter.password is not None
    try:
        portal.first_connection(
            "m.nguyen",
            letter.password,
            new_password="Tom2019ok",
            email="minh.nguyen@example.org",
            birth_date=date(2019, 2, 8),
        )
    except EduconnectError as error:
        step(f"m.nguyen : {error.french} La directrice corrige la date dans ONDE.")
    clock.advance(days=1)
    app.integrate(snapshot(birth_date_of_tom=date(2019, 2, 8)))
    portal.first_connection(
        "m.nguyen",
        letter.password,
        new_password="Tom2019ok",
        email="minh.nguyen@example.org",
        birth_date=date(2019, 2, 8),
    )
    step("J+1 : date corrigée par le flux, m.nguyen termine sa première connexion.")

    clock.advance(days=70)
    for reminder in admin.reminders(UAI):
        step(
            f"Relance avant le {reminder.deadline:%d/%m/%Y} : {reminder.login} "
            f"({reminder.state.label}) → {reminder.suggested.label}"
        )
    admin.resend_activation_email(UAI, "m.nguyen")
    step("Courriel d'activation renvoyé à m.nguyen.")

    admin.reset_passwords(UAI, ["c.dupont"])
    again = admin.notify(UAI, ["c.dupont"], Channel.PAPER)
    kind = again.outcomes[0].letter
    step(f"Mot de passe perdu : réinitialisé et re-notifié ({kind.name if kind else '?'}).")

    stats = admin.compute_statistics(UAI)  # « Calculer les statistiques »
    summary = stats.summary
    step(
        f"Statistiques : {summary.accounts} comptes, {summary.activated} activés "
        f"({format_percent(summary.percent_activated)}), "
        f"{format_percent(summary.percent_pupils_with_activated_guardian)} "
        "des élèves ont au moins un responsable activé."
    )
    for line in stats.by_class:
        step(
            f"  {line.label:8} comptes {line.accounts:3}  activés {line.activated:3}  "
            f"({format_percent(line.percent_activated)})"
        )
    step(f"{len(world.mailer.sent)} courriels envoyés, {len(world.renderer.documents)} documents.")


if __name__ == "__main__":
    main()
