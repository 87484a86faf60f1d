/**
 * Reading the bonding driver's files (/proc/net/bonding/*, /sys/class/net/*) on any host: locally (node's
 * fs, no process per read), through any Executor (one shell round trip per batch: a loop of shell builtins,
 * no process per file — it matters in a TCG guest), or from an offline copy of the tree (`--root DIR`).
 */
import {closeSync, openSync, readdirSync, readSync} from 'node:fs'
import {join} from 'node:path'

import {HachaosError} from '../errors.js'
import type {Executor} from '../exec/types.js'
import {nowUs, type EpochMicros} from '../time.js'

export interface BatchRequest {
  /** Files to read. */
  files?: readonly string[]
  /** Directories to list (file names only). */
  lists?: readonly string[]
  /** Directories whose every file is read (sysfs attribute directories). */
  dumps?: readonly string[]
  /** Also read the host's CLOCK_MONOTONIC (ns), just before the files: precise sample times. */
  clock?: boolean
}

export interface BatchResult {
  /** Every file read (from `files` and `dumps`); a missing or unreadable file maps to null. */
  files: Map<string, string | null>
  lists: Map<string, string[] | null>
  /** CLOCK_MONOTONIC of the read host in ns, when asked and available. */
  monoNs: bigint | null
  /** Epoch µs on this machine around the batch. */
  t0: EpochMicros
  t1: EpochMicros
}

export interface BondFs {
  /** What is read, for messages: `guest (vm console …)`, `/tmp/tree`, `local`. */
  readonly where: string
  batch(req: BatchRequest): Promise<BatchResult>
}

export async function readFiles(fs: BondFs, files: readonly string[]): Promise<Map<string, string | null>> {
  return (await fs.batch({files})).files
}

export async function listDirs(fs: BondFs, dirs: readonly string[]): Promise<Map<string, string[] | null>> {
  return (await fs.batch({lists: dirs})).lists
}

/** Framing of the batch-read output: RS path = file follows; GS path = missing; FS dir = listing; US name; SUB ns = clock. */
const RS = '\x1e'
const GS = '\x1d'
const FS = '\x1c'
const US = '\x1f'
const SUB = '\x1a'

/**
 * Reads F:PATH files, lists D:PATH directories, dumps A:PATH directories, prints the monotonic clock for T:.
 * Builtins only (read, printf, case, for): no process per file. `|| [ -n "$l" ]` keeps a last line without
 * a newline. /proc/timer_list's "now at N nsecs" is CLOCK_MONOTONIC (needs root; skipped when unreadable).
 */
export const BATCH_READ_SH = [
  `e() { if [ -e "$1" ] && { printf '${RS}%s\\n' "$1"; { while IFS= read -r l || [ -n "$l" ]; do printf '%s\\n' "$l"; done; } < "$1"; } 2>/dev/null; then :; else printf '${GS}%s\\n' "$1"; fi; }`,
  'for a do',
  '  case "$a" in',
  `  F:*) e "\${a#F:}";;`,
  `  A:*) d=\${a#A:}; if [ -d "$d" ]; then for f in "$d"/*; do [ -f "$f" ] && e "$f"; done; else printf '${GS}%s\\n' "$d"; fi;;`,
  `  D:*) d=\${a#D:}; if [ -d "$d" ]; then printf '${FS}%s\\n' "$d"; for f in "$d"/*; do [ -f "$f" ] && printf '${US}%s\\n' "\${f##*/}"; done; else printf '${GS}%s\\n' "$d"; fi;;`,
  `  T:) { while read -r x y z w; do if [ "$x $y" = "now at" ]; then printf '${SUB}%s\\n' "$z"; break; fi; done < /proc/timer_list; } 2>/dev/null;;`,
  '  esac',
  'done',
].join('\n')

export function batchArgs(req: BatchRequest): string[] {
  return [
    ...(req.clock === true ? ['T:'] : []),
    ...(req.files ?? []).map((p) => `F:${p}`),
    ...(req.dumps ?? []).map((d) => `A:${d}`),
    ...(req.lists ?? []).map((d) => `D:${d}`),
  ]
}

export function parseBatch(out: string, req: BatchRequest): Omit<BatchResult, 't0' | 't1'> {
  const fm = new Map<string, string | null>((req.files ?? []).map((f) => [f, null]))
  const dm = new Map<string, string[] | null>((req.lists ?? []).map((d) => [d, null]))
  let monoNs: bigint | null = null
  let cur: {kind: 'file' | 'dir'; key: string; lines: string[]} | null = null
  const flush = (): void => {
    if (cur === null) return
    if (cur.kind === 'file') fm.set(cur.key, cur.lines.length === 0 ? '' : `${cur.lines.join('\n')}\n`)
    else dm.set(cur.key, cur.lines)
    cur = null
  }
  const lines = out.split('\n')
  if (lines.at(-1) === '') lines.pop()
  for (const line of lines) {
    const c = line[0]
    if (c === RS) {
      flush()
      cur = {kind: 'file', key: line.slice(1), lines: []}
    } else if (c === FS) {
      flush()
      cur = {kind: 'dir', key: line.slice(1), lines: []}
    } else if (c === GS) {
      // missing or unreadable: drop a header printed just before the failed read
      if (cur?.key === line.slice(1)) cur = null
      else flush()
    } else if (c === SUB && cur === null && /^\x1a\d+$/.test(line)) {
      monoNs = BigInt(line.slice(1))
    } else if (c === US && cur?.kind === 'dir') {
      cur.lines.push(line.slice(1))
    } else if (cur?.kind === 'file') {
      cur.lines.push(line)
    }
  }
  flush()
  return {files: fm, lists: dm, monoNs}
}

