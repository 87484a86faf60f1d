/**
 * VRRP timers, from the RFCs (the protocol's own formulas, which every timing test compares against).
 *
 * RFC 3768 (VRRPv2), §6.1: Skew_Time = (256 − Priority) / 256 seconds;
 *   Master_Down_Interval = 3 × Advertisement_Interval + Skew_Time.
 * RFC 5798 (VRRPv3), §6.1: intervals in centiseconds; Skew_Time = ((256 − Priority) × Master_Adver_Interval) / 256;
 *   Master_Down_Interval = 3 × Master_Adver_Interval + Skew_Time.
 * A master that leaves gracefully sends an advert with priority 0; a backup receiving it sets its
 * Master_Down_Timer to Skew_Time (RFC 3768 §6.4.2, RFC 5798 §6.4.2).
 */
export type VrrpVersion = 2 | 3

export function skewTimeMs(priority: number, advertIntS: number, version: VrrpVersion): number {
  if (version === 2) return ((256 - priority) / 256) * 1000
  const advCs = Math.round(advertIntS * 100)
  // VRRPv3 works in whole centiseconds (the timer field); keep the fraction as the RFC formula gives it.
  return (((256 - priority) * advCs) / 256) * 10
}

export function masterDownIntervalMs(priority: number, advertIntS: number, version: VrrpVersion): number {
  return 3 * advertIntS * 1000 + skewTimeMs(priority, advertIntS, version)
}

export function fmtS(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`
}
