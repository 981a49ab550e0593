/*-------------------------------------------------------------------------
 *
 * cmd_files.c
 *	  The commands that work on the files alone, without a database:
 *	  init, revision and graph.
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
"| `-- migrate:depends_on <id>[, ...]` | revisions of other branches applied first |\n"
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
	char	   *readme = pgm_psprintf("%s/README.md", dir);

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

	if (opt.json)
	{
		JsonWriter	w;

		result_begin(&w, NULL, true);
		json_kv_string(&w, "directory", dir);
		json_kv_bool(&w, "created", created);
		json_kv_string(&w, "readme", readme);
		json_kv_bool(&w, "readme_written", wrote_readme);
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

		if (!revfile_id_is_valid(ids->items[i], &reason))
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
		if (revdir_find(&ctx->rd, opt.depends_on.items[i]) == NULL)
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

/* ---------------------------------------------------------------------
 * graph
 * ---------------------------------------------------------------------
 */
static void
dot_string(StrBuf *sb, const char *s)
{
	sb_appendc(sb, '"');
	for (; *s; s++)
	{
		if (*s == '"' || *s == '\\')
			sb_appendc(sb, '\\');
		sb_appendc(sb, *s);
	}
	sb_appendc(sb, '"');
}

static void
mermaid_text(StrBuf *sb, const char *s)
{
	for (; *s; s++)
	{
		switch (*s)
		{
			case '"':
				sb_append(sb, "#quot;");
				break;
			case '#':
				sb_append(sb, "#35;");
				break;
			case '<':
				sb_append(sb, "#lt;");
				break;
			case '>':
				sb_append(sb, "#gt;");
				break;
			case '`':
				sb_append(sb, "#96;");
				break;
			default:
				sb_appendc(sb, *s);
		}
	}
}

typedef struct GraphNode
{
	const char *id;
	const RevEntry *e;			/* NULL: named but no file */
} GraphNode;

static size_t
node_index(GraphNode **nodes, size_t *n, size_t *cap, const char *id, const RevEntry *e)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*nodes)[i].id, id) == 0)
			return i;
	if (*n == *cap)
	{
		*cap = *cap ? *cap * 2 : 16;
		*nodes = pgm_realloc(*nodes, *cap * sizeof(GraphNode));
	}
	(*nodes)[*n].id = id;
	(*nodes)[*n].e = e;
	return (*n)++;
}

