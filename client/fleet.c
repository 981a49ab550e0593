/*-------------------------------------------------------------------------
 *
 * fleet.c
 *	  One command (upgrade, check, status, current) against many databases
 *	  at once: --each-db PATTERN or --db-file FILE, at most -j N at a time.
 *
 * The files are read and checked once, before any database is touched: a
 * file that does not parse stops everything.  Then every database gets a
 * child process (fork) that runs the command exactly as for one database,
 * with its own connection, its output captured in a temporary directory.
 * As each finishes, one line is printed:
 *
 *	   ok      app_eu   4 revisions applied in 0.3 s; at 004
 *	   FAILED  app_us   relation "parties" already exists (SQLSTATE 42P07)
 *
 * (-v adds each database's own output under its line), then a total.  With
 * --json, one document holds every database's result.  The exit status is
 * the highest of the databases' (0 when all succeeded, 1 if a migration or
 * check failed, 2 if a database could not be reached).  Ctrl-C cancels the
 * running statements (each child sends the cancel request of its
 * connection) and starts no new database.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"
#include "fleetfile.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct Target
{
	char	   *label;
	char	   *conninfo;		/* --db-file */
	char	   *dbname;			/* --each-db */
	pid_t		pid;
	int			rc;
	bool		done;
	bool		started;
	char	   *summary;
	double		seconds;
	double		started_at;
} Target;

static volatile sig_atomic_t interrupted = 0;

static void
handle_interrupt(int signo)
{
	(void) signo;
	interrupted = 1;
}

static char *
read_all(const char *path)
{
	FILE	   *f = fopen(path, "rb");
	StrBuf		sb;
	char		buf[8192];
	size_t		n;

	sb_init(&sb);
	if (f == NULL)
		return sb.data;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_appendn(&sb, buf, n);
	fclose(f);
	return sb.data;
}

/* "app@db1:5432" from what libpq makes of a connection string */
static char *
conninfo_label(const char *conninfo, char **errmsg)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, errmsg);
	const char *db = NULL,
			   *host = NULL,
			   *port = NULL,
			   *service = NULL;
	char	   *label;

	if (opts == NULL)
		return NULL;
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
	{
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		if (strcmp(o->keyword, "dbname") == 0)
			db = o->val;
		else if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "service") == 0)
			service = o->val;
	}
	if (service != NULL && db == NULL && host == NULL)
		label = pgm_psprintf("service=%s", service);
	else
		label = pgm_psprintf("%s%s%s%s%s", db ? db : "(default)",
							 host ? "@" : "", host ? host : "",
							 port ? ":" : "", port ? port : "");
	PQconninfoFree(opts);
	return label;
}

static int
targets_from_file(const char *path, Target **out, size_t *n)
{
	char	   *data;
	size_t		len;
	FILE	   *f = fopen(path, "rb");
	StrBuf		sb;
	char		buf[8192];
	size_t		got;
	FleetFile	ff;
	bool		bad = false;

	if (f == NULL)
	{
		pgm_error("could not open --db-file \"%s\": %s", path, strerror(errno));
		return PGM_EXIT_USAGE;
	}
	sb_init(&sb);
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_appendn(&sb, buf, got);
	fclose(f);
	data = sb.data;
	len = sb.len;

	if (!fleetfile_parse(&ff, data, len))
	{
		if (ff.out_of_memory)
			pgm_fatal_oom();
		for (size_t i = 0; i < ff.n_errors; i++)
			pgm_file_error(path, ff.errors[i].line, "%s", ff.errors[i].message);
		if (ff.errors_truncated)
			pgm_file_error(path, 0, "more problems are not shown");
		fleetfile_free(&ff);
		free(data);
		return PGM_EXIT_USAGE;
	}
	*out = pgm_malloc(sizeof(Target) * (ff.n_entries ? ff.n_entries : 1));
	*n = 0;
	for (size_t i = 0; i < ff.n_entries; i++)
	{
		char	   *errmsg = NULL;
		char	   *label = conninfo_label(ff.entries[i].conninfo, &errmsg);
		Target	   *t;

		if (label == NULL)
		{
			char	   *m = errmsg ? pgm_strdup(errmsg) : pgm_strdup("invalid connection string");
			size_t		l = strlen(m);

			while (l > 0 && m[l - 1] == '\n')
				m[--l] = '\0';
			pgm_file_error(path, ff.entries[i].line, "%s", m);
			free(m);
			if (errmsg)
				PQfreemem(errmsg);
			bad = true;
			continue;
		}
		t = &(*out)[(*n)++];
		memset(t, 0, sizeof(*t));
		t->label = label;
		t->conninfo = pgm_strdup(ff.entries[i].conninfo);
	}
	fleetfile_free(&ff);
	free(data);
	if (bad)
		return PGM_EXIT_USAGE;
	if (*n == 0)
	{
		pgm_error("--db-file \"%s\" names no database", path);
		return PGM_EXIT_USAGE;
	}
	return PGM_EXIT_OK;
}

