#!/usr/bin/env python3
"""The load benchmark, run by `scripts/bench` (which builds the release binary, installs wrk and
starts a durable PostgreSQL first). Do not run it directly unless you pass what that script does.

For each backend (SQLite, then PostgreSQL) it:
  1. generates the synthetic population (`carethread generate --people N --cases M --seed 1`),
     timing it;
  2. adds one key worker to the first synthetic team, with a password and an API token: they see
     that team's cases, an eighth of the whole, as a real key worker of that team would;
  3. starts `carethread serve` on loopback and measures each scenario with wrk (16 connections,
     2 threads, a warm-up run first that is not counted);
  4. records the server's peak resident memory (VmHWM) after the scenarios.
Then it loads the peers (bench/peer_systems.py) with the Patients, CarePlans and Tasks the SQLite
run's export returned and runs the four FHIR scenarios against each, with the same requests.

Every request is checked: a scenario with any non-2xx/3xx answer or socket error reports it in
`errors`. Results go to a table on stdout and to bench/results/latest.json.
"""
import argparse, collections, datetime, http.cookiejar, json, os, platform, re, shutil, sqlite3, subprocess, sys, tempfile, time
import urllib.error, urllib.parse, urllib.request

import peer_systems
from peer_systems import TYPES as PEER_TYPES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# scripts/bench builds the release binary, or names another build in CARETHREAD_BIN.
BIN = os.environ.get("CARETHREAD_BIN") or os.path.join(ROOT, "target", "release", "carethread")
LUA = os.path.join(ROOT, "bench", "wrk", "scenario.lua")
PASSWORD = "bench-password-not-secret-1"
USERNAME = "bench-keyworker"
THEMES = ["circle-of-support", "about-me", "problem-toolkits", "joining-in", "keeping-safe", "progress"]
VOTES = ["progressed", "unchanged", "slipped-back"]


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def run(args, **kw):
    return subprocess.run(args, check=True, text=True, capture_output=True, **kw)


class Sql:
    """Reads sample ids straight from the database the run generated (the harness's own
    bookkeeping, not a measured path): sqlite3 for SQLite, psql for PostgreSQL."""

    def __init__(self, url):
        self.url = url

    def rows(self, query):
        if self.url.startswith("sqlite://"):
            con = sqlite3.connect(self.url[len("sqlite://"):])
            try:
                return list(con.execute(query))
            finally:
                con.close()
        out = run(["psql", self.url, "-AtF", "\t", "-c", query]).stdout
        return [tuple(line.split("\t")) for line in out.splitlines() if line]


def uuid_sql(url, column):
    """SQLite keeps UUIDs as 16-byte blobs; PostgreSQL as uuid. Both come back as text."""
    if url.startswith("sqlite://"):
        h = f"lower(hex({column}))"
        return (f"substr({h},1,8)||'-'||substr({h},9,4)||'-'||substr({h},13,4)||'-'||substr({h},17,4)||'-'||substr({h},21,12)")
    return f"{column}::text"


def generate(db_url, people, cases):
    began = time.perf_counter()
    run([BIN, "generate", "--people", str(people), "--cases", str(cases), "--seed", "1", "--db", db_url])
    return time.perf_counter() - began


def add_bench_user(db_url):
    subprocess.run([BIN, "user", "add", "--username", USERNAME, "--role", "key-worker", "--name", "Bench Key Worker",
                    "--org", "Synthetic Care Partnership 1", "--team", "Synthetic team 1", "--password-stdin",
                    "--db", db_url], input=PASSWORD + "\n", check=True, text=True, capture_output=True)
    out = run([BIN, "token", "create", "--username", USERNAME, "--db", db_url]).stdout
    return out.strip().splitlines()[-1].strip()


