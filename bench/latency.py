#!/usr/bin/env python3
"""Single-request timings, run by `scripts/bench` after the load benchmark (bench/harness.py).
Measures, on this machine, with the release build (which scripts/bench has built):

  startup   time from starting `carethread serve` on an empty SQLite database until /readyz
            answers 200 (migrations included), median of several runs
  demo      time for `carethread demo` to load the demo data into a fresh SQLite database
  idle-rss  resident memory of a server that has loaded the demo data, signed people in, served
            some pages and then sat idle
  generate  `carethread generate` of 100,000 cases (2,000 with --quick) into SQLite, cases/s
  reviews   the progress page of a person with 50 signed-off reviews (its trajectory chart and
            table), and recording one attendee's ballot of six votes (POST, without following
            the redirect); p50/p95/p99 over sequential requests
  case-page server round trip for the signed-in case page of a large case (30 circle members,
            12 problem areas, 40 keeping-safe entries, one entry with 200 versions), built
            through the real forms in the database of generated cases; p50/p95/p99 over
            sequential requests on loopback
  plan-pdf  the easy-read care plan PDF of a typical plan, typeset per request; p50/p95/p99

Prints a table and writes bench/results/latest-startup.json. Tests never assert timings; this
script reports them. `--quick` runs fewer repetitions.
"""
import datetime, http.cookiejar, json, os, platform, re, shutil, statistics, subprocess, sys, tempfile, time, urllib.parse, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUICK = "--quick" in sys.argv
RUNS = 3 if QUICK else 9
# scripts/bench builds the release binary, or names another build in CARETHREAD_BIN.
BIN = os.environ.get("CARETHREAD_BIN") or os.path.join(ROOT, "target", "release", "carethread")
# The case page is measured in a database holding this many other cases (issue: 100k).
GENERATED_CASES = 2_000 if QUICK else 100_000


def start(db_url, demo=False):
    args = [BIN, "serve", "--db", db_url, "--addr", "127.0.0.1:0"] + (["--demo"] if demo else [])
    began = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    base = None
    for line in proc.stdout:
        m = re.search(r"ready on (http://[0-9.:]+)", line)
        if m:
            base = m.group(1)
            break
    if base is None:
        proc.kill()
        raise SystemExit("carethread did not start")
    while True:
        try:
            if urllib.request.urlopen(base + "/readyz", timeout=2).status == 200:
                break
        except Exception:
            time.sleep(0.002)
    return proc, base, time.perf_counter() - began


def stop(proc):
    proc.terminate()
    proc.wait(timeout=30)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def without_redirects(opener):
    """The same signed-in session, but a POST's 303 is not followed: the write is timed alone."""
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(opener.jar), NoRedirect())


