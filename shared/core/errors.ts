/**
 * Errors raised by pure core code. They extend the platform errors of `shared/errors.ts`, so the template's
 * server maps them to a status like any other; their facts are fields, for audit rows and tests.
 */
import { DataRejectedError } from '../errors.ts';

/**
 * Two source fields (or a source field and a column a processor adds) land on one column name that the model
 * reads. Never resolved silently: the model column names the field it means with an exact `$.` source path.
 */
export class ColumnCollisionError extends DataRejectedError {
  constructor(
    /** The column name both map to. */
    readonly column: string,
    /** The two colliding source paths (dotted, or a processor column's description). */
    readonly paths: readonly [string, string],
    /** The entity being processed, when known. */
    readonly entity?: string,
  ) {
    super(
      `${entity === undefined ? '' : `entity ${entity}: `}source fields ${paths[0]} and ${paths[1]} both map to column ${column}; ` +
        'read the one you mean through an exact source path ("$.key.path") in the model',
    );
  }
}
