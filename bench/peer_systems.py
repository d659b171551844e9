"""The peers scripts/bench measures Carethread against, each installed into bench/cache (never
committed) and loaded with the same resources Carethread serves: the Patients, CarePlans and
Tasks the bench user's `$export` returned, ids kept and each at version 1, so the very same
request files run against every system.

- medplum-router: Medplum's FHIR router (npm @medplum/fhir-router) over its in-memory
  repository, behind the small Node HTTP server in bench/peers/medplum/server.mjs.
- sekmet: the SEKMET FHIR server (PyPI sekmet-fhir), a Python server on SQLite, started with
  `sekmet serve --host 127.0.0.1` as shipped, with its hospital simulator off (it would change the
  Tasks the benchmark updates) and its traffic log off (its settings say to, for load runs).

Neither checks who is asking or keeps an audit trail; Carethread does both on every request.
"""
import json, os, shutil, socket, subprocess, sys, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(ROOT, "bench", "cache")
HERE = os.path.join(ROOT, "bench", "peers")
SEKMET_VERSION = "0.1.1"
# The resource types the peers are loaded with: what the FHIR scenarios read, search and update.
TYPES = ("Patient", "CarePlan", "Task")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(proc, url, log_path, seconds=600):
    """Waits until `url` answers 200, failing with the peer's log if it dies or never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if urllib.request.urlopen(url, timeout=5).status == 200:
                return
        except Exception:
            time.sleep(0.2)
    proc.kill()
    with open(log_path) as f:
        tail = "".join(f.readlines()[-30:])
    raise SystemExit(f"the peer at {url} did not start:\n{tail}")


class Medplum:
    system = "medplum-router"

    def install(self):
        """npm ci of the pinned packages into bench/cache/medplum, when the lock file changed."""
        dest = os.path.join(CACHE, "medplum")
        os.makedirs(dest, exist_ok=True)
        lock = os.path.join(HERE, "medplum", "package-lock.json")
        cached_lock = os.path.join(dest, "package-lock.json")
        fresh = os.path.exists(cached_lock) and open(cached_lock).read() == open(lock).read()
        for name in ("package.json", "package-lock.json", "server.mjs"):
            shutil.copy(os.path.join(HERE, "medplum", name), dest)
        if not (fresh and os.path.isdir(os.path.join(dest, "node_modules", "@medplum", "fhir-router"))):
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=dest, check=True)
        self.dir = dest

    def start(self, data, work):
        """Starts the server, which loads the data before it listens; returns (process, base URL,
        seconds taken to load)."""
        port = free_port()
        log_path = self.log_path = os.path.join(work, "medplum.log")
        files = [os.path.join(data, f"{t}.ndjson") for t in TYPES if os.path.exists(os.path.join(data, f"{t}.ndjson"))]
        began = time.perf_counter()
        proc = subprocess.Popen(["node", "--experimental-websocket", "--max-old-space-size=8192",
                                 os.path.join(self.dir, "server.mjs"), str(port), *files],
                                stdout=subprocess.DEVNULL, stderr=open(log_path, "w"), cwd=self.dir)
        base = f"http://127.0.0.1:{port}"
        wait_ready(proc, f"{base}/fhir/Patient?_count=1", log_path)
        return proc, base, time.perf_counter() - began


class Sekmet:
    system = "sekmet"

    def install(self):
        """A virtualenv in bench/cache/sekmet-venv with the pinned sekmet-fhir."""
        venv = os.path.join(CACHE, "sekmet-venv")
        python = os.path.join(venv, "bin", "python")
        have = subprocess.run([python, "-m", "pip", "show", "sekmet-fhir"], capture_output=True, text=True) \
            if os.path.exists(python) else None
        if not have or f"Version: {SEKMET_VERSION}" not in have.stdout:
            subprocess.run([sys.executable, "-m", "venv", venv], check=True)
            subprocess.run([python, "-m", "pip", "install", "-q", f"sekmet-fhir=={SEKMET_VERSION}"], check=True)
        self.venv = venv

    def start(self, data, work):
        """Loads the data through SEKMET's own store (one transaction, as a seed would), then
        starts `sekmet serve`; returns (process, base URL, seconds taken to load)."""
        port = free_port()
        home = os.path.join(work, "sekmet")
        os.makedirs(home, exist_ok=True)
        db = os.path.join(home, "sekmet.db")
        settings = os.path.join(home, "settings.yaml")
        with open(settings, "w") as f:
            json.dump({"base_url": f"http://127.0.0.1:{port}/fhir", "db_path": db, "data_dir": home,
                       "log_inbound": False, "simulator": {"enabled": False}}, f)  # JSON is YAML
        files = [os.path.join(data, f"{t}.ndjson") for t in TYPES if os.path.exists(os.path.join(data, f"{t}.ndjson"))]
        began = time.perf_counter()
        subprocess.run([os.path.join(self.venv, "bin", "python"), os.path.join(HERE, "sekmet_load.py"), db, *files],
                       check=True, cwd=home, capture_output=True, text=True)
        log_path = self.log_path = os.path.join(work, "sekmet.log")
        proc = subprocess.Popen([os.path.join(self.venv, "bin", "sekmet"), "serve", "--config", settings,
                                 "--host", "127.0.0.1", "--port", str(port)],
                                stdout=open(log_path, "w"), stderr=subprocess.STDOUT, cwd=home)
        base = f"http://127.0.0.1:{port}"
        wait_ready(proc, f"{base}/fhir/metadata", log_path)
        return proc, base, time.perf_counter() - began


ALL = (Medplum(), Sekmet())
