\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- Hostile input, table-driven: every SQL function of the extension fed
-- NULLs, empty strings, 10 MB values, ids with quotes, semicolons, unicode
-- and 129+ characters, self parents and cycles, malformed targets and
-- injection attempts.  Each case states its outcome: a SQLSTATE, or 'ok'.
-- Beyond each case's own test: no case raises XX000 (internal error) or
-- any class XX/58 error, and after every error the catalog is unchanged
-- (not one row of migrate.revision, applied, run or run_step was written,
-- not even by the failure recorder, which commits on its own).
--
-- The graph: a1 <- a2 <- a3 <- x-1.y_2 (a1 labelled core), a1 and a2
-- applied.  Bodies are no-ops, so a case that moves the applied state is
-- followed by migrate.stamp('a2'), which restores it exactly.
CREATE EXTENSION migrate;
SET client_min_messages = warning;

SELECT migrate.add('a1', 'SELECT 1', 'SELECT 1', branch_labels => '{core}');
SELECT migrate.add('a2', 'SELECT 2', 'SELECT 2', '{a1}');
SELECT migrate.add('a3', 'SELECT 3', 'SELECT 3', '{a2}');
SELECT migrate.add('x-1.y_2', 'SELECT 4', 'SELECT 4', '{a3}');
SELECT count(*) FROM migrate.upgrade('a2');

CREATE TABLE hostile_case (
    n        serial PRIMARY KEY,
    label    text NOT NULL,
    sql      text NOT NULL,
    expect   text NOT NULL,          -- SQLSTATE or 'ok'
    cleanup  text,                   -- run after the case (and after the checks)
    got      text,
    message  text,
    changed  boolean,                -- the catalog changed although the case failed
    todo     text                    -- a known bug: the test is marked TODO
);

-- the catalog's fingerprint: every row version of the four tables
CREATE FUNCTION catalog_fingerprint() RETURNS text LANGUAGE sql AS $$
    SELECT md5(coalesce(string_agg(v, ',' ORDER BY v), ''))
      FROM (SELECT 'r' || ctid::text || xmin::text AS v FROM migrate.revision
            UNION ALL SELECT 'a' || ctid::text || xmin::text FROM migrate.applied
            UNION ALL SELECT 'u' || ctid::text || xmin::text FROM migrate.run_log
            UNION ALL SELECT 's' || ctid::text || xmin::text FROM migrate.run_step) q
$$;

-- values used in many cases
CREATE TABLE big (name text PRIMARY KEY, v text NOT NULL);
INSERT INTO big VALUES
    ('10MB', repeat('x', 10 * 1024 * 1024)),
    ('10MB of statements', repeat('SELECT 1;', 1165085)),
    ('10MB literal', 'SELECT ''' || repeat('y', 10 * 1024 * 1024) || ''''),
    ('10MB comment', '-- ' || repeat('z', 10 * 1024 * 1024)),
    ('10MB unterminated', 'SELECT ''' || repeat('w', 10 * 1024 * 1024));

