/*
 * bugtrack.h - public API of libbugtrack.
 *
 * libbugtrack turns a C service's critical errors (and crashes) into
 * deduplicated bug tickets with exact occurrence counts, kept in a database
 * (one SQLite file by default).
 *
 * This file is the one include.  The API is declared by concern in the
 * files of include/bugtrack/ (version, errors, db, capture, ticket,
 * lifecycle, audit, log, purge, vocab, schema, check, report, import, crash,
 * token); each part includes the parts it needs.
 *
 * ABI rules (see README, "Stability"):
 *  - handles are opaque; option structs are versioned by their first member;
 *  - error codes and enum values are append-only;
 *  - every exported symbol is listed in lib/libbugtrack.sym, in the version
 *    node of the release that added it.
 *
 * Thread-safety is stated per function.  "Thread-safe" means the function may
 * be called from several threads at once, including on the same bt_db.
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
