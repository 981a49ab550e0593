/*-------------------------------------------------------------------------
 *
 * resolve_label.c
 *	  Branch labels in the client's target resolver (resolve.c): the
 *	  revision that carries a label, and <anchor>@<what> (head, heads,
 *	  base, +N, -N, head-N, <id>, <id>+N, <id>-N); src/target.c's
 *	  resolve_label, on the model.
 *
 * IDENTIFICATION
 *	  client/resolve_label.c
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "resolve_int.h"

/* The revision that carries "label", or -1 when none does. */
int
rs_label_owner(const Model *m, const char *label)
{
	for (int k = 0; k < m->n; k++)
	{
		const Rev  *r = &m->revs[m->by_id[k]];

		for (int j = 0; j < r->nlabels; j++)
			if (strcmp(r->labels[j], label) == 0)
				return m->by_id[k];
	}
	return -1;
}

/* The revision that carries "label"; errors if several do. */
int
rs_find_label(const Model *m, const char *label)
{
	int			found = -1;
	int			second = -1;
	int			nfound = 0;

	for (int k = 0; k < m->n; k++)
	{
		const Rev  *r = &m->revs[m->by_id[k]];

		for (int j = 0; j < r->nlabels; j++)
			if (strcmp(r->labels[j], label) == 0)
			{
				if (nfound == 0)
					found = m->by_id[k];
				else
					second = m->by_id[k];
				nfound++;
			}
	}
	if (nfound == 0)
	{
		pgm_error("branch label \"%s\" does not exist", label);
		rs_unwind();
	}
	if (nfound > 1)
	{
		pgm_error("branch label \"%s\" is on %d revisions", label, nfound);
		pgm_error_detail(pgm_psprintf("Among them \"%s\" and \"%s\".",
									  m->revs[found].id, m->revs[second].id));
		rs_unwind();
	}
	return found;
}

/* The heads among the revisions marked in "below", sorted by id. */
static void
heads_within(const Model *m, const char *below, IdxList *out)
{
	for (int k = 0; k < m->n; k++)
		if (below[m->by_id[k]] && rev_is_head(&m->revs[m->by_id[k]]))
			il_add(out, m->by_id[k]);
}

/* "head-N" / "heads-N": the N, or 0 if not that form. */
int
rs_head_minus(const char *target, const char *what)
{
	const char *rest;

	if (strncmp(what, "heads-", 6) == 0)
		rest = what + 6;
	else if (strncmp(what, "head-", 5) == 0)
		rest = what + 5;
	else
		return 0;
	/* "head-1x" may be a prefix of an id such as "head-1xyz" */
	if (*rest == '\0' || strspn(rest, "0123456789") != strlen(rest))
		return 0;
	return rs_step_count(target, rest);
}

/* "from" and its descendants (children only) */
static void
mark_descendants(const Model *m, int from, char *mark)
{
	IdxList		stack = {0};

	mark[from] = 1;
	il_add(&stack, from);
	while (stack.n > 0)
	{
		const Rev  *r = &m->revs[stack.v[--stack.n]];

		for (int k = 0; k < r->nchildren; k++)
			if (!mark[r->children[k]])
			{
				mark[r->children[k]] = 1;
				il_add(&stack, r->children[k]);
			}
	}
	il_free(&stack);
}

/* "from" and its ancestors through parents */
static void
mark_parent_ancestors(const Model *m, int from, char *mark)
{
	IdxList		stack = {0};

	mark[from] = 1;
	il_add(&stack, from);
	while (stack.n > 0)
	{
		const Rev  *r = &m->revs[stack.v[--stack.n]];

		for (int k = 0; k < r->nparents; k++)
		{
			int			p = r->parent_idx[k];

			if (p >= 0 && !mark[p])
			{
				mark[p] = 1;
				il_add(&stack, p);
			}
		}
	}
	il_free(&stack);
}


