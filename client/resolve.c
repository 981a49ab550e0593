/*-------------------------------------------------------------------------
 *
 * resolve.c
 *	  Targets, ranges and plans on the model (model.c), for what the client
 *	  works out itself: "show REV", "history -r A:B", and the offline
 *	  script of "sql --offline [A:]B", which has no database to ask.
 *
 * The grammar is the extension's (src/target.c, Alembic's), read in the
 * same order, for the forms that name revisions rather than moves from
 * the applied state:
 *
 *	  base, heads, head, current (with a database), an exact id,
 *	  head-N / heads-N (N steps below the single head), base+N (the single
 *	  base is base+1), a bare branch label, <label>@head, <label>@heads,
 *	  <id>@head, <label>@<id>, <x>@<id>+N and -N, <id>+N, <id>-N, a unique
 *	  prefix of an id; +N and -N from the current revision (with a
 *	  database; offline, +N counts from base).
 *
 * Moves that only the applied state defines (<label>@+N, <label>@-N,
 * <label>@base) are the server's: an online command passes them on, the
 * offline ones refuse them with a message saying so.  A target names a
 * state: the revisions it names, with their ancestors and dependencies,
 * applied.  A range A:B is the revisions between two such states.
 *
 * IDENTIFICATION
 *	  client/resolve.c
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

void
il_add(IdxList *l, int v)
{
	if (l->n == l->cap)
	{
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = pgm_realloc(l->v, sizeof(int) * (size_t) l->cap);
	}
	l->v[l->n++] = v;
}

void
il_free(IdxList *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static char *
join_idx(const Model *m, const IdxList *l, int limit)
{
	StrBuf		sb;

	sb_init(&sb);
	for (int i = 0; i < l->n && i < limit; i++)
		sb_appendf(&sb, "%s%s", i ? ", " : "", m->revs[l->v[i]].id);
	if (l->n > limit)
		sb_append(&sb, ", ...");
	return sb.data;
}

static void
sort_by_id(const Model *m, IdxList *l)
{
	/* by_id is sorted: walk it and keep the members */
	char	   *mark = calloc((size_t) (m->n ? m->n : 1), 1);
	int			k = 0;

	if (mark == NULL)
		pgm_fatal_oom();
	for (int i = 0; i < l->n; i++)
		mark[l->v[i]] = 1;
	for (int i = 0; i < m->n; i++)
		if (mark[m->by_id[i]])
			l->v[k++] = m->by_id[i];
	l->n = k;
	free(mark);
}

void
model_heads(const Model *m, IdxList *out)
{
	for (int k = 0; k < m->n; k++)
		if (rev_is_head(&m->revs[m->by_id[k]]))
			il_add(out, m->by_id[k]);
}

static int
parse_steps(const char *target, const char *digits)
{
	char	   *end;
	long		v;

	if (*digits < '0' || *digits > '9')
		return -1;
	v = strtol(digits, &end, 10);
	if (*end != '\0' || v <= 0 || v > INT_MAX)
		return -1;
	(void) target;
	return (int) v;
}

static bool
all_digits(const char *s)
{
	return *s != '\0' && strspn(s, "0123456789") == strlen(s);
}

/* An exact id or a unique prefix; -1 after reporting. */
static int
lookup(const Model *m, const char *target, const char *name)
{
	int			idx = model_find(m, name);
	IdxList		cand = {0};
	size_t		len = strlen(name);
	char	   *list;

	if (idx >= 0)
		return idx;
	for (int k = 0; k < m->n; k++)
		if (strncmp(m->revs[m->by_id[k]].id, name, len) == 0)
			il_add(&cand, m->by_id[k]);
	if (cand.n == 1)
	{
		idx = cand.v[0];
		il_free(&cand);
		return idx;
	}
	if (cand.n == 0)
	{
		pgm_error("revision \"%s\" is not %s", name,
				  m->has_files ? (m->has_db ? "registered and no file declares it" : "declared by any file")
				  : "registered");
		if (strcmp(target, name) != 0)
			pgm_error_detail(pgm_psprintf("It is part of the target \"%s\".", target));
		pgm_error_hint("\"pg_migrate history\" lists the revisions.");
		return -1;
	}
	list = join_idx(m, &cand, 10);
	pgm_error("revision prefix \"%s\" is ambiguous", name);
	pgm_error_detail(pgm_psprintf("It matches %d revisions: %s.", cand.n, list));
	pgm_error_hint("Give more characters of the id.");
	free(list);
	il_free(&cand);
	return -1;
}

/* The revision that carries "label", or -1 (not reported). */
static int
label_owner(const Model *m, const char *label)
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

