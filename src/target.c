/*-------------------------------------------------------------------------
 *
 * target.c
 *	  Alembic's target grammar, resolved against a revision graph (the
 *	  plans a resolved target yields are plan.c's).
 *
 * Grammar (first match wins), Alembic's:
 *	  base | heads | head
 *	  <anchor>@head | @heads | @base | @+N | @-N | @head-N | @<id> | @<id>+N
 *	      | @<id>-N, where the anchor is a branch label or, failing that, a
 *	      revision (<id>@head: the head of the branch that contains it)
 *	  +N | -N
 *	  <registered id>                 (exact; ids may contain "-")
 *	  head-N | heads-N                (below the single head)
 *	  base+N                          (base+1 is the single base)
 *	  <branch label>                  (the revision that carries it)
 *	  <id or prefix>+N | <id or prefix>-N
 *	  <unique prefix of a registered id>
 *
 * +N moves forward along the unique child; -N reverts the single current
 * revision N times.  Every ambiguity is an error that lists the choices;
 * nothing here guesses.  Errors carry SQLSTATEs a script can test:
 *	  22023 malformed or meaningless, 22003 step out of range,
 *	  42704 unknown revision or label, 42P09 ambiguous prefix,
 *	  21000 several heads / children / current revisions where one is needed,
 *	  42P17 a walk round a cycle,
 *	  55000 state that makes the target impossible (nothing of a branch
 *	  applied).
 * (A NULL target is refused before it gets here: 22004, fmgr_util.c.)
 *
 * Nothing here reads the catalog or takes a lock: callers resolve against
 * a graph they loaded.
 *
 * IDENTIFICATION
 *	  src/target.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include <limits.h>

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#define MAX_CANDIDATES_SHOWN 10

static void
target_malformed(const char *target, const char *detail)
{
	size_t		len = strlen(target);

	/* a megabyte of garbage need not come back in the message */
	if (len > 100)
		target = psprintf("%s...", pnstrdup(target, pg_mbcliplen(target, len, 100)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("malformed target \"%s\"", target),
			 errdetail_internal("%s", detail),
			 errhint("A target is head, heads, base, a revision id or unique prefix, a branch label, +N, -N, <id>+N, <id>-N, head-N, base+N, or <label>@ followed by head, heads, base, +N, -N, head-N or a revision.")));
}

static MigrateTarget *
target_of(int nrevs, int *revs)
{
	MigrateTarget *t = palloc0(sizeof(MigrateTarget));

	t->nrevs = nrevs;
	t->revs = revs;
	return t;
}

static MigrateTarget *
single_target(int idx)
{
	int		   *revs = palloc(sizeof(int));

	revs[0] = idx;
	return target_of(1, revs);
}

/*
 * Parse the step count of "+N" / "-N" (digits only, at least 1).
 */
static int
parse_step_count(const char *target, const char *digits)
{
	int64		n = 0;

	if (*digits == '\0')
		target_malformed(target, "A relative step needs a number after the sign.");
	for (const char *p = digits; *p; p++)
	{
		if (*p < '0' || *p > '9')
			target_malformed(target, "A relative step is a sign followed by digits.");
		n = n * 10 + (*p - '0');
		if (n > INT_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("relative step in target \"%s\" is out of range", target)));
	}
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("relative step in target \"%s\" must be at least 1", target)));
	return (int) n;
}

