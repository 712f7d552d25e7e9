/*
 * cmd_token.c - token create | list | revoke: the API tokens a front end
 * such as bugtrackd checks (bugtrack/token.h).  create prints the token
 * once, alone on the last line of stdout, so that a script can take it
 * with `tail -1`; nothing else ever shows it again.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char token_usage[] =
	"usage: bugtrack token create NAME --scope SCOPE[,SCOPE...]\n"
	"       bugtrack token list [--json]\n"
	"       bugtrack token revoke NAME\n\n"
	"The API tokens a front end (bugtrackd) checks; a token's name is the actor\n"
	"of the changes made with it.  Only a hash of each token is stored.\n\n"
	"  create NAME          make a token and print it, alone on the last line of\n"
	"                       stdout: the only time it is shown (a reminder goes to\n"
	"                       stderr).  NAME is 1-64 characters of A-Z a-z 0-9 . _ @ -\n"
	"                       and belongs to one live token at a time (exit 4)\n"
	"  list                 the live tokens by name: NAME, SCOPES, CREATED, LAST USED\n"
	"                       (the minute of the last check; '-' if never), UTC\n"
	"  revoke NAME          revoke the live token NAME (exit 3 if there is none); its\n"
	"                       name may then be given to a new token\n\n"
	"scopes:\n"
	"  read                 read tickets, events, reports, the feed\n"
	"  agent                read, and claim, note, update, resolve, merge\n"
	"  ingest               capture occurrences, and nothing else\n"
	"  admin                everything, tokens included\n\n"
	"options:\n"
	"  --scope S,...        create only: the token's scopes (required; may repeat)\n"
	"  --json               list only: a JSON array of {name, scopes, created_at,\n"
	"                       last_used_at} (times in ms and in *_iso, null if never)\n"
	"  --db PATH            the database (default: $BUGTRACK_DB, else ./bugtrack.db)\n"
	CLI_COMMON_HELP_TAIL "";

static const struct {
	const char *name;
	unsigned int bit;
} scope_names[] = {
	{ "read", BT_SCOPE_READ },
	{ "agent", BT_SCOPE_AGENT },
	{ "ingest", BT_SCOPE_INGEST },
	{ "admin", BT_SCOPE_ADMIN },
};

#define NSCOPES (sizeof(scope_names) / sizeof(scope_names[0]))

static const struct option token_options[] = {
	CLI_COMMON_OPTIONS,
	{ "scope", required_argument, NULL, OPT_SCOPE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

/* Add the comma-separated scopes of @text to @mask. */
static int parse_scopes(cli *c, const char *text, unsigned int *mask)
{
	const char *p = text;

	for (;;) {
		size_t len = strcspn(p, ","), i;

		for (i = 0; i < NSCOPES; i++)
			if (strlen(scope_names[i].name) == len && strncmp(p, scope_names[i].name, len) == 0)
				break;
		if (i == NSCOPES)
			return cli_usage_error(c, "unknown scope '%.*s' in --scope; use read, agent, "
					       "ingest or admin", (int)len, p);
		*mask |= scope_names[i].bit;
		if (!p[len])
			return EXIT_OK;
		p += len + 1;
	}
}

/* "read,agent": the scopes of @mask, in bit order. */
static void scopes_text(unsigned int mask, char *buf, size_t size)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < NSCOPES; i++)
		if (mask & scope_names[i].bit)
			n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s", n ? "," : "",
					      scope_names[i].name);
}

static int token_create(cli *c, const char *name, unsigned int scopes)
{
	char token[BT_TOKEN_SIZE], what[64];
	bt_db *db;
	int rc = cli_open(c, CLI_WRITE, &db);

	if (rc != EXIT_OK)
		return rc;
	rc = bt_token_create(db, name, scopes, token, sizeof(token));
	if (rc == BT_OK) {
		scopes_text(scopes, what, sizeof(what));
		fprintf(stderr, "token %s (%s) created: store it now, it is not shown again\n",
			name, what);
		printf("%s\n", token); /* alone, last: tok=$(bugtrack token create ... | tail -1) */
		memset(token, 0, sizeof(token));
		rc = EXIT_OK;
	} else {
		rc = cli_fail(rc, NULL);
	}
	bt_close(db);
	return rc;
}

