#!/bin/sh
# Run the TRACK_ERRORS examples and log_wrapper on one scratch database and check, with
# sqlite3's own SQL through python3, the tickets each form must leave.
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for exe in "$@"; do
	"$exe" "$dir/examples.db"
done
python3 - "$dir/examples.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = {f"{c}:{t}:{f}": n for c, t, f, n in db.execute(
    "SELECT t.component, t.error_type, l.function, t.occurrence_count FROM tickets t"
    " JOIN error_logs l ON l.ticket_id = t.id GROUP BY t.id")}
want = {"config:ENOENT:main": 3, "sync:EBUSY:main": 1, "storage:ENOENT:main": 1,
        "cleanup:ENOENT:tracked_unlink": 2, "cleanup:ENOENT:tracked_fopen": 1,
        # log_wrapper: the callers of the host's helper, never the helper
        "wrapper:None:load_config": 2, "wrapper:None:connect_upstream": 1}
print("tickets:", rows)
if rows != want:
    sys.exit(f"unexpected tickets; wanted {want}")
PY
