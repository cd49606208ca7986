"""``onebalance account``: support tooling over the platform's credential store.

Exit codes (also in ``docs/support.md``):

===  ==========================================================================
 0   done; every account the command looked at is active
 1   the command failed (an SDK or service error not about the account itself)
 2   usage error (bad options)
 3   done, but at least one account needs attention (not active)
 4   configuration problem (no store, no key, no endpoint or integration id)
===  ==========================================================================
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from onebalance.accounts import AccountState, Diagnosis, Remedy, RemedyAction, RemedyInputs, RemedyReport
from onebalance.core import (
    WITH_OLD_NAMES,
    CodewordAnswersRefused,
    ConfigurationError,
    CredentialStoreError,
    OneBalanceError,
    TemporaryPasswordRefused,
)
from onebalance.swsim import BankAccount, CreditCard

from ._bulk import EXIT_INTERRUPTED, Bulk, workers_option
from ._common import (
    EXIT_ATTENTION,
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    SupportGroup,
    _Context,
    _fail,
    common_options,
    error_line,
    merchant_id_argument,
)


@click.group(cls=SupportGroup)
@common_options
@click.pass_context
def account(
    ctx: click.Context,
    store: Path | None,
    store_dsn: str | None,
    store_schema: str | None,
    key_file: Path | None,
    endpoint: str | None,
    integration_id: str | None,
    as_json: bool,
) -> None:
    """Look after merchants' One Balance accounts (exit codes: 0 active, 1 failed, 2 usage,
    3 needs attention, 4 configuration)."""
    ctx.obj = _Context(store, key_file, endpoint, integration_id, as_json, store_dsn, store_schema)


def _targets(ctx: _Context, merchant_id: str | None, all_: bool) -> list[str]:
    if bool(merchant_id) == all_:
        raise click.UsageError("give one MERCHANT_ID or --all")
    if merchant_id:
        return [merchant_id]
    try:
        return ctx.accounts().store.merchant_ids()
    except (CredentialStoreError, ConfigurationError) as exc:
        _fail(EXIT_CONFIG, str(exc))


Result = Diagnosis | RemedyReport | OneBalanceError


def _run_each(
    ctx: _Context,
    ids: list[str],
    action: Callable[[str], Diagnosis | RemedyReport],
    label: str,
    workers: int,
    many: bool,
) -> tuple[list[tuple[str, Result]], list[str]]:
    """Each merchant's result in the order of ``ids`` (``workers`` at a time), and the merchants not
    done because Ctrl-C stopped the run. With ``--json`` and ``--all`` each result is
    printed as a JSON line as soon as it and those before it are done."""
    results: list[tuple[str, Result]] = []

    def work(merchant_id: str) -> Result:
        try:
            return action(merchant_id)
        except (CredentialStoreError, ConfigurationError) as exc:
            raise _StoreUnusable(str(exc)) from exc
        except OneBalanceError as exc:
            return exc

    def emit(merchant_id: str, result: Result) -> None:
        results.append((merchant_id, result))
        if ctx.as_json and many:
            click.echo(json.dumps(_as_json(merchant_id, result)))

    if not ids:
        return results, []
    try:
        with Bulk(ids, work, workers, emit) as bulk:
            # The first merchant runs before the progress bar starts: a store its key cannot decrypt
            # ends the command with its error alone, not after a bar's label.
            if bulk.run(upto=1) and len(ids) > 1:
                if ctx.as_json:
                    bulk.run()
                else:
                    with click.progressbar(length=len(ids), label=label, file=sys.stderr, show_pos=True) as bar:
                        bar.update(1)
                        bulk.run(tick=bar.update)
    except _StoreUnusable as exc:
        _fail(EXIT_CONFIG, str(exc))
    return results, bulk.remaining


class _StoreUnusable(Exception):
    """The credential store or the configuration failed: the whole command stops (exit 4)."""


def _next_step(merchant_id: str) -> Callable[[Remedy], str | None]:
    """The command that runs a remedy the SDK can apply, for ``diagnose`` to name."""

    def step(remedy: Remedy) -> str | None:
        run = f"onebalance account {{}} {merchant_id}"
        if remedy.action is RemedyAction.REAUTHENTICATE:
            return run.format("reconnect") + " --password-stdin (the merchant's current password on standard input)"
        if remedy.action is RemedyAction.RESET_PASSWORD:
            if "codeword answers" in remedy.needs:
                return run.format("reset-password") + " (shows the codeword questions to ask the merchant)"
            return run.format("reset-password") + " --temporary-password TEMP (from the merchant's email)"
        if remedy.action is RemedyAction.CHANGE_PASSWORD:
            return run.format("unsuspend") + " (or --new-password-stdin to choose the password)"
        if remedy.action is RemedyAction.REPLACE_PAYMENT_METHOD:
            return run.format("unsuspend") + " --payment-file card.json (a card or bank account as JSON, mode 0600)"
        if remedy.action is RemedyAction.VERIFY_PHONE:
            return run.format("unsuspend") + " (texts the merchant a code), then the same with --verification-code CODE"
        return None

    return step


def _next_steps(merchant_id: str, diagnosis: Diagnosis) -> list[str]:
    step = _next_step(merchant_id)
    return [s for s in map(step, diagnosis.automated_remedies) if s]


def _diagnosis_of(result: Result) -> Diagnosis | None:
    if isinstance(result, RemedyReport):
        return result.after
    return result if isinstance(result, Diagnosis) else None


def _as_json(merchant_id: str, result: Result) -> dict[str, Any]:
    if isinstance(result, OneBalanceError):
        return {"merchant_id": merchant_id, "error": type(result).__name__, "message": str(result), "code": result.code}
    data = result.model_dump(mode="json", context=WITH_OLD_NAMES)
    data["active"] = result.active
    data["next"] = _next_steps(merchant_id, result.after if isinstance(result, RemedyReport) else result)
    return data


def _finish(
    ctx: _Context,
    run: tuple[list[tuple[str, Result]], list[str]],
    *,
    detailed: bool,
    many: bool,
    connected_idle: str | None = None,
) -> None:
    """Print ``run``'s results and exit with the code they call for; ``connected_idle``: what a remedy that
    ran no step says of an account whose stored password works."""
    results, not_done = run
    if ctx.as_json:
        if not many:  # with --all each merchant's line was printed as it was done
            click.echo(json.dumps(_as_json(*results[0]), indent=2))
    else:
        for merchant_id, result in results:
            if isinstance(result, OneBalanceError):
                click.echo(f"merchant {merchant_id}\n  error:   {error_line(result)}")
                continue
            if isinstance(result, RemedyReport):
                click.echo(f"merchant {merchant_id}: {result.before.state.value} -> {result.after.state.value}")
                for step in result.steps:
                    click.echo(
                        f"  {'ok ' if step.ok else 'ERR'} {step.action.value}: {step.detail} "
                        f"(now {step.state_after.value})"
                    )
                if not result.steps:
                    if result.before.active:
                        click.echo("  already active: nothing to do")
                    elif connected_idle is not None and result.before.account is not None:
                        click.echo(f"  {connected_idle}")
                    else:
                        click.echo("  nothing the SDK can do without more input")
                if detailed or not result.active:
                    click.echo("\n".join(result.after.lines(_next_step(merchant_id))[1:]))
            elif detailed:
                click.echo("\n".join(result.lines(_next_step(merchant_id))))
            else:
                balance = f"${result.account.available_postage:,.2f}" if result.account else "-"
                click.echo(f"{merchant_id:<24} {result.username or '-':<24} {result.state.value:<22} {balance}")
        if many:
            _summary(results)
    if not_done:
        click.echo(
            f"interrupted: {len(results)} of {len(results) + len(not_done)} merchants done, the other "
            f"{len(not_done)} not started (from {not_done[0]}); run again to finish",
            err=True,
        )
        sys.exit(EXIT_INTERRUPTED)
    failed = any(
        isinstance(r, OneBalanceError) or ((d := _diagnosis_of(r)) is not None and d.state is AccountState.UNREACHABLE)
        for _, r in results
    )
    attention = any((d := _diagnosis_of(r)) is not None and not d.active for _, r in results)
    sys.exit(EXIT_FAILED if failed else EXIT_ATTENTION if attention else EXIT_OK)


def _summary(results: list[tuple[str, Result]]) -> None:
    counts: dict[str, int] = {}
    for _, result in results:
        diagnosis = _diagnosis_of(result)
        key = "error" if diagnosis is None else diagnosis.state.value
        counts[key] = counts.get(key, 0) + 1
    click.echo()
    click.echo(f"{'state':<24} {'accounts':>8}")
    for key, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        click.echo(f"{key:<24} {count:>8}")
    click.echo(f"{'total':<24} {len(results):>8}")


_target_args = [
    merchant_id_argument(required=False),
    click.option("--all", "all_", is_flag=True, help="Every merchant in the credential store."),
    workers_option,
]


def _targeted(fn: Callable[..., Any]) -> Callable[..., Any]:
    for decorator in reversed(_target_args):
        fn = decorator(fn)
    return fn


@account.command()
@_targeted
@click.pass_obj
def status(ctx: _Context, merchant_id: str | None, all_: bool, workers: int) -> None:
    """One line per account: state and balance."""
    ids = _targets(ctx, merchant_id, all_)
    _finish(ctx, _run_each(ctx, ids, ctx.accounts().diagnose, "checking", workers, all_), detailed=False, many=all_)


@account.command()
@_targeted
@click.pass_obj
def diagnose(ctx: _Context, merchant_id: str | None, all_: bool, workers: int) -> None:
    """The state, its reason, and the remedies (the SDK's and those that need a person)."""
    ids = _targets(ctx, merchant_id, all_)
    _finish(ctx, _run_each(ctx, ids, ctx.accounts().diagnose, "diagnosing", workers, all_), detailed=True, many=all_)


def _read_secret(flag: bool, what: str) -> str | None:
    if not flag:
        return None
    value = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else click.prompt(what, hide_input=True)
    return value or None


@account.command()
@_targeted
@click.option("--password-stdin", is_flag=True, help="Read the merchant's current password from standard input.")
@click.pass_obj
def reconnect(ctx: _Context, merchant_id: str | None, all_: bool, workers: int, password_stdin: bool) -> None:
    """Log in again (with a new password if the merchant changed it) and store what works."""
    ids = _targets(ctx, merchant_id, all_)
    if password_stdin and all_:
        raise click.UsageError("--password-stdin works for one merchant at a time, not with --all")
    password = _read_secret(password_stdin, "Current password")
    _finish(
        ctx,
        _run_each(
            ctx,
            ids,
            lambda m: ctx.accounts().reconnect(m, password=password, retry_refused=not all_),
            "reconnecting",
            workers,
            all_,
        ),
        detailed=False,
        many=all_,
        connected_idle="already connected (the stored password works): nothing to do",
    )


def _load_payment(path: Path | None) -> CreditCard | BankAccount | None:
    if path is None:
        return None
    try:
        with path.open("rb") as file:
            mode = stat.S_IMODE(os.fstat(file.fileno()).st_mode)
            if mode & 0o077:  # refused before it is read, as a store file or a key file is
                raise click.UsageError(
                    f"the payment file {path} has mode {mode:04o}: it holds a card or bank account number, so it "
                    f"must not be accessible by group or others; set mode 0600 (chmod 600 {path}); nothing was sent"
                )
            data = json.loads(file.read())
    except (OSError, ValueError) as exc:
        raise click.UsageError(f"cannot read the payment file {path}: {type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise click.UsageError("the payment file must hold one JSON object")
    return BankAccount(**data) if "routing_number" in data else CreditCard(**data)


@account.command()
@_targeted
@click.option("--password-stdin", is_flag=True, help="Read the merchant's current password from standard input.")
@click.option(
    "--new-password-stdin",
    is_flag=True,
    help="Read a new password from standard input (otherwise one is generated where a new one is needed).",
)
@click.option(
    "--payment-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="JSON card (number, expiration_month, expiration_year, cvn) or bank account (bank_name, "
    "routing_number, account_number, holder_name) to replace a declined payment method.",
)
@click.option("--codeword-answers", nargs=2, help="The two codeword answers, to start a password reset.")
@click.option("--temporary-password", help="The temporary password the merchant was emailed.")
@click.option("--verification-code", help="The phone verification code the merchant received.")
@click.option("--client-ip", help="The merchant's IPv4 address, sent with a payment method change.")
@click.pass_obj
def unsuspend(
    ctx: _Context,
    merchant_id: str | None,
    all_: bool,
    workers: int,
    password_stdin: bool,
    new_password_stdin: bool,
    payment_file: Path | None,
    codeword_answers: tuple[str, str] | None,
    temporary_password: str | None,
    verification_code: str | None,
    client_ip: str | None,
) -> None:
    """Run every remedy the SDK can apply, checking the account after each."""
    ids = _targets(ctx, merchant_id, all_)
    if all_ and any(
        (
            password_stdin,
            new_password_stdin,
            payment_file,
            codeword_answers,
            temporary_password,
            verification_code,
            client_ip,
        )
    ):
        raise click.UsageError("inputs for one merchant cannot be used with --all")
    try:
        payment = _load_payment(payment_file)
    except OneBalanceError as exc:
        raise click.UsageError(f"payment file: {exc}") from None
    password = _read_secret(password_stdin, "Current password")
    new_password = _read_secret(new_password_stdin, "New password")

    inputs = RemedyInputs(
        password=password,
        new_password=new_password,
        payment_method=payment,
        codeword_answers=codeword_answers,
        temporary_password=temporary_password,
        verification_code=verification_code,
        client_ip=client_ip,
    )

    def run(m: str) -> RemedyReport:
        return ctx.accounts().unsuspend(m, inputs=inputs)

    _finish(ctx, _run_each(ctx, ids, run, "unsuspending", workers, all_), detailed=False, many=all_)


@account.command("reset-password")
@merchant_id_argument()
@click.option("--codeword-answers", nargs=2, help="Answers to the two codeword questions: starts the reset.")
@click.option("--temporary-password", help="The emailed temporary password: finishes the reset.")
@click.option(
    "--new-password-stdin",
    is_flag=True,
    help="Read the new password from standard input (otherwise a strong one is generated and stored).",
)
@click.pass_obj
def reset_password(
    ctx: _Context,
    merchant_id: str,
    codeword_answers: tuple[str, str] | None,
    temporary_password: str | None,
    new_password_stdin: bool,
) -> None:
    """Reset a forgotten password: show the questions, start with the answers, finish with the temporary one."""
    accounts = ctx.accounts()
    try:
        if temporary_password:
            new_password = _read_secret(new_password_stdin, "New password")
            accounts.finish_password_reset(merchant_id, temporary_password, new_password)
            _finish(ctx, ([(merchant_id, accounts.diagnose(merchant_id))], []), detailed=True, many=False)
        elif codeword_answers:
            accounts.start_password_reset(merchant_id, *codeword_answers)
            _message(
                ctx,
                {
                    "merchant_id": merchant_id,
                    "step": "started",
                    "next": "the merchant is emailed a temporary password; run again with --temporary-password",
                },
            )
        else:
            q1, q2 = accounts.password_reset_questions(merchant_id)
            _message(
                ctx,
                {
                    "merchant_id": merchant_id,
                    "questions": [q1, q2],
                    "next": "run again with --codeword-answers ANSWER1 ANSWER2",
                },
            )
    except CodewordAnswersRefused as exc:
        _fail(
            EXIT_FAILED,
            f"{error_line(exc)}\nnext: check the answers with the merchant (`onebalance account "
            f"reset-password {merchant_id}` shows the questions; case does not matter), then run again with "
            "--codeword-answers",
        )
    except TemporaryPasswordRefused as exc:
        _fail(
            EXIT_FAILED,
            f"{error_line(exc)}\nnext: ask the merchant for the temporary password in the latest reset "
            "email, then run again with --temporary-password",
        )
    except OneBalanceError as exc:
        _fail(EXIT_FAILED, error_line(exc))


@account.command()
@merchant_id_argument()
@click.option("--address", required=True, help="The account's street address, as confirmation.")
@click.option("--city", required=True)
@click.option("--state", required=True)
@click.option("--zip", "postal_code", required=True)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def close(ctx: _Context, merchant_id: str, address: str, city: str, state: str, postal_code: str, yes: bool) -> None:
    """Close the account (it cannot be reopened) and forget its credentials."""
    if not yes:
        try:
            confirmed = click.confirm(
                f"Close the One Balance account of merchant {merchant_id}? It cannot be reopened", default=False
            )
        except click.Abort:
            confirmed = False
        if not confirmed:
            _fail(EXIT_USAGE, "not closed (confirm, or pass --yes)")
    try:
        ctx.accounts().close(merchant_id, address=address, city=city, state=state, postal_code=postal_code)
    except OneBalanceError as exc:
        _fail(EXIT_FAILED, error_line(exc))
    _message(ctx, {"merchant_id": merchant_id, "closed": True})


def _message(ctx: _Context, data: dict[str, Any]) -> None:
    if ctx.as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        for key, value in data.items():
            click.echo(f"{key}: {value if not isinstance(value, list) else ' / '.join(map(str, value))}")
