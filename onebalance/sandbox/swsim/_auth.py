"""The rolling Authenticator, as SWSIM does it.

* AuthenticateUser starts a conversation and supersedes every earlier one of that user
  (a second instance of an integration logged in): their tokens answer 002b0203.
* Each authenticated call must send the conversation's newest token and gets the next one back;
  a token from earlier in the chain answers 002b0204 (a response was lost).
* A conversation lives 24 hours on the sandbox clock; after that, 002b0202.
* Anything else is 002b0201.
* Any call may send Credentials instead; that starts a side conversation which does not
  supersede the others. Of the ``CONVERSATIONS_KEPT`` remembered per account, these side
  conversations are forgotten first, so Credentials calls never end a login conversation.

Logins (AuthenticateUser, or Credentials on any call):

* a wrong password of a known account counts a failed login; the 5th in a row answers
  002b0601 like the others but locks the account, and every later login answers 002b0607,
  even with the right password, until the account is unlocked (``Sandbox.unlock`` or a
  finished password reset). A successful login resets the count. Wrong passwords on a locked
  account answer 002b0607 and are not counted; on a closed one, 002b0601;
* the temporary password of a reset in progress answers 002b0605 (the old password keeps
  working until FinishPasswordReset);
* a closed account answers 00550108, a locked one 002b0607 (also for its live tokens).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from . import _errors as faults
from ._account_models import LOCKOUT_AFTER, Conversation
from ._state import SandboxAccount

if TYPE_CHECKING:
    from ._state import SandboxState

TOKEN_LIFETIME = timedelta(hours=24)
#: Tokens remembered per conversation so that a reused one is told apart from garbage.
TOKENS_KEPT = 16
#: Conversations kept per account; older ones are forgotten (their tokens then answer 002b0201).
CONVERSATIONS_KEPT = 8


def new_token() -> str:
    return secrets.token_urlsafe(24)


def check_credentials(state: SandboxState, credentials: dict[str, str]) -> SandboxAccount:
    """The account behind ``credentials``, or the fault the service would answer."""
    if credentials["IntegrationID"].lower() not in state.integrations:
        raise faults.SandboxFault(faults.INVALID_INTEGRATION_ID)
    account = state.accounts.get(credentials["Username"].lower())
    if account is None or account.integration_id.lower() != credentials["IntegrationID"].lower():
        raise faults.SandboxFault(faults.AUTHENTICATION_FAILED)
    password = credentials["Password"]
    if not _same(account.password, password):
        if account.closed:
            raise faults.SandboxFault(faults.AUTHENTICATION_FAILED)
        if account.reset is not None and _same(account.reset.temp_password, password):
            raise faults.SandboxFault(faults.IN_PASSWORD_RESET)
        if account.locked:
            raise faults.SandboxFault(faults.ACCOUNT_LOCKED)
        account.failed_logins += 1
        if account.failed_logins >= LOCKOUT_AFTER:
            account.locked = True
        state.touch(account)
        raise faults.SandboxFault(faults.AUTHENTICATION_FAILED)
    check_login_allowed(account)
    if account.failed_logins:
        account.failed_logins = 0
        state.touch(account)
    return account


def _same(expected: str, given: str) -> bool:
    return secrets.compare_digest(expected.encode(), given.encode())


def check_login_allowed(account: SandboxAccount) -> None:
    if account.closed:
        raise faults.SandboxFault(faults.ACCOUNT_CLOSED)
    if account.locked:
        raise faults.SandboxFault(faults.ACCOUNT_LOCKED)


def start_conversation(state: SandboxState, account: SandboxAccount, *, via_login: bool) -> Conversation:
    if via_login:
        for old in account.conversations:
            old.superseded = True
    conversation = Conversation(id=secrets.token_hex(8), started_at=state.clock.now(), via_login=via_login)
    account.conversations.append(conversation)
    while len(account.conversations) > CONVERSATIONS_KEPT:
        # Side conversations (Credentials calls) are forgotten first: a stream of them beside a
        # login conversation must not end it, nor turn a superseded one's 002b0203 into 002b0201.
        gone = next((c for c in account.conversations if not c.via_login), account.conversations[0])
        account.conversations.remove(gone)
        for token in gone.tokens:
            state.tokens.pop(token, None)
    return conversation


def advance(state: SandboxState, account: SandboxAccount, conversation: Conversation) -> str:
    """Issue the conversation's next token; it alone is valid for the next call."""
    token = new_token()
    conversation.seq += 1
    conversation.tokens.append(token)
    state.tokens[token] = (account.key, conversation.id, conversation.seq)
    if len(conversation.tokens) > TOKENS_KEPT:
        state.tokens.pop(conversation.tokens.pop(0), None)
    return token


def check_token(state: SandboxState, token: str) -> tuple[SandboxAccount, Conversation]:
    """The account and conversation ``token`` continues, or the conversation fault."""
    entry = state.tokens.get(token)
    if entry is None:
        raise faults.SandboxFault(faults.INVALID_AUTHENTICATOR)
    key, conversation_id, seq = entry
    account = state.accounts[key]
    conversation = next((c for c in account.conversations if c.id == conversation_id), None)
    if conversation is None or conversation.superseded:
        raise faults.SandboxFault(faults.CONVERSATION_SUPERSEDED)
    if state.clock.now() - conversation.started_at > TOKEN_LIFETIME:
        raise faults.SandboxFault(faults.EXPIRED_AUTHENTICATOR)
    if seq != conversation.seq:
        raise faults.SandboxFault(faults.CONVERSATION_OUT_OF_SYNC)
    check_login_allowed(account)
    return account, conversation


def reindex(state: SandboxState) -> None:
    """Rebuild the token index from the accounts (after loading saved state)."""
    state.tokens.clear()
    for account in state.accounts.values():
        for conversation in account.conversations:
            first = conversation.seq - len(conversation.tokens) + 1
            for i, token in enumerate(conversation.tokens):
                state.tokens[token] = (account.key, conversation.id, first + i)