static int token_list(cli *c, int as_json)
{
	static const char *const header[] = { "NAME", "SCOPES", "CREATED", "LAST USED" };
	static const int max[] = { 0, 0, 0, 0 };
	const bt_token_info *info;
	bt_token_iter *it = NULL;
	table *t = NULL;
	bt_db *db;
	json j;
	int rc = cli_open(c, CLI_READ, &db);

	if (rc != EXIT_OK)
		return rc;
	rc = bt_token_iter_new(db, &it);
	if (rc == BT_OK && as_json) {
		json_init(&j, stdout);
		json_array_begin(&j, NULL);
	} else if (rc == BT_OK) {
		t = table_new(4, header, "llll", max);
	}
	while (rc == BT_OK && (rc = bt_token_iter_next(it, &info)) == BT_OK) {
		unsigned int mask = bt_token_info_scopes(info);
		char scopes[64], created[32], used[32];
		size_t i;

		if (as_json) {
			json_object_begin(&j, NULL);
			json_string(&j, "name", bt_token_info_name(info));
			json_array_begin(&j, "scopes");
			for (i = 0; i < NSCOPES; i++)
				if (mask & scope_names[i].bit)
					json_string(&j, NULL, scope_names[i].name);
			json_array_end(&j);
			json_time(&j, "created_at", bt_token_info_created_at(info));
			json_time(&j, "last_used_at", bt_token_info_last_used_at(info));
			json_object_end(&j);
			continue;
		}
		scopes_text(mask, scopes, sizeof(scopes));
		format_time(bt_token_info_created_at(info), 0, created, sizeof(created));
		format_time(bt_token_info_last_used_at(info), 0, used, sizeof(used));
		table_add(t, (const char *const[]){ bt_token_info_name(info), scopes, created, used });
	}
	bt_token_iter_free(it);
	if (rc == BT_ITEROVER) {
		if (as_json) {
			json_array_end(&j);
			json_finish(&j);
		} else {
			table_print(t, stdout, output_width());
		}
		rc = EXIT_OK;
	} else {
		rc = cli_fail(rc, NULL);
	}
	table_free(t);
	bt_close(db);
	return rc;
}

static int token_revoke(cli *c, const char *name)
{
	bt_db *db;
	int rc = cli_open(c, CLI_WRITE, &db);

	if (rc != EXIT_OK)
		return rc;
	rc = bt_token_revoke(db, name);
	if (rc == BT_OK) {
		printf("token %s revoked\n", name);
		rc = EXIT_OK;
	} else {
		rc = cli_fail(rc, rc == BT_ENOTFOUND ? "'bugtrack token list' shows the live tokens"
			      : NULL);
	}
	bt_close(db);
	return rc;
}

int cmd_token(cli *c, int argc, char **argv)
{
	unsigned int scopes = 0;
	int o, as_json = 0, has_scope = 0;
	const char *sub;

	while ((o = cli_next_opt(c, argc, argv, token_options)) > 0) {
		switch (o) {
		case OPT_SCOPE:
			if (parse_scopes(c, optarg, &scopes))
				return c->exit_code;
			has_scope = 1;
			break;
		case OPT_JSON:
			as_json = 1;
			break;
		default:
			return cli_usage_error(c, "unexpected option");
		}
	}
	if (o < 0 || cli_operands(c, argc, argv, 1, 2, "create NAME, list or revoke NAME"))
		return c->exit_code;
	sub = argv[optind];
	if (strcmp(sub, "list") == 0) {
		if (optind + 1 < argc)
			return cli_usage_error(c, "'token list' takes no operand");
		if (has_scope)
			return cli_usage_error(c, "--scope applies only to 'token create'");
		return token_list(c, as_json);
	}
	if (strcmp(sub, "create") != 0 && strcmp(sub, "revoke") != 0)
		return cli_usage_error(c, "unknown subcommand '%s'; use create, list or revoke", sub);
	if (optind + 1 >= argc)
		return cli_usage_error(c, "'token %s' needs a NAME", sub);
	if (as_json)
		return cli_usage_error(c, "--json applies only to 'token list'");
	if (sub[0] == 'r') {
		if (has_scope)
			return cli_usage_error(c, "--scope applies only to 'token create'");
		return token_revoke(c, argv[optind + 1]);
	}
	if (!has_scope)
		return cli_usage_error(c, "'token create' needs --scope (read, agent, ingest or admin)");
	return token_create(c, argv[optind + 1], scopes);
}
