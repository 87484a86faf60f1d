import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {drillLockKeys, stackHosts} from '../../../src/stacks/registry.js'
import {parseInventory} from '../../../src/inventory/inventory.js'
import {linksDown} from '../../../src/lab/audit.js'

describe('audit: links', () => {
  it('a link is up when admin UP and carrier LOWER_UP; loopback aside', () => {
    // `ip -o link show` in the keepalived lab, lb1 after a nic-down that was not reverted.
    const out = [
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
      '2: eth0@if12: <BROADCAST,MULTICAST> mtu 1500 qdisc noqueue state DOWN mode DEFAULT group default qlen 1000\\    link/ether 02:66:00:00:00:0b brd ff:ff:ff:ff:ff:ff link-netns hc-sw',
      '3: eth1@if14: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state LOWERLAYERDOWN mode DEFAULT group default qlen 1000',
      '4: eth2@if16: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000',
    ].join('\n')
    assert.deepEqual(linksDown(out), ['eth0 <BROADCAST,MULTICAST>', 'eth1 <NO-CARRIER,BROADCAST,MULTICAST,UP>'])
    // busybox ip in the bond lab's guest
    assert.deepEqual(linksDown('3: eth1: <BROADCAST,MULTICAST,SLAVE,UP,LOWER_UP800> mtu 1500 qdisc pfifo_fast master bond0'), [])
  })
})

describe('one drill per target: what a drill locks', () => {
  const inv = parseInventory(
    `
name: t
lab: {topology: keepalived, prefix: hc, state: /run/x/state.json}
hosts:
  lb1: {address: 10.66.0.11, via: netns, netns: hc-lb1, roles: [lb]}
  lb2: {address: 10.66.0.12, via: netns, netns: hc-lb2, roles: [lb]}
  web1: {address: 10.66.0.21, via: netns, netns: hc-web1, roles: [web]}
  web2: {address: 10.66.0.22, via: netns, netns: hc-web2, roles: [web]}
  client: {address: 10.66.0.50, via: netns, netns: hc-client, roles: [client]}
`,
    'inv.yaml',
  )
  const host = (n: string) => inv.hosts.find((h) => h.name === n) as (typeof inv.hosts)[number]
  it('an lb locks every lb (the VRRP peers); a backend locks itself and the HAProxies in front; the client is never locked', () => {
    assert.deepEqual(stackHosts(inv, host('lb1')).map((h) => h.name), ['lb1', 'lb2'])
    assert.deepEqual(stackHosts(inv, host('web1')).map((h) => h.name), ['lb1', 'lb2', 'web1'])
    assert.deepEqual(drillLockKeys(inv, host('lb2')), ['lab-keepalived-hc-lb1', 'lab-keepalived-hc-lb2'])
    // web1 and web2 conflict through the load balancers: both would take backends out of the same HAProxy.
    const a = new Set(drillLockKeys(inv, host('web1')))
    assert.ok(drillLockKeys(inv, host('web2')).some((k) => a.has(k)))
  })
})
