import { execFileSync } from 'node:child_process';
import { ROOT } from './delivery-tools.ts';

/** Installs the delivery tools once before the files run (seconds when cached; dev/services/delivery.sh). */
export default function setup(): void {
  execFileSync('bash', ['dev/services.sh', 'tools'], { cwd: ROOT, stdio: 'inherit' });
}
