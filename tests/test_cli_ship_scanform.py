"""`onebalance ship scan-form`: the USPS SCAN form of a day from the command line, its PDF written to a
file; labels refused listed with their reason; the mistakes a person makes (no label today, a voided
label named, a bad date or tracking number) with the exit codes of the other ship commands."""

from __future__ import annotations

import json

from . import test_cli_ship
from ._images import check_image
from .test_cli_ship import EXIT_FAILED, EXIT_OK, EXIT_USAGE, MERCHANT, SHIPMENT

shell = test_cli_ship.shell  # the fixture: the CLI against the sandboxes


def _buy(shell, key, tmp_path) -> str:
    bought = shell("--json", "buy", MERCHANT, *SHIPMENT, "--carrier", "usps", "--service", "US-PM",
                   "--idempotency-key", key, "--label-out", str(tmp_path / f"{key}.png"))  # fmt: skip
    assert bought.exit_code == EXIT_OK, bought.output
    return str(json.loads(bought.stdout)["tracking_number"])


def test_a_form_for_the_day_is_written_to_a_file(shell, tmp_path):
    nothing = shell("scan-form", MERCHANT)
    assert nothing.exit_code == EXIT_FAILED
    assert "ScanFormRefused" in nothing.stderr and "no labels of this ship date" in nothing.stderr
    kept, voided = _buy(shell, "order-1", tmp_path), _buy(shell, "order-2", tmp_path)
    assert shell("void", MERCHANT, voided).exit_code == EXIT_OK
    pdf = tmp_path / "form.pdf"
    made = shell("scan-form", MERCHANT, "--tracking", kept, "--tracking", voided, "--out", str(pdf))
    assert made.exit_code == EXIT_OK, made.output
    assert f"  {kept}" in made.stdout
    assert "left out (1):" in made.stdout and voided in made.stdout and "[code 002b0911]" in made.stdout
    assert f"PDF written to {pdf}" in made.stdout
    check_image("PDF", pdf.read_bytes())
    again = shell("--json", "scan-form", MERCHANT, "--tracking", kept)
    assert again.exit_code == EXIT_FAILED
    assert "already included on a SCAN form" in again.stderr and again.stdout == ""
    voided_on_form = shell("void", MERCHANT, kept)  # not accepted by USPS yet: it can still be voided
    assert voided_on_form.exit_code == EXIT_OK and "refund pending" in voided_on_form.stdout


def test_json_names_the_form_and_its_file(shell, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _buy(shell, "order-3", tmp_path)
    made = shell("scan-form", MERCHANT, "--json")
    assert made.exit_code == EXIT_OK, made.output
    data = json.loads(made.stdout)
    assert data["whole_day"] is True and data["left_out"] == [] and data["url"].endswith(".pdf")
    assert data["pdf_file"] == f"scan-form-{data['form_id']}.pdf"
    check_image("PDF", (tmp_path / data["pdf_file"]).read_bytes())


def test_mistakes_exit_2_and_send_nothing(shell, tmp_path):
    before = len(shell.mock.calls)
    bad_date = shell("scan-form", MERCHANT, "--date", "2026-13-01")
    assert bad_date.exit_code == EXIT_USAGE and "--date" in bad_date.stderr
    bad_number = shell("scan-form", MERCHANT, "--tracking", "abc")
    assert bad_number.exit_code == EXIT_USAGE and "not a USPS tracking number" in bad_number.stderr
    sent = [c.request.body for c in shell.mock.calls[before:] if c.request.body]
    assert not any(b"CreateManifest" in (body if isinstance(body, bytes) else body.encode()) for body in sent)
    other_day = shell("scan-form", MERCHANT, "--date", "2020-01-02")
    assert other_day.exit_code == EXIT_FAILED and "[code 002b0910]" in other_day.stderr
