#!/usr/bin/env python3
"""Run every example of README.md and docs/*.md (test/scenario/docs_examples.sh).

The convention, for whoever writes documentation (docs/contributing.md):

  ```sql      run with psql -v ON_ERROR_STOP=1 (meta-commands allowed); a
              block that shows errors as "-- ERROR:  message" comments runs
              to its end, and its errors must be those, in that order
  ```psql     the same
  ```sh       run with bash -e -o pipefail
  ```console  a transcript: each "$ command" is run; the lines after it
              are its expected output (stdout and stderr), compared line by
              line; "..." in a line matches anything, a line of "..." alone
              any number of lines; durations ("12 ms", "1.5 s") and
              timestamps match any; "$ echo $?" shows the previous exit status
  any other block (a fence of another language or none, or an indented
  code block) is an example the harness cannot run: it must follow a
  "no-test: REASON" directive (the reason is printed as the test's SKIP)
  or a "file PATH" one, else it fails: every example runs, or says why
  it does not.

Each page runs in order, in a temporary directory of its own (the current
directory of every example) and a fresh database of its own (PGDATABASE),
without the extension: the first example creates it, as a reader would.
EDITOR is "true", so "$EDITOR file" is harmless.  Directives, in HTML
comments, which Markdown does not show:

  <!-- no-test: REASON -->    the next block is not run, for REASON (printed)
  <!-- new-database -->       the next blocks run in another fresh database
  <!-- file PATH -->          the next block is the content of PATH (written,
                              not run)
  <!-- file PATH              PATH's content, hidden from the reader
  ...
  -->
  <!-- sh                     hidden shell commands (setup the reader needs
  ...                         not see, e.g. creating a role)
  -->
  <!-- sql                    hidden SQL, the same
  ...
  -->

Prints TAP: one test per block run (and per hidden setup).
"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
PREFIX = os.environ.get('DOCS_DB_PREFIX', 'docs_ex_')
RUN_LANGS = {'sql', 'psql', 'sh', 'console'}

tests = 0
failed = 0


def tap(ok, what, diag=''):
    global tests, failed
    tests += 1
    if ok:
        print('ok %d - %s' % (tests, what))
    else:
        failed += 1
        print('not ok %d - %s' % (tests, what))
        for line in diag.rstrip('\n').split('\n')[-40:]:
            print('#   ' + line)
    sys.stdout.flush()


def run(cmd, cwd, env, stdin=None):
    p = subprocess.run(cmd, cwd=cwd, env=env, input=stdin, capture_output=True, text=True,
                       errors='replace', timeout=600)
    return p.returncode, p.stdout, p.stderr


def blocks(path):
    """(kind, lang, line, text, directives) for every fence and hidden directive."""
    lines = open(path, encoding='utf-8').read().split('\n')
    out = []
    pending = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r'^\s*<!--\s*(no-test|new-database)\s*(?::\s*(.*?))?\s*-->\s*$', line)
        if m:
            pending.append((m.group(1), m.group(2)))
            i += 1
            continue
        m = re.match(r'^\s*<!--\s*file\s+(\S+)\s*-->\s*$', line)
        if m:
            pending.append(('file', m.group(1)))
            i += 1
            continue
        m = re.match(r'^\s*<!--\s*(file\s+\S+|sh|sql)\s*$', line)
        if m:
            start = i + 1
            body = []
            i += 1
            while i < len(lines) and not re.match(r'^\s*-->\s*$', lines[i]):
                body.append(lines[i])
                i += 1
            what = m.group(1).split()
            out.append(('hidden', what[0], start, '\n'.join(body) + '\n',
                        ([('file', what[1])] if what[0] == 'file' else []) +
                        [p for p in pending if p[0] == 'new-database']))
            pending = [p for p in pending if p[0] != 'new-database']
            i += 1
            continue
        m = re.match(r'^(\s*)```(\w*)\s*$', line)
        if m:
            indent = len(m.group(1))
            lang = m.group(2)
            start = i + 1
            body = []
            i += 1
            while i < len(lines) and not re.match(r'^\s*```\s*$', lines[i]):
                body.append(lines[i][indent:] if lines[i][:indent].strip() == '' else lines[i])
                i += 1
            out.append(('fence', lang, start, '\n'.join(body) + '\n', pending))
            pending = []
            i += 1
            continue
        # an indented code block: four spaces (or a tab) after a blank line,
        # outside a list (whose continuation lines are indented by two)
        if re.match(r'^(    |\t)\S', line) and (i == 0 or not lines[i - 1].strip()) and \
                not in_list(lines, i):
            start = i + 1
            body = []
            while i < len(lines) and (re.match(r'^(    |\t)', lines[i]) or not lines[i].strip()):
                body.append(lines[i][4:] if lines[i].startswith('    ') else lines[i].lstrip('\t'))
                i += 1
            out.append(('indented', '', start, '\n'.join(body).rstrip('\n') + '\n', pending))
            pending = []
            continue
        if line.strip():
            pending = [p for p in pending if p[0] == 'new-database']
        i += 1
    return out


def in_list(lines, i):
    """Is line i inside a list item (the paragraph before it one)?"""
    j = i - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    while j >= 0 and lines[j].strip():
        if re.match(r'^\s*([-*+]|\d+\.)\s', lines[j]):
            return True
        if not lines[j].startswith('  '):
            return False
        j -= 1
    return False


DURATION = re.compile(r'\b\d+(\.\d+)? ?(ms|s)\b')
TIMESTAMP = re.compile(r'\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d(:\d\d)?)?')


def normalize(s):
    s = TIMESTAMP.sub('<TIME>', s.rstrip())
    return DURATION.sub('<DURATION>', s)


def line_matches(expected, actual):
    parts = [re.escape(p) for p in normalize(expected).split('...')]
    return re.fullmatch('.*'.join(parts), normalize(actual)) is not None


def transcript_matches(expected, actual):
    """Every expected line, in order, against the actual lines; "..." alone skips."""
    exp = [l for l in expected if l.strip() != '' or False]
    act = [l for l in actual if l.strip() != '']
    memo = {}

    def go(i, j):
        if (i, j) in memo:
            return memo[(i, j)]
        if i == len(exp):
            r = j == len(act)
        elif exp[i].strip() == '...':
            r = any(go(i + 1, k) for k in range(j, len(act) + 1))
        else:
            r = j < len(act) and line_matches(exp[i], act[j]) and go(i + 1, j + 1)
        memo[(i, j)] = r
        return r
    return go(0, 0)


def console(text, cwd, env, where):
    """Run a transcript's commands in one shell; compare each one's output."""
    cmds = []
    cur = None
    for line in text.rstrip('\n').split('\n'):
        if line.startswith('$ '):
            cur = [line[2:], []]
            cmds.append(cur)
        elif cur is not None and cur[0].endswith('\\') and not cur[1]:
            cur[0] = cur[0][:-1] + '\n' + line
        elif cur is not None:
            cur[1].append(line)
    script = ['__rc=0']
    for k, (cmd, _) in enumerate(cmds):
        script.append('echo "@@@ %d"' % k)
        script.append('(exit $__rc); { %s\n} 2>&1; __rc=$?' % cmd)
    script.append('echo "@@@ end"')
    env = dict(env)
    rc, out, err = run(['stdbuf', '-oL', '-eL', 'bash', '-c', '\n'.join(script)], cwd, env)
    chunks = {}
    k = None
    for line in out.split('\n'):
        m = re.match(r'^@@@ (\d+|end)$', line)
        if m:
            k = m.group(1)
            chunks[k] = []
        elif k is not None:
            chunks[k].append(line)
    ok = True
    diag = ''
    for n, (cmd, expected) in enumerate(cmds):
        actual = chunks.get(str(n), [])
        if not transcript_matches(expected, actual):
            ok = False
            diag += '$ %s\n--- expected\n%s\n--- got\n%s\n' % (
                cmd, '\n'.join(expected), '\n'.join(actual))
    return ok, diag + err


def createdb(name, env):
    run(['dropdb', '--if-exists', name], ROOT, env)
    rc, out, err = run(['createdb', name], ROOT, env)
    return rc == 0, err


def page(path, n):
    rel = os.path.relpath(path, ROOT)
    work = tempfile.mkdtemp(prefix='docs_')
    env = dict(os.environ)
    env['EDITOR'] = 'true'
    dbn = 0
    db = '%s%d_%d' % (PREFIX, n, dbn)
    ok, err = createdb(db, env)
    env['PGDATABASE'] = db
    for kind, lang, line, text, directives in blocks(path):
        names = [d[0] for d in directives]
        where = '%s:%d' % (rel, line)
        if 'new-database' in names:
            dbn += 1
            db = '%s%d_%d' % (PREFIX, n, dbn)
            createdb(db, env)
            env['PGDATABASE'] = db
        files = [d[1] for d in directives if d[0] == 'file']
        if files:
            target = os.path.join(work, files[0])
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, 'w', encoding='utf-8') as f:
                f.write(text)
            continue
        what = '%s (%s%s)' % (where, 'hidden ' if kind == 'hidden' else
                              'indented ' if kind == 'indented' else '', lang or 'text')
        if kind != 'hidden' and 'no-test' in names:
            reason = [d[1] for d in directives if d[0] == 'no-test'][0]
            if reason:
                print('ok %d - %s # SKIP not run: %s' % (tests + 1, what, reason))
                globals()['tests'] += 1
            else:
                tap(False, what + ' is marked no-test without a reason',
                    'write <!-- no-test: REASON --> (why the harness cannot run it)')
            continue
        if kind == 'indented' or lang not in RUN_LANGS:
            tap(False, what + ' is an example that is neither run nor marked',
                'make it a ```sql, ```sh or ```console block the harness runs, or put '
                '<!-- no-test: REASON --> before it\n' + text)
            continue
        if lang in ('sql', 'psql'):
            shown = re.findall(r'^-- ERROR:  (.*)$', text, re.M)
            if shown:
                rc, out, err = run(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=0', '-f', '-'], work, env, text)
                got = re.findall(r'ERROR:  (.*)$', err, re.M)
                tap(got == shown, what + ' raises the errors it shows',
                    text + '\n--- errors shown\n' + '\n'.join(shown) + '\n--- raised\n' + err)
            else:
                rc, out, err = run(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', '-'], work, env, text)
                tap(rc == 0, what + ' runs', text + '\n' + err)
        elif lang == 'sh':
            rc, out, err = run(['bash', '-e', '-o', 'pipefail', '-c', text], work, env)
            tap(rc == 0, what + ' runs', text + '\n' + out + err)
        elif lang == 'console':
            ok, diag = console(text, work, env, where)
            tap(ok, what + ' prints what the page shows', diag)
    for k in range(dbn + 1):
        run(['dropdb', '--if-exists', '%s%d_%d' % (PREFIX, n, k)], ROOT, env)
    subprocess.run(['rm', '-rf', work])


def main():
    pages = sys.argv[1:] or ([os.path.join(ROOT, 'README.md')] +
                             sorted(os.path.join(ROOT, 'docs', f)
                                    for f in os.listdir(os.path.join(ROOT, 'docs'))
                                    if f.endswith('.md')))
    for n, p in enumerate(pages):
        page(p, n)
    print('1..%d' % tests)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
