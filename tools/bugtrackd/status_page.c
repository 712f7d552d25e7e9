/*
 * status_page.c - GET /, the status page for people, and all the HTML
 * bugtrackd writes: open and overdue tickets by severity, occurrences a day
 * over the last DAYS days as a sparkline, the top tickets and the
 * regressions of those days; one page with inline CSS and SVG and no
 * script, read through the public API.  Also the sign-in: a token given
 * once as ?token= becomes a cookie, and a refusal is a page whose form
 * asks for the token.
 *
 * Titles and components are chosen by whoever can log an error, so every
 * stored text goes out through html(); the page's CSP (reply.c) is the
 * second line.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"

#define DAY_MS ((int64_t)86400000)
#define DAYS 30                /* the window of the sparkline, the top, the regressions */
#define TOP 10                 /* rows of each table at most */
#define COOKIE_MAX_AGE_S 43200 /* 12 h; then the token is asked for again */

/* @p s as HTML text or a quoted attribute's value; NULL as nothing. */
static void html(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':  fputs("&amp;", f); break;
		case '<':  fputs("&lt;", f); break;
		case '>':  fputs("&gt;", f); break;
		case '"':  fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:   fputc(*s, f);
		}
	}
}

/* "2026-12-05 06:10" (UTC), or "-" for 0. */
static void html_time(FILE *f, int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char text[32];

	if (ms <= 0 || !gmtime_r(&secs, &tm) || !strftime(text, sizeof(text), "%Y-%m-%d %H:%M", &tm))
		fputs("-", f);
	else
		fputs(text, f);
}

static const char style[] =
	"body{font:15px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:60em;padding:0 1em;"
	"color:#222;background:#fff}"
	"h1{font-size:1.4em;margin:0}h2{font-size:1.1em;margin:1.6em 0 .4em}"
	"header p,.note{color:#666;margin:.2em 0}"
	"table{border-collapse:collapse;width:100%}"
	"th,td{text-align:left;padding:.25em .6em;border-bottom:1px solid #ddd;vertical-align:top}"
	"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
	"#counts table{width:auto;min-width:22em}td.number,td.time{white-space:nowrap}"
	"tr.all th,tr.all td{font-weight:bold;border-top:2px solid #999}"
	".sev-critical{color:#b00}.sev-high{color:#a60}"
	".title{overflow-wrap:anywhere}"
	"svg{width:100%;max-width:40em;height:5em;display:block}"
	"code{background:#f3f3f3;padding:0 .2em}";

static void head(FILE *f, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"robots\" content=\"noindex\">\n"
	      /* no favicon request: it would only be a 404 */
	      "<link rel=\"icon\" href=\"data:,\">\n<title>", f);
	html(f, title);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n", style);
}

void page_error_html(FILE *f, unsigned int status, const char *msg)
{
	head(f, status == MHD_HTTP_UNAUTHORIZED ? "bugtrack: sign in" : "bugtrack: error");
	fprintf(f, "<main>\n<h1>bugtrack status</h1>\n<p class=\"error\">%u: ", status);
	html(f, msg);
	fputs("</p>\n", f);
	if (status == MHD_HTTP_UNAUTHORIZED)
		fputs("<form method=\"get\" action=\"/\">\n<label>A token with the read scope: "
		      "<input type=\"password\" name=\"token\" autocomplete=\"off\" required "
		      "autofocus></label>\n<button type=\"submit\">Sign in</button>\n</form>\n"
		      "<p class=\"note\">Make one with <code>bugtrack token create NAME --scope "
		      "read</code>.  This browser then keeps it for 12 hours, in a cookie that "
		      "opens this page and nothing else.</p>\n", f);
	fputs("</main>\n</body>\n</html>\n", f);
}

/*
 * GET /?token=T, T checked by authorize(): it goes into a cookie that
 * script cannot read (HttpOnly), that no other site's request carries
 * (SameSite=Strict), sent over TLS only when bugtrackd serves TLS (Secure),
 * and the 303 takes T out of the address bar and the history.
 */
static enum MHD_Result sign_in(request *r, const char *token)
{
	static const char urlsafe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	reply b;

