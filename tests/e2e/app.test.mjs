// Desktop end-to-end scenario of Grantry, driven through tauri-driver (WebKitWebDriver).
//
// Started by run.sh, which provides:
//   E2E_DRIVER_URL   tauri-driver's address
//   GRANTRY_APP      absolute path of the app binary
//   E2E_PG           pg-cluster's JSON line (host, port, user, password, database, version, ...)
//   E2E_SCREENSHOTS  where the PNG screenshots go (default: ./screenshots)
//   E2E_PG_CONTROL   pg-cluster's stdin (a fifo): a "stop" or "start" line stops or starts its server
//   E2E_PG_OUT       pg-cluster's stdout (a file): the JSON line above, then one answer per command
// The app inherits GRANTRY_HOME (an empty throwaway directory) from tauri-driver.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Builder, By, Capabilities, Key, error as wdError } from 'selenium-webdriver';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DRIVER_URL = process.env.E2E_DRIVER_URL ?? 'http://127.0.0.1:4444';
const APP = process.env.GRANTRY_APP ?? path.resolve(HERE, '../../target/debug/grantry-app');
const SHOTS = path.resolve(process.env.E2E_SCREENSHOTS ?? path.join(HERE, 'screenshots'));
const DIAG = process.env.E2E_TMP ?? SHOTS;
const PG = JSON.parse(process.env.E2E_PG ?? 'null');
if (!PG) throw new Error('E2E_PG is not set: run this test through tests/e2e/run.sh');

const NAME = 'e2e-db';
const WRONG_PASSWORD = 'not-the-password-e2e';
const STARTUP_TIMEOUT = 120_000;
const UI_TIMEOUT = 15_000;
const CONNECT_TIMEOUT = 30_000;

/** @type {import('selenium-webdriver').WebDriver} */
let driver;
let broken = null; // the first failed step: later steps depend on it and are skipped

// ------------------------------------------------------------------------------------ helpers

const tid = (id, extra = '') => By.css(`[data-testid="${id}"]${extra}`);
const cssString = (s) => `"${String(s).replace(/["\\]/g, '\\$&')}"`;
const integrationItem = (name) => tid('integration-item', `[data-name=${cssString(name)}]`);
const treeRow = (kind, name) => tid('tree-row', `[data-kind=${cssString(kind)}][data-name=${cssString(name)}]`);

const TRANSIENT = [wdError.StaleElementReferenceError, wdError.NoSuchElementError, wdError.ElementNotInteractableError];
const isTransient = (e) => TRANSIENT.some((T) => e instanceof T);

/** Polls `fn` every 100 ms until it returns a truthy value; DOM churn counts as "not yet". */
async function waitFor(fn, timeout, message) {
  return driver.wait(
    async () => {
      try {
        return await fn();
      } catch (e) {
        if (isTransient(e)) return false;
        throw e;
      }
    },
    timeout,
    message,
    100,
  );
}

/** The first displayed element matching `locator` (inside `root`), or null. */
async function visible(locator, root = driver) {
  for (const el of await root.findElements(locator)) {
    try {
      if (await el.isDisplayed()) return el;
    } catch (e) {
      if (!isTransient(e)) throw e;
    }
  }
  return null;
}

const waitVisible = (locator, timeout = UI_TIMEOUT, what = String(locator)) =>
  waitFor(() => visible(locator), timeout, `timed out after ${timeout} ms waiting for ${what} to be displayed`);

/** Waits up to `timeout` for `locator` to be displayed; false (no throw) when it is not. */
async function appears(locator, timeout) {
  try {
    await waitFor(() => visible(locator), timeout);
    return true;
  } catch (e) {
    if (e instanceof wdError.TimeoutError) return false;
    throw e;
  }
}

async function screenshot(file) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const png = Buffer.from(await driver.takeScreenshot(), 'base64');
  fs.writeFileSync(path.join(SHOTS, file), png);
  return png.length;
}

/**
 * PSS (proportional set size, so shared pages count once) of the app's process and every process
 * it started (WebKit's web and network processes), in MB, from /proc. The sandbox's PostgreSQL
 * processes are left out: they are the database, not the app.
 */
function appMemory() {
  const procs = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      procs.set(Number(d), { name, ppid });
    } catch {
      // gone meanwhile
    }
  }
  const appName = path.basename(APP).slice(0, 15);
  const roots = [...procs].filter(([, p]) => p.name === appName).map(([pid]) => pid);
  const inTree = (pid) => {
    for (let p = pid; p > 1; p = procs.get(p)?.ppid ?? 0) if (roots.includes(p)) return true;
    return false;
  };
  const parts = [];
  for (const [pid, p] of procs) {
    if (!inTree(pid) || p.name === 'postgres' || p.name === 'pg_ctl') continue;
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      if (m) parts.push({ name: p.name, mb: Number(m[1]) / 1024 });
    } catch {
      // gone meanwhile
    }
  }
  return { total: parts.reduce((a, p) => a + p.mb, 0), parts };
}

async function textOf(el) {
  return (await el.getText()).replace(/\s+/g, ' ').trim();
}

/** Runs one step of the scenario; on failure keeps a screenshot and the page source. */
function step(name, timeout, fn) {
  it(name, { timeout }, async (t) => {
    if (broken) {
      t.skip(`needs "${broken}"`);
      return;
    }
    try {
      await fn(t);
    } catch (e) {
      broken = name;
      const slug = name.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 40);
      try {
        await screenshot(`failed-${slug}.png`);
        fs.writeFileSync(path.join(DIAG, `failed-${slug}.html`), await driver.getPageSource());
      } catch {
        // the session itself may be gone
      }
      throw e;
    }
  });
}

// --- the integration wizard

const wizard = () => tid('wizard');

/**
 * Brings the wizard to the step showing `testid` (a field or a button), clicking wizard-next
 * (then wizard-back) as needed, and returns the displayed element.
 */
async function inWizard(testid) {
  const locator = tid(testid);
  for (const dir of ['wizard-next', 'wizard-back']) {
    for (let i = 0; i < 6; i++) {
      const w = await waitVisible(wizard(), UI_TIMEOUT, 'the wizard');
      const el = await visible(locator, w);
      if (el) return el;
      const button = await visible(tid(dir), w);
      if (!button || !(await button.isEnabled())) break;
      await button.click();
      if (await appears(locator, 1000)) return visible(locator);
      // Nothing moved (validation errors keep the step): stop going this way.
      if (await visible(tid('field-error'))) break;
    }
  }
  throw new Error(`the wizard shows no "${testid}" on any step`);
}

async function fill(testid, value) {
  const el = await inWizard(testid);
  await el.click();
  await el.clear();
  if (value !== '') await el.sendKeys(value);
  await waitFor(
    async () => (await el.getAttribute('value')) === value,
    3000,
    `${testid} did not take the value typed into it`,
  );
}

async function choose(testid, value) {
  const el = await inWizard(testid);
  const tag = (await el.getTagName()).toLowerCase();
  assert.equal(tag, 'select', `${testid} should be a <select>, it is a <${tag}>`);
  const options = await el.findElements(By.css(`option[value=${cssString(value)}]`));
  assert.ok(options.length > 0, `${testid} has no option with value "${value}"`);
  await options[0].click();
  if ((await el.getAttribute('value')) !== value) {
    // Some WebKitGTK builds open a native popup that WebDriver cannot drive: pick by keyboard.
    await el.sendKeys(await options[0].getText());
  }
  await waitFor(async () => (await el.getAttribute('value')) === value, 3000, `${testid} did not become "${value}"`);
}

/**
 * Clicks wizard-test and waits for a fresh report with data-ok = `ok`; returns its text. A report
 * left from an earlier test counts only once it changed.
 */
async function runConnectionTest(ok) {
  const button = await inWizard('wizard-test');
  await waitFor(() => button.isEnabled(), UI_TIMEOUT, 'wizard-test stays disabled');
  const old = await visible(tid('test-report'));
  const before = old ? { el: old, state: await old.getAttribute('data-ok'), text: await textOf(old) } : null;
  await button.click();
  let last = '(no report)';
  const report = await waitFor(
    async () => {
      const r = await visible(tid('test-report'));
      if (!r) return null;
      const state = await r.getAttribute('data-ok');
      const text = await textOf(r);
      last = `data-ok="${state}": ${text}`;
      if (before && state === before.state && text === before.text) return null; // not redone yet
      if (state === String(ok)) return r;
      if (state === String(!ok)) throw new Error(`test-report has data-ok="${state}", expected "${ok}": ${text}`);
      return null;
    },
    CONNECT_TIMEOUT,
    `no fresh test-report with data-ok="${ok}"`,
  ).catch((e) => {
    if (e instanceof wdError.TimeoutError) e.message += `; last seen ${last}`;
    throw e;
  });
  return textOf(report);
}

// --- the explorer tree

/** Waits for a tree row, failing at once if the tree shows an error instead. */
async function waitRow(kind, name) {
  return waitFor(
    async () => {
      const row = await visible(treeRow(kind, name));
      if (row) return row;
      const err = await visible(tid('tree-row', '[data-kind="error"]'));
      if (err) throw new Error(`the tree shows an error while waiting for ${kind} "${name}": ${await textOf(err)}`);
      return null;
    },
    CONNECT_TIMEOUT,
    `no ${kind} row "${name}" in the tree`,
  );
}

async function isExpanded(kind, name) {
  const row = await visible(treeRow(kind, name));
  return row !== null && (await row.getAttribute('data-expanded')) === 'true';
}

async function becomesExpanded(kind, name, timeout) {
  try {
    await waitFor(() => isExpanded(kind, name), timeout);
    return true;
  } catch (e) {
    if (e instanceof wdError.TimeoutError) return false;
    throw e;
  }
}

