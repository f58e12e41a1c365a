// Browser end-to-end test of the release build, run by `cargo xtask test`.
//
//   node tests/e2e/e2e.cjs --dist target/e2e/dist --screenshot target/e2e/kubeplay.png \
//        [--chromium /usr/bin/chromium]
//
// Serves the trunk `dist/` folder on 127.0.0.1 (a free port), opens it in Debian's chromium
// through playwright-core (NODE_PATH points at xtask's copy; it never downloads a browser),
// and checks what a visitor sees. Every check prints `ok - …` or `not ok - …`; the last line is
// `e2e: N passed, M failed`, which xtask adds to its total. Exit status 1 when any check failed.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { serve, ROOT_SAFE_FLAGS } = require('./harness.cjs');

// Time for the page to start and for the simulated cluster to show its first pods.
const RENDER_TIMEOUT_MS = 30000;
// The whole run; a hung browser must fail the test, not the CI job.
const WATCHDOG_MS = 180000;

function parseArgs(argv) {
  const args = { chromium: '/usr/bin/chromium' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!['dist', 'screenshot', 'chromium'].includes(key) || argv[i + 1] === undefined) {
      throw new Error(`bad argument ${argv[i]}`);
    }
    args[key] = argv[i + 1];
  }
  if (!args.dist || !args.screenshot) throw new Error('--dist and --screenshot are required');
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const results = [];
  const check = (name, ok, detail) => {
    results.push(ok);
    console.log(`${ok ? 'ok' : 'not ok'} - ${name}${detail ? `: ${detail}` : ''}`);
  };
  // Runs one check; an exception is that check's failure, and the later checks still run.
  const attempt = async (name, body) => {
    try {
      const detail = await body();
      check(name, true, detail);
      return true;
    } catch (e) {
      check(name, false, String(e && e.message ? e.message : e).split('\n')[0]);
      return false;
    }
  };

  const { chromium } = require('playwright-core');
  const server = await serve(args.dist);
  const base = `http://127.0.0.1:${server.address().port}/`;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeplay-e2e-'));
  let context;
  try {
    // A persistent context is how playwright takes an explicit, fresh --user-data-dir.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: args.chromium,
      headless: true,
      args: ROOT_SAFE_FLAGS,
      viewport: { width: 1100, height: 720 },
    });
    const page = context.pages()[0] || (await context.newPage());
    const consoleErrors = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(String(err)));
    const wasmTypes = [];
    page.on('response', (r) => {
      if (r.url().endsWith('.wasm')) wasmTypes.push(r.headers()['content-type']);
    });

    await attempt('page loads', async () => {
      const response = await page.goto(base, { waitUntil: 'load' });
      if (!response || response.status() !== 200) {
        throw new Error(`GET / answered ${response && response.status()}`);
      }
      await page.waitForSelector('[data-testid=cluster]', { timeout: RENDER_TIMEOUT_MS });
      if (!wasmTypes.includes('application/wasm')) {
        throw new Error(`wasm served as ${JSON.stringify(wasmTypes)}`);
      }
      return `${base} (${await page.title()})`;
    });

    const pods = () => page.locator('[data-testid=cluster] [data-testid=pod]').count();
    let before = 0;
    await attempt('diagram renders three nodes, the Service and its pods', async () => {
      await page.waitForFunction(
        () => document.querySelectorAll('[data-testid=cluster] [data-testid=pod]').length > 0,
        null,
        { timeout: RENDER_TIMEOUT_MS },
      );
      const nodes = await page.locator('[data-testid=cluster] [data-testid=node]').count();
      if (nodes !== 3) throw new Error(`${nodes} nodes drawn`);
      before = await pods();
      return `3 nodes, ${before} pods`;
    });

    await attempt('scale to 5 with the slider runs kubectl scale', async () => {
      await page.locator('[data-testid=replicas]').fill('5');
      await page.locator('[data-testid=replicas]').dispatchEvent('change');
      await page.waitForFunction(
        () => document.querySelectorAll('[data-testid=cluster] [data-testid=pod][data-pod^="web-"]').length >= 5,
        null,
        { timeout: RENDER_TIMEOUT_MS },
      );
      const console_ = await page.locator('[data-testid=console]').innerText();
      if (!console_.includes('$ kubectl scale deployment web --replicas=5')) throw new Error('no echo');
      return `${await pods()} pods`;
    });

    await attempt('every web pod becomes ready', async () => {
      await page.waitForFunction(
        () => {
          const all = document.querySelectorAll('[data-testid=cluster] [data-testid=pod][data-pod^="web-"]');
          const ready = document.querySelectorAll('[data-testid=cluster] [data-testid=pod][data-pod^="web-"].ready');
          return all.length === 5 && ready.length === 5;
        },
        null,
        { timeout: RENDER_TIMEOUT_MS },
      );
      return '5 ready pods';
    });

    await attempt('rolling out nginx:1.26 replaces the pods and requests keep being served', async () => {
      await page.selectOption('[data-testid=image]', '1.26');
      await page.waitForFunction(
        () => document.querySelector('[data-testid=console]').innerText
          .includes('$ kubectl set image deployment/web nginx=nginx:1.26'),
        null,
        { timeout: RENDER_TIMEOUT_MS },
      );
      await page.waitForTimeout(1500);
      fs.mkdirSync(path.dirname(args.screenshot), { recursive: true });
      await page.screenshot({ path: args.screenshot.replace(/\.png$/, '-rollout.png'), fullPage: true });
      // Served requests (green dots) keep arriving during and after the rollout.
      let served = 0;
      for (let i = 0; i < 20 && served === 0; i++) {
        served = await page.locator('[data-testid=request].served').count();
        await page.waitForTimeout(250);
      }
      if (served === 0) throw new Error('no served request drawn');
      await page.waitForFunction(
        () => {
          const all = document.querySelectorAll('[data-testid=cluster] [data-testid=pod][data-pod^="web-"]');
          return all.length === 5 && [...all].every((p) => p.textContent.includes('1.26') && p.classList.contains('ready'));
        },
        null,
        { timeout: RENDER_TIMEOUT_MS },
      );
      return `${served} served dots in flight; 5 pods on nginx:1.26`;
    });

    await attempt('screenshot written', async () => {
      fs.mkdirSync(path.dirname(args.screenshot), { recursive: true });
      await page.screenshot({ path: args.screenshot, fullPage: true });
      const head = fs.readFileSync(args.screenshot).subarray(0, 8);
      if (!head.equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
        throw new Error('not a PNG');
      }
      return args.screenshot;
    });

    // Last, so that errors raised by any of the interactions above count too.
    check('no console errors', consoleErrors.length === 0, consoleErrors.slice(0, 3).join(' | '));
  } catch (e) {
    check('browser session', false, String(e && e.message ? e.message : e).split('\n')[0]);
  } finally {
    if (context) await context.close().catch(() => {});
    server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }

  const passed = results.filter(Boolean).length;
  const failed = results.length - passed;
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

const watchdog = setTimeout(() => {
  console.log('not ok - e2e run finished in time: watchdog fired');
  console.log('e2e: 0 passed, 1 failed');
  process.exit(1);
}, WATCHDOG_MS);

main().then(
  (code) => {
    clearTimeout(watchdog);
    process.exit(code);
  },
  (e) => {
    clearTimeout(watchdog);
    console.log(`not ok - e2e harness: ${e && e.message ? e.message : e}`);
    console.log('e2e: 0 passed, 1 failed');
    process.exit(1);
  },
);
