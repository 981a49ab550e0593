/*-------------------------------------------------------------------------
 *
 * main.c
 *	  pg_migrate: the command-line client of the migrate extension.
 *	  Options, the command table, help texts and dispatch.
 *
 * Options may come before or after the command ("pg_migrate -D db upgrade"
 * and "pg_migrate upgrade head -D db" are the same); an option that the
 * command does not take is a usage error (exit status 2).
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

Options		opt;
const char *progname = "pg_migrate";
const char *command_name = NULL;
char	   *command_summary = NULL;
bool		json_emitted = false;

enum OptionId
{
	/* global */
	O_DIRECTORY, O_DBNAME, O_HOST, O_PORT, O_USERNAME, O_NO_PASSWORD,
	O_PASSWORD, O_QUIET, O_VERBOSE, O_JSON, O_NO_SYNC, O_HELP, O_VERSION,
	/* per command */
	O_MESSAGE, O_MERGE, O_LABEL, O_HEAD, O_DEPENDS_ON, O_REV_ID, O_NON_TX,
	O_SQL, O_DRY_RUN, O_DOWN, O_OUTPUT, O_FORMAT, O_DOT, O_MERMAID,
	O_OFFLINE, O_STRICT, O_AT_HEAD, O_PRUNE, O_SKIP_VALIDATION, O_FORCE,
	O_TABLE, O_EACH_DB, O_DB_FILE, O_JOBS, O_LOCK_TIMEOUT, O_LOCK_WAIT,
	O_LOCK_RETRIES, O_ALLOW_MISSING,
	O_COUNT
};

#define BIT(o) (UINT64_C(1) << (o))
#define GLOBAL_OPTIONS (BIT(O_DIRECTORY) | BIT(O_DBNAME) | BIT(O_HOST) | \
	BIT(O_PORT) | BIT(O_USERNAME) | BIT(O_NO_PASSWORD) | BIT(O_PASSWORD) | \
	BIT(O_QUIET) | BIT(O_VERBOSE) | BIT(O_JSON) | BIT(O_NO_SYNC) | BIT(O_HELP))
#define FLEET_OPTIONS (BIT(O_EACH_DB) | BIT(O_DB_FILE) | BIT(O_JOBS))
#define LOCK_OPTIONS (BIT(O_LOCK_TIMEOUT) | BIT(O_LOCK_WAIT) | BIT(O_LOCK_RETRIES))

static const struct option long_options[] = {
	{"directory", required_argument, NULL, 'D'},
	{"dbname", required_argument, NULL, 'd'},
	{"host", required_argument, NULL, 'h'},
	{"port", required_argument, NULL, 'p'},
	{"username", required_argument, NULL, 'U'},
	{"no-password", no_argument, NULL, 'w'},
	{"password", no_argument, NULL, 'W'},
	{"quiet", no_argument, NULL, 'q'},
	{"verbose", no_argument, NULL, 'v'},
	{"json", no_argument, NULL, 1000 + O_JSON},
	{"no-sync", no_argument, NULL, 1000 + O_NO_SYNC},
	{"help", no_argument, NULL, 1000 + O_HELP},
	{"version", no_argument, NULL, 'V'},
	{"message", required_argument, NULL, 'm'},
	{"merge", no_argument, NULL, 1000 + O_MERGE},
	{"label", required_argument, NULL, 1000 + O_LABEL},
	{"branch-label", required_argument, NULL, 1000 + O_LABEL},
	{"head", required_argument, NULL, 1000 + O_HEAD},
	{"depends-on", required_argument, NULL, 1000 + O_DEPENDS_ON},
	{"rev-id", required_argument, NULL, 1000 + O_REV_ID},
	{"non-transactional", no_argument, NULL, 1000 + O_NON_TX},
	{"sql", no_argument, NULL, 1000 + O_SQL},
	{"dry-run", no_argument, NULL, 1000 + O_DRY_RUN},
	{"down", no_argument, NULL, 1000 + O_DOWN},
	{"output", required_argument, NULL, 'o'},
	{"format", required_argument, NULL, 1000 + O_FORMAT},
	{"dot", no_argument, NULL, 1000 + O_DOT},
	{"mermaid", no_argument, NULL, 1000 + O_MERMAID},
	{"offline", no_argument, NULL, 1000 + O_OFFLINE},
	{"strict", no_argument, NULL, 1000 + O_STRICT},
	{"at-head", no_argument, NULL, 1000 + O_AT_HEAD},
	{"prune", no_argument, NULL, 1000 + O_PRUNE},
	{"skip-validation", no_argument, NULL, 1000 + O_SKIP_VALIDATION},
	{"force", no_argument, NULL, 1000 + O_FORCE},
	{"table", required_argument, NULL, 1000 + O_TABLE},
	{"each-db", required_argument, NULL, 1000 + O_EACH_DB},
	{"db-file", required_argument, NULL, 1000 + O_DB_FILE},
	{"jobs", required_argument, NULL, 'j'},
	{"lock-timeout", required_argument, NULL, 1000 + O_LOCK_TIMEOUT},
	{"lock-wait", required_argument, NULL, 1000 + O_LOCK_WAIT},
	{"lock-retries", required_argument, NULL, 1000 + O_LOCK_RETRIES},
	{"allow-missing", no_argument, NULL, 1000 + O_ALLOW_MISSING},
	{NULL, 0, NULL, 0}
};

