/**
 * End to end in real VS Code: code-server 4.139 (VS Code 1.139) with losslint.vsix installed into
 * fresh user-data and extensions folders, driven by playwright-core in Debian's headless Chromium.
 * For a trusted folder and then for a folder opened in Restricted Mode (the extension declares
 * untrustedWorkspaces support), it checks what a user sees:
 *   1. the LL103 diagnostic in the Problems panel, with its code and line;
 *   2. the hover on the flagged expression, with the rule's explanation;
 *   3. the numeric checks: the CodeLens with the probe count above `def focal_loss`, and on its
 *      signature the hover with the probe table and the loss-curve plot (an SVG <img>, loaded);
 *   4. the "Clamp" quick fix from Ctrl+., the file's new text on disk after saving, and the
 *      diagnostic gone;
 *   5. no error of LossLint's in the extension host's log, the LossLint channel or the browser
 *      console, up to and including the extension host's exit when the window closes.
 * Screenshots of every step go to test-artifacts/e2e/; the trusted hovers are also docs/images/hover.png and
 * docs/images/numeric-hover.png (written when missing or with UPDATE_SNAPSHOTS=1).
 *
 * Run with `npm run test:e2e` after `scripts/e2e-setup.sh`. Every process started here is ended by
 * its process group, also when a step fails.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext, ConsoleMessage, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  findFiles,
  installExtension,
  loadTools,
  ROOT,
  startChromium,
  startCodeServer,
  stopChromium,
  stopGroup,
  type Chromium,
  type CodeServer,
  type CodeServerDirs,
  type E2eTools,
} from './harness';
import { FIX_TITLE_PREFIX, FIXED_SAMPLE, FLAGGED, FLAGGED_CHARACTER, FLAGGED_LINE, LL103_SAMPLE } from './sample';

const VSIX = path.resolve(process.env.LOSSLINT_VSIX ?? path.join(ROOT, 'losslint.vsix'));
const ARTIFACTS = path.join(ROOT, 'test-artifacts/e2e');
const README_IMAGE = path.join(ROOT, 'docs/images/hover.png');
const NUMERIC_README_IMAGE = path.join(ROOT, 'docs/images/numeric-hover.png');
const STEP_MS = 60_000;
/** The numeric probes and the loss curve run in a worker after the static publish: slower on a 2-core machine. */
const NUMERIC_MS = 90_000;

/** User settings for a quiet, deterministic workbench: no welcome page, no chat, a trust prompt every time. */
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'always',
  'editor.hover.delay': 150,
  'files.autoSave': 'off',
};

let tools: E2eTools;
let tmp: string;
let dirs: CodeServerDirs;
let codeServer: CodeServer | undefined;
let browser: Chromium | undefined;

