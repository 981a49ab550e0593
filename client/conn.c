/*-------------------------------------------------------------------------
 *
 * conn.c
 *	  Connections, queries and server messages for pg_migrate.
 *
 * Connecting follows libpq's conventions, as psql does: -d takes a
 * database name, a conninfo string ("host=db1 dbname=app") or a URI
 * ("postgresql://app@db1/app"); -h, -p, -U fill what -d leaves out; PG*
 * environment variables, ~/.pgpass and service files (PGSERVICE,
 * service=...) apply through libpq.  The password is prompted for when the
 * server asks for one and stdin is a terminal (-W: always, -w: never).
 *
 * Every query with a value from the user or from a file goes through
 * PQexecParams; no SQL is built from such values (identifiers given on the
 * command line, such as adopt's --table, are quoted with
 * PQescapeIdentifier).
 *
 * Server errors are shown with their SQLSTATE, detail, hint and context
 * (the extension's SQL phrases in a hint or detail read as pg_migrate
 * commands: hints.c);
 * NOTICEs and WARNINGs go to stderr (NOTICEs not with -q), and the
 * "applying i/n: ..." NOTICE of every revision becomes a progress line with
 * the elapsed time.  Ctrl-C sends a cancel request to the server, which
 * rolls back what the statement did, as in psql.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static PGcancel *volatile cancel_handle = NULL;
static volatile sig_atomic_t cancel_installed = 0;

static bool progress_active = false;
static double progress_start;
static char progress_last[256];	/* the revision of the last progress line */

/* ---------------------------------------------------------------------
 * Ctrl-C
 * ---------------------------------------------------------------------
 */
static void
handle_sigint(int signo)
{
	int			save_errno = errno;
	char		errbuf[256];
	PGcancel   *c = cancel_handle;
	static const char sent[] = "\ncancel request sent (Ctrl-C again to quit)\n";
	static volatile sig_atomic_t cancels = 0;

	(void) signo;
	if (c != NULL && cancels++ == 0 && PQcancel(c, errbuf, sizeof(errbuf)))
	{
		if (write(STDERR_FILENO, sent, sizeof(sent) - 1) < 0)
		{
			/* nothing to do */
		}
	}
	else
		_exit(130);
	errno = save_errno;
}

static void
install_cancel(PGconn *conn)
{
	struct sigaction sa;
	PGcancel   *old = cancel_handle;

	cancel_handle = PQgetCancel(conn);
	if (old != NULL)
		PQfreeCancel(old);
	if (!cancel_installed)
	{
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = handle_sigint;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = SA_RESTART;
		sigaction(SIGINT, &sa, NULL);
		cancel_installed = 1;
	}
}

/* ---------------------------------------------------------------------
 * Notices and progress
 * ---------------------------------------------------------------------
 */
void
progress_begin(const char *verb)
{
	(void) verb;
	progress_last[0] = '\0';
	progress_active = true;
	progress_start = pgm_now();
}

void
progress_end(void)
{
	progress_active = false;
}

/* The revision the last progress NOTICE announced ("" if none). */
const char *
progress_last_revision(void)
{
	return progress_last;
}

/*
 * Has this notice been shown already during the command?  The server parses
 * a body when it is registered and again before it runs, and each parse
 * repeats its notices ("identifier ... will be truncated"): show each one
 * once.  (Warnings are always shown; the first NOTICE_SEEN_MAX notices are
 * remembered.)
 */
#define NOTICE_SEEN_MAX 256
static char *notices_seen[NOTICE_SEEN_MAX];
static int	n_notices_seen = 0;

static bool
notice_seen(const char *severity, const char *msg)
{
	char	   *key = pgm_psprintf("%s: %s", severity, msg);

	for (int i = 0; i < n_notices_seen; i++)
		if (strcmp(notices_seen[i], key) == 0)
		{
			free(key);
			return true;
		}
	if (n_notices_seen < NOTICE_SEEN_MAX)
		notices_seen[n_notices_seen++] = key;
	else
		free(key);
	return false;
}

