/**
 * The dashboard in a real terminal: tmux runs `hachaos bond monitor` on a copy of a real captured tree
 * whose counters this test advances (≈ 1 Gbit/s on eth1), then capture-pane reads the screen.
 */
import assert from 'node:assert/strict'
import {cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {LocalExecutor} from '../../../src/exec/local.js'
import {findBinary} from '../../../src/exec/which.js'
import {sleep} from '../../../src/time.js'
import {fixtureDir} from '../bond/fixtures.js'

const tmuxMissing = findBinary('tmux') === null
const local = new LocalExecutor()
const socket = `hachaos-test-${process.pid}`
const tmux = (...args: string[]): Promise<{code: number | null; stdout: string; stderr: string}> => local.run(['tmux', '-L', socket, ...args])

describe('bond monitor in tmux (capture-pane)', {skip: tmuxMissing ? 'tmux not installed' : false}, () => {
  let dir = ''
  let timer: NodeJS.Timeout | undefined
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hx-tmux-'))
    cpSync(fixtureDir('active-backup-one-down'), dir, {recursive: true})
    const stat = (i: string, c: string): string => join(dir, 'sys/class/net', i, 'statistics', c)
    // 12.5 MB and 10k packets every 100 ms on eth1 (and the bond): ≈ 1000 Mbit/s received
    timer = setInterval(() => {
      for (const i of ['eth1', 'bond0']) {
        for (const [c, inc] of [['rx_bytes', 12_500_000n], ['rx_packets', 10_000n]] as const) {
          const f = stat(i, c)
          writeFileSync(f, `${BigInt(readFileSync(f, 'utf8').trim()) + inc}\n`)
        }
      }
    }, 100)
  })
  after(async () => {
    if (timer !== undefined) clearInterval(timer)
    await tmux('kill-server')
    rmSync(dir, {recursive: true, force: true})
  })

  it('shows the members, the active marker and the rates; q quits', async () => {
    const ROW = /\*\s+eth1\s+up\s+up\s+1000\/full\s+\d+\s+\S+\s+\S+\s+\S+\s+([\d.]+)/
    const cmd = `node ${join(process.cwd(), 'bin', 'run.js')} bond monitor bond0 --root ${dir} --interval 300ms --quit-after 20s; echo EXITED:$?; sleep 30`
    const r = await tmux('new-session', '-d', '-s', 'mon', '-x', '140', '-y', '42', cmd)
    assert.equal(r.code, 0, r.stderr)
    let screen = ''
    for (let i = 0; i < 40; i++) {
      await sleep(250)
      screen = (await tmux('capture-pane', '-p', '-t', 'mon')).stdout
      if ((Number(ROW.exec(screen)?.[1]) || 0) > 0) break
    }
    assert.match(screen, /bond0 on .* mode active-backup/, screen)
    assert.match(screen, /eth0 down/, 'eth0 chart title')
    assert.match(screen, /\* eth1 up/, 'active marker on eth1')
    // the live rate is in the member table: marker, name, MII, carrier, speed/duplex, failures, state, agg, partner, rx
    const rx = Number(ROW.exec(screen)?.[1])
    assert.ok(rx > 500 && rx < 2000, `eth1 rx ${rx} Mbit/s (the test feeds ≈ 1000)`)
    assert.match(screen, /\*\s+eth1\s+up\s+up\s+1000\/full/, 'member table row')
    assert.match(screen, /q quit/)
    await tmux('send-keys', '-t', 'mon', 'q')
    for (let i = 0; i < 20 && !/EXITED:/.test(screen); i++) {
      await sleep(200)
      screen = (await tmux('capture-pane', '-p', '-t', 'mon')).stdout
    }
    assert.match(screen, /EXITED:0/, 'q ended the dashboard with exit code 0')
  })
})