static bool
is_relative(const char *s)
{
	if (s[0] != '+' && s[0] != '-')
		return false;
	if (s[1] == '\0')
		return false;
	for (const char *p = s + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/* An exact registered id, or a unique prefix of one; errors otherwise. */
static int
lookup_revision(MigrateGraph *graph, const char *target, const char *name)
{
	int			idx = migrate_graph_find(graph, name);
	int		   *cand;
	int			ncand = 0;
	const char *reason;
	size_t		len;

	if (idx >= 0 && graph->revs[idx].registered)
		return idx;

	/*
	 * head+1, heads+1, base-1, <label>@head+1: a step from a word, not from
	 * a revision (and never a prefix: "head" is no abbreviation of
	 * "headline").  head-N and base+N were read before.
	 */
	if (name != target &&
		(strcmp(name, "head") == 0 || strcmp(name, "heads") == 0 ||
		 strcmp(name, "base") == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("target \"%s\" steps beyond \"%s\"", target, name),
				 errdetail("Nothing lies above a head or below base."),
				 errhint("Steps count down from a head (head-N, <label>@head-N) and up from base (base+N), or from a revision (<id>+N, <id>-N).")));

	/* a prefix must itself look like (the start of) an id */
	if (!migrate_id_is_valid(name, &reason) && !migrate_is_target_word(name))
		target_malformed(target, reason);

	len = strlen(name);
	/* all of them, so the ones shown are the first by id, not by row order */
	cand = palloc(sizeof(int) * Max(graph->nrevs, 1));
	for (int i = 0; i < graph->nrevs; i++)
	{
		MigrateRevision *r = &graph->revs[i];

		CHECK_FOR_INTERRUPTS();
		if (r->registered && strncmp(r->id, name, len) == 0)
		{
			cand[ncand++] = i;
		}
	}
	if (ncand == 1)
		return cand[0];
	if (ncand == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("revision \"%s\" is not registered", name),
				 errhint("migrate.history() lists the registered revisions.")));

	migrate_sort_by_id(graph, cand, ncand);
	ereport(ERROR,
			(errcode(ERRCODE_AMBIGUOUS_ALIAS),
			 errmsg("revision prefix \"%s\" is ambiguous", name),
			 errdetail("It matches %d revisions: %s%s", ncand,
					   migrate_join_ids(graph, cand, Min(ncand, MAX_CANDIDATES_SHOWN), ", "),
					   ncand > MAX_CANDIDATES_SHOWN ? ", ..." : "."),
			 errhint("Give more characters of the id.")));
	return -1;					/* keep compiler quiet */
}

/*
 * A walk of more steps than there are revisions has gone round a cycle and
 * would go on for as many steps as asked (up to INT_MAX): stop it.
 */
static void
check_walk(MigrateGraph *graph, const char *target, int from, int done)
{
	CHECK_FOR_INTERRUPTS();
	if (done > graph->nrevs)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("target \"%s\" goes round a cycle through revision \"%s\"",
						target, graph->revs[from].id),
				 errhint("migrate.validate() shows the cycle.")));
}

/*
 * The unique child of "from" inside "within" (NULL: anywhere), or an error
 * naming the choices.
 */
static int
step_forward(MigrateGraph *graph, const char *target, int from,
			 const bool *within, int done, int total)
{
	MigrateRevision *r = &graph->revs[from];
	int		   *kids;
	int			nkids = 0;

	check_walk(graph, target, from, done);
	kids = palloc(sizeof(int) * Max(r->nchildren, 1));
	for (int j = 0; j < r->nchildren; j++)
		if (within == NULL || within[r->children[j]])
			kids[nkids++] = r->children[j];
	if (nkids == 1)
	{
		int			next = kids[0];

		pfree(kids);
		return next;
	}
	if (nkids == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("target \"%s\" goes past a head", target),
				 errdetail("Revision \"%s\" has no child: only %d of %d steps are possible.",
						   r->id, done, total)));
	migrate_sort_by_id(graph, kids, nkids);
	ereport(ERROR,
			(errcode(ERRCODE_CARDINALITY_VIOLATION),
			 errmsg("target \"%s\" is ambiguous: revision \"%s\" has %d children",
					target, r->id, nkids),
			 errdetail("Its children are %s.", migrate_join_ids(graph, kids, nkids, ", ")),
			 errhint("Name the revision to go to, or use <label>@+N.")));
	return -1;
}

/* The unique registered parent of "from", or an error. */
static int
step_backward(MigrateGraph *graph, const char *target, int from, int done,
			  int total)
{
	MigrateRevision *r = &graph->revs[from];

	check_walk(graph, target, from, done);
	if (r->nparents == 1 && r->parent_idx[0] >= 0)
		return r->parent_idx[0];
	if (r->nparents == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("target \"%s\" goes past a base", target),
				 errdetail("Revision \"%s\" has no parent: only %d of %d steps are possible.",
						   r->id, done, total)));
	if (r->nparents == 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("revision \"%s\" names parent \"%s\", which is not registered",
						r->id, r->parents[0])));
	ereport(ERROR,
			(errcode(ERRCODE_CARDINALITY_VIOLATION),
			 errmsg("target \"%s\" is ambiguous: revision \"%s\" is a merge of %d parents",
					target, r->id, r->nparents),
			 errhint("Name the revision to go to.")));
	return -1;
}