/* How each option is written in messages. */
static const char *const option_names[O_COUNT] = {
	"-D/--directory", "-d/--dbname", "-h/--host", "-p/--port", "-U/--username",
	"-w/--no-password", "-W/--password", "-q/--quiet", "-v/--verbose", "--json",
	"--no-sync", "--help", "-V/--version",
	"-m/--message", "--merge", "--label", "--head", "--depends-on", "--rev-id",
	"--non-transactional", "--sql", "--dry-run", "--down", "-o/--output",
	"--format", "--dot", "--mermaid", "--offline", "--strict", "--at-head",
	"--prune", "--skip-validation", "--force", "--table", "--each-db",
	"--db-file", "-j/--jobs", "--lock-timeout", "--lock-wait", "--lock-retries",
	"--allow-missing"
};

static int	cmd_help(Ctx *ctx);

typedef struct Command
{
	const char *name;
	CommandFn	fn;
	uint64_t	options;		/* beyond the global ones */
	int			min_args;
	int			max_args;
	bool		fleet;			/* runs with --each-db / --db-file */
	const char *synopsis;
	const char *summary;
	const char *help;
} Command;

static const char target_help[] =
"Targets (Alembic's grammar): head, heads, base, a full id or a unique\n"
"prefix, +N and -N relative to what is applied, <id>+N, <label>@head,\n"
"<label>@base, <label>@+N.\n";

static const char fleet_help[] =
"Several databases at once (in parallel, one summary line per database;\n"
"the exit status is the highest of theirs: 1 if one failed, 2 if one\n"
"could not be reached):\n"
"  --each-db PATTERN     every database of the server whose name matches\n"
"                        the shell pattern (*, ?, [...]), on the server that\n"
"                        -d/-h/-p/PG* name\n"
"  --db-file FILE        one connection string (conninfo or URI) per line;\n"
"                        blank lines and lines starting with # are ignored\n"
"  -j, --jobs N          at most N databases at a time (default 4)\n";

