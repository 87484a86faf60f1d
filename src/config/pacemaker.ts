/**
 * Pacemaker configuration, from files: the CIB (`cibadmin -Q`, or /var/lib/pacemaker/cib/cib.xml), XML via
 * fast-xml-parser with line numbers. crm_mon's state is read by src/config/crm-mon.ts.
 */
import {type Loc, configError} from './common.js'
import {type XmlEl, descendants, kid, kids, parseXml} from './xml.js'

export interface PcmkNvpair extends Loc {
  id?: string
  name: string
  value: string
}

export interface PcmkOp extends Loc {
  id?: string
  name: string
  interval: string
  timeout?: string
  role?: string
}

export type PcmkParentKind = 'group' | 'clone' | 'master' | 'bundle'

export interface PcmkPrimitive extends Loc {
  id: string
  class: string
  provider?: string
  type: string
  /** class:provider:type, e.g. ocf:heartbeat:IPaddr2. */
  agent: string
  params: Record<string, string>
  meta: Record<string, string>
  ops: PcmkOp[]
  /** The group it is in, if any. */
  group?: string
  /** The clone / master / bundle around it (or around its group). */
  clone?: string
  /** `<primitive template="T">`: the `<template>` it takes its class, provider, type, params and ops from. */
  template?: string
}

/** `<template id class provider type>`: a resource template primitives refer to with `template="ID"`. */
export interface PcmkTemplate extends Loc {
  id: string
  class?: string
  provider?: string
  type?: string
  params: Record<string, string>
  meta: Record<string, string>
  ops: PcmkOp[]
}

export interface PcmkGroup extends Loc {
  id: string
  members: string[]
  clone?: string
}

export interface PcmkClone extends Loc {
  id: string
  kind: 'clone' | 'master' | 'bundle'
  promotable: boolean
  /** Id of the primitive or group inside. */
  child?: string
}

export interface PcmkConstraint extends Loc {
  kind: 'colocation' | 'order' | 'location' | 'ticket'
  id: string
  /** Resources it ties together (rsc/with-rsc, first/then, or every resource_ref of its sets). */
  resources: string[]
  score?: string
}

export interface CibConfig {
  file: string
  /** cluster_property_set nvpairs by name (the last one wins). */
  crmConfig: Record<string, PcmkNvpair>
  rscDefaults: Record<string, PcmkNvpair>
  opDefaults: Record<string, PcmkNvpair>
  nodes: Array<Loc & {id: string; uname: string; maintenance?: PcmkNvpair}>
  primitives: PcmkPrimitive[]
  templates: PcmkTemplate[]
  groups: PcmkGroup[]
  clones: PcmkClone[]
  constraints: PcmkConstraint[]
  /** `<cib have-quorum="1">`. */
  haveQuorum?: boolean
  /** Line of <resources>, for findings about the resource set as a whole. */
  resourcesLine: number
  crmConfigLine: number
}

const CIB = 'CIB'

function nvpairs(el: XmlEl | undefined): Record<string, PcmkNvpair> {
  const out: Record<string, PcmkNvpair> = {}
  for (const nv of descendants(el, 'nvpair')) {
    const name = nv.attrs['name']
    if (name === undefined) continue
    const p: PcmkNvpair = {name, value: nv.attrs['value'] ?? '', file: nv.file, line: nv.line}
    if (nv.attrs['id'] !== undefined) p.id = nv.attrs['id']
    out[name] = p
  }
  return out
}

function need(el: XmlEl, attr: string, what: string): string {
  const v = el.attrs[attr]
  if (v === undefined || v === '') throw configError(what, el, `<${el.name}> without ${attr}="…"`, `every <${el.name}> needs ${attr}; was the CIB edited by hand?`)
  return v
}

function opsOf(el: XmlEl): PcmkOp[] {
  return kids(kid(el, 'operations'), 'op').map((o) => {
    const op: PcmkOp = {name: o.attrs['name'] ?? '', interval: o.attrs['interval'] ?? '0', file: o.file, line: o.line}
    if (o.attrs['id'] !== undefined) op.id = o.attrs['id']
    if (o.attrs['timeout'] !== undefined) op.timeout = o.attrs['timeout']
    if (o.attrs['role'] !== undefined) op.role = o.attrs['role']
    return op
  })
}

function valuesOf(el: XmlEl | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(nvpairs(el))) out[k] = v.value
  return out
}

function templateOf(el: XmlEl): PcmkTemplate {
  const t: PcmkTemplate = {id: need(el, 'id', CIB), params: valuesOf(kid(el, 'instance_attributes')), meta: valuesOf(kid(el, 'meta_attributes')), ops: opsOf(el), file: el.file, line: el.line}
  for (const a of ['class', 'provider', 'type'] as const) if (el.attrs[a] !== undefined) t[a] = el.attrs[a]
  return t
}

