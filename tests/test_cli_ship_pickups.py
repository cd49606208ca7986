"""``onebalance ship pickup``: check, book, change, cancel and list USPS carrier pickups from the command
line, against the sandbox (each exchange checked against the real WSDL), with the mistakes a person
makes: a day already past, a ZIP without carrier pickup, cancelling twice, a pickup whose day has come."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import responses

from onebalance.carriers.usps._pickup_models import pickup_today
from onebalance.sandbox import Sandbox

from .test_cli_ship import EXIT_FAILED, EXIT_OK, EXIT_USAGE, MERCHANT, USERNAME, Shell

AUSTIN = ["--street", "9 Elm St", "--city", "Austin", "--state", "TX", "--zip", "78701"]


@pytest.fixture
def ship(tmp_path: Path, sandbox: Sandbox) -> Iterator[Shell]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield Shell(tmp_path, sandbox, mock)


def test_check_book_change_list_and_cancel(ship: Shell) -> None:
    checked = ship("pickup", "check", MERCHANT)
    assert checked.exit_code == EXIT_OK, checked.output
    assert "1990 E Grand Ave" in checked.stdout and "(free)" in checked.stdout  # the account's address
    booked = ship("--json", "pickup", "book", MERCHANT, "--priority", "2", "--ground-advantage", "1", "--weight", "9",
                  "--location", "side_door")  # fmt: skip
    assert booked.exit_code == EXIT_OK, booked.output
    pickup = json.loads(booked.stdout)
    number = pickup["confirmation_number"]
    assert pickup["status"] == "scheduled" and pickup["pieces"] == 3 and pickup["packages"]["location"] == "side_door"
    assert pickup["contact"]["first_name"] == "Demo" and pickup["contact"]["last_name"] == "Merchant"
    changed = ship("pickup", "change", MERCHANT, number, "--priority", "5", "--weight", "15")
    assert changed.exit_code == EXIT_OK and f"pickup {number} changed" in changed.stdout
    listed = ship("--json", "pickup", "list", MERCHANT)
    (only,) = json.loads(listed.stdout)
    assert only["confirmation_number"] == number and only["pieces"] == 5 and only["packages"]["total_weight_lb"] == 15
    text = ship("pickup", "list", MERCHANT).stdout
    assert number in text and "5 piece(s), 15 lb, front_door" in text
    cancelled = ship("pickup", "cancel", MERCHANT, number)
    assert cancelled.exit_code == EXIT_OK and f"pickup {number} cancelled" in cancelled.stdout
    assert ship("pickup", "list", MERCHANT).stdout.strip() == "no pickups booked"
    assert [p.state for p in ship.sandbox.pickups(USERNAME)] == ["Cancelled"]


def test_mistakes_exit_as_other_ship_commands(ship: Shell) -> None:
    yesterday = (pickup_today() - timedelta(days=1)).isoformat()
    past = ship("pickup", "check", MERCHANT, "--date", yesterday)
    assert past.exit_code == EXIT_USAGE and f"--date: {yesterday} is before today" in past.stderr
    remote = ship("pickup", "check", MERCHANT, "--street", "1 Front St", "--city", "Ketchikan", "--state", "AK",
                  "--zip", "99950")  # fmt: skip
    assert remote.exit_code == EXIT_FAILED and "PickupUnavailable" in remote.stderr and "99950" in remote.stderr
    no_weight = ship("pickup", "book", MERCHANT, "--priority", "1")
    assert no_weight.exit_code == EXIT_USAGE and "--weight" in no_weight.stderr
    nothing = ship("pickup", "book", MERCHANT, "--weight", "3")
    assert nothing.exit_code == EXIT_USAGE and "at least one piece" in nothing.stderr
    where = ship("pickup", "book", MERCHANT, "--other", "1", "--weight", "3", "--location", "other")
    assert where.exit_code == EXIT_USAGE and "--instructions:" in where.stderr
    who = ship("pickup", "book", MERCHANT, *AUSTIN, "--priority", "1", "--weight", "2")
    assert who.exit_code == EXIT_USAGE and "--name" in who.stderr
    assert ship.sandbox.pickups(USERNAME) == []  # nothing was booked by any of them
    number = json.loads(ship("--json", "pickup", "book", MERCHANT, "--priority", "1", "--weight", "2").stdout)[
        "confirmation_number"
    ]
    again = ship("pickup", "book", MERCHANT, "--priority", "1", "--weight", "2")
    assert again.exit_code == EXIT_FAILED and "PickupRefused" in again.stderr and number in again.stderr
    assert ship("pickup", "cancel", MERCHANT, number).exit_code == EXIT_OK
    twice = ship("pickup", "cancel", MERCHANT, number)
    assert twice.exit_code == EXIT_FAILED and "cancelled already" in twice.stderr
    unknown = ship("pickup", "cancel", MERCHANT, "WTC12345678")
    assert unknown.exit_code == EXIT_FAILED and "PickupNotFound" in unknown.stderr
    empty = ship("pickup", "change", MERCHANT, number)
    assert empty.exit_code == EXIT_USAGE and "nothing to change" in empty.stderr


def test_a_pickup_whose_day_has_come_cannot_change(ship: Shell) -> None:
    booked = ship("--json", "pickup", "book", MERCHANT, *AUSTIN, "--name", "Jo Doe", "--phone", "512-555-0100",
                  "--parcel-select", "4", "--weight", "20")  # fmt: skip
    assert booked.exit_code == EXIT_OK, booked.output
    pickup = json.loads(booked.stdout)
    assert pickup["address"]["city"] == "Austin" and pickup["contact"]["phone"] == "5125550100"
    days = (date.fromisoformat(pickup["pickup_date"]) - pickup_today(ship.sandbox.clock.now())).days
    ship.sandbox.advance_clock(timedelta(days=days))
    late = ship("pickup", "change", MERCHANT, pickup["confirmation_number"], "--parcel-select", "5", "--weight", "25")
    assert late.exit_code == EXIT_FAILED and "its day has come" in late.stderr
