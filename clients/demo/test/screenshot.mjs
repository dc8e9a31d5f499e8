// Writes a PNG of the demo page (default ../../docs/demo.png): the page as `make run`
// serves it (from bin/serve itself, at /) on a freshly seeded API, a person selected, and
// a contact form sent empty, so that the server's 400 with its field list shows.
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { clickButton, listedNames, openPage, startDemo, until } from './harness.mjs'

const out = resolve(process.argv[2] ?? '../../docs/demo.png')
const demo = await startDemo({ seedCount: 30 })
try {
  const page = await openPage(demo.browser, `${demo.api.url}/`)
  await page.setViewport({ width: 1280, height: 860 })
  const names = await listedNames(page)
  await clickButton(page, names[1], 'ul[aria-label="Persons"]')
  await page.waitForSelector('section[data-kind="employments"] li.item')
  await clickButton(page, 'Add contact')
  await clickButton(page, 'Save', 'form[aria-label="New contact"]')
  await page.waitForSelector('form[aria-label="New contact"] [role="alert"]')
  await until(page, async () => !(await page.$('.badge.pending')), 'no pending writes')
  await page.evaluate(() => document.activeElement?.blur())
  mkdirSync(dirname(out), { recursive: true })
  await page.screenshot({ path: out, fullPage: true })
  console.log(`screenshot: ${out}`)
} finally {
  await demo.stop()
}
