/**
 * POSIX shell quoting, for the one place a command line must become a string: the remote side of ssh.
 * OpenSSH joins its arguments with spaces and hands them to the remote user's shell, so each argv element
 * is single-quoted; a single quote inside becomes '\'' (close, escaped quote, reopen). Nothing else is
 * special inside single quotes in POSIX sh (no $, `, \, glob or newline processing).
 */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/

export function shQuote(arg: string): string {
  if (arg !== '' && SAFE.test(arg) && !arg.startsWith('~')) return arg
  return `'${arg.replace(/'/g, `'\\''`)}'`
}

export function shJoin(argv: readonly string[]): string {
  return argv.map(shQuote).join(' ')
}
