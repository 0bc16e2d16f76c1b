#!/usr/bin/env node
// Writes the JavaScript form of every TypeScript source in template/, so each module
// of a generated project is written once, in TypeScript, and JavaScript projects get
// the same code with the types taken out.
//
//   node tools/ts-to-js.mjs           format the .ts files, rewrite the .js files next to them
//   node tools/ts-to-js.mjs --check   exit 1 and name the files that are unformatted or stale
//
// How: Node's own type stripper (module.stripTypeScriptTypes, the one that runs
// .ts files) blanks the types in place; lines that held nothing but types are
// dropped, with the comment that documented them; relative `.ts` specifiers
// become `.js`; Prettier formats the result in the template's style. A module that
// is nothing but types has no JavaScript form.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { stripTypeScriptTypes } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TEMPLATE = join(ROOT, 'template');
export const PRETTIER_OPTIONS = { parser: 'babel', singleQuote: true, printWidth: 120 };

// A TypeScript source's file name, possibly wrapped in Copier's conditional-name
// Jinja: `app.ts`, `{% if framework == 'koa' %}app.ts{% endif %}`.
const TS_NAME = /\.ts(?=(\{%[^%]*%\})?$)/;

async function* typeScriptSources(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') yield* typeScriptSources(path);
    else if (entry.isFile() && TS_NAME.test(entry.name) && !entry.name.includes('.d.ts')) yield path;
  }
}

const isComment = (line) => /^\s*(\/\/|\/\*|\*)/.test(line);

/** Drops the lines that held only types, and a comment block right above such a declaration. */
function dropTypeOnlyLines(source, stripped) {
  const before = source.split('\n');
  const after = stripped.split('\n');
  const keep = after.map((line, i) => line.trim() !== '' || before[i].trim() === '');
  for (let i = 0; i < after.length; i += 1) {
    const declarationStart = !keep[i] && (i === 0 || keep[i - 1]);
    if (!declarationStart) continue;
    for (let j = i - 1; j >= 0 && keep[j] && before[j].trim() !== '' && isComment(before[j]); j -= 1) {
      keep[j] = false;
    }
  }
  return after.filter((_, i) => keep[i]).join('\n');
}

// `./store.ts`, `../src/server.ts`, `test/*.test.ts`: file names in code and in
// comments name the JavaScript files in a JavaScript project.
const withJsNames = (code) => code.replace(/(?<=[\w*\-]\.)ts\b(?![\w-])/g, (match, offset) =>
  code.slice(offset - 3, offset) === '.d.' ? match : 'js');

export async function javaScriptOf(source) {
  const stripped = stripTypeScriptTypes(source, { mode: 'strip' });
  const code = withJsNames(dropTypeOnlyLines(source, stripped));
  if (code.replace(/\/\/.*|\/\*[\s\S]*?\*\//g, '').trim() === '') return null;
  return prettier.format(code, PRETTIER_OPTIONS);
}

async function main() {
  const check = process.argv.includes('--check');
  const stale = [];
  for await (const tsPath of typeScriptSources(TEMPLATE)) {
    const jsPath = tsPath.replace(TS_NAME, '.js');
    const source = await readFile(tsPath, 'utf8');
    const formatted = await prettier.format(source, { ...PRETTIER_OPTIONS, parser: 'typescript' });
    if (formatted !== source) {
      stale.push(relative(ROOT, tsPath));
      if (!check) await writeFile(tsPath, formatted);
    }
    const wanted = await javaScriptOf(formatted);
    const current = await readFile(jsPath, 'utf8').catch(() => null);
    if (wanted === current) continue;
    stale.push(relative(ROOT, jsPath));
    if (check) continue;
    if (wanted === null) await rm(jsPath);
    else await writeFile(jsPath, wanted);
  }

  if (check && stale.length > 0) {
    console.error('These files are not formatted, or not what their TypeScript source makes (run `make js`):');
    for (const path of stale) console.error(`  ${path}`);
    process.exit(1);
  }
  console.log(check ? 'JavaScript sources are up to date.' : `${stale.length} file(s) written.`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
