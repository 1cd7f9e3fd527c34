"""The command line never loses a person's file, never half-does an action because of a file,
never reads data as markup, and never answers a typo with silence (issues 9 and 10).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import attrs
import pytest
from tests.cli.conftest import FEED, UAI, cli, runner, states

from educonnect_cli.commands.feed import schools_in
from educonnect_cli.context import open_app
from educonnect_cli.demo import write_feed
from educonnect_cli.main import app
from educonnect_cli.settings import Settings
from educonnect_core import EduconnectError, Email

HOSTILE_EMAIL = "[link=https://evil.example]x[/link]@example.org"


class TestDemoOutFolder:
    """`demo --out` never deletes a file it did not write (issue 9 item 1)."""

    def _demo(self, out: Path) -> tuple[int, str]:
        result = runner.invoke(app, ["demo", "--out", str(out), "--pupils", "20", "--seed", "3"])
        assert "Traceback" not in result.output
        return result.exit_code, result.output

    def test_out_dot_keeps_the_users_file(self, tmp_path: Path) -> None:
        mine = tmp_path / "mes-notes.txt"
        mine.write_text("à garder", encoding="utf-8")
        before = Path.cwd()
        os.chdir(tmp_path)
        try:
            code, out = self._demo(Path("."))
        finally:
            os.chdir(before)
        assert code == 1, out
        assert mine.read_text(encoding="utf-8") == "à garder"
        assert "n'est pas vide" in out

    def test_a_folder_of_someone_else_is_refused_in_french(self, tmp_path: Path) -> None:
        folder = tmp_path / "dossier"
        folder.mkdir()
        (folder / "rapport.odt").write_bytes(b"x")
        code, out = self._demo(folder)
        assert code == 1
        assert out.startswith("Erreur : Le dossier ")
        assert (folder / "rapport.odt").read_bytes() == b"x"
        assert sorted(p.name for p in folder.iterdir()) == ["rapport.odt"]

    def test_rerun_into_a_previous_output_replaces_only_its_own_files(self, tmp_path: Path) -> None:
        folder = tmp_path / "demo-output"
        code, out = self._demo(folder)
        assert code == 0, out
        (folder / "ajout-personnel.txt").write_text("mien", encoding="utf-8")
        (folder / "documents" / "note.txt").write_text("mien aussi", encoding="utf-8")
        code, out = self._demo(folder)
        assert code == 0, out
        assert (folder / "ajout-personnel.txt").read_text(encoding="utf-8") == "mien"
        assert (folder / "documents" / "note.txt").read_text(encoding="utf-8") == "mien aussi"
        assert (folder / "educonnect.sqlite3").is_file()
        marker = json.loads((folder / ".educonnect-output.json").read_text(encoding="utf-8"))
        assert "ajout-personnel.txt" not in marker["files"]
        assert "timeline.md" in marker["files"]


class TestDocumentsAreWrittenOrNothingHappens:
    """A paper notification or an export whose file cannot be written commits nothing and says
    so in one French sentence, exit 1 (issue 9 item 2).
    """

    def test_notify_paper_under_a_regular_file(self, school: Path) -> None:
        blocker = school / "fichier"
        blocker.write_text("", encoding="utf-8")
        code, out = cli(
            school,
            "notify",
            UAI,
            "--all",
            "--channel",
            "paper",
            "--out",
            str(blocker / "pdf"),
            "-y",
        )
        assert code == 1
        assert out.startswith("Erreur : Impossible d'écrire le fichier")
        assert out.count("\n") == 1, "one sentence"
        assert states(school) == {"NOT_NOTIFIED"}, "nothing committed"

    def test_notify_paper_with_reset_in_an_unwritable_folder(
        self, school: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def refuse(*_args: object, **_kwargs: object) -> tuple[int, str]:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(tempfile, "mkstemp", refuse)
        code, out = cli(
            school,
            "notify",
            UAI,
            "--all",
            "--reset",
            "--channel",
            "paper",
            "--out",
            str(school),
            "-y",
        )
        assert code == 1
        assert "permission refusée" in out
        assert states(school) == {"NOT_NOTIFIED"}

    def test_export_under_a_regular_file(self, school: Path) -> None:
        blocker = school / "fichier"
        blocker.write_text("", encoding="utf-8")
        code, out = cli(school, "export", UAI, "--format", "csv", "--out", str(blocker))
        assert code == 1
        assert out.startswith("Erreur : Impossible d'écrire le fichier")

    def test_an_existing_file_is_never_replaced(self, school: Path) -> None:
        for _ in range(3):  # the same second gives the same name: the next free one is used
            code, out = cli(school, "export", UAI, "--format", "csv", "--out", str(school / "csv"))
            assert code == 0, out
            first = min((school / "csv").iterdir(), key=lambda p: len(p.name))
            first.write_text("modifié à la main", encoding="utf-8")
        written = sorted((school / "csv").iterdir())
        assert len(written) == 3
        assert all(p.stat().st_mode & 0o777 == 0o600 for p in written if p != first)


class TestConfirmToken:
    """A token is never read as an option: after « -- » or with --token (issue 9 item 3)."""

    def test_token_starting_with_a_dash_after_double_dash(self, school: Path) -> None:
        code, out = cli(school, "confirm", "--", "-Xabc_def")
        assert code == 1, out
        assert "Option inconnue" not in out
        assert "No such option" not in out
        assert out.startswith("Erreur : ")

    def test_token_starting_with_a_dash_as_option(self, school: Path) -> None:
        for args in (["--token", "-Xabc_def"], ["--token=-Xabc_def"]):
            code, out = cli(school, "confirm", *args)
            assert code == 1, out
            assert "Option inconnue" not in out
            assert "No such option" not in out

    def test_token_given_twice_is_a_usage_error(self, school: Path) -> None:
        code, out = cli(school, "confirm", "abc", "--token", "def")
        assert code == 2
        assert "Donnez le jeton une fois" in out


def _hostile_base(tmp: Path) -> str:
    """A base whose names, class and address carry rich markup; returns the guardian's login."""
    try:
        email: Email | None = Email(HOSTILE_EMAIL)
    except EduconnectError:  # a stricter address check refuses it: names still carry markup
        email = None
    snapshot = FEED.corrected
    guardian = snapshot.responsables[0]
    hostile = attrs.evolve(guardian, surname="[/]", first_name="[bold]Jean", email=email)
    classes = [attrs.evolve(c, name=f"[red]{c.name}[/]") for c in snapshot.classes]
    students = [attrs.evolve(s, first_name="[/]Noé") for s in snapshot.students]
    snapshot = attrs.evolve(
        snapshot,
        responsables=[hostile, *snapshot.responsables[1:]],
        classes=classes,
        students=students,
    )
    with open_app(Settings(db=str(tmp / "base.sqlite3")), create=True) as app:
        app.integrate(snapshot)
        with app.runtime.storage.unit_of_work() as uow:
            account = uow.accounts.get(guardian.responsable_id)
    assert account is not None
    return account.login.value


