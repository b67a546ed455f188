"""``geo-risk users add|role|disable|enable|list|token``: accounts for the web app.

The command line is the server operator's door (someone holding the database
credentials). Every action is written to the audit chain as ``cli:<os user>`` with
role ``operator``. Admin, analyst and privacy officer accounts are added at once only
while no enabled administrator exists (bootstrapping the first one); after that the
command files a request that a second administrator approves in the web app.
"""

from __future__ import annotations

import secrets
import sys

import click

from geo_risk.cli import _context, main

ROLE_CHOICE = click.Choice(["admin", "analyst", "housing", "transport", "school", "privacy_officer"])


def _actor():
    from geo_risk import accounts

    return accounts.Actor.operator(request_id=f"cli-{secrets.token_hex(6)}")


@main.group()
def users() -> None:
    """Manage web app users (argon2id password hashes; no children's data here)."""


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, type=ROLE_CHOICE, help="What the user may see.")
@click.option("--school", "schools", multiple=True, help="School URN a school user sees (repeatable).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input "
                                                      "(for scripts).")
@click.option("--password", "password_arg", default=None, hidden=True,
              help="Deprecated: a password on the command line is seen by other users (ps, shell history).")
def users_add(username: str, role: str, schools: tuple[str, ...], password_stdin: bool,
              password_arg: str | None) -> None:
    """Add a user; the password is prompted for (not echoed), or read with --password-stdin.

    Admin, analyst and privacy officer accounts need a second administrator's approval
    in the web app once an enabled administrator exists.
    """
    from geo_risk import accounts
    from geo_risk.errors import ValidationError
    from geo_risk.store.engine import session_scope

    if password_arg is not None:
        click.secho("warning: --password is deprecated and will be removed: a password on the command line is "
                    "seen by other users of the machine and kept in shell history. Leave it out to be prompted, "
                    "or pipe it in with --password-stdin.", fg="yellow", err=True)
        password = password_arg
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    if not password:
        msg = "no password given"
        raise ValidationError(msg)
    with session_scope(_context.migrated_engine()) as s:
        result = accounts.add_account(s, _actor(), username, role, password, school_urns=schools)
        click.echo(result.message)


@users.command("role")
@click.argument("username")
@click.option("--role", required=True, type=ROLE_CHOICE, help="The new role.")
@click.option("--school", "schools", multiple=True, help="School URN a school user sees (repeatable).")
def users_role(username: str, role: str, schools: tuple[str, ...]) -> None:
    """Change a user's role (to admin, analyst or privacy officer: by request, approved in the web app)."""
    from geo_risk import accounts
    from geo_risk.store.engine import session_scope

    with session_scope(_context.migrated_engine()) as s:
        result = accounts.change_role(s, _actor(), accounts.get_user(s, username), role, school_urns=schools)
        click.echo(result.message)


@users.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Disable a user: their sessions end and their API token stops working."""
    from geo_risk import accounts
    from geo_risk.store.engine import session_scope

    with session_scope(_context.migrated_engine()) as s:
        accounts.disable_account(s, _actor(), accounts.get_user(s, username))
    click.echo(f"disabled {username}")


@users.command("enable")
@click.argument("username")
def users_enable(username: str) -> None:
    """Enable a disabled user."""
    from geo_risk import accounts
    from geo_risk.store.engine import session_scope

    with session_scope(_context.migrated_engine()) as s:
        accounts.enable_account(s, _actor(), accounts.get_user(s, username))
    click.echo(f"enabled {username}")


@users.command("token")
@click.argument("username")
def users_token(username: str) -> None:
    """Issue a new API token for a user (printed once; replaces any old token; audited as the operator's).

    In the web app each user makes their own token on their account page; administrators cannot.
    """
    from geo_risk import accounts
    from geo_risk.store.engine import session_scope

    with session_scope(_context.migrated_engine()) as s:
        token = accounts.operator_token(s, _actor(), accounts.get_user(s, username))
    click.echo(token)


@users.command("reset-two-factor")
@click.argument("username")
def users_reset_two_factor(username: str) -> None:
    """Clear a user's lost authenticator and recovery codes: they enrol again at their next sign-in."""
    from geo_risk import accounts
    from geo_risk.store.engine import session_scope

    with session_scope(_context.migrated_engine()) as s:
        result = accounts.reset_two_factor(s, _actor(), accounts.get_user(s, username))
    click.echo(result.message)


@users.command("list")
def users_list() -> None:
    """List users, roles and status, and requests waiting for a second administrator."""
    from geo_risk import accounts
    from geo_risk.store.engine import session_scope

    with session_scope(_context.migrated_engine()) as s:
        rows = accounts.list_users(s)
        click.echo(f"{'username':<24} {'role':<16} {'status':<9} {'2fa':<4} schools")
        for u in rows:
            click.echo(f"{u.username:<24} {u.role:<16} {'disabled' if u.disabled else 'active':<9} "
                       f"{'yes' if accounts.totp_enrolled(u) else '-':<4} {u.school_urns}")
        pending = accounts.pending_requests(s)
        if pending:
            click.echo(f"{len(pending)} request(s) waiting for a second administrator (approve in the web app):")
            for r in pending:
                click.echo(f"  {r.id}: {r.username} -> {r.role} ({'new account' if r.kind == 'create' else 'role'})")
