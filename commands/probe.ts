import {Flags} from '@oclif/core'

import {HachaosError} from '../src/errors.js'
import {MAX_RATE, runProbes, type ProbeSummary} from '../src/probe/http.js'
import {parseDuration} from '../src/time.js'
import {HachaosCommand} from './_base.js'

export type ProbeCommandResult = ProbeSummary

export default class Probe extends HachaosCommand {
  static override summary = 'Probe a URL at a fixed rate and stream one NDJSON line per probe.'
  static override description = `Each probe opens a new TCP connection (no keep-alive), sends GET, and records ok/failed, latency, the error
kind (timeout, refused, reset, unreachable, http-status, dns) and which backend answered (X-Served-By header,
else "served by NAME" in the body). Probes are scheduled on absolute times, so the rate does not drift and a
slow probe never delays the next. Made to run on the client host: the drill starts it there (ip netns exec in
the lab, ssh elsewhere) and reads its stream. Ends after --duration (or never with --forever), on SIGINT/SIGTERM,
after the probes in flight finish; with --json a last line carries the summary. Started by a drill, it runs
under a watchdog that ends it within a second when the drill goes away, even after a SIGKILL.`

  static override examples = [
    '<%= config.bin %> probe --url http://10.66.0.100/ --rate 20 --duration 10s',
    'ip netns exec hc-client <%= config.bin %> probe --url http://10.66.0.100/ --rate 200 --forever --json',
  ]

  static override flags = {
    url: Flags.string({char: 'u', description: 'URL to probe (http only).', required: true}),
    rate: Flags.integer({char: 'r', description: `Probes per second (1–${MAX_RATE}).`, default: 20}),
    duration: Flags.string({char: 'd', description: 'How long (e.g. 10s, 2m). For no end, --forever (0 is refused: an easy typo for a probe loop that never stops).', default: '10s'}),
    forever: Flags.boolean({description: 'Probe until SIGINT/SIGTERM (or, under a drill, until the drill ends).', exclusive: ['duration']}),
    timeout: Flags.string({description: 'Per-probe timeout.', default: '1s'}),
  }

  /** NDJSON: the summary is one compact line, like every probe line. */
  override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json)}\n`)
  }

  async run(): Promise<ProbeCommandResult> {
    const {flags} = await this.parse(Probe)
    let url: URL
    try {
      url = new URL(flags.url)
    } catch {
      throw new HachaosError(`"${flags.url}" is not a URL`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['e.g. --url http://10.66.0.100/']})
    }
    if (url.protocol !== 'http:') throw new HachaosError(`only http:// URLs can be probed (got ${url.protocol})`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['probe the plain HTTP frontend on the VIP']})
    if (flags.rate < 1 || flags.rate > MAX_RATE) throw new HachaosError(`--rate ${flags.rate} is out of range`, {code: 'E_USAGE', exit: 'USAGE', suggestions: [`use 1–${MAX_RATE} probes per second`]})
    const ms = (name: string, v: string): number => {
      try {
        return parseDuration(v)
      } catch (e) {
        throw new HachaosError(`--${name}: ${(e as Error).message}`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['e.g. 500ms, 2s, 1m']})
      }
    }
    const durationMs = flags.forever ? 0 : ms('duration', flags.duration)
    if (!flags.forever && durationMs <= 0) {
      throw new HachaosError(`--duration ${flags.duration} would probe forever`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['give a duration (e.g. --duration 30s)', 'or ask for it explicitly: --forever (ends on SIGINT/SIGTERM)']})
    }
    const timeoutMs = ms('timeout', flags.timeout)
    const ac = new AbortController()
    const onSignal = (): void => ac.abort()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    try {
      return await runProbes({
        url: url.toString(),
        ratePerS: flags.rate,
        timeoutMs,
        ...(durationMs > 0 ? {durationMs} : {}),
        signal: ac.signal,
        onResult: (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
      })
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }
}
