import assert from 'node:assert/strict'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {readCaptureFile} from '../../src/capture/file.js'
import {decodedEventJson} from '../../src/capture/pcap.js'
import {n} from '../../src/timeline/json-lines.js'
import {ROOT} from '../helpers/cli.js'

const FIX = join(ROOT, 'test', 'fixtures', 'capture')

describe('JSON templates write what JSON.stringify writes', () => {
  it('n(): numbers, epoch µs included, as String() writes them', () => {
    const xs = [0, 1, -1, 1.5, 999_999_999, 1e9, 1e9 + 1, 1795388398000000, 1795388398000001, 1795388398999999, 1795388399000000, 1795388398646432,
      Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, 1e21, 1795388398646432.5, -1795388398646432, NaN, Infinity, -Infinity, 3223.707, 3000 + (156 / 256) * 1000]
    for (let i = 0; i < 20_000; i++) xs.push(1_795_388_000_000_000 + Math.floor(Math.random() * 1e12))
    for (const x of xs) assert.equal(n(x), JSON.stringify(x), String(x))
  })

  it('decodedEventJson(): every event of every pcap/pcapng fixture (ARP, VRRP v2/v3, IPv6, VLAN, pcapng iface)', async () => {
    let count = 0
    for (const f of ['nicdown-v2.pcap', 'nicdown-v3.pcap', 'garp.pcap', 'two-ifaces.pcapng', 'v6.pcap', 'steady-v2-nano.pcap', 'ecn.pcap', 'arp-ieee802.pcap', 'splitbrain-v2.pcap', 'truncated-s40.pcap']) {
      const cap = await readCaptureFile(join(FIX, f), 'host "quoted"\u0001')
      for (const e of cap.events) {
        assert.equal(decodedEventJson(e), JSON.stringify(e), `${f}: ${JSON.stringify(e)}`)
        count += 1
      }
      const e = cap.events[0]
      if (e !== undefined) {
        // decodeAt sets vlan, then iface, after the fields of the frame
        const tagged = {...e}
        delete tagged.vlan
        delete tagged.iface
        tagged.vlan = 7
        tagged.iface = 'eth0'
        assert.equal(decodedEventJson(tagged), JSON.stringify(tagged))
      }
    }
    assert.ok(count > 100, `${count} events`)
  })
})