static void
notice_receiver(void *arg, const PGresult *res)
{
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *sev_local = PQresultErrorField(res, PG_DIAG_SEVERITY);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	bool		warning;
	int			i,
				n,
				consumed = 0;

	(void) arg;
	if (msg == NULL)
		return;
	if (sev == NULL)
		sev = sev_local ? sev_local : "NOTICE";
	warning = strcmp(sev, "WARNING") == 0;

	/* the extension's progress: "applying 3/10: <id> <message>" */
	if (progress_active &&
		(sscanf(msg, "applying %d/%d: %n", &i, &n, &consumed) == 2 ||
		 sscanf(msg, "reverting %d/%d: %n", &i, &n, &consumed) == 2) &&
		consumed > 0)
	{
		size_t		idlen = strcspn(msg + consumed, " ");

		if (idlen >= sizeof(progress_last))
			idlen = sizeof(progress_last) - 1;
		memcpy(progress_last, msg + consumed, idlen);
		progress_last[idlen] = '\0';
		if (!opt.quiet)
			fprintf(stderr, "[%d/%d] %s %s  (elapsed %s)\n", i, n,
					msg[0] == 'a' ? "applying" : "reverting", msg + consumed,
					pgm_format_seconds(pgm_now() - progress_start));
		return;
	}
	/* migrate.run's closing notice: pg_migrate prints its own summary */
	if (progress_active &&
		(sscanf(msg, "applied %d revision%n", &i, &consumed) == 1 ||
		 sscanf(msg, "reverted %d revision%n", &i, &consumed) == 1))
		return;

	if (warning)
	{
		Diag	   *d;

		pgm_warning("%s", msg);
		d = &diags[n_diags - 1];
		if (detail)
		{
			d->detail = translate_hint(detail);
			fprintf(stderr, "DETAIL:  %s\n", d->detail);
		}
		if (hint)
		{
			d->hint = translate_hint(hint);
			fprintf(stderr, "HINT:  %s\n", d->hint);
		}
		return;
	}
	if (opt.quiet || notice_seen(sev, msg))
		return;
	fprintf(stderr, "%s: %s\n", sev_local ? sev_local : sev, msg);
	if (detail && opt.verbose)
		fprintf(stderr, "DETAIL:  %s\n", detail);
}

/* ---------------------------------------------------------------------
 * Connecting
 * ---------------------------------------------------------------------
 */
char *
db_prompt_password(void)
{
	FILE	   *tty = fopen("/dev/tty", "r+");
	struct termios old,
				noecho;
	char		buf[1024];
	bool		restore = false;
	size_t		len;

	if (tty == NULL)
		return NULL;
	fputs("Password: ", tty);
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) == 0)
	{
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t) ECHO;
		restore = tcsetattr(fileno(tty), TCSAFLUSH, &noecho) == 0;
	}
	if (fgets(buf, sizeof(buf), tty) == NULL)
		buf[0] = '\0';
	if (restore)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputs("\n", tty);
	fclose(tty);
	len = strlen(buf);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	return pgm_strdup(buf);
}

/*
 * Connect as libpq's conventions say.  In a fleet, opt.target_conninfo (a
 * line of --db-file) takes the place of -d, and opt.target_dbname (a
 * database of --each-db) overrides the database name alone.  Returns NULL
 * after reporting the failure.
 */