	/* A token is; a cookie's value could not hold what is not. */
	if (token[strspn(token, urlsafe)] != '\0')
		return reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request", "not a token");
	if (asprintf(&r->set_cookie, PAGE_COOKIE "=%s; Path=/; Max-Age=%d; HttpOnly; "
		     "SameSite=Strict%s", token, COOKIE_MAX_AGE_S,
		     r->srv->cfg->tls_cert ? "; Secure" : "") < 0) {
		r->set_cookie = NULL;
		return MHD_NO;
	}
	r->location = strdup("/");
	if (!r->location || reply_open(&b) != 0)
		return MHD_NO;
	head(b.f, "bugtrack status");
	fputs("<p><a href=\"/\">The status page</a></p>\n</body>\n</html>\n", b.f);
	return reply_send(r, &b, MHD_HTTP_SEE_OTHER);
}

/* Column @p name of @p it, or -1 (which reads as NULL). */
static int column(const bt_aggregate_iter *it, const char *name)
{
	int i, n = bt_aggregate_iter_column_count(it);

	for (i = 0; i < n; i++)
		if (strcmp(bt_aggregate_iter_column_name(it, i), name) == 0)
			return i;
	return -1;
}

/* The one row of a summary report of @p o's range, its column @p name. */
static int summary_int(bt_db *db, const bt_aggregate_options *o, const char *name, int64_t *out)
{
	bt_aggregate_iter *it;
	int rc = bt_aggregate_iter_new(db, BT_AGGREGATE_SUMMARY, o, &it);

	if (rc != BT_OK)
		return rc;
	rc = bt_aggregate_iter_next(it);
	*out = rc == BT_OK ? bt_aggregate_iter_int(it, column(it, name)) : 0;
	bt_aggregate_iter_free(it);
	return rc == BT_OK || rc == BT_ITEROVER ? BT_OK : rc;
}

/* Open and overdue tickets by severity, most severe first.  The counts
 * have the overdue total only, so the overdue tickets are walked. */
static int counts_section(FILE *f, bt_db *db)
{
	bt_ticket_counts c = BT_TICKET_COUNTS_INIT;
	bt_ticket_filter flt = BT_TICKET_FILTER_INIT;
	int64_t overdue[BT_SEVERITY_CRITICAL + 1] = { 0 }, open = 0, late = 0;
	bt_ticket_iter *it;
	bt_ticket *t;
	int rc = bt_ticket_counts_get(db, &c), i;

	flt.overdue_only = 1;
	if (rc != BT_OK || (rc = bt_ticket_iter_new(db, &flt, &it)) != BT_OK)
		return rc;
	while ((rc = bt_ticket_iter_next(it, &t)) == BT_OK) {
		bt_severity s = bt_ticket_severity(t);

		if (s >= BT_SEVERITY_LOW && s <= BT_SEVERITY_CRITICAL)
			overdue[s]++;
		bt_ticket_free(t);
	}
	bt_ticket_iter_free(it);
	if (rc != BT_ITEROVER)
		return rc;
	for (i = BT_STATUS_NEW; i <= BT_STATUS_AWAITING_VERIFICATION; i++)
		open += stats_status_count(&c, (bt_status)i);
	fputs("<section id=\"counts\">\n<h2>Open tickets</h2>\n<table>\n<thead><tr><th>severity</th>"
	      "<th class=\"n\">open</th><th class=\"n\">overdue</th></tr></thead>\n<tbody>\n", f);
	for (i = BT_SEVERITY_CRITICAL; i >= BT_SEVERITY_LOW; i--) {
		const char *name = bt_severity_name((bt_severity)i);

		fprintf(f, "<tr id=\"sev-%s\"><th class=\"sev-%s\">%s</th><td class=\"n open\">%lld"
			"</td><td class=\"n overdue\">%lld</td></tr>\n", name, name, name,
			(long long)stats_open_severity_count(&c, (bt_severity)i),
			(long long)overdue[i]);
		late += overdue[i];
	}
	fprintf(f, "<tr id=\"sev-all\" class=\"all\"><th>all</th><td class=\"n open\">%lld</td>"
		"<td class=\"n overdue\">%lld</td></tr>\n</tbody>\n</table>\n</section>\n",
		(long long)open, (long long)late);
	return BT_OK;
}

/* The bars of @p n, one a UTC day (named in @p days), as an inline SVG: no
 * request, nothing to run; each bar's <title> is its day and count. */
static void sparkline(FILE *f, const int64_t *n, char days[][11])
{
	int64_t max = 1;
	int i;

	for (i = 0; i < DAYS; i++)
		if (n[i] > max)
			max = n[i];
	fprintf(f, "<svg viewBox=\"0 0 %d 40\" preserveAspectRatio=\"none\" role=\"img\" "
		"aria-label=\"occurrences a day\">\n", DAYS * 8);
	for (i = 0; i < DAYS; i++) {
		/* An empty day keeps a sliver, so the axis shows. */
		int64_t h = n[i] ? 2 + n[i] * 38 / max : 1;

		fprintf(f, "<rect x=\"%d\" y=\"%lld\" width=\"6\" height=\"%lld\" fill=\"%s\">"
			"<title>%s: %lld</title></rect>\n", i * 8 + 1, (long long)(40 - h),
			(long long)h, n[i] ? "#c33" : "#bbb", days[i], (long long)n[i]);
	}
	fputs("</svg>\n", f);
}

