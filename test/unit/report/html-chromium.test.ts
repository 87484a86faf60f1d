/**
 * The HTML report opened in Debian's headless Chromium (/usr/bin/chromium, driven by playwright-core; no browser
 * download). Checks that each drill's SVG timeline is really drawn: the counts of advert, GARP and probe marks
 * match the run, the outage band has a non-zero rendered width, and a screenshot of the timeline shows the
 * band's red and the adverts' blue where the SVG put them. No network: every non-file request is refused.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {pathToFileURL} from 'node:url'

import {chromium, type BrowserContext, type Page} from 'playwright-core'

import {htmlRenderer} from '../../../reports/html.js'
import {buildReport} from '../../../src/report/model.js'
import {fixtureNowMs, fixtureRuns} from './runs-helper.js'

const CHROMIUM = '/usr/bin/chromium'

describe('HTML report in headless Chromium', {timeout: 120_000}, () => {
  const work = mkdtempSync(join(tmpdir(), 'hachaos-html-'))
  const model = buildReport(fixtureRuns(), {nowMs: fixtureNowMs()})
  let ctx: BrowserContext | undefined
  let page: Page
  const external: string[] = []
  const consoleErrors: string[] = []

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium package (scripts/debian-packages.txt)`)
    const file = join(work, 'report.html')
    writeFileSync(file, htmlRenderer.render(model))
    ctx = await chromium.launchPersistentContext(join(work, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: {width: 1100, height: 900},
    })
    await ctx.route('**/*', async (route) => {
      const url = route.request().url()
      if (url.startsWith('file:')) await route.continue()
      else {
        external.push(url)
        await route.abort()
      }
    })
    page = await ctx.newPage()
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text())
    })
    await page.goto(pathToFileURL(file).href, {waitUntil: 'load'})
  })

  after(async () => {
    await ctx?.close()
    rmSync(work, {recursive: true, force: true})
  })

  it('loads with no external request and no console error', () => {
    assert.deepEqual(external, [])
    assert.deepEqual(consoleErrors, [])
  })

  it('draws one timeline per drill with every advert, GARP and probe mark', async () => {
    const svgs = page.locator('svg.timeline')
    assert.equal(await svgs.count(), model.drills.length)
    for (const [i, d] of model.drills.entries()) {
      const svg = svgs.nth(i)
      assert.equal(await svg.getAttribute('data-drill'), d.id)
      const tl = d.timeline
      assert.ok(tl !== null, `${d.id}: every drill of the fixture store has its timeline`)
      assert.equal(await svg.locator('circle.advert').count(), tl.advertLanes.reduce((a, l) => a + l.marks.length, 0), d.id)
      for (const lane of tl.advertLanes) assert.equal(await svg.locator(`circle.advert[data-src="${lane.src}"]`).count(), lane.marks.length)
      assert.equal(await svg.locator('circle.advert.prio0').count(), tl.advertLanes.reduce((a, l) => a + l.marks.filter((mk) => mk.prio === 0).length, 0))
      assert.equal(await svg.locator('polygon.garp').count(), tl.garps.length)
      assert.equal(await svg.locator('line.probe.fail').count(), tl.probes.filter((p) => !p.ok).length)
      assert.equal(await svg.locator('line.probe.ok').count(), tl.probes.filter((p) => p.ok).length)
      assert.equal(await svg.locator('line.fault').count(), 1)
      assert.equal(await svg.locator('rect.outage').count(), tl.outages.length)
      for (let k = 0; k < tl.outages.length; k++) {
        const box = await svg.locator('rect.outage').nth(k).boundingBox()
        assert.ok(box !== null && box.width > 0 && box.height > 0, `${d.id}: outage band not rendered`)
      }
    }
  })

  it('a screenshot of a timeline shows the outage band and the adverts', async () => {
    const i = model.drills.findIndex((d) => (d.timeline?.outages ?? []).some((o) => o.toMs - o.fromMs > 1000))
    assert.ok(i >= 0, 'a drill with an outage over 1 s')
    const svg = page.locator('svg.timeline').nth(i)
    const png = await svg.screenshot({path: join(work, 'timeline.png')})
    assert.deepEqual([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG')
    const svgBox = await svg.boundingBox()
    const band = await svg.locator('rect.outage').first().boundingBox()
    const dot = await svg.locator('circle.advert').first().boundingBox()
    assert.ok(svgBox !== null && band !== null && dot !== null)
    // Where to look, in screenshot pixels: the band's middle, between lanes (no mark on top), and the first advert's centre.
    const probes = await svg.locator('line.probe').first().boundingBox()
    const bandPt = {x: band.x + band.width / 2 - svgBox.x, y: band.y + 4 - svgBox.y}
    const dotPt = {x: dot.x + dot.width / 2 - svgBox.x, y: dot.y + dot.height / 2 - svgBox.y}
    assert.ok(probes !== null)
    // Decode the screenshot in the page (a canvas reads pixels; no PNG decoder is installed in Node). Passed as a
    // string: the test is compiled without the DOM typings.
    const px = (await page.evaluate(`(async () => {
      const img = new Image()
      img.src = 'data:image/png;base64,${png.toString('base64')}'
      await img.decode()
      const c = document.createElement('canvas')
      c.width = img.width
      c.height = img.height
      const g = c.getContext('2d')
      g.drawImage(img, 0, 0)
      const pts = ${JSON.stringify([bandPt, dotPt])}
      return {size: [img.width, img.height], colours: pts.map((p) => Array.from(g.getImageData(Math.round(p.x), Math.round(p.y), 1, 1).data))}
    })()`)) as {size: number[]; colours: number[][]}
    // the screenshot is the SVG's box, rounded out to whole pixels
    assert.ok(Math.abs((px.size[0] as number) - svgBox.width) <= 1 && Math.abs((px.size[1] as number) - svgBox.height) <= 1, `${px.size.join('x')} vs ${svgBox.width}x${svgBox.height}`)
    const [bandRgb, dotRgb] = px.colours as [number[], number[]]
    const [r1, g1, b1] = bandRgb
    assert.ok((r1 as number) > (g1 as number) + 20 && (r1 as number) > (b1 as number) + 20, `outage band not red in the screenshot: rgb ${bandRgb.join(',')}`)
    const [r2, g2, b2] = dotRgb
    assert.ok((b2 as number) > (r2 as number) + 60 && (b2 as number) > (g2 as number), `advert not blue in the screenshot: rgb ${dotRgb.join(',')}`)
  })
})