def sign_in(base, username, password):
    """Signs in like a browser (form token, cookies); each sign-in runs an Argon2id check.
    Returns an opener holding the session and the session's form token."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.jar = jar
    page = opener.open(base + "/sign-in", timeout=5).read().decode()
    token = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"_csrf": token, "username": username, "password": password, "next": "/caseload"}).encode()
    caseload = opener.open(base + "/sign-in", data=form, timeout=10).read().decode()
    assert "My caseload" in caseload, "signing in failed"
    session_token = re.search(r'name="_csrf" value="([^"]+)"', caseload).group(1)
    return opener, session_token


def post(opener, token, url, fields):
    data = urllib.parse.urlencode({"_csrf": token, **fields}).encode()
    try:
        opener.open(url, data=data, timeout=10).read()
    except urllib.error.HTTPError as e:
        if e.code >= 400:
            raise SystemExit(f"POST {url} failed with {e.code}")


def large_case(base):
    """Builds a large case through the forms and returns (opener, case URL)."""
    opener, token = sign_in(base, "demo-keyworker", "carethread-demo")
    page = opener.open(base + "/people?q=999+000+0018", timeout=5).read().decode()
    person = re.search(r'href="(/people/[0-9a-f-]{36})"', page).group(1)
    url = base + person
    for i in range(30):
        source = ["personal-network", "services", "wider-system"][i % 3]
        involvement = ["core", "regular", "occasional"][i % 3]
        post(opener, token, url + "/circle", {"name": f"Member {i}", "relationship": "Friend", "source": source, "involvement": involvement})
    for i in range(12):
        post(opener, token, url + "/problems", {"name": f"Problem area {i}", "described_as": "plain-words", "impact": "Affects the day"})
    risks = ["risk-harm-to-self", "risk-harm-to-others", "risk-vulnerability", "risk-deterioration", "risk-offending", "risk-other"]
    for i in range(40):
        kind = ["working", "worry", "next-step", "note"][i % 4]
        post(opener, token, url + "/themes/keeping-safe/entries", {"kind": kind, "topic": risks[i % 6], "body": f"Risk entry {i} written with the person", "voice": "with-person", "risk_understanding": "How I see it, in my words", "risk_helps_now": "What helps me now"})
    theme = opener.open(url + "/themes/keeping-safe", timeout=5).read().decode()
    entry = re.search(r'/entries/([0-9a-f-]{36})/edit', theme).group(1)
    for version in range(1, 200):
        post(opener, token, f"{url}/entries/{entry}/edit", {"version": str(version), "kind": "working", "topic": "risk-harm-to-self", "body": f"Version {version + 1}", "voice": "with-person"})
    return opener, url


THEMES = ["circle-of-support", "about-me", "problem-toolkits", "joining-in", "keeping-safe", "progress"]


def fetch(opener, url):
    return opener.open(url, timeout=10).read().decode()


def post_to(opener, token, url, fields):
    """Posts a form and returns the final URL after redirects."""
    data = urllib.parse.urlencode({"_csrf": token, **fields}, doseq=True).encode()
    response = opener.open(url, data=data, timeout=10)
    response.read()
    return response.geturl()


def signed_off_review(opener, token, base, person, when, votes):
    """Schedules a review on `when` (a date), marks the person present, records their votes on
    every theme and signs it off, all through the forms. Returns the review page URL."""
    review = post_to(opener, token, f"{base}{person}/reviews", {
        "kind": "formal-review", "day": when.day, "month": when.month, "year": when.year,
        "time": "10:00", "place": "Room 2", "chair": "Priya Nair"}).split("#")[0]
    page = fetch(opener, review)
    attendee = re.search(r'name="attendance-([0-9a-f-]{36})"', page).group(1)
    post_to(opener, token, f"{review}/attendance", {f"attendance-{attendee}": "present"})
    post_to(opener, token, f"{review}/votes/{attendee}", {f"vote-{t}": v for t, v in zip(THEMES, votes)})
    page = fetch(opener, review)
    # The sign-off form's version: the minutes form above it has a count of its own.
    version = re.search(r'/sign-off".*?name="version" value="(\d+)"', page, re.S).group(1)
    nxt = datetime.date.today() + datetime.timedelta(days=30)
    post_to(opener, token, f"{review}/sign-off", {"version": version, "every_weeks": "12",
        "next_day": nxt.day, "next_month": nxt.month, "next_year": nxt.year})
    return review, attendee


def timed(fn, n):
    timings = []
    for _ in range(n):
        began = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - began) * 1000)
    return timings


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    work = tempfile.mkdtemp(prefix="carethread-bench-")
    results = []
    try:
        startups = []
        for i in range(RUNS):
            proc, _, took = start(f"sqlite://{work}/empty-{i}.db")
            startups.append(took * 1000)
            stop(proc)
        results.append(("startup (empty SQLite, to /readyz 200)", statistics.median(startups), "ms", startups))

        demos = []
        for i in range(RUNS):
            began = time.perf_counter()
            subprocess.run([BIN, "demo", "--db", f"sqlite://{work}/demo-{i}.db"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            demos.append((time.perf_counter() - began) * 1000)
        results.append(("carethread demo (fresh SQLite, incl. migrations)", statistics.median(demos), "ms", demos))

        proc, base, _ = start(f"sqlite://{work}/idle.db", demo=True)
        for path in ["/healthz", "/readyz", "/sign-in", "/metrics", "/assets/vendor/nhsuk/nhsuk-frontend.min.css"] * 20:
            urllib.request.urlopen(base + path, timeout=5).read()
        for _ in range(5):
            sign_in(base, "demo-keyworker", "carethread-demo")
        time.sleep(3)
        idle = rss_mb(proc.pid)
        stop(proc)
        results.append(("idle resident memory (demo, 5 sign-ins, 100 pages)", idle, "MB", [idle]))

        # The large case sits in a database of many generated cases, as it would in service.
        large_db = f"sqlite://{work}/large.db"
        subprocess.run([BIN, "demo", "--db", large_db], check=True, stdout=subprocess.DEVNULL)
        began = time.perf_counter()
        subprocess.run([BIN, "generate", "--cases", str(GENERATED_CASES), "--seed", "1", "--db", large_db], check=True, stdout=subprocess.DEVNULL)
        took = time.perf_counter() - began
        results.append((f"generate {GENERATED_CASES} cases into SQLite (cases/s)", GENERATED_CASES / took, "/s", [GENERATED_CASES / took]))
        proc, base, _ = start(large_db)
        opener, url = large_case(base)
        for _ in range(20):
            opener.open(url, timeout=5).read()
        timings = []
        for _ in range(100 if QUICK else 500):
            began = time.perf_counter()
            opener.open(url, timeout=5).read()
            timings.append((time.perf_counter() - began) * 1000)
        for p in (50, 95, 99):
            results.append((f"case page of a large case, p{p} ({len(timings)} requests)", percentile(timings, p), "ms", [percentile(timings, p)]))

        # Reviews: a person with 50 signed-off reviews (built through the forms), then the
        # progress page with its trajectory over all 50, and recording one attendee's six votes.
        opener, token = sign_in(base, "demo-keyworker", "carethread-demo")
        page = fetch(opener, base + "/people?q=999+000+0085")
        person = re.search(r'href="(/people/[0-9a-f-]{36})"', page).group(1)
        start_day = datetime.date.today() - datetime.timedelta(days=350)
        choices = ["progressed", "unchanged", "slipped-back"]
        for i in range(50):
            votes = [choices[(i + k) % 3] for k in range(6)]
            signed_off_review(opener, token, base, person, start_day + datetime.timedelta(days=7 * i), votes)
        progress = f"{base}{person}/themes/progress"
        assert fetch(opener, progress).count('class="ct-traj-dot') + fetch(opener, progress).count('class="ct-traj-split') >= 50
        timed(lambda: fetch(opener, progress), 10)
        timings = timed(lambda: fetch(opener, progress), 50 if QUICK else 300)
        for p in (50, 95, 99):
            results.append((f"progress page, trajectory of 50 reviews, p{p} ({len(timings)})", percentile(timings, p), "ms", [percentile(timings, p)]))

        review = post_to(opener, token, f"{base}{person}/reviews", {
            "kind": "formal-review", "day": datetime.date.today().day, "month": datetime.date.today().month,
            "year": datetime.date.today().year, "time": "15:00", "place": "Room 2", "chair": "Priya Nair"}).split("#")[0]
        attendee = re.search(r'name="attendance-([0-9a-f-]{36})"', fetch(opener, review)).group(1)
        post_to(opener, token, f"{review}/attendance", {f"attendance-{attendee}": "present"})
        ballot_url = f"{review}/votes/{attendee}"
        direct = without_redirects(opener)
        flip = [0]

        def vote_once():
            # Each ballot differs from the last, so every request really writes six votes.
            flip[0] += 1
            data = urllib.parse.urlencode({"_csrf": token, **{f"vote-{t}": choices[(flip[0] + k) % 3] for k, t in enumerate(THEMES)}}).encode()
            try:
                direct.open(ballot_url, data=data, timeout=10).read()
                raise SystemExit("recording a vote did not redirect back to the review")
            except urllib.error.HTTPError as e:
                if e.code != 303:
                    raise SystemExit(f"recording a vote failed with {e.code}")

        timed(vote_once, 10)
        timings = timed(vote_once, 50 if QUICK else 300)
        for p in (50, 95, 99):
            results.append((f"record a ballot of six votes, p{p} ({len(timings)})", percentile(timings, p), "ms", [percentile(timings, p)]))

        # The easy-read PDF of the demo's typical plan (two goals with steps, a management plan,
        # an escalation plan with two contacts and a mandate): typeset by typst on each request.
        pdf_url = f"{base}{person}/plan/easy-read.pdf"
        first = opener.open(pdf_url, timeout=30).read()
        assert first.startswith(b"%PDF-"), "the plan PDF is not a PDF"
        timed(lambda: opener.open(pdf_url, timeout=30).read(), 5)
        timings = timed(lambda: opener.open(pdf_url, timeout=30).read(), 20 if QUICK else 100)
        for p in (50, 95, 99):
            results.append((f"easy-read plan PDF ({len(first) // 1024} KB), p{p} ({len(timings)})", percentile(timings, p), "ms", [percentile(timings, p)]))
        stop(proc)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"{'measure':<52} {'median':>10}  unit  runs")
    for name, value, unit, runs in results:
        print(f"{name:<52} {value:>10.1f}  {unit:<4}  {', '.join(f'{r:.0f}' for r in runs)}")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"
    out = {
        "machine": machine,
        "quick": QUICK,
        "measures": [{"name": n, "median": round(v, 2), "unit": u, "runs": [round(r, 2) for r in rs]} for n, v, u, rs in results],
    }
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "latest-startup-quick.json" if QUICK else "latest-startup.json"), "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
