/**
 * Errors the library raises on purpose. Commands map them to messages and exit codes
 * (commands/_base.ts); the library never prints and never imports oclif.
 *
 * Exit-code table (also in the README, keep both in step):
 *   0  ok
 *   1  internal error (a bug in hachaos: please report it)
 *   2  usage: bad flags or arguments
 *   3  bad input: a config, capture, inventory or JSON file could not be read or parsed
 *   4  environment: not root, a binary or kernel feature missing, $HACHAOS_HOME unwritable or full
 *   5  host: a host could not be reached or a command on it failed
 *   6  conflict: a name, address or resource is already taken, or a lab is in another state
 *   7  findings: the run worked and found problems (doctor error findings, a FAIL verdict: README "Verdicts")
 *   8  revert failed: a fault could not be undone; run `hachaos recover`
 *   9  timeout: something did not happen within the time allowed
 *  10  busy: another drill (or `recover`) holds the target or one of the hosts its stack touches
 *  130 interrupted (SIGINT/SIGTERM); faults were reverted
 */
export const ExitCode = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  BAD_INPUT: 3,
  ENVIRONMENT: 4,
  HOST: 5,
  CONFLICT: 6,
  FINDINGS: 7,
  REVERT_FAILED: 8,
  TIMEOUT: 9,
  BUSY: 10,
  INTERRUPTED: 130,
  OUTPUT_CLOSED: 141,
} as const

export type ExitCodeName = keyof typeof ExitCode
export type ExitCodeValue = (typeof ExitCode)[ExitCodeName]

export const EXIT_CODE_TABLE: ReadonlyArray<{code: number; name: ExitCodeName; meaning: string}> = [
  {code: 0, name: 'OK', meaning: 'success'},
  {code: 1, name: 'INTERNAL', meaning: 'internal error in hachaos (a bug: please report it with the output of `DEBUG=* hachaos …`)'},
  {code: 2, name: 'USAGE', meaning: 'bad flags or arguments'},
  {code: 3, name: 'BAD_INPUT', meaning: 'a config, capture, inventory or JSON file could not be read or parsed'},
  {code: 4, name: 'ENVIRONMENT', meaning: 'not root, a binary / kernel feature is missing, or $HACHAOS_HOME is unwritable or full'},
  {code: 5, name: 'HOST', meaning: 'a host could not be reached, or a command on it failed'},
  {code: 6, name: 'CONFLICT', meaning: 'a name, address or resource is already taken, or the lab is in another state'},
  {code: 7, name: 'FINDINGS', meaning: 'the run worked and found problems (error-level findings, a FAIL verdict: an unexpected split brain, an outage over `--max-outage`, a spent budget …)'},
  {code: 8, name: 'REVERT_FAILED', meaning: 'a fault could not be reverted: run `hachaos recover`'},
  {code: 9, name: 'TIMEOUT', meaning: 'something did not happen within the time allowed'},
  {code: 10, name: 'BUSY', meaning: 'busy: another drill (or `hachaos recover`) holds the target or a host its stack touches (the message names its PID and run id)'},
  {code: 130, name: 'INTERRUPTED', meaning: 'interrupted by SIGINT/SIGTERM (faults were reverted)'},
  {code: 141, name: 'OUTPUT_CLOSED', meaning: 'stdout was closed before the output was complete (piped to `head`): stopped quietly, as a program ended by SIGPIPE (128 + 13)'},
]

export interface HachaosErrorOptions {
  /** Stable machine-readable code, e.g. `E_INVENTORY_PARSE`. */
  code: string
  exit: ExitCodeName
  /** Where it went wrong: `file:line`, a host name, a namespace … */
  where?: string
  /** What to try, one suggestion per entry. */
  suggestions?: string[]
  cause?: unknown
}

/** An error meant for the user: a message, where, what to try, and an exit code. */
export class HachaosError extends Error {
  readonly code: string
  readonly exitName: ExitCodeName
  readonly where: string | undefined
  readonly suggestions: string[]

  constructor(message: string, opts: HachaosErrorOptions) {
    super(message, opts.cause === undefined ? undefined : {cause: opts.cause})
    this.name = 'HachaosError'
    this.code = opts.code
    this.exitName = opts.exit
    this.where = opts.where
    this.suggestions = opts.suggestions ?? []
  }

  get exit(): number {
    return ExitCode[this.exitName]
  }

  toJSON(): {code: string; exit: number; message: string; where?: string; suggestions: string[]} {
    return {
      code: this.code,
      exit: this.exit,
      message: this.message,
      ...(this.where === undefined ? {} : {where: this.where}),
      suggestions: this.suggestions,
    }
  }
}

export function isHachaosError(e: unknown): e is HachaosError {
  return e instanceof HachaosError
}

/** Message of any thrown value, for wrapping. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message
  return String(e)
}

export const badInput = (message: string, where: string | undefined, ...suggestions: string[]): HachaosError =>
  new HachaosError(message, {code: 'E_BAD_INPUT', exit: 'BAD_INPUT', where, suggestions})

export const usageError = (message: string, ...suggestions: string[]): HachaosError =>
  new HachaosError(message, {code: 'E_USAGE', exit: 'USAGE', suggestions})

/**
 * Why a file could not be read, in words rather than an errno: "is a directory, not a file" (EISDIR), "does
 * not exist", "permission denied". For messages such as `cannot read X: ${fileErrorText(e)}`.
 */
export function fileErrorText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code
  switch (code) {
    case 'EISDIR':
      return 'it is a directory, not a file'
    case 'ENOENT':
      return 'no such file'
    case 'ENOTDIR':
      return 'a part of the path is not a directory'
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    default:
      return code ?? errorMessage(e)
  }
}

/** stdout was closed by its reader (EPIPE: `hachaos … | head`): the command stops, silently, with exit 141. */
export const outputClosed = (): HachaosError =>
  new HachaosError('stdout was closed before the output was complete', {code: 'E_OUTPUT_CLOSED', exit: 'OUTPUT_CLOSED', where: 'stdout'})
