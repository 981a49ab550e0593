-- In-server fuzzer for the parts of migrate that live in PostgreSQL-
-- dependent C (target.c's grammar, ids.c's id rule as add() applies it,
-- revfile_sql.c, the existence helpers' name parser): random strings, built
-- from the grammar's own tokens and from mutations of valid targets, fed to
-- every function that takes a target, an id or a name.
--
-- For every call: an error must carry an expected SQLSTATE (never XX000,
-- never class XX or 58), and leave the catalog as it was (no row version of
-- migrate.revision / applied / run / run_step changed, not even by the
-- failure recorder, which commits on its own); a success that changed the
-- applied state must leave a consistent one (validate() finds no error) and
-- is undone with stamp().  A crash of the backend ends the session, which
-- the driver (sql_fuzz.sh) reports.
--
-- Used by test/fuzz/sql_fuzz.sh; needs the extension installed in the
-- current database.
SET client_min_messages = warning;

CREATE TABLE fuzz_result (n bigint, fn text, input text, sqlstate text, message text, bad text);
CREATE TABLE fuzz_stats (fn text, sqlstate text, calls bigint, PRIMARY KEY (fn, sqlstate));

-- a1 <- a2 <- a3 <- x-1.y_2 (a1 labelled core); a2 <- b1 (feat); m1 merges
-- x-1.y_2 and b1 and depends on a1; irr (irreversible) follows m1.  a1..a3
-- applied.  fuzz_reset() restores exactly this after a call that changed it.
CREATE FUNCTION fuzz_reset() RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
    PERFORM migrate.stamp('base');
    PERFORM migrate.remove(id) FROM migrate.revision
      WHERE id NOT IN ('a1', 'a2', 'a3', 'x-1.y_2', 'b1', 'm1', 'irr');
    PERFORM migrate.add('a1', 'SELECT 1', 'SELECT 1', branch_labels => '{core}');
    PERFORM migrate.add('a2', 'SELECT 2', 'SELECT 2', '{a1}');
    PERFORM migrate.add('a3', 'SELECT 3', 'SELECT 3', '{a2}');
    PERFORM migrate.add('x-1.y_2', 'SELECT 4', 'SELECT 4', '{a3}');
    PERFORM migrate.add('b1', 'SELECT 5', 'SELECT 5', '{a2}', branch_labels => '{feat}');
    PERFORM migrate.add('m1', 'SELECT 6', 'SELECT 6', '{x-1.y_2,b1}', depends_on => '{a1}');
    PERFORM migrate.add('irr', 'SELECT 7', NULL, '{m1}');
    PERFORM migrate.stamp('a3');
    -- the run history would grow with every reset, and the fingerprint
    -- with it: keep it empty (migrate.applied.run_id is set to NULL)
    DELETE FROM migrate.run;
END $f$;
SELECT fuzz_reset();

CREATE FUNCTION fuzz_fingerprint() RETURNS text LANGUAGE sql AS $$
    SELECT md5(coalesce(string_agg(v, ',' ORDER BY v), ''))
      FROM (SELECT 'r' || ctid::text || xmin::text AS v FROM migrate.revision
            UNION ALL SELECT 'a' || ctid::text || xmin::text FROM migrate.applied
            UNION ALL SELECT 'u' || ctid::text || xmin::text FROM migrate.run_log
            UNION ALL SELECT 's' || ctid::text || xmin::text FROM migrate.run_step) q
$$;

CREATE FUNCTION fuzz_pick(a text[]) RETURNS text LANGUAGE sql AS
    $$ SELECT a[1 + floor(random() * array_length(a, 1))::int] $$;

-- one random input
CREATE FUNCTION fuzz_input() RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
    tokens text[] := ARRAY['head', 'heads', 'base', 'a1', 'a2', 'a3', 'b1', 'm1', 'irr', 'x-1.y_2', 'x', 'a',
                           'core', 'feat', 'nolabel', '@', '@', '+', '-', '+', '-', '1', '2', '3', '0', '00',
                           '2147483647', '2147483648', '99999999999999999999', '', ' ', ';', '''', '"', '.',
                           '_', '-', '..', 'é', '🙂', E'\n', E'\t', '%s', '%n', '$$', E'\\', 'HEAD', 'Base',
                           'DROP TABLE migrate.revision', '--', '/*', '*/', 'NULL', repeat('z', 120),
                           repeat('q', 130), E'\u200B', 'а'];
    valid text[] := ARRAY['head', 'heads', 'base', 'a1', 'a2+1', 'a3-1', '+1', '-1', 'core@head', 'core@base',
                          'core@+1', 'core@-1', 'feat@head', 'feat@base', 'feat@+1', 'feat@-2', 'x-1.y_2', 'x',
                          'm1', 'irr', 'b1-1', 'a1+3', '-2', '+2', 'x-1', 'x-1.y_2-1', 'm', 'ir'];
    s text := '';
    n int;
    p int;
BEGIN
    IF random() < 0.5 THEN
        -- a valid target, mutated 0..3 times
        s := fuzz_pick(valid);
        FOR i IN 1 .. floor(random() * 4)::int LOOP
            p := 1 + floor(random() * (length(s) + 1))::int;
            CASE floor(random() * 4)::int
                WHEN 0 THEN s := left(s, p - 1) || substr(s, p + 1);                       -- delete
                WHEN 1 THEN s := left(s, p - 1) || fuzz_pick(tokens) || substr(s, p);      -- insert a token
                WHEN 2 THEN s := left(s, p - 1) || chr(32 + floor(random() * 95)::int) || substr(s, p + 1);  -- replace
                ELSE s := s || s;                                                          -- double
            END CASE;
        END LOOP;
    ELSE
        n := 1 + floor(random() * 5)::int;
        FOR i IN 1 .. n LOOP
            s := s || fuzz_pick(tokens);
        END LOOP;
    END IF;
    IF random() < 0.02 THEN
        s := repeat(s, 1000);
    END IF;
    RETURN s;
END $f$;

-- SQLSTATEs that are a clear, expected answer to bad input
CREATE FUNCTION fuzz_expected(state text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT state = ANY (ARRAY[
        '22004',  -- NULL
        '22023',  -- malformed / meaningless
        '22003',  -- a step out of range
        '42704',  -- unknown revision or label
        '42P09',  -- ambiguous prefix
        '21000',  -- several heads / children / currents where one is needed
        '55000',  -- state makes it impossible (not applied, irreversible, applied and changed)
        '42602',  -- invalid id or name
        '42939',  -- reserved word as id
        '42P17',  -- cycle
        '2202E',  -- array dimensions
        '22P02',  -- invalid revision file
        '42601',  -- syntax (names, types, signatures)
        '0A000'   -- unsupported
    ])
$$;

CREATE PROCEDURE fuzz_run(seconds int, seed float8) LANGUAGE plpgsql AS $f$
DECLARE
    stop timestamptz := clock_timestamp() + make_interval(secs => seconds);
    n bigint := 0;
    s text;
    call text;
    calls text[];
    fns text[] := ARRAY['resolve', 'plan', 'plan_down', 'sql', 'upgrade', 'downgrade', 'stamp', 'add',
                        'remove', 'add_parent', 'add_label', 'add_file', 'table_exists', 'function_exists'];
    state text;
    msg text;
    before text;
    bad text;
    errs int;
BEGIN
    PERFORM setseed(seed);
    WHILE clock_timestamp() < stop LOOP
        s := fuzz_input();
        calls := ARRAY[
            format('SELECT count(*) FROM migrate.resolve(%L)', s),
            format('SELECT count(*) FROM migrate.plan(%L)', s),
            format('SELECT count(*) FROM migrate.plan(%L, ''down'')', s),
            format('SELECT length(migrate.sql(%L))', s),
            format('SELECT count(*) FROM migrate.upgrade(%L)', s),
            format('SELECT count(*) FROM migrate.downgrade(%L)', s),
            format('SELECT count(*) FROM migrate.stamp(%L)', s),
            format('SELECT migrate.add(%L, ''SELECT 1'', down_revision => ''{irr}'')', s),
            format('SELECT migrate.remove(%L)', s),
            format('SELECT migrate.add(''fz'', ''SELECT 1'', down_revision => ARRAY[%L])', s),
            format('SELECT migrate.add(''fz'', ''SELECT 1'', down_revision => ''{irr}'', branch_labels => ARRAY[%L])', s),
            format('SELECT migrate.add_file(%L)', '-- migrate:revision ' || s || E'\n-- migrate:down_revision irr\n-- migrate:upgrade\nSELECT 1\n'),
            format('SELECT migrate.table_exists(%L)', s),
            format('SELECT migrate.function_exists(%L)', s)];
        FOR i IN 1 .. array_length(calls, 1) LOOP
            n := n + 1;
            before := fuzz_fingerprint();
            bad := NULL;
            BEGIN
                EXECUTE calls[i];
                state := 'ok';
                msg := NULL;
            EXCEPTION WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
            END;
            IF state <> 'ok' THEN
                IF NOT fuzz_expected(state) THEN
                    bad := 'unexpected SQLSTATE';
                ELSIF fuzz_fingerprint() IS DISTINCT FROM before THEN
                    bad := 'the catalog changed although the call failed';
                END IF;
            ELSIF fns[i] IN ('upgrade', 'downgrade', 'stamp', 'add', 'add_parent', 'add_label', 'add_file', 'remove') THEN
                -- applying or stamping keeps the applied state closed under
                -- ancestry and true to the registered checksums
                SELECT count(*) INTO errs FROM migrate.validate()
                 WHERE severity = 'error' AND code IN ('applied_gap', 'applied_unknown', 'checksum_mismatch');
                IF errs > 0 THEN
                    bad := 'an inconsistent state after success: ' ||
                           (SELECT string_agg(code || ' ' || message, '; ') FROM migrate.validate() WHERE severity = 'error');
                END IF;
                PERFORM fuzz_reset();
            END IF;
            INSERT INTO fuzz_stats VALUES (fns[i], state, 1)
                ON CONFLICT (fn, sqlstate) DO UPDATE SET calls = fuzz_stats.calls + 1;
            IF bad IS NOT NULL THEN
                INSERT INTO fuzz_result VALUES (n, fns[i], left(s, 500), state, left(msg, 300), bad);
            END IF;
        END LOOP;
        IF n % 700 = 0 THEN
            COMMIT;
        END IF;
    END LOOP;
    COMMIT;
END $f$;