class TestHostileMarkup:
    """Names, class names, addresses and ids are printed as typed in every command, never read
    as rich markup (issue 9 item 12).
    """

    def test_every_command_prints_data_literally(self, tmp_path: Path) -> None:
        login = _hostile_base(tmp_path)
        uai = next(
            s.uai.value
            for s in FEED.corrected.students
            if any(
                link.student_id == s.student_id
                and link.responsable_id == FEED.corrected.responsables[0].responsable_id
                for link in FEED.corrected.links
            )
        )
        outputs = []
        for args in (
            ("list", uai),
            ("account", uai, login),
            ("stats", uai, "--calculer"),
            ("notify", uai, "--login", login, "--channel", "email", "--yes"),
            ("notify", uai, "--all", "--channel", "paper", "--out", str(tmp_path / "pdf"), "-y"),
            ("outbox", "status"),
        ):
            code, out = cli(tmp_path, *args)
            assert code in (0, 3), (args, out)
            assert "\x1b]8;" not in out, "no terminal hyperlink"
            outputs.append(out)
        listing, page, statistics, *_rest, status = outputs
        assert "[/]" in listing
        assert "[bold]Jean" in listing
        assert "[/]Noé" in listing
        assert "[/]" in page
        assert "[bold]Jean" in page
        assert "[red]" in statistics
        if HOSTILE_EMAIL in page.replace("\n", ""):
            assert "[link=https://evil.example]" in page
        assert "courriel(s) en attente" in status

    def test_rejected_record_with_markup_in_its_id(self, tmp_path: Path) -> None:
        snapshot = FEED.corrected
        bad = attrs.evolve(snapshot.students[0], student_id="[/]E1")
        write_feed(
            attrs.evolve(snapshot, students=[bad, *snapshot.students[1:]]),
            tmp_path / "feed",
            "ENT1D_Complet_20250901",
        )
        (eleves,) = (tmp_path / "feed").glob("*_Eleve_*.xml")
        text = eleves.read_text(encoding="utf-8")
        day = f"{bad.birth_date:%d/%m/%Y}"
        eleves.write_text(text.replace(day, "31/02/2017", 1), encoding="utf-8")
        code, out = cli(tmp_path, "integrate", str(tmp_path / "feed"))
        assert code == 0, out
        assert "Rejet — " in out
        assert "[/]E1" in out


