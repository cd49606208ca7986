"""Deprecated: :mod:`onebalance.carriers.ups.mapping` under its public name, for one release."""

import sys

from onebalance.carriers.ups import mapping

sys.modules[__name__] = mapping  # one module under both names: the same functions, one warning
