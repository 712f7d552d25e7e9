/*
 * cmd_change.c - the commands that change tickets: update, assign, claim,
 * release, renew, resolve, note, merge and delete.
 *
 * They share one argument structure and one option switch; each command's
 * own option table decides which of the options it accepts.  Each prints one
 * line saying what changed (claim prints only the token, so that scripts can
 * capture it), and the library's message and an exit code when it refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define DEFAULT_LEASE 600
#define MAX_LEASE (10 * 365 * 86400) /* ten years */

typedef struct change_args {
	const char *actor, *note, *token, *status, *agent;
	const char *notes, *commit, *release, *into;
	const char *severity, *priority, *category; /* update only */
	int64_t expect_version, lease;
	int none, yes;
} change_args;

#define OPTION_ACTOR { "actor", required_argument, NULL, OPT_ACTOR }
#define OPTION_NOTE { "note", required_argument, NULL, OPT_NOTE }
#define OPTION_TOKEN { "token", required_argument, NULL, OPT_TOKEN }
#define OPTION_EXPECT { "expect-version", required_argument, NULL, OPT_EXPECT_VERSION }
#define OPTION_LEASE { "lease", required_argument, NULL, OPT_LEASE }
#define OPTIONS_END { NULL, 0, NULL, 0 }

static int change_option(cli *c, int o, change_args *a)
{
	switch (o) {
	case OPT_ACTOR:   a->actor = optarg; break;
	case OPT_NOTE:    a->note = optarg; break;
	case OPT_TOKEN:   a->token = optarg; break;
	case OPT_STATUS:  a->status = optarg; break;
	case OPT_AGENT:   a->agent = optarg; break;
	case OPT_NOTES:   a->notes = optarg; break;
	case OPT_COMMIT:  a->commit = optarg; break;
	case OPT_RELEASE: a->release = optarg; break;
	case OPT_INTO:    a->into = optarg; break;
	case OPT_NONE:    a->none = 1; break;
	case OPT_YES:     a->yes = 1; break;
	case OPT_SEVERITY: a->severity = optarg; break;
	case OPT_PRIORITY: a->priority = optarg; break;
	case OPT_CATEGORY: a->category = optarg; break;
	case OPT_EXPECT_VERSION:
		return cli_parse_int(c, "--expect-version", optarg, 1, INT64_MAX, &a->expect_version);
	case OPT_LEASE:
		return cli_parse_int(c, "--lease", optarg, 1, MAX_LEASE, &a->lease);
	default:
		return cli_usage_error(c, "unexpected option");
	}
	if (a->actor && !*a->actor)
		return cli_usage_error(c, "--actor must not be empty");
	return EXIT_OK;
}

/* Options, then between @p min and @p max operands.  Non-zero: stop with
 * c->exit_code. */
static int change_parse(cli *c, int argc, char **argv, const struct option *opts,
			int min, int max, const char *names, change_args *a)
{
	int o;

	memset(a, 0, sizeof(*a));
	a->lease = DEFAULT_LEASE;
	while ((o = cli_next_opt(c, argc, argv, opts)) > 0)
		if (change_option(c, o, a))
			return 1;
	return o < 0 || cli_operands(c, argc, argv, min, max, names);
}

static void change_options(const cli *c, const change_args *a, bt_update_options *o)
{
	cli_update_options(c, o, a->actor);
	o->note = a->note;
	o->claim_token = a->token;
	o->expected_version = a->expect_version;
}

/* Open the database and read ticket @p arg: what every change starts with. */
static int begin(cli *c, const char *arg, bt_db **db, bt_ticket **t)
{
	int rc = cli_open(c, CLI_WRITE, db);

	if (rc != EXIT_OK)
		return rc;
	rc = cli_ticket(*db, arg, t);
	if (rc != EXIT_OK) {
		bt_close(*db);
		*db = NULL;
	}
	return rc;
}

static void end(bt_db *db, bt_ticket *t)
{
	bt_ticket_free(t);
	bt_close(db);
}

/* Report a refused change, with a hint matched to what was asked. */
static int refused(int rc, const change_args *a, const bt_ticket *t)
{
	static char hint[160];

	if (rc == BT_ECONFLICT && a->expect_version) {
		snprintf(hint, sizeof(hint), "run 'bugtrack show %s' for its current version",
			 bt_ticket_number(t));
		return cli_fail(rc, hint);
	}
	if (rc == BT_ECONFLICT && a->token)
		return cli_fail(rc, "use the token that 'bugtrack claim' printed, while the lease is live");
	return cli_fail(rc, NULL);
}

