"""`onebalance ship rates/buy --return`: a return label (the --from-* address is the customer, the
--to-* address the merchant), paid as any label; a saved `ship rates --return --json` output buys a
return, and one saved before --return existed an outbound label."""

from __future__ import annotations

import json
from decimal import Decimal

from . import test_cli_ship
from .test_cli_ship import EXIT_OK, EXIT_USAGE, MERCHANT, SHIPMENT

shell = test_cli_ship.shell  # the fixture: the CLI against the sandboxes


def test_buy_return_labels_on_each_carrier(shell, tmp_path):
    shell.connect_all()
    for carrier, service in (("usps", "US-PM"), ("ups", "03"), ("fedex", "FEDEX_GROUND")):
        args = ["--json", "buy", MERCHANT, *SHIPMENT, "--return", "--carrier", carrier, "--service", service,
                "--idempotency-key", f"return-{carrier}", "--label-out", str(tmp_path / f"{carrier}.img")]  # fmt: skip
        result = shell(*args)
        assert result.exit_code == EXIT_OK, result.output
        label = json.loads(result.stdout)
        assert label["is_return"] is True and (tmp_path / f"{carrier}.img").read_bytes()
    text = shell("buy", MERCHANT, *SHIPMENT, "--return", "--carrier", "usps", "--service", "US-PM",
                 "--idempotency-key", "return-usps", "--label-out", str(tmp_path / "again.img"))  # fmt: skip
    assert "USPS US-PM return label already bought" in text.stdout
    assert shell.balance() < Decimal("100.00")  # the USPS return was paid from the One Balance


def test_a_return_usps_does_not_sell_is_a_usage_error(shell, tmp_path):
    result = shell("buy", MERCHANT, *SHIPMENT, "--return", "--carrier", "usps", "--service", "US-MM",
                   "--idempotency-key", "return-mm", "--label-out", str(tmp_path / "x.png"))  # fmt: skip
    assert result.exit_code == EXIT_USAGE, result.output
    assert "no USPS return service" in result.stderr


def test_a_saved_return_rate_buys_a_return(shell, tmp_path):
    shell.connect_all()
    saved = shell("--json", "rates", MERCHANT, *SHIPMENT, "--return")
    assert saved.exit_code == EXIT_OK, saved.output
    data = json.loads(saved.stdout)
    assert data["shipment"]["is_return"] is True
    assert {r["rate_id"].split(":")[1] for r in data["rates"] if r["carrier"] == "usps"} <= {
        "US-XM",
        "US-PM",
        "US-GA",
        "US-PS",
    }
    rates_file = tmp_path / "rates.json"
    rates_file.write_text(saved.stdout)
    bought = shell("--json", "buy", MERCHANT, "--from-rates", str(rates_file), "--rate", "ups:03",
                   "--idempotency-key", "saved-return", "--label-out", str(tmp_path / "l.gif"))  # fmt: skip
    assert bought.exit_code == EXIT_OK, bought.output
    assert json.loads(bought.stdout)["is_return"] is True
    del data["shipment"]["is_return"]  # saved before --return existed
    rates_file.write_text(json.dumps(data))
    old = shell("--json", "buy", MERCHANT, "--from-rates", str(rates_file), "--rate", "ups:03",
                "--idempotency-key", "saved-outbound", "--label-out", str(tmp_path / "o.gif"))  # fmt: skip
    assert old.exit_code == EXIT_OK, old.output
    assert json.loads(old.stdout)["is_return"] is False
