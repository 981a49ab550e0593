/*-------------------------------------------------------------------------
 *
 * cmd_files.c
 *	  The commands that work on the files alone, without a database:
 *	  init and revision (graph is cmd_graph.c).
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------------
 * init
 * ---------------------------------------------------------------------
 */
static const char readme_text[] =
"# Migrations\n"
"\n"
"One file per revision, named `<id>_<slug>.sql`, applied by `pg_migrate`\n"
"(the client of the PostgreSQL extension `migrate`, which keeps the history\n"
"inside the database).\n"
"\n"
"```sql\n"
"-- migrate:revision 2a3f4c9d1cde\n"
"-- migrate:down_revision 189b1231afd4\n"
"-- migrate:message add cascade deletes\n"
"-- migrate:upgrade\n"
"ALTER TABLE roles DROP CONSTRAINT roles_party_id_fkey,\n"
"    ADD FOREIGN KEY (party_id) REFERENCES parties (id) ON DELETE CASCADE;\n"
"-- migrate:downgrade\n"
"ALTER TABLE roles DROP CONSTRAINT roles_party_id_fkey,\n"
"    ADD FOREIGN KEY (party_id) REFERENCES parties (id);\n"
"```\n"
"\n"
"Header lines, before `-- migrate:upgrade`:\n"
"\n"
"| line | |\n"
"| --- | --- |\n"
"| `-- migrate:revision <id>` | required; the file name starts with it |\n"
"| `-- migrate:down_revision <id>[, <id>]` | the parent(s); absent or empty for a base, several for a merge |\n"
"| `-- migrate:message <text>` | what the revision does |\n"
"| `-- migrate:branch_labels <label>[, ...]` | names for `<label>@head` targets |\n"
"| `-- migrate:depends_on <id>[, ...]` | revisions of other branches applied first (`project:id`: another project's, which must be applied already) |\n"
"| `-- migrate:transactional false` | for `CREATE INDEX CONCURRENTLY` and the like (default true) |\n"
"\n"
"Then `-- migrate:upgrade` and its SQL, and optionally `-- migrate:downgrade`\n"
"and its SQL (no downgrade section: the revision is irreversible).  Ids are 1\n"
"to 128 characters of `A-Z a-z 0-9 _ . -`.\n"
"\n"
"    pg_migrate revision -m \"add users\"     # a new file on the current head\n"
"    pg_migrate check                        # validate files and chain\n"
"    pg_migrate upgrade                      # apply what is pending\n"
"    pg_migrate history --verbose\n"
"    pg_migrate downgrade -1\n"
"\n"
"`pg_migrate --help` lists every command.\n";

static int
mkdir_p(const char *path)
{
	char	   *p = pgm_strdup(path);
	size_t		len = strlen(p);

	while (len > 1 && p[len - 1] == '/')
		p[--len] = '\0';
	for (char *s = p + 1; *s; s++)
	{
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST)
		{
			free(p);
			return -1;
		}
		*s = '/';
	}
	if (mkdir(p, 0777) != 0 && errno != EEXIST)
	{
		free(p);
		return -1;
	}
	free(p);
	return 0;
}

