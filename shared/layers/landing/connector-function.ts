import type { Db } from 'mongodb';
import { createLandingStore, type LandingStore } from '../../adapters/mongo/landing-store.ts';
import type { FunctionDefinition } from '../../runtime/define-function.ts';
import type { ConnectorRegistry } from './connector.ts';
import { landSystem, LandSystemRequest } from './land-system.ts';
import { loadLandingConfig } from './landing-config.ts';

const stores = new WeakMap<Db, LandingStore>();

/**
 * The definition of a connector function (`connector-jsonfile`, `connector-nightscout`, …): the landing use case
 * wired to the process's deps (pool, MongoDB, metadata) and to the connectors it serves. A handler is then
 * `export const handler = defineFunction(connectorFunctionDefinition('connector-jsonfile', { jsonfile: … }))`.
 */
export function connectorFunctionDefinition(name: string, connectors: ConnectorRegistry): FunctionDefinition<typeof LandSystemRequest> {
  return {
    name,
    layer: 'landing',
    request: LandSystemRequest,
    async run(request, call) {
      const config = loadLandingConfig();
      const db = (await call.deps.mongo()).db(config.database);
      let landing = stores.get(db);
      if (!landing) {
        landing = createLandingStore(db);
        stores.set(db, landing);
      }
      return landSystem(request, {
        pool: await call.deps.pool(),
        landing,
        metadata: await call.deps.metadataLoader(),
        connectors,
        log: call.log,
        callId: call.callId,
        timeoutSeconds: config.timeoutSeconds,
        now: () => call.deps.now(),
      });
    },
  };
}
