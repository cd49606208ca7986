"""The dispatcher: request bytes + SOAPAction → response bytes, over the locked state.

There is one dispatcher per SWSIM version (v111, v135), each with its own contract, all over the
same state: a handler sees the version in ``call.version`` and answers in that version's names.

The XML is parsed and written outside the lock; only the handler runs under it. Each operation's
handler is listed, with the authentication it needs, in ``_handlers.HANDLERS``:

* ``Auth.NONE``: no Authenticator in or out (RegisterAccount, the password reset, ...);
* ``Auth.LOGIN``: AuthenticateUser, Credentials only;
* ``Auth.REQUIRED``: an Authenticator or Credentials. The response gets the conversation's
  next token, unless the handler sets ``call.end_conversation`` (CancelAccount). While the
  account's password is expired, only handlers registered with ``allow_expired_password``
  run; the others answer 002b0608.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from onebalance.swsim import (
    MalformedResponse,
    Operation,
    Schema,
    SchemaError,
    SwsimVersion,
    build,
    build_fault,
    read_request,
    swsim_schema,
    swsim_version,
)

from . import _auth
from . import _errors as faults
from ._account_models import Conversation
from ._state import SandboxAccount, SandboxState

#: The largest SOAP request the dispatcher parses (SWSIM requests are a few kilobytes). Every
#: request is parsed by ``_soap._xml.parse``: DTDs, entities, over-deep or malformed XML are
#: answered with a schema-violation fault (HTTP 500, soap:Client) without being expanded.
MAX_REQUEST_BYTES = 8 * 1024 * 1024

#: Called with ("request" | "response", operation name or None, body) for every exchange.
WireObserver = Callable[[str, "str | None", bytes], None]


class Auth(enum.Enum):
    NONE = "none"  # no authentication (registration, password reset, ...)
    LOGIN = "login"  # AuthenticateUser: Credentials only, starts a conversation
    REQUIRED = "required"  # Authenticator or Credentials


@dataclass
class Call:
    state: SandboxState
    op: Operation
    request: dict[str, Any]
    account: SandboxAccount | None = None
    conversation: Conversation | None = None
    #: The endpoint URL the request came in on (the dispatcher's ``actor``; may be empty).
    actor: str = ""
    #: Set by a handler whose response must not carry the next Authenticator (CancelAccount).
    end_conversation: bool = False
    #: The SWSIM version the request came in on (its path): handlers answer in its names.
    version: SwsimVersion = field(default_factory=swsim_version)

    @property
    def user(self) -> SandboxAccount:
        assert self.account is not None
        return self.account


Handler = Callable[[Call], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    """An operation's handler and the authentication it needs (the table is ``_handlers.HANDLERS``)."""

    fn: Handler
    auth: Auth = Auth.REQUIRED
    allow_expired_password: bool = False


#: Run under the lock for the account of every authenticated call, before its handler.
AccountHook = Callable[[SandboxState, SandboxAccount], None]


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: bytes
    content_type: str = "text/xml; charset=utf-8"