static const Command commands[] = {
	{"init", cmd_init, 0, 0, 1, false,
		"init [DIRECTORY]",
		"create the migration directory with a README",
		"Creates DIRECTORY (default: -D, ./migrations) and a README.md that\n"
		"describes the file format.  An existing directory is kept; an\n"
		"existing README.md is not overwritten.  No database is needed.\n"
		"\nExample:\n  pg_migrate init\n  pg_migrate -D db/migrations init\n"},
	{"revision", cmd_revision,
		BIT(O_MESSAGE) | BIT(O_MERGE) | BIT(O_LABEL) | BIT(O_HEAD) | BIT(O_DEPENDS_ON) |
		BIT(O_REV_ID) | BIT(O_NON_TX), 0, 0, false,
		"revision [-m MESSAGE] [--merge] [--label LABEL] [--head ID] ...",
		"write a new revision file",
		"Writes <id>_<slug>.sql in the directory, with a fresh 12-digit\n"
		"hexadecimal id and down_revision set to the current head of the files\n"
		"(read offline; no database is needed).  With several heads, choose\n"
		"the parent with --head or merge them with --merge.\n"
		"\nOptions:\n"
		"  -m, --message TEXT       the revision's message (and the file's slug)\n"
		"  --merge                  a merge revision of every head\n"
		"  --head ID                the parent (repeat for several); \"base\" for\n"
		"                           a new base\n"
		"  --label LABEL            a branch label (repeatable)\n"
		"  --depends-on ID          a dependency (repeatable)\n"
		"  --rev-id ID              use this id instead of a random one\n"
		"  --non-transactional      for CREATE INDEX CONCURRENTLY and the like\n"
		"\nExamples:\n"
		"  pg_migrate revision -m \"add users\"\n"
		"  pg_migrate revision --merge -m \"merge billing and auth\"\n"
		"  pg_migrate revision -m \"index users by email\" --non-transactional\n"},
	{"upgrade", cmd_upgrade,
		BIT(O_SQL) | BIT(O_DRY_RUN) | BIT(O_OUTPUT) | BIT(O_SKIP_VALIDATION) |
		BIT(O_ALLOW_MISSING) | LOCK_OPTIONS | FLEET_OPTIONS, 0, 1, true,
		"upgrade [TARGET]",
		"apply pending revisions (default target: head)",
		"Syncs the directory, checks the chain (migrate.validate(): errors stop\n"
		"the upgrade unless --skip-validation), then applies every pending\n"
		"revision up to TARGET.  A plan of transactional revisions runs in one\n"
		"transaction (migrate.upgrade(): all or nothing).  A plan with a\n"
		"non-transactional revision (CREATE INDEX CONCURRENTLY ...) runs through\n"
		"CALL migrate.run(), one transaction per revision, its statements at\n"
		"top level; a failed concurrent build is reported with the INVALID index\n"
		"it left and the statement that removes it.  Concurrent upgrades of one\n"
		"database serialize: each revision is applied once.  A pending\n"
		"revision that is registered but has no file in the directory (its file\n"
		"was deleted, or it is another service's) is not run unless\n"
		"--allow-missing.\n"
		"\nOptions:\n"
		"  --sql                    print the offline script instead (as \"sql\")\n"
		"  -o, --output FILE        with --sql: write the script to FILE\n"
		"  --dry-run                print the plan, run nothing\n"
		"  --skip-validation        apply even if migrate.validate() finds errors\n"
		"  --allow-missing          also run pending revisions that no file declares\n"
		"  --lock-timeout MS        migrate.lock_timeout for each body statement\n"
		"  --lock-retries N         migrate.lock_retries\n"
		"  --lock-wait MS           migrate.lock_wait: longest wait for another\n"
		"                           session's migration\n"
		"\nExamples:\n"
		"  pg_migrate upgrade\n"
		"  pg_migrate upgrade +1\n"
		"  pg_migrate upgrade billing@head --lock-timeout 2000\n"
		"  pg_migrate upgrade --each-db 'tenant_*' -j 8\n"},
	{"downgrade", cmd_downgrade,
		BIT(O_SQL) | BIT(O_DRY_RUN) | BIT(O_OUTPUT) | BIT(O_SKIP_VALIDATION) |
		LOCK_OPTIONS, 1, 1, false,
		"downgrade TARGET",
		"revert applied revisions down to TARGET",
		"Runs downgrade bodies, newest first, in one transaction: every applied\n"
		"descendant of an id (which stays applied), everything (base), the\n"
		"current revision N times (-N), a branch (<label>@base).  Refuses before\n"
		"running anything if a revision on the way is irreversible.\n"
		"\nOptions: --sql, -o FILE, --dry-run, --skip-validation, --lock-timeout MS,\n"
		"--lock-retries N, --lock-wait MS (as for upgrade).\n"
		"\nExamples:\n  pg_migrate downgrade -1\n  pg_migrate downgrade base\n"
		"  pg_migrate downgrade 002\n"},
	{"stamp", cmd_stamp, BIT(O_SKIP_VALIDATION), 1, 1, false,
		"stamp TARGET",
		"record TARGET as applied without running anything",
		"Records TARGET and its ancestors as applied and its descendants as not\n"
		"applied, running no body: for a database whose tables already exist.\n"
		"\"stamp base\" clears the applied state.\n"
		"\nExamples:\n  pg_migrate stamp head\n  pg_migrate stamp base\n"},
	{"current", cmd_current, FLEET_OPTIONS, 0, 0, true,
		"current",
		"show the applied revisions with no applied child",
		"Prints one line per current revision: its id, (head) if it is a head,\n"
		"and its message; nothing when nothing is applied.  Reads the database\n"
		"only (no sync).  -v adds when and by whom it was applied.\n"
		"\nExample:\n  pg_migrate current\n  pg_migrate current --json\n"},
	{"heads", cmd_heads, 0, 0, 0, false,
		"heads",
		"show the revisions that no revision names as parent",
		"Syncs, then prints each head with (current) if it is applied.\n"
		"\nExample:\n  pg_migrate heads\n"},
	{"history", cmd_history, 0, 0, 0, false,
		"history [-v]",
		"show the chain, newest first",
		"Syncs, then prints every revision, newest first, as\n"
		"\"<parents> -> <id> (head) (current), <message>\", marking the\n"
		"applied ones.  With -v/--verbose: one block per revision with its file,\n"
		"labels, dependencies, when, by whom and how long it was applied, and\n"
		"the latest runs with their failures.  --json lists base first.\n"
		"\nExample:\n  pg_migrate history --verbose\n"},
	{"check", cmd_check,
		BIT(O_OFFLINE) | BIT(O_STRICT) | BIT(O_AT_HEAD) | FLEET_OPTIONS, 0, 0, true,
		"check [--offline] [--strict] [--at-head]",
		"validate the files and the chain; exit status 1 on errors",
		"Parses every file (problems are printed as file:line: message), syncs,\n"
		"and prints the findings of migrate.validate() with their files:\n"
		"missing parents, cycles, a file named for one id that declares another\n"
		"(source_mismatch), edited applied revisions, several heads...  Exit\n"
		"status 1 if there is an error.\n"
		"\nOptions:\n"
		"  --offline    check the files only, without a database: parse errors,\n"
		"               duplicate ids, file names, missing parents and\n"
		"               dependencies, cycles, several heads\n"
		"  --strict     warnings (several heads, several bases) fail too\n"
		"  --at-head    fail (exit 1) unless every head is applied: a health check\n"
		"\nExamples:\n  pg_migrate check\n  pg_migrate check --offline --strict\n"},
	{"sql", cmd_sql, BIT(O_DOWN) | BIT(O_OUTPUT), 0, 1, false,
		"sql [TARGET] [--down] [-o FILE]",
		"print the offline script of an upgrade (or downgrade)",
		"Syncs, then prints the script that brings a database in the state of\n"
		"this one to TARGET (default head): the bodies and the bookkeeping,\n"
		"for review or for psql (like \"alembic upgrade head --sql\").\n"
		"Runs nothing.  --down: the script of \"downgrade TARGET\".\n"
		"\nExamples:\n  pg_migrate sql > upgrade.sql\n  pg_migrate sql -1 --down\n"},
	{"status", cmd_status, FLEET_OPTIONS, 0, 0, true,
		"status",
		"current and head revisions, pending ones, validation, last run",
		"Syncs, then prints one summary: current and head revisions, whether\n"
		"the database is at head, the pending revisions, counts, the number of\n"
		"validation errors and warnings, and the last run.\n"
		"\nExample:\n  pg_migrate status\n  pg_migrate status --each-db 'app_*'\n"},
	{"graph", cmd_graph, BIT(O_FORMAT) | BIT(O_DOT) | BIT(O_MERMAID) | BIT(O_OUTPUT), 0, 0, false,
		"graph [--format dot|mermaid] [-o FILE]",
		"the revision graph as Graphviz DOT or Mermaid (offline)",
		"Reads the files (no database) and prints the graph: one node per\n"
		"revision (id, message, labels; heads drawn double), an edge from each\n"
		"parent to its child, a dashed edge for each dependency.\n"
		"\nOptions:\n"
		"  --format dot|mermaid   default dot; --dot and --mermaid for short\n"
		"  -o, --output FILE      write to FILE\n"
		"\nExamples:\n  pg_migrate graph | dot -Tsvg > graph.svg\n"
		"  pg_migrate graph --mermaid\n"},
	{"sync", cmd_sync, BIT(O_PRUNE), 0, 0, false,
		"sync [--prune]",
		"load the directory into the database and report changes",
		"What every command that needs the revisions does first, on its own:\n"
		"reports new, changed and missing (registered, no file) revisions.\n"
		"--prune unregisters missing revisions that are not applied.\n"
		"\nExample:\n  pg_migrate sync --prune\n"},
	{"adopt", cmd_adopt, BIT(O_TABLE) | BIT(O_FORCE) | BIT(O_DRY_RUN), 1, 1, false,
		"adopt alembic|flyway|golang-migrate|dbmate [--table NAME]",
		"stamp what another tool recorded as applied",
		"Reads the version table of another migration tool and stamps the\n"
		"matching revisions (their ids must have been kept when the scripts\n"
		"were converted to files), so nothing runs again.  Refuses if the\n"
		"database already has applied revisions that differ (--force stamps\n"
		"anyway), or if the other tool recorded a failed or dirty migration.\n"
		"The other tool's table is left as it is.\n"
		"\n  alembic          alembic_version (version_num): every row is a head\n"
		"  flyway           flyway_schema_history (version, success): every\n"
		"                   successful versioned migration\n"
		"  golang-migrate   schema_migrations (version, dirty)\n"
		"  dbmate           schema_migrations (version): every row\n"
		"\nOptions:\n"
		"  --table [SCHEMA.]NAME   the version table, if not the tool's default\n"
		"  --dry-run               show what would be stamped\n"
		"  --force                 stamp although revisions are applied already\n"
		"\nExample:\n  pg_migrate adopt alembic --dry-run\n  pg_migrate adopt alembic\n"},
	{"help", cmd_help, 0, 0, 1, false,
		"help [COMMAND]",
		"show help for pg_migrate or for a command",
		"Example:\n  pg_migrate help upgrade\n"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const Command *current_command = NULL;

static const Command *
find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void
print_global_help(FILE *out)
{
	fprintf(out,
			"\nGlobal options:\n"
			"  -D, --directory DIR   the revision files (default ./migrations, or\n"
			"                        $PG_MIGRATE_DIR)\n"
			"  -d, --dbname DBNAME   database name, conninfo string or URI\n"
			"  -h, --host HOST       database server host or socket directory\n"
			"  -p, --port PORT       database server port\n"
			"  -U, --username USER   database user name\n"
			"  -w, --no-password     never prompt for a password\n"
			"  -W, --password        prompt for a password\n"
			"  -q, --quiet           no progress or information on stderr\n"
			"  -v, --verbose         more detail\n"
			"  --json                results as one JSON document on stdout\n"
			"  --no-sync             use the revisions registered in the database as\n"
			"                        they are, without loading the directory\n"
			"  --help                this help\n"
			"\nThe connection follows libpq: PGHOST, PGPORT, PGDATABASE, PGUSER,\n"
			"PGPASSWORD, PGSERVICE, ~/.pgpass and service files apply.\n"
			"\nExit status: 0 success; 1 validation or migration failure (check\n"
			"found errors, a revision failed, a file does not parse); 2 usage,\n"
			"connection or setup error (bad option, unknown command, no such\n"
			"directory, cannot connect, extension not installed).\n");
}

static void
print_main_help(FILE *out)
{
	fprintf(out,
			"pg_migrate: schema migrations from revision files, kept inside\n"
			"PostgreSQL by the migrate extension.\n\n"
			"Usage:\n  pg_migrate [OPTION]... COMMAND [ARG]...\n\nCommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n%s", target_help);
	print_global_help(out);
	fprintf(out, "\n\"pg_migrate help COMMAND\" or \"pg_migrate COMMAND --help\" shows a\n"
			"command's options and examples.\n");
}

static void
print_command_help(const Command *c, FILE *out)
{
	fprintf(out, "pg_migrate %s: %s\n\nUsage:\n  pg_migrate [OPTION]... %s\n\n%s",
			c->name, c->summary, c->synopsis, c->help);
	if (c->fleet)
		fprintf(out, "\n%s", fleet_help);
	if (strcmp(c->name, "upgrade") == 0 || strcmp(c->name, "downgrade") == 0 ||
		strcmp(c->name, "stamp") == 0 || strcmp(c->name, "sql") == 0)
		fprintf(out, "\n%s", target_help);
	print_global_help(out);
}

static int
cmd_help(Ctx *ctx)
{
	(void) ctx;
	if (opt.nargs == 1)
	{
		const Command *c = find_command(opt.args[0]);

		if (c == NULL)
		{
			pgm_error("unknown command \"%s\"", opt.args[0]);
			return PGM_EXIT_USAGE;
		}
		print_command_help(c, stdout);
	}
	else
		print_main_help(stdout);
	return PGM_EXIT_OK;
}

static int
usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: error: ", progname);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry \"pg_migrate %s%s--help\" for more information.\n",
			current_command ? current_command->name : "",
			current_command ? " " : "");
	return PGM_EXIT_USAGE;
}

