/*
 * libFuzzer harness for the fleet-file parser (client/fleetfile.c: the
 * file of connection strings read by pg_migrate --db-file).
 *
 * Checks, beyond the sanitizers: the result is valid exactly when there is
 * no error; every error has a message and a line within the input, in
 * order; every entry is a non-empty, trimmed, NUL-free line that is not a
 * comment, at most FLEETFILE_MAX_LINE bytes, with its line within the input
 * and lines increasing; no two entries are equal in a valid result; parsing
 * is deterministic.
 *
 * Build and run: test/fuzz/run_fleetfile.sh [seconds]
 */
#include "fleetfile.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
check(int ok, const char *what)
{
	if (!ok)
	{
		fprintf(stderr, "invariant violated: %s\n", what);
		abort();
	}
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FleetFile	ff;
	FleetFile	again;
	bool		valid;
	size_t		lines = 1;

	for (size_t i = 0; i < size; i++)
		if (data[i] == '\n')
			lines++;

	valid = fleetfile_parse(&ff, (const char *) data, size);
	check(valid == (ff.n_errors == 0 && !ff.out_of_memory), "return value");
	check(ff.n_errors <= FLEETFILE_MAX_ERRORS, "error cap");
	for (size_t i = 0; i < ff.n_errors; i++)
	{
		check(ff.errors[i].line >= 1 && ff.errors[i].line <= lines, "error line in range");
		check(ff.errors[i].message != NULL && ff.errors[i].message[0] != '\0', "error message");
		if (i > 0)
			check(ff.errors[i - 1].line <= ff.errors[i].line, "errors sorted by line");
	}
	for (size_t i = 0; i < ff.n_entries; i++)
	{
		const char *c = ff.entries[i].conninfo;
		size_t		len = strlen(c);

		check(len > 0, "entry not empty");
		check(len <= FLEETFILE_MAX_LINE, "entry length");
		check(c[0] != '#', "entry is not a comment");
		check(c[0] != ' ' && c[0] != '\t' && c[len - 1] != ' ' && c[len - 1] != '\t',
			  "entry trimmed");
		for (size_t k = 0; k < len; k++)
			check((unsigned char) c[k] >= 0x20 || c[k] == '\t', "no control character");
		check(ff.entries[i].line >= 1 && ff.entries[i].line <= lines, "entry line in range");
		if (i > 0)
			check(ff.entries[i - 1].line < ff.entries[i].line, "entry lines increase");
		if (valid)
			for (size_t j = 0; j < i; j++)
				check(strcmp(ff.entries[j].conninfo, c) != 0, "no duplicate in a valid file");
	}

	/* deterministic */
	(void) fleetfile_parse(&again, (const char *) data, size);
	check(again.n_entries == ff.n_entries && again.n_errors == ff.n_errors, "deterministic counts");
	for (size_t i = 0; i < ff.n_entries; i++)
		check(strcmp(again.entries[i].conninfo, ff.entries[i].conninfo) == 0, "deterministic entries");
	for (size_t i = 0; i < ff.n_errors; i++)
		check(again.errors[i].line == ff.errors[i].line &&
			  strcmp(again.errors[i].message, ff.errors[i].message) == 0, "deterministic errors");
	fleetfile_free(&again);
	fleetfile_free(&ff);
	return 0;
}
