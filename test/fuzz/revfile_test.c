/*
 * Unit tests for the revision-file parser (common/revfile.c), in plain C:
 * the cases SQL cannot reach (NUL bytes, allocation failures) and a table
 * of valid and invalid files.  Prints TAP.  Built and run by
 * test/fuzz/run.sh (with AddressSanitizer and UBSan) or by hand:
 *
 *   cc -Icommon test/fuzz/revfile_test.c common/revfile.c common/idrule.c -o /tmp/t && /tmp/t
 */
#include "revfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	n_test = 0;
static int	n_fail = 0;

static void
ok(int cond, const char *fmt, const char *arg)
{
	n_test++;
	if (!cond)
		n_fail++;
	printf("%s %d - ", cond ? "ok" : "not ok", n_test);
	printf(fmt, arg);
	printf("\n");
}

typedef struct Counter
{
	long		live;
	long		done;
	long		fail_at;
} Counter;

static void *
counting_alloc(size_t size, void *arg)
{
	Counter    *c = arg;

	c->done++;
	if (c->fail_at != 0 && c->done >= c->fail_at)
		return NULL;
	c->live++;
	return malloc(size ? size : 1);
}

static void
counting_release(void *ptr, void *arg)
{
	Counter    *c = arg;

	c->live--;
	free(ptr);
}

typedef struct Case
{
	const char *name;
	const char *text;
	size_t		len;			/* 0: strlen(text) */
	size_t		line;			/* 0: valid; else line of the first error */
	const char *message;		/* substring of the first error's message */
} Case;

#define HDR "-- migrate:revision r1\n"

static const Case cases[] = {
	{"minimal", HDR "-- migrate:upgrade\nSELECT 1;\n", 0, 0, NULL},
	{"empty input", "", 0, 1, "missing \"-- migrate:revision\""},
	{"no upgrade", HDR "-- migrate:message x\n", 0, 2, "missing \"-- migrate:upgrade\""},
	{"no revision", "-- migrate:message x\n-- migrate:upgrade\nSELECT 1;\n", 0, 2, "missing \"-- migrate:revision\""},
	{"unknown key", HDR "-- migrate:author me\n-- migrate:upgrade\n", 0, 2, "unknown directive \"-- migrate:author\""},
	{"wrong case key", HDR "-- migrate:Upgrade\n-- migrate:upgrade\n", 0, 2, "keys are lower case"},
	{"empty key", HDR "-- migrate:\n-- migrate:upgrade\n", 0, 2, "without a key"},
	{"repeated key", HDR "-- migrate:message a\n-- migrate:message b\n-- migrate:upgrade\n", 0, 3, "repeated \"-- migrate:message\" (first on line 2)"},
	{"stray text", HDR "SELECT 1;\n-- migrate:upgrade\n", 0, 2, "unexpected text before"},
	{"downgrade first", HDR "-- migrate:downgrade\nDROP TABLE t;\n-- migrate:upgrade\nCREATE TABLE t ();\n", 0, 2, "before the \"-- migrate:upgrade\" section"},
	{"second upgrade", HDR "-- migrate:upgrade\nA\n-- migrate:upgrade\nB\n", 0, 4, "second \"-- migrate:upgrade\" section (the first is on line 2)"},
	{"second downgrade", HDR "-- migrate:upgrade\nA\n-- migrate:downgrade\nB\n-- migrate:downgrade\n", 0, 6, "second \"-- migrate:downgrade\""},
	{"header in body", HDR "-- migrate:upgrade\nA\n-- migrate:message late\n", 0, 4, "after a section marker"},
	{"marker with value", HDR "-- migrate:upgrade transaction:false\n", 0, 2, "takes no value"},
	{"bad revision id", "-- migrate:revision -x\n-- migrate:upgrade\n", 0, 1, "starts with a letter or a digit"},
	{"reserved id", "-- migrate:revision Heads\n-- migrate:upgrade\n", 0, 1, "head, heads and base"},
	{"empty revision", "-- migrate:revision\n-- migrate:upgrade\n", 0, 1, "needs an id"},
	{"revision list", "-- migrate:revision a,b\n-- migrate:upgrade\n", 0, 1, "invalid revision id \"a,b\""},
	{"long id", "-- migrate:revision "
		"a123456789012345678901234567890123456789012345678901234567890123456789"
		"0123456789012345678901234567890123456789012345678901234567890\n"
	 "-- migrate:upgrade\n", 0, 1, "at most 128"},
	{"empty list item", HDR "-- migrate:down_revision a,,b\n-- migrate:upgrade\n", 0, 2, "empty item"},
	{"trailing comma", HDR "-- migrate:depends_on a,\n-- migrate:upgrade\n", 0, 2, "empty item"},
	{"bad label", HDR "-- migrate:branch_labels ok, no good\n-- migrate:upgrade\n", 0, 2, "invalid branch label \"no good\""},
	{"valid project:id dependency", HDR "-- migrate:depends_on a, billing:0004\n-- migrate:upgrade\n", 0, 0, NULL},
	{"dependency without project", HDR "-- migrate:depends_on :0004\n-- migrate:upgrade\n", 0, 2, "names a project before the colon"},
	{"dependency with two colons", HDR "-- migrate:depends_on a:b:c\n-- migrate:upgrade\n", 0, 2, "invalid dependency revision id \"a:b:c\""},
	{"parent with a project", HDR "-- migrate:down_revision billing:0004\n-- migrate:upgrade\n", 0, 2, "invalid parent revision id \"billing:0004\""},
	{"duplicate parent", HDR "-- migrate:down_revision a, a\n-- migrate:upgrade\n", 0, 2, "lists \"a\" twice"},
	{"bad transactional", HDR "-- migrate:transactional yes\n-- migrate:upgrade\n", 0, 2, "must be true or false, not \"yes\""},
	{"NUL byte", HDR "-- migrate:upgrade\nSELECT\0 1;\n", 53, 3, "NUL byte at column 7"},
	{"NUL in header", "-- migrate:revision r\0\n-- migrate:upgrade\n", 42, 1, "NUL byte"},
	{"valid CRLF", "-- migrate:revision r1\r\n-- migrate:transactional FALSE\r\n-- migrate:upgrade\r\nA\r\n-- migrate:downgrade\r\nB\r\n", 0, 0, NULL},
	{"valid BOM", "\xEF\xBB\xBF-- migrate:revision r1\n-- migrate:upgrade\n", 0, 0, NULL},
	{"valid no newline at end", HDR "-- migrate:upgrade", 0, 0, NULL},
	{"valid comments and blanks", "-- a comment\n\n  \t\n" HDR "--migrate:message  spaced   out  \n   -- indented\n-- migrate:upgrade\n", 0, 0, NULL},
};