beforeAll(async () => {
  tools = loadTools();
  if (!fs.existsSync(VSIX)) throw new Error(`${VSIX} is missing: 'npm run test:e2e' builds it with 'npm run package'.`);
  fs.rmSync(ARTIFACTS, { recursive: true, force: true });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'losslint-e2e-')));
  dirs = { userDataDir: path.join(tmp, 'user-data'), extensionsDir: path.join(tmp, 'extensions') };
  fs.mkdirSync(path.join(dirs.userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(path.join(dirs.userDataDir, 'User/settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
  const installed = installExtension(tools, dirs, VSIX, tmp);
  expect(installed).toMatch(/successfully installed/i);
  expect(fs.readdirSync(dirs.extensionsDir).filter((d) => d.startsWith('losslint.losslint-'))).toHaveLength(1);
  codeServer = await startCodeServer(tools, dirs, tmp);
  browser = await startChromium(tools, tmp);
}, 180_000);

afterAll(async () => {
  await stopChromium(browser);
  const stubborn = await stopGroup(codeServer?.child.pid);
  if (codeServer) fs.writeFileSync(path.join(ARTIFACTS, 'code-server.log'), codeServer.output());
  if (tmp) {
    // Logs of the run, for a look when it fails in CI; the rest of the temporary folder goes.
    const logs = path.join(dirs.userDataDir, 'logs');
    if (fs.existsSync(logs)) fs.cpSync(logs, path.join(ARTIFACTS, 'logs'), { recursive: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (stubborn.length > 0) console.warn(`code-server processes ${stubborn.join(', ')} ignored SIGTERM and were killed.`);
}, 60_000);

interface LogError {
  file: string;
  /** The `[error]` line and the stack lines under it. */
  text: string;
  /** Whether it is LossLint's: logged to its channel, or naming the extension (its id or install path). */
  ours: boolean;
}

/**
 * The `[error]` entries that the extension hosts (remoteexthost.log) and the LossLint channel
 * (exthostN/losslint.losslint/LossLint.log) logged since the last call; `seen` holds each file's length then.
 */
function newLogErrors(seen: Map<string, number>): LogError[] {
  const errors: LogError[] = [];
  for (const file of findFiles(path.join(dirs.userDataDir, 'logs'), /^(remoteexthost|losslint).*\.log$/i)) {
    const text = fs.readFileSync(file, 'utf8');
    const from = seen.get(file) ?? 0;
    seen.set(file, text.length);
    // An entry starts with a timestamp; the lines up to the next one (a stack) belong to it.
    for (const entry of text.slice(from).split(/\n(?=\d{4}-\d\d-\d\d )/)) {
      if (!/^\S+ \S+ \[error\]/.test(entry)) continue;
      const name = path.relative(dirs.userDataDir, file);
      errors.push({ file: name, text: entry.trimEnd(), ours: /losslint/i.test(path.basename(file)) || /losslint/i.test(entry) });
    }
  }
  return errors;
}

/** A browser console message that comes from the extension host (VS Code forwards its console there). */
function fromExtensionHost(message: ConsoleMessage): boolean {
  return message.type() === 'error' && /losslint|extension host terminated/i.test(message.text());
}

async function shot(page: Page, name: string): Promise<string> {
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Runs a workbench command by its title through the command palette (F1). */
async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

/** The rows of the Problems panel (file rows and marker rows), as their visible text. */
async function problemRows(page: Page): Promise<string[]> {
  return (await page.locator('.markers-panel .monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
}

/** The squiggle of the LossLint finding on the flagged expression. */
function squiggle(page: Page): Locator {
  return page.locator('.monaco-editor .view-overlays [class*="squiggly-"]').first();
}

/**
 * Where an element is on screen. The editor redraws its decorations, lenses and lines on a relayout
 * (a panel hidden) and whenever the diagnostics are published again (the numeric probes confirm a
 * finding), and for a moment in between there is no element to measure: read until there is one.
 */
async function boxOf(locator: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  let box: Awaited<ReturnType<Locator['boundingBox']>> = null;
  await expect
    .poll(async () => {
      box = await locator.boundingBox();
      return box !== null && box.width > 0;
    }, { timeout: STEP_MS })
    .toBe(true);
  return box!;
}

/**
 * Moves the mouse to `at()` (measured again each time) until `hover` shows. A relayout (a panel
 * hidden) or a redraw (the probes re-publish) can move the text from under a mouse that has already
 * stopped, and the editor shows a hover only when the mouse moves: so move away and back, up to the
 * step's time.
 */
async function hoverUntilShown(page: Page, at: () => Promise<{ x: number; y: number }>, hover: Locator): Promise<void> {
  const deadline = Date.now() + STEP_MS;
  for (;;) {
    const { x, y } = await at();
    await page.mouse.move(x, y);
    try {
      await hover.first().waitFor({ timeout: 5_000 });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await page.mouse.move(5, 5);
    await page.keyboard.press('Escape');
  }
}

/** The `def focal_loss(...)` line of the sample, as shown in the editor. */
const DEF_LINE_TEXT = LL103_SAMPLE.split('\n').find((l) => l.startsWith('def focal_loss'))!;

function defLine(page: Page): Locator {
  return page.locator('.monaco-editor .view-line', { hasText: 'def focal_loss' }).first();
}

/** Width of one character of the editor's monospace font, from the first token on screen. */
async function monoCharWidth(page: Page): Promise<number> {
  const token = page.locator('.monaco-editor .view-line span span').first();
  return (await boxOf(token)).width / (await token.textContent())!.length;
}

interface PlotInfo {
  src: string;
  naturalWidth: number;
  loaded: boolean;
}

/** The parts of an <img> read below (the tests' tsconfig has no DOM library). */
interface ImageLike {
  naturalWidth: number;
  complete: boolean;
  getAttribute(name: string): string | null;
}

/** The first <img> in `hover`: the start of its src, its natural width and whether it loaded. */
async function hoverPlot(hover: Locator): Promise<PlotInfo | undefined> {
  const img = hover.locator('img').first();
  if ((await img.count()) === 0) return undefined;
  return img.evaluate((el) => {
    const i = el as unknown as ImageLike;
    return { src: (i.getAttribute('src') ?? '').slice(0, 40), naturalWidth: i.naturalWidth, loaded: i.complete && i.naturalWidth > 0 };
  });
}

const MODES = [
  { name: 'trusted', trust: true, button: 'Yes, I trust the authors' },
  { name: 'restricted', trust: false, button: "No, I don't trust the authors" },
] as const;

describe.each(MODES)('code-server, $name folder', ({ name, trust, button }) => {
  let context: BrowserContext;
  let page: Page;
  let workspace: string;
  let file: string;
  const consoleErrors: string[] = [];
  const seenLogs = new Map<string, number>();
  // The steps build on each other: after a failure, the later ones are skipped instead of timing out.
  let failed = false;

  beforeEach((test) => {
    if (failed) test.skip('an earlier step in this folder failed');
    test.onTestFailed(async () => {
      failed = true;
      await page?.screenshot({ path: path.join(ARTIFACTS, `${name}-failed-${test.task.name.replace(/\W+/g, '-')}.png`) }).catch(() => undefined);
    });
  });

  beforeAll(async () => {
    workspace = path.join(tmp, `workspace-${name}`);
    fs.mkdirSync(workspace);
    file = path.join(workspace, 'focal.py');
    fs.writeFileSync(file, LL103_SAMPLE);
    newLogErrors(seenLogs); // Only errors from this folder's window count below.

    context = await browser!.browser.newContext({ viewport: { width: 1280, height: 760 } });
    page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    page.on('console', (m) => {
      if (fromExtensionHost(m)) consoleErrors.push(m.text());
    });
    await page.goto(`${codeServer!.url}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench').waitFor();

    // The workspace-trust prompt: trust the folder, or open it in Restricted Mode.
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.getByRole('button', { name: button }).click();
    await dialog.waitFor({ state: 'detached' });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
  });

  it(`opens the folder ${trust ? 'trusted' : 'in Restricted Mode'}, and the file with Quick Open`, async () => {
    const restricted = page.locator('.statusbar').getByText('Restricted Mode');
    if (trust) await expect.poll(() => restricted.count(), { timeout: STEP_MS }).toBe(0);
    else await restricted.waitFor();
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill('focal.py');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'focal.py' }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.monaco-editor .view-lines', { hasText: 'focal_loss' }).waitFor();
  });

  it('shows LL103 on the return line in the Problems panel', async () => {
    await runCommand(page, 'View: Focus Problems');
    const row = page.locator('.markers-panel .monaco-list-row', { hasText: 'LL103' });
    await row.first().waitFor();
    await shot(page, `${name}-1-problems`);
    // One reading of the panel: the numeric probes may confirm the finding (and add a few words to its
    // message) at any moment, so two readings can differ.
    const all = await problemRows(page);
    const rows = all.filter((r) => r.includes('LL103'));
    expect(rows).toHaveLength(1);
    // The sample has exactly this one mistake: no other LossLint finding.
    expect(all.filter((r) => /losslint/i.test(r))).toEqual(rows);
    // "<message> losslint LL103 [Ln 8, Col 13]": the source, the code and the 1-based place.
    expect(rows[0]).toMatch(/losslint\W+LL103\b/);
    expect(rows[0]).toContain(`[Ln ${FLAGGED_LINE + 1}, Col ${FLAGGED_CHARACTER + 1}]`);
    expect(rows[0]).toMatch(/gamma=0\.5/);
    // The squiggle covers exactly the flagged expression, in characters of the monospace font (the width
    // of the first token on screen over its length). Read until both are on screen: when the numeric
    // probes confirm the finding, the diagnostics are published again and the squiggle is redrawn.
    await squiggle(page).waitFor();
    const token = page.locator('.monaco-editor .view-line span span').first();
    const squiggleChars = async (): Promise<number | undefined> => {
      const box = await squiggle(page).boundingBox();
      const tokenBox = await token.boundingBox();
      const tokenText = await token.textContent();
      if (!box || !tokenBox || !tokenText || tokenBox.width <= 0) return undefined;
      return Math.round(box.width / (tokenBox.width / tokenText.length));
    };
    await expect.poll(squiggleChars, { timeout: STEP_MS }).toBe(FLAGGED.length);
  });

  it('hovering the flagged expression shows the rule and its explanation', async () => {
    await runCommand(page, 'View: Hide Panel'); // Room for the whole hover below the line.
    const hover = page.locator('.monaco-hover:visible', { hasText: 'gamma-below-one-unclamped' });
    await hoverUntilShown(
      page,
      async () => {
        const box = await boxOf(squiggle(page));
        return { x: box.x + box.width / 2, y: box.y + box.height / 2 - 4 };
      },
      hover,
    );
    const text = (await hover.first().innerText()).replace(/\s+/g, ' ');
    expect(text).toContain('LL103');
    expect(text).toMatch(/not clamped/);
    expect(text).toMatch(/derivative/i);
    expect(text).toMatch(/NaN/);
    expect(text).toContain('clamp(min=eps)');
    await shot(page, `${name}-2-hover`);
    if (trust) {
      // The editor with its hover, cut just below the hover: the picture in the README.
      const editor = path.join(ARTIFACTS, 'hover-editor.png');
      const area = await boxOf(page.locator('.part.editor'));
      const widget = await boxOf(hover.first());
      const bottom = Math.min(area.y + area.height, widget.y + widget.height + 16);
      await page.screenshot({ path: editor, clip: { x: area.x, y: area.y, width: area.width, height: bottom - area.y } });
      if (!fs.existsSync(README_IMAGE) || process.env.UPDATE_SNAPSHOTS === '1') {
        fs.mkdirSync(path.dirname(README_IMAGE), { recursive: true });
        fs.copyFileSync(editor, README_IMAGE);
      }
    }
    await page.mouse.move(5, 5);
    await page.keyboard.press('Escape');
  });

  it('the numeric checks put a CodeLens with the probe count above def focal_loss', async () => {
    // Numeric checks are on by default (losslint.numeric.enable); they run after the static publish,
    // in a worker, and the lens comes with the codeLens refresh. A 2-core CI machine needs a while.
    const lens = page.locator('.monaco-editor .codelens-decoration', { hasText: 'probes' });
    await lens.first().waitFor({ timeout: NUMERIC_MS });
    const title = (await lens.first().innerText()).replace(/\s+/g, ' ').trim();
    // "LossLint: 18/19 probes pass (wasm, 812 ms) · LL103"
    expect(title).toMatch(/^LossLint: \d+\/\d+ probes pass \(\w+, (\d+ ms|cached)\)/);
    // The lens is the line above the def (CodeLens sits on its own line above the function).
    const lensBox = await boxOf(lens.first());
    const defBox = await boxOf(defLine(page));
    expect(lensBox.y).toBeLessThan(defBox.y);
    expect(defBox.y - lensBox.y).toBeLessThan(2 * defBox.height + 4);
    await shot(page, `${name}-3-codelens`);
  }, NUMERIC_MS + STEP_MS);

  it('hovering def focal_loss shows the probe table and the loss-curve plot', async () => {
    // The curve is computed after the probes publish: until then the hover says "computing…".
    // Hover again (away and back) until the plot is in it.
    const onName = async () => {
      const box = await boxOf(defLine(page));
      return { x: box.x + (DEF_LINE_TEXT.indexOf('focal_loss') + 4) * (await monoCharWidth(page)), y: box.y + box.height / 2 };
    };
    const hover = page.locator('.monaco-hover:visible', { hasText: 'probe' });
    let plot: PlotInfo | undefined;
    const deadline = Date.now() + NUMERIC_MS;
    for (;;) {
      await hoverUntilShown(page, onName, hover);
      plot = await hoverPlot(hover.first());
      if (plot?.loaded || Date.now() > deadline) break;
      await page.mouse.move(5, 5);
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1000);
    }
    const text = (await hover.first().innerText()).replace(/\s+/g, ' ');
    fs.writeFileSync(path.join(ARTIFACTS, `${name}-numeric-hover.html`), await hover.first().innerHTML());
    expect(text).toContain('LossLint numeric check of');
    expect(text).toContain('focal_loss');
    expect(text).toMatch(/probe inputs loss grad finite verdict/);
    expect(text).toMatch(/confident/);
    expect(text).toMatch(/Loss and gradient against pt/);
    expect(plot, 'an <img> of the loss curve in the hover').toBeDefined();
    expect(plot!.src).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(plot!.naturalWidth).toBeGreaterThan(0);
    expect(plot!.loaded).toBe(true);
    // Scroll the hover so the plot is in view, then take the picture.
    await hover.first().locator('img').first().scrollIntoViewIfNeeded();
    await shot(page, `${name}-4-numeric-hover`);
    if (trust) {
      const editor = path.join(ARTIFACTS, 'numeric-hover-editor.png');
      const area = await boxOf(page.locator('.part.editor'));
      const widget = await boxOf(hover.first());
      const bottom = Math.min(area.y + area.height, widget.y + widget.height + 16);
      await page.screenshot({ path: editor, clip: { x: area.x, y: area.y, width: area.width, height: bottom - area.y } });
      if (!fs.existsSync(NUMERIC_README_IMAGE) || process.env.UPDATE_SNAPSHOTS === '1') {
        fs.mkdirSync(path.dirname(NUMERIC_README_IMAGE), { recursive: true });
        fs.copyFileSync(editor, NUMERIC_README_IMAGE);
      }
    }
    await page.mouse.move(5, 5);
    await page.keyboard.press('Escape');
  }, NUMERIC_MS + STEP_MS);

  it('the Clamp quick fix from Ctrl+. rewrites the base, saves, and the diagnostic goes', async () => {
    // Put the cursor inside the flagged expression; the light bulb shows once the editor has the
    // line's code actions. Then open the menu with Ctrl+. (again if a busy machine dropped the key).
    const box = await boxOf(squiggle(page));
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2 - 4);
    await page.locator('.monaco-editor .lightBulbWidget').first().waitFor();
    const menu = page.locator('.action-widget:not(.action-list-submenu-panel)');
    for (let attempt = 1; ; attempt++) {
      await page.keyboard.press('Control+.');
      try {
        await menu.waitFor({ timeout: 10_000 });
        break;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
    const items = (await menu.locator('.monaco-list-row').allInnerTexts()).map((t) => t.trim());
    await shot(page, `${name}-5-quickfix-menu`);
    expect(items.some((t) => t.startsWith(FIX_TITLE_PREFIX))).toBe(true);
    expect(items).toContain('Disable LL103 for this line');
    await menu.locator('.monaco-list-row', { hasText: FIX_TITLE_PREFIX }).first().click();
    await page.locator('.monaco-editor .view-lines', { hasText: '.clamp(min=1e-6)' }).waitFor();

    await page.keyboard.press('Control+S');
    await expect.poll(() => fs.readFileSync(file, 'utf8'), { timeout: STEP_MS }).toBe(FIXED_SAMPLE);

    await runCommand(page, 'View: Focus Problems');
    await expect.poll(async () => (await problemRows(page)).filter((r) => r.includes('LL103')), { timeout: STEP_MS }).toEqual([]);
    await expect.poll(() => squiggle(page).count(), { timeout: STEP_MS }).toBe(0);
    await shot(page, `${name}-6-fixed`);
  });

  it('the extension host logs no error, up to and including its shutdown when the window closes', async () => {
    await context.close();
    // The window's extension host ends once the browser tab goes; it logs its exit, then flushes.
    const logs = path.join(dirs.userDataDir, 'logs');
    const running = (): number =>
      findFiles(logs, /^remoteexthost\.log$/).filter((f) => !/exiting with code/.test(fs.readFileSync(f, 'utf8'))).length;
    await expect.poll(running, { timeout: STEP_MS }).toBe(0);
    expect(findFiles(logs, /^LossLint.*\.log$/).length).toBeGreaterThan(0);
    const exits = findFiles(logs, /^remoteexthost\.log$/).map((f) => /exiting with code (\d+)/.exec(fs.readFileSync(f, 'utf8'))?.[1]);
    expect(exits.every((code) => code === '0')).toBe(true);
    const errors = newLogErrors(seenLogs);
    // Built-in extensions sometimes log their own shutdown races (json-language-features: "Channel has
    // been closed"); those are shown, not counted. Any error of LossLint's fails the test.
    for (const e of errors.filter((e) => !e.ours)) console.warn(`Not LossLint's, not counted: ${e.file}: ${e.text}`);
    expect(errors.filter((e) => e.ours).map((e) => `${e.file}: ${e.text}`)).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
