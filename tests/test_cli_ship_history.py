"""``onebalance ship list`` and ``ship reprint`` through CliRunner against the in-process sandboxes
(the ``Shell`` of test_cli_ship): the list as text, one JSON array and CSV, its filters and refusals;
a reprint written to --out in another format with nothing charged, and the refusals (a voided label
before anything is sent, a label the service does not know, a UPS label). Every SWSIM exchange is
checked against the real WSDL (the ``wire_log`` fixture)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

from . import test_cli_ship
from ._images import check_image
from .test_cli_ship import EXIT_FAILED, EXIT_OK, EXIT_USAGE, MERCHANT, SHIPMENT

shell = test_cli_ship.shell  # the fixture: the CLI against the sandboxes


def _buy(shell, key: str) -> dict:
    bought = shell(
        "--json", "buy", MERCHANT, *SHIPMENT, "--carrier", "usps", "--service", "US-PM",
        "--idempotency-key", key, "--label-out", str(shell.tmp_path / f"{key}.png"),
    )  # fmt: skip
    assert bought.exit_code == EXIT_OK, bought.output
    return json.loads(bought.stdout)


def _reprints(wire_log) -> int:
    return sum(1 for direction, op, _ in wire_log if direction == "request" and op == "ReprintIndicium")


def test_list_as_text_json_and_csv(shell, wire_log):
    first, second = _buy(shell, "order-1"), _buy(shell, "order-2")
    assert shell("void", MERCHANT, second["tracking_number"]).exit_code == EXIT_OK
    text = shell("list", MERCHANT)
    assert text.exit_code == EXIT_OK, text.output
    lines = text.stdout.splitlines()
    assert second["tracking_number"] in lines[0] and "voided" in lines[0]
    assert first["tracking_number"] in lines[1] and "printed" in lines[1] and "$" in lines[1]
    assert lines[-1].startswith("2 USPS label(s) printed")
    listed = json.loads(shell("list", MERCHANT, "--json").stdout)
    assert [r["tracking_number"] for r in listed] == [second["tracking_number"], first["tracking_number"]]
    assert listed[0]["status"] == "voided" and listed[0]["refund_status"] == "pending"
    assert listed[1]["cost"] == first["cost"] and listed[1]["recipient_postal_code"].startswith(
        "10118"
    )  # the ZIP+4 USPS gave the label
    rows = list(csv.DictReader(io.StringIO(shell("list", MERCHANT, "--csv").stdout)))
    assert [r["tracking_number"] for r in rows] == [r["tracking_number"] for r in listed]
    assert rows[1]["label_id"] == first["label_id"] and rows[1]["ship_date"] == date.today().isoformat()
    only = json.loads(shell("list", MERCHANT, "--json", "--status", "printed").stdout)
    assert [r["tracking_number"] for r in only] == [first["tracking_number"]]
    one = json.loads(shell("list", MERCHANT, "--json", "--tracking", second["tracking_number"]).stdout)
    assert [r["label_id"] for r in one] == [second["label_id"]]
    assert json.loads(shell("list", MERCHANT, "--json", "--from", str(date.today() + timedelta(days=1))).stdout) == []


def test_list_refuses_bad_input_before_sending(shell, wire_log):
    inverted = shell("list", MERCHANT, "--from", "2026-12-08", "--to", "2026-12-01")
    assert inverted.exit_code == EXIT_USAGE and "inverted" in inverted.stderr
    both = shell("list", MERCHANT, "--json", "--csv")
    assert both.exit_code == EXIT_USAGE and "not both" in both.stderr
    assert shell("list", MERCHANT, "--status", "lost").exit_code == EXIT_USAGE
    assert not any(op == "GetShipmentList" for _, op, _ in wire_log)


def test_reprint_writes_the_label_again_and_charges_nothing(shell, wire_log):
    bought = _buy(shell, "order-3")
    balance = shell.balance()
    out = shell.tmp_path / "again.zpl"
    again = shell("reprint", MERCHANT, bought["tracking_number"], "--format", "zpl", "--out", str(out))
    assert again.exit_code == EXIT_OK, again.output
    assert "nothing was charged" in again.stdout and f"{out} (ZPL 4x6" in again.stdout
    check_image("ZPL", out.read_bytes())
    assert shell.balance() == balance
    data = json.loads(shell("--json", "reprint", MERCHANT, bought["label_id"], "--out", str(out)).stdout)
    assert (data["tracking_number"], data["label_format"], data["charged"]) == (
        bought["tracking_number"],
        "PNG",
        "0.00",
    )
    check_image("PNG", out.read_bytes())
    assert shell.balance() == balance and _reprints(wire_log) == 2


def test_reprint_refusals(shell, wire_log):
    bought = _buy(shell, "order-4")
    assert shell("void", MERCHANT, bought["tracking_number"]).exit_code == EXIT_OK
    voided = shell("reprint", MERCHANT, bought["tracking_number"])
    assert voided.exit_code == EXIT_USAGE and "voided" in voided.stderr and "nothing was sent" in voided.stderr
    assert _reprints(wire_log) == 0
    # without the journal, the service refuses it
    refused = shell("reprint", MERCHANT, bought["tracking_number"], env={"ONEBALANCE_RECORDS": None})
    assert refused.exit_code == EXIT_FAILED and "ReprintRefused" in refused.stderr
    unknown = shell("reprint", MERCHANT, "9400100000000000000000")
    assert unknown.exit_code == EXIT_FAILED and "LabelNotFound" in unknown.stderr
    letter = shell("reprint", MERCHANT, "9400100000000000000000", "--format", "zpl", "--size", "letter")
    assert letter.exit_code == EXIT_USAGE and "letter" in letter.stderr
    shell.connect_all()
    ups = shell(
        "--json", "buy", MERCHANT, *SHIPMENT, "--carrier", "ups", "--service", "03",
        "--idempotency-key", "ups-1", "--label-out", str(shell.tmp_path / "ups.gif"),
    )  # fmt: skip
    assert ups.exit_code == EXIT_OK, ups.output
    other = shell("reprint", MERCHANT, json.loads(ups.stdout)["tracking_number"])
    assert other.exit_code == EXIT_USAGE and "only USPS labels" in other.stderr
    assert _reprints(wire_log) == 2
