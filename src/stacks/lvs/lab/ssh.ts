/**
 * `lab up --topology lvs --ssh`: the LVS lab's hosts reached the way real hosts are, over ssh. The guest image
 * holds dropbear (Debian's dropbear-bin); the lab starts one in each director and real-server namespace,
 * listening on that namespace's own address, port 22, root by key only (-s: no passwords), with one ed25519
 * host key made in the guest by dropbearkey. The client key is made on this host by ssh-keygen in the lab
 * directory, next to a known_hosts naming the four addresses with the guest's host key (host-key checking
 * stays on: StrictHostKeyChecking=yes, as the ssh executor runs by default). A second inventory,
 * inventory-ssh.yaml, holds the same hosts `via: ssh`; the client is `via: local`, since hachaos runs inside
 * the client namespace (`ip netns exec PREFIX-lc hachaos … -i inventory-ssh.yaml`). Everything dies with the
 * guest and the lab directory (`lab down`).
 */
import {HachaosError} from '../../../errors.js'

export const SSH_PORT = 22
export const SSH_USER = 'root'
/** In the guest (tmpfs /etc of the initramfs: gone with the guest). */
export const GUEST_HOST_KEY = '/etc/dropbear/host_ed25519'
export const CLIENT_KEY_NAME = 'id_ed25519'
export const KNOWN_HOSTS_NAME = 'known_hosts'
export const SSH_INVENTORY_NAME = 'inventory-ssh.yaml'

/**
 * The guest's ssh set-up, before any dropbear starts: /root and /root/.ssh private (dropbear refuses keys
 * under a group- or world-writable home), the client's public key as root's only authorized key, the host key.
 * Fixed text; the public key comes on stdin.
 */
export const GUEST_SSH_SETUP_SH = 'mkdir -p /root/.ssh /etc/dropbear && chmod 700 /root /root/.ssh && cat > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys && { [ -e "$1" ] || dropbearkey -t ed25519 -f "$1" >/dev/null 2>&1; } && dropbearkey -y -f "$1"'

/**
 * dropbear in one namespace, in the foreground (-F) logging to stderr (-E: the guest has no syslog), redirected
 * to its log file and put in the background by the guest's shell: -s no password logins, -j -k no port
 * forwarding, -p ADDRESS:PORT only that namespace's address.
 */
export function dropbearArgv(ns: string, address: string, port = SSH_PORT): string[] {
  return ['sh', '-c', 'log=$1; shift; "$@" > "$log" 2>&1 < /dev/null &', 'sh', `/run/dropbear-${ns}.log`, '/bin/ip', 'netns', 'exec', ns, '/usr/sbin/dropbear', '-F', '-E', '-s', '-j', '-k', '-r', GUEST_HOST_KEY, '-p', `${address}:${port}`, '-P', `/run/dropbear-${ns}.pid`]
}

/** The `ssh-ed25519 AAAA… comment` line of `dropbearkey -y` (it prints the fingerprint and more around it). */
export function parseDropbearPublicKey(out: string): string {
  const line = out.split('\n').find((l) => /^ssh-ed25519 [A-Za-z0-9+/=]+/.test(l.trim()))
  if (line === undefined) throw new HachaosError(`dropbearkey printed no ssh-ed25519 public key: ${out.trim().slice(0, 200)}`, {code: 'E_LAB_SSH', exit: 'ENVIRONMENT'})
  const [type, key] = line.trim().split(/\s+/)
  return `${type as string} ${key as string}`
}

/** known_hosts for the addresses (OpenSSH writes [ADDRESS]:PORT for any port but 22). */
export function knownHostsText(addresses: string[], hostKey: string, port = SSH_PORT): string {
  return addresses.map((a) => `${port === 22 ? a : `[${a}]:${port}`} ${hostKey}`).join('\n') + '\n'
}

/**
 * argv without the guest's `/bin/ip netns exec NS` wrapper: a lab_start command as it runs on the host itself
 * (an ssh session in the namespace is already in it).
 */
export function unwrapGuestNs(argv: readonly string[]): string[] {
  const i = argv.findIndex((a, k) => a === '/bin/ip' && argv[k + 1] === 'netns' && argv[k + 2] === 'exec' && argv[k + 3] !== undefined)
  return i < 0 ? [...argv] : [...argv.slice(0, i), ...argv.slice(i + 4)]
}

export interface SshInventoryOptions {
  key: string
  knownHostsFile: string
  port?: number
  user?: string
}

type Doc = Record<string, unknown>

const isRecord = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * The lab's inventory document (as lab up writes it) turned into one reaching the same hosts as real ones:
 * each `via: vm` host `via: ssh` at its address (user, key, known_hosts; host-key checking on), without the
 * guest's console and QEMU facts; lab_start commands without the guest's namespace wrapper; the client
 * (`via: netns`) `via: local`, since hachaos runs inside its namespace; no `lab:` section (nothing of the lab's
 * own control is used). Pure: the input is not changed.
 */
export function sshInventoryDoc(lab: Doc, o: SshInventoryOptions): Doc {
  const hostsIn = isRecord(lab['hosts']) ? lab['hosts'] : {}
  const hosts: Doc = {}
  for (const [name, h] of Object.entries(hostsIn)) {
    if (!isRecord(h)) continue
    const {via, vm_socket: _socket, vm_netns: _netns, netns: _ns, facts, ...rest} = h
    const f: Doc = isRecord(facts) ? {...facts} : {}
    if (via === 'vm') {
      delete f['qemu_monitor']
      delete f['qemu_netdev']
      const start = f['lab_start']
      if (isRecord(start)) f['lab_start'] = Object.fromEntries(Object.entries(start).map(([k, v]) => [k, Array.isArray(v) ? unwrapGuestNs(v.map(String)) : v]))
      // ControlMaster no: dropbear 2022.83 (the guest's) ends some of several concurrent sessions on one
      // multiplexed connection with exit 255 and no exit status (8 at a time on one master: 6–16 of 200 failed;
      // one at a time, or 4 at a time on separate connections: none), and a drill runs its reads concurrently
      hosts[name] = {...rest, via: 'ssh', ssh: {user: o.user ?? SSH_USER, ...(o.port === undefined || o.port === SSH_PORT ? {} : {port: o.port}), key: o.key, knownHostsFile: o.knownHostsFile, strictHostKeyChecking: 'yes', options: {ControlMaster: 'no'}}, facts: f}
    } else if (via === 'netns') {
      hosts[name] = {...rest, via: 'local', facts: f}
    } else {
      hosts[name] = h
    }
  }
  const {lab: _lab, name, ...doc} = lab
  return {...doc, name: `${typeof name === 'string' ? name : 'hachaos lab'}, over ssh`, hosts}
}
