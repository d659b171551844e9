"""Loads NDJSON files into a SEKMET database through SEKMET's own store, keeping each resource's
id (run by bench/peers.py with SEKMET's virtualenv): `python sekmet_load.py DB FILE...`.
One transaction for everything, as SEKMET's own seeding writes."""
import json
import sys

from sekmet.fhir.store import Store

store = Store(sys.argv[1])
loaded = 0
with store.transaction():
    for path in sys.argv[2:]:
        with open(path) as f:
            for line in f:
                if line.strip():
                    store.create(json.loads(line), origin="load", keep_id=True)
                    loaded += 1
print(loaded)
