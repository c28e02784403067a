#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""report-browser (ctest report_browser): the HTML reports as a browser shows them.

Three real runs, each against `stark refserver` on loopback:
  clean  the whole server suite against the reference target (exit 0)
  flaw   the same against a refserver with planted flaws (exit 1)
  fleet  stark scan of three refservers that differ (exit 1; fleet.html)
Each index.html (and fleet.html) is rendered in headless Chromium (Debian's
chromium + chromium-driver, driven by python3-selenium) at 1024 and 600 px:
  - no horizontal overflow: document scrollWidth <= the viewport width, with
    every <details> (the evidence) opened as well;
  - every non-PASS result of results.json has its section (id r<index>) and
    its id is in that section's text; the clean run has no FAIL, XPASS, ERROR
    or WARN (its SKIPs are scenarios for other listeners);
  - the page loaded nothing but itself (no resource entries, no external URL
    in the markup).
Chromium runs with background networking, component updates and sync off
and every host name mapped to nothing; the pages are local files.
usage: tests/report-browser.py STARK_BINARY [--screenshots DIR]
exit: 0 all good, 1 a check failed, 77 chromium/chromedriver/selenium missing.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

WIDTHS = (1024, 600)


def need_tools():
    try:
        from selenium import webdriver  # noqa: F401
    except ImportError:
        return "python3-selenium"
    for tool in ("chromium", "chromedriver"):
        if shutil.which(tool) is None:
            return tool
    return None


class Refservers:
    def __init__(self, stark, work):
        self.stark, self.work, self.procs = stark, work, []

    def start(self, name, *args):
        out = os.path.join(self.work, name + ".out")
        ca = os.path.join(self.work, name + "-ca.pem")
        f = open(out, "w")
        p = subprocess.Popen([self.stark, "refserver", "--ca-out", ca, *args], stdout=f,
                             stderr=subprocess.STDOUT)
        self.procs.append(p)
        for _ in range(200):
            m = re.search(r"listening on (\S+)", open(out).read())
            if m:
                return m.group(1), ca
            time.sleep(0.05)
        raise SystemExit("report-browser: refserver %s did not start: %s" % (name, open(out).read()))

    def stop(self):
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def run(name, want, argv, work):
    log = os.path.join(work, name + ".log")
    with open(log, "w") as f:
        rc = subprocess.call(argv, stdout=f, stderr=subprocess.STDOUT, timeout=300)
    if rc != want:
        raise SystemExit("report-browser: %s exited %d, want %d:\n%s" % (name, rc, want, open(log).read()[-2000:]))
    print("ok    %s: exit status %d" % (name, rc))


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-default-apps", "--disable-extensions", "--no-first-run", "--no-pings",
              "--disable-domain-reliability", "--disable-client-side-phishing-detection",
              "--host-resolver-rules=MAP * ~NOTFOUND", "--hide-scrollbars"):
        opts.add_argument(a)
    # the driver's path is given: selenium never looks for (or fetches) one
    return webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=opts)