/*
 * Currents inside "within" (NULL: all): applied revisions of the set with
 * no applied child and no applied dependent in the set (what Alembic's
 * version table would hold).  "applied" overrides the graph's state.
 */
static int *
currents_within(MigrateGraph *graph, const bool *within, const bool *applied,
				int *count)
{
	int		   *out = palloc(sizeof(int) * Max(graph->nrevs, 1));
	int			n = 0;

	for (int i = 0; i < graph->nrevs; i++)
	{
		MigrateRevision *r = &graph->revs[i];
		bool		leaf = true;

		CHECK_FOR_INTERRUPTS();
		if (!applied[i] || (within && !within[i]))
			continue;
		for (int j = 0; j < r->nchildren + r->ndependents && leaf; j++)
		{
			int			c = j < r->nchildren ? r->children[j]
				: r->dependents[j - r->nchildren];

			if (applied[c] && (within == NULL || within[c]))
				leaf = false;
		}
		if (leaf)
			out[n++] = i;
	}
	migrate_sort_by_id(graph, out, n);
	*count = n;
	return out;
}

/*
 * The one unapplied revision inside "within" whose parents are exactly
 * the current revisions "cur" (all of them applied): the merge that joins
 * them.  -1 if there is none or more than one.
 */
static int
merge_of_currents(MigrateGraph *graph, const bool *within, const bool *applied,
				  const int *cur, int ncur)
{
	int			found = -1;
	MigrateRevision *first = &graph->revs[cur[0]];

	for (int j = 0; j < first->nchildren; j++)
	{
		int			m = first->children[j];
		MigrateRevision *r = &graph->revs[m];
		int			matched = 0;

		if (applied[m] || !within[m] || r->nparents != ncur)
			continue;
		for (int p = 0; p < r->nparents; p++)
			for (int c = 0; c < ncur; c++)
				if (r->parent_idx[p] == cur[c])
					matched++;
		if (matched != ncur)
			continue;
		if (found >= 0)
			return -1;
		found = m;
	}
	return found;
}

/*
 * "+N" inside "within": from the single current revision, or from the
 * single base when nothing there is applied.
 */
static int
relative_forward_from(MigrateGraph *graph, const char *target, int steps,
					  const bool *within, const char *scope,
					  const bool *applied)
{
	int			ncur;
	int		   *cur;
	int			pos;
	int			done;

	cur = currents_within(graph, within, applied, &ncur);

	if (ncur == 0)
	{
		int		   *bases = palloc(sizeof(int) * Max(graph->nrevs, 1));
		int			nbases = 0;

		for (int i = 0; i < graph->nrevs; i++)
		{
			CHECK_FOR_INTERRUPTS();
			if (migrate_is_base(graph, i) && (within == NULL || within[i]))
				bases[nbases++] = i;
		}
		if (nbases == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("target \"%s\": no revisions are registered%s", target, scope)));
		if (nbases > 1)
		{
			migrate_sort_by_id(graph, bases, nbases);
			ereport(ERROR,
					(errcode(ERRCODE_CARDINALITY_VIOLATION),
					 errmsg("target \"%s\" is ambiguous: nothing is applied and there are %d bases%s",
							target, nbases, scope),
					 errdetail("The bases are %s.", migrate_join_ids(graph, bases, nbases, ", ")),
					 errhint("Use <label>@+N, or name the revision to go to.")));
		}
		pos = bases[0];
		done = 1;
	}
	else if (ncur > 1 && within != NULL &&
			 (pos = merge_of_currents(graph, within, applied, cur, ncur)) >= 0)
	{
		/* Alembic's answer: the merge of the branch's current revisions */
		done = 1;
	}
	else if (ncur > 1)
	{
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("target \"%s\" is ambiguous: %d revisions are current%s",
						target, ncur, scope),
				 errdetail("The current revisions are %s.", migrate_join_ids(graph, cur, ncur, ", ")),
				 errhint("Use <id>+N or <label>@+N.")));
		pos = -1;				/* keep compiler quiet */
		done = 0;
	}
	else
	{
		pos = cur[0];
		done = 0;
	}

	for (; done < steps; done++)
		pos = step_forward(graph, target, pos, within, done, steps);
	return pos;
}

/* "+N" from what is applied. */
static int
relative_forward(MigrateGraph *graph, const char *target, int steps,
				 const bool *within, const char *scope)
{
	bool	   *applied = palloc(Max(graph->nrevs, 1));

	for (int i = 0; i < graph->nrevs; i++)
		applied[i] = graph->revs[i].applied && graph->revs[i].registered;
	return relative_forward_from(graph, target, steps, within, scope, applied);
}

