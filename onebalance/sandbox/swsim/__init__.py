"""The simulated One Balance (SWSIM) service; its public face is :mod:`onebalance.sandbox`."""
