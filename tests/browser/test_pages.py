#!/usr/bin/env python3
"""Drives the web pages of a running `recsys serve` in headless Chromium and
asserts what a user sees. Run by scripts/browser-test.sh, which builds a store
from the bundled data and starts the service; usage: test_pages.py URL.

Needs Playwright for Python (`pip install playwright`) and a Chromium
(Debian's `chromium`; CHROMIUM=/path overrides). Every wait has a timeout.
"""
import os
import re
import shutil
import sys

from playwright.sync_api import expect, sync_playwright

BASE = sys.argv[1].rstrip("/")
TIMEOUT_MS = 10_000
failures = []


def check(name, fn, page):
    try:
        fn(page)
        print(f"ok   {name}")
    except Exception as e:  # report every page, then fail
        failures.append(name)
        print(f"FAIL {name}: {e}")


def home(page):
    page.goto(f"{BASE}/")
    rows = page.locator(".genre-row")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 5, f"{rows.count()} genre rows"
    expect(rows.first.locator("h2")).to_contain_text("Drama")
    assert rows.first.locator(".card").count() >= 10
    page.fill("#q", "toy sto")
    expect(page.locator("#search-table")).to_contain_text("Toy Story (1995)")
    expect(page.locator("#count")).to_contain_text("match")
    page.fill("#q", "zzqqxx")
    expect(page.locator("#search-results")).to_contain_text("No title contains")
    page.fill("#q", "toy story")
    page.locator("#search-table a", has_text="Toy Story (1995)").click()
    # the item page then records its table in the URL (linkable as shown): either form is the same page
    expect(page).to_have_url(re.compile(r"/item\?id=1(&table=[^&]+)?$"))


def item(page):
    page.goto(f"{BASE}/item?id=1")
    expect(page.locator("#item-title")).to_have_text("Toy Story (1995)")
    expect(page.locator("#item")).to_contain_text("Animation")
    table = page.locator("#similar-table")
    expect(table.locator("tr")).to_have_count(21)  # header + 20
    scores = [float(s) for s in table.locator(".score").all_inner_texts()]
    assert scores == sorted(scores, reverse=True), scores
    assert all(-1.0001 <= s <= 1.0001 for s in scores), scores
    # another table: the ranker's learned item embedding
    options = page.locator("#table option").all_inner_texts()
    learned = [o.split(" ")[0] for o in options if "learned" in o and "movieId" in o]
    assert learned, options
    page.select_option("#table", learned[0])
    expect(page).to_have_url(re.compile(re.escape(learned[0].replace("/", "%2F"))))
    expect(table.locator("tr")).to_have_count(21)
    # a table that does not hold the item says so
    genre_table = [o.split(" ")[0] for o in options if "/genre " in o][0]
    page.select_option("#table", genre_table)
    expect(page.locator("#similar .error")).to_contain_text("has no vector with id '1'")
    page.goto(f"{BASE}/item?id=no-such-item")
    expect(page.locator("#item .error")).to_contain_text("no item with id 'no-such-item'")


def user(page):
    page.goto(f"{BASE}/user?id=10292")
    expect(page.locator("#heading")).to_have_text("User 10292")
    expect(page.locator("#history-table tr").nth(1)).to_be_visible()
    recs = page.locator("#recommendations-table")
    expect(recs.locator("tr")).to_have_count(21)
    rank_scores = [float(s) for s in recs.locator(".rank-score").all_inner_texts()]
    assert rank_scores == sorted(rank_scores, reverse=True) and 0 <= min(rank_scores) and max(rank_scores) <= 1, rank_scores
    expect(page.locator("#timings")).to_contain_text("rank")
    expect(page.locator("#timings")).to_contain_text("model default")
    moves = recs.locator("td .up, td .down").count()
    assert moves > 0, "the ranker moved no candidate"
    # the form: another user, fewer results
    page.fill("#user", "10351")
    page.fill("#k", "5")
    page.click("button[type=submit]")
    expect(page.locator("#heading")).to_have_text("User 10351")
    expect(recs.locator("tr")).to_have_count(6)


def unknown_user(page):
    page.goto(f"{BASE}/user?id=nobody-at-all")
    expect(page.locator("#status .error")).to_contain_text("unknown user 'nobody-at-all'")
    expect(page.locator("#recommendations-table")).to_have_count(0)


def tables(page):
    page.goto(f"{BASE}/tables")
    listing = page.locator("#tables-table")
    expect(listing).to_contain_text("item2vec")
    expect(listing).to_contain_text("pretrained")
    expect(listing).to_contain_text("L=")
    points = page.locator("svg.tradeoff circle.point")
    expect(points.first).to_be_attached()
    assert points.count() >= 4, points.count()


def main():
    executable = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        for name, fn in [("home: genre rows, search, link", home), ("item: metadata, similar items", item),
                         ("user: history, recall vs ranked", user), ("user: unknown user error", unknown_user),
                         ("tables: index state, trade-off plot", tables)]:
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            check(name, fn, page)
            if errors:
                failures.append(name)
                print(f"FAIL {name}: script errors {errors}")
            page.close()
        browser.close()
    print(f"{len(failures)} failed" if failures else "all pages passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
