/**
 * The command that runs a piece of failed work again, as the CLI takes it (`npx dataplatform rerun …`): shown next to
 * each failure by the CLI, the dashboard and `npm start`.
 */
export function rerunCommand(work: { readonly batch_id: string; readonly layer: string | null; readonly entity_id: string | null }): string {
  const entity = work.entity_id === null ? '' : ` --entity ${work.entity_id}`;
  return `npx dataplatform rerun ${work.batch_id} --layer ${work.layer ?? 'landing'}${entity}`;
}
