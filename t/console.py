"""t/console.py: drives the web console in headless Chromium for
t/0044-console.t (chromedriver + Selenium, Debian's /usr/bin/python3).

Prints one line per check, "PASS description" or "FAIL description |
detail"; the test script turns them into TAP. Everything it needs comes
from the environment (see main()). Every request the page makes is
listed from Chrome's performance log (CDP Network events): one to another
origin is a failure, as is any Content-Security-Policy violation or
script error in the browser's console.
"""
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse

from selenium import webdriver
from selenium.common.exceptions import (StaleElementReferenceException, TimeoutException,
                                        WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

ENV = os.environ
BASE = ENV["CONSOLE_BASE"].rstrip("/")          # http://127.0.0.1:PORT
ORIGIN = "%s://%s" % urllib.parse.urlsplit(BASE)[:2]
TMP = ENV["CONSOLE_TMP"]
SHOTS = ENV["CONSOLE_SHOTS"]
LIGHT = ENV.get("CONSOLE_LIGHT") == "1"
WAIT = 20

failures = 0
requests_seen = []
console_msgs = []


def report(ok, desc, detail=""):
    global failures
    if ok:
        print("PASS " + desc, flush=True)
    else:
        failures += 1
        print("FAIL %s | %s" % (desc, str(detail).replace("\n", " ")[:600]), flush=True)
    return ok


def start_browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = ENV.get("CHROMIUM", "/usr/bin/chromium")
    args = ["--headless=new", "--disable-gpu", "--user-data-dir=%s/chrome-profile" % TMP,
            "--window-size=1280,900", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--disable-sync",
            "--disable-component-update", "--disable-default-apps", "--disable-dev-shm-usage",
            "--no-proxy-server", "--lang=en-US", "--disable-features=Translate,MediaRouter,OptimizationHints"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    for a in args:
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    service = Service(executable_path=ENV.get("CHROMEDRIVER", "/usr/bin/chromedriver"),
                      log_path="%s/chromedriver.log" % TMP)
    drv = webdriver.Chrome(service=service, options=opts)
    with open("%s/chromedriver.pid" % TMP, "w") as f:
        f.write("%d\n" % service.process.pid)
    drv.set_page_load_timeout(30)
    drv.set_script_timeout(30)
    drv.execute_cdp_cmd("Network.enable", {})
    return drv


def drain(drv):
    """Collect the request URLs and console messages logged so far."""
    for entry in drv.get_log("performance"):
        try:
            m = json.loads(entry["message"])["message"]
        except (ValueError, KeyError):
            continue
        if m.get("method") == "Network.requestWillBeSent":
            requests_seen.append((m["params"]["request"]["url"], m["params"].get("documentURL", "")))
    for entry in drv.get_log("browser"):
        console_msgs.append(entry)


def wait(drv, cond, what, timeout=WAIT):
    try:
        return WebDriverWait(drv, timeout, poll_frequency=0.1,
                             ignored_exceptions=(StaleElementReferenceException,)).until(cond)
    except TimeoutException:
        return None


def css(drv, sel):
    return drv.find_elements(By.CSS_SELECTOR, sel)


def text_of(drv, sel):
    els = css(drv, sel)
    return els[0].text if els else ""


def visible(drv, sel):
    def f(d):
        els = d.find_elements(By.CSS_SELECTOR, sel)
        return els[0] if els and els[0].is_displayed() else False
    return f


def page_ready(drv, title):
    """The page's h1 says title and nothing is loading any more."""
    def f(d):
        h1 = d.find_elements(By.CSS_SELECTOR, "main h1")
        busy = d.execute_script("return document.getElementById('main').getAttribute('aria-busy')")
        return h1 and h1[0].text == title and busy is None and not d.find_elements(By.CSS_SELECTOR, "main p.loading")
    return wait(drv, f, title)


def go(drv, hash_, title):
    drv.get("%s/console/%s" % (BASE, hash_))
    ok = page_ready(drv, title)
    drain(drv)
    return ok


def layout_shift(drv):
    """The cumulative layout shift of this document so far (not caused by input)."""
    return drv.execute_async_script("""
      const done = arguments[arguments.length - 1];
      let sum = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (!e.hadRecentInput) sum += e.value;
      }).observe({ type: 'layout-shift', buffered: true });
      setTimeout(() => done(sum), 200);""")


def shot(drv, name):
    """The page at 1280 and at 360 px; at 360 px nothing may be wider than the screen."""
    os.makedirs(SHOTS, exist_ok=True)
    for width in (1280, 360):
        drv.set_window_size(width, 900)
        time.sleep(0.3)
        drv.save_screenshot("%s/%s-%d.png" % (SHOTS, name, width))
        if width == 360:
            over = drv.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            wide = drv.execute_script("""
              const w = document.documentElement.clientWidth, out = [];
              for (const e of document.querySelectorAll('body *')) {
                if (e.closest('.table-wrap') && !e.classList.contains('table-wrap')) continue;
                const r = e.getBoundingClientRect();
                if (r.right > w + 1 && r.width > 0) out.push(e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(r.right));
              }
              return out.slice(0, 8);""") if over > 1 else []
            report(over <= 1, "%s: no horizontal scrolling at 360 px" % name, "overflow %s px %s" % (over, wide))
    drv.set_window_size(1280, 900)
    time.sleep(0.2)


def labels_ok(drv, name):
    """Every control has a label (label for=, aria-label or aria-labelledby)."""
    missing = drv.execute_script("""
      const out = [];
      for (const c of document.querySelectorAll('input, select, textarea')) {
        if (c.type === 'hidden') continue;
        const ok = (c.id && document.querySelector('label[for="' + c.id + '"]')) ||
          c.getAttribute('aria-label') || c.getAttribute('aria-labelledby') || c.closest('label');
        if (!ok) out.push(c.outerHTML.slice(0, 120));
      }
      for (const b of document.querySelectorAll('button')) {
        if (!b.textContent.trim() && !b.getAttribute('aria-label')) out.push(b.outerHTML.slice(0, 120));
      }
      return out;""")
    report(not missing, "%s: every control has a label" % name, missing)
    # JSON, PEM and secrets: never sent to a browser's spellcheck service
    checked = drv.execute_script("""
      const out = [];
      for (const c of document.querySelectorAll('textarea, input[type=password]')) {
        if (c.spellcheck) out.push(c.outerHTML.slice(0, 120));
      }
      return out;""")
    report(not checked, "%s: no secret or PEM field is spellchecked" % name, checked)


def write_controls(drv):
    return drv.execute_script("""
      const words = /^(Create|Save|Delete|Enable|Disable|Revoke|Apply|New CMP Profile|Create API key)/;
      const out = [];
      for (const e of document.querySelectorAll('[data-write]')) out.push(e.outerHTML.slice(0, 100));
      for (const e of document.querySelectorAll('main button, main a, main summary')) {
        if (words.test(e.textContent.trim()) && e.offsetParent !== null) out.push(e.textContent.trim());
      }
      return out;""")


def login(drv, key):
    # a fresh load: a hash change alone would re-render the form under us
    drv.get("about:blank")
    drv.get("%s/console/#/login" % BASE)
    field = wait(drv, visible(drv, "#login-key"), "login form")
    if not field:
        return False
    time.sleep(0.3)
    field = css(drv, "#login-key")[0]
    field.clear()
    field.send_keys(key)
    field.send_keys(Keys.ENTER)
    return True


def logout(drv):
    btn = css(drv, "#logout")
    if btn and btn[0].is_displayed():
        btn[0].click()
    drv.execute_script("sessionStorage.clear()")
    return wait(drv, visible(drv, "#login-key"), "login page after logout")


def cert_state(drv, serial):
    cells = css(drv, '[data-cert-state="%s"]' % serial)
    return cells[0].text if cells else ""


def submit_and_wait(drv, button, title):
    """Click button and wait until the page has been built again (its old
    heading is gone, the new one is there)."""
    old = css(drv, "main h1")
    button.click()
    if old:
        wait(drv, EC.staleness_of(old[0]), "the page built again")
    return page_ready(drv, title)


def search_certs(drv, subject):
    """Certificates whose subject starts with subject, any serial, any state."""
    box = wait(drv, visible(drv, "#cert-q-subject"), "certificate search")
    box.clear()
    box.send_keys(subject)
    css(drv, "#cert-q-serial")[0].clear()
    Select(css(drv, "#cert-q-status")[0]).select_by_value("")
    submit_and_wait(drv, css(drv, "#cert-q-go")[0], "Certificates")


def main():
    drv = start_browser()
    try:
        run(drv)
    except Exception as e:  # pylint: disable=broad-except
        report(False, "the browser script ran to its end", repr(e))
        try:
            drv.save_screenshot("%s/failed.png" % TMP)
            with open("%s/failed.html" % TMP, "w") as f:
                f.write(drv.page_source)
        except WebDriverException:
            pass
    finally:
        try:
            drain(drv)
        except WebDriverException:
            pass
        drv.quit()
    # every request of a document of the console's origin, and every
    # http(s) or ws(s) request at all (chrome:// pages of the browser's own
    # new tab are not the page's)
    foreign = sorted({u for u, doc in requests_seen
                      if not (u.startswith(ORIGIN + "/") or u == ORIGIN)
                      and (doc.startswith(ORIGIN + "/") or re.match(r"(https?|wss?|ftp):", u))})
    ours = [u for u, doc in requests_seen if doc.startswith(ORIGIN + "/")]
    report(len(ours) > 10, "the page's requests were listed (%d)" % len(ours))
    report(not foreign, "no request from the page to another origin", foreign)
    same = [u for u, doc in requests_seen if u.startswith(ORIGIN + "/")]
    report(all(urllib.parse.urlsplit(u).path.startswith(("/console/", "/api/v1/", "/health", "/metrics", "/favicon.ico"))
               for u in same), "requests only for the console, the API, /health and /metrics",
           [u for u in same if not urllib.parse.urlsplit(u).path.startswith(("/console/", "/api/v1/", "/health", "/metrics", "/favicon.ico"))])
    csp = [m["message"] for m in console_msgs if "Content Security Policy" in m["message"]]
    report(not csp, "no Content-Security-Policy violation", csp)
    errors = [m["message"] for m in console_msgs
              if m["level"] == "SEVERE" and "favicon.ico" not in m["message"]
              and "the server responded with a status of 4" not in m["message"]
              and "the server responded with a status of 503" not in m["message"]]
    report(not errors, "no script error in the browser console", errors)
    with open("%s/requests.txt" % TMP, "w") as f:
        f.write("".join("%s (from %s)\n" % r for r in requests_seen))
    return 1 if failures else 0


def run(drv):
    admin = ENV["CONSOLE_ADMIN_KEY"]
    reader = ENV["CONSOLE_READ_KEY"]

    # ----------------------------------------------------------- login
    drv.get("%s/console/" % BASE)
    report(wait(drv, visible(drv, "#login-key"), "login") is not None, "without a key: the login page")
    labels_ok(drv, "login")
    # keyboard: the key has the focus; before it the skip link, after it the button
    report(drv.switch_to.active_element.get_attribute("id") == "login-key", "the key field has the focus")
    ActionChains(drv).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    report(drv.switch_to.active_element.get_attribute("class") == "skip", "Shift+Tab: the skip link",
           drv.switch_to.active_element.get_attribute("outerHTML")[:100])
    ActionChains(drv).send_keys(Keys.TAB).send_keys(Keys.TAB).perform()
    report(drv.switch_to.active_element.get_attribute("id") == "login-submit", "Tab, Tab: the Log in button",
           drv.switch_to.active_element.get_attribute("outerHTML")[:100])
    shot(drv, "login")
    drain(drv)

    login(drv, ENV["CONSOLE_WRONG_KEY"])
    got = wait(drv, lambda d: text_of(d, "#login-message"), "401 text")
    report(got == ENV["CONSOLE_401_TEXT"], "a wrong key: the login page shows the API's 401 text",
           "got %r" % got)
    report(css(drv, "#login-key") and not css(drv, "#nav")[0].is_displayed(),
           "a wrong key: still the login page, no navigation")
    report(drv.execute_script("return sessionStorage.length") == 0, "a wrong key is not kept")
    shot(drv, "login-refused")

    login(drv, admin)
    report(page_ready(drv, "Dashboard") is not None, "the admin key: the dashboard")
    report(text_of(drv, "#who") == "console-admin (admin)", "the caller's name and role from /whoami",
           text_of(drv, "#who"))
    stored = drv.execute_script("return Object.keys(sessionStorage).concat(Object.keys(localStorage))")
    report(stored == ["cmpd.apiKey"], "only the session's key is stored, in sessionStorage", stored)
    report(drv.get_cookies() == [], "no cookies", drv.get_cookies())
    drain(drv)

    # progress indication: every call delayed by the network, long enough
    # that the bar (shown from 300 ms on) stays up 1.2 s at least: a busy
    # machine can take more than a few tenths of a second between two
    # looks of the driver
    drv.execute_cdp_cmd("Network.emulateNetworkConditions",
                        {"offline": False, "latency": 1500, "downloadThroughput": -1, "uploadThroughput": -1})
    css(drv, 'nav a[href="#/cmp-profiles"]')[0].click()
    bar = wait(drv, visible(drv, "#progress"), "progress bar", timeout=5)
    report(bar is not None and bar.get_attribute("role") == "progressbar",
           "a call over 300 ms shows the progress bar")
    page_ready(drv, "CMP Profiles")
    # the page may make one more call after its heading shows (a busy
    # machine can take 300 ms between two checks): the bar must go, in time
    gone = wait(drv, lambda d: not css(d, "#progress")[0].is_displayed(), "progress bar gone", timeout=10)
    report(gone, "the progress bar goes when the calls are answered")
    drv.execute_cdp_cmd("Network.emulateNetworkConditions",
                        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})

    # ------------------------------------------------- a new CMP Profile
    go(drv, "#/cmp-profiles/new", "New CMP Profile")
    labels_ok(drv, "new CMP Profile")
    css(drv, "#cmp-name")[0].send_keys("console-cmp")
    css(drv, "#cmp-description")[0].send_keys("made in the console")
    Select(css(drv, "#cmp-ra")[0]).select_by_visible_text(ENV["CONSOLE_RA_LABEL"])
    css(drv, "#cmp-secret-ref")[0].send_keys(ENV["CONSOLE_REF"])
    shot(drv, "cmp-profile-new")
    css(drv, "#cmp-save")[0].click()
    err = wait(drv, lambda d: text_of(d, '[data-field="sharedSecret"] .field-error'), "secret error")
    report(err == ENV["CONSOLE_EMPTY_SECRET_TEXT"],
           "an empty secret: the API's validation text next to the field", "got %r" % err)
    report(css(drv, "#cmp-secret")[0].get_attribute("aria-invalid") == "true", "the field is marked invalid")
    shot(drv, "cmp-profile-invalid")
    # the secret from a file
    css(drv, "#cmp-secret-file")[0].send_keys(ENV["CONSOLE_SECRET_FILE"])
    css(drv, "#cmp-save")[0].click()
    ok = page_ready(drv, "CMP Profile console-cmp")
    report(ok is not None, "created: the profile's page", text_of(drv, "main h1") + " " + text_of(drv, '[data-role="page-message"]'))
    url = drv.execute_script("return [...document.querySelectorAll('#cmp-urls input')].map(i => i.value)")
    report(url and url[0].endswith("/api/v1/protocols/cmp/console-cmp"), "the profile's CMP URL to copy", url)
    report(len(url) > 1 and url[1].endswith("/.well-known/cmp/p/console-cmp"), "and its RFC 9811 URL", url)
    css(drv, "#cmp-toggle")[0].click()
    wait(drv, lambda d: "enabled." in text_of(d, '[data-role="page-message"]'), "enabled")
    report(text_of(drv, "main p .badge") == "enabled", "enabled from the console", text_of(drv, "main p .badge"))
    shot(drv, "cmp-profile")
    # edit: a new description, and the trust anchors from a file
    desc = css(drv, "#cmp-description")[0]
    desc.clear()
    desc.send_keys("edited in the console")
    css(drv, "#cmp-anchors")[0].send_keys(ENV["CONSOLE_ANCHORS_FILE"])
    css(drv, "#cmp-save")[0].click()
    wait(drv, lambda d: "saved." in text_of(d, '[data-role="page-message"]'), "saved")
    report(css(drv, "#cmp-description")[0].get_attribute("value") == "edited in the console",
           "edited: the new description", text_of(drv, '[data-role="page-message"]'))
    report("1 anchors" in text_of(drv, '[data-field="trustAnchors"]'), "trust anchors uploaded from a file",
           text_of(drv, '[data-field="trustAnchors"]'))
    drain(drv)

    # ------------------------------------------------------- enrol
    r = subprocess.run(["bash", ENV["CONSOLE_ENROL"]], capture_output=True, text=True, timeout=120)
    report(r.returncode == 0, "openssl cmp enrols through the new profile", r.stdout[-400:] + r.stderr[-400:])
    serial = ""
    if r.returncode == 0:
        serial = subprocess.run(["openssl", "x509", "-in", ENV["CONSOLE_CERT"], "-noout", "-serial"],
                                capture_output=True, text=True).stdout.strip().split("=")[-1]

    # -------------------------------------------------- inventory
    go(drv, "#/certificates", "Certificates")
    search_certs(drv, "CN=console-device-1")
    rows = drv.execute_script("return [...document.querySelectorAll('main tbody tr')].map(r => r.textContent)")
    report(len(rows) == 1 and serial and serial.lower() in rows[0].lower(),
           "the certificate in the inventory, found by subject", rows)
    key = ""
    cells = drv.execute_script("return [...document.querySelectorAll('[data-cert-state]')].map(e => e.dataset.certState)")
    if cells:
        key = cells[0]
    report(cert_state(drv, key).startswith("issued"), "its state: issued", cert_state(drv, key))
    labels_ok(drv, "certificates")
    # by serial and by state, too
    css(drv, "#cert-q-subject")[0].clear()
    css(drv, "#cert-q-serial")[0].send_keys(key)
    Select(css(drv, "#cert-q-status")[0]).select_by_value("issued")
    submit_and_wait(drv, css(drv, "#cert-q-go")[0], "Certificates")
    report(len(css(drv, "main tbody tr")) == 1 and cert_state(drv, key).startswith("issued"),
           "found by serial and state", len(css(drv, "main tbody tr")))
    shot(drv, "certificates")
    # a page at a time: 105 certificates CN=console-page-NNN (t/0044
    # wrote them, NNN 1 the newest), 100 a page, newest first
    search_certs(drv, "CN=console-page-")
    subjects = lambda: drv.execute_script(
        "return [...document.querySelectorAll('main tbody tr')].map(r => r.children[1].textContent)")
    first_page = subjects()
    report(len(first_page) == 100 and first_page[0] == "CN=console-page-001" and
           first_page[-1] == "CN=console-page-100", "the first page: the 100 newest", first_page[:2] + first_page[-1:])
    report(len(css(drv, "#cert-next")) == 1 and not css(drv, "#cert-first"),
           "a full page offers the next, not the first")
    if css(drv, "#cert-next"):
        submit_and_wait(drv, css(drv, "#cert-next")[0], "Certificates")
    second = subjects()
    report(second == ["CN=console-page-%03d" % i for i in range(101, 106)],
           "the next page: the 5 after them (keyset paging, after=)", second)
    report(not css(drv, "#cert-next") and len(css(drv, "#cert-first")) == 1,
           "a short page offers the first, no next")
    if css(drv, "#cert-first"):
        submit_and_wait(drv, css(drv, "#cert-first")[0], "Certificates")
    report(subjects() == first_page, "back on the first page")
    labels_ok(drv, "certificate pages")

    # ------------------------------------------------- dashboard
    go(drv, "#/dashboard", "Dashboard")
    n = text_of(drv, "#dash-enrolled .n")
    report(n.isdigit() and int(n) >= 1, "the dashboard counts the enrolment", n)
    report("ir" in text_of(drv, "main"), "the enrolment among the recent transactions")
    report("console-cmp" in text_of(drv, "main"), "the dashboard lists the CMP Profiles")
    report(re.search(r"systemFailure\s+[1-9]", text_of(drv, "#dash-failinfo")) is not None,
           "failures by failInfo from /metrics", text_of(drv, "#dash-failinfo"))
    report(text_of(drv, "#dash-health-db .badge") == "ok", "database health from /health", text_of(drv, "#dash-health"))
    report(re.search(r"\d+ / \d+", text_of(drv, "#dash-health-conn")) is not None, "connector health from /health",
           text_of(drv, "#dash-health-conn"))
    report(re.search(r"\d+ ms", text_of(drv, "#dash-latency-mean")) is not None, "latency from /metrics",
           text_of(drv, "#dash-latency-mean"))
    shot(drv, "dashboard")

    # ------------------------------------------------------ revoke
    go(drv, "#/certificates", "Certificates")
    search_certs(drv, "CN=console-device-1")
    sel = css(drv, '[data-action="revoke"]')
    report(len(sel) == 1, "a Revoke control for the issued certificate")
    if sel:
        Select(css(drv, 'main tbody select[name="reason"]')[0]).select_by_value("keyCompromise")
        sel[0].click()
        wait(drv, lambda d: "revoke" in text_of(d, '[data-role="page-message"]'), "revoke message")
        report(re.search(r"revoke_pending|revoked", text_of(drv, '[data-role="page-message"]')) is not None,
               "revocation accepted", text_of(drv, '[data-role="page-message"]'))
        state = ""
        for _ in range(40):
            search_certs(drv, "CN=console-device-1")
            state = cert_state(drv, key)
            if state.startswith("revoked"):
                break
            time.sleep(1)
        report(state == "revoked keyCompromise", "its state changes to revoked, keyCompromise", state)
        report(not css(drv, '[data-action="revoke"]'), "no Revoke control for a revoked certificate")
        shot(drv, "certificates-revoked")

    # ------------------------------------------ a refusal of the API
    go(drv, "#/cmp-profiles", "CMP Profiles")
    d = css(drv, '[data-action="delete"][data-profile="enroll"]')
    if d:
        d[0].click()
        yes = wait(drv, visible(drv, ".confirm button.danger"), "confirm")
        yes.click()
        got = wait(drv, lambda dd: text_of(dd, '[data-role="page-message"]'), "refusal")
        report(got == ENV["CONSOLE_DELETE_TEXT"], "a refused delete shows the API's message", "got %r" % got)
    else:
        report(False, "a Delete control for CMP Profile enroll")
    labels_ok(drv, "CMP Profiles")
    shot(drv, "cmp-profiles")

    # --------------------------------------------- the other pages
    pages = [("#/ra-profiles", "RA Profiles"), ("#/authorities", "Authorities"), ("#/connectors", "Connectors"),
             ("#/transactions", "Transactions"), ("#/api-keys", "API keys"), ("#/audit", "Audit log")]
    go(drv, "#/transactions", "Transactions")
    Select(css(drv, "#tx-q-state")[0]).select_by_value("failed")
    submit_and_wait(drv, css(drv, '#tx-search button[type="submit"]')[0], "Transactions")
    report(ENV["CONSOLE_TX_FAILURE"] in text_of(drv, "main tbody"),
           "a failed transaction with its failure text", text_of(drv, "main tbody")[:300])
    shot(drv, "transactions-failed")
    # a page at a time: the expired ones are 105 written by t/0044 (tid
    # 0000c0de0000NNNN, 1 the newest) and what the browser's run expired
    Select(css(drv, "#tx-q-state")[0]).select_by_value("expired")
    submit_and_wait(drv, css(drv, '#tx-search button[type="submit"]')[0], "Transactions")
    tids = lambda: drv.execute_script(
        "return [...document.querySelectorAll('main tbody tr')].map(r => r.children[0].textContent)")
    page1 = [t for t in tids() if t.startswith("0000c0de")]
    report(len(tids()) == 100 and len(css(drv, "#tx-next")) == 1, "transactions: a full page offers the next",
           len(tids()))
    if css(drv, "#tx-next"):
        submit_and_wait(drv, css(drv, "#tx-next")[0], "Transactions")
    page2 = [t for t in tids() if t.startswith("0000c0de")]
    report(len(page2) > 0 and not set(page1) & set(page2) and
           page2[-1] == "0000c0de00000069" and len(css(drv, "#tx-first")) == 1,
           "... the next page goes on where it ended, down to the oldest, with the first page offered",
           page2[-3:])
    Select(css(drv, "#tx-q-state")[0]).select_by_value("")
    submit_and_wait(drv, css(drv, '#tx-search button[type="submit"]')[0], "Transactions")
    for hash_, title in pages:
        report(go(drv, hash_, title) is not None, "%s loads" % title, text_of(drv, "main"))
        cls = layout_shift(drv)
        report(cls < 0.05, "%s: no layout shift while loading (CLS %.3f)" % (title, cls))
        labels_ok(drv, title)
        if not LIGHT:
            shot(drv, hash_[2:])
    go(drv, "#/audit", "Audit log")
    report("revoke" in text_of(drv, "main") and "apiKey:console-admin" in text_of(drv, "main"),
           "the audit log shows the console's changes")

    # API key made in the console: shown once
    go(drv, "#/api-keys", "API keys")
    css(drv, "#apikey-name")[0].send_keys("console-made")
    Select(css(drv, "#apikey-role")[0]).select_by_value("read")
    css(drv, '#apikey-new button[type="submit"]')[0].click()
    made = wait(drv, visible(drv, "#apikey-value"), "new key")
    newkey = made.get_attribute("value") if made else ""
    report(newkey.startswith("cmpd_") and len(newkey) == 69, "a new API key is shown once", newkey[:12])
    go(drv, "#/dashboard", "Dashboard")
    go(drv, "#/api-keys", "API keys")
    report(not css(drv, "#apikey-value"), "and not again")

    # ---------------------------------------------------- read role
    logout(drv)
    login(drv, reader if not newkey else newkey)
    report(page_ready(drv, "Dashboard") is not None, "a read key logs in")
    report(text_of(drv, "#who").endswith("(read)"), "as read", text_of(drv, "#who"))
    report(not css(drv, 'nav a[href="#/api-keys"]')[0].is_displayed(), "read: no API keys section")
    read_pages = [("#/dashboard", "Dashboard"), ("#/cmp-profiles", "CMP Profiles"), ("#/ra-profiles", "RA Profiles"),
                  ("#/authorities", "Authorities"), ("#/connectors", "Connectors"), ("#/certificates", "Certificates"),
                  ("#/transactions", "Transactions"), ("#/audit", "Audit log")]
    for hash_, title in read_pages:
        go(drv, hash_, title)
        w = write_controls(drv)
        report(not w, "read: no write controls on %s" % title, w)
    go(drv, "#/cmp-profiles", "CMP Profiles")
    link = css(drv, 'a[data-profile="console-cmp"]')
    if link:
        link[0].click()
        page_ready(drv, "CMP Profile console-cmp")
        report(not write_controls(drv) and not css(drv, "form#cmp-form"),
               "read: a CMP Profile's page has no form", write_controls(drv))
        shot(drv, "cmp-profile-read")
    else:
        report(False, "read: the profile is listed")
    go(drv, "#/certificates", "Certificates")
    search_certs(drv, "CN=console-device-1")
    report(cert_state(drv, key) == "revoked keyCompromise" and not write_controls(drv),
           "read: the certificate's state, no Revoke")
    logout(drv)
    report(drv.execute_script("return sessionStorage.length") == 0, "logging out forgets the key")


if __name__ == "__main__":
    try:
        rc = main()
    except Exception as e:  # pylint: disable=broad-except
        report(False, "the browser script ran to its end", repr(e))
        rc = 1
    sys.exit(rc)