/*
 * "-N" inside "within": revert the single current revision, N times.  Fills
 * "revert" with what goes.
 *
 * Linear: the current revisions are computed once; then each step reverts
 * the single current one, and the only revisions that can become current
 * are its parents and dependencies, once the last applied revision (inside
 * "within") that descends from or depends on them is gone, which a count
 * per revision tells.  (Recomputing the current revisions at
 * every step made -N on a long chain cost N full scans.)
 */
static void
relative_backward(MigrateGraph *graph, const char *target, int steps,
				  const bool *within, const char *scope, bool *revert)
{
	int			n = graph->nrevs;
	bool	   *applied = palloc(Max(n, 1));
	int		   *applied_kids = palloc0(sizeof(int) * Max(n, 1));
	int			ncur;
	int		   *cur;

	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		applied[i] = graph->revs[i].applied;
	}
	for (int i = 0; i < n; i++)
	{
		MigrateRevision *r = &graph->revs[i];

		CHECK_FOR_INTERRUPTS();
		if (!applied[i] || (within && !within[i]))
			continue;
		for (int j = 0; j < r->nchildren + r->ndependents; j++)
		{
			int			c = j < r->nchildren ? r->children[j]
				: r->dependents[j - r->nchildren];

			if (applied[c] && (within == NULL || within[c]))
				applied_kids[i]++;
		}
	}
	cur = currents_within(graph, within, applied, &ncur);

	for (int s = 0; s < steps; s++)
	{
		MigrateRevision *r;
		int			x;

		CHECK_FOR_INTERRUPTS();
		if (ncur == 0 && s == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("target \"%s\": nothing is applied%s", target, scope)));
		if (ncur == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("target \"%s\" goes past base%s", target, scope),
					 errdetail("Only %d revision%s can be reverted.", s, s == 1 ? "" : "s")));
		if (ncur > 1)
			ereport(ERROR,
					(errcode(ERRCODE_CARDINALITY_VIOLATION),
					 errmsg("target \"%s\" is ambiguous: %d revisions are current%s",
							target, ncur, s > 0 ? " after the first steps" : scope),
					 errdetail("The current revisions are %s.",
							   migrate_join_ids(graph, cur, ncur, ", ")),
					 errhint("Downgrade to a revision id, or use <label>@-N.")));
		x = cur[0];
		r = &graph->revs[x];
		applied[x] = false;
		revert[x] = true;
		/* what is left with no applied child or dependent becomes current */
		ncur = 0;
		for (int j = 0; j < r->nparents + r->ndepends; j++)
		{
			int			p = j < r->nparents ? r->parent_idx[j]
				: r->depend_idx[j - r->nparents];

			if (p < 0 || !applied[p] || (within && !within[p]))
				continue;
			if (--applied_kids[p] == 0)
				cur[ncur++] = p;
		}
		migrate_sort_by_id(graph, cur, ncur);
	}
	pfree(cur);
	pfree(applied_kids);
	pfree(applied);
}

/* The revision that carries "label", or -1 when none does. */
static int
label_owner(MigrateGraph *graph, const char *label)
{
	for (int i = 0; i < graph->nrevs; i++)
	{
		MigrateRevision *r = &graph->revs[i];

		for (int j = 0; j < r->nlabels; j++)
			if (strcmp(r->labels[j], label) == 0)
				return i;
	}
	return -1;
}

/* The revision that carries "label"; errors if none or several. */
static int
find_label(MigrateGraph *graph, const char *target, const char *label)
{
	int			found = -1;
	int			nfound = 0;
	int			second = -1;

	for (int i = 0; i < graph->nrevs; i++)
	{
		MigrateRevision *r = &graph->revs[i];

		CHECK_FOR_INTERRUPTS();
		for (int j = 0; j < r->nlabels; j++)
			if (strcmp(r->labels[j], label) == 0)
			{
				if (nfound == 0)
					found = i;
				else
					second = i;
				nfound++;
			}
	}
	if (nfound == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("branch label \"%s\" does not exist", label),
				 errhint("Labels are given with migrate.add(..., branch_labels => ...).")));
	if (nfound > 1)
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("branch label \"%s\" is on %d revisions", label, nfound),
				 errdetail("Among them \"%s\" and \"%s\".",
						   graph->revs[found].id, graph->revs[second].id)));
	return found;
}

