/**
 * Doctor findings as SARIF 2.1.0 (OASIS), the format code-scanning UIs (GitHub, GitLab, Azure DevOps) read.
 * One run, tool.driver = hachaos with every rule (id, texts, default level, help); one result per finding,
 * its first file:line as the location, the rest as relatedLocations, and a stable partial fingerprint.
 * Paths under the working directory are relative to %SRCROOT% so the UI can open the file in the repo.
 */
import {createHash} from 'node:crypto'
import {isAbsolute, relative} from 'node:path'
import {pathToFileURL} from 'node:url'

import type {DoctorReport} from './index.js'
import type {Evidence, Finding, Rule, Severity} from './types.js'

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json'

export type SarifLevel = 'none' | 'note' | 'warning' | 'error'

export interface SarifMessage {
  text: string
  markdown?: string
}

export interface SarifArtifactLocation {
  uri: string
  uriBaseId?: string
}

export interface SarifLocation {
  id?: number
  physicalLocation: {artifactLocation: SarifArtifactLocation; region: {startLine: number}}
  message?: SarifMessage
}

export interface SarifReportingDescriptor {
  id: string
  name: string
  shortDescription: SarifMessage
  fullDescription: SarifMessage
  help: SarifMessage
  defaultConfiguration: {level: SarifLevel}
  properties: {tags: string[]; precision: 'high' | 'medium'; 'problem.severity': 'error' | 'warning' | 'recommendation'}
}

export interface SarifResult {
  ruleId: string
  ruleIndex: number
  level: SarifLevel
  message: SarifMessage
  locations: SarifLocation[]
  relatedLocations?: SarifLocation[]
  partialFingerprints: Record<string, string>
  properties: {host?: string; area: string; evidence: string[]}
}

export interface SarifLog {
  $schema: string
  version: '2.1.0'
  runs: Array<{
    tool: {driver: {name: string; semanticVersion: string; informationUri?: string; rules: SarifReportingDescriptor[]}}
    originalUriBaseIds: Record<string, {uri: string}>
    results: SarifResult[]
    columnKind: 'utf16CodeUnits'
    invocations: Array<{executionSuccessful: boolean}>
  }>
}

const LEVEL: Record<Severity, SarifLevel> = {error: 'error', warning: 'warning', note: 'note'}
const PROBLEM: Record<Severity, 'error' | 'warning' | 'recommendation'> = {error: 'error', warning: 'warning', note: 'recommendation'}

function pascal(id: string): string {
  return id
    .split(/[-_]/)
    .map((w) => (w === '' ? '' : (w[0] ?? '').toUpperCase() + w.slice(1)))
    .join('')
}

/** An evidence file as a SARIF artifact location (uri-reference). */
export function artifactFor(file: string, host: string | undefined, cwd: string): SarifArtifactLocation {
  // live sources named "HOST:command" or "HOST:/path" on a remote host
  const remote = /^([A-Za-z0-9][A-Za-z0-9_.-]*):(.+)$/.exec(file)
  if (remote !== null && !isAbsolute(file)) {
    const rest = remote[2] ?? ''
    return {uri: `hachaos://${encodeURIComponent(remote[1] ?? '')}/${rest.startsWith('/') ? encodeURI(rest.slice(1)) : encodeURIComponent(rest)}`}
  }
  if (isAbsolute(file)) {
    const rel = relative(cwd, file)
    if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) return {uri: encodeURI(rel), uriBaseId: '%SRCROOT%'}
    return {uri: pathToFileURL(file).href}
  }
  if (host !== undefined && file === '') return {uri: `hachaos://${encodeURIComponent(host)}/`}
  return {uri: encodeURI(file), uriBaseId: '%SRCROOT%'}
}

function location(e: Evidence, cwd: string, id?: number): SarifLocation {
  const loc: SarifLocation = {
    physicalLocation: {artifactLocation: artifactFor(e.file ?? '', e.host ?? 'local', cwd), region: {startLine: Math.max(1, e.line ?? 1)}},
  }
  if (id !== undefined) loc.id = id
  const words = [e.host, e.state].filter((x): x is string => x !== undefined && x !== '')
  if (words.length > 0) loc.message = {text: words.join(': ')}
  return loc
}

function fingerprint(f: Finding): string {
  return createHash('sha256').update(`${f.rule}\u0000${f.host ?? ''}\u0000${f.message}`).digest('hex').slice(0, 32)
}

export function ruleDescriptor(r: Rule): SarifReportingDescriptor {
  return {
    id: r.id,
    name: pascal(r.id),
    shortDescription: {text: r.title},
    fullDescription: {text: r.why},
    help: {text: `${r.why}\n\nFix: ${r.fix}\n\n${r.explain}`, markdown: `${r.why}\n\n**Fix:** ${r.fix}\n\n${r.explain}`},
    defaultConfiguration: {level: LEVEL[r.severity]},
    properties: {tags: ['reliability', 'high-availability', r.area], precision: 'high', 'problem.severity': PROBLEM[r.severity]},
  }
}

export function toSarif(report: DoctorReport, rules: readonly Rule[], opts: {version: string; cwd: string}): SarifLog {
  const index = new Map(rules.map((r, i) => [r.id, i]))
  const results: SarifResult[] = report.findings.map((f) => {
    const withFile = f.evidence.filter((e) => e.file !== undefined && e.file !== '')
    const primary = withFile[0] ?? f.evidence[0] ?? {host: f.host ?? 'local'}
    const res: SarifResult = {
      ruleId: f.rule,
      ruleIndex: index.get(f.rule) ?? 0,
      level: LEVEL[f.severity],
      message: {text: `${f.message}. Fix: ${f.fix}`},
      locations: [location(primary, opts.cwd)],
      partialFingerprints: {'hachaosFinding/v1': fingerprint(f)},
      properties: {area: f.area, evidence: f.evidence.map((e) => [e.host, e.file === undefined ? undefined : `${e.file}:${e.line ?? 1}`, e.state].filter((x) => x !== undefined).join(' '))},
    }
    if (f.host !== undefined) res.properties.host = f.host
    const rest = withFile.slice(1)
    if (rest.length > 0) res.relatedLocations = rest.map((e, i) => location(e, opts.cwd, i + 1))
    return res
  })
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {driver: {name: 'hachaos', semanticVersion: opts.version, rules: rules.map(ruleDescriptor)}},
        originalUriBaseIds: {'%SRCROOT%': {uri: pathToFileURL(opts.cwd.endsWith('/') ? opts.cwd : `${opts.cwd}/`).href}},
        results,
        columnKind: 'utf16CodeUnits',
        invocations: [{executionSuccessful: true}],
      },
    ],
  }
}
