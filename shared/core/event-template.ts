/**
 * The small template language of notification actions (an email's subject and body): `{{field}}` is replaced by
 * one of the event's fields, nothing else is special. Pure: the event comes in as a plain record, the text goes out.
 */

/** The fields a template may name, in the order docs/actions.md lists them. */
export const TEMPLATE_FIELDS = [
  'event',
  'system_id',
  'entity_id',
  'layer',
  'status',
  'batch_id',
  'batch_timestamp',
  'run_id',
  'finished_at',
  'error',
  'counts',
  'dashboard_link',
  'action_id',
] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

/** The values of a template's fields; an absent value renders as an empty string. */
export type TemplateValues = Readonly<Partial<Record<TemplateField, string>>>;

const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;

/** The fields a template names, once each, in order of first appearance. */
export function templatePlaceholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((match) => match[1] ?? ''))];
}

/** The placeholders of a template that are not fields (a typo such as `{{sytem_id}}`), for metadata validation. */
export function unknownPlaceholders(template: string): string[] {
  const known: readonly string[] = TEMPLATE_FIELDS;
  return templatePlaceholders(template).filter((name) => !known.includes(name));
}

/**
 * Replaces every `{{field}}` with its value (an absent value, such as `entity_id` of a system event or the `error`
 * of a run that succeeded, with nothing). Values are inserted as they are: the output is plain text, not HTML.
 *
 * @example
 * renderTemplate('{{system_id}} {{layer}}: {{status}}', { system_id: 'TST01', layer: 'bronze', status: 'failed' })
 * // → 'TST01 bronze: failed'
 */
export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    if (!(TEMPLATE_FIELDS as readonly string[]).includes(name)) return whole;
    return values[name as TemplateField] ?? '';
  });
}

/** What of a platform event a template can show (the shape both event kinds share, counts as numbers). */
export interface TemplateEvent {
  readonly event: string;
  readonly system_id?: string | null | undefined;
  readonly entity_id?: string | null | undefined;
  readonly layer?: string | null | undefined;
  readonly status: string;
  readonly batch_id: string;
  readonly batch_timestamp: string;
  readonly run_id: string;
  readonly finished_at?: string | null | undefined;
  readonly error?: string | null | undefined;
  readonly counts?: Readonly<Record<string, number>> | undefined;
}

/**
 * The template values of an event: its fields as text, `counts` as `records_in=12, records_rejected=12` (the non-zero
 * counts; `0` for none), and `dashboard_link`, the dashboard's URL (when the action gives one) showing the event's
 * system (`?system_id=TST01`).
 */
export function eventTemplateValues(event: TemplateEvent, extra: { readonly action_id: string; readonly dashboard_url?: string | undefined }): TemplateValues {
  return {
    event: event.event,
    system_id: event.system_id ?? undefined,
    entity_id: event.entity_id ?? undefined,
    layer: event.layer ?? undefined,
    status: event.status,
    batch_id: event.batch_id,
    batch_timestamp: event.batch_timestamp,
    run_id: event.run_id,
    finished_at: event.finished_at ?? undefined,
    error: event.error ?? undefined,
    counts: formatCounts(event.counts),
    dashboard_link: dashboardLink(extra.dashboard_url, event.system_id ?? undefined),
    action_id: extra.action_id,
  };
}

function formatCounts(counts: Readonly<Record<string, number>> | undefined): string | undefined {
  if (counts === undefined) return undefined;
  const nonZero = Object.entries(counts).filter(([, value]) => value !== 0);
  return nonZero.length === 0 ? '0' : nonZero.map(([name, value]) => `${name}=${value}`).join(', ');
}

function dashboardLink(dashboardUrl: string | undefined, systemId: string | undefined): string | undefined {
  if (dashboardUrl === undefined) return undefined;
  if (systemId === undefined) return dashboardUrl;
  const url = new URL(dashboardUrl);
  url.searchParams.set('system_id', systemId);
  return url.toString();
}
