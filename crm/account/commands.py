"""`flask --app crm users ...`: dashboard accounts from the server's command line, for a shop without mail or
an owner locked out."""

import click
from flask import current_app, url_for
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import ROLES, User
from ..services import accounts, passwords, permissions, resets, team
from ..services.emails import InvalidEmail, normalize_email
from ..services.shop import get_settings
from ..settings.commands import printable

users = AppGroup("users", help="Dashboard accounts: list, create, reset-password, deactivate.")


def _account(email: str) -> User:
    user = accounts.find_user(email)
    if user is None:
        raise click.UsageError(f'No account has the email "{printable(email)}".')
    return user


@users.command("list")
def list_users() -> None:
    """Show every account: email, name, role, two-step, and whether it is deactivated."""
    for user in db.session.scalars(db.select(User).order_by(User.id)):
        state = f"deactivated {user.deactivated_at:%Y-%m-%d}" if user.deactivated_at else "active"
        click.echo(f"{user.id}\t{user.email}\t{printable(user.name) or '-'}\t{user.role}"
                   f"\ttwo-step {'on' if user.two_step_on else 'off'}\t{state}")


@users.command("create")
@click.argument("email")
@click.option("--name", default="", help="How the person is named in the dashboard.")
@click.option("--role", type=click.Choice(ROLES), default="staff", show_default=True)
@click.password_option(help="Asked for when not given (at least 12 characters, not a common password).")
def create_user(email: str, name: str, role: str, password: str) -> None:
    """Create an account for EMAIL."""
    try:
        email = normalize_email(email)
    except InvalidEmail as exc:
        raise click.UsageError(f"Enter a valid email address ({exc}).") from exc
    if accounts.find_user(email) is not None:
        raise click.UsageError("An account has this email already.")
    problem = passwords.account_password_problem(password)
    if problem:
        raise click.UsageError(f"{problem}.")
    name = " ".join(name.split())[:100]
    if not accounts.owner_exists():
        # Before first-run setup, /setup is open to whoever reaches it first: the first account made here
        # must be the owner, and making it closes /setup, as the web setup does.
        if role != "owner":
            raise click.UsageError("This shop has no owner yet: create the owner first (--role owner), or "
                                   "finish the first-run setup in the browser at /setup.")
        try:
            accounts.create_owner(get_settings().shop_name, email, password).name = name
            db.session.commit()
        except IntegrityError:  # the web setup made the owner a moment before
            db.session.rollback()
            raise click.UsageError("First-run setup has just been done in the browser: the shop has its owner. "
                                   "Run the command again to add this account.") from None
        click.echo(f"Created the owner account {email}; first-run setup is done.")
        return
    db.session.add(User(email=email, name=name, role=role, password_hash=accounts.hash_password(password),
                        permissions=permissions.stored(permissions.PRESETS[role])))
    db.session.commit()
    click.echo(f"Created the {role} account {email}.")


@users.command("reset-password")
@click.argument("email")
@click.option("--base-url", default=None, help="The dashboard's address (default: the BASE_URL setting).")
def reset_password(email: str, base_url: str | None) -> None:
    """Print a one-time link (valid an hour) that sets a new password for EMAIL."""
    user = _account(email)
    if user.deactivated_at is not None:
        raise click.UsageError("This account is deactivated.")
    base = base_url or current_app.config.get("BASE_URL") or "http://localhost:5000"
    with current_app.test_request_context(base_url=base):
        link = url_for("password.reset", reset_token=resets.make_token(user), _external=True)
    click.echo(link)
    click.echo("The link works once, within an hour, and stops working if the password changes first.", err=True)


@users.command("deactivate")
@click.argument("email")
def deactivate(email: str) -> None:
    """Stop EMAIL signing in and end every session of the account at once."""
    user = _account(email)
    try:
        done = team.deactivate(None, user)
    except team.TeamRefused as refused:
        raise click.UsageError(str(refused)) from None
    db.session.commit()
    click.echo(f"Deactivated {user.email}; every session of the account has ended." if done
               else f"{user.email} was deactivated already.")