/* Occurrences a day, summed over the components of the daily report. */
static int daily_section(FILE *f, bt_db *db, int64_t from)
{
	bt_aggregate_options o = BT_AGGREGATE_OPTIONS_INIT;
	char days[DAYS][11];
	int64_t n[DAYS] = { 0 }, total = 0;
	bt_aggregate_iter *it;
	int rc, i, day, occ;

	for (i = 0; i < DAYS; i++) {
		time_t secs = (time_t)((from + i * DAY_MS) / 1000);
		struct tm tm;

		gmtime_r(&secs, &tm);
		strftime(days[i], sizeof(days[i]), "%Y-%m-%d", &tm);
	}
	o.from = from;
	rc = bt_aggregate_iter_new(db, BT_AGGREGATE_DAILY, &o, &it);
	if (rc != BT_OK)
		return rc;
	day = column(it, "day");
	occ = column(it, "occurrences");
	while ((rc = bt_aggregate_iter_next(it)) == BT_OK) {
		const char *d = bt_aggregate_iter_text(it, day);

		for (i = 0; d && i < DAYS && strcmp(days[i], d) != 0; i++)
			;
		if (d && i < DAYS)
			n[i] += bt_aggregate_iter_int(it, occ);
	}
	bt_aggregate_iter_free(it);
	if (rc != BT_ITEROVER)
		return rc;
	for (i = 0; i < DAYS; i++)
		total += n[i];
	fprintf(f, "<section id=\"daily\">\n<h2>Occurrences a day</h2>\n<p><strong id=\"occurrences"
		"\">%lld</strong> occurrences from %s to %s (UTC), <strong id=\"today\">%lld</strong> "
		"today.</p>\n", (long long)total, days[0], days[DAYS - 1], (long long)n[DAYS - 1]);
	sparkline(f, n, days);
	fputs("</section>\n", f);
	return BT_OK;
}

/* The tickets with the most occurrences in the window (the top report). */
static int top_section(FILE *f, bt_db *db, int64_t from)
{
	bt_aggregate_options o = BT_AGGREGATE_OPTIONS_INIT;
	bt_aggregate_iter *it;
	int rc, rows = 0, number, title, component, severity, status, occ, count, last;

	o.from = from;
	o.limit = TOP;
	rc = bt_aggregate_iter_new(db, BT_AGGREGATE_TOP, &o, &it);
	if (rc != BT_OK)
		return rc;
	number = column(it, "number");
	title = column(it, "title");
	component = column(it, "component");
	severity = column(it, "severity");
	status = column(it, "status");
	occ = column(it, "occurrences");
	count = column(it, "occurrence_count");
	last = column(it, "last_occurred_at");
	fprintf(f, "<section id=\"top\">\n<h2>Top tickets, last %d days</h2>\n", DAYS);
	while ((rc = bt_aggregate_iter_next(it)) == BT_OK) {
		const char *sev = bt_aggregate_iter_text(it, severity);

		if (rows++ == 0)
			fputs("<table>\n<thead><tr><th>ticket</th><th>title</th><th>component</th>"
			      "<th>severity</th><th>status</th><th class=\"n\">occurrences</th>"
			      "<th class=\"n\">all time</th><th>last</th></tr></thead>\n<tbody>\n", f);
		fputs("<tr><td class=\"number\">", f);
		html(f, bt_aggregate_iter_text(it, number));
		fputs("</td><td class=\"title\">", f);
		html(f, bt_aggregate_iter_text(it, title));
		fputs("</td><td class=\"component\">", f);
		html(f, bt_aggregate_iter_text(it, component));
		fputs("</td><td class=\"sev-", f);
		html(f, sev);
		fputs("\">", f);
		html(f, sev);
		fputs("</td><td>", f);
		html(f, bt_aggregate_iter_text(it, status));
		fprintf(f, "</td><td class=\"n occurrences\">%lld</td><td class=\"n\">%lld</td>"
			"<td class=\"time\">",
			(long long)bt_aggregate_iter_int(it, occ),
			(long long)bt_aggregate_iter_int(it, count));
		html_time(f, bt_aggregate_iter_int(it, last));
		fputs("</td></tr>\n", f);
	}
	bt_aggregate_iter_free(it);
	if (rc != BT_ITEROVER)
		return rc;
	fputs(rows ? "</tbody>\n</table>\n</section>\n"
	      : "<p class=\"note\">No occurrences.</p>\n</section>\n", f);
	return BT_OK;
}

