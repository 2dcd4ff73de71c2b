import type { Db } from 'mongodb';
import { createLandingStore, type LandingStore } from '../../adapters/mongo/landing-store.ts';
import type { FunctionDeps } from '../../runtime/function-deps.ts';
import { loadLandingConfig } from '../landing/landing-config.ts';

const stores = new WeakMap<Db, LandingStore>();

/**
 * The landing store bronze reads (database `LANDING_DB`, default `landing`), one per database for the life of
 * the process: the store remembers which collections it has indexed, so later calls skip that round trip.
 */
export async function bronzeLandingStore(deps: Pick<FunctionDeps, 'mongo'>, database: string = loadLandingConfig().database): Promise<LandingStore> {
  const db = (await deps.mongo()).db(database);
  let store = stores.get(db);
  if (!store) {
    store = createLandingStore(db);
    stores.set(db, store);
  }
  return store;
}
