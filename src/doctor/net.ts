/** Small IPv4/IPv6 address helpers for the rules (no dependency needed for this much). */

export function ipv4ToInt(a: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a)
  if (m === null) return undefined
  const o = [m[1], m[2], m[3], m[4]].map(Number)
  if (o.some((x) => x > 255)) return undefined
  return (((o[0] ?? 0) << 24) >>> 0) + ((o[1] ?? 0) << 16) + ((o[2] ?? 0) << 8) + (o[3] ?? 0)
}

/** The network of an IPv4 address under a prefix length, as "a.b.c.d/n"; undefined for IPv6/garbage. */
export function ipv4Network(a: string, prefixLen: number): string | undefined {
  const n = ipv4ToInt(a)
  if (n === undefined || prefixLen < 0 || prefixLen > 32) return undefined
  const mask = prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0
  const net = (n & mask) >>> 0
  return `${[net >>> 24, (net >>> 16) & 255, (net >>> 8) & 255, net & 255].join('.')}/${prefixLen}`
}

/** Normalise an address for comparison: lower case, IPv6 brackets and zone dropped. */
export function normAddr(a: string): string {
  return a.replace(/^\[|\]$/g, '').replace(/%.*$/, '').toLowerCase()
}

/** True for wildcard binds (`*`, empty, 0.0.0.0, ::). */
export function isWildcard(a: string): boolean {
  const n = normAddr(a).replace(/^ipv[46]@/, '')
  return n === '' || n === '*' || n === '0.0.0.0' || n === '::'
}
