"""Actions on many customers at once: which customers a selection holds, what each action would do to them
(asked before it runs), running it, and the trail.

A selection is the ids ticked on one page of the list, or "all matching": every customer the list's tab,
search, place and filters match, read again from the list's URL arguments when the action runs. An action
changes only the customers it can (deleting keeps customers with orders; turning off email marketing
leaves those who aren't subscribed) and counts the others as skipped. Every changed customer gets its own
trail entry, and the action one "bulk" entry (what, how many, how many skipped, the list's arguments).
The caller holds the write lock (imports.begin_write) and commits: nothing here commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from flask_babel import force_locale, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, Select, String, cast, exists, func, insert, literal, select, update
from werkzeug.datastructures import MultiDict

from ..customers import fields
from ..extensions import db
from ..models import AuditEvent, Customer, CustomerTag, Order, Tag, User, UTCDateTime, utcnow
from . import audit, erasure, tags
from .customers import ListQuery, matching_ids

MAX_IDS = 1000  # ticked ids in one request: more than any page shows; bigger sets are "all matching"
DELETE_BATCH = 200  # customers moved to Recently deleted between two progress reports
UNSUBSCRIBED = "dashboard"  # how a consent withdrawn here is recorded, as the customer form records it

Progress = Callable[[int, int], None]  # (customers done, customers in all)
Said = Callable[[int], str]  # a sentence about n customers, in the page's language


def _unsaid(n: int) -> str:
    """Nothing to say."""
    return ""


@dataclass(frozen=True)
class Action:
    """One bulk action: its key (the trail's and the job's), its URL, the button, the permission its single
    form needs, and what it says before (question, skipped) and after (done, skipped_after). The texts are
    translatable (lazy_gettext) and name `%(tag)s` and `%(customers)s` ("1 customer", "1,234 customers");
    skipped ones are said for a number of customers (ngettext)."""

    key: str
    slug: str
    label: str
    permission: str
    question: str
    done: str
    skipped: Said = _unsaid
    skipped_after: Said = _unsaid
    confirm: str = ""  # the confirmation's button, when it isn't `label`
    explanation: str = ""  # what the confirmation says it does

    @property
    def confirm_label(self) -> str:
        """The button that does it, on the confirmation page."""
        return self.confirm or self.label


ACTIONS = (
    Action("add_tag", "add-tag", _l("Add tag"), "edit", _l("Add tag %(tag)s to %(customers)s?"),
           _l("Added tag %(tag)s to %(customers)s."),
           lambda n: ngettext("%(count)s of them already has it.", "%(count)s of them already have it.", n,
                              count=format(n, ",")),
           lambda n: ngettext("%(count)s already had it.", "%(count)s already had it.", n, count=format(n, ","))),
    Action("remove_tag", "remove-tag", _l("Remove tag"), "edit", _l("Remove tag %(tag)s from %(customers)s?"),
           _l("Removed tag %(tag)s from %(customers)s."),
           lambda n: ngettext("%(count)s of them doesn't have it.", "%(count)s of them don't have it.", n,
                              count=format(n, ",")),
           lambda n: ngettext("%(count)s didn't have it.", "%(count)s didn't have it.", n, count=format(n, ","))),
    Action("export", "export", _l("Export selected"), "export", _l("Export %(customers)s as a CSV file?"),
           _l("Exported %(customers)s."), confirm=_l("Download CSV"),
           explanation=_l("The file has the columns of every customer export; the export is in the audit trail.")),
    Action("unsubscribe", "unsubscribe", _l("Turn off email marketing"), "edit",
           _l("Turn off email marketing for %(customers)s?"), _l("Turned off email marketing for %(customers)s."),
           lambda n: ngettext("%(count)s of them isn't subscribed and is skipped.",
                              "%(count)s of them aren't subscribed and are skipped.", n, count=format(n, ",")),
           lambda n: ngettext("%(count)s wasn't subscribed.", "%(count)s weren't subscribed.", n, count=format(n, ",")),
           explanation=_l("Each one is marked as unsubscribed today (recorded in the dashboard), and the change "
                          "shows in their Changes, as when you untick the box on their form.")),
    Action("delete", "delete", _l("Delete"), "delete", _l("Delete %(customers)s?"),
           _l("Deleted %(customers)s. They are in Recently deleted for 30 days."),
           lambda n: ngettext("%(count)s of them has orders and is kept: customers with orders can't be deleted.",
                              "%(count)s of them have orders and are kept: customers with orders can't be deleted.",
                              n, count=format(n, ",")),
           lambda n: ngettext("%(count)s with orders was kept: customers with orders can't be deleted.",
                              "%(count)s with orders were kept: customers with orders can't be deleted.",
                              n, count=format(n, ",")),
           explanation=_l("They go to Recently deleted with their address, membership and notes; you can restore "
                          "them from there for 30 days.")),
)
BY_KEY = {action.key: action for action in ACTIONS}
BY_SLUG = {action.slug: action for action in ACTIONS}


def customers(n: int) -> str:
    """ "1 customer", "1,234 customers", as the trail says it (in English)."""
    return f"{n:,} customer{'' if n == 1 else 's'}"


def counted(n: int) -> str:
    """ "1 customer", "1,234 customers", in the page's language."""
    return ngettext("%(count)s customer", "%(count)s customers", n, count=format(n, ","))


