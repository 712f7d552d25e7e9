#!/usr/bin/env python3
"""A remediation agent for bugtrackd, with nothing but Python's standard
library: it long-polls the pending queue, claims a ticket, says what it is
doing in a note, "fixes" it, and resolves it with a commit SHA.

    tok=$(bugtrack token create fixer-1 --scope agent | tail -1)
    BUGTRACKD_TOKEN=$tok examples/agent.py --url http://127.0.0.1:8080

A real agent would do its work where `fix()` is.  Every change it makes is
recorded with its token's name as the actor.  --once handles one ticket and
exits (the test runs it so); --wait is the long poll's length in seconds.
"""
import argparse
import json
import os
import sys
import urllib.error
import urllib.request


class Api:
    def __init__(self, url, token):
        self.base = url.rstrip("/") + "/api/v1"
        self.token = token

    def call(self, method, path, body=None, timeout=90):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")


def fix(ticket):
    """Where a real agent works: here, a pretend commit."""
    return "0" * 39 + "1"


def handle(api, agent, ticket):
    number = ticket["number"]
    status, doc = api.call("POST", f"/tickets/{number}/claim", {"agent": agent, "lease": 300})
    if status == 409:  # another agent was first: fine, it is theirs
        return False
    if status != 200:
        raise RuntimeError(f"claim {number}: {status} {doc}")
    claim = doc["claim_token"]
    api.call("POST", f"/tickets/{number}/events",
             {"note": f"{agent} is looking at {ticket['title']!r}", "token": claim})
    commit = fix(ticket)
    status, doc = api.call("POST", f"/tickets/{number}/resolve",
                           {"notes": "fixed by the example agent", "commit": commit,
                            "token": claim})
    if status != 200:
        raise RuntimeError(f"resolve {number}: {status} {doc}")
    print(f"{agent}: resolved {number} with {commit}", flush=True)
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://127.0.0.1:8080", help="bugtrackd's address")
    ap.add_argument("--agent", default="agent:example", help="the name claims are made under")
    ap.add_argument("--wait", type=int, default=30, help="long poll seconds")
    ap.add_argument("--once", action="store_true", help="handle one ticket, then exit")
    args = ap.parse_args()
    token = os.environ.get("BUGTRACKD_TOKEN")
    if not token:
        sys.exit("agent.py: set BUGTRACKD_TOKEN to a token with the agent scope")
    api = Api(args.url, token)
    while True:
        # Answers at once when something is pending, else when one becomes
        # pending, else after --wait seconds with [].
        status, pending = api.call("GET", f"/pending?agent={args.agent}&wait={args.wait}",
                                   timeout=args.wait + 30)
        if status != 200:
            sys.exit(f"agent.py: GET /pending: {status} {pending}")
        for ticket in pending:
            if handle(api, args.agent, ticket) and args.once:
                return 0


if __name__ == "__main__":
    sys.exit(main())