void
set_summary(const char *fmt,...)
{
	va_list		ap;
	char		buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	free(command_summary);
	command_summary = pgm_strdup(buf);
}

/* ---------------------------------------------------------------------
 * What commands share
 * ---------------------------------------------------------------------
 */
int
ctx_load_dir(Ctx *ctx, bool must_exist)
{
	int			rc;

	if (ctx->rd_loaded)
		return PGM_EXIT_OK;
	rc = revdir_load(opt.directory, &ctx->rd);
	if (rc != PGM_EXIT_OK && must_exist)
		return rc;
	ctx->rd_loaded = true;
	return PGM_EXIT_OK;
}

/*
 * Connect, check that the extension is there, and sync the directory
 * unless --no-sync or !sync.
 */
int
ctx_open(Ctx *ctx, bool sync)
{
	int			rc;

	if (sync && !opt.no_sync)
	{
		rc = ctx_load_dir(ctx, true);
		if (rc != PGM_EXIT_OK)
			return rc;
		/* file problems are found before connecting */
		if (ctx->rd.n_invalid > 0 || ctx->rd.n_duplicates > 0)
		{
			(void) revdir_report_errors(&ctx->rd);
			pgm_error("revision files with problems: %zu of %zu in \"%s\"; nothing was loaded",
					  ctx->rd.n_invalid + ctx->rd.n_duplicates, ctx->rd.n, ctx->rd.dir);
			return PGM_EXIT_FAIL;
		}
	}
	else if (!ctx->rd_loaded)
	{
		/* for file names in messages, if the directory is there */
		if (revdir_load_quiet(opt.directory, &ctx->rd) == PGM_EXIT_OK)
			ctx->rd_loaded = true;
	}

	ctx->conn = db_connect();
	if (ctx->conn == NULL)
		return PGM_EXIT_USAGE;
	if (!db_require_extension(ctx->conn))
		return PGM_EXIT_USAGE;
	if (sync && !opt.no_sync)
	{
		rc = sync_directory(ctx->conn, &ctx->rd, false);
		if (rc != PGM_EXIT_OK)
			return rc;
	}
	return PGM_EXIT_OK;
}

