"""Funding the USPS postage balance: quotes, fees, purchases, receipts, auto-refill, notices and the
settling of refills cut off mid-way (``Postage``)."""