/* "BUG-00042: <what> (version N)", reading the version back. */
static void changed(bt_db *db, const bt_ticket *before, const char *what)
{
	bt_ticket *after;
	char *clean = text_clean(what, 0);

	if (bt_ticket_get(db, bt_ticket_id(before), &after) == BT_OK) {
		printf("%s: %s (version %lld)\n", bt_ticket_number(before), clean,
		       (long long)bt_ticket_version(after));
		bt_ticket_free(after);
	} else {
		printf("%s: %s\n", bt_ticket_number(before), clean);
	}
	free(clean);
}

/* ---- update ---- */

static const struct option update_options[] = {
	CLI_COMMON_OPTIONS, { "status", required_argument, NULL, OPT_STATUS },
	{ "severity", required_argument, NULL, OPT_SEVERITY },
	{ "priority", required_argument, NULL, OPT_PRIORITY },
	{ "category", required_argument, NULL, OPT_CATEGORY },
	OPTION_NOTE, OPTION_ACTOR, OPTION_EXPECT, OPTION_TOKEN, OPTIONS_END
};

/* What update was asked to change, parsed once for every ticket. */
typedef struct update_want {
	bt_status status;
	bt_severity severity;
	bt_priority priority;
	int has_status, has_severity, has_priority, has_category;
	const char *category; /* NULL clears it */
} update_want;

static int update_want_parse(cli *c, const change_args *a, update_want *w)
{
	memset(w, 0, sizeof(*w));
	if (!a->status && !a->severity && !a->priority && !a->category)
		return cli_usage_error(c, "give at least one of --status, --severity, --priority "
				       "and --category");
	if (a->status && cli_parse_status(c, a->status, &w->status))
		return 1;
	if (a->severity && cli_parse_severity(c, a->severity, &w->severity))
		return 1;
	if (a->priority && bt_priority_from_name(a->priority, &w->priority) != BT_OK)
		return cli_usage_error(c, "%s", without_function(bt_error_message()));
	w->has_status = a->status != NULL;
	w->has_severity = a->severity != NULL;
	w->has_priority = a->priority != NULL;
	w->has_category = a->category != NULL;
	w->category = a->category && *a->category ? a->category : NULL;
	return 0;
}

/* Append ", <part>" to @p what. */
static void said(char *what, size_t size, const char *part)
{
	size_t len = strlen(what);

	snprintf(what + len, size - len, "%s%s", len ? ", " : "", part);
}

/* Apply @p w to ticket @p t with one bt_ticket_change(): one transaction,
 * so a refused field (a status move, a stale --expect-version) leaves every
 * other field as it was.  @p what lists the changes, status first. */
static int update_one(bt_db *db, const bt_ticket *t, const update_want *w, bt_update_options *o,
		      char *what, size_t size)
{
	bt_ticket_changes ch = BT_TICKET_CHANGES_INIT;
	char part[160];
	int rc = BT_OK;

	what[0] = '\0';
	if (w->has_status && bt_ticket_status(t) != w->status)
		ch.status = w->status;
	if (w->has_severity)
		ch.severity = w->severity;
	if (w->has_priority)
		ch.priority = w->priority;
	if (w->has_category)
		ch.category = w->category ? w->category : "";
	/* Only an unchanged status was asked: nothing to write. */
	if (ch.status || w->has_severity || w->has_priority || w->has_category)
		rc = bt_ticket_change(db, bt_ticket_id(t), &ch, o);
	if (rc != BT_OK)
		return rc;
	if (w->has_status && !ch.status) {
		snprintf(part, sizeof(part), "already %s", bt_status_name(w->status));
		said(what, size, part);
	} else if (w->has_status) {
		snprintf(part, sizeof(part), "%s -> %s", bt_status_name(bt_ticket_status(t)),
			 bt_status_name(w->status));
		said(what, size, part);
	}
	if (w->has_severity) {
		snprintf(part, sizeof(part), "severity %s", bt_severity_name(w->severity));
		said(what, size, part);
	}
	if (w->has_priority) {
		snprintf(part, sizeof(part), "priority %s", bt_priority_name(w->priority));
		said(what, size, part);
	}
	if (w->has_category) {
		snprintf(part, sizeof(part), w->category ? "category %s" : "category cleared",
			 w->category);
		said(what, size, part);
	}
	return BT_OK;
}

/* Each TICKET is read and changed on its own, and reported on its own
 * line (stdout) or with its error (stderr); the exit code is the first
 * failure's, after every ticket was tried. */
