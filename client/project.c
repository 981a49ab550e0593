/*-------------------------------------------------------------------------
 *
 * project.c
 *	  The project of a directory of revision files, and the projects
 *	  command.
 *
 * Services that share one database each keep a history of their own, a
 * project (docs/reference.md); every command acts on the directory's
 * project alone, passing it to every SQL call.  The project comes from,
 * in order:
 *	  --project NAME
 *	  the environment variable PG_MIGRATE_PROJECT (if not empty)
 *	  the directory's settings file, DIR/pg_migrate.conf, which
 *	  "pg_migrate init --project NAME" writes
 *	  "default"
 * A name follows the id rules (../common/idrule.h); a bad one is a usage
 * error (exit status 2) that says where it came from.
 *
 * The settings file: lines of "key = value"; blank lines and lines
 * starting with "#" are ignored; blanks around key and value are trimmed;
 * LF or CRLF.  The one key is "project".  An unknown key, a line without
 * "=", or a key given twice is an error with the file and line, so that a
 * misspelt setting is never silently ignored.
 *
 * IDENTIFICATION
 *	  client/project.c
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"
#include "idrule.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *
settings_path(const char *dir)
{
	return pgm_psprintf("%s/%s", dir, PGM_SETTINGS_FILE);
}

static char *
trim(char *s)
{
	char	   *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		*--end = '\0';
	return s;
}

/*
 * Read the settings file of "dir": *project is its project, or NULL if the
 * file does not exist or names none.  PGM_EXIT_USAGE (with the error
 * reported) if it cannot be read or has a bad line.
 */
static int
read_settings(const char *dir, char **project)
{
	char	   *path = settings_path(dir);
	FILE	   *f = fopen(path, "r");
	char		line[4096];
	size_t		lineno = 0;

	*project = NULL;
	if (f == NULL)
	{
		int			rc = errno == ENOENT ? PGM_EXIT_OK : PGM_EXIT_USAGE;

		if (rc != PGM_EXIT_OK)
			pgm_error("could not read \"%s\": %s", path, strerror(errno));
		free(path);
		return rc;
	}
	while (fgets(line, sizeof(line), f) != NULL)
	{
		char	   *s;
		char	   *eq;
		char	   *key;
		char	   *value;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f))
		{
			pgm_file_error(path, lineno, "line too long");
			goto bad;
		}
		s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (eq == NULL)
		{
			pgm_file_error(path, lineno, "expected \"key = value\", not \"%s\"", s);
			goto bad;
		}
		*eq = '\0';
		key = trim(s);
		value = trim(eq + 1);
		if (strcmp(key, "project") != 0)
		{
			pgm_file_error(path, lineno, "unknown setting \"%s\" (the settings are: project)", key);
			goto bad;
		}
		if (*project != NULL)
		{
			pgm_file_error(path, lineno, "\"project\" is set twice");
			goto bad;
		}
		*project = pgm_strdup(value);
	}
	fclose(f);
	free(path);
	return PGM_EXIT_OK;

bad:
	fclose(f);
	free(path);
	free(*project);
	*project = NULL;
	return PGM_EXIT_USAGE;
}

/* Set opt.project (and opt.project_source) as the header says. */
int
project_resolve(void)
{
	const char *env = getenv("PG_MIGRATE_PROJECT");
	const char *reason;

	if (opt.project == NULL && env != NULL && *env != '\0')
	{
		opt.project = env;
		opt.project_source = "PG_MIGRATE_PROJECT";
	}
	if (opt.project == NULL)
	{
		char	   *from_file;
		int			rc = read_settings(opt.directory, &from_file);

		if (rc != PGM_EXIT_OK)
			return rc;
		if (from_file != NULL)
		{
			opt.project = from_file;
			opt.project_source = settings_path(opt.directory);
		}
	}
	if (opt.project == NULL)
	{
		opt.project = "default";
		opt.project_source = "the default";
	}
	if (!migrate_id_is_valid(opt.project, &reason))
	{
		pgm_error("invalid project \"%s\" (from %s)", opt.project, opt.project_source);
		pgm_error_detail(reason);
		pgm_error_hint("A project name follows the rules of revision ids: 1 to 128 of A-Z a-z 0-9 _ . -, starting with a letter or digit.");
		return PGM_EXIT_USAGE;
	}
	return PGM_EXIT_OK;
}

/*
 * The settings file of "dir" names "project": write it if there is none,
 * keep it if it says so already (*written false), refuse if it names
 * another project (the database keeps the history under that name).
 */
int
project_write_settings(const char *dir, const char *project, bool *written)
{
	char	   *path = settings_path(dir);
	char	   *existing;
	int			rc = read_settings(dir, &existing);
	FILE	   *f;

	*written = false;
	if (rc != PGM_EXIT_OK)
	{
		free(path);
		return rc;
	}
	if (existing != NULL)
	{
		if (strcmp(existing, project) != 0)
		{
			pgm_error("\"%s\" names project \"%s\", not \"%s\"", path, existing, project);
			pgm_error_hint("The database keeps this directory's history under the project the file names. "
						   "To move to another name, edit the file by hand, knowing that the new project starts with no history.");
			rc = PGM_EXIT_USAGE;
		}
		free(existing);
		free(path);
		return rc;
	}
	f = fopen(path, "w");
	if (f == NULL ||
		fprintf(f, "# pg_migrate settings of this directory (docs/pg_migrate.md#projects)\n"
				"# The project: the history in the database that this directory's\n"
				"# revisions belong to.\n"
				"project = %s\n", project) < 0 ||
		fclose(f) != 0)
	{
		pgm_error("could not write \"%s\": %s", path, strerror(errno));
		free(path);
		return PGM_EXIT_USAGE;
	}
	*written = true;
	free(path);
	return PGM_EXIT_OK;
}

