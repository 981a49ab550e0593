/*-------------------------------------------------------------------------
 *
 * main.c
 *	  pg_migrate: the command-line client of the migrate extension.
 *	  Parses the command line and dispatches to the command (help.c's
 *	  table), or to a fleet of databases (fleet.c).
 *
 * Options may come before or after the command ("pg_migrate -D db upgrade"
 * and "pg_migrate upgrade head -D db" are the same); an option that the
 * command does not take is a usage error (exit status 2).
 *
 * IDENTIFICATION
 *	  client/main.c
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

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
	{"rev-range", required_argument, NULL, 'r'},
	{"full", no_argument, NULL, 1000 + O_FULL},
	{"project", required_argument, NULL, 1000 + O_PROJECT},
	{"drift", no_argument, NULL, 1000 + O_DRIFT},
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
	"--allow-missing", "--drift", "-r/--rev-range", "--full", "--project"
};

static const Command *current_command = NULL;

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
		return strchr("DdhpUmojr", arg[1]) != NULL;
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

/* A step of main that lets the program go on (else: the exit status). */
#define GO_ON (-1)

/*
 * An option that only has a long form (getopt_long returns 1000 + its O_
 * id): store it in opt.  Returns GO_ON, or the exit status of a bad one.
 */
static int
take_long_option(int id)
{
	switch (id)
	{
		case O_JSON:
			opt.json = true;
			break;
		case O_NO_SYNC:
			opt.no_sync = true;
			break;
		case O_HELP:
			break;				/* seen: main prints the help */
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
		case O_DRIFT:
			opt.drift = true;
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
		case O_FULL:
			opt.full = true;
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
		case O_PROJECT:
			opt.project = optarg;
			opt.project_source = "--project";
			break;
		default:
			return PGM_EXIT_USAGE;
	}
	return GO_ON;
}

/*
 * One option as getopt_long returned it ("c"): store it in opt and set
 * *id to its O_ id (which main records as seen, to check later that the
 * command takes it).  Returns GO_ON, or the exit status when the option
 * ends the program (--version, an unknown option, a bad value).
 */
static int
take_option(int c, int *id)
{
	switch (c)
	{
		case 'D':
			*id = O_DIRECTORY;
			opt.directory = optarg;
			break;
		case 'd':
			*id = O_DBNAME;
			opt.dbname = optarg;
			break;
		case 'h':
			*id = O_HOST;
			opt.host = optarg;
			break;
		case 'p':
			*id = O_PORT;
			opt.port = optarg;
			break;
		case 'U':
			*id = O_USERNAME;
			opt.username = optarg;
			break;
		case 'w':
			*id = O_NO_PASSWORD;
			opt.password_prompt = -1;
			break;
		case 'W':
			*id = O_PASSWORD;
			opt.password_prompt = 1;
			break;
		case 'q':
			*id = O_QUIET;
			opt.quiet = true;
			break;
		case 'v':
			*id = O_VERBOSE;
			opt.verbose = true;
			break;
		case 'V':
			printf("pg_migrate (migrate) %s\n", PG_MIGRATE_VERSION);
			return PGM_EXIT_OK;
		case 'm':
			*id = O_MESSAGE;
			opt.message = optarg;
			break;
		case 'o':
			*id = O_OUTPUT;
			opt.output = optarg;
			break;
		case 'r':
			*id = O_REV_RANGE;
			opt.range = optarg;
			break;
		case 'j':
			*id = O_JOBS;
			if (!parse_int_option(optarg, 1, 256, &opt.jobs))
				return usage_error("-j/--jobs must be an integer from 1 to 256, not \"%s\"", optarg);
			break;
		case '?':
			fprintf(stderr, "Try \"pg_migrate --help\" for more information.\n");
			return PGM_EXIT_USAGE;
		default:
			*id = c - 1000;
			return take_long_option(*id);
	}
	return GO_ON;
}

/* Every option, before or after the command, into opt and *seen. */
static int
parse_options(int argc, char **argv, uint64_t *seen)
{
	int			c;
	int			longindex;

	while ((c = getopt_long(argc, argv, "D:d:h:p:U:wWqvVm:o:j:r:", long_options,
							&longindex)) != -1)
	{
		int			id;
		int			rc = take_option(c, &id);

		if (rc != GO_ON)
			return rc;
		*seen |= OPT(id);
	}
	return GO_ON;
}

/*
 * The command: the first argument that is not an option.  --help with no
 * command is the program's help, with a command the command's.
 */
static int
select_command(int argc, char **argv, uint64_t seen)
{
	if (optind >= argc)
	{
		if (seen & OPT(O_HELP))
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
	if (seen & OPT(O_HELP))
	{
		print_command_help(current_command, stdout);
		return PGM_EXIT_OK;
	}
	return GO_ON;
}

/*
 * Usage errors, all found before anything is read or connected (exit
 * status 2): an option the command does not take, too few or too many
 * arguments, options that go together or exclude each other.
 */
static int
check_usage(int argc, char **argv, uint64_t seen)
{
	for (int o = 0; o < O_COUNT; o++)
		if ((seen & OPT(o)) && !((GLOBAL_OPTIONS | current_command->options) & OPT(o)))
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
	if ((seen & OPT(O_JOBS)) && opt.each_db == NULL && opt.db_file == NULL)
		return usage_error("%s", "-j/--jobs goes with --each-db or --db-file");
	if (opt.each_db != NULL && opt.db_file != NULL)
		return usage_error("%s", "--each-db and --db-file exclude each other");
	if ((seen & OPT(O_OUTPUT)) && strcmp(command_name, "upgrade") == 0 && !opt.sql)
		return usage_error("%s", "-o/--output goes with --sql");
	if ((seen & OPT(O_OUTPUT)) && strcmp(command_name, "downgrade") == 0 && !opt.sql)
		return usage_error("%s", "-o/--output goes with --sql");
	return GO_ON;
}

/*
 * Run the command on the directory's project: once, or for each database
 * of a fleet (fleet.c, a process each).  A --json command that printed no
 * document of its own (it failed before) still gets one, so a script
 * always has one to read.
 */
static int
run_command(void)
{
	Ctx			ctx;
	int			rc;

	if (current_command->fn != cmd_help)
	{
		rc = project_resolve();
		if (rc != PGM_EXIT_OK)
			return rc;
	}

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

int
main(int argc, char **argv)
{
	uint64_t	seen = 0;		/* the O_ ids of the options given */
	int			rc;
	const char *env_dir = getenv("PG_MIGRATE_DIR");

	argv = protect_relative_targets(argc, argv, &argc);
	memset(&opt, 0, sizeof(opt));
	opt.directory = env_dir && *env_dir ? env_dir : "migrations";
	opt.jobs = 4;

	if ((rc = parse_options(argc, argv, &seen)) != GO_ON ||
		(rc = select_command(argc, argv, seen)) != GO_ON ||
		(rc = check_usage(argc, argv, seen)) != GO_ON)
		return rc;
	return run_command();
}
