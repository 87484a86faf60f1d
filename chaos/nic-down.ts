import {z} from 'zod'

import {HachaosError} from '../src/errors.js'
import type {FaultDefinition, FaultEnv, FaultPlan} from '../src/fault/types.js'

const Params = z
  .object({
    interface: z.string().regex(/^[A-Za-z0-9_.:@][A-Za-z0-9_.:@-]{0,14}$/, 'an interface name (not starting with "-")').optional(),
  })
  .strict()
type P = z.output<typeof Params>

/** SSH_CONNECTION's value in `env` output ('' when absent). */
export function sshConnectionOf(envOut: string): string {
  return /^SSH_CONNECTION=(.*)$/m.exec(envOut)?.[1]?.trim() ?? ''
}

/**
 * Which interface carries our ssh session on the host (from SSH_CONNECTION's client address and the
 * host's route to it). Downing it would cut hachaos off the host it must repair.
 */
export async function sessionInterface(env: FaultEnv): Promise<string | null> {
  if (env.exec.kind !== 'ssh') return null
  const r = await env.exec.run(['printenv', 'SSH_CONNECTION'])
  let conn = r.code === 0 ? r.stdout.trim() : ''
  if (r.code !== 0) {
    // no printenv (Debian's busybox-static has none: the LVS lab's guest over ssh): `env`, which busybox has
    const e = await env.exec.run(['env'])
    conn = e.code === 0 ? sshConnectionOf(e.stdout) : ''
  }
  const client = conn.split(/\s+/)[0]
  if (client === undefined || client === '') return null
  const route = await env.exec.run(['ip', '-o', 'route', 'get', client])
  return / dev (\S+)/.exec(route.stdout)?.[1] ?? null
}

export const nicDown: FaultDefinition<P> = {
  kind: 'nic-down',
  summary: 'Set a network interface down on the target (revert: up). The node vanishes for its peers.',
  stacks: ['keepalived', 'pacemaker', 'haproxy', 'lvs', 'heartbeat', 'gluster'],
  params: Params,
  paramHelp: {interface: 'interface to down (default: the inventory fact "interface", else eth0)'},
  async plan(p: P, env: FaultEnv): Promise<FaultPlan> {
    const dev = p.interface ?? env.target.facts.interface ?? 'eth0'
    const exists = await env.exec.run(['ip', '-o', 'link', 'show', 'dev', dev])
    if (exists.code !== 0) {
      throw new HachaosError(`${env.target.name} has no interface ${dev}`, {
        code: 'E_NO_INTERFACE',
        exit: 'USAGE',
        where: env.target.name,
        suggestions: ['pass --interface NAME, or set facts.interface in the inventory'],
      })
    }
    const warnings: string[] = []
    const mgmt = env.target.facts.mgmt_interface ?? (await sessionInterface(env))
    if (mgmt !== null && mgmt !== undefined && mgmt === dev) {
      if (!env.force) {
        throw new HachaosError(`${dev} on ${env.target.name} carries hachaos's own ssh session: downing it would cut hachaos off before it can revert`, {
          code: 'E_MGMT_INTERFACE',
          exit: 'USAGE',
          where: env.target.name,
          suggestions: ['drill another interface (the VRRP one), or reach the host through a management network', 'add --force only if a console or out-of-band path can bring it back'],
        })
      }
      warnings.push(`${dev} carries the ssh session; forced: the revert depends on the host's own recovery`)
    }
    return {
      kind: 'nic-down',
      target: env.target.name,
      summary: `ip link set dev ${dev} down on ${env.target.name}`,
      // A web server that vanishes is a backend HAProxy must eject; a load balancer, a VRRP node loss.
      effect: env.target.roles.includes('web') && !env.target.roles.includes('lb') ? 'backend-loss' : 'node-loss',
      params: {interface: dev},
      inject: [{type: 'exec', host: env.ref, argv: ['ip', 'link', 'set', 'dev', dev, 'down'], what: `${dev} down on ${env.target.name}`}],
      revert: [{type: 'exec', host: env.ref, argv: ['ip', 'link', 'set', 'dev', dev, 'up'], what: `${dev} up on ${env.target.name}`}],
      warnings,
    }
  },
}