/* ---------------------------------------------------------------------
 * projects: every project of the database
 * ---------------------------------------------------------------------
 */
enum
{
	P_PROJECT, P_CURRENT, P_HEADS, P_PENDING, P_APPLIED, P_LAST_AT, P_LAST_STATUS,
	P_ERRORS
};

/* "{a,b}" as "a, b"; "{}" as "-" */
static char *
array_list(const char *lit)
{
	StrList		items = {0};
	char	   *out;

	db_parse_array(lit, &items);
	out = items.n == 0 ? pgm_strdup("-") : sl_join(&items, ", ");
	sl_free(&items);
	return out;
}

int
cmd_projects(Ctx *ctx)
{
	int			rc;
	PGresult   *res;
	int			n;

	rc = ctx_open(ctx, false);
	if (rc != PGM_EXIT_OK)
		return rc;
	res = db_query(ctx->conn,
				   "SELECT p.project, p.current, p.heads, p.pending, p.applied,"
				   "       pg_catalog.to_json(p.last_run_at) #>> '{}', p.last_run_status, p.errors"
				   "  FROM migrate.projects() AS p ORDER BY p.project COLLATE \"C\"", 0, NULL);
	if (res == NULL)
		return PGM_EXIT_FAIL;
	n = PQntuples(res);
	if (opt.json)
	{
		JsonWriter	w;

		result_begin(&w, ctx, true);
		json_key(&w, "projects");
		json_begin_array(&w);
		for (int i = 0; i < n; i++)
		{
			StrList		cur = {0};
			StrList		heads = {0};

			db_parse_array(PQgetvalue(res, i, P_CURRENT), &cur);
			db_parse_array(PQgetvalue(res, i, P_HEADS), &heads);
			json_begin_object(&w);
			json_kv_string(&w, "project", PQgetvalue(res, i, P_PROJECT));
			json_kv_bool(&w, "this_directory", strcmp(PQgetvalue(res, i, P_PROJECT), opt.project) == 0);
			json_kv_strlist(&w, "current", &cur);
			json_kv_strlist(&w, "heads", &heads);
			json_kv_int(&w, "pending", atoll(PQgetvalue(res, i, P_PENDING)));
			json_kv_int(&w, "applied", atoll(PQgetvalue(res, i, P_APPLIED)));
			json_kv_string(&w, "last_run_at", PQgetisnull(res, i, P_LAST_AT) ? NULL : PQgetvalue(res, i, P_LAST_AT));
			json_kv_string(&w, "last_run_status", PQgetisnull(res, i, P_LAST_STATUS) ? NULL : PQgetvalue(res, i, P_LAST_STATUS));
			json_kv_int(&w, "errors", atoll(PQgetvalue(res, i, P_ERRORS)));
			json_end_object(&w);
			sl_free(&cur);
			sl_free(&heads);
		}
		json_end_array(&w);
		result_end(&w);
	}
	else if (n == 0)
		printf("no projects: nothing is registered, applied or run in database \"%s\"\n",
			   PQdb(ctx->conn));
	else
	{
		size_t		wp = strlen("project"),
					wc = strlen("current"),
					wh = strlen("heads");
		char	  **cur = pgm_malloc(sizeof(char *) * n);
		char	  **heads = pgm_malloc(sizeof(char *) * n);

		for (int i = 0; i < n; i++)
		{
			cur[i] = array_list(PQgetvalue(res, i, P_CURRENT));
			heads[i] = array_list(PQgetvalue(res, i, P_HEADS));
			if (strlen(PQgetvalue(res, i, P_PROJECT)) > wp)
				wp = strlen(PQgetvalue(res, i, P_PROJECT));
			if (strlen(cur[i]) > wc)
				wc = strlen(cur[i]);
			if (strlen(heads[i]) > wh)
				wh = strlen(heads[i]);
		}
		printf("  %-*s  %-*s  %-*s  %7s  %7s  %6s  %s\n", (int) wp, "project", (int) wc, "current",
			   (int) wh, "heads", "pending", "applied", "errors", "last run");
		for (int i = 0; i < n; i++)
		{
			const char *project = PQgetvalue(res, i, P_PROJECT);

			printf("%c %-*s  %-*s  %-*s  %7s  %7s  %6s  %s%s%s\n",
				   strcmp(project, opt.project) == 0 ? '*' : ' ',
				   (int) wp, project, (int) wc, cur[i], (int) wh, heads[i],
				   PQgetvalue(res, i, P_PENDING), PQgetvalue(res, i, P_APPLIED),
				   PQgetvalue(res, i, P_ERRORS),
				   PQgetisnull(res, i, P_LAST_STATUS) ? "-" : PQgetvalue(res, i, P_LAST_STATUS),
				   PQgetisnull(res, i, P_LAST_AT) ? "" : " ",
				   PQgetisnull(res, i, P_LAST_AT) ? "" : PQgetvalue(res, i, P_LAST_AT));
			free(cur[i]);
			free(heads[i]);
		}
		free(cur);
		free(heads);
		if (!opt.quiet)
			fprintf(stderr, "* this directory's project (%s, from %s)\n", opt.project,
					opt.project_source);
	}
	set_summary("%d project%s", n, n == 1 ? "" : "s");
	PQclear(res);
	return PGM_EXIT_OK;
}
