/**
 * What a Gluster client should see when a fault hits a server node, as a rule with its source:
 *   node vanishes (link down, partition, SIGSTOP): the FUSE client's write in flight waits until the client
 *     declares the brick dead, which takes between 1× and 2× `network.ping-timeout` — measured, not from the
 *     documentation (which says 1×): 77.5–78.2 s (spike) and 73.7 s (drill) at the default 42 s, 6.9–9.7 s at 5 s, on this
 *     machine (../shared/labs/heartbeat-gluster-notes.md; README "GlusterFS lab"). Our reading, not checked in
 *     the source: the ping timer re-arms while there was send activity in the last window, so the detection
 *     clock starts late. Range [ping-timeout, 2 × ping-timeout + one probe interval].
 *   brick process killed (glusterfsd: SIGKILL): the kernel resets its TCP connections, the client drops the
 *     brick at once: stall ≈ 0 (measured 0.07 s; range 0 … 1 s).
 * Client quorum (cluster.quorum-type auto: more than half the bricks of the replica set, or exactly half
 * including the first): when the fault leaves fewer bricks than that, writes fail with ENOTCONN (measured:
 * "Transport endpoint is not connected"), they do not stall.
 */
import type {FaultEffect} from '../../fault/types.js'
import type {Prediction} from '../../store/run-types.js'

export interface GlusterModelInput {
  effect: FaultEffect
  /** network.ping-timeout, seconds. */
  pingTimeoutS: number
  /** Bricks per replica set, and how many of them the fault takes away (0 when the target holds none). */
  replica: number
  bricksLost: number
  /** Whether the target holds the first brick of the set (auto quorum's tie breaker). */
  firstBrickLost: boolean
  quorumType: string
  quorumCount: number | null
  /** The probe's interval, ms (a write starts up to one interval after the fault). */
  probeIntervalMs: number
}

/** Whether client quorum holds with `up` bricks of `replica` (AFR's rule for auto and fixed). */
export function clientQuorumMet(i: Pick<GlusterModelInput, 'replica' | 'quorumType' | 'quorumCount'>, up: number, firstUp: boolean): boolean {
  if (i.quorumType === 'auto') return 2 * up > i.replica || (2 * up === i.replica && firstUp)
  if (i.quorumType === 'fixed') return up >= (i.quorumCount ?? 1)
  return up >= 1
}

export function predictGluster(i: GlusterModelInput): Prediction {
  const pt = i.pingTimeoutS * 1000
  const up = i.replica - i.bricksLost
  const quorum = clientQuorumMet(i, up, !i.firstBrickLost)
  const inputs: Record<string, number | string | boolean> = {
    pingTimeoutMs: pt,
    replica: i.replica,
    bricksLost: i.bricksLost,
    quorumType: i.quorumType,
    quorumMetAfterFault: quorum,
    probeIntervalMs: i.probeIntervalMs,
  }
  const refused = quorum ? '' : `; client quorum (${i.quorumType}) is lost with ${up} of ${i.replica} bricks: writes fail with ENOTCONN after the stall`
  if (i.bricksLost === 0) {
    return {metric: 'stallMs', takeoverMs: 0, minMs: 0, maxMs: 1000, formula: 'the target holds no brick of the volume: no client stall expected (0 … 1 s)', inputs}
  }
  if (i.effect === 'node-loss' || i.effect === 'cluster-partition' || i.effect === 'advert-loss') {
    return {
      metric: 'stallMs',
      takeoverMs: Math.round(1.5 * pt),
      minMs: pt,
      maxMs: 2 * pt + i.probeIntervalMs,
      formula: `a vanished brick: the write in flight waits between 1× and 2× network.ping-timeout ${i.pingTimeoutS} s = ${i.pingTimeoutS}–${2 * i.pingTimeoutS} s (+ ${i.probeIntervalMs} ms probe interval); the rule is measured on this machine (42 s → 77.5–78.2 s, 5 s → 6.9–9.5 s), not the documented 1×${refused}`,
      inputs,
    }
  }
  if (i.effect === 'service-loss' || i.effect === 'backend-loss' || i.effect === 'graceful-stop') {
    return {metric: 'stallMs', takeoverMs: 0, minMs: 0, maxMs: 1000, formula: `a killed brick process: its TCP connections are reset and the client drops the brick at once: stall ≈ 0 (0 … 1 s; measured 0.07 s)${refused}`, inputs}
  }
  return {metric: 'stallMs', takeoverMs: null, minMs: null, maxMs: null, formula: `no model for ${i.effect} on a Gluster node`, inputs}
}
