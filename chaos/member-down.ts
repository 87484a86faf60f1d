import {z} from 'zod'

import {HachaosError} from '../src/errors.js'
import {VM_MAIN} from '../src/exec/vm.js'
import type {FaultDefinition, FaultEnv, FaultPlan, HostRef} from '../src/fault/types.js'
import {guestQemuFacts} from '../src/lab/bond/trial.js'

const IFNAME = /^[A-Za-z0-9_.:@-]{1,15}$/

const Params = z
  .object({
    member: z.string().regex(IFNAME, 'an interface name').optional(),
    bond: z.string().regex(IFNAME, 'an interface name').optional(),
  })
  .strict()
type P = z.output<typeof Params>

/** The machine running hachaos (QEMU's monitor socket lives here). */
export const LOCAL_REF: HostRef = {name: 'localhost', entry: {address: '127.0.0.1', via: 'local', roles: [], services: 'none', facts: {}}}

/** QEMU facts of a bond-lab guest: parsed where the bond trial lives (src/lab/bond/trial.ts), one reader. */
export {guestQemuFacts as qemuFacts, type QemuLinkFacts} from '../src/lab/bond/trial.js'

export function setLinkArgv(monitor: string, netdev: string, up: boolean): string[] {
  return [process.execPath, VM_MAIN, 'set-link', monitor, netdev, up ? 'on' : 'off']
}

/**
 * A bond member loses its link: QEMU's `set_link NETDEV off`, a cable pull the guest sees as carrier loss
 * (unlike downing the host tap, which only the ARP monitor notices). Revert: `set_link NETDEV on`.
 */
export const memberDown: FaultDefinition<P> = {
  kind: 'member-down',
  summary: 'Pull the cable of one bond member (QEMU set_link off; revert: on). Bond lab guests only.',
  stacks: ['bond'],
  params: Params,
  paramHelp: {member: 'member interface in the guest (default: the active member)', bond: 'bond interface (default: facts.bond, else bond0)'},
  async plan(p: P, env: FaultEnv): Promise<FaultPlan> {
    const q = guestQemuFacts(env.target.facts)
    if (q === null) {
      throw new HachaosError(`${env.target.name} is not a QEMU guest of the bond lab (no facts.qemu_monitor / qemu_netdevs)`, {
        code: 'E_NOT_A_VM',
        exit: 'USAGE',
        where: env.target.name,
        suggestions: ['on a real host, down the member with the nic-down fault (--interface eth0): note the bond then sees an admin-down, not a lost carrier'],
      })
    }
    const bond = p.bond ?? (typeof env.target.facts.bond === 'string' ? env.target.facts.bond : 'bond0')
    const slaves = await env.exec.run(['cat', `/sys/class/net/${bond}/bonding/slaves`])
    if (slaves.code !== 0) throw new HachaosError(`${env.target.name} has no bond ${bond}`, {code: 'E_NO_BOND', exit: 'USAGE', where: env.target.name})
    const members = slaves.stdout.trim().split(/\s+/).filter((x) => x !== '')
    let member = p.member
    if (member === undefined) {
      const a = await env.exec.run(['cat', `/sys/class/net/${bond}/bonding/active_slave`])
      member = a.stdout.trim() || members[0]
    }
    if (member === undefined || !members.includes(member)) {
      throw new HachaosError(`${member ?? '(none)'} is not a member of ${bond} on ${env.target.name} (members: ${members.join(', ') || 'none'})`, {code: 'E_USAGE', exit: 'USAGE', where: env.target.name})
    }
    const netdev = q.netdevs[member]
    if (netdev === undefined) throw new HachaosError(`no QEMU netdev is known for ${member}`, {code: 'E_USAGE', exit: 'USAGE', where: env.target.name, suggestions: [`known: ${Object.keys(q.netdevs).join(', ')}`]})
    const warnings = members.length < 2 ? [`${bond} has one member: pulling it takes the bond down`] : []
    return {
      kind: 'member-down',
      target: env.target.name,
      summary: `pull ${member}'s cable on ${env.target.name} (QEMU set_link ${netdev} off)`,
      effect: 'member-down',
      params: {member, bond, netdev, monitor: q.monitor},
      inject: [{type: 'exec', host: LOCAL_REF, argv: setLinkArgv(q.monitor, netdev, false), what: `set_link ${netdev} off (${member} on ${env.target.name})`}],
      revert: [{type: 'exec', host: LOCAL_REF, argv: setLinkArgv(q.monitor, netdev, true), what: `set_link ${netdev} on (${member} on ${env.target.name})`}],
      warnings,
    }
  },
}
