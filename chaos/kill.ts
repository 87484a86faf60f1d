import {z} from 'zod'

import {HachaosError} from '../src/errors.js'
import type {Action, FaultDefinition, FaultEnv, FaultPlan} from '../src/fault/types.js'
import {GRACEFUL_SIGNALS, KNOWN_PROCESSES, normSignal} from './processes.js'

const SIGNALS = ['KILL', 'TERM', 'INT', 'QUIT', 'HUP', 'STOP', 'ABRT', 'SEGV'] as const

const Params = z
  .object({
    process: z.string().regex(/^[A-Za-z0-9_.@:+-]{1,64}$/, 'a process name (as in /proc/PID/comm)').default('keepalived'),
    signal: z
      .string()
      .transform(normSignal)
      .pipe(z.enum(SIGNALS))
      .default('KILL'),
    /** Service that brings it back on revert (default: the known service of that process, else its name). */
    service: z.string().regex(/^[A-Za-z0-9_.@:-]{1,64}$/, 'a service name').optional(),
  })
  .strict()
type P = z.output<typeof Params>

export const kill: FaultDefinition<P> = {
  kind: 'kill',
  summary: 'Send a signal to every process of a daemon on the target (revert: start the service again; STOP → CONT).',
  stacks: ['keepalived', 'haproxy', 'pacemaker', 'lvs', 'heartbeat', 'gluster'],
  params: Params,
  paramHelp: {
    process: `process name: ${Object.keys(KNOWN_PROCESSES).join(', ')}, or any other (default keepalived)`,
    signal: `${SIGNALS.join(', ')} (default KILL; TERM lets keepalived send its priority-0 advert)`,
    service: 'service that restarts it on revert (default: the daemon\'s usual service name)',
  },
  async plan(p: P, env: FaultEnv): Promise<FaultPlan> {
    const known = KNOWN_PROCESSES[p.process]
    const comm = known?.comm ?? p.process.slice(0, 15)
    const service = p.service ?? known?.service ?? p.process
    const pids = await env.exec.pidsOf(comm)
    if (pids.length === 0) {
      throw new HachaosError(`no ${p.process} process runs on ${env.target.name}`, {
        code: 'E_NO_PROCESS',
        exit: 'USAGE',
        where: env.target.name,
        suggestions: ['check the process name (as /proc/PID/comm shows it)', `is it running? hachaos lab status, or systemctl status ${service}`],
      })
    }
    const sig = p.signal
    const graceful = GRACEFUL_SIGNALS.has(sig)
    const effect = known === undefined ? 'none' : sig === 'STOP' ? 'node-loss' : graceful ? known.effect.graceful : known.effect.hard
    // STOP is undone by CONT; anything else by starting the service again (idempotent: a running service
    // is left alone, e.g. when systemd's Restart= already brought it back). A KILL freezes every process
    // first (below): a drill killed between the freeze and the kill leaves them stopped — and "running" to
    // the service control — so that revert thaws whatever is left before the start (torture seed 1463095709).
    const frozen = sig === 'KILL' && pids.length > 1
    const revert: Action[] =
      sig === 'STOP'
        ? [{type: 'signal', host: env.ref, comm, signal: 'SIGCONT', what: `SIGCONT to ${p.process} on ${env.target.name}`}]
        : [
            ...(frozen ? [{type: 'signal' as const, host: env.ref, comm, signal: 'SIGCONT' as NodeJS.Signals, ifAny: true, what: `SIGCONT to any ${p.process} left frozen on ${env.target.name}`}] : []),
            {type: 'service', host: env.ref, service, op: 'start', what: `start ${service} on ${env.target.name}`},
          ]
    return {
      kind: 'kill',
      target: env.target.name,
      summary: `SIG${sig} to ${p.process} on ${env.target.name} (pids ${pids.join(', ')})`,
      effect,
      params: {process: p.process, signal: sig, service},
      // A KILL must leave no process a chance to clean up: keepalived's children turn the parent's death into
      // a SIGTERM (PR_SET_PDEATHSIG) and would send a priority-0 advert. Freeze them all first, then kill.
      inject: [
        ...(frozen
          ? [{type: 'signal' as const, host: env.ref, comm, signal: 'SIGSTOP' as NodeJS.Signals, what: `SIGSTOP to every ${p.process} on ${env.target.name} (freeze before the kill)`}]
          : []),
        {type: 'signal', host: env.ref, comm, signal: `SIG${sig}` as NodeJS.Signals, what: `SIG${sig} to every ${p.process} on ${env.target.name}`},
      ],
      revert,
      warnings: known === undefined ? [`${p.process} is not a daemon hachaos knows: no prediction, the revert runs "start ${service}"`] : [],
    }
  },
}