def start_server(db_url, work):
    logf = open(os.path.join(work, "server.log"), "w")
    proc = subprocess.Popen([BIN, "serve", "--db", db_url, "--addr", "127.0.0.1:0"], stdout=subprocess.PIPE,
                            stderr=logf, text=True)
    for line in proc.stdout:
        m = re.search(r"ready on (http://[0-9.:]+)", line)
        if m:
            base = m.group(1)
            break
    else:
        raise SystemExit("carethread did not start; see " + logf.name)
    # Keep reading its output so the pipe never fills.
    subprocess.Popen(["cat"], stdin=proc.stdout, stdout=subprocess.DEVNULL)
    for _ in range(500):
        try:
            if urllib.request.urlopen(base + "/readyz", timeout=2).status == 200:
                return proc, base
        except Exception:
            time.sleep(0.02)
    raise SystemExit("carethread never became ready")


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def sign_in(base):
    """Signs the bench user in like a browser; returns (cookie header, form token)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/sign-in", timeout=10).read().decode()
    token = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"_csrf": token, "username": USERNAME, "password": PASSWORD, "next": "/caseload"})
    caseload = opener.open(base + "/sign-in", data=form.encode(), timeout=30).read().decode()
    if "My caseload" not in caseload:
        raise SystemExit("the bench user could not sign in")
    session_token = re.search(r'name="_csrf" value="([^"]+)"', caseload).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, session_token


Sample = collections.namedtuple("Sample", "people plans key_workers tasks open_reviews")


def samples(db_url, limit):
    """Ids from the first synthetic team's cases, which the bench user may see."""
    sql = Sql(db_url)
    u = lambda c: uuid_sql(db_url, c)
    team = f"(SELECT id FROM teams WHERE name = 'Synthetic team 1')"
    people = [r[0] for r in sql.rows(
        f"SELECT {u('c.person_id')} FROM cases c WHERE c.team_id = {team} ORDER BY c.person_id LIMIT {limit}")]
    plans = [r[0] for r in sql.rows(
        f"SELECT {u('v.id')} FROM plan_versions v JOIN cases c ON c.person_id = v.person_id "
        f"WHERE c.team_id = {team} ORDER BY v.id LIMIT {limit}")]
    key_workers = [r[0] for r in sql.rows(
        f"SELECT {u('id')} FROM users WHERE team_id = {team} AND username LIKE 'synthetic-%' ORDER BY username")]
    tasks = [r for r in sql.rows(
        f"SELECT {u('t.id')}, {u('t.person_id')} FROM tasks t JOIN cases c ON c.person_id = t.person_id "
        f"WHERE c.team_id = {team} AND t.owner_kind = 'person' AND t.status IN ('accepted', 'in-progress') "
        f"ORDER BY t.id LIMIT {limit}")]
    open_reviews = [r for r in sql.rows(
        f"SELECT {u('r.person_id')}, {u('r.id')}, {u('a.id')} FROM reviews r "
        f"JOIN cases c ON c.person_id = r.person_id JOIN review_attendees a ON a.review_id = r.id "
        f"WHERE c.team_id = {team} AND r.status = 'scheduled' AND a.attendance IN ('present', 'sent-views') "
        f"ORDER BY r.id, a.id LIMIT {limit}")]
    return Sample(people, plans, key_workers, tasks, open_reviews)


def write_lines(path, lines):
    with open(path, "w") as f:
        for method, target, body in lines:
            f.write(f"{method}\t{target}\t{body or ''}\n")
    return path