static int
targets_from_pattern(const char *pattern, Target **out, size_t *n)
{
	PGconn	   *conn;
	PGresult   *res;
	bool		maintenance = opt.dbname == NULL && getenv("PGDATABASE") == NULL &&
		getenv("PGSERVICE") == NULL;

	/* the list comes from the server -d names, or from postgres */
	if (maintenance)
		opt.target_dbname = "postgres";
	conn = db_connect();
	opt.target_dbname = NULL;
	if (conn == NULL)
		return PGM_EXIT_USAGE;
	res = db_query(conn,
				   "SELECT datname FROM pg_catalog.pg_database"
				   " WHERE datallowconn AND NOT datistemplate ORDER BY datname", 0, NULL);
	if (res == NULL)
	{
		db_disconnect(conn);
		return PGM_EXIT_USAGE;
	}
	*out = pgm_malloc(sizeof(Target) * (size_t) (PQntuples(res) ? PQntuples(res) : 1));
	*n = 0;
	for (int i = 0; i < PQntuples(res); i++)
	{
		const char *name = PQgetvalue(res, i, 0);
		Target	   *t;

		if (fnmatch(pattern, name, 0) != 0)
			continue;
		t = &(*out)[(*n)++];
		memset(t, 0, sizeof(*t));
		t->label = pgm_strdup(name);
		t->dbname = pgm_strdup(name);
	}
	PQclear(res);
	db_disconnect(conn);
	if (*n == 0)
	{
		pgm_error("no database matches \"%s\"", pattern);
		pgm_error_hint("--each-db takes a shell pattern (* ? [...]) matched against every database that accepts connections.");
		return PGM_EXIT_USAGE;
	}
	return PGM_EXIT_OK;
}

/* In the child: run the command for one database, leave the outcome. */
static PGM_NORETURN void
run_child(CommandFn fn, Target *t, const char *dir, size_t i)
{
	char	   *out = pgm_psprintf("%s/%zu.out", dir, i);
	char	   *err = pgm_psprintf("%s/%zu.err", dir, i);
	char	   *sum = pgm_psprintf("%s/%zu.sum", dir, i);
	int			fd;
	int			rc;
	Ctx			ctx;
	FILE	   *f;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);

	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0)
	{
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0)
	{
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	opt.password_prompt = -1;
	opt.target_conninfo = t->conninfo;
	opt.target_dbname = t->dbname;
	opt.each_db = NULL;
	opt.db_file = NULL;
	json_emitted = false;

	memset(&ctx, 0, sizeof(ctx));
	rc = fn(&ctx);
	if (opt.json && !json_emitted)
	{
		JsonWriter	w;

		result_begin(&w, &ctx, rc == PGM_EXIT_OK);
		result_end(&w);
	}
	db_disconnect(ctx.conn);
	fflush(stdout);
	fflush(stderr);

	f = fopen(sum, "w");
	if (f != NULL)
	{
		const char *s = command_summary;

		if (rc != PGM_EXIT_OK && s == NULL)
		{
			/* the first error says what went wrong */
			for (size_t k = 0; k < n_diags; k++)
				if (strcmp(diags[k].severity, "error") == 0)
				{
					s = diag_text(&diags[k]);
					break;
				}
		}
		fprintf(f, "%d\n%s\n", rc, s ? s : (rc == PGM_EXIT_OK ? "ok" : "failed"));
		fclose(f);
	}
	_exit(rc);
}

