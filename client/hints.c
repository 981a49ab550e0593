/*-------------------------------------------------------------------------
 *
 * hints.c
 *	  The extension's hints and details speak to psql users: "Use
 *	  migrate.downgrade('-1').", "migrate.history() lists the registered
 *	  revisions.", "use migrate.stamp".  When they reach a pg_migrate user
 *	  they are translated into the client's commands ("Use pg_migrate
 *	  downgrade -1."), by the table below, applied to the HINT and DETAIL
 *	  of every server message the client shows.
 *
 * A rule is a phrase of the server's text, with at most one %s standing
 * for a quoted SQL literal ('...' with '' for a quote), and the phrase
 * that replaces it, where %s is the literal's value (quoted for a shell
 * when it needs to be); a replacement without %s drops the literal (a
 * project name: the client acts on the directory's project).  Every
 * errhint and errdetail of src/ that names SQL has a rule here
 * (test/scenario/client_messages.sh checks the ones a client user meets).  Rules are tried in order at each position, so a
 * longer phrase comes before a shorter one it starts with.
 *
 * IDENTIFICATION
 *	  client/hints.c
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <stdlib.h>
#include <string.h>

typedef struct HintRule
{
	const char *from;
	const char *to;
} HintRule;

static const HintRule hint_rules[] = {
	{"CALL migrate.run('%s', 'down')", "pg_migrate downgrade %s"},
	{"CALL migrate.run('%s');", "pg_migrate upgrade %s"},
	{"CALL migrate.run('%s')", "pg_migrate upgrade %s"},
	{"migrate.downgrade('%s')", "pg_migrate downgrade %s"},
	{"migrate.upgrade('%s')", "pg_migrate upgrade %s"},
	{"migrate.stamp('%s')", "pg_migrate stamp %s"},
	{"SELECT * FROM migrate.validate() lists every finding with its revision",
	"pg_migrate check lists every finding with its file"},
	/* a project other than default: the client acts on the directory's own */
	{"SELECT * FROM migrate.validate('%s') lists every finding with its revision",
	"pg_migrate check lists every finding with its file"},
	{"SELECT * FROM migrate.run WHERE project = '%s' AND status = 'failed' ORDER BY id DESC shows what they were running",
	"pg_migrate history -v shows the latest runs and their failures"},
	{"SELECT * FROM migrate.run WHERE status = 'failed' ORDER BY id DESC shows what they were running",
	"pg_migrate history -v shows the latest runs and their failures"},
	{"SELECT migrate.upgrade('head', '%s')", "pg_migrate --project %s upgrade"},
	{"migrate.sql() and migrate.history() take one", "sql and history -r take one"},
	{"migrate.validate() lists", "pg_migrate check lists"},
	{"migrate.validate() shows", "pg_migrate check shows"},
	{"migrate.validate() reports", "pg_migrate check reports"},
	{"migrate.history() lists the registered revisions", "pg_migrate history lists the revisions"},
	{"migrate.history() lists", "pg_migrate history lists"},
	{"use migrate.stamp", "use pg_migrate stamp"},
	{"Register revisions with migrate.add() first",
	"Write revision files (pg_migrate revision) and register them (pg_migrate sync) first"},
	{"Labels are given with migrate.add(..., branch_labels => ...)",
	"Labels are given in a file's \"-- migrate:branch_labels\" line"},
	{"raise migrate.lock_wait", "wait longer with --lock-wait"},
	{"raise migrate.lock_timeout or migrate.lock_retries", "raise --lock-timeout or --lock-retries"},
	{"run migrate.run again", "run pg_migrate upgrade again"},
};

/* Does the value need quotes in a shell command line? */
static bool
shell_plain(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			  (*s >= '0' && *s <= '9') || strchr("_.-+@:/=,", *s) != NULL))
			return false;
	return true;
}

/*
 * Does rule "r" match at "p"?  On a match, *len is the length matched and
 * *arg the literal's value (malloc'd) or NULL.
 */
static bool
rule_matches(const HintRule *r, const char *p, size_t *len, char **arg)
{
	const char *hole = strstr(r->from, "%s");
	size_t		before;
	const char *q;
	StrBuf		value;

	*arg = NULL;
	if (hole == NULL)
	{
		*len = strlen(r->from);
		return strncmp(p, r->from, *len) == 0;
	}
	before = (size_t) (hole - r->from);
	if (strncmp(p, r->from, before) != 0)
		return false;
	/* the literal's characters, up to a quote that is not doubled */
	sb_init(&value);
	q = p + before;
	while (*q)
	{
		if (q[0] == '\'' && q[1] == '\'')
		{
			sb_appendc(&value, '\'');
			q += 2;
			continue;
		}
		if (q[0] == '\'')
			break;
		sb_appendc(&value, *q++);
	}
	if (*q != '\'' || strncmp(q, hole + 2, strlen(hole + 2)) != 0)
	{
		sb_free(&value);
		return false;
	}
	*len = (size_t) (q - p) + strlen(hole + 2);
	*arg = value.data;
	return true;
}

/* The text with the extension's SQL phrases as pg_migrate commands. */
char *
translate_hint(const char *text)
{
	StrBuf		out;
	const char *p = text;

	if (text == NULL)
		return NULL;
	if (strstr(text, "migrate.") == NULL)
		return pgm_strdup(text);
	sb_init(&out);
	while (*p)
	{
		bool		done = false;

		for (size_t i = 0; i < sizeof(hint_rules) / sizeof(hint_rules[0]) && !done; i++)
		{
			size_t		len;
			char	   *arg;

			if (!rule_matches(&hint_rules[i], p, &len, &arg))
				continue;
			if (arg == NULL || strstr(hint_rules[i].to, "%s") == NULL)
			{
				/* the literal is not needed (the directory's project) */
				sb_append(&out, hint_rules[i].to);
				free(arg);
			}
			else
			{
				const char *hole = strstr(hint_rules[i].to, "%s");

				sb_appendn(&out, hint_rules[i].to, (size_t) (hole - hint_rules[i].to));
				if (shell_plain(arg))
					sb_append(&out, arg);
				else
				{
					sb_appendc(&out, '\'');
					for (const char *a = arg; *a; a++)
					{
						if (*a == '\'')
							sb_append(&out, "'\\''");
						else
							sb_appendc(&out, *a);
					}
					sb_appendc(&out, '\'');
				}
				sb_append(&out, hole + 2);
				free(arg);
			}
			p += len;
			done = true;
		}
		if (!done)
			sb_appendc(&out, *p++);
	}
	return out.data;
}