/* N steps along unique children (+) or unique parents (-); -1 after reporting. */
static int
walk(const Model *m, const char *target, int pos, int steps, bool forward)
{
	for (int s = 0; s < steps; s++)
	{
		const Rev  *r = &m->revs[pos];

		if (s > m->n)
		{
			pgm_error("target \"%s\" goes round a cycle through revision \"%s\"", target, r->id);
			return -1;
		}
		if (forward)
		{
			IdxList		kids = {0};
			char	   *list;

			if (r->nchildren == 1)
			{
				pos = r->children[0];
				continue;
			}
			if (r->nchildren == 0)
			{
				pgm_error("target \"%s\" goes past a head", target);
				pgm_error_detail(pgm_psprintf("Revision \"%s\" has no child: only %d of %d steps are possible.",
											  r->id, s, steps));
				return -1;
			}
			for (int k = 0; k < r->nchildren; k++)
				il_add(&kids, r->children[k]);
			sort_by_id(m, &kids);
			list = join_idx(m, &kids, INT_MAX);
			pgm_error("target \"%s\" is ambiguous: revision \"%s\" has %d children",
					  target, r->id, r->nchildren);
			pgm_error_detail(pgm_psprintf("Its children are %s.", list));
			free(list);
			il_free(&kids);
			return -1;
		}
		if (r->nparents == 1 && r->parent_idx[0] >= 0)
		{
			pos = r->parent_idx[0];
			continue;
		}
		if (r->nparents == 0)
			pgm_error("target \"%s\" goes below a base: revision \"%s\" has no parent", target, r->id);
		else if (r->nparents == 1)
			pgm_error("target \"%s\" goes below revision \"%s\", whose parent \"%s\" is not a revision",
					  target, r->id, r->parents[0]);
		else
			pgm_error("target \"%s\" is ambiguous: revision \"%s\" is a merge of %d parents",
					  target, r->id, r->nparents);
		return -1;
	}
	return pos;
}

/* The heads among "from" and its descendants. */
static void
heads_above(const Model *m, int from, IdxList *out)
{
	char	   *seen = calloc((size_t) (m->n ? m->n : 1), 1);
	IdxList		stack = {0};

	if (seen == NULL)
		pgm_fatal_oom();
	il_add(&stack, from);
	seen[from] = 1;
	while (stack.n > 0)
	{
		const Rev  *r = &m->revs[stack.v[--stack.n]];

		if (rev_is_head(r))
			il_add(out, (int) (r - m->revs));
		for (int k = 0; k < r->nchildren; k++)
			if (!seen[r->children[k]])
			{
				seen[r->children[k]] = 1;
				il_add(&stack, r->children[k]);
			}
	}
	sort_by_id(m, out);
	il_free(&stack);
	free(seen);
}

static bool
single(IdxList *out, int idx)
{
	if (idx < 0)
		return false;
	il_add(out, idx);
	return true;
}

/* The unique head of "list", or -1 after reporting. */
static int
unique_head(const Model *m, const char *target, IdxList *heads)
{
	char	   *list;

	if (heads->n == 1)
		return heads->v[0];
	if (heads->n == 0)
	{
		pgm_error("target \"%s\" names nothing: there is no revision", target);
		return -1;
	}
	list = join_idx(m, heads, INT_MAX);
	pgm_error("target \"%s\" is ambiguous: there are %d heads", target, heads->n);
	pgm_error_detail(pgm_psprintf("The heads are %s.", list));
	pgm_error_hint("Use 'heads' to go to every head, '<label>@head' for one branch, or add a merge revision.");
	free(list);
	return -1;
}

/* N steps below the end of "head-N" / "heads-N", or 0 if not that form. */
static int
head_minus(const char *target)
{
	const char *p = NULL;

	if (strncmp(target, "head-", 5) == 0)
		p = target + 5;
	else if (strncmp(target, "heads-", 6) == 0)
		p = target + 6;
	if (p == NULL || !all_digits(p))
		return 0;
	return parse_steps(target, p);
}

