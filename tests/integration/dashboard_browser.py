#!/usr/bin/python3
"""Drives the dashboard in headless Chromium (Debian's chromium + chromium-driver, python3-selenium).

Usage: dashboard_browser.py BASE_URL CAMPAIGN TOTAL SCREENSHOT

While the campaign runs: the page loads with no console error, says "live", and the done count it
shows for CAMPAIGN lies between two reads of /api/v1/dashboard taken before and after reading the
page; the count grows. Once the campaign is finished: the page's cards, done and failed equal the
API's, done + failed == TOTAL. Saves a screenshot. Exits 1 with the reason on any mismatch.
Run it with Debian's /usr/bin/python3 (a pyenv python3 has no selenium).
"""
import json
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

base, campaign, total, shot = sys.argv[1].rstrip("/"), sys.argv[2], int(sys.argv[3]), sys.argv[4]


def fail(msg):
    print("dashboard_browser: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def api():
    with urllib.request.urlopen(base + "/api/v1/dashboard", timeout=5) as r:
        d = json.load(r)
    for c in d["campaigns"]:
        if c["id"] == campaign:
            return c
    return None


def num(text):
    return int(text.replace(",", "").strip())


opts = webdriver.ChromeOptions()
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1100",
          "--hide-scrollbars", "--disable-dev-shm-usage"):
    opts.add_argument(a)
opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
try:
    driver.get(base + "/")

    def page_row():
        # One script reads the row: the page replaces its rows every second, so element
        # references taken one by one go stale between calls.
        cells = driver.execute_script(
            "for (const tr of document.querySelectorAll('#campaigns tbody tr')) {"
            "  const t = [...tr.cells].map((td) => td.textContent);"
            "  if (t[0] === arguments[0]) return t; }"
            "return null;", campaign)
        if cells is None:
            return None
        return {"cards": num(cells[2]), "done": num(cells[4]), "failed": num(cells[5])}

    deadline = time.time() + 30
    while time.time() < deadline and (driver.find_element(By.ID, "conn").text != "live" or page_row() is None):
        time.sleep(0.2)
    if driver.find_element(By.ID, "conn").text != "live":
        fail("the page never said live: " + driver.find_element(By.ID, "conn").text)

    seen = []
    finished = False
    deadline = time.time() + 600
    while time.time() < deadline:
        before = api()
        row = page_row()
        after = api()
        if before is None or after is None or row is None:
            fail("campaign %s missing (api %s, page %s)" % (campaign, before, row))
        if not before["states"]["done"] <= row["done"] <= after["states"]["done"]:
            # The page draws what it fetched up to a second ago: it may lag the first read.
            time.sleep(1.2)
            if row["done"] > api()["states"]["done"]:
                fail("page shows %d done, more than the API's %d" % (row["done"], after["states"]["done"]))
        seen.append(row["done"])
        if after["states"]["done"] + after["states"]["failed"] >= total:
            finished = True
            break
        time.sleep(0.5)
    if not finished:
        fail("campaign did not finish; done seen %s" % seen[-5:])
    if len(set(seen)) < 2:
        fail("the page never changed while the campaign ran: %s" % seen)
    time.sleep(2.5)  # two refreshes: the page now draws the final counts
    row, c = page_row(), api()
    if (row["cards"], row["done"], row["failed"]) != (c["cards"], c["states"]["done"], c["states"]["failed"]):
        fail("page %s != api %s" % (row, c))
    if row["done"] + row["failed"] != total:
        fail("page done+failed %d != %d cards" % (row["done"] + row["failed"], total))
    severe = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    if severe:
        fail("console errors: %s" % severe)
    driver.save_screenshot(shot)
    print(json.dumps({"page": row, "done_values_seen": len(set(seen)), "screenshot": shot}))
finally:
    driver.quit()