/* How many tickets came back in the window (the summary report), and the
 * open tickets that ever regressed, latest occurrence first. */
static int regressions_section(FILE *f, bt_db *db, int64_t from)
{
	bt_aggregate_options o = BT_AGGREGATE_OPTIONS_INIT;
	bt_ticket_filter flt = BT_TICKET_FILTER_INIT;
	bt_ticket_iter *it;
	bt_ticket *t;
	int64_t came_back;
	int rc, rows = 0, more = 0;

	o.from = from;
	rc = summary_int(db, &o, "regressions", &came_back);
	if (rc != BT_OK)
		return rc;
	flt.status_mask = BT_STATUS_OPEN_MASK;
	flt.regressed_only = 1;
	rc = bt_ticket_iter_new(db, &flt, &it);
	if (rc != BT_OK)
		return rc;
	fprintf(f, "<section id=\"regressions\">\n<h2>Regressions</h2>\n<p><strong id=\"regressed\">"
		"%lld</strong> resolved tickets came back in the last %d days.</p>\n",
		(long long)came_back, DAYS);
	while ((rc = bt_ticket_iter_next(it, &t)) == BT_OK) {
		const char *sev = bt_severity_name(bt_ticket_severity(t));

		if (rows == TOP) { /* one past: more than the table shows */
			more = 1;
			bt_ticket_free(t);
			break;
		}
		if (rows++ == 0)
			fputs("<table>\n<thead><tr><th>open and regressed</th><th>title</th>"
			      "<th>component</th><th>severity</th><th class=\"n\">times</th>"
			      "<th>last</th></tr></thead>\n<tbody>\n", f);
		fputs("<tr><td class=\"number\">", f);
		html(f, bt_ticket_number(t));
		fputs("</td><td class=\"title\">", f);
		html(f, bt_ticket_title(t));
		fputs("</td><td class=\"component\">", f);
		html(f, bt_ticket_component(t));
		fprintf(f, "</td><td class=\"sev-%s\">%s</td><td class=\"n\">%lld</td>"
			"<td class=\"time\">", sev, sev, (long long)bt_ticket_regression_count(t));
		html_time(f, bt_ticket_last_occurred_at(t));
		fputs("</td></tr>\n", f);
		bt_ticket_free(t);
	}
	bt_ticket_iter_free(it);
	if (rc != BT_OK && rc != BT_ITEROVER)
		return rc;
	if (rows)
		fputs("</tbody>\n</table>\n", f);
	fputs(more ? "<p class=\"note\">And more: <code>bugtrack list --regressed</code>.</p>\n"
	      : rows ? "" : "<p class=\"note\">No open ticket has regressed.</p>\n", f);
	fputs("</section>\n", f);
	return BT_OK;
}

enum MHD_Result route_status_page(request *r)
{
	const char *token = query(r, "token");
	int64_t now = now_ms(), from = now - now % DAY_MS - (DAYS - 1) * DAY_MS;
	reply b;
	int rc;

	if (token)
		return sign_in(r, token);
	if (reply_open(&b) != 0)
		return MHD_NO;
	head(b.f, "bugtrack status");
	fputs("<header>\n<h1>bugtrack status</h1>\n<p>At ", b.f);
	html_time(b.f, now);
	fputs(" UTC, for ", b.f);
	html(b.f, request_actor(r));
	fprintf(b.f, "; libbugtrack %s.</p>\n</header>\n<main>\n", bt_version_string());
	rc = counts_section(b.f, r->srv->db);
	if (rc == BT_OK)
		rc = daily_section(b.f, r->srv->db, from);
	if (rc == BT_OK)
		rc = top_section(b.f, r->srv->db, from);
	if (rc == BT_OK)
		rc = regressions_section(b.f, r->srv->db, from);
	if (rc != BT_OK) {
		reply_drop(&b);
		return reply_bt(r, rc);
	}
	fputs("</main>\n<footer><p class=\"note\">Read-only; reload for news.  The JSON API is "
	      "under <code>/api/v1</code>, with a bearer token.</p></footer>\n</body>\n</html>\n",
	      b.f);
	return reply_send(r, &b, MHD_HTTP_OK);
}
