#!/usr/bin/env bash
# Documentation check, run by scripts/run-tests.sh as one test (exit 0 = pass):
#  (a) every repository path that a doc (*.md) or a source comment cites
#      exists: "docs/vmx.md", "vmx/exit.c", "include/uhv/ptab.h",
#      "scripts/emu.sh", "test/system/lib.sh", and bare doc names such as
#      "smp.md" (looked up next to the citing file, in docs/ and at the top);
#  (b) every hypervisor source file (*.c, *.h, *.asm outside test/, guest/,
#      scripts/ and build/) is named by its path in docs/architecture.md.
# Each offending place is printed as FILE:LINE: what is wrong.
#
# What counts as a citation in (a): a word that starts with one of the
# repository's top-level folders (as listed by git, so a new folder is
# covered without touching this script) or ends in ".md". Not checked:
# paths under build/ (generated), words with a pattern in them (*, ?, <>,
# {}, [], $, e.g. "guest/<name>/*.c", "test/unit/test_*.c"), URLs, and
# paths in code (only comments are read in source files; a doc is read whole).
#
#   scripts/check-docs.sh            check; exit 1 and list problems if any
#   scripts/check-docs.sh --missing  print an architecture.md table row for
#                                    every source file it does not name yet
#                                    (after moving or adding files)
set -uo pipefail
cd "$(dirname "$0")/.."
exec python3 - "$@" <<'PYTHON'
import os, re, subprocess, sys

ARCH_DOC = 'docs/architecture.md'
# Known bad citations in files this change could not edit, as (file, cited
# word): reported as "pending", not as failures. Each entry must still occur:
# once the citation is fixed, the check fails until its entry goes too.
PENDING = set()
# (b): folders whose sources are not the hypervisor's
NOT_HYPERVISOR = ('test/', 'guest/', 'scripts/', 'build/')
SOURCE_EXT = ('.c', '.h', '.asm')

def repo_files():
    try:
        out = subprocess.run(['git', 'ls-files', '--cached', '--others', '--exclude-standard'],
                             capture_output=True, text=True, check=True).stdout
        files = [f for f in out.splitlines() if os.path.isfile(f)]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for d, dirs, names in os.walk('.'):
            dirs[:] = [x for x in dirs if x not in ('.git', 'build')]
            files += [os.path.relpath(os.path.join(d, n)) for n in names]
    return sorted(files)

files = repo_files()
fileset = set(files)
dirset = {os.path.dirname(f) for f in files}
for f in files:		# every ancestor folder too
    d = os.path.dirname(f)
    while d:
        dirset.add(d)
        d = os.path.dirname(d)
top_dirs = sorted({f.split('/')[0] for f in files if '/' in f and not f.startswith('.')})

def exists(p):
    p = p.rstrip('/')
    return p in fileset or p in dirset

# --- comments of a source file, as (line number, text) ---------------------------------
def comments_c(text):
    """// and /* */ comments of C and headers (strings skipped)."""
    out, i, n, line = [], 0, len(text), 1
    while i < n:
        c = text[i]
        if c == '\n':
            line += 1; i += 1
        elif c in '"\'':
            q = c; i += 1
            while i < n and text[i] != q and text[i] != '\n':
                i += 2 if text[i] == '\\' else 1
            i += 1
        elif text.startswith('//', i):
            j = text.find('\n', i); j = n if j < 0 else j
            out.append((line, text[i:j])); i = j
        elif text.startswith('/*', i):
            j = text.find('*/', i); j = n if j < 0 else j + 2
            for k, l in enumerate(text[i:j].split('\n')):
                out.append((line + k, l))
            line += text.count('\n', i, j); i = j
        else:
            i += 1
    return out

def comments_hash(text, mark='#'):
    """Line comments: from a mark at the line start or after a blank (shell, make,
    python, asm ';'); in shell '$#' and '${#' are not comments."""
    out = []
    for no, l in enumerate(text.split('\n'), 1):
        m = re.search(r'(^|[\s;])' + re.escape(mark), l)
        if m:
            out.append((no, l[m.end() - 1:]))
    return out

