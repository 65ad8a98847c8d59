// The desk's inbox of 10,000 tips, over the real thing, in Chromium: a tipseal server seeded
// through its HTTP intake (`examples/seed_tips.rs`: the seven samples in turn, sealed to the
// current epoch), `tipseal desk` for the team's reviewer (its first sync fetches and opens
// every tip into the local encrypted store), then the printed URL opened in Chromium. The
// figure is the time from navigation to the inbox's visible rows painted (the page's data
// ready, then two animation frames); the page's own split (the /api/inbox fetch, the render)
// is printed too. Prints figures and a `BENCH {json}` line; asserts no timing target.
//
// Run (builds are the caller's; the figures are a debug build's unless you point at release):
//   cargo build && cargo build --example seed_tips
//   TIPSEAL_BIN=target/debug/tipseal node benches/desk-inbox.mjs
// Environment: DESK_BENCH_TIPS (default 10000), SEED_TIPS_BIN (default
// target/debug/examples/seed_tips), DESK_BENCH_RUNS (page loads measured, default 3).

import { spawn, execFile } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';
import { REPO, PASSPHRASE, startServer, launch } from '../tests/browser/harness.mjs';

const TIPS = Number(process.env.DESK_BENCH_TIPS || 10000);
const RUNS = Number(process.env.DESK_BENCH_RUNS || 3);
const SEED = process.env.SEED_TIPS_BIN || path.join(REPO, 'target', 'debug', 'examples', 'seed_tips');

/** `tipseal desk` for `key`, with `--store` so each run starts from the synced store. */
async function startDesk(server, store) {
  const child = spawn(process.env.TIPSEAL_BIN, ['desk', '--server', server.url, '--key', server.reviewerKey, '--store', store], {
    env: { ...process.env, TIPSEAL_PASSPHRASE: PASSPHRASE },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d.toString('utf8'); });
  const exited = once(child, 'exit');
  const rl = readline.createInterface({ input: child.stdout });
  const [url] = await Promise.race([
    once(rl, 'line'),
    exited.then(([code]) => { throw new Error(`tipseal desk exited (${code}):\n${stderr}`); }),
  ]);
  return {
    url: url.trim(),
    async stop() {
      if (child.exitCode === null) { child.kill('SIGINT'); await exited; }
    },
  };
}

const server = await startServer();
try {
  let t = Date.now();
  const seeded = await promisify(execFile)(SEED, [server.url, String(TIPS)], { maxBuffer: 1 << 20 });
  const seedMs = Date.now() - t;
  process.stderr.write(seeded.stdout);
  const store = path.join(server.dir, 'reviewer.store');

  // First start: the sync fetches and opens every tip.
  t = Date.now();
  let desk = await startDesk(server, store);
  const firstStartMs = Date.now() - t;
  await desk.stop();

  const loads = [];
  let split = null;
  for (let i = 0; i < RUNS; i += 1) {
    desk = await startDesk(server, store);
    const b = await launch();
    try {
      const t0 = Date.now();
      await b.page.goto(desk.url);
      await b.page.waitForSelector('body[data-ready="1"]', { timeout: 120_000 });
      await b.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const ms = Date.now() - t0;
      const shown = await b.page.textContent('#inbox-count');
      if (shown !== `${TIPS} tips`) throw new Error(`the inbox shows "${shown}", not ${TIPS} tips`);
      const rows = await b.page.locator('#inbox-spacer > .row').count();
      split = await b.page.evaluate(() => ({
        fetchMs: Number(document.body.dataset.inboxFetchMs),
        renderMs: Number(document.body.dataset.inboxRenderMs),
      }));
      loads.push(ms);
      console.log(`run ${i + 1}: navigation → visible rows painted ${ms} ms (/api/inbox ${split.fetchMs} ms, render ${split.renderMs} ms, ${rows} rows in the DOM)`);
    } finally {
      await b.close();
      await desk.stop();
    }
  }
  loads.sort((a, b) => a - b);
  const median = loads[Math.floor(loads.length / 2)];
  console.log(`desk inbox, ${TIPS} tips: median ${median} ms from navigation to the visible rows painted (target ≤ 1000 ms)`);
  console.log(`seeding ${TIPS} tips over HTTP: ${seedMs} ms; first tipseal desk start (unlock + sync + open all): ${firstStartMs} ms`);
  console.log(`BENCH ${JSON.stringify({ bench: 'desk-inbox', tips: TIPS, runs: loads, median_ms: median, last_fetch_ms: split?.fetchMs, last_render_ms: split?.renderMs, first_start_ms: firstStartMs, seed_ms: seedMs })}`);
} finally {
  await server.stop();
}