def check_page(drv, path, results, shots, label, fails):
    html = open(path, encoding="utf-8").read()
    external = re.findall(r'(?:src|href)="(?:[a-z]+:)?//[^"]*"', html)
    if external:
        fails.append("%s: external references %s" % (label, external[:3]))
    drv.get("file://" + path)
    res = drv.execute_script("return performance.getEntriesByType('resource').length")
    if res:
        fails.append("%s: the page loaded %d resources" % (label, res))
    for width in WIDTHS:
        drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        for opened in (False, True):
            if opened:
                drv.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
            sw, vw = drv.execute_script(
                "return [document.documentElement.scrollWidth, window.innerWidth]")
            if sw > vw:
                wide = drv.execute_script(
                    "return [...document.querySelectorAll('body *')].filter(e => "
                    "e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 3)"
                    ".map(e => e.tagName + ':' + e.textContent.slice(0, 60))")
                fails.append("%s at %d px%s: scrollWidth %d > viewport %d (%s)" % (
                    label, width, " (details open)" if opened else "", sw, vw, wide))
        if shots:
            h = drv.execute_script("return document.documentElement.scrollHeight")
            drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": width, "height": min(h, 6000), "deviceScaleFactor": 1, "mobile": False})
            drv.save_screenshot(os.path.join(shots, "%s-%d.png" % (label, width)))
        drv.execute_script("document.querySelectorAll('details').forEach(d => d.open = false)")
    if results is None:
        return
    found = 0
    for i, r in enumerate(results):
        if r["verdict"] == "pass":
            continue
        text = drv.execute_script("var e = document.getElementById(arguments[0]);"
                                  "return e ? e.textContent : null", "r%d" % i)
        if text is None or r["id"] not in text:
            fails.append("%s: %s %s has no section r%d naming it" % (label, r["verdict"], r["id"], i))
        else:
            found += 1
    print("ok    %s: %d finding sections checked" % (label, found))


def main():
    if len(sys.argv) not in (2, 4) or (len(sys.argv) == 4 and sys.argv[2] != "--screenshots"):
        print(__doc__.split("\n\n")[-1], file=sys.stderr)
        return 2
    stark = os.path.realpath(sys.argv[1])
    shots = os.path.realpath(sys.argv[3]) if len(sys.argv) == 4 else None
    missing = need_tools()
    if missing:
        print("SKIP  report-browser: %s is not installed (scripts/install-deps.sh)" % missing)
        return 77
    work = tempfile.mkdtemp(prefix="stark-browser.")
    refs = Refservers(stark, work)
    fails = []
    try:
        addr, ca = refs.start("clean")
        common = ["--servername", "localhost", "--ca", ca, "--no-system-ca", "-j", "2", "-q"]
        run("clean", 0, [stark, "run", "--target", addr, *common, "--out", work + "/clean"], work)
        addr, ca = refs.start("flaw", "--flaw", "inject,auth-plaintext,readvertise,bad-multiline,keep-state")
        common[3] = ca
        run("flaw", 1, [stark, "run", "--target", addr, *common, "--out", work + "/flaw"], work)
        a, ca = refs.start("a")
        b, _ = refs.start("b", "--tls-version", "1.2")
        c, _ = refs.start("c", "--flaw", "inject")
        run("fleet", 1, [stark, "scan", "--target", a, "--target", b, "--target", c, "--servername",
                         "localhost", "--ca", ca, "--timeout", "5s", "-k", "s01", "-k", "s08", "-j", "3",
                         "-q", "--out", work + "/fleet"], work)
    finally:
        refs.stop()
    if not os.path.exists(work + "/fleet/fleet.html"):
        fails.append("fleet: no fleet.html for a scan of three nodes")
    if os.path.exists(work + "/clean/fleet.html"):
        fails.append("clean: a fleet.html for a run without nodes")
    if shots:
        os.makedirs(shots, exist_ok=True)
    drv = browser()
    try:
        for name in ("clean", "flaw", "fleet"):
            results = json.load(open(os.path.join(work, name, "results.json")))["results"]
            if name == "clean" and any(r["verdict"] in ("fail", "xpass", "error", "warn") for r in results):
                fails.append("clean: a finding against the reference target")
            check_page(drv, os.path.join(work, name, "index.html"), results, shots, name, fails)
        check_page(drv, os.path.join(work, "fleet", "fleet.html"), None, shots, "fleet-page", fails)
        nodes = drv.execute_script("return document.body.textContent")
        for t in (a, b, c):
            if t not in nodes:
                fails.append("fleet-page: node %s missing" % t)
    finally:
        drv.quit()
    for f in fails:
        print("FAIL  " + f)
    if not fails:
        shutil.rmtree(work)
        print("report-browser: 3 runs, 4 pages at %s px: no overflow, every finding present" %
              " and ".join(map(str, WIDTHS)))
    else:
        print("report-browser: reports kept in " + work)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