--------------------------------------------------------------------------
-- ids: the revision argument of add() and remove(), the elements of
-- down_revision, depends_on and branch_labels, and the header of add_file()
--------------------------------------------------------------------------
CREATE TABLE hostile_id (id text, add_expect text, remove_expect text, label text);
INSERT INTO hostile_id VALUES
    (NULL,                                  '22004', '22004', 'NULL'),
    ('',                                    '42602', '42602', 'empty'),
    (' ',                                   '42602', '42602', 'a space'),
    (repeat('a', 128),                      'ok',    '42704', '128 characters'),
    (repeat('b', 129),                      '42602', '42602', '129 characters'),
    (repeat('c', 100000),                   '42602', '42602', '100,000 characters'),
    ('a''b',                                '42602', '42602', 'a quote'),
    ('a"b',                                 '42602', '42602', 'a double quote'),
    ('a;b',                                 '42602', '42602', 'a semicolon'),
    ('x; DROP TABLE migrate.revision; --',  '42602', '42602', 'SQL injection'),
    ($$'); DELETE FROM migrate.applied; --$$, '42602', '42602', 'quote-breaking injection'),
    ('x'' OR ''1''=''1',                    '42602', '42602', 'tautology injection'),
    ('$1',                                  '42602', '42602', 'a parameter marker'),
    ('%s%s%s%n',                            '42602', '42602', 'printf directives'),
    ('$(id)',                               '42602', '42602', 'shell substitution'),
    ('../../etc/passwd',                    '42602', '42602', 'a path'),
    ('a/b',                                 '42602', '42602', 'a slash'),
    (E'a\\b',                               '42602', '42602', 'a backslash'),
    (E'a\tb',                               '42602', '42602', 'a tab'),
    (E'a\nb',                               '42602', '42602', 'a newline'),
    (E'a\rb',                               '42602', '42602', 'a carriage return'),
    ('é',                                   '42602', '42602', 'a non-ASCII letter'),
    ('а1',                                  '42602', '42602', 'a Cyrillic a (homoglyph)'),
    (E'a\u200Bb',                           '42602', '42602', 'a zero-width space'),
    (E'a\u202Eb',                           '42602', '42602', 'a right-to-left override'),
    ('🙂',                                  '42602', '42602', 'an emoji'),
    ('ａ1',                                 '42602', '42602', 'a full-width letter'),
    (repeat('é', 129),                      '42602', '42602', '129 two-byte characters'),
    ('head',                                '42939', '42939', 'head'),
    ('HEADS',                               '42939', '42939', 'HEADS'),
    ('Base',                                '42939', '42939', 'Base'),
    ('-1',                                  '42602', '42602', '-1'),
    ('+1',                                  '42602', '42602', '+1'),
    ('@',                                   '42602', '42602', '@'),
    ('a@b',                                 '42602', '42602', 'a@b'),
    ('core@head',                           '42602', '42602', 'core@head'),
    ('.hidden',                             '42602', '42602', 'a leading dot'),
    ('_x',                                  '42602', '42602', 'a leading underscore'),
    ('1',                                   'ok',    '42704', 'a digit'),
    ('null',                                'ok',    '42704', 'the word null'),
    ('a..b--c__d',                          'ok',    '42704', 'repeated punctuation');

INSERT INTO hostile_case (label, sql, expect, cleanup)
SELECT format('add(revision => %s)', label),
       format('SELECT migrate.add(%L, ''SELECT 1'')', id), add_expect,
       CASE WHEN add_expect = 'ok' THEN format('SELECT migrate.remove(%L)', id) END
  FROM hostile_id
UNION ALL
SELECT format('remove(%s)', label), format('SELECT migrate.remove(%L)', id), remove_expect, NULL
  FROM hostile_id
UNION ALL
SELECT format('add(down_revision => {%s})', label),
       format('SELECT migrate.add(''h1'', ''SELECT 1'', down_revision => ARRAY[%L])', id),
       add_expect, CASE WHEN add_expect = 'ok' THEN 'SELECT migrate.remove(''h1'')' END
  FROM hostile_id WHERE id IS NULL OR length(id) < 1000
UNION ALL
SELECT format('add(depends_on => {%s})', label),
       format('SELECT migrate.add(''h1'', ''SELECT 1'', depends_on => ARRAY[%L])', id),
       add_expect, CASE WHEN add_expect = 'ok' THEN 'SELECT migrate.remove(''h1'')' END
  FROM hostile_id WHERE id IS NULL OR length(id) < 1000
UNION ALL
SELECT format('add(branch_labels => {%s})', label),
       format('SELECT migrate.add(''h1'', ''SELECT 1'', branch_labels => ARRAY[%L])', id),
       add_expect, CASE WHEN add_expect = 'ok' THEN 'SELECT migrate.remove(''h1'')' END
  FROM hostile_id WHERE id IS NULL OR length(id) < 1000
UNION ALL
-- the same ids in a revision file's header: any malformed file is 22P02
SELECT format('add_file(-- migrate:revision %s)', label),
       format('SELECT migrate.add_file(%L)',
              '-- migrate:revision ' || id || E'\n-- migrate:upgrade\nSELECT 1\n'),
       CASE WHEN add_expect = 'ok' THEN 'ok' ELSE '22P02' END,
       CASE WHEN add_expect = 'ok' THEN format('SELECT migrate.remove(%L)', id) END
  FROM hostile_id WHERE id IS NOT NULL AND id !~ '[\n\r]' AND length(id) < 1000;

--------------------------------------------------------------------------
-- targets: resolve, plan (up and down), upgrade, downgrade, stamp, sql
--------------------------------------------------------------------------
CREATE TABLE hostile_target (target text, resolve text, plan_down text, upgrade text,
                             downgrade text, stamp text);
INSERT INTO hostile_target VALUES
    -- target                        resolve  plan_down upgrade  downgrade stamp
    (NULL,                           '22004', '22004', '22004', '22004', '22004'),
    ('',                             '22023', '22023', '22023', '22023', '22023'),
    (' ',                            '22023', '22023', '22023', '22023', '22023'),
    ('+',                            '22023', '22023', '22023', '22023', '22023'),
    ('-',                            '22023', '22023', '22023', '22023', '22023'),
    ('+-1',                          '22023', '22023', '22023', '22023', '22023'),
    ('-+1',                          '22023', '22023', '22023', '22023', '22023'),
    ('--1',                          '22023', '22023', '22023', '22023', '22023'),
    ('-0',                           '22023', '22023', '22023', '22023', '22023'),
    ('+0',                           '22023', '22023', '22023', '22023', '22023'),
    ('+00',                          '22023', '22023', '22023', '22023', '22023'),
    ('+1.5',                         '22023', '22023', '22023', '22023', '22023'),
    ('+1e3',                         '22023', '22023', '22023', '22023', '22023'),
    ('+ 1',                          '22023', '22023', '22023', '22023', '22023'),
    ('+99999999999999999999',        '22003', '22003', '22003', '22003', '22003'),
    ('-99999999999999999999',        '22003', '22003', '22003', '22003', '22003'),
    ('+2147483648',                  '22003', '22003', '22003', '22003', '22003'),
    ('+2147483647',                  '22023', '22023', '22023', '22023', '22023'),
    ('-2147483647',                  '22023', '22023', '22023', '22023', '22023'),
    ('+1',                           'ok',    '22023', 'ok',    '22023', 'ok'),
    ('+3',                           '22023', '22023', '22023', '22023', '22023'),
    ('-1',                           '22023', 'ok',    '22023', 'ok',    'ok'),
    ('-3',                           '22023', '22023', '22023', '22023', '22023'),
    ('@',                            '22023', '22023', '22023', '22023', '22023'),
    ('@head',                        '22023', '22023', '22023', '22023', '22023'),
    ('head@',                        '22023', '22023', '22023', '22023', '22023'),
    ('core@',                        '22023', '22023', '22023', '22023', '22023'),
    ('a@b@c',                        '22023', '22023', '22023', '22023', '22023'),
    ('core@head@head',               '22023', '22023', '22023', '22023', '22023'),
    ('core@head',                    'ok',    '55000', 'ok',    '55000', 'ok'),
    ('core@base',                    '22023', 'ok',    '22023', 'ok',    'ok'),
    ('core@+1',                      'ok',    '22023', 'ok',    '22023', 'ok'),
    ('core@-1',                      '22023', 'ok',    '22023', 'ok',    'ok'),
    ('core@+0',                      '22023', '22023', '22023', '22023', '22023'),
    ('core@-0',                      '22023', '22023', '22023', '22023', '22023'),
    ('core@+99999999999999999999',   '22003', '22003', '22003', '22003', '22003'),
    ('core@sideways',                '42704', '42704', '42704', '42704', '42704'),
    ('core@side ways',               '22023', '22023', '22023', '22023', '22023'),
    ('nolabel@head',                 '42704', '42704', '42704', '42704', '42704'),
    ('x;y@head',                     '22023', '22023', '22023', '22023', '22023'),
    ('head',                         'ok',    '55000', 'ok',    '55000', 'ok'),
    ('heads',                        'ok',    '55000', 'ok',    '55000', 'ok'),
    ('base',                         'ok',    'ok',    'ok',    'ok',    'ok'),
    ('HEAD',                         '42704', '42704', '42704', '42704', '42704'),
    ('a',                            '42P09', '42P09', '42P09', '42P09', '42P09'),
    ('a1',                           'ok',    'ok',    'ok',    'ok',    'ok'),
    ('a9',                           '42704', '42704', '42704', '42704', '42704'),
    ('x',                            'ok',    '55000', 'ok',    '55000', 'ok'),
    ('x-1',                          'ok',    '55000', 'ok',    '55000', 'ok'),
    ('x-1.y_2',                      'ok',    '55000', 'ok',    '55000', 'ok'),
    ('a1+1',                         'ok',    'ok',    'ok',    'ok',    'ok'),
    ('a1+0',                         '22023', '22023', '22023', '22023', '22023'),
    ('a1-1',                         '22023', '22023', '22023', '22023', '22023'),
    ('a1+-1',                        '22023', '22023', '22023', '22023', '22023'),
    ('a1++1',                        '22023', '22023', '22023', '22023', '22023'),
    ('a1+1x',                        '22023', '22023', '22023', '22023', '22023'),
    ('a1+99999999999999999999',      '22003', '22003', '22003', '22003', '22003'),
    ('a2-2147483647',                '22023', '22023', '22023', '22023', '22023'),
    ($$'; DROP TABLE migrate.revision; --$$, '22023', '22023', '22023', '22023', '22023'),
    ('a1; DELETE FROM migrate.applied', '22023', '22023', '22023', '22023', '22023'),
    ($$a1' OR '1'='1$$,              '22023', '22023', '22023', '22023', '22023'),
    ('%s%s%n',                       '22023', '22023', '22023', '22023', '22023'),
    (E'a1\n',                        '22023', '22023', '22023', '22023', '22023'),
    (' a1',                          '22023', '22023', '22023', '22023', '22023'),
    ('é',                            '22023', '22023', '22023', '22023', '22023'),
    ('🙂@head',                      '22023', '22023', '22023', '22023', '22023'),
    (repeat('a', 129),               '22023', '22023', '22023', '22023', '22023'),
    (repeat('a', 300),               '22023', '22023', '22023', '22023', '22023'),
    (repeat('+', 300),               '22023', '22023', '22023', '22023', '22023'),
    (repeat('a', 128) || '@head',    '42704', '42704', '42704', '42704', '42704');

INSERT INTO hostile_case (label, sql, expect, cleanup)
SELECT format('resolve(%s)', replace(quote_nullable(target), E'\n', '\n')),
       format('SELECT count(*) FROM migrate.resolve(%L)', target), resolve, NULL FROM hostile_target
UNION ALL
SELECT format('plan(%s)', replace(quote_nullable(target), E'\n', '\n')),
       format('SELECT count(*) FROM migrate.plan(%L)', target), resolve, NULL FROM hostile_target
UNION ALL
SELECT format('plan(%s, down)', replace(quote_nullable(target), E'\n', '\n')),
       format('SELECT count(*) FROM migrate.plan(%L, ''down'')', target), plan_down, NULL FROM hostile_target
UNION ALL
SELECT format('sql(%s)', replace(quote_nullable(target), E'\n', '\n')),
       format('SELECT length(migrate.sql(%L))', target), resolve, NULL FROM hostile_target
UNION ALL
SELECT format('upgrade(%s)', replace(quote_nullable(target), E'\n', '\n')),
       format('SELECT count(*) FROM migrate.upgrade(%L)', target), upgrade,
       'SELECT count(*) FROM migrate.stamp(''a2'')' FROM hostile_target
UNION ALL
SELECT format('downgrade(%s)', replace(quote_nullable(target), E'\n', '\n')),
       format('SELECT count(*) FROM migrate.downgrade(%L)', target), downgrade,
       'SELECT count(*) FROM migrate.stamp(''a2'')' FROM hostile_target
UNION ALL
SELECT format('stamp(%s)', replace(quote_nullable(target), E'\n', '\n')),
       format('SELECT count(*) FROM migrate.stamp(%L)', target), stamp,
       'SELECT count(*) FROM migrate.stamp(''a2'')' FROM hostile_target;

--------------------------------------------------------------------------
-- the other arguments, one by one
--------------------------------------------------------------------------
INSERT INTO hostile_case (label, sql, expect, cleanup) VALUES
    -- directions
    ('plan(head, NULL)',            $$SELECT count(*) FROM migrate.plan('head', NULL)$$, '22004', NULL),
    ('plan(head, sideways)',        $$SELECT count(*) FROM migrate.plan('head', 'sideways')$$, '22023', NULL),
    ('plan(head, '''')',            $$SELECT count(*) FROM migrate.plan('head', '')$$, '22023', NULL),
    ('plan(head, UP)',              $$SELECT count(*) FROM migrate.plan('head', 'UP')$$, 'ok', NULL),
    ('plan(head, up; DROP ...)',    $$SELECT count(*) FROM migrate.plan('head', 'up; DROP TABLE migrate.applied')$$, '22023', NULL),
    ('sql(head, NULL)',             $$SELECT migrate.sql('head', NULL)$$, '22004', NULL),
    ('sql(base, down)',             $$SELECT length(migrate.sql('base', 'down'))$$, 'ok', NULL),
    ('run() inside a transaction',  $$CALL migrate.run('head')$$, '25001', NULL),
    ('run(NULL) inside a transaction', $$CALL migrate.run(NULL)$$, '25001', NULL),
    -- add(): bodies
    ('add(upgrade => NULL)',        $$SELECT migrate.add('h1', NULL)$$, '22004', NULL),
    ('add(upgrade => empty)',       $$SELECT migrate.add('h1', '')$$, 'ok', $$SELECT migrate.remove('h1')$$),
    ('add(upgrade => blanks)',      $$SELECT migrate.add('h1', E' \n\t\r\n ')$$, 'ok', $$SELECT migrate.remove('h1')$$),
    ('add(upgrade => 10 MB of x)',  $$SELECT migrate.add('h1', (SELECT v FROM big WHERE name = '10MB'))$$, 'ok', $$SELECT migrate.remove('h1')$$),
    ('add(upgrade => 10 MB of statements)', $$SELECT migrate.add('h1', (SELECT v FROM big WHERE name = '10MB of statements'))$$, 'ok', $$SELECT migrate.remove('h1')$$),
    ('add(upgrade => a 10 MB literal)', $$SELECT migrate.add('h1', (SELECT v FROM big WHERE name = '10MB literal'))$$, 'ok', $$SELECT migrate.remove('h1')$$),
    ('add(upgrade => a 10 MB comment)', $$SELECT migrate.add('h1', (SELECT v FROM big WHERE name = '10MB comment'))$$, 'ok', $$SELECT migrate.remove('h1')$$),
    ('add(upgrade => 10 MB unterminated)', $$SELECT migrate.add('h1', (SELECT v FROM big WHERE name = '10MB unterminated'))$$, 'ok', $$SELECT migrate.remove('h1')$$),
    ('add(downgrade => 10 MB)',     $$SELECT migrate.add('h1', 'SELECT 1', (SELECT v FROM big WHERE name = '10MB'))$$, 'ok', $$SELECT migrate.remove('h1')$$),
    ('add(message => 10 MB)',       $$SELECT migrate.add('h1', 'SELECT 1', message => (SELECT v FROM big WHERE name = '10MB'))$$, 'ok', $$SELECT migrate.remove('h1')$$),
    ('add(source => 10 MB)',        $$SELECT migrate.add('h1', 'SELECT 1', source => (SELECT v FROM big WHERE name = '10MB'))$$, 'ok', $$SELECT migrate.remove('h1')$$),
    ('add(message => injection)',   $$SELECT migrate.add('h1', 'SELECT 1', message => $m$'); DROP TABLE migrate.run; --$m$)$$, 'ok', $$SELECT migrate.remove('h1')$$),
    ('add(source => ../../etc/passwd)', $$SELECT migrate.add('h1', 'SELECT 1', source => '../../etc/passwd')$$, 'ok', $$SELECT migrate.remove('h1')$$),
    ('add(upgrade => COMMIT)',      $$SELECT migrate.add('h1', 'COMMIT')$$, 'ok', $$SELECT migrate.remove('h1')$$),
    ('add(upgrade => unparsable)',  $$SELECT migrate.add('h1', 'SELEC 1')$$, 'ok', $$SELECT migrate.remove('h1')$$),
    ('add(transactional => NULL)',  $$SELECT migrate.add('h1', 'SELECT 1', transactional => NULL)$$, '22004', NULL),
    -- add(): lists
    ('add(down_revision => {})',    $$SELECT migrate.add('h1', 'SELECT 1', down_revision => '{}')$$, 'ok', $$SELECT migrate.remove('h1')$$),
    ('add(down_revision => {h1}) (self parent)', $$SELECT migrate.add('h1', 'SELECT 1', down_revision => '{h1}')$$, '22023', NULL),
    ('add(depends_on => {h1}) (self dependency)', $$SELECT migrate.add('h1', 'SELECT 1', depends_on => '{h1}')$$, '22023', NULL),
    ('add(down_revision => {a1,a1})', $$SELECT migrate.add('h1', 'SELECT 1', down_revision => '{a1,a1}')$$, '22023', NULL),
    ('add(down_revision => 2-D)',   $$SELECT migrate.add('h1', 'SELECT 1', down_revision => '{{a1},{a2}}')$$, '2202E', NULL),
    ('add(down_revision => 1,000 parents)',
        $$SELECT migrate.add('h1', 'SELECT 1', down_revision => (SELECT array_agg('p' || i) FROM generate_series(1, 1000) i))$$,
        'ok', $$SELECT migrate.remove('h1')$$),
    ('add(branch_labels => {core}) (a duplicate label)', $$SELECT migrate.add('h1', 'SELECT 1', branch_labels => '{core}')$$, 'ok', $$SELECT migrate.remove('h1')$$),
    -- changing what is applied
    ('add(a1 with a changed body)', $$SELECT migrate.add('a1', 'DROP TABLE migrate.revision')$$, '55000', NULL),
    ('add(a1 with a changed parent)', $$SELECT migrate.add('a1', 'SELECT 1', 'SELECT 1', '{a3}', branch_labels => '{core}')$$, '55000', NULL),
    ('remove(a1) (applied)',        $$SELECT migrate.remove('a1')$$, '55000', NULL),
    -- add_file(): contents
    ('add_file(NULL)',              $$SELECT migrate.add_file(NULL)$$, '22004', NULL),
    ('add_file(empty)',             $$SELECT migrate.add_file('')$$, '22P02', NULL),
    ('add_file(10 MB of x)',        $$SELECT migrate.add_file((SELECT v FROM big WHERE name = '10MB'))$$, '22P02', NULL),
    ('add_file(a 10 MB body)',      $$SELECT migrate.add_file(E'-- migrate:revision h1\n-- migrate:upgrade\n' || (SELECT v FROM big WHERE name = '10MB literal'))$$, 'ok', $$SELECT migrate.remove('h1')$$),
    ('add_file(no upgrade section)', $$SELECT migrate.add_file(E'-- migrate:revision h1\n')$$, '22P02', NULL),
    ('add_file(two revision lines)', $$SELECT migrate.add_file(E'-- migrate:revision h1\n-- migrate:revision h2\n-- migrate:upgrade\nSELECT 1')$$, '22P02', NULL),
    ('add_file(self parent)',       $$SELECT migrate.add_file(E'-- migrate:revision h1\n-- migrate:down_revision h1\n-- migrate:upgrade\nSELECT 1')$$, '22023', NULL),
    ('add_file(unknown directive)', $$SELECT migrate.add_file(E'-- migrate:revision h1\n-- migrate:sudo yes\n-- migrate:upgrade\nSELECT 1')$$, '22P02', NULL),
    ('add_file(transactional maybe)', $$SELECT migrate.add_file(E'-- migrate:revision h1\n-- migrate:transactional maybe\n-- migrate:upgrade\nSELECT 1')$$, '22P02', NULL),
    ('add_file(header injection in the message)', $$SELECT migrate.add_file(E'-- migrate:revision h1\n-- migrate:message x''); DROP TABLE migrate.revision; --\n-- migrate:upgrade\nSELECT 1')$$, 'ok', $$SELECT migrate.remove('h1')$$),
    ('add_file(CR line endings only)', $$SELECT migrate.add_file(E'-- migrate:revision h1\r-- migrate:upgrade\rSELECT 1')$$, '22P02', NULL),
    ('add_file(a changed applied revision)', $$SELECT migrate.add_file(E'-- migrate:revision a1\n-- migrate:upgrade\nSELECT 99')$$, '55000', NULL),
    ('add_file(source => injection)', $$SELECT migrate.add_file(E'-- migrate:revision h1\n-- migrate:upgrade\nSELECT 1', $s$'; DROP TABLE migrate.run; --$s$)$$, 'ok', $$SELECT migrate.remove('h1')$$),
    -- the existence helpers: names parse as SQL names, never run as SQL
    ('table_exists(NULL)',          $$SELECT migrate.table_exists(NULL)$$, 'ok', NULL),
    ('table_exists(empty)',         $$SELECT migrate.table_exists('')$$, '42602', NULL),
    ('table_exists(injection)',     $$SELECT migrate.table_exists('x; DROP TABLE migrate.revision')$$, '42602', NULL),
    ('table_exists(quote injection)', $$SELECT migrate.table_exists($n$x' OR '1'='1$n$)$$, '42602', NULL),
    ('table_exists(unterminated quote)', $$SELECT migrate.table_exists('"abc')$$, '42602', NULL),
    ('table_exists(a.b.c.d)',       $$SELECT migrate.table_exists('a.b.c.d')$$, '42602', NULL),
    ('table_exists(10 MB)',         $$SELECT migrate.table_exists((SELECT v FROM big WHERE name = '10MB'))$$, 'ok', NULL),
    ('table_exists(migrate.revision)', $$SELECT migrate.table_exists('migrate.revision')$$, 'ok', NULL),
    ('index_exists(unicode)',       $$SELECT migrate.index_exists('"🙂"')$$, 'ok', NULL),
    ('view_exists(a..b)',           $$SELECT migrate.view_exists('a..b')$$, '42602', NULL),
    ('sequence_exists(".")',        $$SELECT migrate.sequence_exists('.')$$, '42602', NULL),
    ('type_exists(injection)',      $$SELECT migrate.type_exists('int; DROP TABLE migrate.applied')$$, '42601', NULL),
    ('type_exists(10 MB)',          $$SELECT migrate.type_exists((SELECT v FROM big WHERE name = '10MB'))$$, 'ok', NULL),
    ('schema_exists(pg_temp)',      $$SELECT migrate.schema_exists('pg_temp')$$, 'ok', NULL),
    ('extension_exists(injection)', $$SELECT migrate.extension_exists($e$x'); DROP EXTENSION migrate; --$e$)$$, '42602', NULL),
    ('function_exists(unbalanced)', $$SELECT migrate.function_exists('now(')$$, '42602', NULL),
    ('function_exists(injection)',  $$SELECT migrate.function_exists('now(); DROP TABLE migrate.run; --')$$, '42602', NULL),
    ('column_exists(NULL, x)',      $$SELECT migrate.column_exists(NULL, 'x')$$, 'ok', NULL),
    ('column_exists(x, injection)', $$SELECT migrate.column_exists('migrate.revision', 'id; DROP TABLE x')$$, '42602', NULL),
    ('constraint_exists(x, 10 MB)', $$SELECT migrate.constraint_exists('migrate.revision', (SELECT v FROM big WHERE name = '10MB'))$$, 'ok', NULL),
    ('trigger_exists(empty, empty)', $$SELECT migrate.trigger_exists('', '')$$, '42602', NULL),
    -- ensure(): one supported statement or nothing
    ('ensure(NULL)',                $$SELECT migrate.ensure(NULL)$$, 'ok', NULL),
    ('ensure(empty)',               $$SELECT migrate.ensure('')$$, '0A000', NULL),
    ('ensure(DROP TABLE migrate.revision)', $$SELECT migrate.ensure('DROP TABLE migrate.revision')$$, '0A000', NULL),
    ('ensure(CREATE TABLE; DROP TABLE)', $$SELECT migrate.ensure('CREATE TABLE h1 (id int); DROP TABLE migrate.run')$$, '0A000', NULL),
    ('ensure(unparsable)',          $$SELECT migrate.ensure('CREATE TABL h1 (id int)')$$, '42601', NULL),
    ('ensure(COMMIT)',              $$SELECT migrate.ensure('COMMIT')$$, '0A000', NULL),
    ('ensure(10 MB)',               $$SELECT migrate.ensure((SELECT v FROM big WHERE name = '10MB'))$$, '42601', NULL),
    ('ensure(CREATE TABLE migrate.revision, another definition)', $$SELECT migrate.ensure('CREATE TABLE migrate.revision (id int)')$$, '42P07', NULL),
    -- verify(): names in arrays
    ('verify(tables => {NULL})',    $$SELECT count(*) FROM migrate.verify(tables => ARRAY[NULL])$$, 'ok', NULL),
    ('verify(tables => {injection})', $$SELECT count(*) FROM migrate.verify(tables => ARRAY['x; DROP TABLE migrate.revision'])$$, '42602', NULL),
    ('verify(extensions => {quote})', $$SELECT count(*) FROM migrate.verify(extensions => ARRAY[$e$x'y$e$])$$, 'ok', NULL),
    ('verify(indexes => 2-D)',      $$SELECT count(*) FROM migrate.verify(indexes => '{{a},{b}}')$$, 'ok', NULL);

--------------------------------------------------------------------------
-- hostile graphs: a cycle, a missing parent; the read functions stay
-- answerable and the changing ones refuse
--------------------------------------------------------------------------
INSERT INTO hostile_case (label, sql, expect, cleanup) VALUES
    ('cycle: add cy1 -> cy2',       $$SELECT migrate.add('cy1', 'SELECT 1', 'SELECT 1', '{cy2}')$$, 'ok', NULL),
    ('cycle: add cy2 -> cy1',       $$SELECT migrate.add('cy2', 'SELECT 1', 'SELECT 1', '{cy1}')$$, 'ok', NULL),
    ('cycle: validate()',           $$SELECT count(*) FROM migrate.validate()$$, 'ok', NULL),
    ('cycle: check()',              $$SELECT migrate.check()$$, '42P17', NULL),
    ('cycle: status()',             $$SELECT errors FROM migrate.status()$$, 'ok', NULL),
    ('cycle: history()',            $$SELECT count(*) FROM migrate.history()$$, 'ok', NULL),
    ('cycle: current()',            $$SELECT count(*) FROM migrate.current()$$, 'ok', NULL),
    ('cycle: heads()',              $$SELECT count(*) FROM migrate.heads()$$, 'ok', NULL),
    ('cycle: bases()',              $$SELECT count(*) FROM migrate.bases()$$, 'ok', NULL),
    ('cycle: plan(cy1)',            $$SELECT count(*) FROM migrate.plan('cy1')$$, '42P17', NULL),
    ('cycle: upgrade(cy1)',         $$SELECT count(*) FROM migrate.upgrade('cy1')$$, '42P17', NULL),
    ('cycle: resolve(cy1+2147483647)', $$SELECT count(*) FROM migrate.resolve('cy1+2147483647')$$, '42P17', NULL),
    ('cycle: resolve(cy1-2147483647)', $$SELECT count(*) FROM migrate.resolve('cy1-2147483647')$$, '42P17', NULL),
    ('cycle: stamp(cy1)',           $$SELECT count(*) FROM migrate.stamp('cy1')$$, '42P17',
        $$SELECT count(*) FROM migrate.stamp('base'); SELECT count(*) FROM migrate.stamp('a2')$$),
    ('cycle: sql(cy1)',             $$SELECT migrate.sql('cy1')$$, '42P17', NULL),
    ('cycle: remove cy1',           $$SELECT migrate.remove('cy1')$$, 'ok', NULL),
    ('cycle: remove cy2',           $$SELECT migrate.remove('cy2')$$, 'ok', NULL),
    ('missing parent: add m1 -> nowhere', $$SELECT migrate.add('m1', 'SELECT 1', NULL, '{nowhere}')$$, 'ok', NULL),
    ('missing parent: upgrade(m1)', $$SELECT count(*) FROM migrate.upgrade('m1')$$, '42704', NULL),
    ('missing parent: stamp(m1)',   $$SELECT count(*) FROM migrate.stamp('m1')$$, '42704', NULL),
    ('missing parent: check()',     $$SELECT migrate.check()$$, '42P17', NULL),
    ('missing parent: remove m1',   $$SELECT migrate.remove('m1')$$, 'ok', NULL),
    ('clean again: check()',        $$SELECT migrate.check()$$, 'ok', NULL);
-- (stamp() of a cycle used to record its revisions as applied; fixed)

--------------------------------------------------------------------------
-- run every case
--------------------------------------------------------------------------
CREATE FUNCTION run_cases() RETURNS void LANGUAGE plpgsql AS $f$
DECLARE
    c hostile_case;
    before text;
    state text;
    msg text;
BEGIN
    FOR c IN SELECT * FROM hostile_case ORDER BY n LOOP
        before := catalog_fingerprint();
        BEGIN
            EXECUTE c.sql;
            state := 'ok';
            msg := NULL;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        END;
        UPDATE hostile_case
           SET got = state, message = left(msg, 300),
               changed = state <> 'ok' AND catalog_fingerprint() IS DISTINCT FROM before
         WHERE n = c.n;
        IF c.cleanup IS NOT NULL AND state = 'ok' THEN
            EXECUTE c.cleanup;
        END IF;
    END LOOP;
END $f$;
SELECT run_cases();
DELETE FROM big;

SELECT plan((SELECT count(*)::int FROM hostile_case) + 6);
CREATE FUNCTION case_tests() RETURNS SETOF text LANGUAGE plpgsql AS $f$
DECLARE
    c hostile_case;
BEGIN
    FOR c IN SELECT * FROM hostile_case ORDER BY n LOOP
        IF c.todo IS NOT NULL THEN
            PERFORM todo(c.todo, 1);
        END IF;
        RETURN NEXT is(c.got, c.expect,
                       format('%s: %s', c.label, CASE WHEN c.expect = 'ok' THEN 'accepted' ELSE c.expect END)
                       || CASE WHEN c.got IS DISTINCT FROM c.expect
                               THEN ' (got: ' || coalesce(c.message, c.got) || ')' ELSE '' END);
    END LOOP;
END $f$;
SELECT * FROM case_tests();
SELECT cmp_ok((SELECT count(*)::int FROM hostile_case), '>=', 200, 'at least 200 hostile inputs');
SELECT is_empty($$SELECT label || ': ' || got FROM hostile_case WHERE got ~ '^(XX|58)'$$,
                'no input raises an internal error (XX000) or a system error');
SELECT is_empty($$SELECT label FROM hostile_case WHERE changed$$,
                'after every error the catalog is unchanged (not even a failed-run record)');
SELECT is((SELECT string_agg(revision, ',' ORDER BY revision) FROM migrate.applied), 'a1,a2',
          'the applied state is what it was');
SELECT is((SELECT string_agg(id, ',' ORDER BY id) FROM migrate.revision), 'a1,a2,a3,x-1.y_2',
          'the registered revisions are what they were');
SELECT is((SELECT count(*)::int FROM migrate.validate() WHERE severity = 'error'), 0, 'and validate() finds no error');
SELECT * FROM finish();
