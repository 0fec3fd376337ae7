import fs from 'node:fs';
import path from 'node:path';

/** Writes a config template with {{NAME}} placeholders filled in. */
export function renderTemplate(template: string, target: string, values: Record<string, string>): void {
  let text = fs.readFileSync(template, 'utf8');
  for (const [key, value] of Object.entries(values)) text = text.replaceAll(`{{${key}}}`, value);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, text);
}
