// Test harness of the demo page: the real API (bin/serve, seeded) on one port, the built
// page (scripts/serve/demo) on a static server of another port — another origin, so every
// write is a CORS request — and headless Chromium (Debian's, driven by puppeteer-core).
// Against PERSONS_DYNAMODB_ENDPOINT (set by `make test`) the API gets a table of its own on
// that engine; without it one in-memory DynamoDB Local is started (scripts/ddb) and stopped.
import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { createServer as createNetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import puppeteer from 'puppeteer-core'

const run = promisify(execFile)
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
export const pageDir = join(root, 'scripts/serve/demo')
const bin = (name) => join(root, 'bin', name)

/** The Chromium flags that work on these machines (no sandbox as root, no background traffic). */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Chromium's path: $CHROMIUM, else Debian's /usr/bin/chromium; a clear error when missing. */
export function chromiumPath() {
  const path = process.env.CHROMIUM || '/usr/bin/chromium'
  if (!existsSync(path)) {
    throw new Error(
      `Chromium not found at ${path}: the demo page's browser test needs it.\n` +
        `  Debian/Ubuntu: sudo apt-get install -y chromium   (CI's .ci/run installs it)\n` +
        `  or set CHROMIUM=/path/to/chrome (puppeteer-core cannot download a browser here).`,
    )
  }
  return path
}

export async function freePort() {
  const srv = createNetServer().listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const { port } = srv.address()
  srv.close()
  await once(srv, 'close')
  return port
}

/**
 * Starts the whole setup: engine (unless shared), API seeded with `seedCount` persons,
 * static page server, Chromium. stop() ends all of it.
 */
export async function startDemo({ seedCount = 25, seed = 1 } = {}) {
  if (!existsSync(join(pageDir, 'app.js'))) throw new Error(`${pageDir}/app.js is missing: run make demo (or npm run build) first`)
  const executablePath = chromiumPath()
  const stops = []
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err) => console.error('stop:', err))
  }
  try {
    // built to a temporary name and renamed: a test running beside this one may be using them
    for (const name of ['serve', 'ddb']) {
      await run('go', ['build', '-o', bin(`.${name}-${process.pid}`), `./scripts/${name}`], { cwd: root })
      renameSync(bin(`.${name}-${process.pid}`), bin(name))
    }

    let endpoint = process.env.PERSONS_DYNAMODB_ENDPOINT
    if (!endpoint) {
      const port = await freePort()
      await run(bin('ddb'), ['-port', String(port), 'up'], { cwd: root })
      endpoint = `http://127.0.0.1:${port}`
      stops.push(async () => void (await run(bin('ddb'), ['-port', String(port), 'down'], { cwd: root })))
    }

    const page = await servePage(await freePort())
    stops.push(page.close)

    const api = await startApi({ endpoint, cors: page.url, seedCount, seed })
    stops.push(api.stop)

    const userDataDir = mkdtempSync(join(tmpdir(), 'demo-chromium-'))
    stops.push(async () => rmSync(userDataDir, { recursive: true, force: true }))
    const browser = await puppeteer.launch({
      executablePath,
      headless: true,
      userDataDir,
      args: chromiumArgs,
      defaultViewport: { width: 1280, height: 900 },
    })
    stops.push(() => browser.close())
    return { api, page, browser, stop, pageUrl: (params = {}) => `${page.url}/?${new URLSearchParams({ api: api.url, ...params })}` }
  } catch (err) {
    await stop()
    throw err
  }
}

let tables = 0

