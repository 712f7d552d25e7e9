#!/usr/bin/env python3
"""bugtrackd's systemd unit: it names the installed binary, carries the
hardening README promises, and systemd-analyze verify accepts it (pointed
at the built binary), where systemd-analyze exists."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HARDENING = ["DynamicUser=yes", "NoNewPrivileges=yes", "ProtectSystem=strict",
             "ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes",
             "CapabilityBoundingSet=", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
             "SystemCallFilter=@system-service", "MemoryDenyWriteExecute=yes",
             "StateDirectory=bugtrack", "KillSignal=SIGTERM"]


def main(unit, binary):
    text = open(unit).read()
    lines = set(text.splitlines())
    failed = [h for h in HARDENING if h not in lines]
    for h in failed:
        print(f"FAIL: the unit lacks {h}")
    m = re.search(r"^ExecStart=(\S+)/bugtrackd --db \$\{BUGTRACK_DB\} --listen "
                  r"\$\{BUGTRACKD_LISTEN\}$", text, re.M)
    if not m or "@" in m.group(1):
        print("FAIL: ExecStart does not name the installed bugtrackd")
        failed.append("ExecStart")
    if shutil.which("systemd-analyze") and m:
        with tempfile.TemporaryDirectory() as tmp:
            copy = os.path.join(tmp, "bugtrackd.service")
            with open(copy, "w") as f:
                f.write(text.replace(m.group(1) + "/bugtrackd", os.path.abspath(binary)))
            # --man=no: Documentation=man:bugtrackd(8) names a page that is
            # installed with the daemon, not on the machine that builds it.
            p = subprocess.run(["systemd-analyze", "verify", "--man=no", copy],
                               capture_output=True, text=True)
            # Only this unit's own complaints count (the host's other units
            # may have theirs).
            own = [ln for ln in (p.stdout + p.stderr).splitlines() if "bugtrackd.service" in ln]
            if p.returncode != 0 or own:
                print("FAIL: systemd-analyze verify:\n" + "\n".join(own or [p.stderr]))
                failed.append("verify")
    else:
        print("note: systemd-analyze is not here; the unit's syntax was not verified")
    print(f"{len(HARDENING) + 2} checks, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
