"""USPS labels paid from the One Balance (``UspsShipping``): the SWSIM shipping mapping, the plan's
restrictions, voids."""
