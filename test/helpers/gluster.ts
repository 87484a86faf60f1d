/** The Gluster lab's test kit: a node's executor, waiting for a condition, the cut/down checks and a writer on a client's mount. */
import assert from 'node:assert/strict'
import {join} from 'node:path'

import {nodeExecutor} from '../../src/lab/node-ns.js'
import {labDir} from '../../src/lab/paths.js'
import {labPrefixForTests} from './cli.js'

export const glNode = (n: string): ReturnType<typeof nodeExecutor> => nodeExecutor(n, join(labDir(labPrefixForTests(), 'gluster'), 'nodes', n, 'init.pid'), {ipc: true})
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Poll `f` every 250 ms for up to 30 s. */
export async function until(what: string, f: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if (await f()) return
    await sleep(250)
  }
  assert.fail(`${what}: not within 30 s`)
}

export const linkDown = async (n: string): Promise<boolean> => /state DOWN/.test((await glNode(n).run(['ip', 'link', 'show', 'eth0'], {timeoutMs: 5000})).stdout)
export const cut = async (n: string): Promise<boolean> => (await glNode(n).run(['nft', 'list', 'table', 'inet', 'hachaos_partition'], {timeoutMs: 5000})).code === 0

/** On client `n`, write `/mnt/<file>` (a new file each time with `each`) every 200 ms for `s` s; one line per write: ok | the error. */
export async function writer(n: string, s: number, file: string, each: boolean): Promise<{ok: number; errors: string[]}> {
  const target = each ? `/mnt/${file}-$i` : `/mnt/${file}`
  const sh = `end=$(($(date +%s)+${s})); i=0; while [ $(date +%s) -lt $end ]; do if out=$(echo "${n} $i" 2>&1 >${target}); then echo ok; else echo "err $out"; fi; i=$((i+1)); sleep 0.2; done`
  const r = await glNode(n).run(['sh', '-c', sh], {timeoutMs: (s + 60) * 1000})
  const lines = r.stdout.trim().split('\n').filter((l) => l !== '')
  return {ok: lines.filter((l) => l === 'ok').length, errors: lines.filter((l) => l.startsWith('err '))}
}
