import { MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { toMongoError } from '../../../../shared/adapters/mongo/mongo-client.ts';
import { UpstreamUnavailableError } from '../../../../shared/errors.ts';

const serverError = (message: string, code?: number): MongoServerError => new MongoServerError({ message, ...(code === undefined ? {} : { code }) });

describe('MongoDB errors', () => {
  it.each([
    ['FerretDB whose PostgreSQL shuts down', serverError('[msg_find.go:344] FATAL: terminating connection due to administrator command (SQLSTATE 57P01)')],
    ['FerretDB that cannot reach PostgreSQL', serverError('failed to connect to `user=dataplatform database=ferretdb`: server error: FATAL: the database system is shutting down (SQLSTATE 57P03)')],
    ['MongoDB shutting down', serverError('interrupted at shutdown', 11_600)],
    ['a stepped-down primary', serverError('not primary', 10_107)],
  ])('reads %s as unavailable (503, retryable), without the URL', (_case, error) => {
    const mapped = toMongoError(error, 'reading metadata');
    expect(mapped).toBeInstanceOf(UpstreamUnavailableError);
    expect((mapped as UpstreamUnavailableError).message).toBe('MongoDB (or its storage) unavailable while reading metadata');
  });

  it('passes other server errors on (a bug or bad data is not an outage)', () => {
    const duplicate = serverError('E11000 duplicate key error', 11_000);
    expect(toMongoError(duplicate, 'writing')).toBe(duplicate);
  });
});