void
json_diags(JsonWriter *w)
{
	json_key(w, "diagnostics");
	json_begin_array(w);
	for (size_t i = 0; i < n_diags; i++)
	{
		Diag	   *d = &diags[i];

		json_begin_object(w);
		json_kv_string(w, "severity", d->severity);
		json_kv_string(w, "message", d->message);
		if (d->sqlstate)
			json_kv_string(w, "sqlstate", d->sqlstate);
		if (d->detail)
			json_kv_string(w, "detail", d->detail);
		if (d->hint)
			json_kv_string(w, "hint", d->hint);
		if (d->context)
			json_kv_string(w, "context", d->context);
		if (d->file)
		{
			json_kv_string(w, "file", d->file);
			if (d->line > 0)
				json_kv_int(w, "line", (long long) d->line);
		}
		json_end_object(w);
	}
	json_end_array(w);
}

void
result_begin(JsonWriter *w, Ctx *ctx, bool ok)
{
	json_init(w, stdout);
	json_begin_object(w);
	json_kv_string(w, "command", command_name);
	json_kv_bool(w, "ok", ok);
	if (ctx != NULL && ctx->conn != NULL)
		json_kv_string(w, "database", PQdb(ctx->conn));
	if (sync_report.done)
		sync_json(w, &sync_report);
	json_emitted = true;
}