PGconn *
db_connect(void)
{
	const char *keywords[12];
	const char *values[12];
	int			k = 0;
	PGconn	   *conn;
	static char *password = NULL;

	if (password == NULL && opt.password != NULL)
		password = pgm_strdup(opt.password);
	if (password == NULL && opt.password_prompt == 1)
	{
		password = db_prompt_password();
		opt.password = password;
	}

	for (;;)
	{
		k = 0;
		keywords[k] = "host";
		values[k++] = opt.host;
		keywords[k] = "port";
		values[k++] = opt.port;
		keywords[k] = "user";
		values[k++] = opt.username;
		keywords[k] = "password";
		values[k++] = password;
		keywords[k] = "dbname";
		values[k++] = opt.target_conninfo ? opt.target_conninfo : opt.dbname;
		if (opt.target_dbname != NULL)
		{
			/* a second dbname is a plain name, not expanded */
			keywords[k] = "dbname";
			values[k++] = opt.target_dbname;
		}
		keywords[k] = "fallback_application_name";
		values[k++] = "pg_migrate";
		if (getenv("PGCLIENTENCODING") == NULL)
		{
			/* revision files are UTF-8 text */
			keywords[k] = "client_encoding";
			values[k++] = "UTF8";
		}
		keywords[k] = NULL;
		values[k] = NULL;

		conn = PQconnectdbParams(keywords, values, 1);
		if (conn == NULL)
			pgm_fatal_oom();
		if (PQstatus(conn) == CONNECTION_BAD && PQconnectionNeedsPassword(conn) &&
			password == NULL && opt.password_prompt != -1 && isatty(STDIN_FILENO))
		{
			PQfinish(conn);
			password = db_prompt_password();
			opt.password = password;
			if (password != NULL)
				continue;
			conn = PQconnectdbParams(keywords, values, 1);
		}
		break;
	}

	if (PQstatus(conn) == CONNECTION_BAD)
	{
		char	   *msg = pgm_strdup(PQerrorMessage(conn));
		size_t		len = strlen(msg);

		while (len > 0 && msg[len - 1] == '\n')
			msg[--len] = '\0';
		pgm_error("could not connect: %s", msg);
		free(msg);
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeReceiver(conn, notice_receiver, NULL);
	install_cancel(conn);
	return conn;
}

void
db_disconnect(PGconn *conn)
{
	PGcancel   *c = cancel_handle;

	if (conn == NULL)
		return;
	cancel_handle = NULL;
	if (c != NULL)
		PQfreeCancel(c);
	PQfinish(conn);
}

/* "app on /var/run/postgresql:5432" */
char *
db_label(PGconn *conn)
{
	const char *host = PQhost(conn);
	const char *port = PQport(conn);

	return pgm_psprintf("%s on %s:%s", PQdb(conn),
						host && *host ? host : "localhost",
						port && *port ? port : "5432");
}

/*
 * Compare dotted versions part by part as numbers ("0.10" after "0.9"), as
 * the extension does (src/version.c).
 */
static int
compare_versions(const char *a, const char *b)
{
	while (*a || *b)
	{
		char	   *enda;
		char	   *endb;
		long		na = strtol(a, &enda, 10);
		long		nb = strtol(b, &endb, 10);

		if (enda == a || endb == b)
			return strcmp(a, b);
		if (na != nb)
			return na < nb ? -1 : 1;
		a = enda + (*enda == '.');
		b = endb + (*endb == '.');
		if (*a == '\0' && *b != '\0')
			return -1;
		if (*b == '\0' && *a != '\0')
			return 1;
	}
	return 0;
}

/* Is an installed extension's version one this client speaks to? */
bool
db_extension_version_ok(const char *version)
{
	return compare_versions(version, MIGRATE_VERSION) >= 0;
}

/*
 * The extension is installed, at the version this client was built with
 * or a newer one: an older catalog (a server whose ALTER EXTENSION has not
 * run yet) lacks what the client reads, and the library says the same.
 */
bool
db_require_extension(PGconn *conn)
{
	PGresult   *res = db_query(conn,
							   "SELECT e.extversion FROM pg_catalog.pg_extension e"
							   " WHERE e.extname = 'migrate'", 0, NULL);

	if (res == NULL)
		return false;
	if (PQntuples(res) == 0)
	{
		pgm_error("the migrate extension is not installed in database \"%s\"", PQdb(conn));
		pgm_error_hint("Install it once per database, as a superuser: CREATE EXTENSION migrate;");
		PQclear(res);
		return false;
	}
	if (!db_extension_version_ok(PQgetvalue(res, 0, 0)))
	{
		pgm_error("the migrate extension in database \"%s\" is at version %s; this pg_migrate needs version %s",
				  PQdb(conn), PQgetvalue(res, 0, 0), MIGRATE_VERSION);
		pgm_error_hint("Run ALTER EXTENSION migrate UPDATE; in that database (as the extension's owner or a superuser).");
		PQclear(res);
		return false;
	}
	PQclear(res);
	return true;
}

/* ---------------------------------------------------------------------
 * Queries
 * ---------------------------------------------------------------------
 */
const char *
db_sqlstate(const PGresult *res)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return s ? s : "";
}

/* a lost connection was reported: the queries that follow say nothing */
static bool connection_lost_reported = false;

static char *
trimmed_dup(const char *s)
{
	size_t		len;
	char	   *out;

	if (s == NULL)
		return NULL;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
		len--;
	out = pgm_strndup(s, len);
	return out;
}

/*
 * Show a failed result: the message with its SQLSTATE, then DETAIL, HINT
 * and CONTEXT as psql shows them; record it for --json.
 */
void
db_report_result_error(const PGresult *res, const char *prefix)
{
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	const char *context = PQresultErrorField(res, PG_DIAG_CONTEXT);
	const char *position = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
	const char *internal_pos = PQresultErrorField(res, PG_DIAG_INTERNAL_POSITION);
	Diag	   *d;
	char	   *msg;

	if (primary == NULL)
		msg = trimmed_dup(PQresultErrorMessage(res));
	else
		msg = pgm_strdup(primary);
	if (msg == NULL || msg[0] == '\0')
	{
		free(msg);
		msg = pgm_strdup("unknown error (the connection may have been lost)");
	}

	pgm_error_sqlstate(prefix, msg, sqlstate);
	d = &diags[n_diags - 1];
	if (detail)
	{
		char	   *t = trimmed_dup(detail);

		d->detail = translate_hint(t);
		free(t);
		fprintf(stderr, "DETAIL:  %s\n", d->detail);
	}
	if (hint)
	{
		char	   *t = trimmed_dup(hint);

		d->hint = translate_hint(t);
		free(t);
		fprintf(stderr, "HINT:  %s\n", d->hint);
	}
	if (internal_pos || position)
		fprintf(stderr, "POSITION:  %s\n", internal_pos ? internal_pos : position);
	if (context)
	{
		d->context = trimmed_dup(context);
		fprintf(stderr, "CONTEXT:  %s\n", d->context);
	}
	free(msg);
}

