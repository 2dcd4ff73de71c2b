import type { Db } from 'mongodb';
import { toMongoError } from './mongo-client.ts';

/** The MongoDB database that holds what connectors keep between calls (bunq's sealed session context). */
export const CONNECTOR_STATE_DATABASE = 'connector_state';

/**
 * What a connector keeps between calls for one system, opaque to the store: the connector seals anything secret
 * in it before it is written (bunq: `sealBunqContext`). One document per connector and system.
 */
export interface ConnectorStateStore {
  /** The stored state, or `undefined` when none was written. */
  read(connector: string, system_id: string): Promise<unknown>;
  /** Replaces the stored state. */
  write(connector: string, system_id: string, state: unknown): Promise<void>;
  /** Forgets the state (the connector starts over on its next call). */
  remove(connector: string, system_id: string): Promise<void>;
}

interface StateDocument {
  _id: string;
  connector: string;
  system_id: string;
  state: unknown;
  updated_at: Date;
}

/**
 * The connector state store on MongoDB or FerretDB, collection `connector_state` of `db`. `db` may be a function
 * that connects on first use, so a function module can make its store before the process has a MongoDB client.
 */
export function createConnectorStateStore(db: Db | (() => Promise<Db>)): ConnectorStateStore {
  let resolved: Promise<Db> | undefined;
  const database = (): Promise<Db> => {
    if (typeof db !== 'function') return Promise.resolve(db);
    resolved ??= db().catch((error: unknown) => {
      resolved = undefined; // MongoDB may be back on the next call
      throw error;
    });
    return resolved;
  };
  const collectionOf = async () => (await database()).collection<StateDocument>('connector_state');
  const key = (connector: string, system_id: string): string => `${connector}:${system_id}`;
  return {
    async read(connector, system_id) {
      try {
        const document = await (await collectionOf()).findOne({ _id: key(connector, system_id) });
        return document?.state;
      } catch (error) {
        throw toMongoError(error, `reading the ${connector} state of ${system_id}`);
      }
    },
    async write(connector, system_id, state) {
      try {
        await (await collectionOf()).replaceOne(
          { _id: key(connector, system_id) },
          { connector, system_id, state, updated_at: new Date() },
          { upsert: true },
        );
      } catch (error) {
        throw toMongoError(error, `writing the ${connector} state of ${system_id}`);
      }
    },
    async remove(connector, system_id) {
      try {
        await (await collectionOf()).deleteOne({ _id: key(connector, system_id) });
      } catch (error) {
        throw toMongoError(error, `removing the ${connector} state of ${system_id}`);
      }
    },
  };
}
