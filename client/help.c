/*-------------------------------------------------------------------------
 *
 * help.c
 *	  The command table of pg_migrate: for each command, the function that
 *	  runs it, the options it takes beyond the global ones, how many
 *	  arguments, its synopsis, summary and help text; and the help output
 *	  ("pg_migrate --help", "pg_migrate help COMMAND", "COMMAND --help").
 *
 * main.c looks commands up here to dispatch them; nothing here calls back
 * into main.c.  The user's guide is docs/pg_migrate.md.
 *
 * IDENTIFICATION
 *	  client/help.c
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <string.h>

static const char target_help[] =
"Targets (Alembic's grammar): head, heads, base, a full id or a unique\n"
"prefix, a branch label, +N and -N relative to what is applied, <id>+N,\n"
"<label>@head, <label>@heads, <id>@head, <label>@base, <label>@+N,\n"
"head-N, base+N.\n";

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

const Command commands[] = {
	{"init", cmd_init, 0, 0, 1, false,
		"init [DIRECTORY] [--project NAME]",
		"create the migration directory with a README",
		"Creates DIRECTORY (default: -D, ./migrations) and a README.md that\n"
		"describes the file format.  An existing directory is kept; an\n"
		"existing README.md is not overwritten.  No database is needed.\n"
		"With --project, writes the directory's settings file pg_migrate.conf\n"
		"(\"project = NAME\"): every later command run on the directory acts\n"
		"on that project (history) alone, in a database other services'\n"
		"projects share.  An existing settings file that names another\n"
		"project is an error.\n"
		"\nExample:\n  pg_migrate init\n  pg_migrate -D db/migrations init --project billing\n"},
	{"revision", cmd_revision,
		OPT(O_MESSAGE) | OPT(O_MERGE) | OPT(O_LABEL) | OPT(O_HEAD) | OPT(O_DEPENDS_ON) |
		OPT(O_REV_ID) | OPT(O_NON_TX), 0, 0, false,
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
		OPT(O_SQL) | OPT(O_DRY_RUN) | OPT(O_OUTPUT) | OPT(O_SKIP_VALIDATION) |
		OPT(O_ALLOW_MISSING) | LOCK_OPTIONS | FLEET_OPTIONS, 0, 1, true,
		"upgrade [TARGET]",
		"apply pending revisions (default target: head)",
		"Syncs the directory (the file of an applied revision that was edited\n"
		"is refused, with the ways out), checks the chain (migrate.validate():\n"
		"errors stop the upgrade unless --skip-validation), then applies every\n"
		"pending revision up to TARGET.  A plan of transactional revisions runs\n"
		"in one transaction (migrate.upgrade(): all or nothing).  A plan with a\n"
		"non-transactional revision (CREATE INDEX CONCURRENTLY ...) runs through\n"
		"CALL migrate.run(), one transaction per revision, its statements at\n"
		"top level; a failed concurrent build is reported with the INVALID index\n"
		"it left and the statement that removes it.  Concurrent upgrades of one\n"
		"database serialize: each revision is applied once.  A pending\n"
		"revision that is registered but has no file in the directory (its file\n"
		"was deleted, or it is another service's) is not run unless\n"
		"--allow-missing.  With nothing sent by the sync and every registered\n"
		"revision applied, the sync's one read says there is nothing to do.\n"
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
		OPT(O_SQL) | OPT(O_DRY_RUN) | OPT(O_OUTPUT) | OPT(O_SKIP_VALIDATION) |
		LOCK_OPTIONS, 1, 1, false,
		"downgrade TARGET",
		"revert applied revisions down to TARGET",
		"Runs downgrade bodies, newest first, in one transaction: every applied\n"
		"descendant of an id (which stays applied), everything (base), the\n"
		"current revision N times (-N), a branch (<label>@base).  Refuses before\n"
		"running anything if a revision on the way is irreversible.  The bodies\n"
		"are the registered ones: a file edited since its revision was applied\n"
		"is not loaded (a warning says so).\n"
		"\nOptions: --sql, -o FILE, --dry-run, --skip-validation, --lock-timeout MS,\n"
		"--lock-retries N, --lock-wait MS (as for upgrade).\n"
		"\nExamples:\n  pg_migrate downgrade -1\n  pg_migrate downgrade base\n"
		"  pg_migrate downgrade 002\n"},
	{"stamp", cmd_stamp, OPT(O_SKIP_VALIDATION), 1, 1, false,
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
		"heads [-v]",
		"show the revisions that no revision names as parent",
		"Prints each head of the files and the registered revisions together,\n"
		"with its labels, (current) if it is applied, and marks for what the\n"
		"database does not know yet (not registered, file changed).  Registers\n"
		"nothing.  -v prints each head as a block (parents, file, when applied).\n"
		"\nExample:\n  pg_migrate heads\n  pg_migrate heads -v\n"},
	{"history", cmd_history, OPT(O_REV_RANGE), 0, 0, false,
		"history [-r A:B] [-v]",
		"show the chain, newest first",
		"Prints every revision, newest first, as\n"
		"\"<parents> -> <id> (label) (head) (branchpoint) (mergepoint) (current),\n"
		"<message>\", with (pending) for those not applied and marks for what\n"
		"the database does not know yet.  Registers nothing: the files are\n"
		"compared with the database in memory.  With -v/--verbose: one block\n"
		"per revision with its file, labels, dependencies, when, by whom and how\n"
		"long it was applied, and the latest runs with their failures.  --json\n"
		"lists base first.\n"
		"\nOptions:\n"
		"  -r, --rev-range A:B   A and what an upgrade from state A to state B\n"
		"                        applies (as migrate.history('A:B') and alembic\n"
		"                        history -r A:B); A is listed when state B holds\n"
		"                        it.  Either end may be left out (base, heads);\n"
		"                        A and B are targets (ids, labels, <label>@head,\n"
		"                        current...).  A range whose B is below A holds\n"
		"                        nothing: a warning says so (exit status 0)\n"
		"\nExamples:\n  pg_migrate history --verbose\n  pg_migrate history -r 002:head\n"
		"  pg_migrate history -r current:\n"},
	{"show", cmd_show, OPT(O_OFFLINE), 1, 1, false,
		"show REV",
		"show one revision: message, parents, labels, file, bodies, when applied",
		"Prints the revision REV names (an id or a unique prefix, a label,\n"
		"<label>@head, head, head-1 ...): its message, parents, labels,\n"
		"dependencies, file, whether and when and by whom it was applied, and its\n"
		"upgrade and downgrade bodies (from its file; the registered ones if it\n"
		"has none and this role may read them).  Registers nothing.\n"
		"--offline reads the files alone.\n"
		"\nExamples:\n  pg_migrate show 004\n  pg_migrate show head\n"},
	{"branches", cmd_branches, OPT(O_OFFLINE), 0, 0, false,
		"branches",
		"show the branch points and their branches",
		"Prints every revision with more than one child (a branch point) and,\n"
		"under it, each branch: its first revision to where the line ends (a\n"
		"head, another branch point, or a merge), with its length.  Registers\n"
		"nothing.  --offline reads the files alone.\n"
		"\nExample:\n  pg_migrate branches\n"},
	{"check", cmd_check,
		OPT(O_OFFLINE) | OPT(O_STRICT) | OPT(O_AT_HEAD) | OPT(O_DRIFT) | FLEET_OPTIONS, 0, 0, true,
		"check [--offline] [--strict] [--at-head] [--drift]",
		"validate the files and the chain; exit status 1 on errors",
		"Parses every file (problems are printed as file:line: message) and\n"
		"prints, with their files, the findings of migrate.validate() on the\n"
		"chain as the database would hold it after a sync (the files it does\n"
		"not hold yet registered in a transaction that is rolled back, their\n"
		"bodies parsed by the server): missing parents, cycles, a file named\n"
		"for one id that declares another, bodies that do not parse...  Then\n"
		"what files and database disagree on (an applied revision's file\n"
		"edited: an error; a registered revision with no file: a warning; files\n"
		"not registered yet are listed on stderr).  An empty upgrade section is\n"
		"a warning.  Registers nothing.  Exit status 1 if there is an error.\n"
		"\nOptions:\n"
		"  --offline    check the files only, without a database: parse errors,\n"
		"               duplicate ids, file names, missing parents and\n"
		"               dependencies, cycles, several heads, empty bodies\n"
		"  --strict     warnings (several heads, several bases) fail too\n"
		"  --at-head    fail (exit 1) unless every head is applied: a health check\n"
		"  --drift      fail (exit 1) if the schema changed outside migrations since\n"
		"               the last run: DDL recorded outside any migration, or a\n"
		"               schema whose fingerprint differs from what the run left\n"
		"\nExamples:\n  pg_migrate check\n  pg_migrate check --offline --strict\n"
		"  pg_migrate check --at-head --drift\n"},
	{"lint", cmd_lint, OPT(O_DOWN) | OPT(O_STRICT), 0, 100000, false,
		"lint [TARGET] [--down] | lint FILE...",
		"what each pending statement will lock, rewrite and risk",
		"Syncs, then prints the findings of migrate.lint() for the plan an\n"
		"upgrade to TARGET (default head; with --down, a downgrade) would run:\n"
		"the lock each statement takes on each table (PostgreSQL's own decision),\n"
		"whether it rewrites it, the table's size in this database, and the\n"
		"rules it breaks (blocking_index, table_rewrite, scan_under_lock, ...),\n"
		"as file:line of the revision files, each with the safe way as a hint.\n"
		"Severity grows with the table's size (migrate.lint_large_table).  With\n"
		"FILE arguments, lints files that are not registered (a pull request's):\n"
		"each file's upgrade section through migrate.lint_sql(), on its own.\n"
		"Info findings (every statement's lock) are shown with -v.  Exit status\n"
		"1 if a finding is an error (with --strict, a warning too).\n"
		"\nOptions:\n"
		"  --down       lint the downgrade to TARGET\n"
		"  --strict     warnings fail too\n"
		"\nExamples:\n  pg_migrate lint\n  pg_migrate lint -v --json\n"
		"  pg_migrate lint migrations/20260101_add_index.sql\n"},
	{"sql", cmd_sql, OPT(O_DOWN) | OPT(O_OUTPUT) | OPT(O_OFFLINE), 0, 1, false,
		"sql [TARGET | A:B] [--offline] [--down] [-o FILE]",
		"print the offline script of an upgrade (or downgrade)",
		"Prints a psql script that does what upgrade (or, with --down, downgrade)\n"
		"would: the bodies and the bookkeeping, for review or for a DBA to run\n"
		"(like \"alembic upgrade head --sql\").  Runs nothing, registers nothing.\n"
		"\n"
		"Online (the default): migrate.sql(TARGET) from this database's state\n"
		"(default head) and its registered revisions; the script stops unless\n"
		"the database it runs on is in that state.\n"
		"\n"
		"--offline, or a range A:B: from the files alone, no database (as\n"
		"\"alembic upgrade A:B --sql\"): the upgrade from state A (default base)\n"
		"to B (default head); with --down, FROM:TO reverts from FROM down to TO.\n"
		"A range that runs the other way (B below A; with --down, above) holds\n"
		"nothing: no script is written and the exit status is 1.\n"
		"The script registers the files it records (migrate.add_file) and checks\n"
		"at its start that the database is at A.\n"
		"\nExamples:\n  pg_migrate sql > upgrade.sql\n  pg_migrate sql -1 --down\n"
		"  pg_migrate sql --offline > fresh.sql\n  pg_migrate sql --offline 002:head -o review.sql\n"},
	{"status", cmd_status, FLEET_OPTIONS, 0, 0, true,
		"status",
		"current and head revisions, pending ones, validation, last run",
		"Prints one summary: current and head revisions, whether the database\n"
		"is at head, the pending revisions (the first five; -v: all), how the\n"
		"files compare with the database, the number of validation errors and\n"
		"warnings, the last run, and drift: the DDL run outside migrations since\n"
		"then (who, when) and whether the schema still has the fingerprint the\n"
		"last run left.  Registers nothing.  Exit status 1 when the files differ\n"
		"from the database (not registered or changed).\n"
		"\nExample:\n  pg_migrate status\n  pg_migrate status --each-db 'app_*'\n"},
	{"blame", cmd_blame, 0, 1, 1, false,
		"blame OBJECT",
		"who created, altered and dropped an object, in which revision",
		"Prints every recorded change of OBJECT, oldest first: when, create,\n"
		"alter or drop, the revision and run that made it or \"outside\n"
		"migrations\", who, and the command.  OBJECT is a table, view, sequence,\n"
		"index, type, function (name or signature) or column (table.column),\n"
		"written as in SQL; a dropped object is found by its name.  Reads\n"
		"migrate.blame() (no sync).\n"
		"\nExamples:\n  pg_migrate blame users\n  pg_migrate blame users.email\n"
		"  pg_migrate --json blame 'public.touch(integer)'\n"},
	{"graph", cmd_graph, OPT(O_FORMAT) | OPT(O_DOT) | OPT(O_MERMAID) | OPT(O_OUTPUT) | OPT(O_FULL), 0, 0, false,
		"graph [--format dot|mermaid] [--full] [-o FILE]",
		"the revision graph as Graphviz DOT or Mermaid",
		"Reads the files and prints the graph: a node per revision (id, labels,\n"
		"message; heads drawn double, non-transactional ones in blue, names no\n"
		"file declares dashed), an edge from each parent to its child, a dashed\n"
		"edge for each dependency.  Linear runs of three or more revisions are\n"
		"drawn as one node (\"r12 ... r297: 285 revisions\"); bases, heads,\n"
		"branch points, merges, labelled, dependent, non-transactional and\n"
		"current revisions stay visible.  No database is needed; with -d (or\n"
		"-h, -p, -U) the current revisions are marked too.\n"
		"\nOptions:\n"
		"  --format dot|mermaid   default dot; --dot and --mermaid for short\n"
		"  --full                 draw every revision (no run is collapsed)\n"
		"  -o, --output FILE      write to FILE\n"
		"\nExamples:\n  pg_migrate graph | dot -Tsvg > graph.svg\n"
		"  pg_migrate graph --mermaid --full\n"},
	{"sync", cmd_sync, OPT(O_PRUNE), 0, 0, false,
		"sync [--prune]",
		"load the directory into the database and report changes",
		"What upgrade, downgrade, stamp and adopt do first, on its own: loads the\n"
		"files and reports new, changed, renamed and missing (registered, no\n"
		"file) revisions.  The edited file of an applied revision is not loaded\n"
		"(exit status 1, after loading the rest).  --prune unregisters missing\n"
		"revisions that are not applied.\n"
		"\nExample:\n  pg_migrate sync --prune\n"},
	{"adopt", cmd_adopt, OPT(O_TABLE) | OPT(O_FORCE) | OPT(O_DRY_RUN), 1, 1, false,
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
	{"projects", cmd_projects, 0, 0, 0, false,
		"projects",
		"list every project (history) of the database",
		"One line per project of the database: its current and head\n"
		"revisions, pending and applied counts, errors of its chain, and its\n"
		"last run (succeeded, failed, running or interrupted).  The directory's\n"
		"own project is marked with *.  Reads migrate.projects(); loads no\n"
		"files.\n"
		"\nExample:\n  pg_migrate projects\n  pg_migrate projects --json\n"},
	{"help", cmd_help, 0, 0, 1, false,
		"help [COMMAND]",
		"show help for pg_migrate or for a command",
		"Example:\n  pg_migrate help upgrade\n"},
};

const size_t n_commands = sizeof(commands) / sizeof(commands[0]);

const Command *
find_command(const char *name)
{
	for (size_t i = 0; i < n_commands; i++)
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
			"  --project NAME        the project (history) to act on; default\n"
			"                        $PG_MIGRATE_PROJECT, else the directory's\n"
			"                        pg_migrate.conf (pg_migrate init --project),\n"
			"                        else \"default\"\n"
			"  -d, --dbname DBNAME   database name, conninfo string or URI\n"
			"  -h, --host HOST       database server host or socket directory\n"
			"  -p, --port PORT       database server port\n"
			"  -U, --username USER   database user name\n"
			"  -w, --no-password     never prompt for a password\n"
			"  -W, --password        prompt for a password\n"
			"  -q, --quiet           no progress or information on stderr\n"
			"  -v, --verbose         more detail\n"
			"  --json                results as one JSON document on stdout\n"
			"  --no-sync             leave the files out: use the revisions registered\n"
			"                        in the database as they are (also the way past\n"
			"                        an applied revision's edited file)\n"
			"  --help                this help\n"
			"\nThe connection follows libpq: PGHOST, PGPORT, PGDATABASE, PGUSER,\n"
			"PGPASSWORD, PGSERVICE, ~/.pgpass and service files apply.\n"
			"\nExit status: 0 success; 1 validation or migration failure (check\n"
			"found errors, a revision failed, a file does not parse); 2 usage,\n"
			"connection or setup error (bad option, unknown command, no such\n"
			"directory, cannot connect, extension not installed).\n");
}

void
print_main_help(FILE *out)
{
	fprintf(out,
			"pg_migrate: schema migrations from revision files, kept inside\n"
			"PostgreSQL by the migrate extension.\n\n"
			"Usage:\n  pg_migrate [OPTION]... COMMAND [ARG]...\n\nCommands:\n");
	for (size_t i = 0; i < n_commands; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n%s", target_help);
	print_global_help(out);
	fprintf(out, "\n\"pg_migrate help COMMAND\" or \"pg_migrate COMMAND --help\" shows a\n"
			"command's options and examples.\n");
}

void
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

int
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
