"""One-time passwords, changing one's own, resets and role changes, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Connection, func, select

from tenure.domains.registry import metadata
from tenure.domains.users import passwords, service, sessions
from tenure.kit.errors import InvalidInput, NotFound

NEW = "a phrase of my own choosing"


def _sessions_of(conn: Connection, user_id: int) -> int:
    table = metadata().tables["web_sessions"]
    return int(
        conn.execute(
            select(func.count()).select_from(table).where(table.c.user_id == user_id)
        ).scalar_one()
    )


def test_a_one_time_password_opens_one_session_which_must_choose_a_new_one(
    conn: Connection,
) -> None:
    user_id, once = service.create_user(conn, "Ana", "ana@example.com", "sales")
    opened = sessions.sign_in(conn, "ana@example.com", once, "10.0.0.1")
    assert opened is not None
    key, signed = opened
    assert signed.must_change
    found = sessions.session_of(conn, key)
    assert found is not None and found.must_change
    # spent: the same password opens nothing a second time
    assert service.check_password(conn, "ana@example.com", once) is None
    assert sessions.sign_in(conn, "ana@example.com", once, "10.0.0.1") is None
    # the forced choice asks for no current password (there is none left to give)
    passwords.change_password(conn, user_id, current=None, new=NEW, again=NEW, keep_session=key)
    after = sessions.session_of(conn, key)
    assert after is not None and not after.must_change
    assert service.check_password(conn, "ana@example.com", NEW) is not None
    second = sessions.sign_in(conn, "ana@example.com", NEW, "10.0.0.1")
    assert second is not None and not second[1].must_change


def test_changing_a_password_checks_each_field_and_ends_the_other_sessions(
    conn: Connection,
) -> None:
    user_id, _ = service.create_user(conn, "Bo", "bo@example.com", "csm")
    service.set_password(conn, "bo@example.com", "the first long password")
    here = sessions.sign_in(conn, "bo@example.com", "the first long password", "a")
    there = sessions.sign_in(conn, "bo@example.com", "the first long password", "b")
    assert here is not None and there is not None and _sessions_of(conn, user_id) == 2

    def refused(current: str, new: str, again: str) -> dict[str, str]:
        with pytest.raises(passwords.PasswordRefused) as caught:
            passwords.change_password(conn, user_id, current=current, new=new, again=again)
        return caught.value.problems

    assert refused("wrong", NEW, NEW) == {"current": "current_wrong"}
    assert refused("the first long password", "short", "short") == {"new": "too_short"}
    assert refused("the first long password", "x" * 257, "x" * 257) == {"new": "too_long"}
    assert refused("the first long password", NEW, NEW + "!") == {"again": "mismatch"}
    assert refused("the first long password", "the first long password", "x") == {
        "new": "unchanged"
    }
    assert refused("wrong", "short", "") == {"current": "current_wrong", "new": "too_short"}
    assert isinstance(passwords.PasswordRefused({"new": "too_short"}), InvalidInput)
    assert _sessions_of(conn, user_id) == 2  # nothing changed yet
    passwords.change_password(
        conn, user_id, current="the first long password", new=NEW, again=NEW, keep_session=here[0]
    )
    assert sessions.session_of(conn, here[0]) is not None
    assert sessions.session_of(conn, there[0]) is None
    assert service.check_password(conn, "bo@example.com", "the first long password") is None


def test_a_reset_hands_out_a_one_time_password_and_ends_every_session(conn: Connection) -> None:
    user_id, _ = service.create_user(conn, "Cy", "cy@example.com", "viewer")
    service.set_password(conn, "cy@example.com", NEW)
    opened = sessions.sign_in(conn, "cy@example.com", NEW, "a")
    assert opened is not None and not opened[1].must_change
    same_id, once = passwords.reset_password(conn, " CY@example.com ")
    assert same_id == user_id
    assert sessions.session_of(conn, opened[0]) is None
    assert service.check_password(conn, "cy@example.com", NEW) is None
    again = sessions.sign_in(conn, "cy@example.com", once, "a")
    assert again is not None and again[1].must_change
    with pytest.raises(NotFound):
        passwords.reset_password(conn, "nobody@example.com")
    audit = metadata().tables["audit_log"]
    actions = conn.execute(select(audit.c.action).where(audit.c.entity_id == str(user_id)))
    assert "user.password_reset" in set(actions.scalars())


def test_a_role_change_ends_the_users_sessions(conn: Connection) -> None:
    user_id, _ = service.create_user(conn, "Di", "di@example.com", "sales")
    service.set_password(conn, "di@example.com", NEW)
    opened = sessions.sign_in(conn, "di@example.com", NEW, "a")
    assert opened is not None
    service.set_role(conn, service.COMMAND_LINE, user_id, "sales")  # no change: stays signed in
    assert sessions.session_of(conn, opened[0]) is not None
    service.set_role(conn, service.COMMAND_LINE, user_id, "viewer")
    assert sessions.session_of(conn, opened[0]) is None


def test_the_demo_hands_out_a_new_one_time_password_until_the_admin_chose_one(
    conn: Connection,
) -> None:
    user_id, _ = service.create_user(conn, "Admin", "boss@example.com", "admin")
    first, found = service.first_sign_in(conn, "boss@example.com")
    assert found and first is not None
    assert sessions.sign_in(conn, "boss@example.com", first, "a") is not None
    # signed in once but never chose a password: the demo prints a fresh one
    second, _ = service.first_sign_in(conn, "boss@example.com")
    assert second is not None and second != first
    passwords.change_password(conn, user_id, current=None, new=NEW, again=NEW)
    assert sessions.sign_in(conn, "boss@example.com", second, "a") is None
    assert service.first_sign_in(conn, "boss@example.com") == (None, True)


def test_the_throttle_counts_an_attempt_before_its_password_is_checked(conn: Connection) -> None:
    service.create_user(conn, "Ed", "ed@example.com", "viewer")
    service.set_password(conn, "ed@example.com", NEW)
    now = sessions.utcnow()
    for _ in range(sessions.PER_EMAIL):
        sessions.count_attempt(conn, "ed@example.com", "b", now)
    with pytest.raises(sessions.TooManyAttempts):
        sessions.count_attempt(conn, "ED@example.com", "b", now)
    # the window passes
    sessions.count_attempt(conn, "ed@example.com", "b", now + sessions.WINDOW + timedelta(1))