def wrk(base, lines_file, headers, seconds, mode=None, timeout="10s"):
    """Runs wrk twice: a warm-up (not counted), then the measured run. In write mode the two runs
    update different Tasks, since each run starts from the versions the generator wrote. A request
    not answered within `timeout` counts as an error."""
    args = ["wrk", "-t2", "-c16", "--timeout", timeout, "-s", LUA]
    for h in headers:
        args += ["-H", h]
    warm_file, measured_file = lines_file, lines_file
    if mode == "write":
        with open(lines_file) as f:
            lines = f.readlines()
        creates = [l for l in lines if l.startswith("POST")]
        updates = [l for l in lines if l.startswith("PUT")]
        warm_file, measured_file = lines_file + ".warm", lines_file + ".measured"
        with open(warm_file, "w") as f:
            f.writelines(creates + updates[: len(updates) // 2])
        with open(measured_file, "w") as f:
            f.writelines(creates + updates[len(updates) // 2:])
    mode_args = [mode, "2"] if mode else []
    run(args + [f"-d{max(1, seconds // 3)}s", base, "--", warm_file] + mode_args)
    out = run(args + [f"-d{seconds}s", base, "--", measured_file] + mode_args).stdout
    m = re.search(r"^RESULT (\{.*\})$", out, re.M)
    if not m:
        raise SystemExit("wrk printed no result:\n" + out)
    return json.loads(m.group(1))


def report_failure(name, result, server_log):
    """Says what went wrong in a scenario with errors: wrk's kinds of error, the statuses the
    server answered, and the end of the server's log (the scratch folder is deleted after the run)."""
    log(f"   {name} failed: {json.dumps(result['error_kinds'])}; failed statuses {json.dumps(result['failed_statuses'])}")
    show_server_log(server_log)


def show_server_log(path):
    with open(path) as f:
        tail = f.readlines()[-40:]
    log("   the server's log, last lines:\n" + "".join("     | " + line for line in tail))


def export_rate(base, token, keep=None):
    """Kicks off $export of everything the user may see, polls until done, and counts the
    resources in the files: resources per second from kick-off to the last file read. With
    `keep` (a folder), the Patients, CarePlans and Tasks are also written there, one NDJSON file
    per type: the data the peers are loaded with."""
    auth = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json", "Prefer": "respond-async"}
    began = time.perf_counter()
    req = urllib.request.Request(base + "/fhir/$export", headers=auth)
    with urllib.request.urlopen(req, timeout=60) as r:
        status_url = r.headers["Content-Location"]
    while True:
        with urllib.request.urlopen(urllib.request.Request(status_url, headers=auth), timeout=60) as r:
            if r.status == 200:
                manifest = json.loads(r.read())
                break
        time.sleep(0.05)
    resources = 0
    for item in manifest["output"]:
        kept = None
        if keep and item["type"] in PEER_TYPES:
            os.makedirs(keep, exist_ok=True)
            kept = open(os.path.join(keep, f"{item['type']}.ndjson"), "ab")
        with urllib.request.urlopen(urllib.request.Request(item["url"], headers=auth), timeout=300) as r:
            for line in r:
                if line.strip():
                    resources += 1
                    if kept:
                        kept.write(line)
        if kept:
            kept.close()
    took = time.perf_counter() - began
    return resources, took


def fhir_scenarios(f, sample):
    """The FHIR scenarios, as (name, request file, mode): the same requests for Carethread and
    for the peers. Searches ask for 20 rows a page, the peers' default, so all do the same work."""
    return [
        ("fhir-read", f("read", [x for i, p in enumerate(sample.people)
                                 for x in [("GET", f"/fhir/Patient/{p}", None),
                                           ("GET", f"/fhir/CarePlan/{sample.plans[i % len(sample.plans)]}", None)]]),
         None),
        ("fhir-search-careplan-subject",
         f("search-careplan", [("GET", f"/fhir/CarePlan?subject=Patient/{p}&_count=20", None) for p in sample.people]),
         None),
        ("fhir-search-task-owner-status",
         f("search-task", [("GET", f"/fhir/Task?owner=Practitioner/{k}&status={s}&_count=20", None)
                           for k in sample.key_workers for s in ["requested", "accepted", "in-progress", "on-hold"]]),
         None),
        ("fhir-write", f("write", [("POST", "/fhir/Task", json.dumps(new_task(p), separators=(",", ":")))
                                   for p in sample.people] +
                              [("PUT", f"/fhir/Task/{t}", json.dumps(task_body(t, p), separators=(",", ":")))
                               for t, p in sample.tasks]),
         "write"),
    ]


def measure(system, base, server_log, scenarios, seconds, dataset, timeout="10s"):
    """Runs each (name, request file, headers, mode) under wrk; one result row each."""
    results = []
    for name, lines_file, headers, mode in scenarios:
        r = wrk(base, lines_file, headers, seconds, mode, timeout)
        rps = r["requests"] / r["seconds"]
        log(f"   {name:<32} {rps:>9,.0f} req/s  p50 {r['p50_ms']:.2f}  p99 {r['p99_ms']:.2f} ms  errors {r['errors']}")
        if r["errors"]:
            report_failure(name, r, server_log)
        results.append({"scenario": name, "system": system, "rps": round(rps, 1), "p50_ms": r["p50_ms"],
                        "p95_ms": r["p95_ms"], "p99_ms": r["p99_ms"], "errors": r["errors"], "dataset": dataset})
    return results


def run_scenarios(system, proc, base, work, token, seconds, sample, dataset, keep_export):
    """Every scenario against the running server, then the export (its Patients, CarePlans and
    Tasks kept in `keep_export` when given, to load the peers with); peak RSS at the end."""
    cookie, csrf = sign_in(base)
    bearer = [f"Authorization: Bearer {token}", "Accept: application/fhir+json"]
    f = lambda name, lines: write_lines(os.path.join(work, f"{system}-{name}.tsv"), lines)
    scenarios = [("baseline-http", f("baseline", [("GET", "/healthz", None)]), [], None)]
    for name, lines_file, mode in fhir_scenarios(f, sample):
        headers = bearer + (["Content-Type: application/fhir+json"] if mode == "write" else [])
        scenarios.append((name, lines_file, headers, mode))
    scenarios += [
        ("case-page", f("case-page", [("GET", f"/people/{p}", None) for p in sample.people]),
         [f"Cookie: {cookie}", "Accept: text/html"], None),
        ("vote-record", f("vote", [("POST", f"/people/{p}/reviews/{r}/votes/{a}", ballot(csrf, i))
                                   for i, (p, r, a) in enumerate(sample.open_reviews)]),
         [f"Cookie: {cookie}", "Content-Type: application/x-www-form-urlencoded"], None),
    ]
    results = measure(system, base, os.path.join(work, "server.log"), scenarios, seconds, dataset)
    resources, export_took = export_rate(base, token, keep_export)
    rate = resources / export_took
    log(f"   {'export':<32} {rate:>9,.0f} resources/s ({resources:,} resources in {export_took:.1f} s)")
    results.append({"scenario": "export", "system": system, "rps": round(rate, 1), "p50_ms": None,
                    "p95_ms": None, "p99_ms": None, "errors": 0,
                    "dataset": f"{dataset}; {resources:,} resources exported"})
    rss = peak_rss_mb(proc.pid)
    for r in results:
        r["rss_mb"] = round(rss, 1)
    return results


def measure_backend(system, db_url, work, people, cases, seconds, keep_export=None):
    log(f"== {system}: generating {people:,} people, {cases:,} cases")
    took = generate(db_url, people, cases)
    log(f"   {people / took:,.0f} people/s ({took:.1f} s)")
    token = add_bench_user(db_url)
    sample = samples(db_url, 2000)
    if not all(sample):
        raise SystemExit(f"{system}: the generated data has no cases, plans, tasks or open reviews for the bench user")
    dataset = f"{people:,} people, {cases:,} cases; bench user's team: {len(sample.people):,} sampled cases"
    proc, base = start_server(db_url, work)
    try:
        results = run_scenarios(system, proc, base, work, token, seconds, sample, dataset, keep_export)
    except BaseException:
        show_server_log(os.path.join(work, "server.log"))
        raise
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    results.append({"scenario": "generate", "system": system, "rps": round(people / took, 1), "p50_ms": None,
                    "p95_ms": None, "p99_ms": None, "errors": 0, "rss_mb": None,
                    "dataset": f"{people:,} people, {cases:,} cases (people per second)"})
    return results, sample, dataset


def measure_peer(peer, exported, work, sample, dataset, seconds):
    """The FHIR scenarios against one peer, loaded with what Carethread exported."""
    counts = {}
    for name in os.listdir(exported):
        with open(os.path.join(exported, name)) as f:
            counts[name.split(".")[0]] = sum(1 for line in f if line.strip())
    loaded = ", ".join(f"{n:,} {t}s" for t, n in sorted(counts.items()))
    log(f"== {peer.system}: loading {loaded}")
    proc, base, took = peer.start(exported, work)
    log(f"   loaded and ready in {took:.1f} s")
    try:
        check_peer_answers(peer.system, base, exported, sample)
    except BaseException:
        proc.terminate()
        raise
    f = lambda name, lines: write_lines(os.path.join(work, f"{peer.system}-{name}.tsv"), lines)
    accept = ["Accept: application/fhir+json"]
    scenarios = [(name, lines_file, accept + (["Content-Type: application/fhir+json"] if mode else []), mode)
                 for name, lines_file, mode in fhir_scenarios(f, sample)]
    try:
        # Medplum's in-memory searches scan every resource of the type: on the full data set some
        # took over 10 s (wrk's limit for Carethread), which is slow, not broken. A minute each.
        results = measure(peer.system, base, peer.log_path, scenarios, seconds,
                          f"{dataset}; the peer holds the bench user's {loaded} from Carethread's export",
                          timeout="60s")
        rss = peak_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    for r in results:
        r["rss_mb"] = round(rss, 1)
    return results


def check_peer_answers(system, base, exported, sample):
    """A peer's searches must find what is in the data it holds, or comparing speeds would
    compare different work: the first sampled searches' totals are checked against the files."""
    def resources(kind):
        with open(os.path.join(exported, f"{kind}.ndjson")) as f:
            return [json.loads(line) for line in f if line.strip()]
    plans = collections.Counter(r["subject"]["reference"] for r in resources("CarePlan"))
    tasks = collections.Counter((r.get("owner", {}).get("reference"), r["status"]) for r in resources("Task"))
    asks = [(f"/fhir/CarePlan?subject=Patient/{p}&_count=20", plans[f"Patient/{p}"]) for p in sample.people[:5]]
    asks += [(f"/fhir/Task?owner=Practitioner/{k}&status={s}&_count=20", tasks[(f"Practitioner/{k}", s)])
             for k in sample.key_workers[:2] for s in ["requested", "accepted", "in-progress", "on-hold"]]
    for path, expected in asks:
        req = urllib.request.Request(base + path, headers={"Accept": "application/fhir+json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            total = json.loads(r.read()).get("total")
        if total != expected:
            raise SystemExit(f"{system} answered {path} with a total of {total}, but holds {expected}: "
                             "its speed would not be comparable")


def new_task(person):
    return {"resourceType": "Task", "status": "requested", "intent": "plan", "description": "Ring about the club",
            "for": {"reference": f"Patient/{person}"}, "owner": {"reference": f"Patient/{person}"},
            "restriction": {"period": {"end": "2027-06-30"}}}


def task_body(task, person):
    body = new_task(person)
    body.update({"id": task, "status": "__STATUS__", "description": "Book the annual health check"})
    return body


def ballot(csrf, i):
    fields = {"_csrf": csrf}
    for k, theme in enumerate(THEMES):
        fields[f"vote-{theme}"] = VOTES[(i + k) % 3]
    return urllib.parse.urlencode(fields)


def table(runs):
    baseline = {r["system"]: r["rps"] for r in runs if r["scenario"] == "baseline-http"}
    peers = ("medplum-router", "sekmet")
    head = f"{'scenario':<31} {'system':<20} {'req/s':>10} {'p50':>7} {'p95':>7} {'p99':>7} {'err':>4} {'RSS MB':>7} {'vs peer':>8} {'vs base':>8}"
    lines = [head, "-" * len(head)]
    fmt = lambda v: "-" if v is None else f"{v:.2f}"
    for r in runs:
        best_peer = max((p["rps"] for p in runs if p["scenario"] == r["scenario"] and p["system"] in peers), default=None)
        vs_peer = "-" if not best_peer or r["system"] in peers else f"{r['rps'] / best_peer:.2f}x"
        base = baseline.get(r["system"])
        vs_base = f"{r['rps'] / base:.2f}" if base and r["scenario"] not in ("export", "generate") else "-"
        rss = "-" if r.get("rss_mb") is None else f"{r['rss_mb']:.0f}"
        lines.append(f"{r['scenario']:<31} {r['system']:<20} {r['rps']:>10,.0f} {fmt(r['p50_ms']):>7} {fmt(r['p95_ms']):>7} "
                     f"{fmt(r['p99_ms']):>7} {r['errors']:>4} {rss:>7} {vs_peer:>8} {vs_base:>8}")
    return "\n".join(lines)


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) // 1024 // 1024
    return f"{cpu}, {os.cpu_count()} cores, {mem} GiB, {platform.system()} {platform.release()}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--postgres-url", required=True)
    a = ap.parse_args()
    # Only a full run's figures are kept in the repository; a quick run's are for looking at.
    output = os.path.join(ROOT, "bench", "results", "latest-quick.json" if a.quick else "latest.json")
    people, cases, seconds = (10_000, 1_000, 2) if a.quick else (1_000_000, 100_000, 15)
    work = tempfile.mkdtemp(prefix="carethread-bench-")
    began = time.perf_counter()
    runs = []
    exported = os.path.join(work, "exported")
    try:
        for peer in peer_systems.ALL:
            peer.install()
        results, sample, dataset = measure_backend("carethread-sqlite", f"sqlite://{work}/bench.db", work,
                                                   people, cases, seconds, keep_export=exported)
        runs += results
        pg_db = "carethread_bench"
        run(["psql", a.postgres_url, "-qc", f"DROP DATABASE IF EXISTS {pg_db}"])
        run(["psql", a.postgres_url, "-qc", f"CREATE DATABASE {pg_db}"])
        pg_url = a.postgres_url.rsplit("/", 1)[0] + "/" + pg_db
        runs += measure_backend("carethread-postgres", pg_url, work, people, cases, seconds)[0]
        for peer in peer_systems.ALL:
            runs += measure_peer(peer, exported, work, sample, dataset, seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(table(runs))
    out = {
        "machine": machine(),
        "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "quick": a.quick,
        "load": "wrk, 2 threads, 16 connections, on the same 2 cores as the server; warm-up run not counted",
        "seconds_per_scenario": seconds,
        "took_seconds": round(time.perf_counter() - began),
        "runs": runs,
    }
    os.makedirs(os.path.dirname(output), exist_ok=True)
    with open(output, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    errors = sum(r["errors"] for r in runs)
    if errors:
        raise SystemExit(f"{errors} requests failed: a benchmark must run without errors")


if __name__ == "__main__":
    main()
