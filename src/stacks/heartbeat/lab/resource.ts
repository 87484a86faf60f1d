/**
 * Which service a Heartbeat lab's haresources runs after its address (`lab status` shows it): the
 * resources of the group that are not an address (IPaddr, IPaddr2, IPsrcaddr or a bare dotted quad, which
 * Heartbeat reads as IPaddr). Pure: the caller reads the file.
 */
import {parseHaresources} from '../../../config/heartbeat.js'

export interface HaresourcesServices {
  /** The group line as written, without the preferred node (e.g. `IPaddr::10.71.0.100/24/eth0 apache2`); null: no group. */
  group: string | null
  /** The preferred node of the first group. */
  node: string | null
  /** Its resources that are services (`nginx`, `apache2`, `Filesystem::…` → Filesystem), in start order. */
  services: string[]
}

const ADDRESS_AGENTS = /^(IPaddr2?|IPsrcaddr)$/
const DOTTED_QUAD = /^\d{1,3}(\.\d{1,3}){3}(\/\d+)?$/

/** Throws HachaosError (BAD_INPUT, with file:line) on a malformed haresources, like parseHaresources. */
export function haresourcesServices(text: string, file: string): HaresourcesServices {
  const g = parseHaresources(text, {file}).groups[0]
  if (g === undefined) return {group: null, node: null, services: []}
  return {
    group: g.resources.map((r) => r.text).join(' '),
    node: g.node,
    services: g.resources.filter((r) => !ADDRESS_AGENTS.test(r.agent) && !DOTTED_QUAD.test(r.agent)).map((r) => r.agent),
  }
}