/** Expands a tree row the way a keyboard user would (select it, then Right); mouse as fallback. */
async function expand(kind, name) {
  const row = await waitRow(kind, name);
  const state = await row.getAttribute('data-expanded');
  assert.ok(state !== null, `tree row ${kind} "${name}" has no data-expanded attribute (not expandable?)`);
  if (state === 'true') return 'already';
  await row.click();
  if (await becomesExpanded(kind, name, 500)) return 'click';
  await driver.switchTo().activeElement().sendKeys(Key.ARROW_RIGHT);
  if (await becomesExpanded(kind, name, 3000)) return 'ArrowRight';
  // A chevron / toggle inside the row.
  const current = await waitRow(kind, name);
  const toggle = await visible(
    By.css('[data-testid="tree-toggle"], [data-testid="tree-chevron"], button, [aria-label*="xpand"], .chevron, .twisty'),
    current,
  );
  if (toggle) {
    await toggle.click();
    if (await becomesExpanded(kind, name, 3000)) return 'chevron';
  }
  await driver.actions().doubleClick(await waitRow(kind, name)).perform();
  if (await becomesExpanded(kind, name, 3000)) return 'double-click';
  throw new Error(`tree row ${kind} "${name}" does not expand (click, Right, chevron, double-click)`);
}

// --- privileges

const matrixRow = (role) => tid('matrix-row', `[data-role=${cssString(role)}]`);
const matrixCell = (role, privilege) =>
  tid('matrix-cell', `[data-role=${cssString(role)}][data-privilege=${cssString(privilege)}]`);

/** Waits for a cell of the Privileges matrix, failing at once if the tab shows an error. */
async function waitMatrixCell(role, privilege) {
  return waitFor(
    async () => {
      const err = await visible(tid('privileges-error'));
      if (err) throw new Error(`the Privileges tab shows an error: ${await textOf(err)}`);
      return visible(matrixCell(role, privilege));
    },
    CONNECT_TIMEOUT,
    `no matrix cell ${role}/${privilege}`,
  );
}

/** Waits for the Privileges tab's title to be `title` (a string, exactly, or a RegExp it matches). */
async function waitPrivilegesTitle(title, what) {
  await waitFor(
    async () => {
      const el = await visible(tid('privileges-title'));
      if (el === null) return false;
      const text = await textOf(el);
      return typeof title === 'string' ? text === title : title.test(text);
    },
    CONNECT_TIMEOUT,
    `the Privileges tab does not show ${what}`,
  );
}

/** Waits for `id` to show after a step of the plan, failing at once if the plan shows an error. */
async function waitPlanStep(id, step) {
  return waitFor(
    async () => {
      const err = await visible(tid('plan-error'));
      if (err) throw new Error(`${step} failed: ${await textOf(err)}`);
      return visible(tid(id));
    },
    CONNECT_TIMEOUT,
    `no ${id}`,
  );
}

async function openDrawer() {
  if (await visible(tid('plan-drawer'))) return;
  await (await waitVisible(tid('plan-toggle'))).click();
  await waitVisible(tid('plan-drawer'));
}

async function closeDrawer() {
  const close = await visible(tid('plan-close'));
  if (close) await close.click();
  await waitFor(async () => !(await visible(tid('plan-drawer'))), UI_TIMEOUT, 'the plan drawer stays open');
}

/** Stages read access for `role` on the selected object, with the drawer's shortcut. */
async function stageRead(role) {
  await openDrawer();
  const input = await waitVisible(tid('shortcut-role'));
  await input.clear();
  await input.sendKeys(role);
  await (await waitVisible(tid('stage-read'))).click();
}

/** The count on the plan toggle (changes staged for the current database). */
async function waitStagedCount(n) {
  await waitFor(
    async () => (await (await waitVisible(tid('plan-toggle'))).getAttribute('data-count')) === String(n),
    UI_TIMEOUT,
    `the plan toggle does not count ${n} staged change(s)`,
  );
}

// --- the PostgreSQL server of pg-cluster

