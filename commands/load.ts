import {Flags} from '@oclif/core'

import {landing, peersOf, spreadInputFor, type Landing} from '../src/bond/landing.js'
import {bondFsFor} from '../src/bond/fs.js'
import {BondReader, type BondSnapshot} from '../src/bond/snapshot.js'
import {spreadAdvice, type SpreadAdvice} from '../src/bond/spread.js'
import {HachaosError} from '../src/errors.js'
import {executorFor} from '../src/inventory/inventory.js'
import {planLoad} from '../src/iperf/plan.js'
import {formatBps} from '../src/iperf/result.js'
import {runLoad, type LoadResult} from '../src/iperf/runner.js'
import {parseDuration} from '../src/time.js'
import {HachaosCommand} from './_base.js'
import {inventoryFlag, resolveInventory} from './_bond.js'

export interface LoadCommandResult extends LoadResult {
  options: {durationS: number; parallel: number; reverse: boolean; udp: boolean; bitrate: string | null}
  advice: SpreadAdvice[]
  /** How the load landed on the bond's members (when a target is a bond host). */
  landing: Landing | null
  /** Bond counter bytes in the load's direction vs what iperf3 moved (ratio), when both are known. */
  counterAgreement: {direction: 'bond-rx' | 'bond-tx'; bondBytes: number; iperfBytes: number; ratio: number} | null
}

const mb = (b: number | null): string => (b === null ? '—' : `${(b / 1e6).toFixed(1)} MB`)
const pct = (x: number | null): string => (x === null ? '—' : `${(x * 100).toFixed(0)} %`)

export default class Load extends HachaosCommand {
  static override summary = 'Push iperf3 traffic from client hosts to server:port targets, and show how it lands on a bond.'
  static override description = `Runs one iperf3 client per client host (all at once, each with --json), against one server:port each
(an iperf3 server serves one test at a time), starting the servers it needs on inventory hosts and stopping
them afterwards. Reports per-stream and total throughput, TCP retransmits, UDP loss and jitter.
When a target is a bond host (inventory role bond-host, facts.bond), it reads the bond before and after:
how the bytes landed on each member, and a warning when the mode, hash policy and peers mean one member
carries everything (layer2 hashing with one client MAC, as the seed shows with one vs two clients).
Default with the bond lab: client1 → guest:8001 and client2 → guest:8002.`

  static override examples = [
    '<%= config.bin %> load',
    '<%= config.bin %> load --time 10s -P 4',
    '<%= config.bin %> load --client client1 --target guest:8001 -R',
    '<%= config.bin %> load --udp --bitrate 200M --time 5s',
    '<%= config.bin %> load --inventory hosts.yaml --client c1 --client c2 --target 192.168.200.179:8001 --target 192.168.200.179:8002 --json',
  ]

  static override flags = {
    inventory: inventoryFlag,
    client: Flags.string({char: 'c', description: 'Client host (inventory name); repeat. Default: every host with role client.', multiple: true}),
    target: Flags.string({description: 'Server as ADDRESS:PORT or HOST[:PORT]; repeat, one per client. Default: the bond host on its iperf ports.', multiple: true}),
    time: Flags.string({char: 'd', description: 'Duration (e.g. 10s, 1m); iperf3\'s -t.', default: '10s'}),
    parallel: Flags.integer({char: 'P', description: 'Parallel streams per client.', default: 1, min: 1, max: 128}),
    reverse: Flags.boolean({char: 'R', description: 'Reverse: the server sends (for the bond lab: the bond transmits).', default: false}),
    udp: Flags.boolean({description: 'UDP instead of TCP (with --bitrate; default 100M).', default: false}),
    bitrate: Flags.string({char: 'b', description: 'Target bitrate per stream, e.g. 100M, 1G (UDP: default 100M).'}),
    'no-servers': Flags.boolean({description: 'Do not start iperf3 servers (they run already).', default: false}),
    'no-bond': Flags.boolean({description: 'Do not read the bond before and after.', default: false}),
  }