/* N steps back from "pos" through single parents. */
static int
walk_back(MigrateGraph *graph, const char *target, int pos, int steps)
{
	for (int s = 0; s < steps; s++)
		pos = step_backward(graph, target, pos, s, steps);
	return pos;
}

/* The heads among the revisions marked in "below", sorted by id. */
static int *
heads_within(MigrateGraph *graph, const bool *below, int *count)
{
	int		   *heads = palloc(sizeof(int) * Max(graph->nrevs, 1));
	int			n = 0;

	for (int i = 0; i < graph->nrevs; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (below[i] && migrate_is_head(graph, i))
			heads[n++] = i;
	}
	migrate_sort_by_id(graph, heads, n);
	*count = n;
	return heads;
}

/* "head-N" / "heads-N" / "<what>head-N": the N of it, or 0 if not that form. */
static int
head_minus(const char *target, const char *what)
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
	return parse_step_count(target, rest);
}

/*
 * <anchor>@<what>, where the anchor is a branch label or a revision (id or
 * unique prefix: <id>@head is the head of the branch that contains it).
 * The branch is the anchor with its ancestors (through parents) and its
 * descendants; "below" is the anchor and its descendants.
 *	  head, heads, base, +N, -N, head-N, <id>, <id>+N, <id>-N
 */