int
cmd_graph(Ctx *ctx)
{
	int			rc;
	bool		mermaid = opt.format != NULL && strcmp(opt.format, "mermaid") == 0;
	GraphNode  *nodes = NULL;
	size_t		n = 0,
				cap = 0;
	StrBuf		out;
	bool		clean;
	FILE	   *f = stdout;
	size_t		nedges = 0;

	rc = ctx_load_dir(ctx, true);
	if (rc != PGM_EXIT_OK)
		return rc;
	clean = revdir_report_errors(&ctx->rd);
	revdir_link(&ctx->rd);

	/* nodes in id order, then the missing ones they name */
	for (size_t i = 0; i < ctx->rd.n_by_id; i++)
	{
		const RevEntry *e = &ctx->rd.e[ctx->rd.by_id[i]];

		(void) node_index(&nodes, &n, &cap, e->rf.revision, e);
	}
	for (size_t i = 0; i < ctx->rd.n_by_id; i++)
	{
		const RevEntry *e = &ctx->rd.e[ctx->rd.by_id[i]];

		for (size_t k = 0; k < e->rf.n_down_revision; k++)
			(void) node_index(&nodes, &n, &cap, e->rf.down_revision[k], NULL);
		for (size_t k = 0; k < e->rf.n_depends_on; k++)
			(void) node_index(&nodes, &n, &cap, e->rf.depends_on[k], NULL);
	}

	if (opt.json)
	{
		JsonWriter	w;

		result_begin(&w, NULL, clean);
		json_key(&w, "nodes");
		json_begin_array(&w);
		for (size_t i = 0; i < n; i++)
		{
			const RevEntry *e = nodes[i].e;

			json_begin_object(&w);
			json_kv_string(&w, "id", nodes[i].id);
			json_kv_string(&w, "file", e ? e->file : NULL);
			json_kv_string(&w, "message", e ? e->rf.message : NULL);
			json_key(&w, "branch_labels");
			json_begin_array(&w);
			for (size_t k = 0; e && k < e->rf.n_branch_labels; k++)
				json_string(&w, e->rf.branch_labels[k]);
			json_end_array(&w);
			json_kv_bool(&w, "head", e && e->is_head);
			json_kv_bool(&w, "base", e && e->rf.n_down_revision == 0);
			json_kv_bool(&w, "missing", e == NULL);
			json_kv_bool(&w, "transactional", e ? e->rf.transactional : true);
			json_end_object(&w);
		}
		json_end_array(&w);
		json_key(&w, "edges");
		json_begin_array(&w);
		for (size_t i = 0; i < ctx->rd.n_by_id; i++)
		{
			const RevEntry *e = &ctx->rd.e[ctx->rd.by_id[i]];

			for (size_t k = 0; k < e->rf.n_down_revision; k++)
			{
				json_begin_object(&w);
				json_kv_string(&w, "from", e->rf.down_revision[k]);
				json_kv_string(&w, "to", e->rf.revision);
				json_kv_string(&w, "kind", "parent");
				json_end_object(&w);
			}
			for (size_t k = 0; k < e->rf.n_depends_on; k++)
			{
				json_begin_object(&w);
				json_kv_string(&w, "from", e->rf.depends_on[k]);
				json_kv_string(&w, "to", e->rf.revision);
				json_kv_string(&w, "kind", "depends_on");
				json_end_object(&w);
			}
		}
		json_end_array(&w);
		result_end(&w);
		free(nodes);
		return clean ? PGM_EXIT_OK : PGM_EXIT_FAIL;
	}

	sb_init(&out);
	if (mermaid)
	{
		sb_append(&out, "flowchart TD\n");
		for (size_t i = 0; i < n; i++)
		{
			const RevEntry *e = nodes[i].e;

			sb_appendf(&out, "  n%zu", i);
			sb_append(&out, e == NULL ? "[/\"" : e->is_head ? "[[\"" : "[\"");
			mermaid_text(&out, nodes[i].id);
			if (e != NULL && e->rf.n_branch_labels > 0)
			{
				sb_append(&out, " (");
				for (size_t k = 0; k < e->rf.n_branch_labels; k++)
				{
					if (k > 0)
						sb_append(&out, ", ");
					mermaid_text(&out, e->rf.branch_labels[k]);
				}
				sb_append(&out, ")");
			}
			if (e != NULL && e->rf.message != NULL)
			{
				sb_append(&out, "<br/>");
				mermaid_text(&out, e->rf.message);
			}
			if (e == NULL)
				sb_append(&out, "<br/>(no file)");
			else if (!e->rf.transactional)
				sb_append(&out, "<br/>(non-transactional)");
			sb_append(&out, e == NULL ? "\"/]\n" : e->is_head ? "\"]]\n" : "\"]\n");
		}
		/* as DOT draws them blue: a class of their own */
		{
			bool		any = false;

			for (size_t i = 0; i < n; i++)
			{
				if (nodes[i].e == NULL || nodes[i].e->rf.transactional)
					continue;
				sb_append(&out, any ? "," : "  classDef nontransactional stroke:#1f4fd8,stroke-width:2px\n  class ");
				sb_appendf(&out, "n%zu", i);
				any = true;
			}
			if (any)
				sb_append(&out, " nontransactional\n");
		}
		for (size_t i = 0; i < n; i++)
		{
			const RevEntry *e = nodes[i].e;

			if (e == NULL)
				continue;
			for (size_t k = 0; k < e->rf.n_down_revision; k++)
			{
				sb_appendf(&out, "  n%zu --> n%zu\n",
						   node_index(&nodes, &n, &cap, e->rf.down_revision[k], NULL), i);
				nedges++;
			}
			for (size_t k = 0; k < e->rf.n_depends_on; k++)
			{
				sb_appendf(&out, "  n%zu -.->|depends on| n%zu\n",
						   node_index(&nodes, &n, &cap, e->rf.depends_on[k], NULL), i);
				nedges++;
			}
		}
	}
	else
	{
		sb_append(&out, "digraph migrate {\n"
				  "  rankdir=TB;\n"
				  "  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
				  "  edge [fontname=\"Helvetica\", fontsize=10];\n");
		for (size_t i = 0; i < n; i++)
		{
			const RevEntry *e = nodes[i].e;
			StrBuf		label;

			sb_init(&label);
			sb_append(&label, nodes[i].id);
			if (e != NULL && e->rf.n_branch_labels > 0)
			{
				sb_append(&label, " (");
				for (size_t k = 0; k < e->rf.n_branch_labels; k++)
				{
					if (k > 0)
						sb_append(&label, ", ");
					sb_append(&label, e->rf.branch_labels[k]);
				}
				sb_append(&label, ")");
			}
			if (e != NULL && e->rf.message != NULL)
			{
				sb_append(&label, "\n");
				sb_append(&label, e->rf.message);
			}
			if (e == NULL)
				sb_append(&label, "\n(no file)");
			sb_append(&out, "  ");
			dot_string(&out, nodes[i].id);
			sb_append(&out, " [label=");
			/* DOT reads \n inside a quoted string as a line break */
			{
				StrBuf		q;

				sb_init(&q);
				dot_string(&q, label.data);
				for (char *p = q.data; *p; p++)
				{
					if (*p == '\n')
						sb_append(&out, "\\n");
					else
						sb_appendc(&out, *p);
				}
				sb_free(&q);
			}
			if (e == NULL)
				sb_append(&out, ", style=\"rounded,dashed\", color=red");
			else if (e->is_head)
				sb_append(&out, ", peripheries=2");
			if (e != NULL && !e->rf.transactional)
				sb_append(&out, ", color=blue");
			sb_append(&out, "];\n");
			sb_free(&label);
		}
		for (size_t i = 0; i < n; i++)
		{
			const RevEntry *e = nodes[i].e;

			if (e == NULL)
				continue;
			for (size_t k = 0; k < e->rf.n_down_revision; k++)
			{
				sb_append(&out, "  ");
				dot_string(&out, e->rf.down_revision[k]);
				sb_append(&out, " -> ");
				dot_string(&out, e->rf.revision);
				sb_append(&out, ";\n");
				nedges++;
			}
			for (size_t k = 0; k < e->rf.n_depends_on; k++)
			{
				sb_append(&out, "  ");
				dot_string(&out, e->rf.depends_on[k]);
				sb_append(&out, " -> ");
				dot_string(&out, e->rf.revision);
				sb_append(&out, " [style=dashed, label=\"depends on\"];\n");
				nedges++;
			}
		}
		sb_append(&out, "}\n");
	}

	if (opt.output != NULL)
	{
		f = fopen(opt.output, "w");
		if (f == NULL)
		{
			pgm_error("could not open \"%s\": %s", opt.output, strerror(errno));
			return PGM_EXIT_USAGE;
		}
	}
	fputs(out.data, f);
	if (f != stdout && fclose(f) != 0)
	{
		pgm_error("could not write \"%s\": %s", opt.output, strerror(errno));
		return PGM_EXIT_FAIL;
	}
	set_summary("%zu revisions, %zu edges", n, nedges);
	sb_free(&out);
	free(nodes);
	return clean ? PGM_EXIT_OK : PGM_EXIT_FAIL;
}