export class ExecBondFs implements BondFs {
  constructor(
    readonly exec: Executor,
    private readonly timeoutMs = 15_000,
  ) {}

  get where(): string {
    return `${this.exec.host} (${this.exec.describe()})`
  }

  async batch(req: BatchRequest): Promise<BatchResult> {
    const args = batchArgs(req)
    if (args.length === 0) return {files: new Map(), lists: new Map(), monoNs: null, t0: nowUs(), t1: nowUs()}
    const r = await this.exec.run(['sh', '-c', BATCH_READ_SH, 'hachaos-read', ...args], {timeoutMs: this.timeoutMs})
    if (r.code !== 0) {
      throw new HachaosError(`cannot read the bonding files on ${this.exec.host}: ${r.timedOut ? 'timed out' : r.stderr.trim() || `exit ${r.code ?? r.signal}`}`, {
        code: 'E_BOND_READ',
        exit: r.timedOut ? 'TIMEOUT' : 'HOST',
        where: this.exec.host,
        suggestions: [`run it by hand: ${this.exec.command(['cat', '/proc/net/bonding/bond0']).join(' ')}`],
      })
    }
    return {...parseBatch(r.stdout, req), t0: r.t0, t1: r.t1}
  }
}

/**
 * This machine's files (root "/"), or an offline copy of the tree (root = `--root DIR`).
 * Files stay open between batches and are re-read with pread at offset 0: sysfs attributes and /proc seq
 * files produce a fresh value on every read from offset 0, and one syscall per file per reading keeps a
 * 10-readings-a-second dashboard cheap. A file that disappears (member removed) is reopened next time.
 */
export class LocalBondFs implements BondFs {
  private readonly fds = new Map<string, number>()
  private buf = Buffer.alloc(64 * 1024)

  constructor(readonly root = '/') {}

  get where(): string {
    return this.root === '/' ? 'local' : this.root
  }

  private p(path: string): string {
    return this.root === '/' ? path : join(this.root, path)
  }

  private names(d: string): string[] | null {
    try {
      const ents = readdirSync(this.p(d), {withFileTypes: true})
      // sysfs attributes are files; in a copied tree too. Symlinks and subdirectories are skipped.
      return ents.filter((e) => e.isFile()).map((e) => e.name).sort()
    } catch {
      return null
    }
  }

  private readOne(path: string, retry = true): string | null {
    let fd = this.fds.get(path)
    try {
      if (fd === undefined) {
        fd = openSync(this.p(path), 'r')
        this.fds.set(path, fd)
      }
      let n = readSync(fd, this.buf, 0, this.buf.length, 0)
      while (n === this.buf.length) {
        // a file larger than the buffer: grow and read again from the start
        this.buf = Buffer.alloc(this.buf.length * 2)
        n = readSync(fd, this.buf, 0, this.buf.length, 0)
      }
      return this.buf.toString('utf8', 0, n)
    } catch {
      if (fd !== undefined) {
        this.fds.delete(path)
        try {
          closeSync(fd)
        } catch {
          // already gone
        }
        if (retry) return this.readOne(path, false)
      }
      return null
    }
  }

  async batch(req: BatchRequest): Promise<BatchResult> {
    const t0 = nowUs()
    // The real machine's clock; an offline tree has none.
    const monoNs = req.clock === true && this.root === '/' ? process.hrtime.bigint() : null
    const files = new Map<string, string | null>()
    for (const p of req.files ?? []) files.set(p, this.readOne(p))
    for (const d of req.dumps ?? []) for (const n of this.names(d) ?? []) files.set(`${d}/${n}`, this.readOne(`${d}/${n}`))
    const lists = new Map<string, string[] | null>()
    for (const d of req.lists ?? []) lists.set(d, this.names(d))
    return {files, lists, monoNs, t0, t1: nowUs()}
  }

  /** Close the cached file descriptors. */
  close(): void {
    for (const fd of this.fds.values()) {
      try {
        closeSync(fd)
      } catch {
        // gone
      }
    }
    this.fds.clear()
  }
}

/** The right reader for an executor: node's fs for the local machine, a shell batch elsewhere. */
export function bondFsFor(exec: Executor | null, root?: string): BondFs {
  if (root !== undefined) return new LocalBondFs(root)
  if (exec === null || exec.kind === 'local') return new LocalBondFs('/')
  return new ExecBondFs(exec)
}
