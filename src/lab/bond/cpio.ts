/**
 * Writer for the "newc" cpio format the Linux kernel unpacks as an initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst). Written here rather than shelling out to
 * cpio(1) so the archive is built from memory with root ownership and exact modes, without staging a tree
 * on disk, and without another host tool; the format is a 110-byte ASCII header per entry.
 */
export type CpioEntry =
  | {type: 'dir'; path: string; mode?: number}
  | {type: 'file'; path: string; data: Buffer; mode?: number}
  | {type: 'symlink'; path: string; target: string}
  | {type: 'char'; path: string; major: number; minor: number; mode?: number}

const S_IFDIR = 0o040000
const S_IFREG = 0o100000
const S_IFLNK = 0o120000
const S_IFCHR = 0o020000

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0')
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4
}

export function cpioNewc(entries: CpioEntry[], mtime = 0): Buffer {
  const parts: Buffer[] = []
  let ino = 1
  const push = (name: string, mode: number, data: Buffer, nlink: number, rdevMajor = 0, rdevMinor = 0): void => {
    const nameBuf = Buffer.from(`${name}\0`, 'utf8')
    const header =
      '070701' +
      hex8(ino++) +
      hex8(mode) +
      hex8(0) + // uid
      hex8(0) + // gid
      hex8(nlink) +
      hex8(mtime) +
      hex8(data.length) +
      hex8(0) + // devmajor
      hex8(0) + // devminor
      hex8(rdevMajor) +
      hex8(rdevMinor) +
      hex8(nameBuf.length) +
      hex8(0) // check
    const h = Buffer.from(header, 'ascii')
    parts.push(h, nameBuf, Buffer.alloc(pad4(h.length + nameBuf.length)), data, Buffer.alloc(pad4(data.length)))
  }
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, '')
    switch (e.type) {
      case 'dir':
        push(name, S_IFDIR | (e.mode ?? 0o755), Buffer.alloc(0), 2)
        break
      case 'file':
        push(name, S_IFREG | (e.mode ?? 0o644), e.data, 1)
        break
      case 'symlink':
        push(name, S_IFLNK | 0o777, Buffer.from(e.target, 'utf8'), 1)
        break
      case 'char':
        push(name, S_IFCHR | (e.mode ?? 0o600), Buffer.alloc(0), 1, e.major, e.minor)
        break
    }
  }
  push('TRAILER!!!', 0, Buffer.alloc(0), 1)
  return Buffer.concat(parts)
}