/** Stops or starts pg-cluster's server ("stop" / "start") and waits for its answer. */
async function pgServer(command) {
  const control = process.env.E2E_PG_CONTROL;
  const out = process.env.E2E_PG_OUT;
  assert.ok(control && out, 'E2E_PG_CONTROL / E2E_PG_OUT are not set: run this test through tests/e2e/run.sh');
  const lines = () => fs.readFileSync(out, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const before = lines().length;
  fs.writeFileSync(control, `${command}\n`, { flag: 'a' });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const now = lines();
    if (now.length > before) {
      const answer = JSON.parse(now[before]);
      if (answer.error) throw new Error(`pg-cluster ${command}: ${answer.error}`);
      return answer;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`pg-cluster did not answer "${command}" within 60 s`);
}

/** How many displayed buttons read exactly `text`. */
function buttonsNamed(text) {
  return driver.executeScript(
    `return [...document.querySelectorAll('button')].filter((b) => b.getClientRects().length > 0 && b.textContent.trim() === arguments[0]).length;`,
    text,
  );
}

// ----------------------------------------------------------------------------------- scenario

describe('Grantry desktop app', { timeout: 420_000 }, () => {
  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    const caps = new Capabilities();
    caps.setBrowserName('wry');
    caps.set('tauri:options', { application: APP });
    driver = await new Builder().usingServer(DRIVER_URL).withCapabilities(caps).build();
    await driver.manage().setTimeouts({ implicit: 0, pageLoad: 60_000, script: 30_000 });
  });

  after(async () => {
    if (driver) await driver.quit().catch(() => {});
  });

  step('the app window opens on the Grantry UI', 30_000, async () => {
    await waitFor(async () => (await driver.getTitle()) === 'Grantry', UI_TIMEOUT, 'window title is not "Grantry"');
    // The UI mounted (the build embeds ui/dist, not a dev-server placeholder).
    await waitFor(
      async () => (await driver.findElements(By.css('[data-testid]'))).length > 0,
      UI_TIMEOUT,
      'the page has no data-testid element: is the UI built and embedded (custom-protocol)?',
    );
  });

  step('first launch creates the local sandbox and lists it', STARTUP_TIMEOUT + 20_000, async () => {
    const started = Date.now();
    let overlaySeen = false;
    await waitFor(
      async () => {
        const progress = await visible(tid('startup-progress'));
        if (progress) {
          overlaySeen = true;
          return false;
        }
        const err = await visible(tid('form-error'));
        if (err) throw new Error(`startup failed: ${await textOf(err)}`);
        return visible(integrationItem('sandbox'));
      },
      STARTUP_TIMEOUT,
      'the startup overlay did not give way to a "sandbox" integration',
    );
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`# sandbox listed ${secs} s after the UI mounted (startup overlay ${overlaySeen ? 'seen' : 'not seen'})`);
    await screenshot('01-startup-sandbox.png');
  });

  step('the sandbox tree opens, and the memory of the app at rest is measured', 90_000, async () => {
    await (await waitVisible(integrationItem('sandbox'))).click();
    await expand('integration', 'sandbox');
    await expand('database', 'shop');
    await waitRow('schema', 'public');
    // At rest: no request in flight, WebKit's caches settled.
    await new Promise((r) => setTimeout(r, 8000));
    const mem = appMemory();
    assert.ok(mem.total > 0 && mem.parts.length >= 2, `no app processes found: ${JSON.stringify(mem)}`);
    const parts = mem.parts.map((p) => `${p.name} ${p.mb.toFixed(1)}`).join(', ');
    console.log(`# app memory at rest (PSS): ${mem.total.toFixed(1)} MB over ${mem.parts.length} processes: ${parts}`);
  });

  step('a pasted connection string with port=99999 is refused, not wrapped', 60_000, async () => {
    await (await waitVisible(tid('add-integration'))).click();
    const w = await waitVisible(wizard(), UI_TIMEOUT, 'the wizard');
    await (await waitVisible(tid('source-paste'), UI_TIMEOUT, 'the paste choice')).click();
    const text = await waitVisible(tid('source-uri'), UI_TIMEOUT, 'the connection string box');
    await text.sendKeys('host=db.example.com port=99999 user=admin dbname=app');
    await (await waitVisible(tid('wizard-next'))).click();
    const err = await waitVisible(tid('paste-error'), UI_TIMEOUT, 'an error for the pasted port');
    assert.match(await textOf(err), /99999/, `the error does not name the port: ${await textOf(err)}`);
    assert.equal(await w.getAttribute('data-step'), 'source', 'the wizard moved on with port 99999');
    // Cancel with a pasted string asks first: Keep editing keeps it, Discard closes the wizard.
    await (await waitVisible(tid('wizard-cancel'))).click();
    await (await waitVisible(tid('confirm-discard-stay'), UI_TIMEOUT, 'Cancel asking before it discards the paste')).click();
    await waitFor(async () => !(await visible(tid('confirm-discard'))), UI_TIMEOUT, 'the question stays after Keep editing');
    assert.ok(await visible(wizard()), 'Keep editing closed the wizard');
    const kept = await driver.executeScript('return arguments[0].value', await waitVisible(tid('source-uri')));
    assert.match(kept, /port=99999/, 'Keep editing lost the paste');
    await (await waitVisible(tid('wizard-cancel'))).click();
    await (await waitVisible(tid('confirm-discard-ok'), UI_TIMEOUT, 'the Discard button')).click();
    await waitFor(async () => !(await visible(wizard())), UI_TIMEOUT, 'the wizard stays open after Discard');
  });

  step('an invalid port is refused by the wizard and nothing is saved', 60_000, async () => {
    const add = await waitVisible(tid('add-integration'));
    await add.click();
    await waitVisible(wizard(), UI_TIMEOUT, 'the wizard');
    await fill('field-name', NAME);
    // A host with its port is refused in place, before any test or save.
    await fill('field-host', `${PG.host}:${PG.port}`);
    await fill('field-port', '99999');
    const hostError = await waitVisible(tid('field-error', '[data-field="host"]'), 5000, 'a field-error for host:port');
    assert.match(await textOf(hostError), /port goes in the port field/, `the host error: ${await textOf(hostError)}`);
    await fill('field-host', PG.host);
    await fill('field-database', PG.database);
    await fill('field-username', PG.user);
    await fill('field-password', PG.password);

    const portError = tid('field-error', '[data-field="port"]');
    // The error may show as soon as the field is left; saving must be refused either way.
    const shownOnBlur = await appears(portError, 1500);
    const save = await inWizard('wizard-save');
    await save.click();
    console.log(`# port error shown ${shownOnBlur ? 'when leaving the field' : 'on save'}`);
    const err = await waitVisible(portError, 5000, 'a field-error for the port');
    assert.match(await textOf(err), /port|65535/i, 'the port error should say what a port is');
    // Still in the wizard, and no integration was added.
    assert.ok(await visible(wizard()), 'the wizard closed on an invalid port');
    assert.equal((await driver.findElements(integrationItem(NAME))).length, 0, `"${NAME}" was saved with port 99999`);
    const items = await driver.findElements(tid('integration-item'));
    assert.equal(items.length, 1, 'only the sandbox integration should exist');

    await fill('field-port', String(PG.port));
  });

  step('a wrong password fails the connection test with an authentication error', 60_000, async () => {
    await choose('field-sslmode', 'require');
    await choose('field-environment', 'production');
    await fill('field-password', WRONG_PASSWORD);
    const text = await runConnectionTest(false);
    assert.match(text, /authenticat/i, `the failed test should be about authentication: ${text}`);
    const failure = await visible(tid('test-failure'));
    if (failure) assert.equal(await failure.getAttribute('data-failure'), 'auth_failed');
  });

  step('the right settings pass the connection test and the integration is saved', 60_000, async () => {
    await fill('field-password', PG.password);
    // The choices made on later steps are kept while moving around the wizard.
    assert.equal(await (await inWizard('field-sslmode')).getAttribute('value'), 'require');
    assert.equal(await (await inWizard('field-environment')).getAttribute('value'), 'production');
    const text = await runConnectionTest(true);
    assert.equal(await visible(tid('field-error')), null, 'a field error is still shown with valid settings');
    assert.ok(text.includes(PG.version), `the test report should mention PostgreSQL ${PG.version}: ${text}`);
    // e2e_user is no superuser and lacks CREATEROLE: the check says so, with the fix.
    const createrole = await waitVisible(tid('prerequisite', '[data-id="createrole"]'), UI_TIMEOUT, 'the CREATEROLE prerequisite');
    assert.equal(await createrole.getAttribute('data-ok'), 'false');
    assert.match(await textOf(createrole), /ALTER ROLE "e2e_user" CREATEROLE;/, `the fix: ${await textOf(createrole)}`);
    await screenshot('02-wizard-test.png');

    const save = await inWizard('wizard-save');
    await save.click();
    await waitVisible(integrationItem(NAME), UI_TIMEOUT, `the "${NAME}" integration in the sidebar`);
    await waitFor(async () => !(await visible(wizard())), UI_TIMEOUT, 'the wizard stays open after saving');
  });

  step('the password never reaches the webview', 30_000, async () => {
    const source = await driver.getPageSource();
    assert.ok(source.length > 1000, 'page source looks empty');
    assert.ok(!source.includes(PG.password), 'the saved password appears in the page source');
    assert.ok(!source.includes(WRONG_PASSWORD), 'the mistyped password appears in the page source');
    // Nor in any form control's live value (not part of the serialized source).
    const values = await driver.executeScript(
      'return Array.from(document.querySelectorAll("input, textarea")).map((e) => e.value);',
    );
    assert.ok(!values.includes(PG.password), 'an input still holds the saved password');
  });

  step('the production integration is flagged in the sidebar', 30_000, async () => {
    const item = await waitVisible(integrationItem(NAME));
    // The marker is a visible word: "production", or its short form "PROD".
    const marker = /\bprod(uction)?\b/i;
    assert.match(await textOf(item), marker, `the sidebar item shows no production marker: ${await textOf(item)}`);
    const badge = await visible(tid('env-badge', '[data-env="production"]'), item);
    if (badge) assert.match(await textOf(badge), marker, 'the production badge does not say so');
    const sandbox = await waitVisible(integrationItem('sandbox'));
    assert.doesNotMatch(await textOf(sandbox), marker, 'the sandbox is marked as production');
  });

  step('the explorer opens database, schema and table and shows the table detail', 90_000, async () => {
    await (await waitVisible(integrationItem(NAME))).click();
    await waitVisible(tid('tree'), UI_TIMEOUT, 'the explorer tree');
    const how = [];
    how.push(await expand('integration', NAME));
    how.push(await expand('database', PG.database));
    how.push(await expand('schema', 'app'));
    console.log(`# tree expanded by: ${how.join(', ')}`);

    const table = await waitRow('table', 'customers');
    assert.ok(await visible(treeRow('table', 'orders')), 'table orders is missing from schema app');
    assert.ok(await visible(treeRow('view', 'big_orders')), 'view big_orders is missing from schema app');
    await table.click();

    const panel = await waitVisible(tid('detail-panel'), UI_TIMEOUT, 'the detail panel');
    await waitFor(
      async () => /customers/.test(await textOf(await panel.findElement(tid('detail-title')))),
      CONNECT_TIMEOUT,
      'detail-title does not name customers',
    );
    await waitFor(
      async () => (await textOf(panel)).includes('People who buy things'),
      CONNECT_TIMEOUT,
      'the detail panel does not show the table comment',
    );
    const columns = await waitFor(() => visible(tid('detail-columns'), panel), CONNECT_TIMEOUT, 'no detail-columns');
    // One row per column, its name first (a table, or a list of items).
    let rows = await columns.findElements(By.css('tbody tr'));
    if (rows.length === 0) rows = await columns.findElements(By.css('li, [role="row"]'));
    const names = [];
    for (const r of rows) {
      const first = (await r.findElements(By.css('td, [role="cell"]')))[0] ?? r;
      names.push((await textOf(first)).split(' ')[0]);
    }
    assert.deepEqual(names, ['id', 'name', 'email'], `detail-columns lists ${JSON.stringify(names)}`);
    await screenshot('03-explorer-table.png');
  });

  // --- privileges: the matrix, who can, staging, plan, dry run, apply on production, audit.
  // The integration logs in as e2e_user, owner of database e2e and its tables but without
  // CREATEROLE: it grants to an existing role (pg_monitor) rather than creating one.

  step('a schema of 1,200 tables is counted to 1,000+ in the tree and exactly in its detail', 60_000, async () => {
    const row = await waitRow('schema', 'wide');
    await waitFor(async () => (await textOf(row)).includes('1,000+'), UI_TIMEOUT, `the schema row does not say 1,000+: ${await textOf(row)}`);
    await row.click();
    const panel = await waitVisible(tid('detail-panel'), UI_TIMEOUT, 'the detail panel');
    await waitFor(
      async () => (await textOf(await panel.findElement(tid('schema-relations')))) === '1,200',
      CONNECT_TIMEOUT,
      'the schema detail does not count 1,200 relations',
    );
    assert.match(await textOf(await panel.findElement(tid('schema-size'))), /measured/);
    await screenshot('10-schema-detail.png');
    await (await waitRow('table', 'customers')).click();
  });

  step('the Privileges tab shows who holds what on app.customers', 60_000, async () => {
    await (await waitVisible(tid('tab-privileges'))).click();
    const owner = await waitMatrixCell('e2e_user', 'SELECT');
    assert.equal(await owner.getAttribute('data-held'), 'true', 'the owner e2e_user should hold SELECT');
    const title = await textOf(await waitVisible(tid('privileges-title')));
    assert.match(title, /app\.customers/, `the Privileges tab is about ${title}`);
    assert.equal(await visible(matrixRow('pg_monitor')), null, 'pg_monitor should hold nothing on app.customers yet');
    // The reasons of a cell: the owner's own privilege.
    await owner.click();
    const detail = await waitVisible(tid('cell-detail', '[data-role="e2e_user"][data-privilege="SELECT"]'));
    assert.match(await textOf(detail), /owner/, `the cell should explain ownership: ${await textOf(detail)}`);

    // Who can SELECT it: e2e_user, with a reason.
    const who = await waitVisible(tid('who-can'));
    await (await who.findElement(tid('who-can-run'))).click();
    const row = await waitFor(() => visible(tid('who-can-row', '[data-role="e2e_user"]')), CONNECT_TIMEOUT, 'no who-can-row for e2e_user');
    assert.match(await textOf(row), /owner/, `who-can should say why e2e_user can: ${await textOf(row)}`);
    await screenshot('04-privileges-matrix.png');
  });

  step('read access for pg_monitor and a revoke of TEMPORARY from PUBLIC are staged', 60_000, async () => {
    await stageRead('pg_monitor');
    await waitStagedCount(1);
    await closeDrawer();

    // The database's own matrix: PUBLIC holds TEMPORARY by default; stage its revoke from the cell.
    await (await waitRow('database', PG.database)).click();
    await waitPrivilegesTitle(PG.database, 'the database');
    const temp = await waitMatrixCell('public', 'TEMPORARY');
    assert.equal(await temp.getAttribute('data-held'), 'true', 'PUBLIC should hold TEMPORARY on a new database');
    await temp.click();
    await (await waitVisible(tid('cell-revoke', '[data-role="public"]'))).click();
    await waitStagedCount(2);
    // The matrix marks the cell the staged revoke will change.
    await waitFor(
      async () => (await (await waitMatrixCell('public', 'TEMPORARY')).getAttribute('data-pending')) === 'revoke',
      UI_TIMEOUT,
      'the staged revoke is not marked on its cell',
    );
  });

  step('the plan previews the exact SQL and its effect', 60_000, async () => {
    await openDrawer();
    const staged = await driver.findElements(tid('staged-change'));
    assert.equal(staged.length, 2, 'two changes should be staged');
    await (await waitVisible(tid('plan-preview'))).click();
    const sql = await waitPlanStep('plan-sql', 'planning');
    const script = await sql.getText();
    assert.ok(script.includes('GRANT SELECT ON TABLE "app"."customers" TO "pg_monitor"'), `the plan lacks the grant:\n${script}`);
    assert.ok(script.includes(`REVOKE TEMPORARY ON DATABASE "${PG.database}" FROM PUBLIC`), `the plan lacks the revoke:\n${script}`);
    assert.ok(script.includes('GRANT USAGE ON SCHEMA "app" TO "pg_monitor"'), `read access should bring USAGE on the schema:\n${script}`);
    const gained = await visible(tid('access-change', '[data-role="pg_monitor"][data-privilege="SELECT"][data-delta="gained"]'));
    assert.ok(gained, 'the plan should show pg_monitor gaining SELECT');
    const lost = await visible(tid('access-change', '[data-role="public"][data-privilege="TEMPORARY"][data-delta="lost"]'));
    assert.ok(lost, 'the plan should show PUBLIC losing TEMPORARY');
    console.log(`# plan: ${script.trim().split('\n').length} statement(s), ${(await driver.findElements(tid('access-change'))).length} access change(s), ${(await driver.findElements(tid('plan-warning'))).length} warning(s)`);
    await screenshot('05-plan-preview.png');
  });

  step('the dry run runs every statement and rolls back', 60_000, async () => {
    await (await waitVisible(tid('plan-dry-run'))).click();
    const result = await waitPlanStep('dry-run-result', 'the dry run');
    assert.equal(await result.getAttribute('data-outcome'), 'rolled_back', `dry run: ${await textOf(result)}`);
    const outcomes = [];
    for (const s of await result.findElements(tid('statement-result'))) outcomes.push(await s.getAttribute('data-outcome'));
    assert.ok(outcomes.length >= 3, `the dry run reports ${outcomes.length} statement(s)`);
    assert.deepEqual([...new Set(outcomes)], ['ok'], `every statement should be ok: ${outcomes.join(', ')}`);
  });

  step('applying on production asks for the integration name, then commits', 60_000, async () => {
    await (await waitVisible(tid('plan-apply'))).click();
    const dialog = await waitVisible(tid('confirm-dialog'));
    const confirm = await dialog.findElement(tid('confirm-apply'));
    assert.equal(await confirm.isEnabled(), false, 'apply must wait for the integration name');
    const name = await dialog.findElement(tid('confirm-name'));
    await name.sendKeys('e2e-d');
    assert.equal(await confirm.isEnabled(), false, 'a partial name must not confirm');
    await name.sendKeys('b');
    await waitFor(() => confirm.isEnabled(), 3000, 'confirm-apply stays disabled with the name typed');
    await confirm.click();
    const result = await waitPlanStep('apply-result', 'the apply');
    assert.equal(await result.getAttribute('data-outcome'), 'committed', `apply: ${await textOf(result)}`);
    const verified = await result.findElements(tid('verified-change'));
    const unconfirmed = [];
    for (const v of verified) if ((await v.getAttribute('data-confirmed')) !== 'true') unconfirmed.push(await textOf(v));
    assert.ok(verified.length > 0, 'the apply verifies nothing');
    assert.deepEqual(unconfirmed, [], 'the server should agree with every planned change');
    await waitStagedCount(0);
    // The result stays in the drawer as the last run in that database, with its time.
    const title = await textOf(await waitVisible(tid('apply-result-title')));
    assert.match(title, /^Last apply in e2e · \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/i, title);
    console.log(`# applied: ${await textOf(await result.findElement(tid('apply-result-message')))}`);
  });

  step('the matrices show the new access', 60_000, async () => {
    await closeDrawer();
    // The database matrix (still shown) was reloaded: PUBLIC no longer holds TEMPORARY.
    await waitFor(
      async () => (await (await waitMatrixCell('public', 'CONNECT')).getAttribute('data-held')) === 'true' &&
        (await visible(tid('matrix-cell', '[data-role="public"][data-privilege="TEMPORARY"][data-held="false"]'))),
      CONNECT_TIMEOUT,
      'PUBLIC still holds TEMPORARY on the database',
    );
    await (await waitRow('table', 'customers')).click();
    const cell = await waitFor(
      () => visible(tid('matrix-cell', '[data-role="pg_monitor"][data-privilege="SELECT"]')),
      CONNECT_TIMEOUT,
      'no pg_monitor row in the matrix of app.customers',
    );
    assert.equal(await cell.getAttribute('data-held'), 'true', 'pg_monitor should now hold SELECT');
    assert.equal(
      await (await visible(tid('matrix-cell', '[data-role="pg_monitor"][data-privilege="INSERT"]'))).getAttribute('data-held'),
      'false',
      'read access gave pg_monitor more than SELECT',
    );
  });

  step('the role page of pg_monitor shows what it can access now', 60_000, async () => {
    const link = await waitVisible(tid('role-link', '[data-role="pg_monitor"]'));
    await link.click();
    const page = await waitVisible(tid('role-page', '[data-role="pg_monitor"]'));
    const attrs = await waitFor(() => visible(tid('role-attributes'), page), CONNECT_TIMEOUT, 'no role attributes');
    assert.match(await textOf(attrs), /LOGIN no/, `pg_monitor cannot log in: ${await textOf(attrs)}`);
    // The list can be long (everything PUBLIC may use): filter it down to the table.
    const filter = await waitFor(() => visible(tid('role-access-filter')), CONNECT_TIMEOUT, 'no role-access-filter');
    await filter.sendKeys('customers select');
    const row = await waitFor(
      () => visible(tid('role-access-row', '[data-object="app.customers"]')),
      UI_TIMEOUT,
      'the role page does not list app.customers',
    );
    assert.match(await textOf(row), /SELECT/, `pg_monitor should read app.customers: ${await textOf(row)}`);
    assert.doesNotMatch(await textOf(row), /INSERT/, `pg_monitor should only read app.customers: ${await textOf(row)}`);
    await filter.clear();
    await filter.sendKeys('orders');
    await waitFor(async () => !(await visible(tid('role-access-row', '[data-object="app.customers"]'))), UI_TIMEOUT, 'the filter keeps app.customers');
    await filter.clear();
    await filter.sendKeys('customers');
    await waitFor(async () => (await filter.getAttribute('value')) === 'customers', UI_TIMEOUT, 'the filter did not take "customers"');
    await waitVisible(tid('role-access-row', '[data-object="app.customers"]'));
    await screenshot('07-role-page.png');
    await (await waitVisible(tid('role-back'))).click();
    await waitVisible(tid('explorer'));
  });

  step('a step the connecting role cannot make blocks the apply, and the drawer says why', 60_000, async () => {
    // app.ledger belongs to the superuser; e2e_user may SELECT it but not grant it.
    await (await waitRow('table', 'ledger')).click();
    await waitPrivilegesTitle(/ledger/, 'app.ledger');
    await stageRead('pg_monitor');
    await waitStagedCount(1);
    await (await waitVisible(tid('plan-preview'))).click();
    const blocking = await waitPlanStep('plan-blocking', 'planning');
    assert.match(
      await textOf(blocking),
      /e2e_user cannot grant SELECT on app\.ledger: it holds it without the grant option/,
      `the blocking step should say why: ${await textOf(blocking)}`,
    );
    assert.match(await textOf(blocking), /fix: as /, 'the blocking step should give the fix');
    const apply = await waitVisible(tid('plan-apply'));
    assert.equal(await apply.isEnabled(), false, 'Apply must stay disabled with a blocking step');
    await waitVisible(tid('apply-disabled-reason'));
    await screenshot('08-plan-blocking.png');
    await (await waitVisible(tid('staged-clear'))).click();
    await waitStagedCount(0);
    await closeDrawer();
  });

  step('the audit log lists the dry run and the apply', 60_000, async () => {
    await (await waitVisible(tid('audit-link'))).click();
    await waitVisible(tid('audit-page'));
    const apply = await waitFor(
      () => visible(tid('audit-row', `[data-action="apply"][data-outcome="committed"][data-integration=${cssString(NAME)}]`)),
      CONNECT_TIMEOUT,
      'no committed apply in the audit log',
    );
    assert.ok(await visible(tid('audit-row', '[data-action="dry_run"][data-outcome="rolled_back"]')), 'no dry run in the audit log');
    await (await apply.findElement(tid('audit-expand'))).click();
    const sql = await waitVisible(tid('audit-sql'));
    assert.ok((await sql.getText()).includes('GRANT SELECT ON TABLE "app"."customers" TO "pg_monitor"'), 'the audit keeps the SQL applied');
    await (await waitVisible(tid('audit-export-csv'))).click();
    const csv = await waitVisible(tid('audit-export-text'));
    await waitFor(async () => /apply/.test(await csv.getAttribute('value')), UI_TIMEOUT, 'the CSV export does not list the apply');
    await screenshot('06-audit.png');
  });

  step('at the minimum window size the tree shows names and the detail panel fits', 60_000, async () => {
    await driver.manage().window().setRect({ width: 900, height: 560 });
    await (await waitVisible(integrationItem(NAME))).click();
    const row = await waitRow('table', 'customers');
    await row.click();
    await waitVisible(tid('detail-panel'));
    await driver.sleep(300);
    const name = await row.findElement(By.css('.name'));
    const { width } = await name.getRect();
    assert.ok(width >= 40, `the name "customers" is ${width}px wide at 900x560`);
    const vw = await driver.executeScript('return window.innerWidth');
    const panel = await waitVisible(tid('detail-panel'));
    const r = await panel.getRect();
    assert.ok(r.x + r.width <= vw + 1, `the detail panel ends at ${r.x + r.width}px of a ${vw}px window`);
    console.log(`# 900x560: tree name ${width}px, detail panel ${Math.round(r.width)}px of ${vw}px`);
    // Every privilege column of the matrix is in view, without scrolling it sideways.
    await (await waitVisible(tid('tab-privileges'))).click();
    const matrix = await waitVisible(tid('privileges-matrix'));
    const fits = await driver.executeScript(
      'const t = arguments[0], w = t.parentElement; const last = t.querySelector("thead th:last-child").getBoundingClientRect(); return [w.scrollWidth <= w.clientWidth + 1, Math.round(last.right), Math.round(w.getBoundingClientRect().right)]',
      matrix,
    );
    assert.ok(fits[0], `the matrix scrolls sideways at 900x560: its last column ends at ${fits[1]}px, its box at ${fits[2]}px`);
    // The integration's name is not cut short in the header.
    const title = await driver.findElement(By.css('[data-testid="explorer"] .title h1'));
    const full = await driver.executeScript('return arguments[0].scrollWidth <= arguments[0].clientWidth', title);
    assert.ok(full, 'the integration name is truncated in the header at 900x560');
    await screenshot('09-minimum-size.png');
    await driver.manage().window().setRect({ width: 1280, height: 800 });
  });

  // --- the sandbox (connected as its superuser): tree keys, default privileges, a revoke from a group.

  step('the tree keys: Space toggles without scrolling, End goes to the last row and keeps it in view, Home to the first', 60_000, async () => {
    await (await waitVisible(integrationItem('sandbox'))).click();
    await expand('integration', 'sandbox');
    await expand('database', 'shop');
    const tree = await waitVisible(tid('tree'));
    const scrollTop = () => driver.executeScript('return arguments[0].scrollTop', tree);
    const selected = () => visible(tid('tree-row', '[aria-selected="true"]'), tree);
    // Space toggles the selected node (archive: 2,000 tables, paged), and does not scroll the tree.
    await (await waitRow('schema', 'archive')).click();
    const top = await scrollTop();
    assert.equal(await isExpanded('schema', 'archive'), false, 'archive should start collapsed');
    await driver.switchTo().activeElement().sendKeys(Key.SPACE);
    await waitFor(() => isExpanded('schema', 'archive'), UI_TIMEOUT, 'Space does not expand the schema');
    assert.equal(await scrollTop(), top, 'Space scrolled the tree');
    await waitFor(() => visible(tid('tree-row', '[data-kind="table"]'), tree), CONNECT_TIMEOUT, 'the first page of archive does not load');
    // End: the selected row is the last one drawn, inside the tree's box, far below.
    await driver.switchTo().activeElement().sendKeys(Key.END);
    await waitFor(
      async () => {
        const row = await selected();
        if (!row) return false;
        return driver.executeScript(
          `const row = arguments[0], tree = arguments[1];
           const rows = [...tree.querySelectorAll('[role="treeitem"]')];
           const y = (el) => el.getBoundingClientRect().top;
           const r = row.getBoundingClientRect(), t = tree.getBoundingClientRect();
           return rows.every((x) => y(x) <= y(row)) && r.top >= t.top - 1 && r.bottom <= t.bottom + 1;`,
          row,
          tree,
        );
      },
      UI_TIMEOUT,
      'after End the selected row is not the last one, in view',
    );
    const last = await selected();
    console.log(`# End selected ${await last.getAttribute('data-kind')} "${await last.getAttribute('data-name')}", tree scrolled to ${await scrollTop()}px`);
    assert.ok((await scrollTop()) > top, 'End did not scroll down to the last row');
    await driver.switchTo().activeElement().sendKeys(Key.HOME);
    await waitFor(async () => (await (await selected())?.getAttribute('data-name')) === 'sandbox', UI_TIMEOUT, 'Home does not select the first row');
    await waitFor(async () => (await scrollTop()) === 0, UI_TIMEOUT, 'Home does not scroll back to the top');
    await (await waitRow('schema', 'archive')).click();
    await driver.switchTo().activeElement().sendKeys(Key.SPACE);
    await waitFor(async () => !(await isExpanded('schema', 'archive')), UI_TIMEOUT, 'Space does not collapse the schema');
  });

  step('a schema shows its default privileges, and a staged revoke plans ALTER DEFAULT PRIVILEGES', 60_000, async () => {
    await (await waitRow('schema', 'sales')).click();
    await (await waitVisible(tid('tab-privileges'))).click();
    const rule = tid('default-privilege-row', '[data-grantee="app_readonly"][data-on="tables"][data-scope="schema"]');
    const row = await waitFor(
      async () => {
        const err = await visible(tid('privileges-error'));
        if (err) throw new Error(`the Privileges tab shows an error: ${await textOf(err)}`);
        return visible(rule);
      },
      CONNECT_TIMEOUT,
      'no default-privileges rule of sales for app_readonly',
    );
    assert.match(await textOf(row), /tables\s*this schema\s*app_readonly\s*SELECT/, `the rule reads ${await textOf(row)}`);
    const section = async () => {
      await driver.executeScript('arguments[0].scrollIntoView({ block: "end" })', await waitVisible(tid('default-privileges')));
      await driver.sleep(300);
    };
    await section();
    await screenshot('11-default-privileges.png');
    await driver.manage().window().setRect({ width: 900, height: 560 });
    await section();
    await screenshot('11-default-privileges-900.png');
    await driver.manage().window().setRect({ width: 1280, height: 800 });
    await (await (await waitVisible(rule)).findElement(tid('default-privilege-revoke'))).click();
    await (await waitVisible(tid('default-privilege-revoke-confirm'))).click();
    await waitStagedCount(1);
    await openDrawer();
    await (await waitVisible(tid('plan-preview'))).click();
    const script = await (await waitPlanStep('plan-sql', 'planning')).getText();
    assert.match(
      script,
      /ALTER DEFAULT PRIVILEGES FOR ROLE "[^"]+" IN SCHEMA "sales" REVOKE SELECT ON TABLES FROM "app_readonly"/,
      `the plan lacks the default-privileges revoke:\n${script}`,
    );
    await screenshot('12-default-privileges-plan.png');
    await (await waitVisible(tid('staged-clear'))).click();
    await waitStagedCount(0);
    await closeDrawer();
  });

  step('revoking SELECT from a group names the roles that hold it through it, or revokes the membership instead', 60_000, async () => {
    await expand('schema', 'sales');
    await (await waitRow('table', 'customers')).click();
    await waitPrivilegesTitle(/sales\.customers/, 'sales.customers');
    const cell = await waitMatrixCell('bob', 'SELECT');
    assert.equal(await cell.getAttribute('data-held'), 'true', 'bob should hold SELECT through app_readwrite and app_readonly');
    await cell.click();
    await (await waitVisible(tid('cell-revoke', '[data-role="app_readonly"]'))).click();
    const reach = await waitVisible(tid('revoke-reach', '[data-grantee="app_readonly"]'));
    const text = await textOf(reach);
    for (const role of ['app_readwrite', 'data_engineers', 'etl_loader']) {
      assert.ok(text.includes(role), `the warning does not name ${role}: ${text}`);
    }
    await waitStagedCount(0);
    await driver.executeScript('arguments[0].scrollIntoView({ block: "center" })', reach);
    await driver.sleep(300);
    await screenshot('13-revoke-from-group.png');
    // The marks and the warning in the dark theme.
    await (await waitVisible(tid('theme-toggle'))).click();
    await driver.sleep(300);
    await screenshot('13-revoke-from-group-dark.png');
    await (await waitVisible(tid('theme-toggle'))).click();
    await driver.manage().window().setRect({ width: 900, height: 560 });
    await driver.executeScript('arguments[0].scrollIntoView({ block: "center" })', await waitVisible(tid('revoke-reach')));
    await driver.sleep(300);
    await screenshot('13-revoke-from-group-900.png');
    await driver.manage().window().setRect({ width: 1280, height: 800 });
    await (await waitVisible(tid('revoke-membership', '[data-role="app_readwrite"]'))).click();
    await waitStagedCount(1);
    await openDrawer();
    const staged = await waitVisible(tid('staged-change'));
    assert.match(await textOf(staged), /REVOKE app_readwrite FROM bob/, `staged: ${await textOf(staged)}`);
    await (await waitVisible(tid('staged-clear'))).click();
    await waitStagedCount(0);
    await closeDrawer();
  });

  step('who-can answers again after an apply, and the role page keeps every column in view at 1280 and 900 px', 90_000, async () => {
    await (await waitRow('table', 'customers')).click();
    await waitPrivilegesTitle(/sales\.customers/, 'sales.customers');
    const who = await waitVisible(tid('who-can'));
    await (await who.findElement(tid('who-can-run'))).click();
    // legacy_app reads three columns only, so it is a partial holder, not a holder.
    await waitFor(() => visible(tid('who-can-partial-row', '[data-role="legacy_app"]')), CONNECT_TIMEOUT, 'legacy_app is not a partial holder of SELECT');
    assert.equal(await visible(tid('who-can-row', '[data-role="legacy_app"]')), null, 'legacy_app already holds SELECT on the table');
    await stageRead('legacy_app');
    await waitStagedCount(1);
    await (await waitVisible(tid('plan-preview'))).click();
    await waitPlanStep('plan-sql', 'planning');
    await (await waitVisible(tid('plan-apply'))).click();
    const confirm = await appears(tid('confirm-dialog'), 1000) ? await visible(tid('confirm-apply')) : null;
    if (confirm) await confirm.click();
    const result = await waitPlanStep('apply-result', 'the apply');
    assert.equal(await result.getAttribute('data-outcome'), 'committed', `apply: ${await textOf(result)}`);
    await closeDrawer();
    // The answer on screen was asked again, without a click.
    await waitFor(() => visible(tid('who-can-row', '[data-role="legacy_app"]')), CONNECT_TIMEOUT, 'the who-can answer is stale after the apply');

    // The role page of legacy_app: it may execute pg_stat_statements (through PUBLIC), whose
    // full signature runs to 1,363 characters. Shown in identity form, every column stays in view.
    await (await waitVisible(tid('role-link', '[data-role="legacy_app"]'))).click();
    await waitVisible(tid('role-page', '[data-role="legacy_app"]'));
    const filter = await waitFor(() => visible(tid('role-access-filter')), CONNECT_TIMEOUT, 'no role-access-filter');
    await filter.sendKeys('pg_stat_statements');
    await waitFor(
      () => visible(tid('role-access-row', '[data-object="public.pg_stat_statements(boolean)"]')),
      CONNECT_TIMEOUT,
      'the role page does not list public.pg_stat_statements(boolean)',
    );
    for (const [width, height] of [[1280, 800], [900, 560]]) {
      await driver.manage().window().setRect({ width, height });
      await driver.sleep(300);
      const vw = await driver.executeScript('return document.documentElement.clientWidth');
      const cells = await driver.executeScript(
        `return [...document.querySelectorAll('[data-testid="role-access"] tr:first-child > *')].map((c) => c.getBoundingClientRect().right);`,
      );
      assert.ok(cells.length >= 3, `the access table has ${cells.length} columns`);
      const out = cells.filter((right) => right > vw + 1);
      assert.deepEqual(out, [], `at ${width}x${height} columns end at ${cells.map(Math.round).join(', ')} px of ${vw} px`);
      console.log(`# role page at ${width}x${height}: ${cells.length} columns, the last ends at ${Math.round(Math.max(...cells))} px of ${vw} px`);
    }
    const cut = await driver.executeScript(
      `const h = document.querySelector('[data-testid="role-page"] h1'); return h.scrollWidth > h.clientWidth;`,
    );
    assert.equal(cut, false, 'the role name is cut short in the header at 900x560');
    await screenshot('16-role-page-900.png');
    await driver.manage().window().setRect({ width: 1280, height: 800 });
    await (await waitVisible(tid('role-back'))).click();
    await waitVisible(tid('explorer'));
  });

  // --- a server that stops: one report, fast, with the real cause; one Retry brings everything back.

  step('a stopped server is reported as refused within 2 s, once, and one Retry brings the views back', 120_000, async () => {
    await driver.manage().window().setRect({ width: 1280, height: 800 });
    await (await waitVisible(integrationItem(NAME))).click();
    await (await waitRow('table', 'customers')).click();
    await (await waitVisible(tid('tab-privileges'))).click();
    await waitPrivilegesTitle(/app\.customers/, 'app.customers');
    await waitMatrixCell('e2e_user', 'SELECT');
    const inspected = await waitVisible(tid('inspected'));
    assert.match(await textOf(inspected), /^Inspected \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC[+-]\d\d:\d\d, \d+ s ago$/, `the inspection line reads ${await textOf(inspected)}`);
    assert.equal(await visible(tid('unreachable-banner')), null, 'a banner is shown while the server runs');

    await pgServer('stop');
    // The action that needs the server: reload every open level of the tree.
    const refresh = await waitVisible(tid('tree-refresh'));
    const t0 = Date.now();
    await refresh.click();
    const banner = await waitFor(() => visible(tid('unreachable-banner')), 10_000, 'no unreachable banner after the server stopped');
    const ms = Date.now() - t0;
    const text = await textOf(banner);
    console.log(`# stopped server reported ${ms} ms after the tree's Refresh: ${text}`);
    assert.equal(await banner.getAttribute('data-code'), 'connect.refused', `the banner reports ${await banner.getAttribute('data-code')}: ${text}`);
    assert.match(text, /refused/i, `the banner does not say refused: ${text}`);
    assert.ok(text.replace(/^! /, '').startsWith(`${NAME} unreachable:`), `the banner does not name the integration: ${text}`);
    assert.ok(ms < 2000, `the refused report took ${ms} ms (more than 2 s)`);

    // The tree's levels say so in one line each, without a Retry of their own.
    let levels = [];
    await waitFor(
      async () => {
        levels = await driver.executeScript(
          `return [...document.querySelectorAll('[data-testid="tree-row"][data-kind="error"]')].map((r) => r.textContent.replace(/\\s+/g, ' ').trim());`,
        );
        return levels.length >= 3 && levels.every((t) => t === '! Server unreachable — see above');
      },
      UI_TIMEOUT,
      'the tree levels do not each say "Server unreachable — see above"',
    ).catch((e) => {
      e.message += `: ${JSON.stringify(levels)}`;
      throw e;
    });
    // Privileges from the inspection cached before the stop are shown, and labelled as such.
    await waitFor(
      async () => /^! From an inspection \d+ s ago; the server is unreachable now$/.test(await textOf(await waitVisible(tid('inspected')))),
      UI_TIMEOUT,
      'the privileges shown are not labelled as from an earlier inspection',
    );
    assert.equal(await (await waitVisible(tid('inspected'))).getAttribute('data-stale'), 'true');
    // Another table of the same database: its privileges from that inspection too; its details fail.
    await (await waitRow('table', 'orders')).click();
    await waitPrivilegesTitle(/app\.orders/, 'app.orders');
    await waitMatrixCell('e2e_user', 'SELECT');
    await waitFor(async () => (await (await waitVisible(tid('inspected'))).getAttribute('data-stale')) === 'true', UI_TIMEOUT, 'app.orders is not labelled as cached');
    await (await waitVisible(tid('tab-details'))).click();
    const detailError = await waitVisible(tid('detail-error'), UI_TIMEOUT, 'the details of app.orders');
    assert.equal(await detailError.getAttribute('data-reported'), 'true', `the details repeat the error: ${await textOf(detailError)}`);
    await (await waitVisible(tid('tab-privileges'))).click();
    await waitMatrixCell('e2e_user', 'SELECT');

    assert.equal((await driver.findElements(tid('unreachable-banner'))).length, 1, 'more than one unreachable banner');
    const retries = await buttonsNamed('Retry');
    assert.equal(retries, 1, `${retries} Retry buttons are shown`);
    await driver.sleep(300);
    await screenshot('14-server-down.png');
    await driver.manage().window().setRect({ width: 900, height: 560 });
    await driver.sleep(300);
    await screenshot('14-server-down-900.png');
    await driver.manage().window().setRect({ width: 1280, height: 800 });

    // Refresh forgets the cached inspection: the Privileges tab now fails too, in one line, as fast.
    const t1 = Date.now();
    await (await waitVisible(tid('privileges-refresh'))).click();
    const privError = await waitVisible(tid('privileges-error'), 10_000, 'the privileges error after Refresh');
    const ms2 = Date.now() - t1;
    console.log(`# the Privileges tab's Refresh failed ${ms2} ms after the click`);
    assert.equal(await privError.getAttribute('data-reported'), 'true', `the Privileges tab repeats the error: ${await textOf(privError)}`);
    assert.ok(ms2 < 2000, `the Privileges tab took ${ms2} ms to fail (more than 2 s)`);
    assert.equal(await buttonsNamed('Retry'), 1, 'more than one Retry button');

    // Back up: the one Retry reloads the tree levels, the details and the privileges.
    await pgServer('start');
    await (await waitVisible(tid('unreachable-retry'))).click();
    await waitFor(async () => !(await visible(tid('unreachable-banner'))), CONNECT_TIMEOUT, 'the banner stays after Retry with the server back');
    await waitFor(async () => (await driver.findElements(tid('tree-row', '[data-kind="error"]'))).length === 0, CONNECT_TIMEOUT, 'the tree still shows errors');
    const cell = await waitMatrixCell('e2e_user', 'SELECT');
    assert.equal(await cell.getAttribute('data-held'), 'true');
    await waitFor(async () => (await (await waitVisible(tid('inspected'))).getAttribute('data-stale')) === 'false', UI_TIMEOUT, 'the inspection line still says unreachable');
    await (await waitVisible(tid('tab-details'))).click();
    await waitFor(() => visible(tid('detail-columns')), CONNECT_TIMEOUT, 'the details of app.orders do not come back');
    assert.equal(await visible(tid('detail-error')), null, 'the details still show an error');
    assert.ok(await visible(treeRow('table', 'customers')), 'the tree lost app.customers');
    await screenshot('15-server-back.png');
  });

  step('at 900x560 hostile names and values stay readable: a long default opens whole, long role names keep the matrix in view, a revoke others depend on offers CASCADE, the audit tools fit', 90_000, async () => {
    await driver.manage().window().setRect({ width: 900, height: 560 });
    await driver.sleep(300);
    const vw = await driver.executeScript('return window.innerWidth');
    // app.orders' note has a default of about 2,000 characters: three lines in its cell, the whole in a dialog.
    await (await waitVisible(tid('tab-details'))).click();
    await waitVisible(tid('detail-columns'));
    // Its raw ACL names a 63-character role: the list wraps, the panel does not scroll sideways.
    const acl = await waitVisible(tid('detail-acl'));
    const aclFits = await driver.executeScript('const p = arguments[0].closest("[data-testid=detail-panel]"); return [arguments[0].scrollWidth <= arguments[0].clientWidth + 1, p.scrollWidth <= p.clientWidth + 1]', acl);
    assert.deepEqual(aclFits, [true, true], 'the ACL of app.orders or its panel scrolls sideways at 900x560');
    await screenshot('17-details-900.png');
    const def = await waitFor(async () => {
      for (const d of await driver.findElements(tid('column-default'))) if ((await d.getAttribute('data-cut')) === 'true') return d;
      return null;
    }, UI_TIMEOUT, 'no cut column default with "more"');
    const rowHeight = await driver.executeScript('return arguments[0].closest("tr").getBoundingClientRect().height', def);
    assert.ok(rowHeight < 90, `the row of the long default is ${rowHeight}px tall`);
    await (await def.findElement(tid('long-text-more'))).click();
    const whole = await waitVisible(tid('long-text-whole'), UI_TIMEOUT, 'the dialog with the whole default');
    assert.ok((await whole.getText()).length > 1900, 'the dialog does not hold the whole default');
    const box = await (await waitVisible(tid('long-text-dialog'))).getRect();
    assert.ok(box.x >= 0 && box.x + box.width <= vw + 1, `the dialog spans ${box.x}..${box.x + box.width}px of ${vw}px`);
    const sideways = await driver.executeScript('const d = arguments[0]; return d.scrollWidth - d.clientWidth', await waitVisible(tid('long-text-dialog')));
    assert.ok(sideways <= 1, `the dialog scrolls ${sideways}px sideways`);
    await screenshot('17-long-default-900.png');
    await driver.actions().sendKeys(Key.ESCAPE).perform();
    await waitFor(async () => !(await visible(tid('long-text-dialog'))), UI_TIMEOUT, 'Escape does not close the dialog');

    // The matrix, with a 63-character role name and roles named like keywords, needs no sideways scroll.
    await (await waitVisible(tid('tab-privileges'))).click();
    const cell = await waitMatrixCell('select', 'INSERT');
    const matrix = await waitVisible(tid('privileges-matrix'));
    const fits = await driver.executeScript('const w = arguments[0].parentElement; return [w.scrollWidth, w.clientWidth]', matrix);
    assert.ok(fits[0] <= fits[1] + 1, `the matrix of app.orders scrolls sideways at 900x560: ${fits[0]} in ${fits[1]}px`);
    // "select" passed INSERT on to "user": the revoke says so and is staged WITH CASCADE.
    await cell.click();
    await (await waitVisible(tid('cell-revoke', '[data-role="select"]'))).click();
    const deps = await waitVisible(tid('revoke-dependents'), UI_TIMEOUT, 'the grants that depend on the revoke');
    assert.match(await textOf(deps), /"user" \(granted by "select"\)/, `the dependents: ${await textOf(deps)}`);
    await (await waitVisible(tid('revoke-cascade-confirm'))).click();
    await waitVisible(tid('cell-staged'));
    await openDrawer();
    await (await waitVisible(tid('plan-preview'))).click();
    const script = await (await waitPlanStep('plan-sql', 'planning')).getText();
    assert.ok(script.includes('REVOKE INSERT ON TABLE "app"."orders" FROM "select" CASCADE'), `the plan lacks the CASCADE revoke:\n${script}`);
    assert.equal(await visible(tid('plan-blocking')), null, 'the CASCADE revoke is blocked');
    await screenshot('18-cascade-900.png');
    await closeDrawer();

    // The audit page's tools stay inside the window.
    await (await waitVisible(tid('audit-link'))).click();
    await waitVisible(tid('audit-row'), CONNECT_TIMEOUT, 'the audit rows');
    for (const id of ['audit-filter', 'audit-save', 'audit-export-csv', 'audit-export-json']) {
      const r = await (await waitVisible(tid(id))).getRect();
      assert.ok(r.x >= 0 && r.x + r.width <= vw + 1, `${id} spans ${Math.round(r.x)}..${Math.round(r.x + r.width)}px of a ${vw}px window`);
    }
    const table = await driver.executeScript('const t = document.querySelector(".log"); return [t.scrollWidth, t.parentElement.clientWidth]');
    assert.ok(table[0] <= table[1] + 1, `the audit table is ${table[0]}px wide in ${table[1]}px`);
    await (await waitVisible(tid('audit-expand'))).click();
    assert.match(await textOf(await waitVisible(tid('audit-run-facts'))), /statement.*OS user.*database user/, 'the expanded row lacks the columns left out');
    await screenshot('19-audit-900.png');
    await driver.manage().window().setRect({ width: 1280, height: 800 });
  });

  step('an Azure integration is added through the wizard and logs in with Entra ID tokens', 90_000, async () => {
    const E = PG.entra;
    const NAME_AZ = 'flex-e2e';
    await (await waitVisible(tid('add-integration'))).click();
    const w = await waitVisible(wizard(), UI_TIMEOUT, 'the wizard');
    await (await waitVisible(tid('kind-azure'), UI_TIMEOUT, 'the Azure platform choice')).click();

    // A cloud kind's settings are typed: the libpq sources are not offered.
    assert.equal(await visible(tid('source-paste')), null, 'the paste source is offered for Azure');
    await fill('field-name', NAME_AZ);
    await fill('field-host', E.host);
    await fill('field-port', String(E.port));
    await fill('field-username', E.user);
    assert.equal(await visible(tid('field-password')), null, 'an Entra login asks for a password');
    assert.equal(
      await driver.executeScript('return document.querySelector(\'[data-testid="field-azure-login-entra"]\').closest("label").classList.contains("on")'),
      true,
      'the Entra login is not marked as chosen',
    );
    // The access step: the app's client secret, and the rig's authority.
    await fill('field-entra_tenant_id', E.tenant_id);
    await fill('field-entra_client_id', 'not-a-guid');
    await (await inWizard('wizard-next')).click();
    const clientError = await waitVisible(tid('field-error', '[data-field="entra_client_id"]'), 5000, 'a field error for the client id');
    assert.match(await textOf(clientError), /GUID/, `the client id error: ${await textOf(clientError)}`);
    assert.equal(await w.getAttribute('data-step'), 'access', 'Next left the access step with a bad client id');
    await fill('field-entra_client_id', E.client_id);
    await fill('field-entra_client_secret', E.client_secret);
    await fill('field-entra_authority_host', E.authority_host);
    // TLS: verify-full against the system roots, the default.
    assert.equal(await (await inWizard('field-sslmode')).getAttribute('value'), 'verify-full');
    const text = await runConnectionTest(true);
    assert.match(text, /Entra ID token/, `the report does not show the token step: ${text}`);
    assert.ok(text.includes(PG.version), `the report should mention PostgreSQL ${PG.version}: ${text}`);
    await screenshot('20-wizard-azure.png');
    await (await inWizard('wizard-save')).click();
    await waitVisible(integrationItem(NAME_AZ), UI_TIMEOUT, `the "${NAME_AZ}" integration in the sidebar`);
    // Its tree opens through a pool that logs in with tokens.
    await waitRow('database', PG.database);
    // Edit opens the wizard on its Azure settings, the secret kept unless retyped.
    await (await waitVisible(tid('edit-integration'))).click();
    await waitVisible(wizard(), UI_TIMEOUT, 'the edit wizard');
    assert.match(await textOf(await waitVisible(tid('wizard-kind'))), /Azure/);
    assert.equal(await (await inWizard('field-entra_client_id')).getAttribute('value'), E.client_id);
    assert.equal(await (await inWizard('field-entra_client_secret')).getAttribute('value'), '', 'the saved secret reached the webview');
    await (await waitVisible(tid('wizard-cancel'))).click();
    await waitFor(async () => !(await visible(wizard())), UI_TIMEOUT, 'Cancel of an unchanged edit asked or stayed');
    // The client secret never reaches the webview.
    assert.ok(!(await driver.getPageSource()).includes(E.client_secret), 'the client secret is in the page');

    // With many integrations the sidebar's list scrolls, never the window (40 more rows, as a
    // DBA with 40 servers has them).
    await driver.manage().window().setRect({ width: 900, height: 560 });
    await driver.sleep(200);
    const scroll = await driver.executeScript(`
      const ul = document.querySelector('[data-testid="integration-item"]').closest('ul');
      const li = ul.querySelector('li');
      const clones = [];
      for (let i = 0; i < 40; i++) { const c = li.cloneNode(true); ul.appendChild(c); clones.push(c); }
      const page = document.scrollingElement;
      const out = [page.scrollHeight, window.innerHeight, ul.scrollHeight > ul.clientHeight];
      for (const c of clones) c.remove();
      return out;`);
    assert.ok(scroll[0] <= scroll[1] + 1, `the window scrolls with many integrations: ${scroll[0]}px in ${scroll[1]}px`);
    assert.ok(scroll[2], 'the sidebar list does not scroll on its own');
    await driver.manage().window().setRect({ width: 1280, height: 800 });
  });

  step('an AWS region is searched from the wizard and what it holds is saved, environments from a tag', 90_000, async () => {
    const A = PG.aws;
    await (await waitVisible(tid('add-integration'))).click();
    const w = await waitVisible(wizard(), UI_TIMEOUT, 'the wizard');
    await (await waitVisible(tid('kind-aws_rds'), UI_TIMEOUT, 'the AWS platform choice')).click();
    // AWS asks for the region and credentials first: the connection step can then search it.
    await fill('field-region', A.region);
    assert.equal(await w.getAttribute('data-step'), 'access', 'the region is not on the AWS access step');
    // The segmented choice: its label is what shows.
    await driver.executeScript('arguments[0].closest("label").click()', await driver.findElement(tid('field-aws-source-static')));
    await fill('field-aws_access_key_id', 'AKIAE2EDISCOVERY0001');
    await fill('field-aws_secret_access_key', 'e2e/discovery/secret/0000000000000000001');
    await fill('field-aws_endpoint_url', A.endpoint_url);
    await fill('field-username', 'iam_e2e');
    assert.equal(await w.getAttribute('data-step'), 'connection');
    // verify-full (the default) takes the RDS CA bundle: given on the security step first,
    // as the integrations saved from the list share it.
    await fill('field-name', 'orders-wizard');
    await fill('field-rds-id', 'orders-prod');
    await (await inWizard('wizard-next')).click();
    await waitFor(async () => (await w.getAttribute('data-step')) === 'security', UI_TIMEOUT, 'the security step');
    await driver.executeScript('arguments[0].closest("label").click()', await driver.findElement(By.css('input[name="ca"][value="file"]')));
    await fill('field-ca-path', PG.ca_cert);
    await (await waitVisible(tid('wizard-back'))).click();
    await waitFor(async () => (await w.getAttribute('data-step')) === 'connection', UI_TIMEOUT, 'back on the connection step');
    await (await waitVisible(tid('discover-find'))).click();
    const rows = await waitFor(
      async () => {
        const err = await visible(tid('error', ''), await waitVisible(tid('discover-panel')));
        if (err) throw new Error(`discovery failed: ${await textOf(err)}`);
        const r = await driver.findElements(tid('discover-row'));
        return r.length > 0 ? r : null;
      },
      CONNECT_TIMEOUT,
      'no databases found',
    );
    const ids = [];
    for (const r of rows) ids.push(await r.getAttribute('data-id'));
    assert.deepEqual(ids.sort(), ['orders-dev', 'orders-prod', 'reports'], `found ${ids}`);
    // A tag filter narrows the list.
    await fill('discover-tags', 'env=prod');
    await (await waitVisible(tid('discover-find'))).click();
    await waitFor(async () => (await driver.findElements(tid('discover-row'))).length === 1, CONNECT_TIMEOUT, 'the tag filter keeps more than orders-prod');
    await fill('discover-tags', 'team');
    await (await waitVisible(tid('discover-find'))).click();
    await waitFor(async () => (await driver.findElements(tid('discover-row'))).length === 3, CONNECT_TIMEOUT, 'a key-only filter keeps some out');
    assert.equal(await (await waitVisible(tid('discover-env-tag'))).getAttribute('value'), 'env', 'the environment tag is not guessed');
    // Use: this integration targets the cluster.
    const row = (id) => tid('discover-row', `[data-id="${id}"]`);
    await (await (await waitVisible(row('reports'))).findElement(tid('discover-use'))).click();
    await waitVisible(tid('discover-used'));
    await screenshot('23-wizard-discovery.png');
    // Two checked, saved in one step with their environments.
    await (await (await waitVisible(row('orders-prod'))).findElement(tid('discover-check'))).click();
    await (await (await waitVisible(row('orders-dev'))).findElement(tid('discover-check'))).click();
    await (await waitVisible(tid('discover-save'))).click();
    const added = await waitVisible(tid('discover-added'), CONNECT_TIMEOUT, 'the saved list');
    const text = await textOf(added);
    assert.match(text, /orders-prod \(production\)/, text);
    assert.match(text, /orders-dev \(development\)/, text);
    assert.match(text, /IAM database authentication is not enabled/, `orders-dev has IAM off: ${text}`);
    const prodItem = await waitVisible(integrationItem('orders-prod'), UI_TIMEOUT, 'orders-prod in the sidebar');
    assert.match(await textOf(prodItem), /\bprod(uction)?\b/i, 'orders-prod is not marked production');
    // The target is the cluster's; the name typed is kept.
    assert.equal(await (await inWizard('field-rds-id')).getAttribute('value'), 'reports');
    assert.equal(await (await inWizard('field-name')).getAttribute('value'), 'orders-wizard');
    assert.ok(!(await driver.getPageSource()).includes('e2e/discovery/secret'), 'the AWS secret is in the page source');
    await (await waitVisible(tid('wizard-cancel'))).click();
    const discard = await appears(tid('confirm-discard-ok'), 1500);
    if (discard) await (await waitVisible(tid('confirm-discard-ok'))).click();
    await waitFor(async () => !(await visible(wizard())), UI_TIMEOUT, 'the wizard stays open');
  });

  step('the wizard writes the connector setup SQL for the platform chosen', 60_000, async () => {
    await (await waitVisible(tid('add-integration'))).click();
    await waitVisible(wizard(), UI_TIMEOUT, 'the wizard');
    await (await waitVisible(tid('kind-aws_rds'), UI_TIMEOUT, 'the AWS platform choice')).click();
    await fill('field-region', 'eu-west-1');
    await fill('field-database', 'app');
    const setup = await waitVisible(tid('wizard-setup'), UI_TIMEOUT, 'the setup SQL disclosure');
    await setup.findElement(By.css('summary')).click();
    const user = await waitVisible(tid('setup-user'), UI_TIMEOUT, 'the connector user field');
    await user.clear();
    await user.sendKeys('rds "conn"');
    const script = await waitFor(
      async () => {
        const t = await textOf(await waitVisible(tid('setup-script')));
        return t.includes('"rds ""conn"""') ? t : null;
      },
      UI_TIMEOUT,
      'the script does not follow the user name',
    );
    assert.match(script, /GRANT "rds_superuser" TO "rds ""conn""";/, script);
    assert.match(script, /GRANT "rds_iam" TO "rds ""conn""";/, `an IAM login joins rds_iam:\n${script}`);
    assert.ok(script.includes(`\\connect -reuse-previous=on '"dbname=''template1''"'`), script);
    await (await waitVisible(tid('setup-login-password'))).click();
    await waitFor(async () => !(await textOf(await waitVisible(tid('setup-script')))).includes('rds_iam'), UI_TIMEOUT, 'a password login still joins rds_iam');
    // A name PostgreSQL refuses is said at the field.
    await user.clear();
    await user.sendKeys('pg_conn');
    const err = await waitVisible(tid('field-error'), UI_TIMEOUT, 'the error for a pg_ name');
    assert.match(await textOf(err), /pg_/, await textOf(err));
    await user.clear();
    await user.sendKeys('grantry');
    await waitVisible(tid('setup-script'));
    await screenshot('21-wizard-setup-sql.png');
    await (await waitVisible(tid('wizard-cancel'))).click();
    const discard = await appears(tid('confirm-discard-ok'), 1500);
    if (discard) await (await waitVisible(tid('confirm-discard-ok'))).click();
    await waitFor(async () => !(await visible(wizard())), UI_TIMEOUT, 'the wizard stays open');
  });

  step('the connector setup runs step by step through the plan drawer', 120_000, async () => {
    await (await waitVisible(integrationItem('sandbox'))).click();
    await (await waitRow('integration', 'sandbox')).click();
    const panel = await waitVisible(tid('setup-panel'), CONNECT_TIMEOUT, 'the setup panel on the integration page');
    const user = await panel.findElement(tid('setup-user'));
    await user.clear();
    await user.sendKeys('e2e_conn');
    await (await panel.findElement(tid('setup-plan'))).click();
    const steps = await waitFor(
      async () => {
        const err = await visible(tid('error'), panel);
        if (err) throw new Error(`planning the setup failed: ${await textOf(err)}`);
        const list = await panel.findElements(tid('setup-step'));
        return list.length >= 2 ? list : null;
      },
      CONNECT_TIMEOUT,
      'no setup steps',
    );
    // Only the first can be staged before the user exists.
    assert.equal((await steps[0].findElements(tid('setup-stage'))).length, 1, 'the first step cannot be staged');
    assert.equal((await steps[1].findElements(tid('setup-stage'))).length, 0, 'a later step can be staged before the role exists');
    assert.match(await textOf(steps[1]), /after step 1/);
    assert.ok(await visible(tid('setup-needs-role'), panel), 'nothing says why the later steps wait');
    const firstDb = await steps[0].getAttribute('data-database');
    await screenshot('22-connector-setup-plan.png');
    await (await steps[0].findElement(tid('setup-stage'))).click();
    await waitVisible(tid('plan-drawer'), UI_TIMEOUT, 'the drawer with the step');
    await (await waitVisible(tid('plan-preview'))).click();
    const sql = await (await waitPlanStep('plan-sql', 'planning')).getText();
    assert.match(sql, /CREATE ROLE "e2e_conn" LOGIN CREATEROLE/, sql);
    assert.match(sql, /GRANT "pg_read_all_stats" TO "e2e_conn"/, sql);
    assert.match(sql, new RegExp(`GRANT .* ON DATABASE "${firstDb}" TO "e2e_conn" WITH GRANT OPTION`), sql);
    await (await waitVisible(tid('plan-apply'))).click();
    await (await waitVisible(tid('confirm-apply'), UI_TIMEOUT, 'the apply confirmation')).click();
    const result = await waitPlanStep('apply-result', 'the apply');
    assert.equal(await result.getAttribute('data-outcome'), 'committed', `apply: ${await textOf(result)}`);
    assert.ok(await visible(tid('generated-password', '[data-role="e2e_conn"]')), 'the generated password is not shown');
    await closeDrawer();
    // Planned again, the user exists: the other databases can be staged now.
    await (await panel.findElement(tid('setup-plan'))).click();
    await waitFor(
      async () => {
        const list = await panel.findElements(tid('setup-step'));
        return list.length >= 2 && (await list[1].findElements(tid('setup-stage'))).length === 1;
      },
      CONNECT_TIMEOUT,
      'the second step cannot be staged after the first was applied',
    );
  });
});
