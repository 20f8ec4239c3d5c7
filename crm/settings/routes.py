"""Settings view."""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..extensions import db
from ..services import segments
from ..services.money import to_decimal
from ..services.shop import get_settings
from .forms import SettingsForm

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.route("", methods=["GET", "POST"])
def index():
    """Show and save the shop's settings; a new VIP threshold moves customers between segments at once."""
    settings = get_settings()
    form = SettingsForm(obj=settings)
    if request.method == "GET":
        form.vip_threshold.data = f"{to_decimal(settings.vip_threshold, settings.currency):f}"
    if form.validate_on_submit():
        old_threshold = settings.vip_threshold
        for name in ("shop_name", "currency", "country", "timezone", "b2b_enabled", "membership_enabled",
                     "membership_prefix"):
            setattr(settings, name, getattr(form, name).data)
        settings.vip_threshold = form.vip_threshold.minor
        moved = 0
        if settings.vip_threshold != old_threshold:
            moved = segments.reassign_all(settings.vip_threshold)
        db.session.commit()
        flash("Settings saved." + (f" {moved:,} customers changed segment." if moved else ""), "success")
        return redirect(url_for("settings.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("settings/index.html", form=form), status
