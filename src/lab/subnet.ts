/** The labs' one /24 (the keepalived, Pacemaker, Heartbeat and Gluster labs all use it): shared node plumbing. */
import {HachaosError} from '../errors.js'

/** Parse `A.B.C.0/24`; the lab uses one /24 (host octets fixed above). */
export function parseSubnet(cidr: string): {network: string; base: string; prefixLen: number} {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.0\/24$/.exec(cidr.trim())
  if (m === null || [m[1], m[2], m[3]].some((o) => Number(o) > 255)) {
    throw new HachaosError(`"${cidr}" is not an IPv4 /24 such as 10.66.0.0/24`, {
      code: 'E_BAD_SUBNET',
      exit: 'USAGE',
      suggestions: ['pass --subnet A.B.C.0/24 with a private range (10.x, 172.16-31.x, 192.168.x)'],
    })
  }
  const base = `${m[1]}.${m[2]}.${m[3]}`
  return {network: `${base}.0`, base, prefixLen: 24}
}
