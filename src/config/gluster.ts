/**
 * `gluster volume info` (all volumes, or one): volume name, type, brick layout ("1 x 2 = 2",
 * "1 x (2 + 1) = 3", Gluster 3.x "1 x 2 x 2 = 4"), bricks (arbiter marked), options. Format from the
 * GlusterFS CLI (cli-rpc-ops.c, gf_cli_print_number_of_bricks).
 */
import {type Loc, configError, splitLines} from './common.js'

export interface GlusterBrick extends Loc {
  host: string
  path: string
  arbiter: boolean
}

export interface GlusterVolume extends Loc {
  name: string
  type: string
  status?: string
  /** Bricks per replica set (data bricks + arbiter), from "Number of Bricks". */
  replica?: number
  arbiterCount: number
  /** Number of distribute subvolumes (the N in "N x …"). */
  subvolumes: number
  /** Gluster 3.x striped-replicate: the S in "N x S x R = B" (replica sets per stripe). */
  stripe?: number
  brickCount: number
  numberOfBricksLine?: number
  /** The "Number of Bricks:" value as printed ("1 x 2 = 2", "1 x 2 x 2 = 4"). */
  numberOfBricksText?: string
  bricks: GlusterBrick[]
  /** "Thin-arbiter-path: HOST:/PATH" (Gluster 7+): a replica 2 volume with a thin arbiter for quorum. */
  thinArbiter?: Loc & {host: string; path: string}
  options: Record<string, string>
}

export interface GlusterInfo {
  file: string
  volumes: GlusterVolume[]
}

const WHAT = 'gluster volume info'

/** Parse `gluster volume info` output. Throws HachaosError (BAD_INPUT, file:line). */
export function parseGlusterVolumeInfo(text: string, opts: {file: string}): GlusterInfo {
  const file = opts.file
  const volumes: GlusterVolume[] = []
  let cur: GlusterVolume | undefined
  let inOptions = false
  const lines = splitLines(text)
  for (let i = 0; i < lines.length; i++) {
    const loc: Loc = {file, line: i + 1}
    const t = (lines[i] ?? '').trim()
    if (t === '') continue
    if (/^No volumes present/i.test(t)) continue
    const m = /^([^:]+):\s*(.*)$/.exec(t)
    if (m === null) throw configError(WHAT, loc, `cannot read "${t}"`, 'give the output of `gluster volume info`')
    const key = (m[1] ?? '').trim()
    const value = (m[2] ?? '').trim()
    if (key === 'Volume Name') {
      if (value === '') throw configError(WHAT, loc, '"Volume Name:" without a name', 'give the whole `gluster volume info` output')
      cur = {name: value, type: '', arbiterCount: 0, subvolumes: 1, brickCount: 0, bricks: [], options: {}, file, line: loc.line}
      volumes.push(cur)
      inOptions = false
      continue
    }
    if (cur === undefined) throw configError(WHAT, loc, `"${key}" before any "Volume Name:"`, 'give the whole `gluster volume info` output')
    if (inOptions) {
      cur.options[key] = value
      continue
    }
    switch (key) {
      case 'Type':
        cur.type = value
        break
      case 'Status':
        cur.status = value
        break
      case 'Number of Bricks': {
        cur.numberOfBricksLine = loc.line
        cur.numberOfBricksText = value
        // "1 x 2 = 2", "2 x (2 + 1) = 6", "1 x (4 + 2) = 6" (disperse: data + redundancy), or "3";
        // Gluster 3.x striped-replicate: "1 x 2 x 2 = 4" and "1 x 2 x (2 + 1) = 6" (distribute x stripe x replica)
        const sr = /^(\d+)\s*x\s*(\d+)\s*x\s*(?:(\d+)|\(\s*(\d+)\s*\+\s*(\d+)\s*\))\s*=\s*(\d+)$/.exec(value)
        const a = /^(\d+)\s*x\s*\(\s*(\d+)\s*\+\s*(\d+)\s*\)\s*=\s*(\d+)$/.exec(value)
        const b = /^(\d+)\s*x\s*(\d+)\s*=\s*(\d+)$/.exec(value)
        const c = /^(\d+)$/.exec(value)
        if (sr !== null) {
          // replica sets are runs of `replica` consecutive bricks; each stripe is made of `stripe` such sets
          cur.subvolumes = Number(sr[1])
          cur.stripe = Number(sr[2])
          cur.replica = sr[3] !== undefined ? Number(sr[3]) : Number(sr[4]) + Number(sr[5])
          cur.arbiterCount = sr[5] !== undefined ? Number(sr[5]) : 0
          cur.brickCount = Number(sr[6])
        } else if (a !== null) {
          cur.subvolumes = Number(a[1])
          cur.replica = Number(a[2]) + Number(a[3])
          cur.arbiterCount = /disperse/i.test(cur.type) ? 0 : Number(a[3])
          cur.brickCount = Number(a[4])
        } else if (b !== null) {
          cur.subvolumes = Number(b[1])
          cur.replica = Number(b[2])
          cur.brickCount = Number(b[3])
        } else if (c !== null) {
          cur.subvolumes = Number(c[1])
          cur.brickCount = Number(c[1])
        } else throw configError(WHAT, loc, `cannot read "Number of Bricks: ${value}"`, 'expected e.g. "1 x 2 = 2", "1 x (2 + 1) = 3" or "1 x 2 x 2 = 4"')
        break
      }
      case 'Options Reconfigured':
        inOptions = true
        break
      case 'Thin-arbiter-path': {
        const ta = /^(.+?):(\/.*)$/.exec(value)
        if (ta === null) throw configError(WHAT, loc, `thin arbiter "${value}" is not HOST:/PATH`, 'give the whole `gluster volume info` output')
        cur.thinArbiter = {host: ta[1] ?? '', path: ta[2] ?? '', file, line: loc.line}
        break
      }
      default: {
        const br = /^Brick(\d+)$/.exec(key)
        if (br !== null) {
          const bm = /^(.+?):(\/.*?)(\s+\(arbiter\))?$/.exec(value)
          if (bm === null) throw configError(WHAT, loc, `brick "${value}" is not HOST:/PATH`, 'give the whole `gluster volume info` output')
          cur.bricks.push({host: bm[1] ?? '', path: bm[2] ?? '', arbiter: bm[3] !== undefined, file, line: loc.line})
        }
      }
    }
  }
  if (volumes.length === 0 && !/No volumes present/i.test(text)) {
    throw configError(WHAT, {file, line: 1}, 'no "Volume Name:" line: not `gluster volume info` output', 'give the output of `gluster volume info`')
  }
  return {file, volumes}
}
