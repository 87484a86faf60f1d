/**
 * Copy a bond's files into a directory tree (`DIR/proc/net/bonding/BOND`, `DIR/sys/class/net/…`) that
 * `--root DIR` reads back: offline analysis of someone else's bond, and the test fixtures.
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {HachaosError} from '../errors.js'
import type {BondFs} from './fs.js'

export const IFACE_ATTRS = ['address', 'operstate', 'carrier', 'speed', 'duplex', 'mtu', 'ifindex'] as const

export interface CaptureResult {
  bond: string
  members: string[]
  files: string[]
}

export async function captureBondTree(fs: BondFs, bond: string, outDir: string, meta: Record<string, unknown> = {}): Promise<CaptureResult> {
  const net = '/sys/class/net'
  const first = await fs.batch({files: [`/proc/net/bonding/${bond}`, `${net}/${bond}/bonding/slaves`]})
  if (first.files.get(`/proc/net/bonding/${bond}`) == null) {
    throw new HachaosError(`no bond ${bond} on ${fs.where} (/proc/net/bonding/${bond} is missing)`, {code: 'E_NO_BOND', exit: 'USAGE', where: fs.where, suggestions: ['list the bonds: cat /sys/class/net/bonding_masters']})
  }
  const members = (first.files.get(`${net}/${bond}/bonding/slaves`) ?? '').trim().split(/\s+/).filter((x) => x !== '')
  const ifaces = [bond, ...members]
  const dirs = [...members.map((m) => `${net}/${m}/bonding_slave`), ...ifaces.map((i) => `${net}/${i}/statistics`)]
  const paths = [`/proc/net/bonding/${bond}`, '/proc/net/dev', `${net}/bonding_masters`]
  for (const i of ifaces) for (const a of IFACE_ATTRS) paths.push(`${net}/${i}/${a}`)
  const got = await fs.batch({files: paths, dumps: [`${net}/${bond}/bonding`, ...dirs]})
  const written: string[] = []
  for (const [p, v] of got.files) {
    if (v === null) continue
    const f = join(outDir, p)
    mkdirSync(dirname(f), {recursive: true})
    writeFileSync(f, v)
    written.push(p)
  }
  writeFileSync(join(outDir, 'capture.json'), `${JSON.stringify({bond, members, capturedAt: new Date().toISOString(), from: fs.where, ...meta}, null, 2)}\n`)
  return {bond, members, files: written.sort()}
}
