// The import graph of src/ by folder, checked against the layers docs/architecture.md lists.
//
//   node scripts/layers.mjs [--root DIR] [--graph] [--as old=new,...]
//
// The table between the first ``` fence pair of DIR/docs/architecture.md is the rule: a line
// `name[, name] description -> a, b` lets the folder import a and b and every folder they may
// import (transitively); "everything below" allows every folder listed above the line,
// "everything" every folder; a line without an arrow imports nothing of llmts. src/index.ts and
// src/browser/ are entry points (they may import anything; nothing may import them). Inside
// align/, shared/ sits below tasks/, which sits below the algorithms, which sit below
// pipeline.ts, online-inputs.ts and stage-options.ts. Every static, re-exporting, type-only and
// dynamic import with a relative specifier counts. Prints each import that breaks the rule
// (file -> target) and exits 1 if there is one; --graph prints the folder graph (edge counts).
// --as counts a folder of an older layout as the one named (util=core: the graph of an older
// commit against today's table).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const rootArg = args.indexOf('--root');
const root = rootArg >= 0 ? resolve(args[rootArg + 1]) : join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const ENTRY = new Set(['index.ts', 'browser']);
const asArg = args.indexOf('--as');
const AS = new Map(asArg >= 0 ? args[asArg + 1].split(',').map((p) => p.split('=')) : []);
const folderOf = (rel) => AS.get(rel.split('/')[0]) ?? rel.split('/')[0];

/** folder -> the folders it names directly ('*below' / '*all' for the two wildcards). */
function readTable() {
  const doc = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
  const block = doc.split('```')[1];
  if (block === undefined) throw new Error('docs/architecture.md: no ``` table of layers');
  const order = [];
  const names = new Map();
  const lineOf = new Map();
  for (const [i, line] of block.split('\n').entries()) {
    const m = /^([a-z]+(?:, [a-z]+)*)\s{2,}(.*)$/.exec(line.trim());
    if (m === null) continue;
    const folders = m[1].split(', ');
    const arrow = m[2].lastIndexOf('->');
    let targets = [];
    if (arrow >= 0) {
      const rhs = m[2]
        .slice(arrow + 2)
        .replace(/\(.*?\)/g, '')
        .trim();
      if (rhs === 'everything below') targets = ['*below'];
      else if (rhs === 'everything') targets = ['*all'];
      else targets = rhs.split(',').map((s) => s.trim());
    }
    for (const f of folders) {
      order.push(f);
      names.set(f, targets);
      lineOf.set(f, i);
    }
  }
  return { order, names, lineOf };
}

/** folder -> every folder it may import. */
function allowedSets({ order, names, lineOf }) {
  const allowed = new Map();
  const visit = (f, stack = []) => {
    if (allowed.has(f)) return allowed.get(f);
    if (stack.includes(f)) throw new Error(`docs/architecture.md: the layers loop: ${[...stack, f].join(' -> ')}`);
    const out = new Set();
    for (const t of names.get(f) ?? []) {
      const direct =
        t === '*all'
          ? order.filter((o) => o !== f)
          : t === '*below'
            ? order.filter((o) => lineOf.get(o) < lineOf.get(f))
            : [t];
      for (const d of direct) {
        if (!names.has(d)) throw new Error(`docs/architecture.md: ${f} -> ${d}, which the table does not list`);
        out.add(d);
        for (const x of visit(d, [...stack, f])) out.add(x);
      }
    }
    allowed.set(f, out);
    return out;
  };
  for (const f of order) visit(f);
  return allowed;
}

function walk(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;

/** "align/shared/x.ts" -> its level inside align (0 shared, 1 tasks, 2 algorithms, 3 the top). */
function alignLevel(rel) {
  const parts = rel.split('/');
  if (parts[0] !== 'align') return undefined;
  if (parts[1] === 'shared') return 0;
  if (parts[1] === 'tasks') return 1;
  if (['pipeline.ts', 'online-inputs.ts', 'stage-options.ts', 'index.ts'].includes(parts[1])) return 3;
  return 2;
}

const table = readTable();
const allowed = allowedSets(table);
const edges = new Map();
const problems = [];
for (const file of walk(src)) {
  const rel = relative(src, file).split(sep).join('/');
  const from = folderOf(rel);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec.startsWith('.')) continue;
    const target = relative(src, resolve(dirname(file), spec))
      .split(sep)
      .join('/');
    if (target.startsWith('..')) continue; // outside src/ (package.json and the like)
    const to = folderOf(target);
    if (from !== to) {
      const key = `${from} -> ${to}`;
      edges.set(key, (edges.get(key) ?? 0) + 1);
    }
    let why;
    if (ENTRY.has(to) && !ENTRY.has(from)) why = `${to} is an entry point`;
    else if (from === to) {
      const a = alignLevel(rel);
      const b = alignLevel(target);
      if (a !== undefined && b !== undefined && b > a) why = 'down-to-up inside align/';
    } else if (!ENTRY.has(from)) {
      if (!allowed.has(from)) why = `src/${from} is not in docs/architecture.md's table`;
      else if (!allowed.get(from).has(to)) why = `${from} may not import ${to}`;
    }
    if (why !== undefined) problems.push(`src/${rel} -> src/${target} (${why})`);
  }
}

if (args.includes('--graph')) {
  for (const [k, n] of [...edges].sort()) console.log(`${k.padEnd(28)} ${n}`);
}
for (const p of problems) console.log(p);
console.log(`${problems.length} import${problems.length === 1 ? '' : 's'} against the layers of docs/architecture.md`);
process.exit(problems.length === 0 ? 0 : 1);
