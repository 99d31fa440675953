// Build giaoviec's vendored front-end files (run through scripts/build-assets, after `npm ci`).
//
// Writes minified IIFE bundles, their CSS and fonts, the third-party licence texts beside
// each bundle, and MANIFEST.json (sha256 of every file, the bundled packages' versions, the
// lock file's sha256) into webui/static/vendor/; axe-core, for browser tests only, into
// tests/fixtures/axe/. Same lock file, same sources => same bytes: nothing here depends on
// time, absolute paths or the order a directory lists in.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const ASSETS = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(ASSETS, '..', '..');
const VENDOR = path.join(ROOT, 'webui', 'static', 'vendor');
const AXE_DIR = path.join(ROOT, 'tests', 'fixtures', 'axe');
const HAND_WRITTEN = new Set([ 'README.md' ]);

// Evergreen browsers of a government office (Chromium-based, Firefox ESR, Safari 15+). The
// bundles are classic scripts (IIFE), not ES5: bpmn-js and CodeMirror need ES2020.
const TARGET = [ 'es2020', 'chrome100', 'edge100', 'firefox102', 'safari15' ];

const BUNDLES = [
  { name: 'bpmn-viewer', js: 'src/viewer/index.js', css: 'src/viewer/index.css', global: 'GvBpmnViewer' },
  { name: 'bpmn-modeler', js: 'src/modeler/index.js', css: 'src/modeler/index.css', global: 'GvBpmnModeler' },
  { name: 'bpmn-differ', js: 'src/differ/index.js', css: 'src/differ/index.css', global: 'GvBpmnDiffer' },
  { name: 'charts', js: 'src/charts/index.js', global: 'GvCharts' },
  { name: 'htmx-csrf', js: 'src/htmx/csrf.js', ownCodeOnly: true },
  { name: 'designer', js: 'src/designer/index.js', ownCodeOnly: true }
];

// Upstream's own minified files, copied unchanged (their hashes match the published ones).
const COPIES = [
  { name: 'htmx', global: 'htmx', from: 'node_modules/htmx.org/dist/htmx.min.js', dir: VENDOR, file: 'htmx.min.js' },
  { name: 'axe', global: 'axe', from: 'node_modules/axe-core/axe.min.js', dir: AXE_DIR, file: 'axe.min.js' }
];

// Upstream lines changed at build time, each with its reason. A missing target fails the build
// (an upgrade changed the code: look again).
const PATCHES = [
  {
    name: 'bpmn-js-properties-panel/dist/index.esm.js',
    file: /bpmn-js-properties-panel[\\/]dist[\\/]index\.esm\.js$/,
    why: 'inline style attributes are refused under a Content-Security-Policy without unsafe-inline; src/modeler/csp.css sets the same styles',
    replace: [
      [ '<div style="height: 100%" tabindex="-1" class="bio-properties-panel-container">', '<div tabindex="-1" class="bio-properties-panel-container">' ],
      [ '<div style="flex: none; height: auto" class="bio-properties-panel ', '<div class="bio-properties-panel ' ]
    ]
  }
];

const patchPlugin = {
  name: 'giaoviec-patches',
  setup(build) {
    for (const patch of PATCHES) {
      build.onLoad({ filter: patch.file }, (args) => {
        let contents = fs.readFileSync(args.path, 'utf8');
        for (const [ from, to ] of patch.replace) {
          if (!contents.includes(from)) {
            throw new Error(`patch target not found in ${args.path} (${patch.why}): ${from}`);
          }
          contents = contents.replace(from, to);
        }
        return { contents, loader: 'js' };
      });
    }
  }
};

const LICENCE_FILE = /^(licen[cs]e|copying|notice)(\.(md|txt))?$/i;

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

function rel(file) {
  return path.relative(ROOT, file).split(path.sep).join('/');
}

function clean() {
  fs.mkdirSync(VENDOR, { recursive: true });
  for (const entry of fs.readdirSync(VENDOR)) {
    if (!HAND_WRITTEN.has(entry)) {
      fs.rmSync(path.join(VENDOR, entry), { recursive: true, force: true });
    }
  }
  fs.mkdirSync(AXE_DIR, { recursive: true });
  for (const entry of fs.readdirSync(AXE_DIR)) {
    if (entry.startsWith('axe.')) {
      fs.rmSync(path.join(AXE_DIR, entry));
    }
  }
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function licenceFiles(dir) {
  return fs.readdirSync(dir).filter((name) => LICENCE_FILE.test(name)).sort();
}

/**
 * The package an input file belongs to: the nearest directory above it with a versioned
 * package.json and a licence file (so preact copied inside @bpmn-io/properties-panel counts
 * as preact), else the directory directly under node_modules.
 */
function packageOf(input) {
  const parts = input.split('/');
  const top = parts.lastIndexOf('node_modules');
  if (top < 0) {
    return null;
  }
  const rootLength = top + (parts[top + 1].startsWith('@') ? 3 : 2);
  for (let end = parts.length - 1; end >= rootLength; end--) {
    const dir = path.join(ASSETS, ...parts.slice(0, end));
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && readJson(manifest).version && licenceFiles(dir).length) {
      return dir;
    }
  }
  return path.join(ASSETS, ...parts.slice(0, rootLength));
}