static void
run_case(const Case *c)
{
	RevFile		rf;
	size_t		len = c->len ? c->len : strlen(c->text);
	bool		valid = revfile_parse(&rf, c->text, len, NULL);

	if (c->line == 0)
	{
		ok(valid, "%s: valid", c->name);
		if (!valid)
			for (size_t i = 0; i < rf.n_errors; i++)
				printf("#   line %zu: %s\n", rf.errors[i].line, rf.errors[i].message);
	}
	else
	{
		int			good = !valid && rf.n_errors > 0 &&
			rf.errors[0].line == c->line &&
			strstr(rf.errors[0].message, c->message) != NULL;

		ok(good, "%s: error on the expected line with the expected message", c->name);
		for (size_t i = 0; !good && i < rf.n_errors; i++)
			printf("#   line %zu: %s\n", rf.errors[i].line, rf.errors[i].message);
	}
	revfile_free(&rf);
}

/* Fail every allocation in turn: always reported, never a leak. */
static void
run_oom(const Case *c)
{
	size_t		len = c->len ? c->len : strlen(c->text);
	Counter		probe = {0, 0, 0};
	RevFileAllocator a = {counting_alloc, counting_release, &probe};
	RevFile		rf;
	int			good = 1;

	revfile_parse(&rf, c->text, len, &a);
	revfile_free(&rf);
	good = good && probe.live == 0;
	for (long k = 1; k <= probe.done; k++)
	{
		Counter		ct = {0, 0, k};
		RevFileAllocator af = {counting_alloc, counting_release, &ct};
		bool		valid = revfile_parse(&rf, c->text, len, &af);

		good = good && !valid && rf.out_of_memory;
		revfile_free(&rf);
		good = good && ct.live == 0;
	}
	ok(good, "%s: every allocation failure is reported, nothing leaks", c->name);
}

