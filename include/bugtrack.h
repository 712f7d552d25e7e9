/*
 * bugtrack.h - public API of libbugtrack.
 *
 * libbugtrack turns a C service's critical errors (and crashes) into
 * deduplicated bug tickets with exact occurrence counts, kept in a database
 * (one SQLite file by default, or PostgreSQL for a fleet), and keeps a
 * lifecycle around those tickets for people and automated agents: statuses,
 * an audit trail, claims with leases, notes, resolution, merges, reports.
 *
 * <bugtrack.h> is the one include.  The API is declared by concern in the
 * parts under bugtrack/ (version, errors, db, capture, ticket, lifecycle,
 * audit, log, purge, vocab, schema, check, report, import, crash, token);
 * each part includes the parts it needs.  The section-3 pages are generated
 * from these headers' comments (doc/gen_man3.py).
 *
 * ABI rules (see README, "Stability"):
 *  - handles are opaque; option structs are versioned by their first member;
 *  - error codes and enum values are append-only;
 *  - every exported symbol is listed in lib/libbugtrack.sym, in the version
 *    node of the release that added it.
 *
 * Threads: thread-safety is stated per function.  "Thread-safe" means the
 * function may be called from several threads at once, including on the
 * same bt_db.  Capture on a default (asynchronous) handle only touches its
 * queue; other calls on one handle run one at a time, each failing with
 * BT_EBUSY by its own deadline.  bt_close() must not race with other calls
 * on the same handle.
 *
 * Processes: many processes may open the same database at once.  A handle
 * carried across fork() is adopted on its first use in the child, which
 * gets a connection, writer and queue of its own; daemonizing, pre-forked
 * workers, a fork per request and fork then exec need no code in the host.
 * Pending occurrences are committed at bt_close(), at exit() and when the
 * library is unloaded, each within the busy timeout.  No function is
 * async-signal-safe; a capture call that interrupts a capture call on the
 * same thread is refused with BT_EBUSY and counted as dropped.  The library
 * never writes to stdout or stderr.
 */
#ifndef BUGTRACK_H
#define BUGTRACK_H

#include "bugtrack/common.h"
#include "bugtrack/version.h"
#include "bugtrack/errors.h"
#include "bugtrack/db.h"
#include "bugtrack/capture.h"
#include "bugtrack/ticket.h"
#include "bugtrack/lifecycle.h"
#include "bugtrack/audit.h"
#include "bugtrack/log.h"
#include "bugtrack/purge.h"
#include "bugtrack/vocab.h"
#include "bugtrack/schema.h"
#include "bugtrack/check.h"
#include "bugtrack/report.h"
#include "bugtrack/import.h"
#include "bugtrack/crash.h"
#include "bugtrack/token.h"

#endif /* BUGTRACK_H */
