/**
 * The language server's project index (lsp/project.ts): once the workspace is indexed, a loss file
 * is checked with the values other files and configs pass to it, those values get the finding where
 * they are written (a config file the editor never opened included), and editing the config changes
 * the loss file's diagnostics.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LspTestClient } from './lspClient';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'projects', 'focal');

function copyProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'losslint-project-'));
  fs.cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

type Diag = { range: { start: { line: number } }; code: string; message: string; relatedInformation?: { location: { uri: string }; message: string }[] };

describe('project index in the language server', () => {
  let client: LspTestClient | undefined;
  afterEach(() => {
    client?.kill();
    client = undefined;
  });

  it('checks a loss with the values of other files and configs, and follows an edit of the config', async () => {
    const root = copyProject();
    const uri = (rel: string) => pathToFileURL(path.join(root, rel)).href;
    client = new LspTestClient();
    await client.initialize({ workspace: { configuration: true }, window: { workDoneProgress: true } }, { workspaceFolders: [{ uri: pathToFileURL(root).href, name: 'focal' }] });
    const lossUri = uri('pkg/losses/focal.py');
    await client.notify('textDocument/didOpen', { textDocument: { uri: lossUri, languageId: 'python', version: 1, text: fs.readFileSync(path.join(root, 'pkg/losses/focal.py'), 'utf8') } });

    // Once indexed: the class's gamma gets 0.3 (argparse default), 0.5 (call sites, the mmdet dict) and 0.7 (Hydra's loss group).
    // (First the loss's diagnostics with every value, then again with where each comes from.)
    const all = await client.diagnostics<{ diagnostics: Diag[] }>(lossUri, (p) => p.diagnostics.some((d) => d.message.includes('gamma=0.3 or 0.5 or 0.7') && !!d.relatedInformation?.length), 0, 30_000);
    const cls = all.diagnostics.find((d) => d.range.start.line === 15)!;
    expect(cls.code).toBe('LL103');
    const related = (cls.relatedInformation ?? []).map((r) => r.location.uri).sort();
    expect(related).toEqual([uri('conf/loss/focal.yaml'), uri('configs/retinanet_r50.py'), uri('pkg/models/detector.py'), uri('scripts/train.py')].sort());
    // The function `focal_loss` gets 0.4 from conf/eval.yaml through OmegaConf.load.
    expect(all.diagnostics.some((d) => d.range.start.line === 22 && d.message.includes('gamma=0.4'))).toBe(true);
    // Progress was reported while indexing.
    expect(client.notifications('$/progress').length).toBeGreaterThan(0);

    // The value is reported where it is written: a YAML file nobody opened.
    const yamlUri = uri('conf/loss/focal.yaml');
    const yaml = await client.diagnostics<{ diagnostics: Diag[] }>(yamlUri, (p) => p.diagnostics.length > 0, 0, 30_000);
    expect(yaml.diagnostics.map((d) => [d.code, d.range.start.line])).toEqual([['LL103', 1]]);
    expect(yaml.diagnostics[0].relatedInformation?.[0].location.uri).toBe(lossUri);
    const hover = await client.call<{ contents: { value: string } } | null>('textDocument/hover', { textDocument: { uri: yamlUri }, position: { line: 1, character: 9 } });
    expect(hover?.contents.value).toContain('The path of this value');
    expect(hover?.contents.value).toContain('conf/loss/focal.yaml');

    // Editing the config (unsaved) changes the loss file's diagnostics and clears the YAML's.
    const yamlText = fs.readFileSync(path.join(root, 'conf/loss/focal.yaml'), 'utf8');
    await client.notify('textDocument/didOpen', { textDocument: { uri: yamlUri, languageId: 'yaml', version: 1, text: yamlText } });
    const from = client.received.length;
    const at = yamlText.split('\n').findIndex((l) => l.startsWith('gamma'));
    await client.notify('textDocument/didChange', {
      textDocument: { uri: yamlUri, version: 2 },
      contentChanges: [{ range: { start: { line: at, character: 7 }, end: { line: at, character: 10 } }, text: '2.0' }],
    });
    const after = await client.diagnostics<{ diagnostics: Diag[] }>(lossUri, (p) => p.diagnostics.some((d) => d.message.includes('gamma=0.3 or 0.5') && !d.message.includes('0.7')), from, 30_000);
    expect(after.diagnostics.find((d) => d.range.start.line === 15)?.message).not.toContain('0.7');
    await client.diagnostics<{ diagnostics: Diag[] }>(yamlUri, (p) => p.diagnostics.length === 0, from, 30_000);

    // A broken YAML loses its values, and nothing else breaks.
    await client.notify('textDocument/didChange', { textDocument: { uri: yamlUri, version: 3 }, contentChanges: [{ text: 'gamma: [0.5\n' }] });
    const hovered = await client.call('textDocument/hover', { textDocument: { uri: lossUri }, position: { line: 15, character: 17 } });
    expect(hovered).not.toBeUndefined();
    expect(await client.stop()).toBe(0);
    fs.rmSync(root, { recursive: true, force: true });
  }, 60_000);
});
