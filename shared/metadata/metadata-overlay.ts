import type { JsonObject, JsonValue } from '../core/json.ts';
import { METADATA_FILES, METADATA_KINDS } from './metadata-set.ts';
import type { MetadataTexts } from './validate-metadata.ts';

/**
 * Lays an overlay over a metadata folder's files before they are validated: settings that differ per installation
 * without editing the folder (the local stack points NSC01 and BNQ01 at the fake sources, docs/operate.md). An
 * overlay folder holds any of systems.json, entities.json and actions.json, each an array of partial records: `id`
 * names the record to change, the rest is merged into it as a JSON merge patch (RFC 7386: objects field by field,
 * anything else replaced, `null` removes the field). Returns the merged texts, or every problem (an overlay file that
 * is not such an array, an id the folder's file does not have). A base file that is missing or not JSON is left as
 * it is, for validation to report.
 */
export function applyMetadataOverlay(
  texts: MetadataTexts,
  overlay: MetadataTexts,
): { readonly texts: MetadataTexts; readonly issues: string[] } {
  const issues: string[] = [];
  const merged = { ...texts };
  for (const kind of METADATA_KINDS) {
    const patchText = overlay[kind];
    if (patchText === undefined) continue;
    const file = METADATA_FILES[kind];
    const patches = parseJson(patchText);
    if (patches === undefined) {
      issues.push(`overlay ${file}: not JSON`);
      continue;
    }
    if (!Array.isArray(patches) || !patches.every((patch) => isObject(patch) && typeof patch.id === 'string')) {
      issues.push(`overlay ${file}: expected a JSON array of objects, each with the "id" of the record it changes`);
      continue;
    }
    const base = texts[kind] === undefined ? undefined : parseJson(texts[kind]);
    if (!Array.isArray(base)) continue;
    const records = [...base];
    for (const patch of patches as JsonObject[]) {
      const index = records.findIndex((record) => isObject(record) && record.id === patch.id);
      if (index === -1) {
        issues.push(`overlay ${file} › ${String(patch.id)}: ${file} has no record with this id`);
        continue;
      }
      records[index] = mergePatch(records[index] as JsonValue, patch);
    }
    merged[kind] = `${JSON.stringify(records, null, 2)}\n`;
  }
  return { texts: merged, issues };
}

/** RFC 7386: an object patch merges field by field (`null` removes), anything else replaces the target. */
function mergePatch(target: JsonValue, patch: JsonValue): JsonValue {
  if (!isObject(patch)) return patch;
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key] ?? null, value);
  }
  return result;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
