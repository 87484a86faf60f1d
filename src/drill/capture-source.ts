/**
 * tcpdump on the capture host as a drill CaptureSource: `tcpdump -l -n -tt -e -i IF 'vrrp or arp'` through the
 * host's executor, each line parsed as it arrives (src/capture/tcpdump-text.ts) into timeline events.
 */
import {HachaosError} from '../errors.js'
import {TcpdumpTextParser} from '../capture/tcpdump-text.js'
import type {Executor, Spawned} from '../exec/types.js'
import type {TimelineEvent} from '../store/run-types.js'
import type {CaptureSource} from './engine.js'

export function tcpdumpArgv(iface: string): string[] {
  return ['tcpdump', '-l', '-n', '-tt', '-e', '-i', iface, 'vrrp or arp']
}

export function makeTcpdumpCapture(exec: Executor, iface: string, emit: (e: TimelineEvent) => void): CaptureSource {
  const parser = new TcpdumpTextParser(exec.host)
  const raw: string[] = []
  const stderr: string[] = []
  const unparsed = {count: 0, sample: [] as string[]}
  let proc: Spawned | undefined
  let listening: (() => void) | undefined
  return {
    host: exec.host,
    get pid() {
      return proc?.pid
    },
    async start() {
      const ready = new Promise<void>((r) => (listening = r))
      proc = exec.spawn(tcpdumpArgv(iface), {
        onLine: (l) => {
          if (l.stream === 'stderr') {
            stderr.push(l.text)
            if (/^listening on /.test(l.text)) listening?.()
            return
          }
          raw.push(l.text)
          for (const o of parser.push(l.text)) {
            if (o.kind === 'event') emit(o.event)
            else if (o.kind === 'unparsed') {
              unparsed.count++
              if (unparsed.sample.length < 20) unparsed.sample.push(o.unparsed.text)
            }
          }
        },
      })
      const exited = proc.done.then(() => 'exited' as const)
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000))
      const first = await Promise.race([ready.then(() => 'ready' as const), exited, timeout])
      if (first !== 'ready') {
        await proc.stop()
        const why = stderr.filter((l) => !/^listening on /.test(l)).join(' | ') || 'no output'
        throw new HachaosError(`tcpdump did not start on ${exec.host} (${iface}): ${why}`, {
          code: 'E_CAPTURE',
          exit: /No such device|doesn't exist/.test(why) ? 'USAGE' : 'HOST',
          where: exec.host,
          suggestions: /No such device|doesn't exist/.test(why)
            ? [`set facts.interface of ${exec.host} in the inventory to the interface facing the VIP`]
            : ['tcpdump needs root (or CAP_NET_RAW) on the capture host', 'apt-get install tcpdump'],
        })
      }
    },
    async stop() {
      await proc?.stop({signal: 'SIGTERM', graceMs: 2000})
      for (const o of parser.end()) if (o.kind === 'event') emit(o.event)
      return {unparsed, rawLines: raw}
    },
  }
}
