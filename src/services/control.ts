import {HachaosError} from '../errors.js'
import type {Executor} from '../exec/types.js'
import type {InventoryHost} from '../inventory/inventory.js'
import {canonicalService, labDaemon, labDaemonPids, startLabDaemon, stopLabDaemon} from '../lab/services.js'
import {readLabState} from '../lab/state.js'
import {waitFor} from '../lab/netns-ops.js'

/** Starts and stops daemons on one host: systemd where it runs, the lab's own control in the lab. */
export interface ServiceControl {
  readonly kind: 'systemd' | 'lab'
  start(service: string): Promise<void>
  stop(service: string): Promise<void>
  isRunning(service: string): Promise<boolean>
  /** The commands it would run, for --dry-run. */
  describe(op: 'start' | 'stop', service: string): string[]
}

class SystemdControl implements ServiceControl {
  readonly kind = 'systemd' as const
  constructor(private readonly exec: Executor) {}

  private async systemctl(args: string[]): Promise<void> {
    const r = await this.exec.run(['systemctl', ...args], {timeoutMs: 90_000})
    if (r.code !== 0) {
      throw new HachaosError(`systemctl ${args.join(' ')} failed on ${this.exec.host}: ${r.stderr.trim()}`, {
        code: 'E_SERVICE',
        exit: 'HOST',
        where: this.exec.host,
        suggestions: [`look at: journalctl -u ${args[args.length - 1] ?? ''} on ${this.exec.host}`],
      })
    }
  }

  start(service: string): Promise<void> {
    return this.systemctl(['start', service])
  }

  stop(service: string): Promise<void> {
    return this.systemctl(['stop', service])
  }

  async isRunning(service: string): Promise<boolean> {
    const r = await this.exec.run(['systemctl', 'is-active', '--quiet', service])
    return r.code === 0
  }

  describe(op: 'start' | 'stop', service: string): string[] {
    return [this.exec.command(['systemctl', op, service]).join(' ')]
  }
}

class LabControl implements ServiceControl {
  readonly kind = 'lab' as const
  constructor(
    private readonly stateFile: string,
    private readonly node: string,
  ) {}

  private daemon(service: string): ReturnType<typeof labDaemon> {
    const st = readLabState(this.stateFile)
    if (st === null) {
      throw new HachaosError(`the lab is not up (no ${this.stateFile})`, {code: 'E_LAB_DOWN', exit: 'HOST', where: this.node, suggestions: ['hachaos lab up']})
    }
    return labDaemon(st, this.node, service)
  }

  async start(service: string): Promise<void> {
    const d = this.daemon(service)
    await startLabDaemon(d)
    const ok = await waitFor(async () => ((await labDaemonPids(d)).length > 0 ? true : undefined), 5000, 50)
    if (ok === undefined) {
      throw new HachaosError(`${service} did not start on ${this.node}`, {code: 'E_SERVICE', exit: 'HOST', where: this.node, suggestions: [`see ${d.log}`]})
    }
  }

  async stop(service: string): Promise<void> {
    await stopLabDaemon(this.daemon(service))
  }

  async isRunning(service: string): Promise<boolean> {
    return (await labDaemonPids(this.daemon(canonicalService(service)))).length > 0
  }

  describe(op: 'start' | 'stop', service: string): string[] {
    try {
      const d = this.daemon(service)
      return op === 'start' ? [`(lab) ${d.ns === null ? '' : `ip netns exec ${d.ns} `}${d.argv.join(' ')}`] : [`(lab) SIGTERM every ${d.comm} in ${d.ns ?? this.node}`]
    } catch {
      return [`(lab) ${op} ${service} on ${this.node}`]
    }
  }
}

/**
 * The service control for a host: from its inventory entry (`services:`), `auto` meaning systemd when
 * /run/systemd/system exists on the host.
 */
export async function serviceControlFor(host: InventoryHost, exec: Executor, labStateFile: string | undefined): Promise<ServiceControl> {
  const mode = host.services
  if (mode === 'lab') {
    if (labStateFile === undefined) {
      throw new HachaosError(`${host.name} says services: lab, but the inventory names no lab`, {code: 'E_INVENTORY', exit: 'BAD_INPUT', where: host.name, suggestions: ['use services: systemd for real hosts']})
    }
    return new LabControl(labStateFile, host.name)
  }
  if (mode === 'none') {
    throw new HachaosError(`${host.name} has services: none: hachaos may not start or stop daemons there`, {code: 'E_NO_SERVICE_CONTROL', exit: 'USAGE', where: host.name, suggestions: ['set services: systemd in the inventory, or pick a kill fault']})
  }
  if (mode === 'auto') {
    const r = await exec.run(['test', '-d', '/run/systemd/system'])
    if (r.code !== 0) {
      throw new HachaosError(`${host.name} does not run systemd, and no other service control is configured`, {code: 'E_NO_SERVICE_CONTROL', exit: 'ENVIRONMENT', where: host.name, suggestions: ['set services: lab (lab hosts) or use a kill fault']})
    }
  }
  return new SystemdControl(exec)
}
