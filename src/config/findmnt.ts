/**
 * `findmnt -n -P -o TARGET,SOURCE,FSTYPE -T PATH`: the mount a path lives on, as KEY="value" pairs (util-linux
 * escapes quotes and non-printables as \xHH inside the value). One line per mount; -T gives exactly one.
 */
import {type Loc, configError, splitLines} from './common.js'

export interface MountOf extends Loc {
  /** Mount point the path is on ("/" for the root file system). */
  target: string
  source: string
  fstype: string
}

/** The argv that prints what parseFindmnt reads, for the mount `path` lives on (the path must exist). */
export function findmntArgv(path: string): string[] {
  return ['findmnt', '-n', '-P', '-o', 'TARGET,SOURCE,FSTYPE', '-T', path]
}

const unescape = (v: string): string => v.replace(/\\x([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))

/** Parse findmnt -P output. Throws HachaosError (BAD_INPUT, file:line) on a line that is not KEY="value" pairs. */
export function parseFindmnt(text: string, opts: {file: string}): MountOf[] {
  const out: MountOf[] = []
  splitLines(text).forEach((raw, i) => {
    const t = raw.trim()
    if (t === '') return
    const kv: Record<string, string> = {}
    for (const m of t.matchAll(/([A-Z-]+)="((?:[^"\\]|\\.)*)"/g)) kv[m[1] ?? ''] = unescape(m[2] ?? '')
    const loc: Loc = {file: opts.file, line: i + 1}
    if (kv['TARGET'] === undefined) throw configError('findmnt -P', loc, `no TARGET="…" in "${t}"`, 'give the output of `findmnt -n -P -o TARGET,SOURCE,FSTYPE -T PATH`')
    out.push({...loc, target: kv['TARGET'], source: kv['SOURCE'] ?? '', fstype: kv['FSTYPE'] ?? ''})
  })
  return out
}