def comment_lines(path, text):
    if path.endswith(('.c', '.h', '.S', '.ld')) or path == 'linker.ld':
        return comments_c(text)
    if path.endswith('.asm'):
        return comments_hash(text, ';')
    if path.endswith(('.sh', '.py', '.mk', '.cfg')) or os.path.basename(path) == 'Makefile' \
       or text.startswith('#!'):
        return comments_hash(text, '#')
    return None	# not a source file we read

# --- (a) citations ------------------------------------------------------------------------
WORD = re.compile(r'[A-Za-z0-9_.\-/*?<>{}\[\]$~]+')
problems, notes, pending_seen = [], [], set()

def placeholder(w):
    """test/unit/test_X.c, test/system/NN-name.sh: a name standing for many files"""
    return re.search(r'(^|[_\-.])([A-Z]{1,2}|NAME)([_\-.]|$)', os.path.basename(w))

def check_word(src, no, w):
    w = w.lstrip(',;:([`\'"').rstrip('.,;:)]`\'"')
    if not w or '://' in w or re.search(r'[*?<>{}\[\]$~]', w):
        return
    if w.startswith('./'):
        w = w[2:]
    def bad():
        if (src, w) in PENDING:
            pending_seen.add((src, w))
            notes.append(f'{src}:{no}: cites {w}, which is not in the tree (pending fix)')
        else:
            problems.append(f'{src}:{no}: cites {w}, which is not in the tree')
    if w.endswith('.md'):
        # a doc: wherever it is cited from, it must be in the tree
        if not re.fullmatch(r'[\w.\-]+', os.path.basename(w)) or os.path.basename(w) == '.md':
            return
        if w.startswith('/'):
            return bad()
        here = os.path.dirname(src)
        if '/' in w and w.split('/')[0] in top_dirs:
            where = [w]
        else:
            where = [os.path.normpath(os.path.join(d, w)) for d in (here, 'docs', '.')]
        if not any(exists(p) and not p.startswith('..') for p in where):
            bad()
        return
    first = w.split('/')[0]
    if '/' not in w or first not in top_dirs or first == 'build' or placeholder(w):
        return
    # a path: has an extension, names a folder (trailing /) or has 3+ parts;
    # "guest/host" is a word, not a path
    name = os.path.basename(w.rstrip('/'))
    if '.' in name or w.endswith('/') or w.rstrip('/').count('/') >= 2:
        if not exists(w):
            bad()

def scan_text(src, lines):
    for no, l in lines:
        for w in WORD.findall(l):
            check_word(src, no, w)

for f in files:
    if f.startswith('build/'):
        continue
    try:
        text = open(f, encoding='utf-8').read()
    except (UnicodeDecodeError, OSError):
        continue
    if f.endswith('.md'):
        # markdown links [text](target): the target is a citation too
        lines = list(enumerate(text.split('\n'), 1))
        lines = [(no, re.sub(r'\]\(([^)#\s]+)(#[^)]*)?\)', r'] \1 ', l)) for no, l in lines]
        scan_text(f, lines)
        continue
    lines = comment_lines(f, text)
    if lines is not None:
        scan_text(f, lines)

# --- (b) every hypervisor source file named in docs/architecture.md ---------------------------
sources = [f for f in files if f.endswith(SOURCE_EXT) and '/' in f and not f.startswith(NOT_HYPERVISOR)]
try:
    arch = open(ARCH_DOC, encoding='utf-8').read()
except OSError:
    arch = ''
    problems.append(f'{ARCH_DOC}: missing')
named = set(re.findall(r'[A-Za-z0-9_.\-/]+', arch))
missing = [s for s in sources if s not in named]
for s in missing:
    problems.append(f'{s}: not named in {ARCH_DOC} (add its path to the table of source files)')

for src, w in sorted(PENDING - pending_seen):
    problems.append(f'{src}: no longer cites {w}: remove the entry from PENDING in scripts/check-docs.sh')

if sys.argv[1:] == ['--missing']:
    for s in missing:
        print(f'| `{s}` | |')
    sys.exit(0)
if notes:
    print('\n'.join(notes))
if problems:
    print('\n'.join(problems))
    print(f'check-docs: {len(problems)} problem(s)')
    sys.exit(1)
print(f'check-docs: ok ({len(sources)} source files named in {ARCH_DOC}, citations checked in '
      f'{len(files)} files)')
PYTHON
