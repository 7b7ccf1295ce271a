/**
 * The numeric checks in the language server, over stdio against the built dist/server.js: static
 * diagnostics first, then a later publish with the probe evidence; the CodeLens; the hover's probe
 * table and loss-curve SVG; the rerun and repro commands; and a change that cancels a running check
 * (no stale publish). The backend is forced to `cpu` (no GPU, no wasm threads on CI).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LspTestClient, type NotificationLike } from './lspClient';
import { FOCAL } from './samples';

const TIMEOUT = 45_000;
const NUMERIC = { enable: true, backend: 'cpu', timeBudgetMs: 20_000 };

let client: LspTestClient;
let dir: string;

beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'losslint-numeric-')));
  client = new LspTestClient();
  client.configuration = (section) => (section === 'losslint' ? { numeric: NUMERIC } : null);
});

afterEach(() => {
  client.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

type Published = { uri: string; version?: number; diagnostics: any[] };

/** Every publishDiagnostics for `uri` so far. */
function publishes(uri: string): Published[] {
  return client
    .notifications('textDocument/publishDiagnostics')
    .map((n: NotificationLike) => n.params as Published)
    .filter((p) => p.uri === uri);
}

const hasProbeEvidence = (p: Published) =>
  p.diagnostics.some((d) => d.code === 'LL301' || (d.code === 'LL103' && /NaN/.test(String(d.data?.evidence ?? ''))));