/* Run a query; NULL (with nothing reported) unless it succeeded. */
PGresult *
db_try(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
	PGresult   *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return res;
	PQclear(res);
	return NULL;
}

/* Run a query; on failure report the server's error and return NULL. */
PGresult *
db_query(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
	PGresult   *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return res;
	if (res == NULL)
	{
		/* a lost connection is said once, not by every query after it */
		if (PQstatus(conn) != CONNECTION_BAD || !connection_lost_reported)
		{
			char	   *msg = trimmed_dup(PQerrorMessage(conn));

			pgm_error("%s", msg && msg[0] ? msg : "no connection to the server");
			free(msg);
		}
		connection_lost_reported = PQstatus(conn) == CONNECTION_BAD;
	}
	else
		db_report_result_error(res, NULL);
	PQclear(res);
	return NULL;
}

/*
 * After a failure: if the connection is lost, connect again (PQreset, the
 * same parameters) so that the caller reads the state it reports instead
 * of guessing it.  True when the connection works (again); false, having
 * said so, when it cannot be had back: the caller must not claim a state.
 * Nothing is re-run on the new connection: its session settings and any
 * transaction of the old one are gone.
 */
bool
db_reconnect(PGconn *conn)
{
	if (conn == NULL)
		return false;
	if (PQstatus(conn) == CONNECTION_OK)
		return true;
	PQreset(conn);
	if (PQstatus(conn) == CONNECTION_OK)
	{
		pgm_info("the connection to the server was lost; connected again to read the state");
		connection_lost_reported = false;
		return true;
	}
	if (!connection_lost_reported)
	{
		char	   *msg = trimmed_dup(PQerrorMessage(conn));

		pgm_error("the connection to the server was lost and could not be made again: %s",
				  msg && msg[0] ? msg : "no connection");
		free(msg);
	}
	connection_lost_reported = true;
	return false;
}

bool
db_command(PGconn *conn, const char *sql)
{
	PGresult   *res = db_query(conn, sql, 0, NULL);

	if (res == NULL)
		return false;
	PQclear(res);
	return true;
}

/* A text[] literal of the items, for a query parameter: {"a","b"} */
char *
db_array_literal(const StrList *items)
{
	StrBuf		sb;

	sb_init(&sb);
	sb_appendc(&sb, '{');
	for (size_t i = 0; items != NULL && i < items->n; i++)
	{
		if (i > 0)
			sb_appendc(&sb, ',');
		sb_appendc(&sb, '"');
		for (const char *p = items->items[i]; *p; p++)
		{
			if (*p == '"' || *p == '\\')
				sb_appendc(&sb, '\\');
			sb_appendc(&sb, *p);
		}
		sb_appendc(&sb, '"');
	}
	sb_appendc(&sb, '}');
	return sb.data;
}

/* Parse a one-dimensional text[] output ({a,"b c",NULL}) into out. */
void
db_parse_array(const char *lit, StrList *out)
{
	const char *p = lit;
	StrBuf		item;

	if (lit == NULL || *p != '{')
		return;
	p++;
	sb_init(&item);
	while (*p && *p != '}')
	{
		bool		quoted = false;

		item.len = 0;
		item.data[0] = '\0';
		if (*p == '"')
		{
			quoted = true;
			p++;
			while (*p && *p != '"')
			{
				if (*p == '\\' && p[1])
					p++;
				sb_appendc(&item, *p++);
			}
			if (*p == '"')
				p++;
		}
		else
			while (*p && *p != ',' && *p != '}')
				sb_appendc(&item, *p++);
		if (quoted || strcmp(item.data, "NULL") != 0)
			sl_add(out, item.data);
		if (*p == ',')
			p++;
	}
	sb_free(&item);
}

/* --lock-timeout, --lock-wait, --lock-retries: the extension's settings */
bool
db_set_lock_settings(PGconn *conn)
{
	const char *names[3] = {"migrate.lock_timeout", "migrate.lock_wait", "migrate.lock_retries"};
	const char *vals[3] = {opt.lock_timeout, opt.lock_wait, opt.lock_retries};

	for (int i = 0; i < 3; i++)
	{
		const char *params[2] = {names[i], vals[i]};
		PGresult   *res;

		if (vals[i] == NULL)
			continue;
		res = db_query(conn, "SELECT pg_catalog.set_config($1, $2, false)", 2, params);
		if (res == NULL)
			return false;
		PQclear(res);
	}
	return true;
}

bool
db_has_procedure(PGconn *conn, const char *signature)
{
	const char *params[1] = {signature};
	PGresult   *res = db_try(conn, "SELECT pg_catalog.to_regprocedure($1) IS NOT NULL", 1, params);
	bool		found;

	if (res == NULL)
		return false;
	found = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return found;
}