class Dispatcher:
    """Answers one SWSIM version (its contract, SOAPActions and names) over the shared state."""

    def __init__(
        self,
        state: SandboxState,
        *,
        handlers: Mapping[str, Route],
        account_hooks: Sequence[AccountHook] = (),
        version: SwsimVersion | str | None = None,
        observers: list[WireObserver] | None = None,
    ) -> None:
        self.state = state
        self.handlers = handlers
        self.account_hooks = account_hooks
        self.version = swsim_version(version)
        self.observers = observers if observers is not None else []
        self.actor = ""

    @property
    def schema(self) -> Schema:
        """The version's contract, compiled on first use (a sandbox that is never asked v111 never compiles it)."""
        return swsim_schema(self.version)

    def handle(self, body: bytes, soap_action: str | None) -> Reply:
        op_name: str | None = None
        if not isinstance(body, bytes) or len(body) > MAX_REQUEST_BYTES:
            # Refused before parsing: the HTTP server caps bodies too, this covers in-process callers.
            reply = self._schema_fault(f"{faults.MESSAGES[faults.SCHEMA_VIOLATION]} The request is too large.")
            self._observe("response", None, reply.body)
            return reply
        try:
            op, request = read_request(self.schema, body, soap_action)
            op_name = op.name
            self._observe("request", op_name, body)
        except LookupError:
            reply = self._fault(
                faults.SandboxFault(
                    "",
                    f"Server did not recognize the value of HTTP Header SOAPAction: {soap_action or ''}.",
                    faultcode="soap:Client",
                ),
                token=None,
                plain=True,
            )
            self._observe("response", None, reply.body)
            return reply
        except (SchemaError, MalformedResponse) as exc:
            reply = self._schema_fault(f"{faults.MESSAGES[faults.SCHEMA_VIOLATION]} {exc}")
            self._observe("response", op_name, reply.body)
            return reply
        reply = self._run(op, request)
        self._observe("response", op_name, reply.body)
        return reply

    def _run(self, op: Operation, request: dict[str, Any]) -> Reply:
        registered = self.handlers.get(op.name)
        if registered is None:  # pragma: no cover - every WSDL operation has a handler
            return self._fault(
                faults.SandboxFault("", f"{op.name} is not simulated", faultcode="soap:Server"), token=None, plain=True
            )
        call = Call(self.state, op, request, actor=self.actor, version=self.version)
        token: str | None = None
        with self.state.lock:
            try:
                try:
                    self._authenticate(call, registered.auth)
                    if call.account is not None:
                        for hook in self.account_hooks:
                            hook(self.state, call.account)
                    if (
                        call.account is not None
                        and call.account.password_expired
                        and registered.auth is Auth.REQUIRED
                        and not registered.allow_expired_password
                    ):
                        raise faults.SandboxFault(faults.PASSWORD_EXPIRED)
                    result = registered.fn(call)
                except faults.SandboxFault as fault:
                    # The service validates the schema before it moves the conversation on.
                    if call.conversation is not None and call.account is not None and not fault.schema:
                        token = _auth.advance(self.state, call.account, call.conversation)
                        self.state.touch(call.account)
                    raise
                if call.conversation is not None and call.account is not None:
                    if not call.end_conversation:
                        result = {"Authenticator": _auth.advance(self.state, call.account, call.conversation), **result}
                    self.state.touch(call.account)
            except faults.SandboxFault as fault:
                self.state.flush()
                return self._fault(fault, token=token)
            self.state.flush()
        return Reply(200, build(self.schema, op, result, response=True))

    def _authenticate(self, call: Call, auth: Auth) -> None:
        state = self.state
        if auth is Auth.NONE:
            return
        request = call.request
        if auth is Auth.LOGIN:
            call.account = _auth.check_credentials(state, request["Credentials"])
            call.conversation = _auth.start_conversation(state, call.account, via_login=True)
            return
        if request.get("Authenticator") is not None:
            call.account, call.conversation = _auth.check_token(state, request["Authenticator"])
        elif request.get("Credentials") is None:
            raise faults.SandboxFault(faults.INVALID_AUTHENTICATOR)
        else:
            call.account = _auth.check_credentials(state, request["Credentials"])
            call.conversation = _auth.start_conversation(state, call.account, via_login=False)

    def _fault(self, fault: faults.SandboxFault, *, token: str | None, plain: bool = False) -> Reply:
        if fault.schema:
            return self._schema_fault(fault.message)
        return Reply(
            500,
            build_fault(
                fault.message if plain else fault.faultstring,
                code=None if plain else fault.code,
                faultcode=fault.faultcode,
                actor=self.actor,
                authenticator=token,
                details=() if plain else fault.details,
            ),
        )

    def _schema_fault(self, text: str) -> Reply:
        return Reply(
            500,
            build_fault(
                text, code=faults.SCHEMA_VIOLATION, faultcode="soap:Client", actor=self.actor, schema_violation=True
            ),
        )

    def _observe(self, direction: str, op_name: str | None, body: bytes) -> None:
        for observer in self.observers:
            observer(direction, op_name, body)
