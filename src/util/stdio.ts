/**
 * A reader that goes away (`hachaos capture analyze big.pcap --json | head`) makes the next write to stdout fail
 * with EPIPE, which Node emits as an 'error' event: with no listener, the process died with a stack trace. Node
 * ignores SIGPIPE, so the program has to stop by itself. guardStdio (bin/run.js, before anything else) listens
 * on stdout and stderr: EPIPE is noted (stdoutClosed) and nothing else happens here, because a drill that is
 * printing must still reach its `finally` and revert its fault. Writers of long output (StreamOut) stop at their
 * next flush with outputClosed() (exit 141, as a program ended by SIGPIPE), which reportError does not print.
 * Any other stream error is thrown as before.
 */
let closed = false

export function guardStdio(): void {
  for (const s of [process.stdout, process.stderr]) {
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e
      if (s === process.stdout) closed = true
    })
  }
}

/** stdout's reader has gone (EPIPE seen). */
export const stdoutClosed = (): boolean => closed
