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
    explain: 'A source that cannot be read (missing, no permission, a directory) or that its parser rejects does not stop the other checks, whether it came from --keepalived/--haproxy/…, --dir or a live host: it is reported here, with the parser\'s file:line, and the exit code follows the worst finding (7 with the default --fail-on error). Only a file with none of its kind\'s structure at all (e.g. /etc/passwd given to --keepalived) is refused as bad input (exit 3).',
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
