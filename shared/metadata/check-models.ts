import type { EntityModel } from '../core/entity-model.ts';
import { isPlatformError } from '../errors.ts';
import { explainUnsafeIdentifier } from './identifier.ts';
import { describeModel, type ModelRegistry } from './model-dsl.ts';

/** The registry's models described, and the problems that keep some of them from being usable. */
export interface CheckedModels {
  /** Models that describe cleanly, by name (also those with other problems, so references resolve). */
  readonly models: Record<string, EntityModel>;
  readonly issues: string[];
}

/**
 * Describes every model and checks it: a safe name, safe and unique column names, a business key, a key column
 * never nullable. Problems read `models › nightscout_entry › sgv_value: …`.
 */
export function checkModels(registry: ModelRegistry): CheckedModels {
  const models: Record<string, EntityModel> = {};
  const issues: string[] = [];
  for (const [name, schema] of Object.entries(registry)) {
    const unsafeName = explainUnsafeIdentifier(name);
    if (unsafeName) issues.push(`models › ${name}: model name ${unsafeName}`);
    let model: EntityModel;
    try {
      model = describeModel(name, schema);
    } catch (error) {
      if (isPlatformError(error) && 'issues' in error) issues.push(...(error.issues as string[]));
      else issues.push(`models › ${name}: ${(error as Error).message}`);
      continue;
    }
    for (const column of model.columns) {
      const unsafe = explainUnsafeIdentifier(column.name);
      if (unsafe) issues.push(`models › ${name} › ${column.name}: column name ${unsafe}`);
      if (column.key && column.nullable) issues.push(`models › ${name} › ${column.name}: a key column cannot be nullable`);
    }
    if (model.key.length === 0) {
      issues.push(`models › ${name}: no business key; mark its key column(s) with { key: true }`);
    }
    models[name] = model;
  }
  return { models, issues };
}
