/**
 * `/system/secrets`: one file per secret and namespace (faasd keeps them in
 * `/var/lib/faasd-provider/secrets/<namespace>/<name>`), mode 0600. A replica sees the secrets its deployment lists as
 * files of its own secrets folder.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** A secret request the store refuses: `status` is the HTTP status the provider answers with. */
export class SecretError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class SecretStore {
  constructor(private readonly dir: string) {}

  #file(namespace: string, name: string): string {
    return path.join(this.dir, namespace, name);
  }

  async list(namespace: string): Promise<string[]> {
    const entries = await readdir(path.join(this.dir, namespace)).catch(() => []);
    return entries.sort();
  }

  /** Creates (`replace` false: 409 when it exists) or replaces (`replace` true: 404 when it does not) a secret. */
  async write(namespace: string, name: string, value: Buffer, replace: boolean): Promise<void> {
    const file = this.#file(namespace, name);
    const exists = existsSync(file);
    if (!replace && exists) throw new SecretError(409, `secret ${name} already exists in namespace ${namespace}`);
    if (replace && !exists) throw new SecretError(404, `secret ${name} not found in namespace ${namespace}`);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, value, { mode: 0o600 });
  }

  async remove(namespace: string, name: string): Promise<void> {
    const file = this.#file(namespace, name);
    if (!existsSync(file)) throw new SecretError(404, `secret ${name} not found in namespace ${namespace}`);
    await rm(file);
  }

  async removeNamespace(namespace: string): Promise<void> {
    await rm(path.join(this.dir, namespace), { recursive: true, force: true });
  }

  /** Fails like faasd's deploy when a listed secret is missing: `unable to find secret: NAME`. */
  async check(namespace: string, names: readonly string[]): Promise<void> {
    for (const name of names) {
      if (!existsSync(this.#file(namespace, name))) throw new SecretError(400, `unable to find secret: ${name}`);
    }
  }

  /** Links the listed secrets into a replica's own folder, so it sees only those. */
  async mount(namespace: string, names: readonly string[], targetDir: string): Promise<void> {
    await this.check(namespace, names);
    await rm(targetDir, { recursive: true, force: true });
    await mkdir(targetDir, { recursive: true, mode: 0o700 });
    for (const name of names) await symlink(this.#file(namespace, name), path.join(targetDir, name));
  }
}
