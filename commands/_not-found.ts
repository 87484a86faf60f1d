/**
 * oclif hook `command_not_found`: an unknown command is a usage error (exit 2) that names the nearest
 * commands; with --json the error is the usual small JSON object on stdout.
 */
import {Errors, type Hook} from '@oclif/core'

import {HachaosError} from '../src/errors.js'
import {nearestCommands, reportError} from './_errors.js'

const hook: Hook<'command_not_found'> = async function (opts) {
  const id = opts.id.replaceAll(':', ' ')
  const near = nearestCommands(opts.id, opts.config.commandIDs)
  const err = new HachaosError(`"${id}" is not a hachaos command`, {
    code: 'E_UNKNOWN_COMMAND',
    exit: 'USAGE',
    suggestions: [...near.map((c) => `did you mean: hachaos ${c}`), 'see hachaos --help for every command'],
  })
  reportError(err, (opts.argv ?? []).includes('--json') || process.argv.includes('--json'))
  Errors.exit(err.exit)
}

export default hook