describe('numeric checks in the language server', () => {
  it(
    'probes a loss that calls a helper imported from another file of the project (read from disk)',
    async () => {
      await client.initialize({ workspace: { configuration: true } });
      fs.writeFileSync(path.join(dir, 'reduce_helpers.py'), 'def reduce_sum(x):\n    return x.sum()\n');
      const text = [
        'import torch',
        'import torch.nn.functional as F',
        'from reduce_helpers import reduce_sum',
        '',
        '',
        'def binary_focal(logits, targets, gamma=0.5):',
        '    p = torch.sigmoid(logits)',
        '    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")',
        '    p_t = p * targets + (1 - p) * (1 - targets)',
        '    return reduce_sum((1 - p_t) ** gamma * ce)',
        '',
      ].join('\n');
      const uri = pathToFileURL(path.join(dir, 'loss.py')).href;
      fs.writeFileSync(path.join(dir, 'loss.py'), text);
      await client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text } });
      // The probes ran through the helper: the unclamped gamma 0.5 has a NaN gradient (the static LL103 gets the evidence).
      const merged = await client.diagnostics<Published>(uri, (p) => p.version === 1 && hasProbeEvidence(p), 0, 30_000);
      expect(merged.diagnostics.some((d: any) => /NaN/.test(String(d.data?.evidence ?? d.message)))).toBe(true);
    },
    TIMEOUT,
  );

  it(
    'publishes static diagnostics first, then the probe evidence; CodeLens, hover table + SVG, rerun and repro',
    async () => {
      const init = await client.initialize({ workspace: { configuration: true, codeLens: { refreshSupport: true } } });
      expect(init.capabilities.codeLensProvider).toBeTruthy();
      const uri = pathToFileURL(path.join(dir, 'focal.py')).href;
      await client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: FOCAL } });

      // 1. Static first: the first publish has no probe evidence.
      const first = await client.diagnostics(uri, (p) => p.version === 1);
      expect(first.diagnostics.map((d: any) => d.code)).toEqual(['LL103']);
      expect(hasProbeEvidence(first)).toBe(false);

      // 2. Later, the merged publish: LL103 confirmed by the probes (gradient NaN when confident).
      const merged = await client.diagnostics<Published>(uri, (p) => p.version === 1 && hasProbeEvidence(p), 0, 30_000);
      const ll103 = merged.diagnostics.find((d) => d.code === 'LL103');
      expect(ll103.data.evidence).toMatch(/numeric probe: .*NaN/);
      expect(publishes(uri).indexOf(first)).toBeLessThan(publishes(uri).indexOf(merged));
      // The client was asked to refresh its lenses, and the status bar knows the backend.
      await client.waitFor((m) => m.method === 'workspace/codeLens/refresh', 'a codeLens refresh');
      const statuses = client.notifications('losslint/status').map((n) => n.params as { state: string; backend?: string; numericRunning?: boolean });
      expect(statuses.some((s) => s.numericRunning === true && s.state === 'busy')).toBe(true);
      await client.waitFor((m) => m.method === 'losslint/status' && (m.params as any).backend === 'cpu' && (m.params as any).numericRunning === false, 'the status with the backend');

      // 3. CodeLens above focal_loss: "LossLint: n/m probes pass (cpu, …)", clicking re-runs.
      const lenses = await client.call<any[]>('textDocument/codeLens', { textDocument: { uri } });
      expect(lenses).toHaveLength(1);
      expect(lenses[0].range.start.line).toBe(4);
      expect(lenses[0].command.title).toMatch(/^LossLint: \d+\/\d+ probes pass \(cpu, (\d+ ms|cached)\) · LL301$/);
      expect(lenses[0].command).toMatchObject({ command: 'losslint.rerunNumeric', arguments: [uri, 'focal_loss'] });

      // 4. Hover on the function name: the probe table and the SVG plot (once the curve is in).
      let hover: any;
      for (let i = 0; i < 100; i++) {
        hover = await client.call<any>('textDocument/hover', { textDocument: { uri }, position: { line: 4, character: 6 } });
        if (/data:image\/svg\+xml;base64,/.test(hover?.contents.value ?? '')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const md: string = hover.contents.value;
      expect(md).toContain('| probe | inputs | loss | grad finite | verdict |');
      expect(md).toMatch(/\| confident \| margin 30, .*\| no \(\d+ NaN, 0 inf\) \| ✗ fail/);
      // The reference probe: the function at its defaults, the canonical formula at its own values.
      expect(md).toMatch(/\| reference \| std 1, [^|]*, defaults; reference gamma=0\.5 alpha=\S+ \|/);
      const uriMatch = /data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)/.exec(md);
      expect(uriMatch).not.toBeNull();
      const svg = Buffer.from(uriMatch![1], 'base64').toString('utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.length).toBeLessThan(8 * 1024);
      expect(svg).toContain('FL γ=0.5');
      // Hovering the LL103 finding now shows the probe evidence too.
      const onFinding = await client.call<any>('textDocument/hover', { textDocument: { uri }, position: { line: 7, character: 14 } });
      expect(onFinding.contents.value).toMatch(/LL103[\s\S]*numeric probe/);

      // 5. Rerun: a fresh (uncached) check publishes again.
      const before = publishes(uri).length;
      expect(await client.call('workspace/executeCommand', { command: 'losslint.rerunNumeric', arguments: [uri, 'focal_loss'] })).toMatchObject({ available: true, uri });
      const again = await client.waitFor<NotificationLike>(
        (m) => m.method === 'textDocument/publishDiagnostics' && (m.params as Published).uri === uri && hasProbeEvidence(m.params as Published),
        'the publish of the re-run',
        30_000,
        client.received.length,
      );
      expect(publishes(uri).length).toBeGreaterThan(before);
      expect((again.params as Published).version).toBe(1);

      // 6. Repro: the PyTorch script comes back for the client to copy.
      const repro = await client.call<any>('workspace/executeCommand', { command: 'losslint.reproduceInPyTorch', arguments: [uri, 'focal_loss'] });
      expect(repro).toMatchObject({ available: true, function: 'focal_loss' });
      expect(repro.script).toContain('import torch');
      expect(await client.stop()).toBe(0);
    },
    TIMEOUT,
  );

  it(
    'a change cancels the running check: no publish for the stale version',
    async () => {
      await client.initialize();
      const uri = pathToFileURL(path.join(dir, 'focal2.py')).href;
      // A different gamma than the first test, so that nothing is served from a cache.
      const text = FOCAL.replace('gamma=0.5', 'gamma=0.25');
      await client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text } });
      await client.diagnostics(uri, (p) => p.version === 1);
      // Wait until the probes of version 1 are running, then edit.
      await client.waitFor((m) => m.method === 'losslint/status' && (m.params as { numericRunning?: boolean }).numericRunning === true, 'the probes to start', 15_000);
      await client.notify('textDocument/didChange', {
        textDocument: { uri, version: 2 },
        contentChanges: [{ range: { start: { line: 8, character: 0 }, end: { line: 8, character: 0 } }, text: '# edited\n' }],
      });
      const v2 = await client.diagnostics<Published>(uri, (p) => p.version === 2 && hasProbeEvidence(p), 0, 30_000);
      expect(v2.diagnostics.map((d) => d.code)).toEqual(['LL103']);
      // Version 1 only ever got its static publish: its probes were cancelled.
      const v1 = publishes(uri).filter((p) => p.version === 1);
      expect(v1).toHaveLength(1);
      expect(hasProbeEvidence(v1[0])).toBe(false);
      expect(await client.stop()).toBe(0);
    },
    TIMEOUT,
  );

  it(
    'a syntax error whose recovery would swallow the next function: both other functions keep their findings and probes',
    async () => {
      await client.initialize({ workspace: { configuration: true, codeLens: { refreshSupport: true } } });
      const uri = pathToFileURL(path.join(dir, 'three.py')).href;
      // Three copies of the sample's function (gamma 0.75 here: nothing from another test's cache).
      const fn = FOCAL.slice(FOCAL.indexOf('def ')).replace('gamma=0.5', 'gamma=0.75');
      const text = FOCAL.slice(0, FOCAL.indexOf('def ')) + ['f1', 'f2', 'f3'].map((n) => `${fn.replace('focal_loss', n)}\n\n`).join('');
      await client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text } });
      await client.diagnostics(uri, (p) => p.version === 1 && p.diagnostics.length === 3);
      // Pasted in front of f2's `pt = ...`: `    x = f(1, t.)    pt = torch.exp(-ce)`, which tree-sitter
      // reads as f2 running on over f3 (a fresh parse of this text has two functions).
      const ptLine = text.split('\n').findIndex((l, i) => i > text.split('\n').findIndex((m) => m.startsWith('def f2')) && l.startsWith('    pt ='));
      await client.notify('textDocument/didChange', {
        textDocument: { uri, version: 2 },
        contentChanges: [{ range: { start: { line: ptLine, character: 0 }, end: { line: ptLine, character: 0 } }, text: '    x = f(1, t.)' }],
      });
      const fnOf = (line: number) => ['f1', 'f2', 'f3'][Math.floor((line - 4) / 6)];
      const v2 = await client.diagnostics<Published>(uri, (p) => p.version === 2);
      expect(v2.diagnostics.map((d) => [d.code, fnOf(d.range.start.line)])).toEqual([
        ['LL103', 'f1'],
        ['LL103', 'f3'],
      ]);
      // The probes run on f1 and f3 (the worker gets the text with f2 blanked): their evidence and lenses.
      const merged = await client.diagnostics<Published>(uri, (p) => p.version === 2 && p.diagnostics.filter((d) => /numeric probe/.test(String(d.data?.evidence ?? ''))).length === 2, 0, 30_000);
      expect(merged.diagnostics.map((d) => fnOf(d.range.start.line))).toEqual(['f1', 'f3']);
      const lenses = await client.call<any[]>('textDocument/codeLens', { textDocument: { uri } });
      expect(lenses.map((l) => l.command.arguments[1])).toEqual(['f1', 'f3']);
      expect(await client.stop()).toBe(0);
    },
    TIMEOUT,
  );

  it(
    'stays quiet when losslint.numeric.enable is false',
    async () => {
      client.configuration = (section) => (section === 'losslint' ? { numeric: { ...NUMERIC, enable: false } } : null);
      await client.initialize();
      const uri = pathToFileURL(path.join(dir, 'focal3.py')).href;
      await client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: FOCAL } });
      await client.diagnostics(uri, (p) => p.version === 1);
      await new Promise((r) => setTimeout(r, 1500));
      expect(publishes(uri)).toHaveLength(1);
      expect(await client.call('textDocument/codeLens', { textDocument: { uri } })).toEqual([]);
      expect(await client.stop()).toBe(0);
    },
    TIMEOUT,
  );
});
