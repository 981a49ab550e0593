/*
 * libFuzzer harness for the revision-file parser (common/revfile.c).
 *
 * Every input is parsed twice: with malloc/free, then with an allocator
 * that fails at the N-th allocation (N picked from the input), so the
 * out-of-memory paths are fuzzed too.  Checks, beyond the sanitizers:
 * nothing leaks (the counting allocator ends at zero), a valid result has a
 * valid revision id and an upgrade body, every error has a line number
 * within the input and a message, and parsing is deterministic.
 *
 * Build and run: test/fuzz/run.sh [seconds]
 */
#include "revfile.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Counter
{
	long		live;			/* allocations not yet released */
	long		done;			/* allocations made */
	long		fail_at;		/* fail the allocation with this number; 0: never */
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

static void
check(int ok, const char *what)
{
	if (!ok)
	{
		fprintf(stderr, "invariant violated: %s\n", what);
		abort();
	}
}

static void
check_result(const RevFile *rf, bool valid, const uint8_t *data, size_t size)
{
	size_t		lines = 1;

	for (size_t i = 0; i < size; i++)
		if (data[i] == '\n')
			lines++;

	check(valid == (rf->n_errors == 0 && !rf->out_of_memory), "return value");
	for (size_t i = 0; i < rf->n_errors; i++)
	{
		check(rf->errors[i].line >= 1 && rf->errors[i].line <= lines, "error line in range");
		check(rf->errors[i].message != NULL && rf->errors[i].message[0] != '\0', "error message");
		if (i > 0)
			check(rf->errors[i - 1].line <= rf->errors[i].line, "errors sorted by line");
	}
	check(rf->n_errors <= REVFILE_MAX_ERRORS, "error cap");
	if (!valid)
		return;

	check(rf->revision != NULL && revfile_id_is_valid(rf->revision, NULL), "valid revision");
	check(rf->upgrade != NULL, "upgrade body");
	check(rf->upgrade_line >= 1, "upgrade line");
	check((rf->downgrade == NULL) == (rf->downgrade_line == 0), "downgrade line");
	check(rf->downgrade_line == 0 || rf->downgrade_line > rf->upgrade_line, "downgrade after upgrade");
	check(strlen(rf->upgrade) <= size, "upgrade length");
	for (size_t i = 0; i < rf->n_down_revision; i++)
		check(revfile_id_is_valid(rf->down_revision[i], NULL), "valid parent");
	for (size_t i = 0; i < rf->n_branch_labels; i++)
		check(revfile_id_is_valid(rf->branch_labels[i], NULL), "valid label");
	for (size_t i = 0; i < rf->n_depends_on; i++)
		check(revfile_dependency_is_valid(rf->depends_on[i], NULL), "valid dependency");
	check(rf->message == NULL || rf->message[0] != '\0', "message NULL or non-empty");
	check(memchr(data, '\0', size) == NULL, "valid input has no NUL");
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Counter		c1 = {0, 0, 0};
	Counter		c2 = {0, 0, 0};
	RevFileAllocator a1 = {counting_alloc, counting_release, &c1};
	RevFileAllocator a2 = {counting_alloc, counting_release, &c2};
	RevFile		rf;
	RevFile		again;
	bool		valid;
	bool		valid2;
	size_t		h = size;

	valid = revfile_parse(&rf, (const char *) data, size, &a1);
	check_result(&rf, valid, data, size);

	/* deterministic */
	valid2 = revfile_parse(&again, (const char *) data, size, NULL);
	check(valid == valid2, "deterministic validity");
	check(rf.n_errors == again.n_errors, "deterministic errors");
	for (size_t i = 0; i < rf.n_errors; i++)
	{
		check(rf.errors[i].line == again.errors[i].line, "deterministic lines");
		check(strcmp(rf.errors[i].message, again.errors[i].message) == 0, "deterministic messages");
	}
	if (valid)
	{
		check(strcmp(rf.upgrade, again.upgrade) == 0, "deterministic upgrade");
		check((rf.downgrade == NULL) == (again.downgrade == NULL), "deterministic downgrade");
	}
	revfile_free(&again);
	revfile_free(&rf);
	check(c1.live == 0, "no leak (malloc run)");

	/* the same input with an allocation failure somewhere */
	if (c1.done > 0)
	{
		for (size_t i = 0; i < size; i++)
			h = h * 31 + data[i];
		c2.fail_at = (long) (h % (size_t) c1.done) + 1;
		valid = revfile_parse(&rf, (const char *) data, size, &a2);
		check(!valid && rf.out_of_memory, "allocation failure reported");
		for (size_t i = 0; i < rf.n_errors; i++)
			check(rf.errors[i].message != NULL, "partial errors have messages");
		revfile_free(&rf);
		check(c2.live == 0, "no leak (allocation failure)");
	}
	return 0;
}