int cmd_update(cli *c, int argc, char **argv)
{
	bt_update_options o;
	update_want w;
	change_args a;
	bt_ticket *t;
	bt_db *db;
	char what[512];
	int rc, one, first = EXIT_OK;

	if (change_parse(c, argc, argv, update_options, 1, argc, "TICKET", &a))
		return c->exit_code;
	if (update_want_parse(c, &a, &w))
		return c->exit_code;
	if (argc - optind > 1 && (a.expect_version || a.token))
		return cli_usage_error(c, "--expect-version and --token hold for one ticket: "
				       "give one TICKET with them");
	rc = cli_open(c, CLI_WRITE, &db);
	if (rc != EXIT_OK)
		return rc;
	for (int i = optind; i < argc; i++) {
		one = cli_ticket(db, argv[i], &t);
		if (one == EXIT_OK) {
			change_options(c, &a, &o);
			one = update_one(db, t, &w, &o, what, sizeof(what));
			if (what[0])
				changed(db, t, what);
			one = one == BT_OK ? EXIT_OK : refused(one, &a, t);
			bt_ticket_free(t);
		}
		if (first == EXIT_OK)
			first = one;
	}
	bt_close(db);
	return first;
}

/* ---- assign ---- */

static const struct option assign_options[] = {
	CLI_COMMON_OPTIONS, { "none", no_argument, NULL, OPT_NONE },
	OPTION_ACTOR, OPTION_NOTE, OPTION_EXPECT, OPTION_TOKEN, OPTIONS_END
};

int cmd_assign(cli *c, int argc, char **argv)
{
	const char *assignee;
	bt_update_options o;
	change_args a;
	bt_ticket *t;
	bt_db *db;
	char *what;
	int rc;

	if (change_parse(c, argc, argv, assign_options, 1, 2, "TICKET", &a))
		return c->exit_code;
	if (a.none == (argc - optind == 2))
		return cli_usage_error(c, "give either an ASSIGNEE or --none");
	assignee = a.none ? NULL : argv[optind + 1];
	if (assignee && !*assignee)
		return cli_usage_error(c, "the assignee must not be empty; use --none to unassign");
	rc = begin(c, argv[optind], &db, &t);
	if (rc != EXIT_OK)
		return rc;
	change_options(c, &a, &o);
	rc = bt_ticket_assign(db, bt_ticket_id(t), assignee, &o);
	if (rc == BT_OK && assignee) {
		what = xmalloc(sizeof("assigned to ") + strlen(assignee));
		sprintf(what, "assigned to %s", assignee);
		changed(db, t, what);
		free(what);
	} else if (rc == BT_OK) {
		changed(db, t, "unassigned");
	}
	rc = rc == BT_OK ? EXIT_OK : refused(rc, &a, t);
	end(db, t);
	return rc;
}

/* ---- claims ---- */

static const struct option claim_options[] = {
	CLI_COMMON_OPTIONS, { "agent", required_argument, NULL, OPT_AGENT },
	OPTION_LEASE, OPTIONS_END
};

int cmd_claim(cli *c, int argc, char **argv)
{
	char token[BT_CLAIM_TOKEN_SIZE];
	change_args a;
	bt_ticket *t;
	bt_db *db;
	int rc;

	if (change_parse(c, argc, argv, claim_options, 1, 1, "TICKET", &a))
		return c->exit_code;
	if (!a.agent || !*a.agent)
		return cli_usage_error(c, "--agent is required, e.g. --agent agent:fixer-1");
	rc = begin(c, argv[optind], &db, &t);
	if (rc != EXIT_OK)
		return rc;
	rc = bt_ticket_claim(db, bt_ticket_id(t), a.agent, (int)a.lease, token);
	if (rc == BT_OK)
		printf("%s\n", token); /* only the token: scripts capture it */
	rc = rc == BT_OK ? EXIT_OK
	     : cli_fail(rc, rc == BT_EBUSY ? "wait for the lease to end, or ask its holder to release it"
					  : NULL);
	end(db, t);
	return rc;
}

static const struct option release_options[] = {
	CLI_COMMON_OPTIONS, OPTION_TOKEN, OPTION_ACTOR, OPTION_NOTE, OPTIONS_END
};

static const struct option renew_options[] = {
	CLI_COMMON_OPTIONS, OPTION_TOKEN, OPTION_LEASE, OPTION_ACTOR, OPTION_NOTE, OPTIONS_END
};

