/**
 * sysctl settings as collected: `sysctl -a` / `sysctl NAME` output and sysctl.conf / sysctl.d files
 * (`key = value`, `key=value`, `#`/`;` comments, `-` prefix = ignore errors), with file:line. Keys are kept
 * in dotted form (net.ipv4.ip_nonlocal_bind); slashes are converted.
 */
import {type Loc, configError, splitLines} from './common.js'

export interface SysctlValue extends Loc {
  value: string
}

export type SysctlSet = Record<string, SysctlValue>

export function parseSysctl(text: string, opts: {file: string}): SysctlSet {
  const out: SysctlSet = {}
  const lines = splitLines(text)
  for (let i = 0; i < lines.length; i++) {
    const t = (lines[i] ?? '').trim()
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue
    const m = /^-?([A-Za-z0-9_.\/*-]+)\s*=\s*(.*)$/.exec(t)
    if (m === null) throw configError('sysctl', {file: opts.file, line: i + 1}, `cannot read "${t}" (expected key = value)`, 'give `sysctl -a` output or a sysctl.conf file')
    out[(m[1] ?? '').replace(/\//g, '.')] = {value: (m[2] ?? '').trim(), file: opts.file, line: i + 1}
  }
  return out
}

/** A sysctl read live from /proc/sys (one value, the path as its place). */
export function sysctlFromProc(key: string, content: string, host: string): SysctlValue {
  return {value: content.trim(), file: `${host}:/proc/sys/${key.replace(/\./g, '/')}`, line: 1}
}