static MigrateTarget *
resolve_label(MigrateGraph *graph, const char *target, const char *label,
			  const char *what, MigrateDirection dir)
{
	const char *reason;
	int			anchor;
	bool	   *branch;
	bool	   *below;
	char	   *scope;
	char	   *branch_name;
	int			back = 0;

	if (*label == '\0')
		target_malformed(target, "A branch label is needed before \"@\".");
	if (!migrate_id_is_valid(label, &reason))
		target_malformed(target, reason);
	if (strchr(what, '@') != NULL)
		target_malformed(target, "A target has at most one \"@\".");
	if (*what == '\0')
		target_malformed(target, "After \"@\" comes head, heads, base, +N, -N, head-N or a revision.");

	if (label_owner(graph, label) >= 0)
	{
		anchor = find_label(graph, target, label);
		branch_name = psprintf("branch \"%s\"", label);
		scope = psprintf(" on %s", branch_name);
	}
	else
	{
		int			idx = migrate_graph_find(graph, label);

		/* not a label: a revision, as in <id>@head */
		if (idx < 0 || !graph->revs[idx].registered)
		{
			int			ncand = 0;

			for (int i = 0; i < graph->nrevs && ncand == 0; i++)
				if (graph->revs[i].registered &&
					strncmp(graph->revs[i].id, label, strlen(label)) == 0)
					ncand++;
			if (ncand == 0)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_OBJECT),
						 errmsg("branch label \"%s\" does not exist", label),
						 errdetail("No revision has that label, and no registered revision id starts with it."),
						 errhint("Labels are given with migrate.add(..., branch_labels => ...).")));
			idx = lookup_revision(graph, target, label);
		}
		anchor = idx;
		branch_name = psprintf("the branch of revision \"%s\"", graph->revs[idx].id);
		scope = psprintf(" on %s", branch_name);
	}

	/* branch = ancestors + anchor + descendants; below = anchor + descendants */
	branch = palloc0(Max(graph->nrevs, 1));
	below = palloc0(Max(graph->nrevs, 1));
	migrate_descendants(graph, &anchor, 1, true, false, below);
	memcpy(branch, below, graph->nrevs);
	migrate_parent_ancestors(graph, &anchor, 1, branch);

	if (strcmp(what, "head") == 0 || strcmp(what, "heads") == 0 ||
		(back = head_minus(target, what)) > 0)
	{
		int			nheads;
		int		   *heads = heads_within(graph, below, &nheads);

		if (strcmp(what, "heads") == 0)
			return target_of(nheads, heads);
		if (nheads != 1)
			ereport(ERROR,
					(errcode(ERRCODE_CARDINALITY_VIOLATION),
					 errmsg("%s has %d heads", branch_name, nheads),
					 errdetail("Its heads are %s.", migrate_join_ids(graph, heads, nheads, ", ")),
					 errhint("Merge them with a revision that names both as down_revision, or target one by id.")));
		if (strcmp(what, "head") == 0)
			return single_target(heads[0]);
		return single_target(walk_back(graph, target, heads[0], back));
	}
	if (strcmp(what, "base") == 0)
	{
		MigrateTarget *t;
		bool	   *outside_anc = palloc0(Max(graph->nrevs, 1));
		int		   *outside = palloc(sizeof(int) * Max(graph->nrevs, 1));
		int			noutside = 0;

		if (dir == MIGRATE_UP)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("target \"%s\" is a downgrade target", target),
					 errhint("Use migrate.downgrade('%s').", target)));

		/* the branch's own revisions: not shared with revisions outside it */
		for (int i = 0; i < graph->nrevs; i++)
		{
			CHECK_FOR_INTERRUPTS();
			if (graph->revs[i].registered && !branch[i])
				outside[noutside++] = i;
		}
		migrate_parent_ancestors(graph, outside, noutside, outside_anc);

		t = target_of(0, NULL);
		t->has_revert_set = true;
		t->revert_set = palloc0(Max(graph->nrevs, 1));
		for (int i = 0; i < graph->nrevs; i++)
		{
			CHECK_FOR_INTERRUPTS();
			t->revert_set[i] = branch[i] && !outside_anc[i];
		}
		return t;
	}
	if (what[0] == '+' || what[0] == '-')
	{
		int			steps = parse_step_count(target, what + 1);

		if (what[0] == '+')
		{
			if (dir == MIGRATE_DOWN)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("target \"%s\" moves forward", target),
						 errhint("Use migrate.upgrade('%s').", target)));
			return single_target(relative_forward(graph, target, steps, branch, scope));
		}
		else
		{
			MigrateTarget *t;

			bool		own_applied = false;

			if (dir == MIGRATE_UP)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("target \"%s\" moves backward", target),
						 errhint("Use migrate.downgrade('%s').", target)));
			/* a step back must revert the branch's own revisions, never the trunk below */
			for (int i = 0; i < graph->nrevs && !own_applied; i++)
				own_applied = below[i] && graph->revs[i].applied;
			if (!own_applied)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("target \"%s\": nothing of %s is applied", target, branch_name),
						 errdetail("Revision \"%s\" and the revisions above it are not applied; stepping back would revert revisions of another branch.",
								   graph->revs[anchor].id)));
			t = target_of(0, NULL);
			t->has_revert_set = true;
			t->revert_set = palloc0(Max(graph->nrevs, 1));
			relative_backward(graph, target, steps, branch, scope, t->revert_set);
			return t;
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
		if (sign != NULL && migrate_graph_find(graph, what) >= 0 &&
			graph->revs[migrate_graph_find(graph, what)].registered)
			sign = NULL;
		if (sign != NULL)
		{
			name = pnstrdup(what, sign - what);
			steps = parse_step_count(target, sign + 1);
		}
		pos = lookup_revision(graph, target, name);
		if (!branch[pos])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("revision \"%s\" is not on %s",
							graph->revs[pos].id, branch_name),
					 errhint("A branch is its labelled revision with its ancestors and descendants.")));
		for (int s = 0; s < steps; s++)
			pos = (*sign == '+') ? step_forward(graph, target, pos, branch, s, steps)
				: step_backward(graph, target, pos, s, steps);
		return single_target(pos);
	}
}

