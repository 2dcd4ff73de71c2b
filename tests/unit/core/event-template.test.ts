import { describe, expect, it } from 'vitest';
import { eventTemplateValues, renderTemplate, templatePlaceholders, unknownPlaceholders } from '../../../shared/core/event-template.ts';
import { Action } from '../../../shared/metadata/action-schema.ts';

const failedBronze = {
  event: 'entity-layer-processed',
  layer: 'bronze',
  system_id: 'TST01',
  entity_id: 'test_customer',
  batch_id: '01900000-0000-7000-8000-000000000001',
  batch_timestamp: '2025-01-01T06:00:00.000Z',
  status: 'failed',
  run_id: '01900000-0000-7000-8000-000000000002',
  finished_at: '2025-01-01T06:00:05.000Z',
  error: 'check key_unique failed',
  counts: { records_in: 12, records_inserted: 0, records_rejected: 12 },
};

describe('renderTemplate', () => {
  it.each([
    // a field by name, spaces inside the braces allowed
    ['{{system_id}}/{{ layer }}', 'TST01/bronze'],
    // an absent value renders as nothing
    ['[{{dashboard_link}}]', '[]'],
    // counts: the non-zero ones, in the event's order
    ['{{counts}}', 'records_in=12, records_rejected=12'],
    // a name that is not a field stays as written (metadata validation refuses it before it gets here)
    ['{{password}}', '{{password}}'],
    // single braces and other text are not special
    ['{system_id} {{status}}!', '{system_id} failed!'],
  ])('renders %j as %j', (template, expected) => {
    expect(renderTemplate(template, eventTemplateValues(failedBronze, { action_id: 'a' }))).toBe(expected);
  });

  it('writes counts of zero as 0 and links the dashboard to the event system', () => {
    const values = eventTemplateValues(
      { ...failedBronze, counts: { records_in: 0 } },
      { action_id: 'email_failed', dashboard_url: 'http://homeserver.lan:8080/function/dashboard?refresh=0' },
    );
    expect(values.counts).toBe('0');
    expect(values.dashboard_link).toBe('http://homeserver.lan:8080/function/dashboard?refresh=0&system_id=TST01');
    expect(values.action_id).toBe('email_failed');
  });
});

describe('templatePlaceholders', () => {
  it('lists each placeholder once, in order, and names the unknown ones', () => {
    const template = '{{status}} {{sytem_id}} {{status}} {{ error }}';
    expect(templatePlaceholders(template)).toEqual(['status', 'sytem_id', 'error']);
    expect(unknownPlaceholders(template)).toEqual(['sytem_id']);
  });

  it('makes actions.json refuse an email template with an unknown field', () => {
    const parsed = Action.safeParse({
      id: 'email_typo',
      type: 'email',
      on: { event: 'entity-layer-processed' },
      settings: { smtp: { host: 'mail.lan' }, from: 'dp@example.test', to: ['me@example.test'], subject: '{{sytem_id}} failed' },
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)).toEqual([
      'settings.subject: unknown placeholder {{sytem_id}} (docs/actions.md lists the fields)',
    ]);
  });
});
