import {Args, Flags} from '@oclif/core'

import {HachaosCommand} from '../_base.js'
import {type CaptureAnalyzeResult, runCaptureAnalyze} from './_analyze-run.js'

export type {CaptureAnalyzeResult} from './_analyze-run.js'

export default class CaptureAnalyze extends HachaosCommand {
  static override summary = 'Analyse a saved VRRP/ARP capture (pcap or tcpdump text): who was master when, GARPs, failover metrics.'
  static override description = `Reads a pcap written by tcpdump -w (recognised by its magic number) or the text of
tcpdump -n -tt -e (with or without -v), e.g. from: tcpdump -l -n -tt -e -i eth0 'vrrp or arp'.
Prints who was VRRP master when, gratuitous ARPs, priority changes and advert gaps. With --fault-at (epoch
seconds) it also measures the failover: takeover after the fault and after the old master's last advert
(Master_Down_Interval for a node loss, Skew_Time after a graceful stop), the first GARP for the VIP from the
new MAC, and with --revert-at the failback. Split brain (two masters advertising for one vrid, or two MACs
answering ARP for the VIP in turn) is reported and makes the exit code 7. Lines or frames that cannot be
parsed are counted, never fatal. No root needed.

The capture is analysed in one pass as it is read, in bounded memory: the text summary lists the first and
last 20 entries of each list and says how many there were; --json lists all; --events ndjson writes every
event and every entry as one JSON line as it goes, and the result last.`

  static override examples = [
    '<%= config.bin %> capture analyze drill.pcap',
    '<%= config.bin %> capture analyze drill.pcap --fault-at 1795388398.646432 --revert-at 1795388406.651997 --vip 10.66.0.100',
    '<%= config.bin %> capture analyze capture.txt --fault-at 1795388462.118095 --name 10.66.0.11=lb1 --name 10.66.0.12=lb2 --json',
    '<%= config.bin %> capture analyze drill.pcap --inventory hosts.yaml --fault-at 1795388398.6',
    '<%= config.bin %> capture analyze day.pcap --events ndjson > day.ndjson',
  ]

  static override args = {
    file: Args.string({description: "Capture file: a pcap or pcapng (tcpdump -w) or tcpdump -n -tt -e text; '-' reads stdin.", required: true, ignoreStdin: true}),
  }

  static override flags = {
    'fault-at': Flags.string({description: 'When the fault was injected, epoch seconds (e.g. 1795388398.646432): enables the failover metrics.'}),
    'revert-at': Flags.string({description: 'When the fault was reverted, epoch seconds: enables the failback metrics.', dependsOn: ['fault-at']}),
    vip: Flags.string({description: 'The virtual IP (for GARP and dual-ARP findings). Default: the inventory vip, if given.'}),
    vrid: Flags.integer({description: 'The VRRP instance to measure (default: the vrid with the most adverts).', min: 1, max: 255}),
    name: Flags.string({description: 'Name a source: IP=NAME or MAC=NAME (repeatable).', multiple: true}),
    inventory: Flags.string({char: 'i', description: 'Inventory file: names hosts by address and gives the VIP.'}),
    events: Flags.string({
      description:
        'Write the events as they are read, as NDJSON on stdout: one line per event, one per timeline entry as it closes (type timeline.master, timeline.garp, …), and last the result (type "result", lists cut to the first and last 20). Memory stays flat for any capture size.',
      options: ['ndjson'],
    }),
  }

  /** Set once the JSON result has been written here (streamed): oclif must not print it again. */
  private wroteJson = false

  override logJson(json: unknown): void {
    if (!this.wroteJson) super.logJson(json)
  }

  async run(): Promise<CaptureAnalyzeResult> {
    const {args, flags} = await this.parse(CaptureAnalyze)
    const {result, wroteJson} = await runCaptureAnalyze(
      {
        file: args.file,
        faultAt: flags['fault-at'],
        revertAt: flags['revert-at'],
        vip: flags.vip,
        vrid: flags.vrid,
        name: flags.name,
        inventory: flags.inventory,
        events: flags.events,
        json: this.jsonEnabled(),
      },
      {progress: this.progress, log: (message, ...args) => this.log(message, ...args)},
    )
    this.wroteJson = wroteJson
    return result
  }
}
