"""The re-count after a claim for several mailboxes (`engine.sending.outbox._kept`): what each keeps under its own,
its domain's and its workspace's cap, which claims are given up, and what room is left."""

from __future__ import annotations

import datetime as dt

from engine.sending.outbox import Caps, Claimed, _kept, _Tally
from models.enums import CapKind, MessageKind
from tests.unit.test_outbox_campaign_policy import state

DAY = dt.date(2031, 3, 3)
NOON = dt.datetime(2031, 3, 3, 12, 0, tzinfo=dt.UTC)


def rows(mailbox_id: int, *minutes: int) -> tuple[Claimed, ...]:
    """Claimed rows of a mailbox, due `minutes` after noon (ids follow the order given)."""
    return tuple(
        Claimed(
            id=mailbox_id * 100 + n,
            kind=MessageKind.WARMUP,
            workspace_id=1,
            mailbox_id=mailbox_id,
            peer_id=None,
            lead_id=None,
            enrollment_id=None,
            campaign_id=None,
            message_id=f"<{mailbox_id}.{n}@x>",
            subject="",
            body="",
            in_reply_to="",
            references="",
            attempts=1,
            recipient="",
            recipient_name="",
            scheduled_at=NOON + dt.timedelta(minutes=m),
        )
        for n, m in enumerate(minutes)
    )


def tally(mailbox_id: int, claimed: tuple[Claimed, ...], *, domain: int = 1, mailbox_cap: int = 40,
          domain_cap: int = 120, workspace_cap: int | None = None, workspace: int = 1) -> _Tally:  # fmt: skip
    box = state(mailbox_id=mailbox_id, domain_id=domain, workspace_id=workspace)
    return _Tally(box, Caps(mailbox_cap, domain_cap, workspace_cap), DAY, claimed, limit=8)


def test_one_mailbox_keeps_what_its_tightest_cap_allows() -> None:
    claimed = rows(1, 1, 2, 3, 4)
    assert _kept([tally(1, claimed)], {1: (10, 50, 0)}) == {1: (4, 30, None)}  # room: the mailbox's 30
    assert _kept([tally(1, claimed, mailbox_cap=12)], {1: (14, 50, 0)}) == {1: (2, 0, None)}  # over by 2
    # over by all four of ours: nothing kept, the cap named with today's use before them
    assert _kept([tally(1, claimed, domain_cap=46)], {1: (10, 50, 0)}) == {1: (0, 0, (CapKind.DOMAIN, 46, 46))}
    # over the mailbox's and the domain's by all: the mailbox's is named (checked first)
    assert _kept([tally(1, claimed, mailbox_cap=5, domain_cap=46)], {1: (10, 50, 0)})[1][2] == (CapKind.MAILBOX, 5, 6)


def test_mailboxes_of_one_domain_give_up_its_excess_latest_due_first_and_share_its_room() -> None:
    """Two mailboxes claimed 3 each under a domain cap of 20 that now counts 23 (ours included): the three
    latest-due claims of the domain go, whichever mailbox holds them."""
    first, second = rows(1, 0, 10, 20), rows(2, 5, 15, 25)
    kept = _kept([tally(1, first, domain_cap=20), tally(2, second, domain_cap=20)], {1: (3, 23, 0), 2: (3, 23, 0)})
    assert kept == {1: (2, 0, None), 2: (1, 0, None)}  # 25 (2), 20 (1), 15 (2) given up
    # room left under the domain: shared (each may claim it; the next re-count keeps the sum within the cap)
    kept = _kept([tally(1, first, domain_cap=30), tally(2, second, domain_cap=30)], {1: (3, 23, 0), 2: (3, 23, 0)})
    assert kept == {1: (3, 7, None), 2: (3, 7, None)}


def test_claims_given_up_under_a_mailbox_cap_no_longer_count_under_the_domain() -> None:
    """Mailbox 1 is over its own cap by 2 (gives up 2); the domain counted 22 against 20: after those 2 it is
    within, so mailbox 2 keeps all of its claims."""
    kept = _kept(
        [tally(1, rows(1, 0, 1, 2), mailbox_cap=5, domain_cap=20), tally(2, rows(2, 3, 4), domain_cap=20)],
        {1: (7, 22, 0), 2: (2, 22, 0)},
    )
    assert kept == {1: (1, 0, None), 2: (2, 0, None)}


def test_a_workspace_cap_spans_domains_and_names_itself_when_nothing_is_left() -> None:
    """Two mailboxes on two domains of one workspace with a daily cap of 10 that counts 12 with our 2 claims:
    both give up their claim, and each names the workspace cap with today's use before ours."""
    kept = _kept(
        [tally(1, rows(1, 0), domain=1, workspace_cap=10), tally(2, rows(2, 1), domain=2, workspace_cap=10)],
        {1: (1, 5, 12), 2: (1, 7, 12)},
    )
    assert kept == {1: (0, 0, (CapKind.WORKSPACE, 10, 10)), 2: (0, 0, (CapKind.WORKSPACE, 10, 10))}


def test_workspaces_without_a_cap_are_not_counted() -> None:
    kept = _kept([tally(1, rows(1, 0)), tally(2, rows(2, 0), workspace=2)], {1: (1, 1, 0), 2: (1, 1, 0)})
    assert kept == {1: (1, 39, None), 2: (1, 39, None)}
