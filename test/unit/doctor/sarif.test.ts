/**
 * SARIF output against the shape of the OASIS SARIF 2.1.0 schema (the objects we emit, with
 * additionalProperties: false as the schema has them) and GitHub code scanning's upload requirements.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {z} from 'zod'

import {addSource} from '../../../src/doctor/collect.js'
import {runDoctor as runDoctorWith} from '../../../src/doctor/index.js'
import {doctorRules} from '../../../src/stacks/registry.js'
import {artifactFor, toSarif} from '../../../src/doctor/sarif.js'
import {type DoctorInput, emptyHost} from '../../../src/doctor/types.js'
import {fixturePath, readFixture} from '../../fixture.js'

/** Every rule the command runs: the shared ones and each stack's own (src/stacks/registry.ts). */
const ALL_RULES = doctorRules()
const RULES = ALL_RULES
const runDoctor = (input: DoctorInput, opts: {rules: typeof ALL_RULES} = {rules: ALL_RULES}): ReturnType<typeof runDoctorWith> => runDoctorWith(input, opts)

// --- SARIF 2.1.0 (sarif-schema-2.1.0.json), the subset hachaos writes -----------------------------------
const propertyBag = z.object({tags: z.array(z.string()).optional()}).catchall(z.unknown())
const message = z.object({text: z.string().min(1), markdown: z.string().optional(), id: z.string().optional(), arguments: z.array(z.string()).optional(), properties: propertyBag.optional()}).strict()
const mfString = z.object({text: z.string().min(1), markdown: z.string().optional(), properties: propertyBag.optional()}).strict()
const level = z.enum(['none', 'note', 'warning', 'error'])
/** uri-reference (RFC 3986): no spaces or raw non-ASCII, parses against a base. */
const uriRef = z.string().refine((u) => !/[\s"<>\\^`{|}]/.test(u) && /^[\x21-\x7e]*$/.test(u) && URL.canParse(u, 'file:///base/'), 'a uri-reference')
const artifactLocation = z.object({uri: uriRef, uriBaseId: z.string().optional(), index: z.number().int().min(-1).optional(), description: message.optional(), properties: propertyBag.optional()}).strict()
const region = z.object({startLine: z.number().int().min(1), startColumn: z.number().int().min(1).optional(), endLine: z.number().int().min(1).optional(), endColumn: z.number().int().min(1).optional(), message: message.optional(), properties: propertyBag.optional()}).strict()
const physicalLocation = z.object({artifactLocation, region, contextRegion: region.optional(), properties: propertyBag.optional()}).strict()
const location = z.object({id: z.number().int().min(-1).optional(), physicalLocation, message: message.optional(), properties: propertyBag.optional()}).strict()
const reportingConfiguration = z.object({enabled: z.boolean().optional(), level: level.optional(), rank: z.number().min(-1).max(100).optional(), properties: propertyBag.optional()}).strict()
const reportingDescriptor = z
  .object({
    id: z.string().min(1),
    name: z.string().optional(),
    shortDescription: mfString.optional(),
    fullDescription: mfString.optional(),
    help: mfString.optional(),
    helpUri: z.string().optional(),
    defaultConfiguration: reportingConfiguration.optional(),
    properties: propertyBag.optional(),
  })
  .strict()
const result = z
  .object({
    ruleId: z.string().optional(),
    ruleIndex: z.number().int().min(-1).optional(),
    level: level.optional(),
    message,
    locations: z.array(location).optional(),
    relatedLocations: z.array(location).optional(),
    partialFingerprints: z.record(z.string(), z.string()).optional(),
    fingerprints: z.record(z.string(), z.string()).optional(),
    properties: propertyBag.optional(),
  })
  .strict()
const toolComponent = z
  .object({name: z.string().min(1), semanticVersion: z.string().optional(), version: z.string().optional(), informationUri: z.string().optional(), rules: z.array(reportingDescriptor).optional(), properties: propertyBag.optional()})
  .strict()
const run = z
  .object({
    tool: z.object({driver: toolComponent, properties: propertyBag.optional()}).strict(),
    invocations: z.array(z.object({executionSuccessful: z.boolean(), properties: propertyBag.optional()}).strict()).optional(),
    originalUriBaseIds: z.record(z.string(), artifactLocation).optional(),
    results: z.array(result).optional(),
    columnKind: z.enum(['utf16CodeUnits', 'unicodeCodePoints']).optional(),
    properties: propertyBag.optional(),
  })
  .strict()
const sarifLog = z.object({$schema: z.string().url().optional(), version: z.literal('2.1.0'), runs: z.array(run), properties: propertyBag.optional()}).strict()

function input(): DoctorInput {
  const lb1 = emptyHost('lb1')
  addSource(lb1, 'haproxy', fixturePath('haproxy', 'seed-lb1.cfg'), readFixture('haproxy', 'seed-lb1.cfg'))
  addSource(lb1, 'keepalived', fixturePath('keepalived', 'lvs-dr-master.conf'), readFixture('keepalived', 'lvs-dr-master.conf'))
  const n1 = emptyHost('n1')
  addSource(n1, 'cib', 'n1:cibadmin -Q', readFixture('pacemaker', 'lab-2node-bad-cib.xml'))
  addSource(n1, 'crm_mon', 'n1:crm_mon --output-as=xml', readFixture('pacemaker', 'lab-2node-bad-crm_mon.xml'))
  addSource(n1, 'bonding', '/proc/net/bonding/bond0', readFixture('bonding', 'ab-member-down.txt'))
  n1.problems.push({message: 'cannot reach n2'})
  return {hosts: [lb1, n1]}
}

describe('SARIF 2.1.0 output', () => {
  const cwd = fixturePath('..', '..')
  const report = runDoctor(input())
  const log = toSarif(report, RULES, {version: '0.1.0', cwd})

  it('matches the SARIF 2.1.0 schema shape', () => {
    const r = sarifLog.safeParse(JSON.parse(JSON.stringify(log)))
    assert.ok(r.success, r.success ? '' : JSON.stringify(r.error.issues.slice(0, 5), null, 1))
  })

  it('meets GitHub code scanning requirements', () => {
    const run0 = log.runs[0]
    assert.ok(run0 !== undefined)
    assert.equal(run0.tool.driver.name, 'hachaos')
    assert.equal(run0.tool.driver.rules.length, RULES.length)
    for (const rule of run0.tool.driver.rules) {
      assert.ok(rule.shortDescription.text.length > 0 && rule.fullDescription.text.length > 0 && rule.help.text.length > 0)
      assert.ok(rule.properties.tags.length > 0)
    }
    assert.equal(run0.results.length, report.findings.length)
    assert.ok(run0.results.length >= 8)
    for (const res of run0.results) {
      assert.equal(run0.tool.driver.rules[res.ruleIndex]?.id, res.ruleId, 'ruleIndex points at the rule')
      assert.equal(res.locations.length, 1, 'GitHub wants exactly one location')
      assert.ok((res.locations[0]?.physicalLocation.region.startLine ?? 0) >= 1)
      assert.ok(Object.values(res.partialFingerprints)[0]?.match(/^[0-9a-f]{32}$/))
    }
  })

  it('keeps file:line: repo files relative to %SRCROOT%, live sources as hachaos://HOST/…', () => {
    const results = log.runs[0]?.results ?? []
    const noCheck = results.find((r) => r.ruleId === 'haproxy-server-no-check')
    assert.deepEqual(noCheck?.locations[0]?.physicalLocation, {artifactLocation: {uri: 'test/fixtures/haproxy/seed-lb1.cfg', uriBaseId: '%SRCROOT%'}, region: {startLine: 77}})
    assert.equal(noCheck?.level, 'error')
    const stonith = results.find((r) => r.ruleId === 'pacemaker-stonith-disabled')
    assert.deepEqual(stonith?.locations[0]?.physicalLocation, {artifactLocation: {uri: 'hachaos://n1/cibadmin%20-Q'}, region: {startLine: 5}})
    const bond = results.find((r) => r.ruleId === 'bond-member-down')
    assert.equal(bond?.locations[0]?.physicalLocation.artifactLocation.uri, 'file:///proc/net/bonding/bond0')
    const unreachable = results.find((r) => r.ruleId === 'doctor-source-unreadable')
    assert.equal(unreachable?.locations[0]?.physicalLocation.artifactLocation.uri, 'hachaos://n1/')
    assert.equal(artifactFor('lb1:/etc/keepalived/keepalived.conf', 'lb1', '/').uri, 'hachaos://lb1/etc/keepalived/keepalived.conf')
    assert.equal(artifactFor('/work/x y.cfg', undefined, '/other').uri, 'file:///work/x%20y.cfg')
  })

  it('fingerprints are stable from run to run and differ between findings', () => {
    const again = toSarif(runDoctor(input()), RULES, {version: '0.1.0', cwd})
    const fp = (l: typeof log): string[] => (l.runs[0]?.results ?? []).map((r) => Object.values(r.partialFingerprints)[0] ?? '')
    assert.deepEqual(fp(again), fp(log))
    assert.equal(new Set(fp(log)).size, fp(log).length)
  })

  it('an empty report is still a valid log', () => {
    const empty = toSarif(runDoctor({hosts: []}), RULES, {version: '0.1.0', cwd})
    assert.ok(sarifLog.safeParse(JSON.parse(JSON.stringify(empty))).success)
    assert.deepEqual(empty.runs[0]?.results, [])
  })
})
