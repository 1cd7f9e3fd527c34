"""The sample schools of tests/core with a guardian recorded twice, an SMS gateway that records,
and helpers for the self-service paths.

Sophie MARTIN is in ONDE twice, once per school (« r-sophie » with Nina at LES TILLEULS,
« r-sophie-parc » with Paul at DU PARC), same mobile: the feed gives her two accounts
(``s.martin`` and ``s.martin2``) that the self-service paths bring together.
"""

from __future__ import annotations

from datetime import date

import attrs
from tests.core.support import CP, OTHER_UAI, PARC_CM1, UAI, Scene, pupil, sample_feed

from educonnect_core import Channel, Director, Portal, Responsable, Selection, Uai
from educonnect_core.domain.sms import SmsPurpose, e164
from educonnect_core.ports import Storage
from educonnect_core.testing import in_memory_world
from educonnect_core.testing.fakes import RecordingSms

SOPHIE, SOPHIE_PARC = "r-sophie", "r-sophie-parc"
NINA, PAUL = "s-nina", "s-paul"
SOPHIE_MOBILE = "06 55 44 33 22"
SOPHIE_LINE = e164(SOPHIE_MOBILE)
PARC_DIRECTOR = Director("dir-2", {Uai.parse(OTHER_UAI)}, "M. le directeur")


def _add_sophie(scene: Scene) -> None:
    for rid in (SOPHIE, SOPHIE_PARC):
        scene.feed.responsables[rid] = Responsable.create(
            rid, surname="MARTIN", first_name="Sophie", mobile=SOPHIE_MOBILE
        )
    scene.feed.add_family(
        scene.feed.responsables[SOPHIE],
        pupil(NINA, "MARTIN", "Nina", date(2019, 4, 4), class_id=CP),
    )
    scene.feed.add_family(
        scene.feed.responsables[SOPHIE_PARC],
        pupil(
            PAUL,
            "MARTIN",
            "Paul",
            date(2016, 6, 6),
            class_id=PARC_CM1,
            level="CM1",
            uai=OTHER_UAI,
        ),
    )


class Worlds:
    """Where the scenario classes build their scenes: in memory here, on SQLite in a subclass."""

    def storage(self) -> Storage | None:
        """The storage of the next scene (None: in memory)."""
        return None

    def new(self, *, notify: bool = False) -> SelfScene:
        """A fresh `self_scene` on this class's storage."""
        return self_scene(notify=notify, storage=self.storage())


@attrs.define
class SelfScene:
    """A `Scene` plus the SMS gateway its portal sends codes through."""

    scene: Scene
    sms: RecordingSms = attrs.Factory(RecordingSms)

    @property
    def portal(self) -> Portal:
        """The guardians' use cases, with the recording SMS gateway."""
        return Portal(self.scene.app.runtime, self.sms)

    def proof(self, mobile: str, purpose: SmsPurpose) -> str:
        """Ask a code, read it from the SMS, type it: the proof of the path's next step."""
        self.portal.sms.request(mobile, purpose)
        return self.portal.sms.verify(mobile, self.sms.last_code(e164(mobile)), purpose)


def self_scene(*, notify: bool = False, storage: Storage | None = None) -> SelfScene:
    """The sample schools with Sophie's two records, integrated (and notified, if asked), on
    `storage` (in memory by default).
    """
    scene = Scene(in_memory_world(seed=7, storage=storage), sample_feed())
    scene.integrate()
    _add_sophie(scene)
    scene.integrate()
    if notify:
        scene.admin.notify(UAI, Selection(), Channel.PAPER)
    return SelfScene(scene)
