/**
 * Process entry for the bond lab's console broker, and a way to run one guest command by hand:
 *   node dist/src/exec/vm-main.js broker CONSOLE_SOCKET LISTEN_SOCKET
 *   node dist/src/exec/vm-main.js exec BROKER_SOCKET -- argv…
 *   node dist/src/exec/vm-main.js set-link MONITOR_SOCKET NETDEV on|off   (QEMU HMP: cable plug/pull)
 */
import {setLink} from './qemu-monitor.js'
import {startBroker} from './vm-broker.js'
import {VmExecutor} from './vm.js'

async function main(args: string[]): Promise<number> {
  const [cmd, sock, ...rest] = args
  if (cmd === 'broker' && sock !== undefined && rest[0] !== undefined) {
    const b = await startBroker({consoleSocket: sock, listen: rest[0], log: (m) => process.stderr.write(`${new Date().toISOString()} ${m}\n`)})
    const stop = (): void => b.close()
    process.on('SIGTERM', stop)
    process.on('SIGINT', stop)
    await b.closed
    return 0
  }
  if (cmd === 'exec' && sock !== undefined && rest[0] === '--' && rest.length > 1) {
    const r = await new VmExecutor('guest', sock).run(rest.slice(1))
    process.stdout.write(r.stdout)
    process.stderr.write(r.stderr)
    return r.code ?? 1
  }
  if (cmd === 'set-link' && sock !== undefined && rest.length === 2 && (rest[1] === 'on' || rest[1] === 'off')) {
    // QEMU monitor: a cable pull (off) or plug (on); fails when QEMU refuses (unknown netdev).
    const r = await setLink(sock, rest[0] as string, rest[1] === 'on')
    process.stdout.write(`${rest[0] as string} ${rest[1]} at ${r.answeredAt} (sent ${r.sentAt})\n`)
    return 0
  }
  process.stderr.write('usage: vm-main.js broker CONSOLE_SOCKET LISTEN_SOCKET | exec BROKER_SOCKET -- argv… | set-link MONITOR_SOCKET NETDEV on|off\n')
  return 2
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`)
    process.exit(1)
  },
)
