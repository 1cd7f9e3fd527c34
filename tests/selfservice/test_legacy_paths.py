"""The host-checked calls `sign_up_by_sms` / `connect_with_franceconnect` no longer link only
the first matching record (issue 13.2): every record whose children are all confirmed is
attached, and they are merged into one account.
"""

from __future__ import annotations

from tests.core.support import CHOSEN
from tests.selfservice.support import NINA, PAUL, SOPHIE, SOPHIE_MOBILE, SOPHIE_PARC, self_scene

from educonnect_core.domain.lifecycle import AccountState, Origin


class TestLegacyCallsAttachEveryRecord:
    """A guardian recorded twice gets one account with both children."""

    def test_sign_up_by_sms_merges_both_records(self) -> None:
        """Confirming Nina and Paul activates one account holding both; the other is gone."""
        s = self_scene()
        feed = s.scene.feed.students
        login = s.portal.sign_up_by_sms(
            surname="MARTIN",
            first_name="Sophie",
            mobile=SOPHIE_MOBILE,
            birth_dates={NINA: feed[NINA].birth_date, PAUL: feed[PAUL].birth_date},
            new_password=CHOSEN,
        )
        account = s.scene.stored(login)
        assert (account.state, account.origin) == (AccountState.ACTIVATED, Origin.RESPONSABLE)
        with s.scene.world.storage.unit_of_work() as uow:
            kids = uow.directory.children([SOPHIE])[SOPHIE]
            assert uow.accounts.get(SOPHIE_PARC) is None
        assert {k.student_id for k in kids} == {NINA, PAUL}

    def test_connect_with_franceconnect_merges_both_records(self) -> None:
        """The same for the first FranceConnect connection."""
        s = self_scene()
        feed = s.scene.feed.students
        login = s.portal.connect_with_franceconnect(
            surname="MARTIN",
            first_name="Sophie",
            mobile=SOPHIE_MOBILE,
            birth_dates={NINA: feed[NINA].birth_date, PAUL: feed[PAUL].birth_date},
        )
        assert s.scene.stored(login).origin is Origin.FRANCECONNECT
        with s.scene.world.storage.unit_of_work() as uow:
            assert uow.accounts.get(SOPHIE_PARC) is None
