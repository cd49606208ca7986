"""The table of the simulated service's operations: each SWSIM operation's handler and the
authentication it needs (see ``_dispatch.Auth``), and the hooks run for every authenticated call.

A handler returns the response element's fields (without the Authenticator, which the dispatcher
adds) or raises ``_errors.SandboxFault``. A new operation gets a line here.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import (
    _account,
    _addresses,
    _labels,
    _listing,
    _manifests,
    _pages,
    _passwords,
    _payments,
    _pickups,
    _postage,
    _registration,
    _reprints,
)
from ._dispatch import AccountHook, Auth, Route

__all__ = ["ACCOUNT_HOOKS", "HANDLERS"]

HANDLERS: Mapping[str, Route] = {
    # login and the account
    "AuthenticateUser": Route(_account.authenticate_user, Auth.LOGIN),
    "GetAccountInfo": Route(_account.get_account_info, allow_expired_password=True),
    # registration
    "RegisterAccount": Route(_registration.register_account, Auth.NONE),
    "StartAccountVerification": Route(_registration.start_account_verification),
    "FinishAccountVerification": Route(_registration.finish_account_verification),
    "CancelAccount": Route(_registration.cancel_account),
    "RecoverUsername": Route(_registration.recover_username, Auth.NONE),
    # passwords
    "EnumCodeWordTypes": Route(_passwords.enum_codeword_types, Auth.NONE),
    "SetCodeWords": Route(_passwords.set_codewords),
    "GetCodewordQuestions": Route(_passwords.get_codeword_questions, Auth.NONE),
    "StartPasswordReset": Route(_passwords.start_password_reset, Auth.NONE),
    "FinishPasswordReset": Route(_passwords.finish_password_reset, Auth.NONE),
    "ChangePassword": Route(_passwords.change_password, allow_expired_password=True),
    # payments
    "ListPaymentMethods": Route(_payments.list_payment_methods),
    "AddUserPaymentMethod": Route(_payments.add_user_payment_method),
    "ChangeDefaultPaymentMethod": Route(_payments.change_default_payment_method),
    "DeleteUserPaymentMethod": Route(_payments.delete_user_payment_method),
    # pages
    "GetURL": Route(_pages.get_url),
    # postage
    "PurchasePostage": Route(_postage.purchase_postage),
    "SetAutoBuy": Route(_postage.set_auto_buy),
    "EnumCostCodes": Route(_postage.enum_cost_codes),
    "GetBalanceHistory": Route(_postage.get_balance_history),
    "GetBalanceHistoryByToken": Route(_postage.get_balance_history_by_token),
    # mail: addresses, rates, labels, tracking
    "CleanseAddress": Route(_addresses.cleanse_address),
    "GetRates": Route(_labels.get_rates),
    "CreateIndicium": Route(_labels.create_indicium),
    "CancelIndicium": Route(_labels.cancel_indicium),
    "TrackShipment": Route(_labels.track_shipment),
    # carrier pickups
    "CheckCarrierPickupAvailability": Route(_pickups.check_carrier_pickup_availability),
    "ScheduleCarrierPickup": Route(_pickups.schedule_carrier_pickup),
    "ModifyCarrierPickup": Route(_pickups.modify_carrier_pickup),
    "CancelCarrierPickup": Route(_pickups.cancel_carrier_pickup),
    "GetCarrierPickupList": Route(_pickups.get_carrier_pickup_list),
    # the end of the day: reprints, the shipment list
    "ReprintIndicium": Route(_reprints.reprint_indicium),
    "GetShipmentList": Route(_listing.get_shipment_list),
    "GetShipmentListByToken": Route(_listing.get_shipment_list_by_token),
    # the end of the day
    "CreateManifest": Route(_manifests.create_manifest),
}

#: Run under the lock for the account of every authenticated call, before its handler: refunds
#: of voided labels that came due are credited.
ACCOUNT_HOOKS: tuple[AccountHook, ...] = (_labels.credit_due_refunds,)
