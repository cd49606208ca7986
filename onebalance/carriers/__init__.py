"""The carriers: USPS through the One Balance, UPS and FedEx billed to the merchant's accounts, each in
its own folder, and the router that rates and buys across them (``Shipping``, ``RateShop``)."""
