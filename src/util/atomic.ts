import {closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync} from 'node:fs'
import {dirname} from 'node:path'

/**
 * Write a file so that a crash leaves either the old or the new content, never half of it:
 * write a temporary file in the same directory, fsync it, rename it over the target, fsync the directory.
 */
export function writeFileAtomic(path: string, content: string, mode = 0o644): void {
  const dir = dirname(path)
  mkdirSync(dir, {recursive: true})
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`
  const fd = openSync(tmp, 'w', mode)
  try {
    writeSync(fd, content)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
  fsyncDir(dir)
}

export function fsyncDir(dir: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch {
    // some filesystems refuse fsync on a directory; the rename is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}