int
cmd_init(Ctx *ctx)
{
	const char *dir = opt.nargs > 0 ? opt.args[0] : opt.directory;
	struct stat st;
	bool		created = false;
	bool		wrote_readme = false;
	bool		wrote_settings = false;
	bool		set_project = opt.project_source != NULL &&
		strcmp(opt.project_source, "--project") == 0;
	char	   *readme = pgm_psprintf("%s/README.md", dir);
	int			rc;

	(void) ctx;
	if (stat(dir, &st) == 0)
	{
		if (!S_ISDIR(st.st_mode))
		{
			pgm_error("\"%s\" exists and is not a directory", dir);
			return PGM_EXIT_USAGE;
		}
	}
	else
	{
		if (mkdir_p(dir) != 0)
		{
			pgm_error("could not create directory \"%s\": %s", dir, strerror(errno));
			return PGM_EXIT_USAGE;
		}
		created = true;
	}
	if (stat(readme, &st) != 0)
	{
		FILE	   *f = fopen(readme, "w");

		if (f == NULL || fputs(readme_text, f) == EOF || fclose(f) != 0)
		{
			pgm_error("could not write \"%s\": %s", readme, strerror(errno));
			return PGM_EXIT_USAGE;
		}
		wrote_readme = true;
	}
	/* init --project: the directory's project, for every later command */
	if (set_project)
	{
		rc = project_write_settings(dir, opt.project, &wrote_settings);
		if (rc != PGM_EXIT_OK)
			return rc;
	}

	if (opt.json)
	{
		JsonWriter	w;

		result_begin(&w, NULL, true);
		json_kv_string(&w, "directory", dir);
		json_kv_bool(&w, "created", created);
		json_kv_string(&w, "readme", readme);
		json_kv_bool(&w, "readme_written", wrote_readme);
		if (set_project)
		{
			json_kv_string(&w, "settings", pgm_psprintf("%s/" PGM_SETTINGS_FILE, dir));
			json_kv_bool(&w, "settings_written", wrote_settings);
		}
		result_end(&w);
	}
	else
	{
		if (created)
			printf("created directory %s\n", dir);
		else
			printf("directory %s exists\n", dir);
		if (wrote_readme)
			printf("wrote %s\n", readme);
		else
			printf("kept %s\n", readme);
		if (set_project)
			printf("%s %s/" PGM_SETTINGS_FILE " (project %s)\n",
				   wrote_settings ? "wrote" : "kept", dir, opt.project);
		if (!opt.quiet)
			fprintf(stderr, "next: pg_migrate -D %s revision -m \"first revision\"\n", dir);
	}
	free(readme);
	return PGM_EXIT_OK;
}

/* ---------------------------------------------------------------------
 * revision
 * ---------------------------------------------------------------------
 */
static bool
random_id(char out[13])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[6];
	int			fd = open("/dev/urandom", O_RDONLY);
	bool		ok;

	if (fd < 0)
		return false;
	ok = read(fd, b, sizeof(b)) == (ssize_t) sizeof(b);
	close(fd);
	if (!ok)
		return false;
	for (int i = 0; i < 6; i++)
	{
		out[i * 2] = hex[b[i] >> 4];
		out[i * 2 + 1] = hex[b[i] & 15];
	}
	out[12] = '\0';
	return true;
}

/* "Add users & roles!" -> "add_users_roles", at most 40 characters */
static char *
slugify(const char *message)
{
	StrBuf		sb;
	bool		underscore = false;

	sb_init(&sb);
	for (const char *p = message ? message : ""; *p && sb.len < 40; p++)
	{
		unsigned char c = (unsigned char) *p;

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		{
			if (underscore && sb.len > 0)
				sb_appendc(&sb, '_');
			underscore = false;
			sb_appendc(&sb, (char) c);
		}
		else if (c >= 'A' && c <= 'Z')
		{
			if (underscore && sb.len > 0)
				sb_appendc(&sb, '_');
			underscore = false;
			sb_appendc(&sb, (char) (c - 'A' + 'a'));
		}
		else
			underscore = true;
	}
	if (sb.len == 0)
		sb_append(&sb, "revision");
	return sb.data;
}

/* An id of the files, or a unique prefix of one. */
static const char *
resolve_file_id(const RevDir *rd, const char *name, int *nmatches)
{
	const char *found = NULL;
	size_t		len = strlen(name);

	*nmatches = 0;
	if (revdir_find(rd, name) != NULL)
	{
		*nmatches = 1;
		return revdir_find(rd, name)->rf.revision;
	}
	for (size_t i = 0; i < rd->n_by_id; i++)
	{
		const char *id = rd->e[rd->by_id[i]].rf.revision;

		if (strncmp(id, name, len) == 0)
		{
			(*nmatches)++;
			found = id;
		}
	}
	return *nmatches == 1 ? found : NULL;
}