/** bin/serve on a free port, its own table, seeded; its access log is kept (JSON lines). */
async function startApi({ endpoint, cors, seedCount, seed }) {
  const table = `demo-${process.pid}-${++tables}`
  const addr = `127.0.0.1:${await freePort()}`
  const proc = spawn(
    bin('serve'),
    ['-addr', addr, '-endpoint', endpoint, '-table', table, '-cors', cors, '-seed-count', String(seedCount), '-seed', String(seed)],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
  )
  const log = []
  let out = ''
  const url = await new Promise((resolve, reject) => {
    proc.stderr.setEncoding('utf8')
    proc.stderr.on('data', (chunk) => {
      out += chunk
      const lines = out.split('\n')
      out = lines.pop()
      for (const line of lines) {
        if (line.startsWith('{')) log.push(JSON.parse(line))
        const m = line.match(/persons API on (http:\/\/\S+)/)
        if (m) resolve(m[1])
      }
    })
    proc.once('exit', (code) => reject(new Error(`serve exited (${code}): ${out}`)))
  })
  return {
    url,
    table,
    /** The access log lines so far: {method, path, status, ...}. */
    log,
    async get(path) {
      const res = await fetch(url + path)
      return { status: res.status, body: await res.json().catch(() => undefined) }
    },
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM')
        await once(proc, 'exit')
      }
    },
  }
}

/** The built page (index.html, app.js) on a static server of its own: another origin. */
async function servePage(port) {
  const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' }
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname
    const name = path === '/' ? 'index.html' : path.slice(1)
    const ext = name.slice(name.lastIndexOf('.'))
    if (!/^[\w.-]+$/.test(name) || !types[ext] || !existsSync(join(pageDir, name))) {
      res.writeHead(404).end('not found')
      return
    }
    res.writeHead(200, { 'Content-Type': types[ext], 'Cache-Control': 'no-store' }).end(readFileSync(join(pageDir, name)))
  })
  server.listen(port, '127.0.0.1')
  await once(server, 'listening')
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}

// ---- page helpers ----

/** Opens the page in a fresh browser context (its own storage: another user). */
export async function openPage(browser, url) {
  const context = await browser.createBrowserContext()
  const page = await context.newPage()
  const errors = []
  page.on('pageerror', (err) => errors.push(err))
  page.on('dialog', (d) => void d.accept())
  page.errors = errors
  await page.goto(url)
  await page.waitForSelector('ul[aria-label="Persons"] button.person')
  return page
}

/** The names shown in the persons list, in order. */
export const listedNames = (page) => page.$$eval('ul[aria-label="Persons"] button.person', (bs) => bs.map((b) => b.textContent.replace(/saving….*$/, '').trim()))

/** Waits until fn(page) returns a truthy value (polling; fails with the last value after ms). */
export async function until(page, fn, what, ms = 10000) {
  const end = Date.now() + ms
  let last
  for (;;) {
    last = await fn(page)
    if (last) return last
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * Fills a field (text input or select), found by its accessible name within the form of
 * that name (formLabel undefined: anywhere on the page).
 */
export async function fill(page, formLabel, fieldLabel, value) {
  const scope = formLabel ? await page.waitForSelector(`form[aria-label="${formLabel}"]`) : page
  const input = await scope.waitForSelector(`::-p-aria(${fieldLabel})`)
  if ((await input.evaluate((el) => el.tagName)) === 'SELECT') {
    await input.select(value)
    return
  }
  await input.click()
  await page.keyboard.down('Control')
  await page.keyboard.press('a')
  await page.keyboard.up('Control')
  await page.keyboard.press('Backspace')
  if (value !== '') await input.type(value)
}

/** Clicks a button by its text, within the element matching scope (default: the page). */
export async function clickButton(page, text, scope = 'body') {
  const el = await page.waitForSelector(`${scope} button::-p-text(${JSON.stringify(text)})`)
  await el.click()
}

/** The person shown in the details: {firstName, lastName, dateOfBirth, gender, version}. */
export const shownPerson = (page) =>
  page.$$eval('dl.person dd[data-field]', (dds) => Object.fromEntries(dds.map((dd) => [dd.dataset.field, dd.textContent])))

/** The items shown in a kind's section: [{id, text, primary, pending}], in page order. */
export const shownItems = (page, kind) =>
  page.$$eval(`section[data-kind="${kind}"] li.item`, (lis) =>
    lis.map((li) => ({
      id: li.dataset.id,
      text: li.querySelector('.text').textContent,
      primary: !!li.querySelector('.badge:not(.pending)'),
      pending: !!li.querySelector('.badge.pending'),
    })),
  )

/** The page's current error alerts, as text. */
export const alerts = (page) => page.$$eval('[role="alert"]', (as) => as.map((a) => a.textContent))
