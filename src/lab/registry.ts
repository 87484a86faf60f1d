import {HachaosError} from '../errors.js'
import type {LabDriver} from './driver.js'
import {bondLab} from './bond/lab.js'
import {bondStepKind} from './bond/step.js'
import type {LabStepKind} from '../drill/step-kind.js'
import {keepalivedLab} from '../stacks/keepalived/lab/lab.js'
import {pacemakerLab} from '../stacks/pacemaker/lab/lab.js'
import {heartbeatLab} from '../stacks/heartbeat/lab/lab.js'
import {glusterLab} from '../stacks/gluster/lab/lab.js'
import {lvsLab} from '../stacks/lvs/lab/lab.js'

/** Every lab topology. Add new ones here (one line). */
export const LAB_DRIVERS: readonly LabDriver[] = [keepalivedLab, pacemakerLab, bondLab, heartbeatLab, glusterLab, lvsLab]

export function labDriver(topology: string): LabDriver {
  const d = LAB_DRIVERS.find((x) => x.topology === topology)
  if (d === undefined) {
    throw new HachaosError(`no lab topology "${topology}"`, {
      code: 'E_USAGE',
      exit: 'USAGE',
      suggestions: [`topologies: ${LAB_DRIVERS.map((x) => x.topology).join(', ')}`],
    })
  }
  return d
}

/**
 * Game-day step kinds the labs bring (src/drill/step-kind.ts): failovers measured by their own command, not
 * the drill engine (the bond's cable pull). One line per kind; src/gameday finds them here by the plan's key.
 */
export const LAB_STEP_KINDS: readonly LabStepKind[] = [bondStepKind]

export function labStepKind(key: string): LabStepKind {
  const k = LAB_STEP_KINDS.find((x) => x.key === key)
  if (k === undefined) throw new HachaosError(`no game-day step kind "${key}"`, {code: 'E_USAGE', exit: 'USAGE', suggestions: [`kinds: drill, pause, check, ${LAB_STEP_KINDS.map((x) => x.key).join(', ')}`]})
  return k
}