function describePackage(dir) {
  const manifest = readJson(path.join(dir, 'package.json'));
  const where = path.relative(ASSETS, dir).split(path.sep).join('/');
  return { name: manifest.name, version: manifest.version, license: manifest.license || '', dir, where };
}

function byNameAndPlace(a, b) {
  const left = [ a.name, a.where ].join('\0');
  const right = [ b.name, b.where ].join('\0');
  return left < right ? -1 : left > right ? 1 : 0;
}

function licencesText(title, packages) {
  const sections = packages.map((pkg) => {
    const files = licenceFiles(pkg.dir);
    const texts = files.length
      ? files.map((name) => fs.readFileSync(path.join(pkg.dir, name), 'utf8').trim())
      : [ `(The package ships no licence file; its package.json declares: ${pkg.license}.)` ];
    const nested = pkg.where === `node_modules/${pkg.name}` ? '' : ` (copy in ${pkg.where})`;
    return [ `${pkg.name} ${pkg.version} — ${pkg.license}${nested}`, '', ...texts ].join('\n');
  });
  const rule = '\n\n' + '-'.repeat(78) + '\n\n';
  return `Third-party software in ${title}, with its licence texts.${rule}${sections.join(rule)}\n`;
}

function packagesOf(inputs) {
  const dirs = new Set(inputs.map(packageOf).filter(Boolean));
  return [ ...dirs ].map(describePackage).sort(byNameAndPlace);
}

async function buildBundle(bundle) {
  const licences = bundle.ownCodeOnly ? '' : `; third-party licences beside it: ${bundle.name}.LICENSES.txt`;
  const banner = `/*! giaoviec ${bundle.name}, built from webui/assets/${bundle.js}${licences} */`;
  const common = {
    absWorkingDir: ASSETS, bundle: true, minify: true, metafile: true, legalComments: 'none',
    logLevel: 'warning', target: TARGET
  };
  const js = await esbuild.build({
    ...common,
    entryPoints: [ bundle.js ],
    outfile: path.join(VENDOR, `${bundle.name}.js`),
    format: 'iife',
    globalName: bundle.global,
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [ patchPlugin ],
    banner: { js: banner }
  });
  const inputs = Object.keys(js.metafile.inputs);
  if (bundle.css) {
    const css = await esbuild.build({
      ...common,
      entryPoints: [ bundle.css ],
      outfile: path.join(VENDOR, `${bundle.name}.css`),
      loader: { '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file', '.svg': 'file' },
      assetNames: 'fonts/[name]-[hash]',
      banner: { css: banner }
    });
    inputs.push(...Object.keys(css.metafile.inputs));
  }
  const packages = packagesOf(inputs);
  if (packages.length) {
    fs.writeFileSync(path.join(VENDOR, `${bundle.name}.LICENSES.txt`), licencesText(`${bundle.name}.js`, packages));
  }
  return packages;
}

function copyFile(copy) {
  fs.copyFileSync(path.join(ASSETS, copy.from), path.join(copy.dir, copy.file));
  const packages = packagesOf([ copy.from ]);
  fs.writeFileSync(path.join(copy.dir, `${copy.name}.LICENSES.txt`), licencesText(copy.file, packages));
  return packages;
}

function listFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? listFiles(full) : [ full ];
  });
}

function writeManifest(bundles) {
  const lockPath = path.join(ASSETS, 'package-lock.json');
  const lock = readJson(lockPath);
  const declared = readJson(path.join(ASSETS, 'package.json'));
  const direct = { ...declared.dependencies, ...declared.devDependencies };
  const files = [ ...listFiles(VENDOR), ...listFiles(AXE_DIR).filter((f) => path.basename(f).startsWith('axe.')) ]
    .filter((file) => !HAND_WRITTEN.has(path.basename(file)) || path.dirname(file) !== VENDOR)
    .map(rel)
    .sort();
  const manifest = {
    about: 'Written by scripts/build-assets from webui/assets; do not edit. tests/webui/test_vendor_bundles.py checks it.',
    lockfile: { path: rel(lockPath), sha256: sha256(fs.readFileSync(lockPath)) },
    dependencies: Object.fromEntries(Object.keys(direct).sort().map((name) => [ name, lock.packages[`node_modules/${name}`].version ])),
    patches: PATCHES.map((patch) => ({ file: patch.name, why: patch.why })),
    bundles: Object.fromEntries(Object.keys(bundles).sort().map((name) => [ name, {
      global: bundles[name].global || null,
      packages: Object.fromEntries(bundles[name].packages.map((pkg) => [ pkg.name, pkg.version ]))
    } ])),
    files: Object.fromEntries(files.map((file) => {
      const bytes = fs.readFileSync(path.join(ROOT, file));
      return [ file, { bytes: bytes.length, sha256: sha256(bytes) } ];
    }))
  };
  fs.writeFileSync(path.join(VENDOR, 'MANIFEST.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

async function main() {
  clean();
  const bundles = {};
  for (const bundle of BUNDLES) {
    bundles[bundle.name] = { global: bundle.global, packages: await buildBundle(bundle) };
  }
  for (const copy of COPIES) {
    bundles[copy.name] = { global: copy.global, packages: copyFile(copy) };
  }
  const manifest = writeManifest(bundles);
  for (const [ file, { bytes } ] of Object.entries(manifest.files)) {
    console.log(`${String(bytes).padStart(9)}  ${file}`);
  }
}

await main();