void
result_end(JsonWriter *w)
{
	json_diags(w);
	json_end_object(w);
	json_finish(w);
}

/* ---------------------------------------------------------------------
 * main
 * ---------------------------------------------------------------------
 */
static bool
parse_int_option(const char *s, int min, int max, int *out)
{
	char	   *end;
	long		v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < min || v > max)
		return false;
	*out = (int) v;
	return true;
}

/* Does "arg" (the argument before another) take the next one as its value? */
static bool
takes_value(const char *arg)
{
	if (arg[0] == '-' && arg[1] != '-' && arg[1] != '\0' && arg[2] == '\0')
		return strchr("DdhpUmoj", arg[1]) != NULL;
	if (strncmp(arg, "--", 2) == 0 && strchr(arg, '=') == NULL)
		for (const struct option *o = long_options; o->name != NULL; o++)
			if (strcmp(arg + 2, o->name) == 0)
				return o->has_arg == required_argument;
	return false;
}

/*
 * Alembic's relative targets ("downgrade -1") look like options to getopt:
 * move every argument of the form -N that is not an option's value after a
 * "--", where getopt leaves positional arguments alone.
 */
static char **
protect_relative_targets(int argc, char **argv, int *newargc)
{
	char	  **out = pgm_malloc(sizeof(char *) * ((size_t) argc + 2));
	char	  **moved = pgm_malloc(sizeof(char *) * ((size_t) argc + 1));
	int			n = 0,
				nm = 0;
	bool		after_dashdash = false;

	out[n++] = argv[0];
	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i];
		bool		negative = a[0] == '-' && a[1] >= '0' && a[1] <= '9' &&
			strspn(a + 1, "0123456789") == strlen(a + 1);

		if (after_dashdash)
			moved[nm++] = argv[i];
		else if (strcmp(a, "--") == 0)
			after_dashdash = true;
		else if (negative && !(i > 1 && takes_value(argv[i - 1])))
			moved[nm++] = argv[i];
		else
			out[n++] = argv[i];
	}
	if (nm > 0 || after_dashdash)
	{
		out[n++] = "--";
		for (int i = 0; i < nm; i++)
			out[n++] = moved[i];
	}
	out[n] = NULL;
	free(moved);
	*newargc = n;
	return out;
}

