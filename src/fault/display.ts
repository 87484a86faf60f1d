/**
 * What `--dry-run` shows: for every action of a fault plan, the real argv that will run (as this machine
 * starts it: `ip netns exec …`, `nsenter …`, `ssh …`), never pseudo-shell. A signal action is `kill -s SIG`
 * with the PIDs the process lookup finds now (looked up again when the fault runs); a service action is the
 * service control's own command line. Reads the hosts (process lookups), changes nothing.
 */
import {errorMessage} from '../errors.js'
import {serviceControlFor} from '../services/control.js'
import {execOf, hostOf} from './actions.js'
import type {Action, FaultPlan} from './types.js'

export interface ShownAction {
  /** What the step does, in words. */
  what: string
  /** The command line as it will be started here, one string (argv joined by spaces), or null (a sleep). */
  command: string | null
  /** How that command was found (e.g. the PIDs' lookup), when it is not the whole story. */
  note?: string
}

export async function showAction(a: Action): Promise<ShownAction> {
  switch (a.type) {
    case 'sleep':
      return {what: a.what, command: null, note: `wait ${a.ms / 1000} s`}
    case 'exec':
      return {what: a.what, command: execOf(a.host).command(a.argv).join(' '), ...(a.input === undefined ? {} : {note: `stdin: ${JSON.stringify(a.input)}`})}
    case 'signal': {
      const exec = execOf(a.host)
      const sig = a.signal.replace(/^SIG/, '')
      let pids: number[] = []
      let lookupError: string | null = null
      try {
        pids = await exec.pidsOf(a.comm)
      } catch (e) {
        lookupError = errorMessage(e)
      }
      const how = `the ${a.comm} processes on ${a.host.name} (${exec.describe()})`
      return {
        what: a.what,
        command: exec.command(['kill', '-s', sig, ...(pids.length > 0 ? pids.map(String) : ['PID…'])]).join(' '),
        note: lookupError !== null ? `PIDs: ${how}, not found now: ${lookupError}` : `PIDs: ${how} now (${pids.length}); looked up again when the fault runs`,
      }
    }
    case 'service': {
      try {
        const ctl = await serviceControlFor(hostOf(a.host), execOf(a.host), a.host.labState)
        return {what: a.what, command: ctl.describe(a.op, a.service).join('; '), note: `${ctl.kind} service control`}
      } catch (e) {
        return {what: a.what, command: null, note: errorMessage(e)}
      }
    }
  }
}

export async function showPlan(plan: FaultPlan): Promise<{inject: ShownAction[]; revert: ShownAction[]}> {
  const all = async (xs: Action[]): Promise<ShownAction[]> => {
    const out: ShownAction[] = []
    for (const x of xs) out.push(await showAction(x))
    return out
  }
  return {inject: await all(plan.inject), revert: await all(plan.revert)}
}

/**
 * Why a SIGKILL is preceded by a SIGSTOP of the same processes (kill faults on daemons with children):
 * keepalived's children turn their parent's death into a SIGTERM (PR_SET_PDEATHSIG) and would send a
 * priority-0 advert — a graceful leave instead of the node loss a KILL is meant to be. Frozen first, none can.
 */
export const STOP_BEFORE_KILL =
  'SIGSTOP first freezes every process of the daemon, so that none can react to the others\' death (keepalived\'s children would turn it into a SIGTERM and send a priority-0 advert, a graceful leave); then SIGKILL kills them all.'
