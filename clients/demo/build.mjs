// Bundles the demo page (src/main.tsx) into scripts/serve/demo/app.js, which bin/serve
// embeds and serves at /app.js (its index.html is committed next to it). One bundle, no
// CDN, no network at runtime. `node build.mjs --watch` rebuilds on changes.
import { dirname, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as esbuild from 'esbuild'

const here = dirname(fileURLToPath(import.meta.url))
export const outDir = resolve(here, '../../scripts/serve/demo')

// The client package's sources (../tanstack-db/src) import @tanstack/* too: resolve every
// such import from here, so that the bundle holds ONE copy of each package (the client's
// own node_modules, for its tests, are never bundled).
const shared = /^(@tanstack\/|react($|-dom|\/))/
const onePackageCopy = {
  name: 'one-package-copy',
  setup(build) {
    build.onResolve({ filter: shared }, (args) => {
      if (args.pluginData === 'here' || args.resolveDir.startsWith(here + sep)) return undefined
      return build.resolve(args.path, { kind: args.kind, resolveDir: here, pluginData: 'here' })
    })
  },
}

const options = {
  entryPoints: [resolve(here, 'src/main.tsx')],
  outfile: resolve(outDir, 'app.js'),
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [onePackageCopy],
}

if (process.argv.includes('--watch')) {
  const ctx = await esbuild.context({ ...options, logLevel: 'info' })
  await ctx.watch()
} else {
  const result = await esbuild.build({ ...options, metafile: true })
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0)
  if (process.env.DEMO_METAFILE) (await import("node:fs")).writeFileSync(process.env.DEMO_METAFILE, JSON.stringify(result.metafile))
  console.log(`demo: ${options.outfile} (${(bytes / 1024).toFixed(0)} KiB)`)
}
