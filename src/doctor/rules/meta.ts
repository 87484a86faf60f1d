/** Findings about the doctor run itself: a source that could not be read or parsed hides whatever is in it. */
import {type Rule} from '../types.js'

export const metaRules: Rule[] = [
  {
    id: 'doctor-source-unreadable',
    area: 'doctor',
    severity: 'error',
    title: 'A config or state source could not be read or parsed',
    why: 'Whatever is wrong in that source goes unchecked; a config keepalived or HAProxy itself would reject is an outage waiting for the next restart.',
    fix: 'Fix the file at the line shown (or the host\'s reachability), then run doctor again.',
    explain: 'In --dir and live runs a broken source does not stop the other checks; it is reported here instead, with the parser\'s file:line. Files given with --keepalived, --haproxy … stop the run with exit code 3 instead.',
    check: (input) =>
      input.hosts.flatMap((h) =>
        h.problems.map((p) => ({
          message: `${h.host}: ${p.message}`,
          host: h.host,
          evidence: [{host: h.host, ...(p.file === undefined ? {} : {file: p.file}), ...(p.line === undefined ? {} : {line: p.line}), state: p.message}],
        })),
      ),
  },
]
