"""Runs a command, measures its wall time and peak memory (max RSS of the child), and merges
them with the JSON line the command prints last.

    python measure.py LABEL -- COMMAND...
"""
import json
import resource
import subprocess
import sys
import time

label = sys.argv[1]
cmd = sys.argv[sys.argv.index("--") + 1:]
t0 = time.perf_counter()
out = subprocess.run(cmd, capture_output=True, text=True)
wall = time.perf_counter() - t0
if out.returncode != 0:
    sys.stderr.write(out.stdout[-2000:] + out.stderr[-4000:])
    sys.exit(out.returncode)
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
record = json.loads([l for l in out.stdout.splitlines() if l.startswith("{")][-1])
record.setdefault("total_s", wall)
record.setdefault("peak_mib", peak_kib / 1024.0)
record["label"] = label
print(json.dumps(record), flush=True)
