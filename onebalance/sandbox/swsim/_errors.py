"""The service's own errors, as the sandbox raises them. Codes are 8 lower-case hex digits.

Most codes are the real service's (NOTES section 5). The real service documents no code for a
few situations the sandbox has to answer; it uses these, all in the otherwise unused 002b09xx
range (``onebalance.core._errors`` maps 002b0901 to VerificationFailed and 002b0902-002b0905 to
ValidationError):

==========  =============================================================================
Code        When
==========  =============================================================================
002b0901    FinishAccountVerification: wrong, void or expired code, or none was started.
002b0902    CancelAccount: the address, city, state or ZIP do not match the account's.
002b0903    ChangeDefaultPaymentMethod / DeleteUserPaymentMethod: no such payment method.
002b0904    DeleteUserPaymentMethod: the default (or only) payment method cannot be deleted.
002b0905    GetBalanceHistoryByToken: the BalanceHistoryToken is unknown (never issued to
            this account, or one of its older than the last 50 queries).
002b0906    GetRates with both ServiceType and PackageType (or CreateIndicium): no rate
            exists for them (wrong package for the service, too heavy, not domestic).
002b0907    GetRates / CreateIndicium: a service USPS retired for the package (First-Class
            Package Service ``US-FC`` for a parcel, Retail Ground ``US-RG``: both became
            Ground Advantage in July 2023); the message names the retired service.
002b0908    CreateIndicium: an add-on the rate does not offer, or two that exclude each
            other (see ``_addons``).
002b0909    CreateIndicium: a return label (``Rate.PrintLayout`` ``Return...``) USPS does not
            sell: a service without return service, a letter or card, or an address outside
            the ZIP code system.
002b090a    CreateIndicium to a destination abroad: no Customs, or Customs that cannot make
            the customs form (see ``_international``); the message names what is missing.
002b090b    GetRates / CreateIndicium: a service that does not go to the destination (a
            domestic service abroad, an international one to a US address).
002b0c01    Carrier pickups: no pickup at the address (a ZIP without the service, or not a
            ZIP code of the state).
002b0c02    CheckCarrierPickupAvailability: a Date before today.
002b0c03    ModifyCarrierPickup / CancelCarrierPickup: no such ConfirmationNumber on the
            account.
002b0c04    ModifyCarrierPickup / CancelCarrierPickup: the pickup is cancelled already, or
            its day has come.
002b0c05    ScheduleCarrierPickup: a pickup is booked at the address that day already.
002b0c06    ScheduleCarrierPickup / ModifyCarrierPickup: no piece, a negative count, less
            than 1 lb, Other without SpecialInstruction, or nothing to change.
002b0920    ReprintIndicium: the label was voided.
002b0921    ReprintIndicium: the label's ship date has passed (see ``_reprints``).
002b0922    GetShipmentListByToken: the ShipmentListToken is unknown (never issued to this
            account, or one of its older than the last 50 queries).
002b0910    CreateManifest without labels named: no label of the ship date is left to put
            on a SCAN form (none printed, or all voided or on a form already).
002b0911    CreateManifest: a label named was voided (or is a sample): one error per label.
002b0912    CreateManifest: a label named is of another ship date: one error per label.
002b0913    CancelIndicium: the label is on a SCAN form and USPS has accepted it: it can no longer be voided.
==========  =============================================================================

CreateManifest refuses the labels named that cannot go on a form all at once, in one fault whose
detail holds one ``sdcerror`` per label (its code, and the label as it was named in ``context``):
00450d02 (the service's own code) for a label already on a SCAN form, 00450202 for one it does not
know, 002b0911 and 002b0912 above.

TrackShipment of an unknown label (or another account's) answers 00450202, the code
CancelIndicium uses for the same situation.

Input the real service's older schemas limit (UserName at most 40 characters, Email at most
41, a 10-digit phone number, all four codewords together) is refused like a schema violation:
``soap:Client`` with code 00490102, see :meth:`SandboxFault.schema_violation`.
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    "002b0201": "Invalid authenticator.",
    "002b0202": "Expired Authenticator.",
    "002b0203": "Invalid conversation token.",
    "002b0204": "Conversation out-of-sync.",
    "002b0207": "Invalid integration ID.",
    "002b0501": "The account is not in password reset.",
    "002b0502": "Invalid codewords.",
    "002b0601": "Authentication failed.",
    "002b0605": "Account is in password reset.",
    "002b0607": "Account locked.",
    "002b0608": "Password expired.",
    "002b060c": "Codewords are not set for this account.",
    "002b0802": "Creation of payment method failed.",
    "002b0808": "The physical address may not be a PO box.",
    "002b0901": "Invalid verification code.",
    "002b0902": "The cancellation details do not match the account.",
    "002b0903": "No such payment method.",
    "002b0904": "The default payment method cannot be deleted.",
    "002b0905": "Unknown balance history token.",
    "00450116": "Purchase stale control total.",
    "0045018a": "Only an account administrator may change the auto-buy settings.",
    "0045018b": "Auto-buy is not available to invoiced accounts.",
    "0045018c": "The user may not purchase postage, so may not change the auto-buy settings.",
    "0045018d": "The auto-buy TriggerAmount must be greater than $0.",
    "0045018e": "The auto-buy PurchaseAmount must be at least $10.00, in whole cents.",
    "0045018f": "The auto-buy TriggerAmount plus PurchaseAmount may not exceed the maximum postage balance.",
    "00450190": "Account status does not allow purchase: UserAccountIsOnPaymentHold.",
    "00450191": "Account status does not allow purchase: UserAccountIsOnAdminHold.",
    "00560103": "Purchase postage amount out of bounds.",
    "00560104": "The purchase cannot exceed the maximum postage balance.",
    "00560106": "Purchase postage is not applicable to invoiced accounts.",
    "00560201": "Activity blocked due to the account's status.",
    "80040c58": "Monthly meter purchase limit exceeded.",
    "8004041b": "A postage purchase is still being processed.",
    "8004800b": "Postage purchases are disabled for this account.",
    "00450123": "Invalid promo code.",
    "0045014f": "The old password is required when calling with an authenticator.",
    "00550108": "Account closed.",
    "002b0906": "No rate matches the service type, package type and weight.",
    "002b0907": "USPS no longer sells this service for this package.",
    "002b0908": "The add-on is not available for this rate.",
    "002b0909": "Return labels are not available for this service, mail piece or address.",
    "002b090a": "Customs information is required for international mail.",
    "002b090b": "The service does not go to this destination.",
    "002b0920": "The label was voided and cannot be printed again.",
    "002b0921": "The label's ship date has passed: it cannot be printed again.",
    "002b0922": "Unknown shipment list token.",
    "002b0910": "There are no labels of this ship date to put on a SCAN form.",
    "002b0911": "The label was voided (or is a sample) and cannot go on a SCAN form.",
    "002b0912": "The label is of another ship date than the SCAN form.",
    "002b0913": "The label is on a SCAN form and USPS has accepted it: it can no longer be voided.",
    "00450d02": "The label is already included on a SCAN form.",
    "002b0a01": "The postage amount exceeds the account's per-print limit.",
    "002b0c01": "Carrier pickup is not available at this address.",
    "002b0c02": "The pickup date is in the past.",
    "002b0c03": "No carrier pickup with this confirmation number.",
    "002b0c04": "The carrier pickup can no longer be changed.",
    "002b0c05": "A carrier pickup is already scheduled at this address for that day.",
    "002b0c06": "The pickup's package information is not valid.",
    "00450140": "Invalid destination address.",
    "00450163": "The destination address does not match its CleanseHash.",
    "00450201": "The indicium is too old to be refunded (240 hours).",
    "00450202": "Non-existent transaction, or one that belongs to another user.",
    "00450205": "Refund not allowed: the label is already voided.",
    "00450208": "The account's plan allows only Priority Mail and Priority Mail Express.",
    "80040414": "Insufficient Postage.",
    "80048011": "Printing is disabled for this account.",
    "00490102": "Invalid SOAP message due to XML Schema validation failure.",
}

INVALID_AUTHENTICATOR = "002b0201"
EXPIRED_AUTHENTICATOR = "002b0202"
CONVERSATION_SUPERSEDED = "002b0203"
CONVERSATION_OUT_OF_SYNC = "002b0204"
INVALID_INTEGRATION_ID = "002b0207"
NOT_IN_PASSWORD_RESET = "002b0501"  # noqa: S105 - an error code
AUTHENTICATION_FAILED = "002b0601"
IN_PASSWORD_RESET = "002b0605"  # noqa: S105 - an error code
ACCOUNT_LOCKED = "002b0607"
PASSWORD_EXPIRED = "002b0608"  # noqa: S105 - an error code
CODEWORDS_NOT_SET = "002b060c"
INVALID_PROMO_CODE = "00450123"
OLD_PASSWORD_NEEDED = "0045014f"  # noqa: S105 - an error code
ACCOUNT_CLOSED = "00550108"
SCHEMA_VIOLATION = "00490102"
# Postage (NOTES sections 3, 5 and 8).
PURCHASE_STALE_CONTROL_TOTAL = "00450116"
AUTO_BUY_NOT_ADMIN = "0045018a"
AUTO_BUY_INVOICED = "0045018b"
AUTO_BUY_NO_PURCHASE_PERMISSION = "0045018c"
AUTO_BUY_TRIGGER_NOT_POSITIVE = "0045018d"
AUTO_BUY_AMOUNT_BELOW_MINIMUM = "0045018e"
AUTO_BUY_ABOVE_MAXIMUM = "0045018f"
PAYMENT_HOLD = "00450190"
ADMIN_HOLD = "00450191"
PURCHASE_AMOUNT_OUT_OF_BOUNDS = "00560103"
ABOVE_MAX_POSTAGE_BALANCE = "00560104"
INVOICED_ACCOUNT = "00560106"
ACTIVITY_BLOCKED = "00560201"
MONTHLY_LIMIT_EXCEEDED = "80040c58"
PURCHASE_PENDING = "8004041b"
PURCHASE_DISABLED = "8004800b"
# Chosen by the sandbox (see the module docstring).
INVALID_VERIFICATION_CODE = "002b0901"
CANCELLATION_MISMATCH = "002b0902"
NO_SUCH_PAYMENT_METHOD = "002b0903"
DEFAULT_PAYMENT_METHOD = "002b0904"
UNKNOWN_HISTORY_TOKEN = "002b0905"  # noqa: S105 - an error code
NO_SUCH_RATE = "002b0906"
SERVICE_RETIRED = "002b0907"
ADDON_NOT_AVAILABLE = "002b0908"
NO_RETURN_SERVICE = "002b0909"
CUSTOMS_REQUIRED = "002b090a"
SERVICE_NOT_FOR_DESTINATION = "002b090b"
# Carrier pickups (chosen by the sandbox, see the module docstring).
PICKUP_UNAVAILABLE = "002b0c01"
PICKUP_DATE_PAST = "002b0c02"
NO_SUCH_PICKUP = "002b0c03"
PICKUP_NOT_CHANGEABLE = "002b0c04"
PICKUP_EXISTS = "002b0c05"
PICKUP_PACKAGES_INVALID = "002b0c06"
# Reprints and the shipment list (chosen by the sandbox).
REPRINT_VOIDED = "002b0920"
REPRINT_TOO_LATE = "002b0921"
UNKNOWN_SHIPMENT_TOKEN = "002b0922"  # noqa: S105 - an error code
# SCAN forms and voids of labels on them (chosen by the sandbox).
NOTHING_TO_MANIFEST = "002b0910"
NOT_MAILABLE = "002b0911"
OTHER_SHIP_DATE = "002b0912"
ON_SCAN_FORM = "002b0913"
# SCAN forms, the real code (NOTES section 5: several sdcerror children, each with its context).
ALREADY_ON_SCAN_FORM = "00450d02"
# Labels (NOTES section 4).
PER_PRINT_LIMIT = "002b0a01"
INVALID_DESTINATION = "00450140"
CLEANSE_HASH_MISMATCH = "00450163"
CANCEL_TOO_OLD = "00450201"
NO_SUCH_TRANSACTION = "00450202"
REFUND_NOT_ALLOWED = "00450205"
MAIL_CLASS_NOT_ALLOWED = "00450208"
INSUFFICIENT_POSTAGE = "80040414"
PRINT_DISABLED = "80048011"


class SandboxFault(Exception):
    """A fault the simulated service answers with (HTTP 500, ``soap:Fault``)."""

    def __init__(
        self,
        code: str,
        message: str | None = None,
        *,
        faultcode: str = "soap:Server",
        schema: bool = False,
        details: tuple[tuple[str, str, str], ...] = (),
    ) -> None:
        #: One error per item refused ((code, context, text) each): CreateManifest's labels.
        self.details = details
        self.code = code
        self.message = message or MESSAGES.get(code, "The request failed.")
        self.faultcode = faultcode
        self.schema = schema
        super().__init__(self.faultstring)

    @classmethod
    def schema_violation(cls, message: str) -> SandboxFault:
        """Refuse input the way the service refuses a request that breaks its schema (00490102)."""
        return cls(
            SCHEMA_VIOLATION,
            f"{MESSAGES[SCHEMA_VIOLATION]} {message}",
            faultcode="soap:Client",
            schema=True,
        )

    @property
    def faultstring(self) -> str:
        if self.schema:
            return self.message
        return f"{self.message} [0x{self.code}]"