static void
test_fields(void)
{
	const char *text =
		"-- migrate:revision 2a3f4c9d1cde\n"
		"-- migrate:down_revision 189b1231afd4 , 0aa\n"
		"-- migrate:message add cascade deletes\n"
		"-- migrate:branch_labels habits\n"
		"-- migrate:depends_on 7cce0565853d\n"
		"-- migrate:transactional false\n"
		"-- migrate:upgrade\n"
		"ALTER TABLE a ...;\n"
		"\n"
		"-- a comment in the body\n"
		"-- migrate:downgrade\n"
		"ALTER TABLE b ...;";
	RevFile		rf;
	bool		valid = revfile_parse(&rf, text, strlen(text), NULL);

	ok(valid, "%s", "full file: valid");
	ok(valid && strcmp(rf.revision, "2a3f4c9d1cde") == 0, "%s", "full file: revision");
	ok(valid && rf.n_down_revision == 2 && strcmp(rf.down_revision[0], "189b1231afd4") == 0 &&
	   strcmp(rf.down_revision[1], "0aa") == 0, "%s", "full file: parents, blanks around commas");
	ok(valid && strcmp(rf.message, "add cascade deletes") == 0, "%s", "full file: message");
	ok(valid && rf.n_branch_labels == 1 && strcmp(rf.branch_labels[0], "habits") == 0, "%s", "full file: labels");
	ok(valid && rf.n_depends_on == 1 && strcmp(rf.depends_on[0], "7cce0565853d") == 0, "%s", "full file: depends_on");
	ok(valid && !rf.transactional, "%s", "full file: transactional false");
	ok(valid && strcmp(rf.upgrade, "ALTER TABLE a ...;\n\n-- a comment in the body\n") == 0, "%s", "full file: upgrade body verbatim");
	ok(valid && strcmp(rf.downgrade, "ALTER TABLE b ...;") == 0, "%s", "full file: downgrade body verbatim");
	ok(valid && rf.upgrade_line == 7 && rf.downgrade_line == 11, "%s", "full file: marker lines");
	revfile_free(&rf);

	text = "-- migrate:revision b\n-- migrate:down_revision\n-- migrate:upgrade\n";
	valid = revfile_parse(&rf, text, strlen(text), NULL);
	ok(valid && rf.n_down_revision == 0 && rf.transactional && rf.downgrade == NULL &&
	   rf.message == NULL && strcmp(rf.upgrade, "") == 0, "%s",
	   "base: empty down_revision, defaults, empty upgrade, irreversible");
	revfile_free(&rf);

	text = "-- migrate:revision r1\r\n-- migrate:upgrade\r\nA\r\n-- migrate:downgrade\r\nB\r\n";
	valid = revfile_parse(&rf, text, strlen(text), NULL);
	ok(valid && strcmp(rf.revision, "r1") == 0 && strcmp(rf.upgrade, "A\r\n") == 0 &&
	   strcmp(rf.downgrade, "B\r\n") == 0, "%s", "CRLF: id without CR, bodies verbatim");
	revfile_free(&rf);

	text = "-- migrate:revision r1\n-- migrate:upgrade\nA\n-- migrate:downgrade\n";
	valid = revfile_parse(&rf, text, strlen(text), NULL);
	ok(valid && rf.downgrade != NULL && rf.downgrade[0] == '\0', "%s",
	   "an empty downgrade section is reversible (empty body), not NULL");
	revfile_free(&rf);

	{
		/* many errors: capped */
		size_t		n = 200;
		char	   *big = malloc(n * 20 + 1);
		size_t		pos = 0;

		for (size_t i = 0; i < n; i++)
			pos += (size_t) sprintf(big + pos, "-- migrate:x%zu\n", i);
		valid = revfile_parse(&rf, big, pos, NULL);
		ok(!valid && rf.n_errors == REVFILE_MAX_ERRORS && rf.errors_truncated, "%s",
		   "errors are capped and the cap is reported");
		revfile_free(&rf);
		free(big);
	}

	ok(revfile_id_is_valid("a.b-c_9", NULL) && !revfile_id_is_valid("BASE", NULL) &&
	   !revfile_id_is_valid("_a", NULL) && !revfile_id_is_valid("", NULL), "%s", "id rules");
	ok(revfile_dependency_is_valid("b:a1", NULL) && revfile_dependency_is_valid("a1", NULL) &&
	   !revfile_dependency_is_valid("b:", NULL) && !revfile_dependency_is_valid("head:a", NULL) &&
	   !revfile_dependency_is_valid("a:b:c", NULL) && !revfile_id_is_valid("b:a1", NULL),
	   "%s", "dependency rules: id or project:id");
}

int
main(void)
{
	size_t		ncases = sizeof(cases) / sizeof(cases[0]);

	for (size_t i = 0; i < ncases; i++)
		run_case(&cases[i]);
	for (size_t i = 0; i < ncases; i++)
		run_oom(&cases[i]);
	test_fields();
	printf("1..%d\n", n_test);
	if (n_fail)
		printf("# %d of %d failed\n", n_fail, n_test);
	return n_fail ? 1 : 0;
}
