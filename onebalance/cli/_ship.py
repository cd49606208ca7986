"""``onebalance ship``: rate shop, buy, void and track labels for one merchant, and connect its carriers.

USPS labels are paid from the merchant's One Balance; UPS and FedEx labels are billed to the
merchant's own accounts, stored with ``ship connect-ups`` / ``ship connect-fedex``. ``buy`` and
``void`` need a label journal that outlives the command: the records file (``--records`` or
``ONEBALANCE_RECORDS``) or the PostgreSQL store (``--store-dsn`` or ``ONEBALANCE_STORE_DSN``); it
is what makes ``--idempotency-key`` hold from one command to the next (and, with PostgreSQL, from
one machine to the next).

``pending`` and ``settle`` reconcile the purchases the journal still has as pending (a UPS or
FedEx purchase cut off before its answer): ``pending`` lists them, ``settle --not-shipped`` frees a
key once support has checked the carrier account and found no shipment.

Exit codes as for ``onebalance account``: 0 done, 1 failed, 2 usage or refused input (nothing
sent), 3 ``pending`` found purchases to reconcile, 4 configuration.

The commands are kept by group: ``_ship_connect`` (the carrier accounts), ``_ship_labels`` (rates,
buy, void, track), ``_ship_history`` (list, reprint: the end of the day), ``_ship_pending`` (pending,
settle), ``_ship_pickups`` (the ``pickup`` group: USPS carrier pickups), ``_ship_scanform`` (the USPS SCAN
form of a day), ``_ship_address`` (check-address); ``_ship_options`` holds what they share.
"""

from __future__ import annotations

from pathlib import Path

import click

from ._common import SupportGroup, _Context, common_options, records_option
from ._ship_address import check_address
from ._ship_connect import carriers, connect_fedex, connect_ups, disconnect
from ._ship_history import reprint, shipment_list
from ._ship_labels import buy, rates, track, void
from ._ship_pending import pending, settle
from ._ship_pickups import pickup
from ._ship_scanform import scan_form


@click.group(cls=SupportGroup)
@common_options
@records_option("receipts, funding settings and the label journal")
@click.pass_context
def ship(
    ctx: click.Context,
    store: Path | None,
    store_dsn: str | None,
    store_schema: str | None,
    key_file: Path | None,
    endpoint: str | None,
    integration_id: str | None,
    as_json: bool,
    records_path: Path | None,
) -> None:
    """Labels: USPS paid from the One Balance, UPS and FedEx billed to the merchant's own accounts."""
    ctx.obj = _Context(store, key_file, endpoint, integration_id, as_json, store_dsn, store_schema, records_path)


for _command in (
    connect_ups,
    connect_fedex,
    disconnect,
    carriers,
    rates,
    buy,
    void,
    track,
    reprint,
    shipment_list,
    pending,
    settle,
    pickup,
    scan_form,
):
    ship.add_command(_command)
ship.add_command(check_address)


__all__ = ["ship"]
