import { describe, expect, it } from 'vitest';
import { createLogger, redactSecrets, REDACTED } from '../../../shared/log.ts';

/** A logger that keeps its lines. */
function capture(bindings: Record<string, unknown> = {}): { log: ReturnType<typeof createLogger>; text: () => string } {
  const lines: string[] = [];
  return { log: createLogger(bindings, { write: (line: string) => void lines.push(line) }), text: () => lines.join('') };
}

describe('log redaction', () => {
  it('censors secret-named string fields at any depth, in any case and spelling, and keeps the rest', () => {
    const value = {
      system_id: 'NSC01',
      connection: { base_url: 'https://ns.example', api_secret: 's1', Access_Token: 's2', nested: [{ 'X-Vault-Token': 's3' }, { password: 's4' }] },
      headers: { Authorization: 'Bearer s5', 'x-bunq-client-authentication': 's6', cookie: 's7', 'API-Key': 's8' },
      webhook: { signing_secret: 's9', private_key_pem: 's10' },
      session_timeout: 600,
      token_count: 3,
    };
    expect(redactSecrets(value)).toEqual({
      system_id: 'NSC01',
      connection: { base_url: 'https://ns.example', api_secret: REDACTED, Access_Token: REDACTED, nested: [{ 'X-Vault-Token': REDACTED }, { password: REDACTED }] },
      headers: { Authorization: REDACTED, 'x-bunq-client-authentication': REDACTED, cookie: REDACTED, 'API-Key': REDACTED },
      webhook: { signing_secret: REDACTED, private_key_pem: REDACTED },
      session_timeout: 600,
      token_count: 3,
    });
  });

  it('censors the password of a URL in any string, error messages and stacks included', () => {
    const error = new Error('connect ECONNREFUSED postgres://dataplatform:hunter2@db.lan:5432/dataplatform', {
      cause: new Error('mongodb://root:s3cret@mongo:27017/?authSource=admin'),
    });
    const text = JSON.stringify(redactSecrets({ err: error, note: 'see amqp://u:p4ss@q/' }));
    expect(text).not.toMatch(/hunter2|s3cret|p4ss/);
    expect(text).toContain(`postgres://dataplatform:${REDACTED}@db.lan:5432`);
    expect(text).toContain('"type":"Error"');
  });

  it('keeps an error’s own fields, censoring the secret ones, and survives cycles and depth', () => {
    const error = Object.assign(new Error('refused'), { status: 401, token: 'abc', request: { headers: { authorization: 'Basic x' } } });
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = { secret: 'bottom' };
    for (let i = 0; i < 20; i += 1) deep = { deeper: deep };
    const redacted = redactSecrets({ error, cyclic, deep }) as Record<string, Record<string, unknown>>;
    expect(redacted.error).toMatchObject({ message: 'refused', status: 401, token: REDACTED, request: { headers: { authorization: REDACTED } } });
    expect(redacted.cyclic).toEqual({ name: 'loop', self: '[circular]' });
    expect(JSON.stringify(redacted.deep)).toContain('[too deep]');
  });

  it('writes no secret through a logger: fields, child bindings and a logged error', () => {
    const { log, text } = capture({ function: 'bronze', vault_token: 'bound-secret' });
    log.child({ connection: { api_key: 'child-secret' } }).error(
      { err: new Error('login failed for https://user:url-secret@ns.example/api'), Password: 'field-secret' },
      'call failed',
    );
    const output = text();
    expect(output).toContain('"msg":"call failed"');
    expect(output).not.toMatch(/bound-secret|child-secret|url-secret|field-secret/);
    expect(output).toContain(`"Password":"${REDACTED}"`);
  });
});
