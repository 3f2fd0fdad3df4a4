// dashboard.cjs - drives the dashboard in Debian's chromium (playwright-core) against a
// server that test_dashboard.sh filled with real profiles. Usage:
//   node tests/web/dashboard.cjs URL ADMIN_TOKEN OUT_DIR
// Prints one "ok: ..." line per check and exits 1 on the first failure; screenshots of
// every page go to OUT_DIR.
'use strict';

const { chromium } = require('playwright-core');
const path = require('path');

const [url, adminToken, outDir] = process.argv.slice(2);
const SEND_SITE = 'github.com/acme/leaky/internal/ncast.(*Bus).Publish.func1';
const SELECT_SITE = 'github.com/acme/leaky/internal/worker.waitReply';
const MUTEX_SITE = 'github.com/acme/leaky/internal/cache.(*Cache).get';
const HOSTILE = '<img src=x onerror=window.__xss=1>';

function check(condition, what) {
  if (!condition) {
    throw new Error('FAIL: ' + what);
  }
  console.log('ok: ' + what);
}

async function open(page, hash) {
  if (page.url().startsWith(url)) {
    await page.evaluate(() => { delete document.body.dataset.ready; });
  }
  await page.goto(url + '/' + hash);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 15000 });
  check(await page.evaluate(() => document.body.dataset.ready) !== 'error',
    'page ' + hash + ' loads without error (' + (await page.locator('#view').innerText()).slice(0, 120) + ')');
}