function primitiveOf(el: XmlEl, parent: {group?: string; clone?: string}, templates: Map<string, PcmkTemplate>): PcmkPrimitive {
  const id = need(el, 'id', CIB)
  // A primitive may take its agent from a <template> (Pacemaker Explained, "Resource Templates"): its own
  // attributes, params, meta and ops win over the template's.
  const tid = el.attrs['template']
  const tpl = tid === undefined ? undefined : templates.get(tid)
  if (tid !== undefined && tpl === undefined) {
    throw configError(CIB, el, `<primitive id="${id}" template="${tid}">: no <template id="${tid}"> in <resources>`, `add the template, or give the primitive class="…" type="…" itself`)
  }
  const cls = el.attrs['class'] ?? tpl?.class
  const type = el.attrs['type'] ?? tpl?.type
  if (cls === undefined || cls === '') {
    throw configError(CIB, el, `<primitive id="${id}"> without class="…"${tpl === undefined ? '' : ` (and its template ${tpl.id} has none)`}`, 'every primitive needs class and type, written on it or on the <template> it names; was the CIB edited by hand?')
  }
  if (type === undefined || type === '') {
    throw configError(CIB, el, `<primitive id="${id}"> without type="…"${tpl === undefined ? '' : ` (and its template ${tpl.id} has none)`}`, 'every primitive needs class and type, written on it or on the <template> it names; was the CIB edited by hand?')
  }
  const provider = el.attrs['provider'] ?? tpl?.provider
  const params: Record<string, string> = {...tpl?.params, ...valuesOf(kid(el, 'instance_attributes'))}
  const meta: Record<string, string> = {...tpl?.meta, ...valuesOf(kid(el, 'meta_attributes'))}
  const own = opsOf(el)
  const ops: PcmkOp[] = [...(tpl?.ops ?? []).filter((o) => !own.some((x) => x.name === o.name && x.interval === o.interval && x.role === o.role)), ...own]
  const p: PcmkPrimitive = {id, class: cls, type, agent: [cls, provider, type].filter((x) => x !== undefined).join(':'), params, meta, ops, file: el.file, line: el.line}
  if (provider !== undefined) p.provider = provider
  if (parent.group !== undefined) p.group = parent.group
  if (parent.clone !== undefined) p.clone = parent.clone
  if (tpl !== undefined) p.template = tpl.id
  return p
}

/** Parse a CIB (`cibadmin -Q` output or cib.xml). Throws HachaosError (BAD_INPUT, file:line) when it is not one. */
export function parseCib(text: string, opts: {file: string}): CibConfig {
  const roots = parseXml(text, opts.file, CIB)
  const cib = roots.find((r) => r.name === 'cib')
  if (cib === undefined) {
    throw configError(CIB, roots[0] ?? {file: opts.file, line: 1}, `no <cib> element (found ${roots.map((r) => `<${r.name}>`).join(', ') || 'nothing'})`, 'give the output of `cibadmin -Q` (or /var/lib/pacemaker/cib/cib.xml)')
  }
  const conf = kid(cib, 'configuration')
  if (conf === undefined) throw configError(CIB, cib, '<cib> without <configuration>', 'give the whole output of `cibadmin -Q`')
  const crm = kid(conf, 'crm_config')
  const resources = kid(conf, 'resources')
  const out: CibConfig = {
    file: opts.file,
    crmConfig: nvpairs(crm),
    rscDefaults: nvpairs(kid(conf, 'rsc_defaults')),
    opDefaults: nvpairs(kid(conf, 'op_defaults')),
    nodes: kids(kid(conf, 'nodes'), 'node').map((n) => {
      const m = nvpairs(kid(n, 'instance_attributes'))['maintenance']
      return {id: n.attrs['id'] ?? '', uname: n.attrs['uname'] ?? '', file: n.file, line: n.line, ...(m === undefined ? {} : {maintenance: m})}
    }),
    primitives: [],
    templates: [],
    groups: [],
    clones: [],
    constraints: [],
    resourcesLine: resources?.line ?? conf.line,
    crmConfigLine: crm?.line ?? conf.line,
  }
  if (cib.attrs['have-quorum'] !== undefined) out.haveQuorum = /^(1|true)$/.test(cib.attrs['have-quorum'])
  out.templates = kids(resources, 'template').map(templateOf)
  const templates = new Map(out.templates.map((t) => [t.id, t]))
  const walk = (el: XmlEl, parent: {group?: string; clone?: string}): void => {
    for (const c of el.children) {
      if (c.name === 'primitive') out.primitives.push(primitiveOf(c, parent, templates))
      else if (c.name === 'group') {
        const id = need(c, 'id', CIB)
        const g: PcmkGroup = {id, members: kids(c, 'primitive').map((p) => p.attrs['id'] ?? ''), file: c.file, line: c.line}
        if (parent.clone !== undefined) g.clone = parent.clone
        out.groups.push(g)
        walk(c, {...parent, group: id})
      } else if (c.name === 'clone' || c.name === 'master' || c.name === 'bundle') {
        const id = need(c, 'id', CIB)
        const meta = nvpairs(kid(c, 'meta_attributes'))
        const inner = c.children.find((x) => x.name === 'primitive' || x.name === 'group')
        const cl: PcmkClone = {id, kind: c.name, promotable: c.name === 'master' || meta['promotable']?.value === 'true', file: c.file, line: c.line}
        if (inner?.attrs['id'] !== undefined) cl.child = inner.attrs['id']
        out.clones.push(cl)
        walk(c, {clone: id})
      }
    }
  }
  if (resources !== undefined) walk(resources, {})
  for (const c of kid(conf, 'constraints')?.children ?? []) {
    const kind = c.name === 'rsc_colocation' ? 'colocation' : c.name === 'rsc_order' ? 'order' : c.name === 'rsc_location' ? 'location' : c.name === 'rsc_ticket' ? 'ticket' : undefined
    if (kind === undefined) continue
    const refs = ['rsc', 'with-rsc', 'first', 'then'].map((a) => c.attrs[a]).filter((x): x is string => x !== undefined)
    for (const r of descendants(c, 'resource_ref')) if (r.attrs['id'] !== undefined) refs.push(r.attrs['id'])
    const k: PcmkConstraint = {kind, id: c.attrs['id'] ?? '', resources: refs, file: c.file, line: c.line}
    if (c.attrs['score'] !== undefined) k.score = c.attrs['score']
    out.constraints.push(k)
  }
  return out
}

