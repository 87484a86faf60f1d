/**
 * Schema of `iperf3 --json` (iperf 3.x, checked against 3.12's output for TCP, TCP -R -P N and UDP).
 * Objects are loose: fields other versions add are kept, not rejected. Only what hachaos reads is typed.
 */
import {z} from 'zod'

const num = z.number()

export const IperfConnected = z.looseObject({
  socket: num,
  local_host: z.string(),
  local_port: num,
  remote_host: z.string(),
  remote_port: num,
})

export const IperfTestStart = z.looseObject({
  protocol: z.string(),
  num_streams: num,
  blksize: num.optional(),
  omit: num.optional(),
  duration: num,
  reverse: num,
  target_bitrate: num.optional(),
})

export const IperfStart = z.looseObject({
  connected: z.array(IperfConnected).default([]),
  version: z.string().optional(),
  system_info: z.string().optional(),
  timestamp: z.looseObject({time: z.string(), timesecs: num}).optional(),
  connecting_to: z.looseObject({host: z.string(), port: num}).optional(),
  test_start: IperfTestStart.optional(),
})

/** A stream or sum record: TCP fields, UDP fields, both optional by protocol and side. */
export const IperfRecord = z.looseObject({
  socket: num.optional(),
  start: num,
  end: num,
  seconds: num,
  bytes: num,
  bits_per_second: num,
  retransmits: num.optional(),
  jitter_ms: num.optional(),
  lost_packets: num.optional(),
  packets: num.optional(),
  lost_percent: num.optional(),
  out_of_order: num.optional(),
  sender: z.boolean().optional(),
  omitted: z.boolean().optional(),
})

export const IperfInterval = z.looseObject({
  streams: z.array(IperfRecord),
  sum: IperfRecord.optional(),
})

export const IperfEndStream = z.looseObject({
  sender: IperfRecord.optional(),
  receiver: IperfRecord.optional(),
  udp: IperfRecord.optional(),
})

export const IperfEnd = z.looseObject({
  streams: z.array(IperfEndStream).optional(),
  sum: IperfRecord.optional(),
  sum_sent: IperfRecord.optional(),
  sum_received: IperfRecord.optional(),
  cpu_utilization_percent: z.looseObject({host_total: num, remote_total: num}).optional(),
  sender_tcp_congestion: z.string().optional(),
  receiver_tcp_congestion: z.string().optional(),
})

export const IperfJson = z.looseObject({
  start: IperfStart,
  intervals: z.array(IperfInterval).default([]),
  end: IperfEnd,
  /** iperf3 reports its own failures here (and exits non-zero). */
  error: z.string().optional(),
})

export type IperfJsonT = z.output<typeof IperfJson>
export type IperfRecordT = z.output<typeof IperfRecord>
