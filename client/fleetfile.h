/*-------------------------------------------------------------------------
 *
 * fleetfile.h
 *	  The parser of a fleet file (pg_migrate --db-file FILE), in plain C99
 *	  with no libpq or PostgreSQL header, so that the fuzz harness
 *	  (test/fuzz/fuzz_fleetfile.c) links it as it is.
 *
 * The format: one connection string per line (a libpq conninfo string such
 * as "host=db1 dbname=app", or a URI such as "postgresql://db1/app");
 * lines end with LF or CRLF; blanks around a line are ignored; a blank line
 * and a line whose first non-blank character is '#' are ignored (a '#'
 * elsewhere belongs to the connection string: passwords may hold one).
 *
 * Errors, each with its 1-based line: a NUL byte, another control
 * character than tab, a line longer than FLEETFILE_MAX_LINE bytes, the
 * same connection string twice, more than FLEETFILE_MAX_ENTRIES entries.
 * Whether an entry is a valid connection string is libpq's to say
 * (PQconninfoParse, in fleet.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef FLEETFILE_H
#define FLEETFILE_H

#include <stdbool.h>
#include <stddef.h>

#define FLEETFILE_MAX_LINE		8192
#define FLEETFILE_MAX_ENTRIES	100000
#define FLEETFILE_MAX_ERRORS	50

typedef struct FleetEntry
{
	size_t		line;			/* 1-based */
	char	   *conninfo;		/* trimmed, NUL-terminated, never empty */
} FleetEntry;

typedef struct FleetError
{
	size_t		line;
	char	   *message;
} FleetError;

typedef struct FleetFile
{
	FleetEntry *entries;
	size_t		n_entries;
	FleetError *errors;
	size_t		n_errors;
	bool		errors_truncated;
	bool		out_of_memory;
} FleetFile;

/*
 * Parse len bytes at data.  Returns true when there is no error (and no
 * allocation failed).  Call fleetfile_free whatever it returns.
 */
extern bool fleetfile_parse(FleetFile *ff, const char *data, size_t len);
extern void fleetfile_free(FleetFile *ff);

#endif							/* FLEETFILE_H */
