import type pg from 'pg';
import type { GatewayClient } from '../../adapters/gateway/gateway-client.ts';
import type { ConnectorStateStore } from '../../adapters/mongo/connector-state-store.ts';
import type { LandingStore } from '../../adapters/mongo/landing-store.ts';
import { NotFoundError } from '../../errors.ts';
import type { FunctionEvent } from '../../handler.ts';
import type { Logger } from '../../log.ts';
import type { LoadedMetadata, MetadataLoader } from '../../metadata/metadata-loader.ts';
import { SystemId } from '../../metadata/identifier.ts';
import type { Outcome } from '../../runtime/outcome.ts';
import { landSystem } from '../landing/land-system.ts';
import { announcePull } from './announce-pull.ts';
import { authenticateWebhookCall } from './webhook-auth.ts';
import { checkBodySize, readPullBody, readPushedRecords } from './webhook-body.ts';
import { MethodNotAllowedError } from './webhook-errors.ts';
import { pushedRecordsConnector } from './pushed-records-connector.ts';

/** What the webhook needs, each made on first use (a refused call touches no database). */
export interface WebhookDeps {
  readonly metadata: () => Promise<Pick<MetadataLoader, 'load' | 'loadSystem'>>;
  readonly state: () => Promise<ConnectorStateStore>;
  readonly pool: () => Promise<pg.Pool>;
  readonly landing: () => Promise<LandingStore>;
  readonly gateway: () => GatewayClient;
  readonly log: Logger;
  readonly callId: string | undefined;
  readonly now: () => Date;
  /** The function's timeout (push landings are audited like any landing). */
  readonly timeoutSeconds: number;
}

/** The webhook's answer: its HTTP status and JSON body. */
export interface WebhookAnswer {
  readonly httpStatus: number;
  readonly body: Readonly<Record<string, unknown>>;
}

/**
 * Handles a call to `/function/webhook/<system id>` (docs/connectors/webhook.md). In order: POST only (405), a
 * known system with a `webhook` block (404), the caller authenticated as the block says (401), the body size
 * (413), its content type (415) and shape (400); nothing is stored before all of them pass. Then:
 * - `pull`: a landing of the system is announced (outbox, then the gateway's async route) and the call is answered
 *   202 at once; the pushed object is never landed, the connector reads the source itself;
 * - `push`: the records are landed as a batch of their own through `landSystem`, with the same audit rows and
 *   bronze calls as a scheduled landing (only the entities that read the pushed landing entity are chained).
 */
export async function handleWebhook(event: Pick<FunctionEvent, 'method' | 'path' | 'headers' | 'query' | 'rawBody' | 'body'>, deps: WebhookDeps): Promise<WebhookAnswer> {
  if (event.method !== 'POST') throw new MethodNotAllowedError(`webhook accepts POST, not ${event.method}`);
  const systemId = /^\/?([^/]*)\/?$/.exec(event.path)?.[1] ?? '';
  if (!SystemId.safeParse(systemId).success) throw new NotFoundError('webhook URL names no system: call /function/webhook/<system id>');
  const loader = await deps.metadata();
  const declared = (await loader.load()).systems.find((system) => system.id === systemId);
  if (!declared?.webhook) throw new NotFoundError(`no webhook for system "${systemId}"`);
  const system = await loader.loadSystem(systemId);
  const settings = system.webhook;
  if (!settings) throw new NotFoundError(`no webhook for system "${systemId}"`);
  const log = deps.log.child({ system_id: systemId, webhook_mode: settings.mode });

  await authenticateWebhookCall(event, system, settings, { state: deps.state, log });
  checkBodySize(event, settings);

  if (settings.mode === 'pull') {
    const hint = readPullBody(event, settings);
    const pull = await announcePull(system, deps.callId, { pool: await deps.pool(), gateway: deps.gateway(), log, now: deps.now });
    return {
      httpStatus: 202,
      body: { status: 'accepted', system_id: systemId, batch_id: pull.batch_id, coalesced: pull.isCoalesced, delivered: pull.isDelivered, ...hint },
    };
  }

  const records = readPushedRecords(event);
  const landingEntity = settings.landing_entity as string; // the schema requires it for push
  const outcome: Outcome = await landSystem(
    { system_id: systemId, force: false, options: {} },
    {
      pool: await deps.pool(),
      landing: await deps.landing(),
      metadata: onlyEntitiesOf(loader, systemId, landingEntity),
      connectors: { [system.type]: pushedRecordsConnector(system.type, landingEntity, records) },
      log,
      call_id: deps.callId,
      timeout_seconds: deps.timeoutSeconds,
      now: deps.now,
    },
  );
  if (outcome.status === 'failed') {
    const { error, ...facts } = outcome;
    return { httpStatus: error.status, body: { ...facts, status: 'failed', error: error.code, message: error.message } };
  }
  return { httpStatus: 200, body: { ...outcome, records: records.length } };
}

/**
 * The metadata as a push landing sees it: of the system's bronze entities, only those that read the pushed landing
 * entity, so the batch opens and chains only them (a full-load entity of another landing entity must not see an
 * empty batch and close every key).
 */
function onlyEntitiesOf(loader: Pick<MetadataLoader, 'load' | 'loadSystem'>, systemId: string, landingEntity: string): Pick<MetadataLoader, 'load' | 'loadSystem'> {
  return {
    loadSystem: (id) => loader.loadSystem(id),
    async load(): Promise<LoadedMetadata> {
      const metadata = await loader.load();
      const entities = metadata.entities.filter(
        (entity) => entity.system_id !== systemId || entity.kind !== 'bronze_silver' || entity.landing_entity === landingEntity,
      );
      return { ...metadata, entities };
    },
  };
}
