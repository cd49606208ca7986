"""Raw SWSIM exchanges with a sandbox, below the client, for tests of the service's own rules."""

from __future__ import annotations

from typing import Any

from onebalance.sandbox import Sandbox, SandboxCredentials

from ._soap import SoapFault, build, read_response, swsim_schema


def call(sandbox: Sandbox, operation: str, payload: dict[str, Any], *, version: str | None = None) -> dict[str, Any]:
    """Send one request straight to ``version``'s dispatcher (default v135); a fault is raised as ``SoapFault``."""
    schema = swsim_schema(version)
    op = schema.operations[operation]
    reply = sandbox.handle(build(schema, op, payload, response=False), f'"{op.soap_action}"', api_version=version)
    result = read_response(op, reply.body)
    assert reply.status == 200
    return result


def credentials(creds: SandboxCredentials, password: str | None = None) -> dict[str, str]:
    return {
        "IntegrationID": creds.integration_id,
        "Username": creds.username,
        "Password": creds.password if password is None else password,
    }


def login(sandbox: Sandbox, creds: SandboxCredentials) -> str:
    token: str = call(sandbox, "AuthenticateUser", {"Credentials": credentials(creds)})["Authenticator"]
    return token


def fault_code(sandbox: Sandbox, operation: str, payload: dict[str, Any], *, version: str | None = None) -> str | None:
    try:
        call(sandbox, operation, payload, version=version)
    except SoapFault as fault:
        return fault.code
    raise AssertionError(f"{operation} succeeded; a fault was expected")
