"""Settings › Tags: the list of tags with their customers' counts, and each tag's page to rename, recolour,
merge into another tag, or delete it (after a confirmation that says how many customers lose it)."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..customers.checks import Invalid
from ..extensions import db
from ..models import Tag
from ..services import tags
from ..services.permissions import needs
from ..web import saved_then_back
from .forms import DeleteForm, MergeForm, TagForm

bp = Blueprint("tags", __name__, url_prefix="/settings/tags")


def _tag(tag_id: int) -> Tag:
    """The tag the URL names, or 404."""
    return db.session.get(Tag, tag_id) or abort(404)


def _customers(count: int) -> str:
    """How many customers, in the page's language ("1 customer", "1,234 customers")."""
    # (flask_babel's ngettext takes the count as `num` itself: the separated number goes in as `count`)
    return ngettext("%(count)s customer", "%(count)s customers", count, count=format(count, ","))


@bp.get("")
@needs("settings")
def index():
    """Every tag with how many customers carry it (the kept count)."""
    return render_template("tags/index.html", tags=tags.listing(), palette=tags.PALETTE)


def _edit_page(tag: Tag, form: TagForm | None = None, merge_form: MergeForm | None = None, status: int = 200):
    """A tag's page: its name and colour, merging, deleting."""
    form = form or TagForm(formdata=None, name=tag.name, colour=tag.colour or "")
    merge_form = merge_form or MergeForm(formdata=None)
    html = render_template("tags/edit.html", tag=tag, form=form, merge_form=merge_form.offer(tag),
                           palette=tags.PALETTE)
    return html, status


@bp.get("/<int:tag_id>")
@needs("settings")
def edit(tag_id: int):
    """A tag's page."""
    return _edit_page(_tag(tag_id))


@bp.post("/<int:tag_id>")
@needs("settings")
def save(tag_id: int):
    """Save a tag's name and colour; each change goes into the trail, a new name on each of its customers."""
    tag = _tag(tag_id)
    form = TagForm(data={"name": tag.name, "colour": tag.colour or ""})  # a field left out of the post keeps its value
    if not form.validate_on_submit():
        if form.colour.errors:
            form.colour.errors = [_("Choose one of the colours offered")]
        return _edit_page(tag, form, status=422)
    try:
        renamed = tags.rename(tag, form.name.data, current_user)
    except Invalid as exc:
        form.name.errors = [exc.shown]
        return _edit_page(tag, form, status=422)
    recoloured = tags.recolour(tag, form.colour.data or None, current_user)
    return saved_then_back(renamed or recoloured, _("Tag “%(name)s” saved.", name=tag.name), url_for("tags.index"))


@bp.post("/<int:tag_id>/merge")
@needs("settings")
def merge(tag_id: int):
    """Merge the tag into another: its customers carry the other one instead, and the tag goes."""
    tag = _tag(tag_id)
    form = MergeForm().offer(tag)
    if not form.validate_on_submit():
        form.into.errors = [_("Choose the tag to merge into") if form.into.choices
                            else _("There is no other tag to merge into")]
        return _edit_page(tag, merge_form=form, status=422)
    target = _tag(form.into.data)
    name = tag.name
    try:
        moved = tags.merge(tag, target, current_user)
    except Invalid as exc:
        form.into.errors = [exc.shown]
        return _edit_page(tag, merge_form=form, status=422)
    db.session.commit()
    flash(_("Tag “%(name)s” merged into “%(target)s”: %(moved)s had it; %(now)s have “%(target)s” now.",
            name=name, target=target.name, moved=_customers(moved), now=_customers(target.customers)), "success")
    return redirect(url_for("tags.index"))


@bp.get("/<int:tag_id>/delete")
@needs("settings")
def confirm_delete(tag_id: int):
    """Ask before deleting: how many customers lose the tag."""
    return render_template("tags/delete.html", tag=_tag(tag_id), form=DeleteForm(formdata=None))


@bp.post("/<int:tag_id>/delete")
@needs("settings")
def delete(tag_id: int):
    """Delete the tag: every customer who has it loses it."""
    tag = _tag(tag_id)
    if not DeleteForm().validate_on_submit():
        abort(400)
    name = tag.name
    lost = tags.delete_tag(tag, current_user)
    db.session.commit()
    flash(_("Tag “%(name)s” deleted. %(lost)s lost it.", name=name, lost=_customers(lost)), "success")
    return redirect(url_for("tags.index"))
