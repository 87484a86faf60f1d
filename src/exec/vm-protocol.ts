/**
 * The line protocol between hachaos and the command server inside a QEMU guest (the bond lab), spoken over
 * a virtio console through the lab's broker (vm-broker.ts). Pure functions: encode requests, decode answers.
 *
 * A request carries a tiny shell script, `exec ` + shJoin(argv): the guest shell sees exactly the argv given
 * (every element single-quoted, see quote.ts). The script and stdin travel base64-encoded, so an argument
 * holding a newline, a quote or `$(…)` can never end or change the request line.
 */
import {HachaosError} from '../errors.js'
import {shJoin} from './quote.js'

export const TAG_RE = /^[a-z0-9]{8,32}$/
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/
const SIGNALS = ['TERM', 'KILL', 'INT', 'HUP', 'USR1', 'USR2', 'STOP', 'CONT', 'QUIT'] as const

export type VmRequestKind = 'R' | 'S'

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64')

/** The script the guest runs for argv: `exec [env K=V …] argv…` (exec: the job's PID is the command's). */
export function guestScript(argv: readonly string[], env?: Record<string, string>): string {
  if (argv.length === 0) throw new HachaosError('empty command', {code: 'E_INTERNAL', exit: 'INTERNAL'})
  const envPart: string[] = []
  for (const [k, v] of Object.entries(env ?? {})) {
    if (!ENV_KEY.test(k)) throw new HachaosError(`"${k}" is not an environment variable name`, {code: 'E_USAGE', exit: 'USAGE'})
    envPart.push(`${k}=${v}`)
  }
  const words = envPart.length > 0 ? ['env', ...envPart, ...argv] : [...argv]
  // A command name starting with "-" would be read as an option of exec: run it through env, which takes "--".
  const safe = words[0]?.startsWith('-') === true ? ['env', '--', ...words] : words
  return `exec ${shJoin(safe)}\n`
}

export function encodeRequest(kind: VmRequestKind, tag: string, argv: readonly string[], opts: {env?: Record<string, string>; input?: string} = {}): string {
  if (!TAG_RE.test(tag)) throw new HachaosError(`bad request tag ${tag}`, {code: 'E_INTERNAL', exit: 'INTERNAL'})
  const parts = [kind, tag, b64(guestScript(argv, opts.env))]
  if (kind === 'R' && opts.input !== undefined && opts.input !== '') parts.push(b64(opts.input))
  return `${parts.join(' ')}\n`
}

export function encodeKill(tag: string, signal: string): string {
  const s = signal.replace(/^SIG/, '')
  if (!TAG_RE.test(tag) || !(SIGNALS as readonly string[]).includes(s)) throw new HachaosError(`bad kill request ${tag} ${signal}`, {code: 'E_INTERNAL', exit: 'INTERNAL'})
  return `K ${tag} ${s}\n`
}

export type VmAnswer =
  | {type: 'result'; tag: string; code: number; stdout: string; stderr: string}
  | {type: 'line'; tag: string; stream: 'stdout' | 'stderr'; text: string}
  | {type: 'exit'; tag: string; code: number}
  | {type: 'hello'}

/** Decode one line from the guest; null for anything that is not ours (kernel noise, echo). */
export function decodeAnswer(line: string): VmAnswer | null {
  if (line === '__HX_HELLO') return {type: 'hello'}
  if (line.startsWith('__HX_O ') || line.startsWith('__HX_E ')) {
    const rest = line.slice(7)
    const sp = rest.indexOf(' ')
    const tag = sp < 0 ? rest : rest.slice(0, sp)
    if (!TAG_RE.test(tag)) return null
    return {type: 'line', tag, stream: line[5] === 'O' ? 'stdout' : 'stderr', text: sp < 0 ? '' : rest.slice(sp + 1)}
  }
  const r = /^__HX_R ([a-z0-9]+) (\d+) ([A-Za-z0-9+/=]*) ([A-Za-z0-9+/=]*)$/.exec(line)
  if (r !== null) {
    return {
      type: 'result',
      tag: r[1] as string,
      code: Number(r[2]),
      stdout: Buffer.from(r[3] as string, 'base64').toString('utf8'),
      stderr: Buffer.from(r[4] as string, 'base64').toString('utf8'),
    }
  }
  const x = /^__HX_X ([a-z0-9]+) (\d+)$/.exec(line)
  if (x !== null) return {type: 'exit', tag: x[1] as string, code: Number(x[2])}
  return null
}

/** Tag of a request line (R/S/K), or null when the line is not a valid request. */
export function requestTag(line: string): {kind: 'R' | 'S' | 'K'; tag: string} | null {
  const m = /^([RSK]) ([a-z0-9]{8,32})(?: |$)/.exec(line)
  return m === null ? null : {kind: m[1] as 'R' | 'S' | 'K', tag: m[2] as string}
}

/** Split a byte stream into lines, keeping the unfinished tail. */
export class LineSplitter {
  private buf = ''
  push(chunk: string): string[] {
    this.buf += chunk
    const parts = this.buf.split('\n')
    this.buf = parts.pop() ?? ''
    return parts
  }
}