/* "claim renewed until ...", with the expiry the library recorded. */
static void renewed(bt_db *db, const bt_ticket *before)
{
	bt_ticket *after;
	char until[32], zone[16], what[80];

	if (bt_ticket_get(db, bt_ticket_id(before), &after) != BT_OK) {
		changed(db, before, "claim renewed");
		return;
	}
	format_time(bt_ticket_claim_expires_at(after), 1, until, sizeof(until));
	format_time_zone(bt_ticket_claim_expires_at(after), zone, sizeof(zone));
	snprintf(what, sizeof(what), "claim renewed until %s %s", until, zone);
	bt_ticket_free(after);
	changed(db, before, what);
}

/* release and renew: the same shape, a token and a ticket. */
static int claim_change(cli *c, int argc, char **argv, int renew)
{
	bt_update_options o;
	change_args a;
	bt_ticket *t;
	bt_db *db;
	int rc;

	if (change_parse(c, argc, argv, renew ? renew_options : release_options, 1, 1, "TICKET",
			 &a))
		return c->exit_code;
	if (!a.token)
		return cli_usage_error(c, "--token is required (the one 'bugtrack claim' printed)");
	rc = begin(c, argv[optind], &db, &t);
	if (rc != EXIT_OK)
		return rc;
	/* The token is the claim's, passed as its own argument: the options
	 * carry only who acts and why (a claim_token there would also demand
	 * a live lease, which a late renewal may not have). */
	cli_update_options(c, &o, a.actor);
	o.note = a.note;
	rc = renew ? bt_ticket_claim_renew_v2(db, bt_ticket_id(t), a.token, (int)a.lease, &o)
		   : bt_ticket_claim_release_v2(db, bt_ticket_id(t), a.token, &o);
	if (rc == BT_OK && renew)
		renewed(db, t);
	else if (rc == BT_OK)
		changed(db, t, "claim released");
	rc = rc == BT_OK ? EXIT_OK : refused(rc, &a, t);
	end(db, t);
	return rc;
}

int cmd_release(cli *c, int argc, char **argv) { return claim_change(c, argc, argv, 0); }
int cmd_renew(cli *c, int argc, char **argv) { return claim_change(c, argc, argv, 1); }

/* ---- resolve ---- */

/* Whether ticket @p before is still at its version: a change that changed
 * nothing. */
static int same_version(bt_db *db, const bt_ticket *before)
{
	bt_ticket *after;
	int same;

	if (bt_ticket_get(db, bt_ticket_id(before), &after) != BT_OK)
		return 0;
	same = bt_ticket_version(after) == bt_ticket_version(before);
	bt_ticket_free(after);
	return same;
}

static const struct option resolve_options[] = {
	CLI_COMMON_OPTIONS,
	{ "notes", required_argument, NULL, OPT_NOTES },
	{ "commit", required_argument, NULL, OPT_COMMIT },
	{ "release", required_argument, NULL, OPT_RELEASE },
	OPTION_ACTOR, OPTION_TOKEN, OPTION_EXPECT, OPTIONS_END
};

int cmd_resolve(cli *c, int argc, char **argv)
{
	bt_update_options o;
	change_args a;
	bt_ticket *t;
	bt_db *db;
	int rc;

	if (change_parse(c, argc, argv, resolve_options, 1, 1, "TICKET", &a))
		return c->exit_code;
	rc = begin(c, argv[optind], &db, &t);
	if (rc != EXIT_OK)
		return rc;
	change_options(c, &a, &o);
	rc = bt_ticket_resolve(db, bt_ticket_id(t), a.notes, a.commit, a.release, &o);
	if (rc == BT_OK)
		changed(db, t, same_version(db, t) ? "already resolved, nothing changed" : "resolved");
	rc = rc == BT_OK ? EXIT_OK : refused(rc, &a, t);
	end(db, t);
	return rc;
}

/* ---- note ---- */

static const struct option note_options[] = {
	CLI_COMMON_OPTIONS, OPTION_ACTOR, OPTION_TOKEN, OPTION_EXPECT, OPTIONS_END
};

int cmd_note(cli *c, int argc, char **argv)
{
	bt_update_options o;
	change_args a;
	bt_ticket *t;
	bt_db *db;
	int rc;

	if (change_parse(c, argc, argv, note_options, 2, 2, "TICKET and TEXT", &a))
		return c->exit_code;
	if (!*argv[optind + 1])
		return cli_usage_error(c, "the note must not be empty");
	rc = begin(c, argv[optind], &db, &t);
	if (rc != EXIT_OK)
		return rc;
	change_options(c, &a, &o);
	rc = bt_ticket_note(db, bt_ticket_id(t), argv[optind + 1], &o);
	if (rc == BT_OK)
		changed(db, t, "note added");
	rc = rc == BT_OK ? EXIT_OK : refused(rc, &a, t);
	end(db, t);
	return rc;
}