MigrateTarget *
migrate_resolve_target(MigrateGraph *graph, const char *target,
					   MigrateDirection dir)
{
	const char *at;
	size_t		len = strlen(target);
	int			idx;

	if (len == 0)
		target_malformed(target, "The target is empty.");
	if (len > 2 * MIGRATE_ID_MAXLEN + 16)
		target_malformed(target, "The target is too long to be a revision or a label.");
	if (migrate_target_is_range(target))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("target \"%s\" is a range", target),
				 errdetail("A range A:B names two states; migrate.sql() and migrate.history() take one."),
				 errhint("Upgrade and downgrade start from the applied state: name only where to go.")));

	if (strcmp(target, "base") == 0)
	{
		MigrateTarget *t = target_of(0, NULL);

		t->is_base = true;
		return t;
	}
	if (strcmp(target, "heads") == 0 || strcmp(target, "head") == 0)
	{
		int			nheads;
		int		   *heads = migrate_graph_heads(graph, &nheads);

		if (nheads == 0 && graph->ntopo > 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("target \"%s\" names nothing: every registered revision lies on or below a cycle", target),
					 errhint("migrate.validate() shows the cycle.")));
		if (nheads == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("no revisions are registered"),
					 errhint("Register revisions with migrate.add() first.")));
		if (strcmp(target, "head") == 0 && nheads > 1)
			ereport(ERROR,
					(errcode(ERRCODE_CARDINALITY_VIOLATION),
					 errmsg("target \"head\" is ambiguous: there are %d heads", nheads),
					 errdetail("The heads are %s.", migrate_join_ids(graph, heads, nheads, ", ")),
					 errhint("Use 'heads' to go to every head, '<label>@head' for one branch, or add a merge revision.")));
		return target_of(nheads, heads);
	}

	at = strchr(target, '@');
	if (at != NULL)
	{
		char	   *label = pnstrdup(target, at - target);

		return resolve_label(graph, target, label, at + 1, dir);
	}

	if (is_relative(target))
	{
		int			steps = parse_step_count(target, target + 1);

		if (target[0] == '+')
		{
			if (dir == MIGRATE_DOWN)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("target \"%s\" moves forward", target),
						 errhint("Use migrate.upgrade('%s').", target)));
			return single_target(relative_forward(graph, target, steps, NULL, ""));
		}
		else
		{
			MigrateTarget *t;

			if (dir == MIGRATE_UP)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("target \"%s\" moves backward", target),
						 errhint("Use migrate.downgrade('%s').", target)));
			t = target_of(0, NULL);
			t->has_revert_set = true;
			t->revert_set = palloc0(Max(graph->nrevs, 1));
			relative_backward(graph, target, steps, NULL, "", t->revert_set);
			return t;
		}
	}
	if (target[0] == '+' || target[0] == '-')
		target_malformed(target, "A relative step is a sign followed by digits.");

	/* an exact id wins over any reading of a trailing "-N" */
	idx = migrate_graph_find(graph, target);
	if (idx >= 0 && graph->revs[idx].registered)
		return single_target(idx);

	/* head-N, heads-N: N steps below the single head */
	{
		int			back = head_minus(target, target);

		if (back > 0)
		{
			int			nheads;
			int		   *heads = migrate_graph_heads(graph, &nheads);

			if (nheads == 0)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_OBJECT),
						 errmsg("no revisions are registered"),
						 errhint("Register revisions with migrate.add() first.")));
			if (nheads > 1)
			{
				migrate_sort_by_id(graph, heads, nheads);
				ereport(ERROR,
						(errcode(ERRCODE_CARDINALITY_VIOLATION),
						 errmsg("target \"%s\" is ambiguous: there are %d heads", target, nheads),
						 errdetail("The heads are %s.", migrate_join_ids(graph, heads, nheads, ", ")),
						 errhint("Use '<label>@head-N' for one branch, or name the revision.")));
			}
			return single_target(walk_back(graph, target, heads[0], back));
		}
	}

	/* base+N: N steps up from the single base (base+1 is the base itself) */
	if (strncmp(target, "base+", 5) == 0)
	{
		bool	   *applied = palloc0(Max(graph->nrevs, 1));
		int			steps = parse_step_count(target, target + 5);

		if (dir == MIGRATE_DOWN)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("target \"%s\" moves forward", target),
					 errhint("Use migrate.upgrade('%s').", target)));
		return single_target(relative_forward_from(graph, target, steps, NULL, "", applied));
	}

	/* a bare branch label: the revision that carries it */
	if (label_owner(graph, target) >= 0)
		return single_target(find_label(graph, target, target));

	/* <id>+N, <id>-N */
	{
		const char *sign = NULL;

		for (const char *p = target + len - 1; p > target; p--)
		{
			if (*p >= '0' && *p <= '9')
				continue;
			if ((*p == '+' || *p == '-') && p[1] != '\0')
				sign = p;
			break;
		}
		if (sign == NULL && strchr(target, '+') != NULL)
			target_malformed(target, "\"+\" may only be followed by a number of steps.");
		if (sign != NULL)
		{
			char	   *base = pnstrdup(target, sign - target);
			int			steps = parse_step_count(target, sign + 1);
			int			pos;

			/* "abc-2" may be a prefix of "abc-2x": prefer the relative reading */
			pos = lookup_revision(graph, target, base);
			for (int s = 0; s < steps; s++)
				pos = (*sign == '+') ? step_forward(graph, target, pos, NULL, s, steps)
					: step_backward(graph, target, pos, s, steps);
			return single_target(pos);
		}
	}

	return single_target(lookup_revision(graph, target, target));
}