/**
 * Cluster options Pacemaker 3 renamed (new name → old name), from Pacemaker's own option table
 * (lib/common/options.c, "old name" column): the new name wins when both are set, the old one is still read.
 */
export const RENAMED_OPTIONS: Readonly<Record<string, string>> = {
  'fencing-enabled': 'stonith-enabled',
  'fencing-action': 'stonith-action',
  'fencing-reaction': 'fence-reaction',
  'fencing-timeout': 'stonith-timeout',
  'fencing-watchdog-timeout': 'stonith-watchdog-timeout',
  'fencing-max-attempts': 'stonith-max-attempts',
  'stop-removed-resources': 'stop-orphan-resources',
  'cancel-removed-actions': 'stop-orphan-actions',
}
const NEW_NAME: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(RENAMED_OPTIONS).map(([n, o]) => [o, n]))

/**
 * A cluster property with Pacemaker's default when unset. Either name of a renamed option may be asked for
 * (`stonith-enabled` or `fencing-enabled`): both spellings are read, the newer wins, as Pacemaker does.
 */
export function clusterProperty(cib: CibConfig, name: string, dflt: string): {value: string; set?: PcmkNvpair} {
  const newer = NEW_NAME[name] ?? name
  const older = RENAMED_OPTIONS[newer]
  const p = cib.crmConfig[newer] ?? (older === undefined ? undefined : cib.crmConfig[older])
  return p === undefined ? {value: dflt} : {value: p.value, set: p}
}

/** Stonith (fencing) devices configured. */
export function stonithDevices(cib: CibConfig): PcmkPrimitive[] {
  return cib.primitives.filter((p) => p.class === 'stonith')
}

/** Ids that stand for a primitive in constraints: itself, its group, its clone or bundle, its template. */
export function aliasesOf(p: PcmkPrimitive): string[] {
  return [p.id, p.group, p.clone, p.template].filter((x): x is string => x !== undefined)
}

/** A boolean CIB value as Pacemaker reads it (true, yes, on, 1, y). */
export function cibTrue(v: string | undefined): boolean {
  return v !== undefined && /^(true|yes|on|1|y)$/i.test(v.trim())
}

/** Where maintenance is switched on in the CIB: the cluster option, per node, per resource (meta). */
export function cibMaintenance(cib: CibConfig): Array<{what: string; at: Loc}> {
  const out: Array<{what: string; at: Loc}> = []
  const mm = cib.crmConfig['maintenance-mode']
  if (mm !== undefined && cibTrue(mm.value)) out.push({what: 'the cluster is in maintenance mode (maintenance-mode=true)', at: mm})
  for (const n of cib.nodes) if (n.maintenance !== undefined && cibTrue(n.maintenance.value)) out.push({what: `node ${n.uname || n.id} is in maintenance`, at: n.maintenance})
  for (const p of cib.primitives) {
    if (cibTrue(p.meta['maintenance'])) out.push({what: `resource ${p.id} is in maintenance (meta maintenance=true)`, at: p})
    else if (p.meta['is-managed'] !== undefined && /^(false|no|off|0|n)$/i.test(p.meta['is-managed'])) out.push({what: `resource ${p.id} is unmanaged (is-managed=false)`, at: p})
  }
  return out
}

/** True when a and b are kept on one node: same group, or a colocation constraint ties them (or their group/clone). */
export function keptTogether(cib: CibConfig, a: PcmkPrimitive, b: PcmkPrimitive): boolean {
  if (a.group !== undefined && a.group === b.group) return true
  const aa = aliasesOf(a)
  const bb = aliasesOf(b)
  return cib.constraints.some((c) => c.kind === 'colocation' && !/^-/.test(c.score ?? '') && c.resources.some((r) => aa.includes(r)) && c.resources.some((r) => bb.includes(r)))
}