/* ---- merge and delete ---- */

static const struct option merge_options[] = {
	CLI_COMMON_OPTIONS, { "into", required_argument, NULL, OPT_INTO },
	OPTION_ACTOR, OPTION_NOTE, OPTION_EXPECT, OPTION_TOKEN, OPTIONS_END
};

int cmd_merge(cli *c, int argc, char **argv)
{
	bt_ticket *dup, *canonical;
	bt_update_options o;
	change_args a;
	bt_db *db;
	char what[64];
	int rc;

	if (change_parse(c, argc, argv, merge_options, 1, 1, "DUPLICATE", &a))
		return c->exit_code;
	if (!a.into)
		return cli_usage_error(c, "--into CANONICAL is required");
	rc = begin(c, argv[optind], &db, &dup);
	if (rc != EXIT_OK)
		return rc;
	rc = cli_ticket(db, a.into, &canonical);
	if (rc != EXIT_OK) {
		end(db, dup);
		return rc;
	}
	change_options(c, &a, &o);
	rc = bt_ticket_merge(db, bt_ticket_id(dup), bt_ticket_id(canonical), &o);
	if (rc == BT_OK) {
		snprintf(what, sizeof(what), "merged into %s", bt_ticket_number(canonical));
		changed(db, dup, what);
	}
	rc = rc == BT_OK ? EXIT_OK : refused(rc, &a, dup);
	bt_ticket_free(canonical);
	end(db, dup);
	return rc;
}

static const struct option delete_options[] = {
	CLI_COMMON_OPTIONS, { "yes", no_argument, NULL, OPT_YES },
	OPTION_ACTOR, OPTION_EXPECT, OPTION_TOKEN, OPTIONS_END
};

/* The events that go with ticket @p id; -1 when they cannot be counted. */
static int64_t count_events(bt_db *db, int64_t id)
{
	bt_audit_iter *it;
	bt_audit_entry *e;
	int64_t n = 0;
	int rc;

	if (bt_audit_iter_new(db, id, &it) != BT_OK)
		return -1;
	while ((rc = bt_audit_iter_next(it, &e)) == BT_OK) {
		bt_audit_entry_free(e);
		n++;
	}
	bt_audit_iter_free(it);
	return rc == BT_ITEROVER ? n : -1;
}

/* On a terminal, ask before deleting; anything but "y" or "yes" keeps the
 * ticket.  Scripts (stdin not a terminal) are not asked. */
static int confirmed(void)
{
	char line[16];

	fputs("delete it? [y/N] ", stderr);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	line[strcspn(line, "\n")] = '\0';
	return strcmp(line, "y") == 0 || strcmp(line, "Y") == 0 || strcmp(line, "yes") == 0;
}

int cmd_delete(cli *c, int argc, char **argv)
{
	bt_update_options o;
	change_args a;
	bt_ticket *t;
	bt_db *db;
	int64_t events;
	char what[160];
	int rc;

	if (change_parse(c, argc, argv, delete_options, 1, 1, "TICKET", &a))
		return c->exit_code;
	rc = begin(c, argv[optind], &db, &t);
	if (rc != EXIT_OK)
		return rc;
	events = count_events(db, bt_ticket_id(t));
	snprintf(what, sizeof(what), "1 ticket (%s), %lld events, %lld occurrences with their log rows",
		 bt_ticket_number(t), (long long)(events < 0 ? 0 : events),
		 (long long)bt_ticket_occurrence_count(t));
	if (isatty(STDIN_FILENO) && !a.yes) {
		fprintf(stderr, "this deletes %s\n", what);
		if (!confirmed()) {
			cli_error("nothing deleted");
			end(db, t);
			return EXIT_ERROR;
		}
	}
	change_options(c, &a, &o);
	rc = bt_ticket_delete(db, bt_ticket_id(t), &o);
	if (rc == BT_OK) {
		printf("%s: deleted\n", bt_ticket_number(t));
		fprintf(stderr, "deleted %s\n", what);
	}
	rc = rc == BT_OK ? EXIT_OK : refused(rc, &a, t);
	end(db, t);
	return rc;
}
