import {HachaosError} from '../src/errors.js'
import {registerFault, type RegisteredFault} from '../src/fault/types.js'
import {clusterKill} from './cluster-kill.js'
import {clusterMove} from './cluster-move.js'
import {clusterPartition} from './cluster-partition.js'
import {clusterStandby} from './cluster-standby.js'
import {dropPort} from './drop-port.js'
import {dropSync} from './drop-sync.js'
import {dropVrrp} from './drop-vrrp.js'
import {kill} from './kill.js'
import {memberDown} from './member-down.js'
import {nicDown} from './nic-down.js'
import {partition} from './partition.js'
import {serviceStop} from './service-stop.js'

/**
 * Every fault kind, registered once here (one line per fault file).
 * Each is validate → plan (exact argv) → journal → inject → revert; see src/fault/types.ts.
 */
export const FAULTS: readonly RegisteredFault[] = [
  registerFault(nicDown),
  registerFault(kill),
  registerFault(serviceStop),
  registerFault(dropVrrp),
  registerFault(dropSync),
  registerFault(dropPort),
  registerFault(clusterKill),
  registerFault(clusterStandby),
  registerFault(clusterMove),
  registerFault(clusterPartition),
  registerFault(memberDown),
  registerFault(partition),
]

export function faultDefinition(kind: string): RegisteredFault {
  const f = FAULTS.find((x) => x.kind === kind)
  if (f === undefined) {
    throw new HachaosError(`no fault "${kind}"`, {code: 'E_USAGE', exit: 'USAGE', suggestions: [`faults: ${FAULTS.map((x) => x.kind).join(', ')}`]})
  }
  return f
}
