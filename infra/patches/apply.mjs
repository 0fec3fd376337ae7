// What every patch of a dependency does (package.json "postinstall" runs each): replace exact pieces of one file in
// node_modules. Idempotent (a file that already has every replacement is left alone), and it says so when the code it
// expects is gone (a release that changed it).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `replacements`: [before, after] pairs, each `before` replaced once in `relativeFile` (under the repository root). */
export function applyPatch(script, relativeFile, replacements) {
  const file = path.join(root, relativeFile);
  if (!fs.existsSync(file)) return;
  let source = fs.readFileSync(file, 'utf8');
  if (replacements.every(([, after]) => source.includes(after))) return;
  if (!replacements.every(([before]) => source.includes(before))) {
    console.warn(`infra/patches/${script}: ${file} changed; the patch is not needed or needs a look`);
    return;
  }
  for (const [before, after] of replacements) source = source.replace(before, after);
  fs.writeFileSync(file, source);
}