class TestTheList:
    """The list as the guide shows it (issue 10 item 5)."""

    def test_headers_names_and_counts(self, school: Path) -> None:
        code, out = cli(school, "list", UAI)
        assert code == 0
        for header in ("Élève", "Classe", "Responsable", "Identifiant", "Messagerie"):
            assert header in out
        assert "Origine du compte" in out
        assert "État de compte" in out
        total = json.loads(cli(school, "list", UAI, "--json")[1])["total"]
        assert f"1 à {total} sur {total} élève(s)" in out
        row = json.loads(cli(school, "list", UAI, "--json")[1])["rows"][0]
        assert f"{row['surname']} {row['first_name']}" in out

    def test_no_result_is_the_guides_sentence(self, school: Path) -> None:
        code, out = cli(school, "list", UAI, "--text", "zzzzzz")
        assert code == 0
        assert out.strip() == (
            "Attention ! Aucun responsable ne correspond à vos critères de sélection. "
            "Veuillez modifier votre demande."
        )


class TestNoSilence:
    """A typo is an error naming what exists; a read never creates a base (issue 10 item 6)."""

    def test_unknown_school(self, school: Path) -> None:
        for command in ("list", "stats"):
            code, out = cli(school, command, "0750999D")
            assert code == 1
            assert "n'est pas dans la base" in out
            assert UAI in out

    def test_read_never_creates_a_database(self, tmp_path: Path) -> None:
        for args in (("list", UAI), ("stats", UAI), ("schools",), ("outbox", "status")):
            code, out = cli(tmp_path, *args)
            assert code == 1
            assert "n'existe pas" in out
        assert not list(tmp_path.iterdir())

    def test_class_by_name_and_state_by_label(self, school: Path) -> None:
        row = json.loads(cli(school, "list", UAI, "--json")[1])["rows"][0]
        cls = next(c for c in FEED.corrected.classes if c.class_id == row["class_id"])
        by_name = json.loads(cli(school, "list", UAI, "--class", cls.name, "--json")[1])
        by_id = json.loads(cli(school, "list", UAI, "--class", cls.class_id, "--json")[1])
        assert by_name == by_id
        assert by_name["total"] > 0
        label = json.loads(cli(school, "list", UAI, "--state", "non notifié", "--json")[1])
        code_ = json.loads(cli(school, "list", UAI, "--state", "NOT_NOTIFIED", "--json")[1])
        assert label == code_
        assert label["total"] > 0

    def test_unknown_class_state_page(self, school: Path) -> None:
        code, out = cli(school, "list", UAI, "--class", "CM9 Z")
        assert code == 1
        assert "Classe inconnue" in out
        assert "Classes de l'école" in out
        code, out = cli(school, "list", UAI, "--state", "bogus")
        assert code == 1
        assert "« Non notifié »" in out
        assert "« Activé »" in out
        code, out = cli(school, "list", UAI, "--page", "99")
        assert code == 1
        assert "La page 99 n'existe pas" in out


class TestFrench:
    """Usage errors and help are French; errors show the French sentence only (item 7)."""

    def test_usage_errors(self, school: Path) -> None:
        code, out = cli(school, "list", UAI, "--bogus")
        assert code == 2
        assert "Option inconnue : --bogus." in out
        code, out = cli(school, "list")
        assert code == 2
        assert "Argument manquant : UAI." in out
        code, out = cli(school, "notify", UAI, "--all", "--channel", "bogus")
        assert code == 2
        assert "Valeur invalide pour --channel" in out
        assert "bogus" in out
        for english in ("No such option", "Missing argument", "Invalid value", "Usage:"):
            assert english not in out

    def test_help_is_french_without_type_noise(self, school: Path) -> None:
        for args in ((), ("list",), ("notify",), ("integrate",), ("outbox", "status")):
            code, out = cli(school, *args, "--help")
            assert code == 0
            assert "Utilisation : educonnect" in out
            assert "Afficher cette aide et quitter." in out
            assert "<str>" not in out
            assert "<bool>" not in out
            assert "list[str]" not in out

    def test_error_is_french_only_and_names_states_by_label(self, school: Path) -> None:
        login = json.loads(cli(school, "list", UAI, "--json")[1])["rows"][0]["login"]
        code, out = cli(school, "resend", UAI, login)
        assert code in (1, 3), out
        assert "NOT_NOTIFIED" not in out
        assert "RESEND" not in out
        assert "not allowed" not in out
        assert "Non notifié" in out or code == 3