int
main(int argc, char **argv)
{
	int			c;
	int			longindex;
	uint64_t	seen = 0;
	Ctx			ctx;
	int			rc;
	const char *env_dir = getenv("PG_MIGRATE_DIR");

	argv = protect_relative_targets(argc, argv, &argc);
	memset(&opt, 0, sizeof(opt));
	opt.directory = env_dir && *env_dir ? env_dir : "migrations";
	opt.jobs = 4;

	while ((c = getopt_long(argc, argv, "D:d:h:p:U:wWqvVm:o:j:", long_options,
							&longindex)) != -1)
	{
		int			id;

		switch (c)
		{
			case 'D':
				id = O_DIRECTORY;
				opt.directory = optarg;
				break;
			case 'd':
				id = O_DBNAME;
				opt.dbname = optarg;
				break;
			case 'h':
				id = O_HOST;
				opt.host = optarg;
				break;
			case 'p':
				id = O_PORT;
				opt.port = optarg;
				break;
			case 'U':
				id = O_USERNAME;
				opt.username = optarg;
				break;
			case 'w':
				id = O_NO_PASSWORD;
				opt.password_prompt = -1;
				break;
			case 'W':
				id = O_PASSWORD;
				opt.password_prompt = 1;
				break;
			case 'q':
				id = O_QUIET;
				opt.quiet = true;
				break;
			case 'v':
				id = O_VERBOSE;
				opt.verbose = true;
				break;
			case 'V':
				printf("pg_migrate (migrate) %s\n", PG_MIGRATE_VERSION);
				return PGM_EXIT_OK;
			case 'm':
				id = O_MESSAGE;
				opt.message = optarg;
				break;
			case 'o':
				id = O_OUTPUT;
				opt.output = optarg;
				break;
			case 'j':
				id = O_JOBS;
				if (!parse_int_option(optarg, 1, 256, &opt.jobs))
					return usage_error("-j/--jobs must be an integer from 1 to 256, not \"%s\"", optarg);
				break;
			case '?':
				fprintf(stderr, "Try \"pg_migrate --help\" for more information.\n");
				return PGM_EXIT_USAGE;
			default:
				id = c - 1000;
				switch (id)
				{
					case O_JSON:
						opt.json = true;
						break;
					case O_NO_SYNC:
						opt.no_sync = true;
						break;
					case O_HELP:
						break;
					case O_MERGE:
						opt.merge = true;
						break;
					case O_LABEL:
						sl_add(&opt.labels, optarg);
						break;
					case O_HEAD:
						sl_add(&opt.heads, optarg);
						break;
					case O_DEPENDS_ON:
						sl_add(&opt.depends_on, optarg);
						break;
					case O_REV_ID:
						opt.rev_id = optarg;
						break;
					case O_NON_TX:
						opt.non_transactional = true;
						break;
					case O_SQL:
						opt.sql = true;
						break;
					case O_DRY_RUN:
						opt.dry_run = true;
						break;
					case O_DOWN:
						opt.down = true;
						break;
					case O_FORMAT:
						opt.format = optarg;
						break;
					case O_DOT:
						opt.format = "dot";
						break;
					case O_MERMAID:
						opt.format = "mermaid";
						break;
					case O_OFFLINE:
						opt.offline = true;
						break;
					case O_STRICT:
						opt.strict = true;
						break;
					case O_AT_HEAD:
						opt.at_head = true;
						break;
					case O_PRUNE:
						opt.prune = true;
						break;
					case O_SKIP_VALIDATION:
						opt.skip_validation = true;
						break;
					case O_ALLOW_MISSING:
						opt.allow_missing = true;
						break;
					case O_FORCE:
						opt.force = true;
						break;
					case O_TABLE:
						opt.table = optarg;
						break;
					case O_EACH_DB:
						opt.each_db = optarg;
						break;
					case O_DB_FILE:
						opt.db_file = optarg;
						break;
					case O_LOCK_TIMEOUT:
						opt.lock_timeout = optarg;
						break;
					case O_LOCK_WAIT:
						opt.lock_wait = optarg;
						break;
					case O_LOCK_RETRIES:
						opt.lock_retries = optarg;
						break;
					default:
						return PGM_EXIT_USAGE;
				}
				break;
		}
		seen |= BIT(id);
	}

	if (optind >= argc)
	{
		if (seen & BIT(O_HELP))
		{
			print_main_help(stdout);
			return PGM_EXIT_OK;
		}
		fprintf(stderr, "%s: error: no command given\n"
				"Usage: pg_migrate [OPTION]... COMMAND [ARG]...\n"
				"Try \"pg_migrate --help\" for the commands.\n", progname);
		return PGM_EXIT_USAGE;
	}
	current_command = find_command(argv[optind]);
	if (current_command == NULL)
	{
		fprintf(stderr, "%s: error: unknown command \"%s\"\n"
				"Try \"pg_migrate --help\" for the commands.\n", progname, argv[optind]);
		return PGM_EXIT_USAGE;
	}
	command_name = current_command->name;
	if (seen & BIT(O_HELP))
	{
		print_command_help(current_command, stdout);
		return PGM_EXIT_OK;
	}
	for (int o = 0; o < O_COUNT; o++)
		if ((seen & BIT(o)) && !((GLOBAL_OPTIONS | current_command->options) & BIT(o)))
		{
			fprintf(stderr, "%s: error: option %s does not apply to \"%s\"\n"
					"Try \"pg_migrate %s --help\" for its options.\n",
					progname, option_names[o], current_command->name, current_command->name);
			return PGM_EXIT_USAGE;
		}
	opt.args = argv + optind + 1;
	opt.nargs = argc - optind - 1;
	if (opt.nargs < current_command->min_args || opt.nargs > current_command->max_args)
	{
		fprintf(stderr, "%s: error: %s \"%s\"\nUsage: pg_migrate %s\n"
				"Try \"pg_migrate %s --help\" for more information.\n",
				progname,
				opt.nargs < current_command->min_args ? "missing argument for" : "too many arguments for",
				current_command->name, current_command->synopsis, current_command->name);
		return PGM_EXIT_USAGE;
	}
	if (opt.format != NULL && strcmp(opt.format, "dot") != 0 && strcmp(opt.format, "mermaid") != 0)
		return usage_error("--format must be dot or mermaid, not \"%s\"", opt.format);
	if ((seen & BIT(O_JOBS)) && opt.each_db == NULL && opt.db_file == NULL)
		return usage_error("%s", "-j/--jobs goes with --each-db or --db-file");
	if (opt.each_db != NULL && opt.db_file != NULL)
		return usage_error("%s", "--each-db and --db-file exclude each other");
	if ((seen & BIT(O_OUTPUT)) && strcmp(command_name, "upgrade") == 0 && !opt.sql)
		return usage_error("%s", "-o/--output goes with --sql");
	if ((seen & BIT(O_OUTPUT)) && strcmp(command_name, "downgrade") == 0 && !opt.sql)
		return usage_error("%s", "-o/--output goes with --sql");

	memset(&ctx, 0, sizeof(ctx));
	if (opt.each_db != NULL || opt.db_file != NULL)
		rc = fleet_run(current_command->fn);
	else
		rc = current_command->fn(&ctx);

	if (opt.json && !json_emitted && current_command->fn != cmd_help)
	{
		JsonWriter	w;

		result_begin(&w, &ctx, rc == PGM_EXIT_OK);
		result_end(&w);
	}
	db_disconnect(ctx.conn);
	fflush(stdout);
	return rc;
}