/* "<x>@<rest>" */
static bool
resolve_at(const Model *m, const char *target, const char *left, const char *rest,
		   IdxList *out)
{
	int			owner = label_owner(m, left);
	int			from;
	IdxList		heads = {0};
	bool		ok;

	if (strcmp(rest, "head") == 0 || strcmp(rest, "heads") == 0)
	{
		from = owner >= 0 ? owner : lookup(m, target, left);
		if (from < 0)
			return false;
		heads_above(m, from, &heads);
		if (strcmp(rest, "heads") == 0)
		{
			for (int i = 0; i < heads.n; i++)
				il_add(out, heads.v[i]);
			ok = true;
		}
		else
			ok = single(out, unique_head(m, target, &heads));
		il_free(&heads);
		return ok;
	}
	if (strncmp(rest, "head-", 5) == 0 && all_digits(rest + 5))
	{
		int			steps = parse_steps(target, rest + 5);

		from = owner >= 0 ? owner : lookup(m, target, left);
		if (from < 0 || steps < 0)
			return false;
		heads_above(m, from, &heads);
		from = unique_head(m, target, &heads);
		il_free(&heads);
		return from >= 0 && single(out, walk(m, target, from, steps, false));
	}
	if (strcmp(rest, "base") == 0 || rest[0] == '+' || rest[0] == '-')
	{
		pgm_error("target \"%s\" moves from the applied state: only the database resolves it", target);
		pgm_error_hint("Name a revision (an id, a label, <label>@head), or leave out --offline.");
		return false;
	}
	/* <label>@<id>[+-N]: a revision lookup, the label as documentation */
	return model_resolve(m, rest, out);
}

/*
 * The revisions "target" names (out: a state; empty for base).  Returns
 * false after reporting.
 */
bool
model_resolve(const Model *m, const char *target, IdxList *out)
{
	const char *at;
	int			back;
	size_t		len = strlen(target);

	if (len == 0)
	{
		pgm_error("invalid target \"\": the target is empty");
		return false;
	}
	if (strcmp(target, "base") == 0)
		return true;
	if (strcmp(target, "heads") == 0 || strcmp(target, "head") == 0)
	{
		IdxList		heads = {0};
		bool		ok = true;

		model_heads(m, &heads);
		if (heads.n == 0)
		{
			pgm_error("target \"%s\" names nothing: there are no revisions", target);
			ok = false;
		}
		else if (strcmp(target, "heads") == 0)
			for (int i = 0; i < heads.n; i++)
				il_add(out, heads.v[i]);
		else
			ok = single(out, unique_head(m, target, &heads));
		il_free(&heads);
		return ok;
	}
	if (strcmp(target, "current") == 0)
	{
		if (!m->has_db)
		{
			pgm_error("target \"current\" needs a database");
			return false;
		}
		for (int k = 0; k < m->n; k++)
			if (m->revs[m->by_id[k]].current)
				il_add(out, m->by_id[k]);
		return true;
	}
	at = strchr(target, '@');
	if (at != NULL)
	{
		char	   *left = pgm_strndup(target, (size_t) (at - target));
		bool		ok = resolve_at(m, target, left, at + 1, out);

		free(left);
		return ok;
	}
	if ((target[0] == '+' || target[0] == '-') && all_digits(target + 1))
	{
		int			steps = parse_steps(target, target + 1);
		IdxList		cur = {0};
		int			pos = -1;

		for (int k = 0; k < m->n; k++)
			if (m->revs[m->by_id[k]].current)
				il_add(&cur, m->by_id[k]);
		if (cur.n > 1)
		{
			char	   *list = join_idx(m, &cur, INT_MAX);

			pgm_error("target \"%s\" is ambiguous: %d revisions are current (%s)", target, cur.n, list);
			free(list);
			il_free(&cur);
			return false;
		}
		if (cur.n == 1)
			pos = cur.v[0];
		il_free(&cur);
		if (target[0] == '-')
		{
			if (pos < 0)
			{
				pgm_error("target \"%s\" moves below base: nothing is %s", target,
						  m->has_db ? "applied" : "applied (offline, nothing is)");
				return false;
			}
			return single(out, walk(m, target, pos, steps, false));
		}
		if (pos < 0)
		{
			IdxList		bases = {0};

			for (int k = 0; k < m->n; k++)
				if (rev_is_base(&m->revs[m->by_id[k]]))
					il_add(&bases, m->by_id[k]);
			if (bases.n != 1)
			{
				pgm_error("target \"%s\" is ambiguous: there are %d bases", target, bases.n);
				il_free(&bases);
				return false;
			}
			pos = bases.v[0];
			il_free(&bases);
			steps--;
			if (steps == 0)
				return single(out, pos);
		}
		return single(out, walk(m, target, pos, steps, true));
	}
	if (target[0] == '+' || target[0] == '-')
	{
		pgm_error("invalid target \"%s\": a relative step is a sign followed by digits", target);
		return false;
	}
	/* an exact id wins over any reading of a trailing "-N" */
	if (model_find(m, target) >= 0)
		return single(out, model_find(m, target));
	back = head_minus(target);
	if (back > 0)
	{
		IdxList		heads = {0};
		int			h;

		model_heads(m, &heads);
		h = unique_head(m, target, &heads);
		il_free(&heads);
		return h >= 0 && single(out, walk(m, target, h, back, false));
	}
	if (strncmp(target, "base+", 5) == 0 && all_digits(target + 5))
	{
		IdxList		bases = {0};
		int			steps = parse_steps(target, target + 5);
		int			pos;

		for (int k = 0; k < m->n; k++)
			if (rev_is_base(&m->revs[m->by_id[k]]))
				il_add(&bases, m->by_id[k]);
		if (bases.n != 1)
		{
			pgm_error("target \"%s\" is ambiguous: there are %d bases", target, bases.n);
			il_free(&bases);
			return false;
		}
		pos = bases.v[0];
		il_free(&bases);
		return single(out, walk(m, target, pos, steps - 1, true));
	}
	if (label_owner(m, target) >= 0)
		return single(out, label_owner(m, target));
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
		if (sign != NULL)
		{
			char	   *base = pgm_strndup(target, (size_t) (sign - target));
			int			steps = parse_steps(target, sign + 1);
			int			pos = steps > 0 ? lookup(m, target, base) : -1;

			free(base);
			if (pos < 0)
				return false;
			return single(out, walk(m, target, pos, steps, *sign == '+'));
		}
	}
	return single(out, lookup(m, target, target));
}

