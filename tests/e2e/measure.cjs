// Size and speed of the release page, run by `cargo xtask measure`.
//
//   node tests/e2e/measure.cjs --dist target/measure/dist [--chromium /usr/bin/chromium]
//
// Same harness as e2e.cjs: serves dist/ on 127.0.0.1 and drives Debian's chromium through
// playwright-core. Prints one line per figure, and a closing `measure: …` summary line.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
const { serve, ROOT_SAFE_FLAGS } = require('./harness.cjs');

function parseArgs(argv) {
  const args = { chromium: '/usr/bin/chromium' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!['dist', 'chromium'].includes(key) || argv[i + 1] === undefined) {
      throw new Error(`bad argument ${argv[i]}`);
    }
    args[key] = argv[i + 1];
  }
  if (!args.dist) throw new Error('--dist is required');
  return args;
}

/**
 * A scenario in the core's share format (core/src/share.rs: JSON → raw deflate → base64url
 * without padding), as the page's Share button writes it into the URL fragment.
 */
function scenario(nodes, replicas, rate) {
  const lines = [
    `kubectl create deployment web --image=nginx:1.25 --replicas=${replicas}`,
    'kubectl expose deployment web --port=80',
    // The page's client pod (web/src/console.rs), made without a file.
    'kubectl run client --image=curlimages/curl:8.5.0 --labels=role=client',
    `traffic start --from client --rate ${rate} web`,
  ];
  const json = JSON.stringify({
    version: 1,
    seed: 1,
    nodes,
    proxyMode: 'iptables',
    manifests: [],
    files: {},
    commands: lines.map((line) => ({ at: 0, line })),
    now: 0,
  });
  return '#s=' + zlib.deflateRawSync(Buffer.from(json), { level: 9 }).toString('base64url');
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length));
  return sorted[i];
}

// Runs differ only in the URL's fragment, and a change of fragment alone is a same-document
// navigation that keeps the previous cluster: leave the page first.
async function frames(page, url, pods, seconds) {
  await page.goto('about:blank');
  await page.goto(url, { waitUntil: 'load' });
  // Timed once every pod is Ready: a cluster with this many pods running, traffic flowing
  // (the start-up, when every pod changes state, is a burst the learner caused).
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid=pod][data-state=ready]').length >= n,
    pods, { timeout: 180000 },
  );
  // Let the pods start and traffic flow before timing.
  await page.waitForTimeout(3000);
  const result = await page.evaluate(async (ms) => {
    window.kubeplayFrameTimes.length = 0;
    let count = 0;
    const start = performance.now();
    await new Promise((resolve) => {
      const tick = () => {
        count += 1;
        if (performance.now() - start < ms) requestAnimationFrame(tick); else resolve();
      };
      requestAnimationFrame(tick);
    });
    const elapsed = performance.now() - start;
    return { work: Array.from(window.kubeplayFrameTimes), fps: (count * 1000) / elapsed };
  }, seconds * 1000);
  const sorted = result.work.slice().sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50), p95: percentile(sorted, 95), fps: result.fps, n: sorted.length,
    pods: await page.locator('[data-testid=pod]').count(),
    requests: await page.locator('[data-testid=request]').count(),
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const dist = path.resolve(args.dist);
  const files = fs.readdirSync(dist);
  const gz = (ext) => files.filter((f) => f.endsWith(ext))
    .map((f) => zlib.gzipSync(fs.readFileSync(path.join(dist, f)), { level: 9 }).length)
    .reduce((a, b) => a + b, 0);
  const raw = (ext) => files.filter((f) => f.endsWith(ext))
    .map((f) => fs.statSync(path.join(dist, f)).size).reduce((a, b) => a + b, 0);
  const wasmGz = gz('.wasm');
  const jsGz = gz('.js');
  console.log(`size: wasm ${(raw('.wasm') / 1024).toFixed(0)} KB (${(wasmGz / 1024).toFixed(0)} KB gzipped), ` +
    `JS ${(raw('.js') / 1024).toFixed(0)} KB (${(jsGz / 1024).toFixed(1)} KB gzipped); ` +
    `total gzipped ${((wasmGz + jsGz) / 1024).toFixed(0)} KB (goal ≤ 300 KB)`);

  const { chromium } = require('playwright-core');
  const server = await serve(dist);
  const base = `http://127.0.0.1:${server.address().port}/`;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeplay-measure-'));
  let context;
  const summary = {};
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: args.chromium, headless: true, args: ROOT_SAFE_FLAGS,
      viewport: { width: 1400, height: 900 },
    });
    const page = context.pages()[0] || (await context.newPage());
    const outside = [];
    page.on('request', (r) => { if (!r.url().startsWith(base)) outside.push(r.url()); });

    // First drawn diagram: a MutationObserver notes when the first pod appears.
    await page.addInitScript(() => {
      const seen = () => {
        if (document.querySelector('[data-testid=pod]')) {
          window.kubeplayFirstDraw = performance.now();
          return true;
        }
        return false;
      };
      const obs = new MutationObserver(() => { if (seen()) obs.disconnect(); });
      document.addEventListener('DOMContentLoaded', () => {
        if (!seen()) obs.observe(document.body, { childList: true, subtree: true });
      });
    });
    const loads = [];
    for (let i = 0; i < 3; i++) {
      await page.goto(`${base}?seed=${i + 1}`, { waitUntil: 'load' });
      await page.waitForFunction(() => window.kubeplayFirstDraw !== undefined, null, { timeout: 30000 });
      loads.push(await page.evaluate(() => window.kubeplayFirstDraw));
    }
    loads.sort((a, b) => a - b);
    summary.firstDraw = loads[1];
    console.log(`first drawn diagram: ${loads.map((t) => t.toFixed(0)).join(' / ')} ms after navigation start ` +
      `(median ${summary.firstDraw.toFixed(0)} ms; goal ≤ 500 ms)`);

    const small = await frames(page, `${base}?measure=1${scenario(10, 100, 200)}`, 100, 5);
    console.log(`10 nodes, ${small.pods} pods, 200 requests/s: frame work p50 ${small.p50.toFixed(2)} ms, ` +
      `p95 ${small.p95.toFixed(2)} ms over ${small.n} frames, ${small.fps.toFixed(0)} fps ` +
      `(${small.requests} dots in the last frame; goal p95 ≤ 6 ms)`);
    const big = await frames(page, `${base}?measure=1${scenario(10, 1000, 200)}`, 1000, 5);
    console.log(`10 nodes, ${big.pods} pods, 200 requests/s: frame work p50 ${big.p50.toFixed(2)} ms, ` +
      `p95 ${big.p95.toFixed(2)} ms, ${big.fps.toFixed(0)} fps (goal ≥ 30 fps)`);
    console.log(`requests outside the site: ${outside.length}${outside.length ? ' ' + outside.slice(0, 3).join(' ') : ''}`);
    summary.small = small;
    summary.big = big;
  } finally {
    if (context) await context.close().catch(() => {});
    server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  const kb = (wasmGz + jsGz) / 1024;
  console.log(`measure: ${kb.toFixed(0)} KB gzipped, first draw ${summary.firstDraw.toFixed(0)} ms, ` +
    `100 pods p50/p95 ${summary.small.p50.toFixed(2)}/${summary.small.p95.toFixed(2)} ms, ` +
    `1000 pods ${summary.big.fps.toFixed(0)} fps (p95 ${summary.big.p95.toFixed(2)} ms)`);
}

main().then(() => process.exit(0), (e) => {
  console.log(`measure failed: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
