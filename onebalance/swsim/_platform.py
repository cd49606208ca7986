"""``Platform``: the One Balance calls an integration makes without a merchant's login.

Registering an account, the codeword questions and the password reset they unlock, and username
recovery need no conversation: they go over one :class:`~onebalance.swsim._exchange.Wire`,
retried as their kind allows. Their wire spellings are ``_access_mapping``'s.
"""

from __future__ import annotations

import requests

from onebalance.core import RetryPolicy, Timeout, UsernameTaken
from onebalance.swsim._soap._versions import ApiVersion

from . import _access_mapping
from ._access_mapping import RegistrationAnswer
from ._exchange import Wire
from ._inputs import RegistrationForm

__all__ = ["Platform", "RegistrationAnswer"]


class Platform:
    """An integration's calls that need no login, on ``endpoint`` in the given SWSIM version."""

    def __init__(
        self,
        endpoint: str,
        *,
        timeout: Timeout | None = None,
        session: requests.Session | None = None,
        retry: RetryPolicy | None = None,
        api_version: ApiVersion | None = None,
    ) -> None:
        self._wire = Wire(endpoint, timeout=timeout, session=session, retry=retry, version=api_version)
        #: The endpoint, with the version's path.
        self.endpoint = self._wire.endpoint
        #: The SWSIM version spoken: ``"v135"`` (the default) or ``"v111"``.
        self.api_version: ApiVersion = self._wire.version.name

    def register(self, integration_id: str, form: RegistrationForm) -> RegistrationAnswer:
        """RegisterAccount for a checked ``form``; :class:`UsernameTaken` (with the service's
        suggestion) when the username is taken."""
        request, secrets = _access_mapping.registration_to_wire(form, integration_id, self.api_version)
        answer = _access_mapping.registration_from_wire(self._wire.call("RegisterAccount", request, secrets=secrets))
        if not answer.registered:
            raise UsernameTaken(suggested_username=answer.suggested_username, operation="RegisterAccount")
        return answer

    def codeword_types(self) -> list[tuple[str, str]]:
        """The security questions the service offers: (type, description)."""
        return _access_mapping.codeword_types_from_wire(self._wire.call("EnumCodeWordTypes", {}))

    def codeword_questions(self, integration_id: str, username: str) -> tuple[str, str]:
        """The two questions ``username`` chose."""
        request = _access_mapping.codeword_questions_request(integration_id, username)
        return _access_mapping.codeword_questions_from_wire(self._wire.call("GetCodewordQuestions", request))

    def start_password_reset(self, integration_id: str, username: str, answer1: str, answer2: str) -> None:
        """Answer the codeword questions; the service emails a temporary password."""
        request = _access_mapping.start_password_reset_request(integration_id, username, answer1, answer2)
        self._wire.call("StartPasswordReset", request, secrets=(answer1, answer2))

    def finish_password_reset(
        self, integration_id: str, username: str, temporary_password: str, new_password: str
    ) -> None:
        """Set ``new_password`` with the emailed temporary password."""
        request = _access_mapping.finish_password_reset_request(
            integration_id, username, temporary_password, new_password
        )
        self._wire.call("FinishPasswordReset", request, secrets=(temporary_password, new_password))

    def recover_username(self, email: str) -> None:
        """The service emails the usernames registered to ``email``."""
        self._wire.call("RecoverUsername", _access_mapping.recover_username_request(email))
