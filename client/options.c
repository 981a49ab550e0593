/*-------------------------------------------------------------------------
 *
 * options.c
 *	  The settings of one run of pg_migrate: what the command line said
 *	  (opt, filled by main.c), the program's name and the command's.
 *
 * Data only, in a file of its own, so that every file may read the
 * settings without depending on main.c (which depends on all of them).
 *
 * IDENTIFICATION
 *	  client/options.c
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

Options		opt;
const char *progname = "pg_migrate";
const char *command_name = NULL;
