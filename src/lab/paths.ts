import {join} from 'node:path'

/**
 * Where labs keep their files: under /run (tmpfs), which vanishes with the namespaces on reboot.
 * HACHAOS_LAB_ROOT moves it (tests); HACHAOS_LAB_PREFIX names the namespaces (default "hc"), so two
 * labs of the same topology can run side by side on one machine.
 */
export function labRoot(): string {
  return process.env['HACHAOS_LAB_ROOT'] ?? '/run/hachaos/labs'
}

export const PREFIX_RE = /^[a-z][a-z0-9]{0,5}$/

export function labPrefix(): string {
  return process.env['HACHAOS_LAB_PREFIX'] ?? 'hc'
}

export function labDir(prefix: string, topology: string): string {
  return join(labRoot(), `${prefix}-${topology}`)
}

export function stateFile(prefix: string, topology: string): string {
  return join(labDir(prefix, topology), 'state.json')
}

export function inventoryFile(prefix: string, topology: string): string {
  return join(labDir(prefix, topology), 'inventory.yaml')
}