static bool
check_ids(const StrList *ids, const char *what)
{
	for (size_t i = 0; i < ids->n; i++)
	{
		const char *reason;
		bool		dependency = strcmp(what, "dependency") == 0;

		if (dependency ? !revfile_dependency_is_valid(ids->items[i], &reason)
			: !revfile_id_is_valid(ids->items[i], &reason))
		{
			pgm_error("invalid %s \"%s\": %s", what, ids->items[i], reason);
			return false;
		}
	}
	return true;
}

int
cmd_revision(Ctx *ctx)
{
	int			rc;
	StrList		heads = {0};
	StrList		parents = {0};
	char		idbuf[13];
	const char *id;
	char	   *message = NULL;
	char	   *slug;
	char	   *path;
	StrBuf		text;
	RevFile		check;
	int			fd;
	FILE	   *f;

	rc = ctx_load_dir(ctx, true);
	if (rc != PGM_EXIT_OK)
		return rc;
	if (!revdir_report_errors(&ctx->rd))
	{
		pgm_error("the revision files have problems: fix them before adding a revision");
		return PGM_EXIT_FAIL;
	}
	revdir_link(&ctx->rd);
	revdir_heads(&ctx->rd, &heads);

	if (opt.merge && opt.heads.n > 0)
	{
		pgm_error("--merge merges every head; --head chooses the parents: give one or the other");
		return PGM_EXIT_USAGE;
	}
	if (opt.heads.n > 0)
	{
		for (size_t i = 0; i < opt.heads.n; i++)
		{
			const char *h = opt.heads.items[i];
			int			nm;
			const char *pid;

			if (strcmp(h, "base") == 0)
			{
				if (opt.heads.n > 1)
				{
					pgm_error("--head base makes a new base: it cannot be combined with other parents");
					return PGM_EXIT_USAGE;
				}
				continue;
			}
			if (strcmp(h, "head") == 0 && heads.n == 1)
				h = heads.items[0];
			pid = resolve_file_id(&ctx->rd, h, &nm);
			if (pid == NULL)
			{
				if (nm > 1)
					pgm_error("\"%s\" is the prefix of %d revision ids: give more of it", h, nm);
				else
					pgm_error("no revision file declares revision \"%s\"", h);
				return PGM_EXIT_FAIL;
			}
			sl_add_unique(&parents, pid);
		}
	}
	else if (opt.merge)
	{
		if (heads.n < 2)
		{
			pgm_error("nothing to merge: there %s %zu head%s%s%s",
					  heads.n == 1 ? "is" : "are", heads.n, heads.n == 1 ? "" : "s",
					  heads.n == 1 ? ", " : "", heads.n == 1 ? heads.items[0] : "");
			return PGM_EXIT_FAIL;
		}
		for (size_t i = 0; i < heads.n; i++)
			sl_add(&parents, heads.items[i]);
	}
	else if (heads.n > 1)
	{
		char	   *list = sl_join(&heads, ", ");

		pgm_error("there are %zu heads (%s): choose the parent of the new revision", heads.n, list);
		pgm_error_hint("Use --merge to write a merge revision of every head, or --head ID to build on one of them.");
		free(list);
		return PGM_EXIT_FAIL;
	}
	else if (heads.n == 1)
		sl_add(&parents, heads.items[0]);

	if (!check_ids(&opt.labels, "branch label") || !check_ids(&opt.depends_on, "dependency"))
		return PGM_EXIT_USAGE;
	for (size_t i = 0; i < opt.depends_on.n; i++)
		if (strchr(opt.depends_on.items[i], ':') == NULL &&
			revdir_find(&ctx->rd, opt.depends_on.items[i]) == NULL)
			pgm_warning("no revision file declares \"%s\" (--depends-on)", opt.depends_on.items[i]);

	if (opt.rev_id != NULL)
	{
		const char *reason;

		if (!revfile_id_is_valid(opt.rev_id, &reason))
		{
			pgm_error("invalid revision id \"%s\": %s", opt.rev_id, reason);
			return PGM_EXIT_USAGE;
		}
		if (revdir_find(&ctx->rd, opt.rev_id) != NULL)
		{
			pgm_error("revision \"%s\" exists already (%s)", opt.rev_id,
					  revdir_file_of(&ctx->rd, opt.rev_id));
			return PGM_EXIT_FAIL;
		}
		id = opt.rev_id;
	}
	else
	{
		int			tries = 0;

		do
		{
			if (!random_id(idbuf))
			{
				pgm_error("could not read /dev/urandom: %s", strerror(errno));
				return PGM_EXIT_FAIL;
			}
		} while (revdir_find(&ctx->rd, idbuf) != NULL && ++tries < 100);
		id = idbuf;
	}

	if (opt.message != NULL)
	{
		/* one line: a message is a header line */
		message = pgm_strdup(opt.message);
		for (char *p = message; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
	}
	else if (opt.merge)
		message = pgm_psprintf("merge %s", sl_join(&parents, ", "));

	slug = slugify(message ? message : (opt.merge ? "merge" : NULL));
	path = pgm_psprintf("%s/%s_%s.sql", ctx->rd.dir, id, slug);

	sb_init(&text);
	sb_appendf(&text, "-- migrate:revision %s\n", id);
	if (parents.n > 0)
	{
		char	   *list = sl_join(&parents, ", ");

		sb_appendf(&text, "-- migrate:down_revision %s\n", list);
		free(list);
	}
	if (message != NULL && message[0] != '\0')
		sb_appendf(&text, "-- migrate:message %s\n", message);
	if (opt.labels.n > 0)
		sb_appendf(&text, "-- migrate:branch_labels %s\n", sl_join(&opt.labels, ", "));
	if (opt.depends_on.n > 0)
		sb_appendf(&text, "-- migrate:depends_on %s\n", sl_join(&opt.depends_on, ", "));
	if (opt.non_transactional)
		sb_append(&text, "-- migrate:transactional false\n");
	sb_append(&text, "-- migrate:upgrade\n\n-- migrate:downgrade\n\n");

	/* what we write must parse */
	if (!revfile_parse(&check, text.data, text.len, NULL))
	{
		for (size_t i = 0; i < check.n_errors; i++)
			pgm_error("%s", check.errors[i].message);
		revfile_free(&check);
		return PGM_EXIT_USAGE;
	}
	revfile_free(&check);

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL)
	{
		pgm_error("could not create \"%s\": %s", path, strerror(errno));
		return PGM_EXIT_FAIL;
	}
	if (fputs(text.data, f) == EOF || fclose(f) != 0)
	{
		pgm_error("could not write \"%s\": %s", path, strerror(errno));
		return PGM_EXIT_FAIL;
	}

	if (opt.json)
	{
		JsonWriter	w;

		result_begin(&w, NULL, true);
		json_kv_string(&w, "revision", id);
		json_kv_string(&w, "file", path);
		json_kv_strlist(&w, "down_revision", &parents);
		json_kv_string(&w, "message", message);
		json_kv_strlist(&w, "branch_labels", &opt.labels);
		json_kv_strlist(&w, "depends_on", &opt.depends_on);
		json_kv_bool(&w, "transactional", !opt.non_transactional);
		result_end(&w);
	}
	else
	{
		char	   *list = sl_join(&parents, ", ");

		printf("%s\n", path);
		pgm_info("new %srevision %s on %s", parents.n > 1 ? "merge " : "", id,
				 parents.n ? list : "base (a new base)");
		free(list);
	}
	set_summary("wrote %s", path);
	sb_free(&text);
	free(path);
	free(slug);
	free(message);
	sl_free(&heads);
	sl_free(&parents);
	return PGM_EXIT_OK;
}