class TestExitCodesAndJson:
    """0 done, 1 error, 2 usage, 3 nothing done; --json on every action (item 8)."""

    def test_nothing_done_is_three(self, school: Path) -> None:
        code, out = cli(school, "reset", UAI, "--all", "--json", "--yes")
        assert code == 3
        data = json.loads(out)
        assert data["done"] == []
        assert data["not_done"]

    def test_json_on_actions_and_outbox(self, school: Path) -> None:
        code, out = cli(
            school, "notify", UAI, "--all", "--email", "oui", "--channel", "email", "--json", "-y"
        )
        assert code == 0, out
        data = json.loads(out)
        assert data["done"]
        assert data["messages"]
        code, out = cli(school, "outbox", "status", "--json")
        waiting = json.loads(out)
        assert code == 0
        assert len(waiting) == len(data["done"])
        assert all(w["next_try"] is None and w["attempts"] == 0 for w in waiting)
        code, out = cli(school, "outbox", "status")
        assert f"{len(waiting)} courriel(s) en attente, dont 0 en échec." in out
        code, out = cli(school, "outbox", "send", "--json")
        assert code == 0
        assert len(json.loads(out)["sent"]) == len(waiting)


class TestIntegrateReport:
    """The integration report is French and never cuts the rejections silently (item 9)."""

    def test_many_rejections_are_counted_and_all_in_json(self, tmp_path: Path) -> None:
        snapshot = FEED.corrected
        broken = [
            attrs.evolve(s, class_id=f"{s.uai.value}-INCONNUE{n}")
            for n, s in enumerate(snapshot.students)
        ]
        write_feed(attrs.evolve(snapshot, students=broken), tmp_path / "feed", "ENT1D_Complet_1")
        code, out = cli(tmp_path, "integrate", str(tmp_path / "feed"), "--json")
        assert code == 0, out
        rejected = json.loads(out)["rejected"]
        code, out = cli(tmp_path, "integrate", str(tmp_path / "feed"))
        shown = out.count("  Rejet — ")
        assert shown == min(50, len(rejected))
        if len(rejected) > 50:
            assert f"… et {len(rejected) - 50} autres rejets" in out
        assert "Comptes créés" in out

    def test_assume_ine_switch_exists(self, school: Path) -> None:
        _code, out = cli(school, "integrate", "--help")
        assert "--assume-ine / --no-assume-ine" in out


class TestDirectorsFile:
    """A broken directors file or an unknown director is one French sentence, exit 1."""

    def test_broken_file_and_unknown_director(self, school: Path) -> None:
        broken = school / "directors.json"
        broken.write_text("{pas du json", encoding="utf-8")
        code, out = cli(school, "--directors", str(broken), "--director", "x", "list", UAI)
        assert code == 1
        assert "Le fichier des directeurs" in out
        broken.write_text('[{"id": "d1", "uais": []}]', encoding="utf-8")
        code, out = cli(school, "--directors", str(broken), "--director", "x", "list", UAI)
        assert code == 1
        assert "Directeurs connus : d1." in out


class TestBareCommand:
    """`educonnect` or `educonnect outbox` alone shows the French help, without « Erreur »."""

    def test_no_arguments(self) -> None:
        for args in ([], ["outbox"]):
            result = runner.invoke(app, args)
            assert result.exit_code == 2
            assert result.output.startswith("Utilisation : educonnect")
            assert "Erreur" not in result.output

    def test_options_but_no_command(self, tmp_path: Path) -> None:
        code, out = cli(tmp_path)
        assert code == 2
        assert "Erreur : Commande manquante." in out


class TestIntegrateProgress:
    """The progress bar's total is the run's number of schools (read from EtabEducNat)."""

    def test_total_is_the_number_of_schools(self, tmp_path: Path) -> None:
        write_feed(FEED.corrected, tmp_path / "feed", "ENT1D_Complet_20250901")
        assert schools_in(tmp_path / "feed") == len(FEED.corrected.schools)
        assert schools_in(tmp_path / "nowhere") is None
