import {HachaosError} from '../errors.js'
import type {LabDriver} from './driver.js'
import {bondLab} from './bond/lab.js'
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
