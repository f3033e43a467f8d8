// Builds dse's plotly.js into dse/dashboard/assets/plotly/ (committed: users and CI need no Node).
// Same esbuild settings as plotly.js's own build (plotly.js/esbuild-config.js), but as ES modules
// with code splitting: plotly-2d.js (the core, scatter, scattergl, bar, box) and plotly-3d.js
// (scatter3d) share one chunk, so the 3-D trace is loaded, and registered with the same Plotly,
// only on a page that draws it.  Run: npm ci && npm run build
const fs = require('fs');
const path = require('path');
const esbuild = require('esbuild');
const { environmentPlugin } = require('esbuild-plugin-environment');
const { glsl } = require('esbuild-plugin-glsl');
const InlineCSSPlugin = require('esbuild-plugin-inline-css');

const out = path.join(__dirname, '..', '..', 'dse', 'dashboard', 'assets', 'plotly');
fs.rmSync(out, { recursive: true, force: true });
esbuild.build({
    entryPoints: { 'plotly-2d': 'entry-2d.js', 'plotly-3d': 'entry-3d.js' },
    outdir: out, chunkNames: 'plotly-shared-[hash]',
    format: 'esm', splitting: true, bundle: true, minify: true, sourcemap: false, legalComments: 'eof',
    plugins: [InlineCSSPlugin(), glsl({ minify: true }), environmentPlugin({ NODE_DEBUG: false })],
    alias: { regl: '@plotly/regl', stream: 'stream-browserify' },
    define: { global: 'window', 'define.amd': 'false' },
    target: 'es2020', logLevel: 'info',
}).then(() => {
    const version = require('plotly.js/package.json').version;
    fs.copyFileSync(require.resolve('plotly.js/LICENSE'), path.join(out, 'LICENSE.txt'));
    fs.writeFileSync(path.join(out, 'VERSION'), version + '\n');
}).catch(() => process.exit(1));