/* <anchor>@<what> */
void
rs_resolve_label(const Model *m, const char *target, const char *label,
			  const char *what, bool down, Resolved *res)
{
	const char *reason;
	int			anchor;
	char	   *branch;
	char	   *below;
	char	   *scope;
	char	   *branch_name;
	int			back = 0;

	if (*label == '\0')
		rs_malformed(target, "A branch label is needed before \"@\".");
	if (!migrate_id_is_valid(label, &reason))
		rs_malformed(target, reason);
	if (strchr(what, '@') != NULL)
		rs_malformed(target, "A target has at most one \"@\".");
	if (*what == '\0')
		rs_malformed(target, "After \"@\" comes head, heads, base, +N, -N, head-N or a revision.");

	if (rs_label_owner(m, label) >= 0)
	{
		anchor = rs_find_label(m, label);
		branch_name = pgm_psprintf("branch \"%s\"", label);
	}
	else
	{
		int			idx = model_find(m, label);

		/* not a label: a revision, as in <id>@head */
		if (idx < 0)
		{
			bool		any = false;

			for (int i = 0; i < m->n && !any; i++)
				any = strncmp(m->revs[i].id, label, strlen(label)) == 0;
			if (!any)
			{
				pgm_error("branch label \"%s\" does not exist", label);
				pgm_error_detail("No revision has that label, and no revision id starts with it.");
				rs_unwind();
			}
			idx = rs_lookup(m, target, label);
		}
		anchor = idx;
		branch_name = pgm_psprintf("the branch of revision \"%s\"", m->revs[idx].id);
	}
	scope = pgm_psprintf(" on %s", branch_name);

	/* branch = ancestors + anchor + descendants; below = anchor + descendants */
	branch = rs_marks_new(m);
	below = rs_marks_new(m);
	mark_descendants(m, anchor, below);
	memcpy(branch, below, (size_t) m->n);
	mark_parent_ancestors(m, anchor, branch);

	if (strcmp(what, "head") == 0 || strcmp(what, "heads") == 0 ||
		(back = rs_head_minus(target, what)) > 0)
	{
		IdxList		heads = {0};

		heads_within(m, below, &heads);
		if (strcmp(what, "heads") == 0)
		{
			for (int i = 0; i < heads.n; i++)
				rs_add(res, heads.v[i]);
			return;
		}
		if (heads.n != 1)
		{
			pgm_error("%s has %d heads", branch_name, heads.n);
			pgm_error_detail(pgm_psprintf("Its heads are %s.", rs_join_idx(m, &heads, INT_MAX)));
			pgm_error_hint("Merge them with a revision that names both as down_revision, or target one by id.");
			rs_unwind();
		}
		if (strcmp(what, "head") == 0)
			rs_add(res, heads.v[0]);
		else
			rs_add(res, rs_walk_back(m, target, heads.v[0], back));
		return;
	}
	if (strcmp(what, "base") == 0)
	{
		char	   *outside_anc = rs_marks_new(m);

		if (!down)
		{
			pgm_error("target \"%s\" is a downgrade target", target);
			pgm_error_hint(pgm_psprintf("Use pg_migrate downgrade %s.", target));
			rs_unwind();
		}
		/* the branch's own revisions: not shared with revisions outside it */
		for (int i = 0; i < m->n; i++)
			if (!branch[i])
				mark_parent_ancestors(m, i, outside_anc);
		res->revert = rs_marks_new(m);
		for (int i = 0; i < m->n; i++)
			res->revert[i] = branch[i] && !outside_anc[i];
		return;
	}
	if (what[0] == '+' || what[0] == '-')
	{
		int			steps = rs_step_count(target, what + 1);

		if (what[0] == '+')
		{
			char	   *applied = rs_applied_marks(m);

			if (down)
			{
				pgm_error("target \"%s\" moves forward", target);
				pgm_error_hint(pgm_psprintf("Use pg_migrate upgrade %s.", target));
				rs_unwind();
			}
			rs_add(res, rs_forward_from(m, target, steps, branch, scope, applied));
			return;
		}
		else
		{
			bool		own_applied = false;

			if (!down)
			{
				pgm_error("target \"%s\" moves backward", target);
				pgm_error_hint(pgm_psprintf("Use pg_migrate downgrade %s.", target));
				rs_unwind();
			}
			/* a step back must revert the branch's own revisions, never the trunk below */
			for (int i = 0; i < m->n && !own_applied; i++)
				own_applied = below[i] && rs_is_applied(m, i);
			if (!own_applied)
			{
				pgm_error("target \"%s\": nothing of %s is applied%s", target, branch_name,
						  rs_nothing_applied_note(m));
				pgm_error_detail(pgm_psprintf("Revision \"%s\" and the revisions above it are not applied; stepping back would revert revisions of another branch.",
											  m->revs[anchor].id));
				rs_unwind();
			}
			res->revert = rs_marks_new(m);
			rs_backward(m, target, steps, branch, scope, res->revert);
			return;
		}
	}

	/* <anchor>@<id>, <anchor>@<id>+N, <anchor>@<id>-N: a revision of the branch */
	{
		const char *sign = NULL;
		size_t		len = strlen(what);
		char	   *name = (char *) what;
		int			steps = 0;
		int			pos;

		for (const char *p = what + len - 1; p > what; p--)
		{
			if (*p >= '0' && *p <= '9')
				continue;
			if ((*p == '+' || *p == '-') && p[1] != '\0')
				sign = p;
			break;
		}
		/* an exact id wins over the relative reading, as without "@" */
		if (sign != NULL && model_find(m, what) >= 0)
			sign = NULL;
		if (sign != NULL)
		{
			name = pgm_strndup(what, (size_t) (sign - what));
			steps = rs_step_count(target, sign + 1);
		}
		pos = rs_lookup(m, target, name);
		if (!branch[pos])
		{
			pgm_error("revision \"%s\" is not on %s", m->revs[pos].id, branch_name);
			pgm_error_hint("A branch is its labelled revision with its ancestors and descendants.");
			rs_unwind();
		}
		for (int s = 0; s < steps; s++)
			pos = (*sign == '+') ? rs_step_forward(m, target, pos, branch, s, steps)
				: rs_step_backward(m, target, pos, s, steps);
		rs_add(res, pos);
	}
}
