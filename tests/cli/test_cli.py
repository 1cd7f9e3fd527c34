"""The `educonnect` command line, end to end on a SQLite file, PDF and the .eml outbox."""

from __future__ import annotations

import json
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from typer.testing import CliRunner

from educonnect_cli.demo import write_feed
from educonnect_cli.main import app
from educonnect_core.services.portal import named_child
from educonnect_core.testing.simulation import synthetic_feed

runner = CliRunner()
FEED = synthetic_feed(11, pupils=24)
UAI = sorted(FEED.directors[0].uais)[0].value


def run(tmp: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(
        app, ["--db", str(tmp / "base.sqlite3"), "--outbox", str(tmp / "outbox"), *args]
    )
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """A database holding the integrated synthetic feed."""
    write_feed(FEED.corrected, tmp_path / "feed", "ENT1D_Complet_20250901")
    code, out = run(tmp_path, "integrate", str(tmp_path / "feed"), "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["accounts_created"] == len({link.responsable_id for link in FEED.snapshot.links})
    return tmp_path


def _body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    text = part.get_content()
    assert isinstance(text, str)
    return text


class TestIntegrateAndRead:
    """Integrating twice changes nothing; the list and stats speak JSON with code names."""

    def test_integrate_again_is_unchanged(self, base: Path) -> None:
        code, out = run(base, "integrate", str(base / "feed"), "--json")
        assert code == 0
        assert json.loads(out)["changed"] is False

    def test_list_and_stats(self, base: Path) -> None:
        code, out = run(base, "list", UAI, "--json")
        assert code == 0
        page = json.loads(out)
        assert page["total"] == len(page["rows"]) or page["total"] > 50
        assert {row["state"] for row in page["rows"]} == {"NOT_NOTIFIED"}
        assert all("password" not in row for row in page["rows"])
        code, out = run(base, "stats", UAI, "--calculer", "--json")
        stats = json.loads(out)
        assert stats["summary"]["not_notified"] == stats["summary"]["accounts"] > 0

    def test_human_output_uses_french_labels(self, base: Path) -> None:
        code, out = run(base, "list", UAI)
        assert code == 0
        assert "Non notifié" in out


class TestDirectorActions:
    """Paper notification writes the PDF; e-mails wait in the base until `outbox send`."""

    def test_paper_then_email_then_outbox(self, base: Path) -> None:
        code, out = run(
            base,
            "notify",
            UAI,
            "--all",
            "--email",
            "no",
            "--channel",
            "paper",
            "--out",
            str(base / "pdf"),
            "--yes",
        )
        assert code == 0, out
        assert (
            "La distribution a été effectuée avec succès pour le(s) compte(s) sélectionné(s)."
            in out
        )
        assert "Télécharger le courrier au format PDF : " in out
        assert len(list((base / "pdf").glob("*.pdf"))) == 1
        code, _ = run(base, "notify", UAI, "--all", "--email", "yes", "--channel", "email", "-y")
        assert code == 0
        assert not (base / "outbox").exists() or not list((base / "outbox").glob("*.eml"))
        code, out = run(base, "outbox", "send")
        assert code == 0, out
        sent = int(out.split()[0])
        assert sent == len(list((base / "outbox").glob("*.eml"))) > 0

    def test_export_csv(self, base: Path) -> None:
        code, out = run(base, "export", UAI, "--format", "csv", "--out", str(base / "csv"))
        assert code == 0, out
        (path,) = (base / "csv").glob("Educonnect-ListeResponsables-*.csv")
        assert path.read_bytes().startswith(b"\xef\xbb\xbfRNE;Ecole;Nom de l'\xc3\xa9l\xc3\xa8ve")

    def test_reset_of_not_notified_gives_the_guides_warning(self, base: Path) -> None:
        code, out = run(base, "reset", UAI, "--all", "--yes")
        assert code == 3, "every account was left out: nothing done"
        assert "Avertissement : les mots de passe des comptes qui n'étaient pas encore" in out


class TestGuardianSide:
    """A guardian's first connection and confirmation work from the command line."""

    def test_first_connection_and_confirm(self, base: Path) -> None:
        run(base, "notify", UAI, "--all", "--channel", "paper", "--out", str(base / "pdf"), "--oui")
        code, out = run(base, "list", UAI, "--json")
        login = json.loads(out)["rows"][0]["login"]
        code, out = run(base, "account", UAI, login, "--json")
        page = json.loads(out)
        assert page["state"] == "NOTIFIED"
        account_id = json.loads(run(base, "list", UAI, "--json")[1])["rows"][0]["account_id"]
        children = [
            s
            for s in FEED.corrected.students
            if any(
                link.student_id == s.student_id and link.responsable_id == account_id
                for link in FEED.corrected.links
            )
        ]
        day = named_child(children).birth_date
        code, out = run(
            base,
            "first-connection",
            login,
            "--password",
            page["password"],
            "--new-password",
            "Ecole2025x",
            "--email",
            "parent@example.org",
            "--birth-date",
            f"{day:%d/%m/%Y}",
        )
        assert code == 0, out
        assert "parent@example.org" in out
        run(base, "outbox", "send")
        messages = [
            message_from_bytes(p.read_bytes(), _class=EmailMessage, policy=policy.default)
            for p in (base / "outbox").glob("*.eml")
        ]
        bodies = [_body(m) for m in messages]
        found = [re.search(r"jeton=(\S+)", body) for body in bodies]
        (token,) = [match.group(1) for match in found if match is not None]
        code, out = run(base, "confirm", "--token", token)  # whatever its first character
        assert code == 0, out
        code, out = run(base, "account", UAI, login, "--json")
        assert json.loads(out)["state"] == "ACTIVATED"


class TestErrors:
    """Bad input is one sentence and a non-zero exit, never a traceback."""

    def test_bad_uai(self, base: Path) -> None:
        code, out = run(base, "list", "0750101A")
        assert code == 1
        assert "Erreur" in out

    def test_unknown_login(self, base: Path) -> None:
        code, out = run(base, "account", UAI, "x.inconnu")
        assert code == 1
        assert "Erreur" in out

    def test_missing_feed(self, tmp_path: Path) -> None:
        code, out = run(tmp_path, "integrate", str(tmp_path / "nowhere"))
        assert code == 1
        assert "Erreur" in out


class TestDemo:
    """`educonnect demo` writes the database, PDFs, .eml files, CSV, stats.json and timeline.md."""

    def test_demo_outputs(self, tmp_path: Path) -> None:
        out_dir = tmp_path / "demo-output"
        result = runner.invoke(
            app, ["demo", "--out", str(out_dir), "--pupils", "40", "--seed", "3"]
        )
        assert result.exit_code == 0, result.output
        assert (out_dir / "educonnect.sqlite3").is_file()
        assert list((out_dir / "outbox").glob("*.eml"))
        assert list(out_dir.glob("documents/**/*.pdf"))
        assert list(out_dir.glob("documents/**/Educonnect-ListeResponsables-*.csv"))
        stats = json.loads((out_dir / "stats.json").read_text(encoding="utf-8"))
        assert stats[0]["summary"]["accounts"] > 0
        timeline = (out_dir / "timeline.md").read_text(encoding="utf-8")
        assert "J+1, date de naissance corrigée" in timeline

    def test_the_demo_tells_its_story(self, tmp_path: Path) -> None:
        """Only the guardians of the pupil with the wrong birth date are ever refused, and the
        one the story follows ends Activé once the next day's feed corrected it.
        """
        out_dir = tmp_path / "demo-output"
        result = runner.invoke(app, ["demo", "--out", str(out_dir), "--pupils", "60"])
        assert result.exit_code == 0, result.output
        timeline = (out_dir / "timeline.md").read_text(encoding="utf-8")
        refused = re.findall(r"— (\S+) : première connexion refusée", timeline)
        assert refused, "the story's refusal happens"
        feed = synthetic_feed(2025, pupils=60)
        pupil = feed.wrong_birth_date[0]
        uai = next(s.uai.value for s in feed.snapshot.students if s.student_id == pupil)
        base = [
            "--db",
            str(out_dir / "educonnect.sqlite3"),
            "--directors",
            str(out_dir / "educonnect-directors.json"),
            "--director",
            "dir-charlemagne",
        ]
        pages = json.loads(runner.invoke(app, [*base, "list", uai, "--json"]).output)["pages"]
        guardians = {
            r["login"]
            for p in range(1, pages + 1)
            for r in json.loads(
                runner.invoke(app, [*base, "list", uai, "--json", "--page", str(p)]).output
            )["rows"]
            if r["student_id"] == pupil
        }
        assert set(refused) <= guardians, (refused, guardians)
        assert len(set(refused)) == 1, "one guardian blocked, as the story says"
        login = refused[0]
        mine = [line for line in timeline.splitlines() if f"— {login} :" in line]
        assert mine[-1].endswith("adresse validée, compte activé."), mine
        shown = runner.invoke(app, [*base, "account", uai, login, "--json"])
        assert shown.exit_code == 0, shown.output
        assert json.loads(shown.output)["state"] == "ACTIVATED"
