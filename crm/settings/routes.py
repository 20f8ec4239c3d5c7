"""Settings views: the shop's settings, and the API tokens the checkout uses."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..i18n import language_name
from ..models import ApiToken
from ..services import audit, backups, job_runs, segments, tokens
from ..services.money import to_decimal
from ..services.permissions import needs
from ..services.shop import get_settings
from ..web import saved_then_back
from ..worker.jobs import JOBS
from .forms import SettingsForm, TokenForm

bp = Blueprint("settings", __name__, url_prefix="/settings")
SAVED = ("shop_name", "currency", "country", "timezone", "language", "lapsed_days", "b2b_enabled", "membership_enabled",
         "membership_prefix")


def _settings_form(formdata=None) -> SettingsForm:
    """The settings form filled from the shop's settings, under what was posted.

    A field missing from a post keeps its stored value; the VIP threshold's is the amount as typed ("1000.00"),
    never the stored minor units, which the form would read as text.
    """
    settings = get_settings()
    stored = {name: getattr(settings, name) for name in SAVED}
    stored["vip_threshold"] = f"{to_decimal(settings.vip_threshold, settings.currency):f}"
    return SettingsForm(formdata=formdata, data=stored)


def _page(form: SettingsForm, token_form: TokenForm, status: int = 200, new_token: str | None = None,
          new_token_name: str | None = None):
    """The settings page with both forms and the token list (and a new token, the one time it is shown)."""
    html = render_template("settings/index.html", form=form, token_form=token_form, api_tokens=tokens.all_tokens(),
                           new_token=new_token, new_token_name=new_token_name, **_backups(),
                           **_jobs())
    # A page showing a new token must not be kept by any cache or in the browser's history snapshots.
    headers = {"Cache-Control": "no-store"} if new_token else {}
    return html, status, headers


def _backups() -> dict:
    """What the Backups section shows: the newest backup in the folder (or None), the folder, how many are kept."""
    folder = backups.folder()
    try:
        keep = backups.keep()
    except backups.BackupError:
        keep = None  # a bad CRM_BACKUP_KEEP is the backup command's to report
    return {"last_backup": backups.newest(folder), "backup_folder": folder, "backup_keep": keep}


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def _shown(settings, name: str) -> str:
    """A setting as the trail shows it: yes or no for a switch, the amount for the threshold, else as stored."""
    if name == "vip_threshold":
        return f"{to_decimal(settings.vip_threshold, settings.currency):f}"
    value = getattr(settings, name)
    if name == "language":
        return language_name(value)
    return _yes_no(value) if isinstance(value, bool) else str(value)


def _record_changes(settings, form: SettingsForm) -> None:
    """Each setting the form changes, in the trail under the person saving: field, old → new."""
    for name in (*SAVED, "vip_threshold"):
        new = form.vip_threshold.minor if name == "vip_threshold" else getattr(form, name).data
        if new == getattr(settings, name):
            continue
        old = _shown(settings, name)
        shown = f"{to_decimal(new, form.currency.data):f}" if name == "vip_threshold" else (
            language_name(new) if name == "language" else _yes_no(new) if isinstance(new, bool) else str(new))
        with force_locale("en"):  # the trail keeps the field's English name; its page translates it
            field = str(getattr(form, name).label.text)
        audit.record(current_user, "settings", None, field=field, old=old, new=shown)


def _jobs() -> dict:
    """What the Background jobs section shows: the worker's heartbeat, each scheduled job's last run."""
    runs = job_runs.last_runs()
    return {"worker": job_runs.worker_status(),
            "scheduled_jobs": [(job, runs.get(job.name), job.enabled(current_app.config)) for job in JOBS]}


@bp.route("", methods=["GET", "POST"])
@needs("settings")
def index():
    """Show and save the shop's settings; a new VIP threshold moves customers between segments at once."""
    settings = get_settings()
    form = _settings_form(request.form if request.method == "POST" else None)
    if form.validate_on_submit():
        old_threshold = settings.vip_threshold
        _record_changes(settings, form)
        for name in SAVED:
            setattr(settings, name, getattr(form, name).data)
        settings.vip_threshold = form.vip_threshold.minor
        moved = 0
        if settings.vip_threshold != old_threshold:
            moved = segments.reassign_all(settings)
        db.session.commit()
        flash(_("Settings saved. %(num)s customers changed segment.", num=format(moved, ",")) if moved
              else _("Settings saved."), "success")
        return redirect(url_for("settings.index"))
    return _page(form, TokenForm(formdata=None, prefix="token"), 422 if request.method == "POST" else 200)


@bp.post("/team/two-step")
@needs("team")
def require_two_step():
    """Require two-step verification of every member, or stop requiring it (on the Team page)."""
    wanted = request.form.get("require_two_step") == "y"
    settings = get_settings()
    if wanted and not current_user.two_step_on:
        flash(_("Turn on two-step verification for your own account first."), "error")
        return redirect(url_for("team.index") + "#require-two-step")
    if wanted != settings.require_two_step:
        audit.record(current_user, "settings", None, field="Require two-step verification",
                     old=_yes_no(settings.require_two_step), new=_yes_no(wanted))
        settings.require_two_step = wanted
        db.session.commit()
    flash(_("Two-step verification is required of everyone.") if wanted
          else _("Two-step verification is optional."), "success")
    return redirect(url_for("team.index"))


@bp.post("/tokens")
@needs("tokens")
def create_token():
    """Create an API token and show it this once (rendered, never put in the session, a flash or a URL)."""
    token_form = TokenForm(prefix="token")
    if not token_form.validate_on_submit():
        return _page(_settings_form(), token_form, 422)
    token, raw = tokens.create_token(token_form.name.data, current_user)
    db.session.commit()
    return _page(_settings_form(), TokenForm(formdata=None, prefix="token"), new_token=raw, new_token_name=token.name)


@bp.post("/tokens/<int:token_id>/revoke")
@needs("tokens")
def revoke_token(token_id: int):
    """Revoke a token: the checkout using it gets 401 from now on."""
    token = db.get_or_404(ApiToken, token_id)
    return saved_then_back(tokens.revoke(token, current_user),
                           _('API token "%(name)s" revoked. Requests with it are refused from now on.',
                             name=token.name),
                           url_for("settings.index"))