/*
 * The state "target" names, closed: the revisions, their ancestors and
 * dependencies (mark[i] set).  Returns false after reporting.
 */
bool
model_state(const Model *m, const char *target, char *mark)
{
	IdxList		named = {0};
	IdxList		stack = {0};

	memset(mark, 0, (size_t) (m->n ? m->n : 1));
	if (!model_resolve(m, target, &named))
		return false;
	for (int i = 0; i < named.n; i++)
		if (!mark[named.v[i]])
		{
			mark[named.v[i]] = 1;
			il_add(&stack, named.v[i]);
		}
	while (stack.n > 0)
	{
		const Rev  *r = &m->revs[stack.v[--stack.n]];

		for (int k = 0; k < r->nparents + r->ndepends; k++)
		{
			int			p = k < r->nparents ? r->parent_idx[k] : r->depend_idx[k - r->nparents];

			if (p >= 0 && !mark[p])
			{
				mark[p] = 1;
				il_add(&stack, p);
			}
		}
	}
	il_free(&named);
	il_free(&stack);
	return true;
}

/*
 * A range "A:B" (either side may be empty: base, heads): the revisions of
 * state B that are not below A, in the model's order (ancestors first);
 * "inclusive" adds the revisions A names (as alembic history -r A:B lists
 * A).  "from" and "to" get the states (may be NULL).  Without a colon the
 * range is ":B".  Returns false after reporting.
 */
bool
model_range(const Model *m, const char *range, bool inclusive, IdxList *out,
			char *from_mark, char *to_mark)
{
	const char *colon = strchr(range, ':');
	char	   *a = colon ? pgm_strndup(range, (size_t) (colon - range)) : pgm_strdup("");
	const char *b = colon ? colon + 1 : range;
	char	   *from = from_mark ? from_mark : calloc((size_t) (m->n ? m->n : 1), 1);
	char	   *to = to_mark ? to_mark : calloc((size_t) (m->n ? m->n : 1), 1);
	bool		ok;

	if (from == NULL || to == NULL)
		pgm_fatal_oom();
	if (colon != NULL && strchr(colon + 1, ':') != NULL)
	{
		pgm_error("invalid range \"%s\": one colon separates its two ends", range);
		ok = false;
	}
	else
		ok = model_state(m, a[0] ? a : "base", from) && model_state(m, b[0] ? b : "heads", to);
	if (ok && inclusive && a[0])
	{
		IdxList		named = {0};

		(void) model_resolve(m, a, &named);
		for (int i = 0; i < named.n; i++)
			from[named.v[i]] = 0;	/* listed, as the range's first */
		il_free(&named);
	}
	if (ok)
		for (int k = 0; k < m->ntopo; k++)
		{
			int			i = m->topo[k];

			if (to[i] && !from[i])
				il_add(out, i);
		}
	free(a);
	if (from_mark == NULL)
		free(from);
	if (to_mark == NULL)
		free(to);
	return ok;
}

/* The heads of a state: marked revisions with no marked child. */
void
model_state_heads(const Model *m, const char *mark, StrList *out)
{
	for (int k = 0; k < m->n; k++)
	{
		int			i = m->by_id[k];
		const Rev  *r = &m->revs[i];
		bool		top = mark[i] != 0;

		for (int c = 0; top && c < r->nchildren; c++)
			if (mark[r->children[c]])
				top = false;
		for (int c = 0; top && c < r->ndependents; c++)
			if (mark[r->dependents[c]])
				top = false;
		if (top)
			sl_add(out, r->id);
	}
}
