/*
 * migrate 0.1 -> 0.2: ALTER EXTENSION migrate UPDATE TO '0.2'.
 *
 * Built from the parts in sql/update/0.1--0.2/ in name order, one per change,
 * as the install script is built from those in sql/ext/.  Each part changes a
 * 0.1 catalog into what the matching part of sql/ext/ creates, keeping
 * every revision, applied row, run and step.
 */

\echo Use "ALTER EXTENSION migrate UPDATE TO '0.2'" to load this file. \quit
