"""What UPS and FedEx share: OAuth client-credentials REST APIs billed to the merchant's own account.

:mod:`._settings` (the OAuth app and the account it bills), :mod:`._request` (a request as a
carrier's mapping describes it, and the functions every REST mapping provides), :mod:`._token`
(the OAuth token and its cache), :mod:`._proxy` (all HTTP: the token, JSON, the retry policy,
logging with redaction, the error hook) and :mod:`._client` (rates, buy, void, track). A carrier
is a folder of its own (``ups``, ``fedex``) holding its settings, its mapping and thin subclasses.
"""

from ._client import RestClient
from ._proxy import RestProxy
from ._request import Request, RestMapping, TrackingMapping
from ._settings import RestSettings
from ._token import Token

__all__ = ["Request", "RestClient", "RestMapping", "RestProxy", "RestSettings", "Token", "TrackingMapping"]
