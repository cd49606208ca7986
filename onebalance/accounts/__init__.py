"""Running merchants' One Balance accounts for a platform (``Accounts``) and diagnosing them.

``_accounts`` composes the concerns: ``_registration`` (new accounts), ``_connections`` (an existing
login, the UPS and FedEx accounts), ``_remedies`` (diagnosis and the automated remedies, with
``_status`` for what each state means), over ``_clients`` (each merchant's cached client).
"""

from ._accounts import Accounts, Registration, RemedyInputs, RemedyReport, RemedyStep
from ._status import AccountState, Diagnosis, Finding, Remedy, RemedyAction, Restriction, SupportContact

__all__ = [
    "AccountState",
    "Accounts",
    "Diagnosis",
    "Finding",
    "Registration",
    "Remedy",
    "RemedyAction",
    "RemedyInputs",
    "RemedyReport",
    "RemedyStep",
    "Restriction",
    "SupportContact",
]

# The names other rooms use (they import them from here, not from the modules).