async function rowFor(page, table, text) {
  return page.locator(table + ' tbody tr', { hasText: text }).first();
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
      '--disable-background-networking'],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const dialogs = [];
  page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  const failedRequests = [];
  page.on('requestfailed', (r) => failedRequests.push(r.url()));

  try {
    // Inventory: the suspects, with owners from CODEOWNERS, suspects first.
    await open(page, '#/');
    const send = await rowFor(page, '#inventory', SEND_SITE);
    check(await send.count() === 1, 'inventory lists the leaking send site');
    const sendText = await send.innerText();
    check(sendText.includes('@acme/messaging'), 'the send site is owned by @acme/messaging');
    check(sendText.includes('480'), 'the send site counts 480 goroutines over two instances');
    check(sendText.includes('suspect'), 'the send site is marked suspect');
    check(sendText.includes('chan send'), 'the send site op is chan send');
    const select = await rowFor(page, '#inventory', SELECT_SITE);
    check((await select.innerText()).includes('@acme/workers'), 'the select site is owned by @acme/workers');
    const mutexRows = await page.locator('#inventory tbody tr', { hasText: MUTEX_SITE }).count();
    check(mutexRows === 1, 'a growing mutex site is a suspect too (every blocking sync op is watched)');
    const firstRow = await page.locator('#inventory tbody tr').first().getAttribute('class');
    check(firstRow === 'suspect', 'suspects come first');
    await page.screenshot({ path: path.join(outDir, 'inventory.png'), fullPage: true });

    // Filters live in the URL.
    await page.evaluate(() => { delete document.body.dataset.ready; });
    await page.selectOption('select[name=owner]', '@acme/workers');
    await page.waitForFunction(() => location.hash.includes('owner=%40acme%2Fworkers') &&
      document.body.dataset.ready);
    const owners = await page.locator('#inventory tbody tr').allInnerTexts();
    check(owners.every((t) => t.includes('@acme/workers')), 'the owner filter keeps only @acme/workers rows and is in the URL');

    // Every blocked site, with the mutex site now present.
    await open(page, '#/?all=1');
    check(await page.locator('#inventory tbody tr', { hasText: MUTEX_SITE }).count() === 1,
      'all=1 adds the mutex site');

    // Location page: stack, chart, growth, notification history.
    const href = await (await rowFor(page, '#inventory', SEND_SITE)).locator('a.function').getAttribute('href');
    await open(page, href);
    await page.waitForSelector('#location-chart canvas', { timeout: 10000 });
    check(await page.locator('#location-chart canvas').count() > 0, 'the location page draws its chart');
    check((await page.locator('#stack').innerText()).includes('ncast.go'), 'the representative stack names ncast.go');
    const growth = await page.locator('#growth').innerText();
    check(/\+\d+\/h/.test(growth) && /reaches \d+ in/.test(growth), 'growth and projection are shown');
    await page.screenshot({ path: path.join(outDir, 'location.png'), fullPage: true });
    await open(page, href + '?instances=1');
    await page.waitForSelector('#location-chart canvas', { timeout: 10000 });
    const legend = await page.locator('#location-chart').innerText();
    check(legend.includes('leaky/host-a') && legend.includes('leaky/host-b'),
      'the chart draws one line per instance on demand');

    // Trends and services.
    await open(page, '#/trends?window=24h');
    check(await page.locator('#trends tbody tr').count() > 0, 'trends list growing sites');
    await page.waitForSelector('#trends .spark canvas', { timeout: 10000 });
    check(await page.locator('#trends .spark canvas').count() > 0, 'trends draw small charts');
    await page.screenshot({ path: path.join(outDir, 'trends.png'), fullPage: true });
    await open(page, '#/services');
    const services = await page.locator('#services').innerText();
    check(services.includes('leaky') && services.includes('host-a') && services.includes('host-b'),
      'services list both instances');
    await page.screenshot({ path: path.join(outDir, 'services.png'), fullPage: true });

    // Notification queue: buttons need the admin token; ack changes the state.
    await open(page, '#/notifications');
    const pendingRow = await rowFor(page, '#notifications', SEND_SITE);
    check(await pendingRow.locator('button[name=ack]').isDisabled(), 'ack is disabled without a token');
    await page.fill('#admin-token', adminToken);
    await page.click('#token-form button[type=submit]');
    await page.waitForFunction(() => document.body.dataset.ready === '/notifications' &&
      !document.querySelector('#notifications button[name=ack]').disabled);
    const row = await rowFor(page, '#notifications', SEND_SITE);
    const id = await row.getAttribute('data-id');
    await row.locator('button[name=ack]').click();
    await page.waitForFunction((nid) => {
      const r = document.querySelector('#notifications tr[data-id="' + nid + '"]');
      return r && r.innerText.includes('acknowledged');
    }, id, { timeout: 10000 });
    check(true, 'ack moves notification ' + id + ' to acknowledged');
    const state = await page.evaluate(async (nid) => (await (await fetch('/api/v1/notifications/' + nid)).json()).state, id);
    check(state === 'acknowledged', 'the server stored the acknowledgement');
    await page.screenshot({ path: path.join(outDir, 'notifications.png'), fullPage: true });

    // Hostile names are text.
    await open(page, '#/?all=1&service=hostile');
    const hostileText = await page.locator('#inventory').innerText();
    check(hostileText.includes(HOSTILE), 'a function name carrying markup is shown as text');
    check(await page.locator('#inventory img').count() === 0, 'no element was created from it');
    check(await page.evaluate(() => window.__xss === undefined), 'its onerror never ran');
    check(dialogs.length === 0, 'no dialog opened');
    await page.screenshot({ path: path.join(outDir, 'hostile.png'), fullPage: true });

    // 1,000 sites: how long the inventory takes to draw (reported, not asserted).
    const started = Date.now();
    await open(page, '#/?all=1&service=big');
    const rows = await page.locator('#inventory tbody tr').count();
    check(rows === 1000, 'the inventory shows 1000 sites of service big');
    const drawMs = await page.locator('#render-time').getAttribute('data-ms');
    console.log('measure: inventory with 1000 sites drawn in ' + drawMs + ' ms (page ready in ' + (Date.now() - started) + ' ms)');
    await page.screenshot({ path: path.join(outDir, 'inventory-1000.png') });

    check(consoleErrors.filter((e) => !e.includes('favicon')).length === 0,
      'no console errors (' + consoleErrors.join(' | ') + ')');
    check(failedRequests.length === 0, 'no failed requests (' + failedRequests.join(' ') + ')');
  } catch (error) {
    console.error(error.message);
    await page.screenshot({ path: path.join(outDir, 'failure.png'), fullPage: true }).catch(() => {});
    await browser.close();
    process.exit(1);
  }
  await browser.close();
})();
