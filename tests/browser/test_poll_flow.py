"""A researcher's poll, end to end in a real browser: build it, open it, three respondents answer on the
public page (one with the keyboard only), and the researcher reads the right percentages."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tenants.models import OrgKind
from tenants.roles import Role
from tests.conftest import PASSWORD

SCREENSHOTS = Path(tempfile.gettempdir()) / "peerbench-browser"


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/o/[^/]+/"))


def build_and_open_poll(page: Page, org_name: str) -> str:
    page.get_by_role("navigation", name=org_name).get_by_role("link", name="Polls").click()
    page.get_by_label("Title").fill("Webinar: who uses your IT?")
    page.get_by_role("button", name="Create draft").click()
    page.get_by_label("Standard question", exact=True).select_option("user_view")
    page.get_by_role("button", name="Add question").first.click()
    page.get_by_label("Question", exact=True).fill("Which channels do you offer?")
    page.get_by_label("Type").select_option("multiple")
    expect(
        page.get_by_label("Scale runs from 1 to")
    ).to_be_hidden()  # poll_builder.js hides what does not apply
    page.get_by_label("Options, one per line").fill("Chat\nPortal\nPhone")
    page.get_by_role("button", name="Add question").nth(1).click()
    expect(page.get_by_test_id("builder-question")).to_have_count(2)
    page.get_by_role("button", name="Open the poll").click()
    expect(page.get_by_test_id("poll-status")).to_have_text("open")
    return page.get_by_test_id("public-link").inner_text()


def answer_with_mouse(browser: Browser, link: str, user_view: str, channels: list[str]) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    page.goto(link)
    page.get_by_label(user_view).check()
    for channel in channels:
        page.get_by_label(channel).check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_test_id("poll-thanks")).to_be_visible()
    context.close()


def tab_to(page: Page, selector: str, limit: int = 15) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def answer_with_keyboard(browser: Browser, link: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(link)
    tab_to(page, "button[type=submit]", limit=30)
    page.keyboard.press("Enter")  # send the empty form: the errors are announced and linked
    expect(page.get_by_role("alert")).to_contain_text("Please choose an answer")
    tab_to(page, "input[type=radio]")
    page.keyboard.press("ArrowDown")  # the first option is focused; arrows move the choice within the group
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")  # "Internal customers"
    page.screenshot(path=SCREENSHOTS / "poll-public-form.png", full_page=True)
    tab_to(page, "input[type=checkbox]")
    page.keyboard.press("Space")  # "Chat"
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("poll-thanks")).to_be_visible()
    page.goto(link)
    expect(page.get_by_test_id("poll-answered")).to_be_visible()  # one response per browser
    context.close()


@pytest.mark.browser
def test_researcher_builds_a_poll_and_reads_the_answers(
    page: Page, browser: Browser, live_server: str, make_org, make_member, console_errors: list[str]
):
    SCREENSHOTS.mkdir(exist_ok=True)
    lab = make_org("Helpdesk Futures Lab", kind=OrgKind.RESEARCH)
    researcher = make_member(lab, Role.ANALYST)
    sign_in(page, researcher.email)
    link = build_and_open_poll(page, lab.name)
    assert re.fullmatch(rf"{re.escape(live_server)}/p/[A-Za-z0-9_-]{{43}}", link)

    answer_with_mouse(browser, link, "Business users", ["Chat", "Portal"])
    answer_with_mouse(browser, link, "Business users", ["Portal"])
    answer_with_keyboard(browser, link)

    page.get_by_role("link", name="Results").click()
    expect(page.get_by_test_id("response-count")).to_have_text("3")
    user_view, channels = page.get_by_test_id("question-result").all()
    shares = dict(
        zip(
            user_view.locator("tbody th").all_inner_texts(),
            user_view.get_by_test_id("answer-pct").all_inner_texts(),
            strict=True,
        )
    )
    assert shares == {
        "End users": "0.0%",
        "Internal customers": "33.3%",
        "Business users": "66.7%",
        "Other": "0.0%",
    }
    shares = dict(
        zip(
            channels.locator("tbody th").all_inner_texts(),
            channels.get_by_test_id("answer-pct").all_inner_texts(),
            strict=True,
        )
    )
    assert shares == {"Chat": "66.7%", "Portal": "66.7%", "Phone": "0.0%"}
    expect(user_view.locator("svg")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "poll-results.png", full_page=True)
    assert console_errors == []