def _plural(said: Said, n: int) -> str:
    """What is said about n customers ("" for none)."""
    return said(n) if n else ""


@dataclass(frozen=True)
class Selection:
    """Which customers an action is about: ticked ids, or every customer the list matches (`everything`);
    `list_args` is the list's URL arguments as a query string, kept to go back to the same list."""

    ids: tuple[int, ...] = ()
    list_args: str = ""
    everything: bool = False

    def query(self) -> ListQuery:
        """The list the selection was made on."""
        return ListQuery.from_args(MultiDict(parse_qsl(self.list_args)))

    def list_url_args(self) -> dict:
        """The list's URL arguments again (for url_for), page and all."""
        return self.query().args()

    def statement(self, region: str) -> Select:
        """The ids of the selected customers who are still there (deleted ones and unknown ids drop out)."""
        if self.everything:
            return matching_ids(self.query(), region)
        return select(Customer.id).where(Customer.id.in_(self.ids))

    def describe(self) -> str:
        """How the trail names the selection: "3 ticked on the list", "all matching the list segment=vip&q=anna"."""
        what = "all matching" if self.everything else f"{len(self.ids):,} ticked on"
        cleaned = list_args_of(self.query().args(page=1))  # which list, not which of its pages
        return f"{what} the list" + (f" {cleaned}" if cleaned else "")


def list_args_of(args: dict) -> str:
    """The list's URL arguments as a query string (lists repeated), as the bulk form carries them."""
    return urlencode(args, doseq=True)


def count(ids: Select) -> int:
    """How many customers a set of ids holds."""
    return db.session.scalar(select(func.count()).select_from(ids.subquery()))


def _tag_holders(ids: Select, tag: Tag | None) -> Select:
    """The selected customers who carry the tag."""
    tag_id = tag.id if tag is not None else -1
    return select(CustomerTag.customer_id).where(CustomerTag.tag_id == tag_id, CustomerTag.customer_id.in_(ids))


def skipped_ids(action: Action, ids: Select, tag: Tag | None = None) -> Select | None:
    """The selected customers the action leaves alone (None when it changes every one)."""
    if action.key == "delete":
        return select(Customer.id).where(Customer.id.in_(ids),
                                         exists(select(Order.id).where(Order.customer_id == Customer.id)))
    if action.key == "unsubscribe":
        return select(Customer.id).where(Customer.id.in_(ids), Customer.email_marketing.is_not(True))
    if action.key == "add_tag":
        return _tag_holders(ids, tag)
    if action.key == "remove_tag":
        return select(Customer.id).where(Customer.id.in_(ids), Customer.id.not_in(_tag_holders(ids, tag)))
    return None


@dataclass(frozen=True, kw_only=True)
class _Counted:
    """An action on some customers: how many of them it skips, the tag it adds or takes off."""

    action: Action
    skipped: int
    tag: str = ""

    def _say(self, sentence: str, number: int) -> str:
        """One of the action's sentences, for `number` customers."""
        return sentence % {"tag": self.tag, "customers": counted(number)}


@dataclass(frozen=True, kw_only=True)
class Preview(_Counted):
    """What an action would do, as the confirmation asks it."""

    total: int

    @property
    def question(self) -> str:
        """ "Delete 1,234 customers?" """
        return self._say(self.action.question, self.total)

    @property
    def skipped_note(self) -> str:
        """What is skipped, said before ("" when nothing is)."""
        return _plural(self.action.skipped, self.skipped)

    @property
    def changes(self) -> int:
        """How many customers it would change."""
        return self.total - self.skipped


def preview(action: Action, ids: Select, tag: Tag | None = None, tag_name: str = "") -> Preview:
    """How many customers the selection holds and how many of them the action would skip."""
    total = count(ids)
    skipped = skipped_ids(action, ids, tag)
    return Preview(action=action, total=total, skipped=count(skipped) if skipped is not None and total else 0,
                   tag=tag_name)


