/** node:os for the browser build: what modules read at load time or for messages. */
import { cpuCount } from '../../core/platform.ts';

export const EOL = '\n';

export function endianness(): 'LE' | 'BE' {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 'LE' : 'BE';
}

export function availableParallelism(): number {
  return cpuCount();
}

export function cpus(): { model: string }[] {
  return Array.from({ length: cpuCount() }, () => ({ model: 'browser' }));
}

export function platform(): string {
  return 'browser';
}

export function arch(): string {
  return 'wasm32';
}

export function tmpdir(): string {
  return '/tmp';
}

export function homedir(): string {
  return '/';
}

export function hostname(): string {
  return 'browser';
}

export function totalmem(): number {
  return 0;
}

export function loadavg(): number[] {
  return [0, 0, 0];
}

export default {
  EOL,
  endianness,
  availableParallelism,
  cpus,
  platform,
  arch,
  tmpdir,
  homedir,
  hostname,
  totalmem,
  loadavg,
};