static void
print_indented(const char *text)
{
	const char *p = text;

	while (*p)
	{
		const char *nl = strchr(p, '\n');
		size_t		len = nl ? (size_t) (nl - p) : strlen(p);

		printf("        %.*s\n", (int) len, p);
		p += len + (nl ? 1 : 0);
	}
}

int
fleet_run(CommandFn fn)
{
	Target	   *t = NULL;
	size_t		n = 0;
	int			rc;
	char		tmpl[1024];
	const char *tmpdir = getenv("TMPDIR");
	size_t		next = 0,
				running = 0,
				finished = 0;
	int			worst = PGM_EXIT_OK;
	int			width = 0;
	double		t0 = pgm_now();
	size_t		nok = 0;
	struct sigaction sa,
				old_sa;

	/* the files once, before any database */
	if (!opt.no_sync && strcmp(command_name, "current") != 0)
	{
		RevDir		rd;

		rc = revdir_load(opt.directory, &rd);
		if (rc != PGM_EXIT_OK)
			return rc;
		if (!revdir_report_errors(&rd))
		{
			pgm_error("revision files with problems: %zu of %zu in \"%s\"; no database was touched",
					  rd.n_invalid + rd.n_duplicates, rd.n, rd.dir);
			return PGM_EXIT_FAIL;
		}
	}
	if (opt.password_prompt == 1 && opt.password == NULL)
		opt.password = db_prompt_password();

	rc = opt.db_file ? targets_from_file(opt.db_file, &t, &n)
		: targets_from_pattern(opt.each_db, &t, &n);
	if (rc != PGM_EXIT_OK)
		return rc;
	for (size_t i = 0; i < n; i++)
		if ((int) strlen(t[i].label) > width)
			width = (int) strlen(t[i].label);

	snprintf(tmpl, sizeof(tmpl), "%s/pg_migrate.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (mkdtemp(tmpl) == NULL)
	{
		pgm_error("could not create a temporary directory: %s", strerror(errno));
		return PGM_EXIT_FAIL;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handle_interrupt;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;			/* waitpid returns on Ctrl-C */
	sigaction(SIGINT, &sa, &old_sa);
	fflush(stdout);
	fflush(stderr);

	if (!opt.quiet && !opt.json)
		fprintf(stderr, "%s of project %s on %zu database%s, %d at a time\n", command_name,
				opt.project, n, n == 1 ? "" : "s", opt.jobs);

	while (finished < n)
	{
		pid_t		pid;
		int			status;
		size_t		k;
		char	   *path;
		char	   *text;
		char	   *nl;

		while (!interrupted && running < (size_t) opt.jobs && next < n)
		{
			Target	   *c = &t[next];

			c->started_at = pgm_now();
			pid = fork();
			if (pid < 0)
			{
				pgm_error("could not fork: %s", strerror(errno));
				interrupted = 1;
				break;
			}
			if (pid == 0)
				run_child(fn, c, tmpl, next);
			c->pid = pid;
			c->started = true;
			running++;
			next++;
		}
		if (running == 0)
		{
			/* interrupted: the rest never started */
			for (size_t i = 0; i < n; i++)
				if (!t[i].started && !t[i].done)
				{
					t[i].done = true;
					t[i].rc = PGM_EXIT_FAIL;
					t[i].summary = pgm_strdup("not started (interrupted)");
					finished++;
					if (!opt.json)
						printf("%-7s %-*s %s\n", "SKIPPED", width, t[i].label, t[i].summary);
				}
			worst = worst < PGM_EXIT_FAIL ? PGM_EXIT_FAIL : worst;
			break;
		}
		pid = waitpid(-1, &status, 0);
		if (pid < 0)
		{
			if (errno == EINTR)
				continue;
			break;
		}
		for (k = 0; k < n; k++)
			if (t[k].pid == pid && t[k].started && !t[k].done)
				break;
		if (k == n)
			continue;
		running--;
		finished++;
		t[k].done = true;
		t[k].seconds = pgm_now() - t[k].started_at;
		path = pgm_psprintf("%s/%zu.sum", tmpl, k);
		text = read_all(path);
		free(path);
		nl = strchr(text, '\n');
		if (nl != NULL && WIFEXITED(status))
		{
			t[k].rc = atoi(text);
			t[k].summary = pgm_strdup(nl + 1);
			nl = strchr(t[k].summary, '\n');
			if (nl)
				*nl = '\0';
		}
		else
		{
			t[k].rc = PGM_EXIT_FAIL;
			t[k].summary = WIFSIGNALED(status)
				? pgm_psprintf("terminated by signal %d", WTERMSIG(status))
				: pgm_strdup("failed");
		}
		free(text);
		if (t[k].rc > worst)
			worst = t[k].rc;
		if (t[k].rc == PGM_EXIT_OK)
			nok++;
		if (!opt.json)
		{
			printf("%-7s %-*s %s\n", t[k].rc == PGM_EXIT_OK ? "ok" : "FAILED", width,
				   t[k].label, t[k].summary);
			if (opt.verbose)
			{
				const char *ext[2] = {"out", "err"};

				for (int x = 0; x < 2; x++)
				{
					char	   *p = pgm_psprintf("%s/%zu.%s", tmpl, k, ext[x]);
					char	   *o = read_all(p);

					print_indented(o);
					free(o);
					free(p);
				}
			}
			fflush(stdout);
		}
	}
	sigaction(SIGINT, &old_sa, NULL);

	if (opt.json)
	{
		JsonWriter	w;

		result_begin(&w, NULL, worst == PGM_EXIT_OK);
		json_kv_int(&w, "databases", (long long) n);
		json_kv_int(&w, "succeeded", (long long) nok);
		json_kv_int(&w, "failed", (long long) (n - nok));
		json_key(&w, "results");
		json_begin_array(&w);
		for (size_t i = 0; i < n; i++)
		{
			char	   *path = pgm_psprintf("%s/%zu.out", tmpl, i);
			char	   *doc = t[i].started ? read_all(path) : pgm_strdup("");

			json_begin_object(&w);
			json_kv_string(&w, "target", t[i].label);
			json_kv_int(&w, "exit_status", t[i].rc);
			json_kv_bool(&w, "ok", t[i].rc == PGM_EXIT_OK);
			json_kv_string(&w, "summary", t[i].summary);
			json_kv_double(&w, "seconds", t[i].seconds);
			json_key(&w, "result");
			/* the child's own document, valid JSON by construction */
			if (doc[0] == '{')
				json_raw(&w, doc);
			else
				json_null(&w);
			json_end_object(&w);
			free(doc);
			free(path);
		}
		json_end_array(&w);
		result_end(&w);
	}
	else if (!opt.quiet)
		printf("%zu database%s: %zu ok, %zu failed (%s)\n", n, n == 1 ? "" : "s", nok, n - nok,
			   pgm_format_seconds(pgm_now() - t0));

	/* clean the temporary directory */
	for (size_t i = 0; i < n; i++)
	{
		const char *ext[3] = {"out", "err", "sum"};

		for (int e = 0; e < 3; e++)
		{
			char	   *path = pgm_psprintf("%s/%zu.%s", tmpl, i, ext[e]);

			unlink(path);
			free(path);
		}
	}
	rmdir(tmpl);
	if (interrupted && worst == PGM_EXIT_OK)
		worst = PGM_EXIT_FAIL;
	return worst;
}