@dataclass(frozen=True, kw_only=True)
class Outcome(_Counted):
    """What an action did."""

    changed: int

    @property
    def message(self) -> str:
        """ "Deleted 12 customers. … 3 with orders were kept: …" """
        done = self._say(self.action.done, self.changed)
        return " ".join(part for part in (done, _plural(self.action.skipped_after, self.skipped)) if part)


def display_name():
    """SQL for Customer.display_name: the full name, else the email, else "Customer <id>"."""
    full = func.trim(func.coalesce(Customer.first_name, "") + " " + func.coalesce(Customer.last_name, ""))
    name = func.coalesce(func.nullif(full, ""), func.nullif(Customer.email, ""),
                         literal("Customer ") + cast(Customer.id, String))
    return func.substr(name, 1, AuditEvent.subject.type.length)


def unsubscribe(ids: Select, user: User | None) -> int:
    """Turn off email marketing for the selected customers who are subscribed, as the customer form does: the
    consent withdrawn now, recorded as done in the dashboard, and one trail entry each (old -> new as the
    registry shows it). Set-based, for any number of customers. Returns how many changed."""
    field = fields.BY_KEY["email_marketing"]
    with force_locale("en"):  # the trail keeps the field's English label and values
        label, on, off = str(field.label), str(field.show(True, "")), str(field.show(False, ""))
    consent = getattr(Customer, field.column)
    targets = select(Customer.id).where(Customer.id.in_(ids), consent.is_(True))
    now = utcnow()
    events = select(literal(now, UTCDateTime), literal(user.id if user else None, Integer),
                    literal(audit.actor_name(user)),
                    literal("edit"), Customer.id, display_name(), literal(label), literal(on),
                    literal(off)).where(Customer.id.in_(targets))
    changing = count(targets)  # under the caller's write lock, so the trail and the update see the same rows
    db.session.execute(insert(AuditEvent).from_select(
        ["occurred_at", "user_id", "actor", "action", "customer_id", "subject", "field", "old_value", "new_value"],
        events))
    db.session.execute(update(Customer).where(Customer.id.in_(targets)).values(
        {field.column: False, field.recorded_at: now, field.recorded_method: UNSUBSCRIBED, "updated_at": now}),
        execution_options={"synchronize_session": False})
    return changing


def delete(ids: Select, user: User | None, progress: Progress | None = None) -> int:
    """Move the selected customers without orders to Recently deleted, each as the single delete does
    (services/erasure.py); customers with orders stay. Returns how many were deleted."""
    deletable = list(db.session.scalars(select(Customer.id).where(
        Customer.id.in_(ids), ~exists(select(Order.id).where(Order.customer_id == Customer.id)))
        .order_by(Customer.id)))
    for done, customer_id in enumerate(deletable, 1):
        customer = db.session.get(Customer, customer_id)
        erasure.delete_customer(customer, user)
        # Each customer is flushed as they move, and the session holds clean rows only weakly: memory stays flat.
        if progress is not None and done % DELETE_BATCH == 0:
            progress(done, len(deletable))
    return len(deletable)


def record(user: User | None, outcome: Outcome, selection: Selection) -> None:
    """The action's own trail entry: what, how many changed and skipped, and which list it was chosen on."""
    what = audit.english(outcome.action.label) + (f" {outcome.tag}" if outcome.tag else "")
    audit.record(user, "bulk", None,
                 detail=f"{what}: {customers(outcome.changed)} changed, {outcome.skipped:,} skipped; "
                        f"{selection.describe()}")


def _tagged(action: Action, ids: Select, user: User | None, tag_name: str) -> tuple[int, str]:
    """Add or remove a tag on the selected customers through the tag service; (how many changed, its name)."""
    if action.key == "add_tag":
        tag = tags.get_or_create(tag_name)
        return tags.add_to_many(tag, ids, user), tag.name
    tag = tags.find(tag_name)
    return (tags.remove_from_many(tag, ids, user), tag.name) if tag is not None else (0, tag_name)


def run(action: Action, selection: Selection, user: User | None, region: str, *, tag_name: str = "",
        progress: Progress | None = None) -> Outcome:
    """Do the action to the selection as it is now, with its trail; the caller holds the write lock and commits."""
    ids = selection.statement(region)
    total = count(ids)
    if action.key == "unsubscribe":
        changed = unsubscribe(ids, user)
    elif action.key == "delete":
        changed = delete(ids, user, progress)
    elif action.key in ("add_tag", "remove_tag"):
        changed, tag_name = _tagged(action, ids, user, tag_name)
    else:
        raise ValueError(f"{action.key} is not run as a change")
    outcome = Outcome(action=action, changed=changed, skipped=total - changed, tag=tag_name)
    record(user, outcome, selection)
    return outcome