  async run(): Promise<LoadCommandResult> {
    const {flags} = await this.parse(Load)
    let durationMs: number
    try {
      durationMs = parseDuration(flags.time)
    } catch (e) {
      throw new HachaosError(`--time: ${(e as Error).message}`, {code: 'E_USAGE', exit: 'USAGE'})
    }
    const durationS = Math.max(1, Math.round(durationMs / 1000))
    const inv = await resolveInventory(flags.inventory)
    const plan = planLoad(inv, {clients: flags.client, targets: flags.target, startServers: !flags['no-servers']})
    const bondHost = flags['no-bond'] ? undefined : plan.targets.find((t) => t.host !== null && typeof t.host.facts.bond === 'string')?.host ?? undefined
    const direction = flags.reverse ? 'bond-tx' : 'bond-rx'

    let reader: BondReader | null = null
    let before: BondSnapshot | null = null
    let advice: SpreadAdvice[] = []
    if (bondHost !== undefined && bondHost !== null) {
      reader = new BondReader(bondFsFor(executorFor(bondHost)), String(bondHost.facts.bond), bondHost.name, 1)
      before = await reader.read()
      advice = spreadAdvice(spreadInputFor(before, peersOf(plan.clients, bondHost.address), flags.parallel, direction))
      for (const a of advice) if (a.level === 'warning') this.progress(`warning: ${a.message}`)
    }

    const ac = new AbortController()
    const onSig = (): void => ac.abort()
    process.once('SIGINT', onSig)
    process.once('SIGTERM', onSig)
    let r: LoadResult
    try {
      r = await runLoad(plan.pairs, plan.servers, {
        durationS,
        parallel: flags.parallel,
        reverse: flags.reverse,
        udp: flags.udp,
        ...(flags.bitrate === undefined ? {} : {bitrate: flags.bitrate}),
        signal: ac.signal,
        onProgress: this.progress,
      })
    } finally {
      process.off('SIGINT', onSig)
      process.off('SIGTERM', onSig)
    }
    let land: Landing | null = null
    let agreement: LoadCommandResult['counterAgreement'] = null
    if (reader !== null && before !== null) {
      land = landing(before, await reader.read())
      const bondBytes = direction === 'bond-rx' ? land.bondRxBytes : land.bondTxBytes
      const iperfBytes = flags.udp ? r.totals.sentBytes : r.totals.receivedBytes
      if (bondBytes !== null && iperfBytes > 0) agreement = {direction, bondBytes, iperfBytes, ratio: bondBytes / iperfBytes}
    }
    const result: LoadCommandResult = {...r, options: {durationS, parallel: flags.parallel, reverse: flags.reverse, udp: flags.udp, bitrate: flags.bitrate ?? null}, advice, landing: land, counterAgreement: agreement}

    this.log(`iperf3 ${flags.udp ? 'UDP' : 'TCP'}, ${durationS} s, -P ${flags.parallel}${flags.reverse ? ', reverse (servers send)' : ''}`)
    for (const p of r.pairs) {
      const x = p.result
      if (x === null) {
        this.log(`  ${`${p.client} → ${p.target}`.padEnd(30)} FAILED: ${p.error ?? '?'}`)
        continue
      }
      const extra = flags.udp ? `loss ${x.lostPercent?.toFixed(2) ?? '—'} %  jitter ${x.jitterMs?.toFixed(3) ?? '—'} ms` : `retransmits ${x.retransmits ?? '—'}`
      this.log(`  ${`${p.client} → ${p.target}`.padEnd(30)} sent ${formatBps(x.sentBps).padStart(13)}  received ${formatBps(x.receivedBps).padStart(13)}  ${extra}`)
      if (x.streams.length > 1) for (const s of x.streams) this.log(`      stream ${String(s.socket ?? '?').padEnd(4)} sent ${formatBps(s.sentBps).padStart(13)}  received ${formatBps(s.receivedBps).padStart(13)}${s.retransmits === null ? '' : `  retransmits ${s.retransmits}`}`)
    }
    const t = r.totals
    this.log(`  ${'total'.padEnd(30)} sent ${formatBps(t.sentBps).padStart(13)}  received ${formatBps(t.receivedBps).padStart(13)}  ${flags.udp ? `loss ${t.lostPercent?.toFixed(2) ?? '—'} %  max jitter ${t.jitterMsMax?.toFixed(3) ?? '—'} ms` : `retransmits ${t.retransmits ?? '—'}`}`)
    if (land !== null && r.pairs.some((p) => p.result !== null)) {
      this.log('')
      this.log(`${land.bond} on ${land.host} (${land.mode ?? '?'}) during the load (${land.dtS.toFixed(1)} s):`)
      for (const m of land.members) this.log(`  ${m.name.padEnd(8)} ${m.miiStatus.padEnd(10)} rx ${mb(m.rxBytes).padStart(10)} (${pct(m.rxShare).padStart(5)})   tx ${mb(m.txBytes).padStart(10)} (${pct(m.txShare).padStart(5)})`)
      if (agreement !== null) this.log(`  ${land.bond} counted ${mb(agreement.bondBytes)} ${agreement.direction === 'bond-rx' ? 'received' : 'sent'}; iperf3 moved ${mb(agreement.iperfBytes)} of payload (ratio ${agreement.ratio.toFixed(3)}: headers and control traffic make it > 1)`)
    }
    for (const a of advice) this.log(`  ${a.level === 'warning' ? '!' : '·'} ${a.message}`)
    const failed = r.pairs.filter((p) => p.result === null)
    if (failed.length > 0) {
      throw new HachaosError(`${failed.length} of ${r.pairs.length} iperf3 client${r.pairs.length > 1 ? 's' : ''} failed: ${failed.map((f) => `${f.client} → ${f.target}: ${f.error ?? '?'}`).join('; ')}`, {
        code: 'E_IPERF',
        exit: 'HOST',
        suggestions: [...new Set(failed.map((f) => f.hint).filter((h): h is string => h !== null)), `run it by hand: ${failed[0]?.argv.join(' ') ?? ''}`],
      })
    }
    return result
  }
}
