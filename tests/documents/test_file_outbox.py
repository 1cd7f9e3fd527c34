"""`FileOutbox`: e-mails as `.eml` files, written once per message."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.documents.support import UAI, school_world

from educonnect_core import Channel, Email, LetterKind, OutboxMessage, compose
from educonnect_mail import FileOutbox, Sender, ServerUnavailable

SENDER = Sender("ne-pas-repondre@ac-exemple.fr")


def message(message_id: str) -> OutboxMessage:
    letter = compose(
        LetterKind.C02,
        recipient="Chloé NGUYỄN",
        school_name="École",
        children=("Sékou NGUYỄN",),
        login="c.nguyen",
        password="BUNZ57DM",  # noqa: S106 - the guide's sample.
    )
    return OutboxMessage(
        message_id,
        "6000001",
        Email.parse("chloe@example.org"),
        letter,
        datetime(2025, 9, 1, tzinfo=UTC),
    )


class TestFileOutboxThroughTheRelay:
    """An e-mail notification through the relay leaves one readable `.eml` per guardian."""

    def test_one_file_per_message(self, tmp_path: Path) -> None:
        outbox = FileOutbox(tmp_path / "mails", SENDER)
        world = school_world(4, mailer=outbox)
        world.admin.notify(UAI, [g.login for g in world.guardians], Channel.EMAIL)
        mails = outbox.messages()
        assert len(mails) == 4
        assert sorted(str(m["To"].addresses[0].addr_spec) for m in mails) == sorted(
            str(g.email) for g in world.guardians
        )
        assert all(
            m["From"].addresses[0].display_name == "Administrateur des services en ligne"
            for m in mails
        )
        assert not list((tmp_path / "mails").glob("*.part"))


class TestFileOutboxIsIdempotent:
    """The same message id is written once: a retry neither duplicates nor rewrites it."""

    def test_written_once(self, tmp_path: Path) -> None:
        outbox = FileOutbox(tmp_path, SENDER)
        outbox.send(message("abc123"))
        first = outbox.path_of("abc123").read_bytes()
        outbox.path_of("abc123").write_bytes(first + b"marker")
        outbox.send(message("abc123"))
        assert outbox.paths() == [tmp_path / "abc123.eml"]
        assert outbox.path_of("abc123").read_bytes() == first + b"marker"

    def test_unsafe_ids_stay_in_the_folder(self, tmp_path: Path) -> None:
        outbox = FileOutbox(tmp_path / "out", SENDER)
        outbox.send(message("../../etc/passwd"))
        (written,) = outbox.paths()
        assert written.parent == tmp_path / "out"
        assert len(written.stem) == 64
        outbox.send(message("../../etc/passwd"))
        assert len(outbox.paths()) == 1


class TestFileOutboxFailures:
    """A folder that cannot be written is a typed error naming the message."""

    def test_unwritable_folder(self, tmp_path: Path) -> None:
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("")
        with pytest.raises(ServerUnavailable) as caught:
            FileOutbox(blocker, SENDER).send(message("m1"))
        assert caught.value.message_id == "m1"
        assert caught.value.recipient == "chloe@example.org"


class TestFileOutboxBatches:
    """`send_many`: one result per message; an unwritable file fails its message only, an
    already written one is not rewritten.
    """

    def test_batch_with_one_unwritable_file(self, tmp_path: Path) -> None:
        outbox = FileOutbox(tmp_path / "mails", SENDER)
        outbox.send(message("m2"))
        written = outbox.path_of("m2").read_bytes()
        (tmp_path / "mails" / "m3.eml").mkdir()  # a name taken by a folder: cannot be linked
        results = outbox.send_many([message(f"m{n}") for n in range(1, 5)])
        assert results[0] is None
        assert results[1] is None
        assert isinstance(results[2], ServerUnavailable)
        assert results[2].message_id == "m3"
        assert results[3] is None
        assert outbox.path_of("m2").read_bytes() == written
        assert [p.name for p in outbox.paths()] == ["m1.eml", "m2.eml", "m4.eml"]


class TestPrivateFiles:
    """An `.eml` holds a password or an activation link: it is readable by its owner only
    (0600), whatever the umask.
    """

    def test_eml_mode(self, tmp_path: Path) -> None:
        previous = os.umask(0o022)
        try:
            outbox = FileOutbox(tmp_path / "mails", SENDER)
            outbox.send(message("M1"))
        finally:
            os.umask(previous)
        (path,) = outbox.paths()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
