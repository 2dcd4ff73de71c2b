import type { Pool } from '../../adapters/postgres/pool.ts';
import type { GatewayClient } from '../../adapters/gateway/gateway-client.ts';
import type { ConnectorStateStore } from '../../adapters/mongo/connector-state-store.ts';
import type { LandingStore } from '../../adapters/mongo/landing-store.ts';
import { createHash } from 'node:crypto';
import { ConflictError, InvalidPayloadError } from '../../errors.ts';
import type { FunctionEvent } from '../../handler.ts';
import type { Logger } from '../../log.ts';
import type { LoadedMetadata, MetadataLoader } from '../../metadata/metadata-loader.ts';
import { SystemId } from '../../metadata/identifier.ts';
import { answerOutcome, type Outcome, type OutcomeAnswer } from '../../runtime/outcome.ts';
import { claimWebhookPush, finishWebhookPush } from '../../runs/webhook-pushes.ts';
import { landSystem } from '../landing/land-system.ts';
import { announcePull } from './announce-pull.ts';
import { authenticateWebhookCall, type WebhookTarget } from './webhook-auth.ts';
import { checkBodySize, readPullBody, readPushedRecords } from './webhook-body.ts';
import { MethodNotAllowedError } from './webhook-errors.ts';
import { pushedRecordsConnector } from './pushed-records-connector.ts';

/** What the webhook needs, each made on first use (a refused call touches no database). */
export interface WebhookDeps {
  readonly metadata: () => Promise<Pick<MetadataLoader, 'load' | 'loadSystem' | 'loadWebhook'>>;
  readonly state: () => Promise<ConnectorStateStore>;
  readonly pool: () => Promise<Pool>;
  readonly landing: () => Promise<LandingStore>;
  readonly gateway: () => GatewayClient;
  readonly log: Logger;
  readonly callId: string | undefined;
  readonly now: () => Date;
  /** The function's timeout (push landings are audited like any landing). */
  readonly timeoutSeconds: number;
}

/** How long a landed push counts: the same push again within this is answered as a duplicate (docs/security.md). */
export const PUSH_REPLAY_WINDOW_SECONDS = 24 * 60 * 60;

/** A caller's `Idempotency-Key` names a push (else the body's SHA-256 does); longer keys are refused. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/**
 * Handles a call to `/function/webhook/<system id>` (docs/connectors/webhook.md). In order: POST only (405); the
 * caller authenticated as the system's `webhook` block says, with only that block's secrets fetched (401, the same
 * for a system that does not exist or has no webhook); the body size (413), its content type (415) and shape (400);
 * nothing is stored before all of them pass. Then:
 * - `pull`: a landing of the system is announced (outbox, then the gateway's async route) and the call is answered
 *   202 at once; the pushed object is never landed, the connector reads the source itself;
 * - `push`: the push is claimed by its key (replays within a day answer `duplicate` and land nothing), then its
 *   records are landed as a batch of their own through `landSystem`, with the same audit rows and bronze calls as a
 *   scheduled landing (only the entities that read the pushed landing entity are chained).
 */
export async function handleWebhook(event: Pick<FunctionEvent, 'method' | 'path' | 'headers' | 'query' | 'rawBody' | 'body'>, deps: WebhookDeps): Promise<OutcomeAnswer> {
  if (event.method !== 'POST') throw new MethodNotAllowedError(`webhook accepts POST, not ${event.method}`);
  const named = /^\/?([^/]*)\/?$/.exec(event.path)?.[1] ?? '';
  const systemId = SystemId.safeParse(named).success ? named : '(none)';
  const loader = await deps.metadata();
  const target = systemId === '(none)' ? undefined : await loader.loadWebhook(systemId);
  const log = deps.log.child({ system_id: systemId, ...(target ? { webhook_mode: target.webhook.mode } : {}) });
  await authenticateWebhookCall(event, systemId, target, { state: deps.state, log });
  const { system, webhook: settings } = target as WebhookTarget;
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
  const push = { system_id: systemId, push_key: pushKey(event) };
  const pool = await deps.pool();
  const claim = await claimWebhookPush(pool, { ...push, call_id: deps.callId }, { windowSeconds: PUSH_REPLAY_WINDOW_SECONDS, staleAfterSeconds: deps.timeoutSeconds });
  if (claim.kind === 'duplicate') {
    log.info({ batch_id: claim.batch_id }, 'webhook push already landed; answered as a duplicate');
    return { httpStatus: 200, body: { status: 'duplicate', system_id: systemId, batch_id: claim.batch_id, received_at: claim.received_at.toISOString() } };
  }
  if (claim.kind === 'in_progress') throw new ConflictError(`the same push to ${systemId} is being landed now; send it again later`);
  const landingEntity = settings.landing_entity as string; // the schema requires it for push
  let outcome: Outcome;
  try {
    outcome = await landSystem(
      { system_id: systemId, force: false, options: {} },
      {
        pool,
        landing: await deps.landing(),
        metadata: onlyEntitiesOf(loader, systemId, landingEntity),
        connectors: { [system.type]: pushedRecordsConnector(system.type, landingEntity, records) },
        log,
        callId: deps.callId,
        timeoutSeconds: deps.timeoutSeconds,
        now: deps.now,
      },
    );
  } catch (error) {
    await finishWebhookPush(pool, push, { status: 'failed', batch_id: null });
    throw error;
  }
  const batchId = typeof outcome.batch_id === 'string' ? outcome.batch_id : null;
  await finishWebhookPush(pool, push, { status: outcome.status === 'failed' ? 'failed' : 'succeeded', batch_id: batchId });
  // answerOutcome answers a success or a skip with its facts as they are, so the pushed count joins them first
  return answerOutcome(outcome.status === 'failed' ? outcome : { ...outcome, records: records.length }, deps.callId);
}

/** The key of a push: the caller's `Idempotency-Key` header, else the SHA-256 of its body. */
function pushKey(event: Pick<FunctionEvent, 'headers' | 'rawBody'>): string {
  const given = event.headers['idempotency-key'];
  if (given !== undefined && given !== '') {
    if (!IDEMPOTENCY_KEY.test(given)) throw new InvalidPayloadError('Idempotency-Key: 1 to 200 visible ASCII characters');
    return `key:${given}`;
  }
  return `sha256:${createHash('sha256').update(event.rawBody).digest('hex')}`;
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
