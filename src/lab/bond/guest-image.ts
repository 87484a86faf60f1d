/**
 * The bond-lab guest: Debian's cloud kernel (it has bonding.ko) and a small initramfs of busybox-static,
 * iperf3 with the libraries it loads, the kernel modules the guest needs, and our /init. Everything comes
 * from Debian packages fetched with `apt-get download` and unpacked with `dpkg -x` into a cache directory
 * that later runs reuse; nothing else is downloaded.
 */
import {createHash} from 'node:crypto'
import {existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {basename, dirname, join, relative} from 'node:path'
import {gzipSync} from 'node:zlib'

import {HachaosError} from '../../errors.js'
import {LocalExecutor} from '../../exec/local.js'
import {runOk} from '../../exec/run-ok.js'
import {writeFileAtomic} from '../../util/atomic.js'
import type {Progress} from '../driver.js'
import {cpioNewc, type CpioEntry} from './cpio.js'
import {GUEST_INIT_SH} from './guest-init.js'

const local = new LocalExecutor()

/** Bump when the image layout changes: cached initramfs files with another version are rebuilt. */
const IMAGE_VERSION = 3

/** Modules the guest loads (with their dependencies, found in each .ko's modinfo). */
export const WANTED_MODULES = ['virtio_pci', 'virtio_console', 'virtio_net', 'bonding'] as const

export const KERNEL_META_PACKAGE = 'linux-image-cloud-amd64'

/**
 * What goes into a guest image besides the kernel and busybox: the bond lab's (iperf3) or another lab's
 * (the LVS lab's keepalived, ipvsadm, iproute2: src/stacks/lvs/lab/guest.ts). Each flavor has its own
 * manifest and initramfs in the shared cache (the debs are shared).
 */
export interface GuestFlavor {
  /** 'bond' keeps the original file names (manifest.json, initramfs-KVER-KEY.cpio.gz). */
  name: string
  /** Packages whose binaries go in, with their lib* dependencies (transitively). */
  roots: string[]
  /** Binaries from those packages (paths inside the package, e.g. usr/sbin/keepalived), with the libraries they map. */
  binaries: string[]
  modules: readonly string[]
  init: string
  /**
   * Whole trees copied from every unpacked package that has them (paths inside the package, e.g.
   * usr/share/perl5): for interpreters' modules (the LVS lab's ldirectord flavor: perl's library). Symlinks
   * are kept, *.pod files (documentation) skipped.
   */
  trees?: readonly string[]
  /** Regular expressions (sources: the flavor is hashed as JSON) of tree paths left out (headers, unused codecs…). */
  treeSkip?: readonly string[]
}

export const BOND_FLAVOR: GuestFlavor = {name: 'bond', roots: ['iperf3'], binaries: ['usr/bin/iperf3'], modules: WANTED_MODULES, init: GUEST_INIT_SH}

export function cacheDir(): string {
  return join(process.env['HACHAOS_CACHE_DIR'] ?? '/var/cache/hachaos', 'bond-lab')
}

export interface GuestImage {
  kernel: string
  initrd: string
  kernelVersion: string
  /** Debian package files used (in the cache). */
  debs: string[]
  /** Package files fetched during this call (empty when the cache had everything). */
  downloaded: string[]
  initrdBytes: number
  modules: string[]
}

interface Manifest {
  version: number
  kernelPackage: string
  packages: string[]
  /** The flavor's roots the packages were resolved from (another set: resolved again). */
  roots?: string[]
}

function envError(msg: string, ...suggestions: string[]): HachaosError {
  return new HachaosError(msg, {code: 'E_GUEST_IMAGE', exit: 'ENVIRONMENT', suggestions})
}

async function aptCache(args: string[]): Promise<string> {
  const r = await local.run(['apt-cache', ...args], {timeoutMs: 60_000})
  return r.code === 0 ? r.stdout : ''
}

/** `Depends:` of a package (names only, no virtual `<…>` entries). */
async function dependsOf(pkg: string): Promise<string[]> {
  const out = await aptCache(['depends', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', pkg])
  const deps: string[] = []
  for (const l of out.split('\n')) {
    const m = /^\s+\|?(?:Pre)?Depends: ([^\s<>]+)/.exec(l)
    if (m?.[1] !== undefined) deps.push(m[1].replace(/:any$/, ''))
  }
  return deps
}

/** The versioned kernel image package the meta package points at (e.g. linux-image-6.1.0-56-cloud-amd64). */
async function kernelPackage(progress: Progress): Promise<string> {
  let deps = await dependsOf(KERNEL_META_PACKAGE)
  if (deps.length === 0) {
    progress('apt does not know linux-image-cloud-amd64 yet: apt-get update')
    await runOk(local, ['apt-get', 'update', '-qq'], {timeoutMs: 300_000, what: 'apt-get update'})
    deps = await dependsOf(KERNEL_META_PACKAGE)
  }
  const k = deps.find((d) => /^linux-image-\d.*-cloud-amd64$/.test(d))
  if (k === undefined) {
    throw envError(`apt cannot resolve ${KERNEL_META_PACKAGE} to a kernel package`, 'this lab needs Debian (bookworm or later) apt sources on amd64', 'check: apt-cache depends linux-image-cloud-amd64')
  }
  return k
}

/** The root packages and the library packages they need (lib* Depends, transitively). */
async function rootPackages(roots: string[]): Promise<string[]> {
  const seen = new Set<string>(roots)
  const todo = [...roots]
  while (todo.length > 0) {
    const p = todo.pop() as string
    for (const d of await dependsOf(p)) {
      if (d.startsWith('lib') && !seen.has(d)) {
        seen.add(d)
        todo.push(d)
      }
    }
  }
  return [...seen].sort()
}

function debFor(debs: string, pkg: string): string | null {
  if (!existsSync(debs)) return null
  const files = readdirSync(debs).filter((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'))
  return files.length === 0 ? null : join(debs, files.sort().at(-1) as string)
}

function extractDir(cache: string, deb: string): string {
  return join(cache, 'x', basename(deb, '.deb'))
}

async function extract(cache: string, deb: string): Promise<string> {
  const dir = extractDir(cache, deb)
  if (existsSync(join(dir, '.hachaos-extracted'))) return dir
  rmSync(dir, {recursive: true, force: true})
  mkdirSync(dir, {recursive: true})
  await runOk(local, ['dpkg', '-x', deb, dir], {timeoutMs: 300_000, what: `dpkg -x ${basename(deb)}`})
  writeFileSync(join(dir, '.hachaos-extracted'), '')
  return dir
}

/** Kernel module dependencies from the `depends=` entry of a .ko's .modinfo section. */
export function moduleDepends(ko: Buffer): string[] {
  const key = Buffer.from('depends=')
  let at = ko.indexOf(key)
  while (at > 0 && ko[at - 1] !== 0) at = ko.indexOf(key, at + 1)
  if (at < 0) return []
  const end = ko.indexOf(0, at)
  const v = ko.subarray(at + key.length, end < 0 ? undefined : end).toString('utf8')
  return v === '' ? [] : v.split(',').map((x) => x.trim().replace(/-/g, '_')).filter((x) => x !== '')
}

/** Module name → file, from modules.order; builtin modules (modules.builtin) need no file. */
function moduleIndex(modRoot: string): {files: Map<string, string>; builtin: Set<string>} {
  const nameOf = (p: string): string => basename(p).replace(/\.ko(\.\w+)?$/, '').replace(/-/g, '_')
  const files = new Map<string, string>()
  for (const l of readFileSync(join(modRoot, 'modules.order'), 'utf8').split('\n')) {
    const p = l.trim()
    if (p !== '') files.set(nameOf(p), join(modRoot, p))
  }
  const builtin = new Set<string>()
  try {
    for (const l of readFileSync(join(modRoot, 'modules.builtin'), 'utf8').split('\n')) if (l.trim() !== '') builtin.add(nameOf(l.trim()))
  } catch {
    // none listed
  }
  return {files, builtin}
}

/** Dependency-ordered list of modules to insmod (dependencies first). */
export function moduleLoadOrder(wanted: readonly string[], depsOf: (name: string) => string[] | null): string[] {
  const order: string[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (m: string): void => {
    const s = state.get(m)
    if (s === 'done') return
    if (s === 'visiting') throw envError(`kernel module dependency loop at ${m}`)
    state.set(m, 'visiting')
    const deps = depsOf(m)
    if (deps !== null) {
      for (const d of deps) visit(d)
      order.push(m)
    }
    state.set(m, 'done')
  }
  for (const w of wanted) visit(w)
  return order
}

/** Libraries the dynamic loader would map for a binary, resolved inside the unpacked packages. */
async function neededLibs(ldso: string, libDirs: string[], binary: string): Promise<string[]> {
  const r = await runOk(local, [ldso, '--library-path', libDirs.join(':'), '--list', binary], {what: `${basename(ldso)} --list ${basename(binary)}`})
  const libs: string[] = []
  for (const l of r.stdout.split('\n')) {
    if (/not found/.test(l)) throw envError(`${basename(binary)} needs a library no unpacked package provides: ${l.trim()}`)
    const m = /=>\s+(\/\S+)/.exec(l)
    if (m?.[1] !== undefined) libs.push(m[1])
  }
  return libs
}

function walkFind(root: string, test: (rel: string) => boolean): string | null {
  const stack = ['']
  while (stack.length > 0) {
    const rel = stack.pop() as string
    for (const e of readdirSync(join(root, rel), {withFileTypes: true})) {
      const r = join(rel, e.name)
      if (e.isDirectory()) stack.push(r)
      else if (test(r)) return r
    }
  }
  return null
}

export async function ensureGuestImage(opts: {progress?: Progress; flavor?: GuestFlavor} = {}): Promise<GuestImage> {
  const progress = opts.progress ?? ((): void => undefined)
  const flavor = opts.flavor ?? BOND_FLAVOR
  const cache = cacheDir()
  const debsDir = join(cache, 'debs')
  mkdirSync(debsDir, {recursive: true})
  const manifestFile = join(cache, flavor.name === 'bond' ? 'manifest.json' : `manifest-${flavor.name}.json`)
  let manifest: Manifest | null = null
  try {
    const m = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest
    if (m.version === IMAGE_VERSION) manifest = m
  } catch {
    // first run
  }
  const have = (pkgs: string[]): boolean => pkgs.every((p) => debFor(debsDir, p) !== null)
  const sameRoots = (m: Manifest): boolean => (m.roots ?? []).join(' ') === flavor.roots.join(' ')
  if (manifest === null || !sameRoots(manifest) || !have([manifest.kernelPackage, 'busybox-static', ...manifest.packages])) {
    progress(`resolving Debian packages (${KERNEL_META_PACKAGE}, busybox-static, ${flavor.roots.join(', ')} and their libraries)`)
    manifest = {version: IMAGE_VERSION, kernelPackage: await kernelPackage(progress), packages: await rootPackages(flavor.roots), roots: [...flavor.roots]}
  }
  const all = [manifest.kernelPackage, 'busybox-static', ...manifest.packages]
  const missing = all.filter((p) => debFor(debsDir, p) === null)
  const downloaded: string[] = []
  if (missing.length > 0) {
    progress(`apt-get download ${missing.join(' ')} → ${debsDir}`)
    // apt-get download saves into the working directory: change to the cache first (argv stays argv).
    const r = await local.run(['sh', '-c', 'cd "$1" && shift && exec apt-get download -o APT::Sandbox::User=root "$@"', 'sh', debsDir, ...missing], {timeoutMs: 600_000})
    if (r.code !== 0) {
      throw envError(`apt-get download failed: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`, 'check the apt sources and network (apt-get update)', `the packages: ${missing.join(' ')}`)
    }
    downloaded.push(...missing)
  }
  writeFileAtomic(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`)
  const debs = all.map((p) => debFor(debsDir, p) as string)

  const dirs = new Map<string, string>()
  for (const [i, p] of all.entries()) dirs.set(p, await extract(cache, debs[i] as string))
  const kdir = dirs.get(manifest.kernelPackage) as string
  const kver = readdirSync(join(kdir, 'lib', 'modules'))[0]
  if (kver === undefined) throw envError(`${basename(debs[0] as string)} holds no kernel modules`)
  const kernel = join(kdir, 'boot', `vmlinuz-${kver}`)
  if (!existsSync(kernel)) throw envError(`${kernel} is missing from the kernel package`)

  const init = flavor.init
  const key = createHash('sha256').update(JSON.stringify(flavor.name === 'bond' ? {IMAGE_VERSION, GUEST_INIT_SH: init, debs: debs.map((d) => basename(d))} : {IMAGE_VERSION, init, flavor, debs: debs.map((d) => basename(d))})).digest('hex').slice(0, 16)
  const prefix = flavor.name === 'bond' ? 'initramfs-' : `initramfs-${flavor.name}-`
  const initrd = join(cache, `${prefix}${kver}-${key}.cpio.gz`)
  const modRoot = join(kdir, 'lib', 'modules', kver)
  const idx = moduleIndex(modRoot)
  const modules = moduleLoadOrder(flavor.modules, (m) => {
    if (idx.builtin.has(m)) return null
    const f = idx.files.get(m)
    if (f === undefined) throw envError(`kernel ${kver} has no module ${m}`, `the ${flavor.name} lab needs a Debian cloud kernel with the modules ${flavor.modules.join(', ')}`)
    return moduleDepends(readFileSync(f))
  })
  if (!existsSync(initrd)) {
    progress(`building the guest initramfs (${modules.length} modules: ${modules.join(' ')})`)
    // only this flavor's older images (another flavor's name goes on with a letter, a kernel version with a digit)
    for (const f of readdirSync(cache).filter((x) => x.startsWith(prefix) && /^\d/.test(x.slice(prefix.length)) && x.endsWith('.cpio.gz'))) rmSync(join(cache, f), {force: true})
    const entries = await initramfsEntries(dirs, manifest, idx.files, modules, flavor)
    writeFileAtomic(initrd, '')
    writeFileSync(initrd, gzipSync(cpioNewc(entries), {level: 6}))
  }
  return {kernel, initrd, kernelVersion: kver, debs, downloaded, initrdBytes: statSync(initrd).size, modules}
}

async function initramfsEntries(dirs: Map<string, string>, manifest: Manifest, modFiles: Map<string, string>, modules: string[], flavor: GuestFlavor): Promise<CpioEntry[]> {
  const entries: CpioEntry[] = []
  const madeDirs = new Set<string>()
  const dir = (p: string): void => {
    const parts = p.split('/').filter((x) => x !== '')
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join('/')
      if (!madeDirs.has(d)) {
        madeDirs.add(d)
        entries.push({type: 'dir', path: d})
      }
    }
  }
  for (const d of ['bin', 'sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'run', 'lib/modules', 'lib64', 'usr/bin', 'usr/sbin', 'root']) dir(d)
  entries.push({type: 'char', path: 'dev/console', major: 5, minor: 1})
  entries.push({type: 'char', path: 'dev/null', major: 1, minor: 3, mode: 0o666})

  // busybox and its applets
  const bbRoot = dirs.get('busybox-static') as string
  const bb = join(bbRoot, 'bin', 'busybox')
  if (!existsSync(bb)) throw envError('busybox-static holds no bin/busybox')
  entries.push({type: 'file', path: 'bin/busybox', data: readFileSync(bb), mode: 0o755})
  const list = await runOk(local, [bb, '--list'], {what: 'busybox --list'})
  for (const a of list.stdout.split('\n').map((x) => x.trim())) {
    if (a === '' || a === 'busybox' || !/^[\w.[\]-]+$/.test(a)) continue
    // a flavor's own binary takes the name (the kernel's unpacker would write it through the symlink into busybox)
    if (flavor.binaries.includes(`bin/${a}`)) continue
    entries.push({type: 'symlink', path: `bin/${a}`, target: 'busybox'})
  }

  // the flavor's binaries and the libraries the loader maps for them, found in the unpacked packages
  const libcRoot = dirs.get('libc6')
  if (libcRoot === undefined) throw envError(`${flavor.roots.join(', ')} do not depend on libc6 here: cannot find the dynamic loader`)
  const ldRel = walkFind(libcRoot, (r) => /(^|\/)ld-linux-x86-64\.so\.2$/.test(r) && !statIsLink(join(libcRoot, r)))
  if (ldRel === null) throw envError('libc6 holds no ld-linux-x86-64.so.2')
  const ldso = join(libcRoot, ldRel)
  const libDirs: string[] = []
  for (const p of manifest.packages) {
    const root = dirs.get(p) as string
    for (const d of ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu']) if (existsSync(join(root, d))) libDirs.push(join(root, d))
  }
  const libsDone = new Set<string>()
  for (const bin of flavor.binaries) {
    const owner = flavor.roots.map((p) => dirs.get(p) as string).find((root) => existsSync(join(root, bin)))
    if (owner === undefined) throw envError(`no package of ${flavor.roots.join(', ')} holds ${bin}`)
    const path = join(owner, bin)
    dir(dirname(bin))
    entries.push({type: 'file', path: bin, data: readFileSync(realpathSync(path)), mode: 0o755})
    for (const lib of await neededLibs(ldso, libDirs, path)) {
      if (libsDone.has(lib)) continue
      libsDone.add(lib)
      const real = realpathSync(lib)
      const libOwner = [...dirs.values()].find((root) => lib.startsWith(`${root}/`))
      if (libOwner === undefined) throw envError(`${lib} is outside the unpacked packages`)
      const rel = relative(libOwner, lib)
      dir(dirname(rel))
      entries.push({type: 'file', path: rel, data: readFileSync(real), mode: 0o755})
    }
  }
  entries.push({type: 'file', path: 'lib64/ld-linux-x86-64.so.2', data: readFileSync(ldso), mode: 0o755})

  // whole trees (an interpreter's modules), from each package that has them
  const treeDone = new Set<string>()
  const skip = (flavor.treeSkip ?? []).map((x) => new RegExp(x))
  for (const tree of flavor.trees ?? []) {
    for (const root of dirs.values()) {
      if (!existsSync(join(root, tree))) continue
      const stack = [tree]
      while (stack.length > 0) {
        const rel = stack.pop() as string
        const abs = join(root, rel)
        if (treeDone.has(rel) || skip.some((r) => r.test(rel))) continue
        const st = lstatSync(abs)
        if (st.isSymbolicLink()) {
          dir(dirname(rel))
          treeDone.add(rel)
          entries.push({type: 'symlink', path: rel, target: readlinkSync(abs)})
        } else if (st.isDirectory()) {
          dir(rel)
          for (const e of readdirSync(abs)) stack.push(join(rel, e))
        } else if (st.isFile() && !rel.endsWith('.pod')) {
          dir(dirname(rel))
          treeDone.add(rel)
          entries.push({type: 'file', path: rel, data: readFileSync(abs), mode: st.mode & 0o777})
        }
      }
    }
  }

  // kernel modules, flat, with the load order
  for (const m of modules) entries.push({type: 'file', path: `lib/modules/${m}.ko`, data: readFileSync(modFiles.get(m) as string)})
  entries.push({type: 'file', path: 'lib/modules/load-order', data: Buffer.from(`${modules.join('\n')}\n`)})

  entries.push({type: 'file', path: 'etc/passwd', data: Buffer.from('root:x:0:0:root:/root:/bin/sh\n')})
  entries.push({type: 'file', path: 'etc/group', data: Buffer.from('root:x:0:\n')})
  entries.push({type: 'file', path: 'init', data: Buffer.from(flavor.init), mode: 0o755})
  return entries
}

function statIsLink(p: string): boolean {
  try {
    readlinkSync(p)
    return true
  } catch {
    return false
  }
}
