/**
 * A reader that goes away (`hachaos capture analyze big.pcap --json | head`) makes the next write to stdout fail
 * with EPIPE, which Node emits as an 'error' event: with no listener, the process died with a stack trace. Node
 * ignores SIGPIPE, so the program has to stop by itself. guardStdio (bin/run.js, before anything else) listens
 * on stdout and stderr: EPIPE is noted (stdoutClosed) and the endless streams told (onStdoutClosed), and nothing
 * is ended here, because a drill that is printing must still reach its `finally` and revert its fault. Writers
 * of long output (StreamOut) stop at their next flush with outputClosed() (exit 141, as a program ended by
 * SIGPIPE), which reportError does not print. Any other stream error is thrown as before.
 */
let closed = false
const whenClosed = new Set<() => void>()

export function guardStdio(): void {
  for (const s of [process.stdout, process.stderr]) {
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e
      if (s !== process.stdout || closed) return
      closed = true
      for (const f of [...whenClosed]) f()
    })
  }
}

/**
 * Call `f` once stdout's reader has gone (at once if it has): the endless streams (`watch`, `probe --forever`,
 * `bond monitor` to a pipe) stop then as on SIGTERM, their observers ended, instead of writing into nothing
 * until killed. Drills do not use it: `failover … | head` still runs to its revert. Returns the unregister.
 */
export function onStdoutClosed(f: () => void): () => void {
  if (closed) {
    queueMicrotask(f)
    return () => undefined
  }
  whenClosed.add(f)
  return () => {
    whenClosed.delete(f)
  }
}

/** stdout's reader has gone (EPIPE seen). */
export const stdoutClosed = (): boolean => closed
