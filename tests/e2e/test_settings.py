"""Settings in a real browser: saving, a refused value that keeps what was typed, the VIP threshold, the
Backups section and the Background jobs section."""

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from crm.extensions import db
from crm.models import utcnow
from crm.services import job_runs


def test_lowering_the_vip_threshold_moves_a_customer_to_vip(logged_in_page: Page, seed):
    page = logged_in_page
    seed("Olive", "Order", orders_spec=[(40000, "paid")])
    page.goto("/customers")
    segments = page.get_by_role("tablist", name="Segments")
    expect(segments.get_by_role("tab", name="VIP 0", exact=True)).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
    threshold = page.get_by_label("VIP threshold")
    expect(threshold).to_have_value("1000.00")
    threshold.fill("300")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Settings saved. 1 customers changed segment.")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    expect(segments.get_by_role("tab", name="VIP 1", exact=True)).to_be_visible()


def test_bad_threshold_is_explained_and_typed_values_stay(logged_in_page: Page):
    page = logged_in_page
    page.goto("/settings")
    page.get_by_label("Shop name").fill("Batik House")
    page.get_by_label("Currency").select_option("MYR")
    page.get_by_label("VIP threshold").fill("lots")
    page.get_by_role("button", name="Save settings").click()
    threshold = page.get_by_label("VIP threshold")
    expect(threshold).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Enter an amount such as 129.90")).to_be_visible()
    expect(page.get_by_label("Shop name")).to_have_value("Batik House")
    expect(page.get_by_label("Currency")).to_have_value("MYR")
    expect(threshold).to_have_value("lots")
    threshold.fill("2500")
    page.get_by_label("Business to Business").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page).to_have_url(re.compile(r"/settings$"))
    expect(page.get_by_role("status")).to_contain_text("Settings saved.")
    expect(page.get_by_label("Business to Business")).to_be_checked()
    expect(page.locator(".brand-name")).to_have_text("Batik House")


def test_backups_section_shows_the_newest_backup(logged_in_page: Page, live_app):
    page = logged_in_page
    folder = Path(live_app.config["BACKUP_DIR"])
    for old in folder.glob("crm-*"):
        old.unlink()
    page.goto("/settings")
    section = page.get_by_role("region", name="Backups")
    expect(section.get_by_text("No backups yet.")).to_be_visible()
    expect(section.get_by_text("flask --app crm backup", exact=True)).to_be_visible()
    (folder / "crm-20261201T093000Z.sqlite").write_bytes(b"x" * 2_500)
    page.reload()
    expect(section.get_by_text("No backups yet.")).to_have_count(0)
    expect(section.get_by_text("2.5 KB")).to_be_visible()
    expect(section.get_by_text(str(folder / "crm-20261201T093000Z.sqlite"))).to_be_visible()


def test_background_jobs_show_the_worker_and_each_last_run(logged_in_page: Page, live_app):
    page = logged_in_page
    page.goto("/settings")
    section = page.get_by_role("region", name="Background jobs")
    expect(section.get_by_text("Not started yet")).to_be_visible()
    jobs = section.get_by_role("table", name="Scheduled jobs")
    expect(jobs.get_by_role("row").filter(has_text="Nightly backup")).to_contain_text("Off")
    with live_app.app_context():
        job_runs.beat("e2e:1", utcnow())
        job_runs.claim("insights", None)
        job_runs.finish("insights", True, "Counted 11 months.")
        db.session.commit()
    page.reload()
    expect(section.get_by_text(re.compile(r"^Running, last heartbeat "))).to_be_visible()
    expect(jobs.get_by_role("row").filter(has_text="Refresh Insights' months")).to_contain_text(
        "Done: Counted 11 months.")
