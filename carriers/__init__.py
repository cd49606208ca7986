"""Carrier-neutral shipping models (address, parcel, rate, label, tracking, payment).

Each carrier's wire format lives in its own mapping layer; nothing here knows any one carrier.
The models arrive with the carriers work (USPS through One Balance, UPS and FedEx).
"""

__all__: list[str] = []
