/**
 * Warm-up of the keystroke path while the server is idle.
 *
 * A fresh server runs its first keystrokes several times slower than later ones: V8 compiles the
 * code a keystroke runs (incremental parse, plan carry-over, interpretation, rules, diagnostics) only
 * after that code has run a while. Measured on a 3,000-line file, the first 100 keystrokes of a fresh
 * server took 410-520 ms against 190-260 ms for each later 100, with single keystrokes of 10-30 ms
 * (bench/RESULTS.md).
 *
 * So after `initialized`, until the first real edit, the server types into a private document of its
 * own (WARMUP_SOURCE, never shown or published): one keystroke per turn of the event loop, so that
 * a message from the client waits for one keystroke at most, and none once an edit arrived. The
 * document store, the settings and the published diagnostics are not touched.
 */
import { IncrementalAnalyzer } from '../core/incremental';
import { ParsedDocument, type ContentChange } from '../core/document';
import { DEFAULT_SETTINGS } from '../core/types';
import { toDiagnostic } from './handlers/diagnostics';

/** Whether the server warms up: yes unless LOSSLINT_WARMUP=0 (bench/lsp-latency.mjs compares both). */
export function warmupEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.LOSSLINT_WARMUP !== '0';
}

/** Keystrokes typed at most (about 0.5-1 s of CPU on a fresh server of the bench machine). */
export const WARMUP_KEYSTROKES = 400;

/**
 * Loss code of the kinds the rules read (a softmax focal loss with a scalar alpha, a sigmoid focal
 * loss, an nn.Module with hyperparameters, module-level calls), written for the warm-up only.
 */
export const WARMUP_SOURCE = `import math
import torch
import torch.nn as nn
import torch.nn.functional as F

SMOOTH = 1e-6


def weighted_ce(logits, labels, weight=None):
    ce = F.cross_entropy(logits, labels, weight=weight, reduction="none")
    return ce.mean()


def focal_multiclass(logits, labels, alpha=0.25, gamma=2.0):
    ce = F.cross_entropy(logits, labels, reduction="none")
    pt = torch.exp(-ce)
    loss = alpha * (1 - pt) ** gamma * ce
    return loss.mean()


def focal_binary(logits, labels, alpha=0.25, gamma=0.5):
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, labels, reduction="none")
    p_t = p * labels + (1 - p) * (1 - labels)
    loss = ce * ((1 - p_t) ** gamma)
    alpha_t = alpha * labels + (1 - alpha) * (1 - labels)
    loss = alpha_t * loss
    return loss.sum() / max(1, labels.numel())


def log_loss(probs, labels):
    return -(labels * torch.log(probs)).sum(dim=1).mean()


class Focal(nn.Module):
    def __init__(self, alpha=0.5, gamma=1.5, reduction="mean"):
        super().__init__()
        self.alpha = alpha
        self.gamma = gamma
        self.reduction = reduction

    def forward(self, logits, labels):
        ce = F.cross_entropy(logits, labels, reduction="none")
        pt = torch.exp(-ce)
        loss = self.alpha * (1 - pt) ** self.gamma * ce
        if self.reduction == "mean":
            return loss.mean()
        return loss.sum()


def dice(probs, labels, eps=SMOOTH):
    inter = (probs * labels).sum()
    return 1 - (2 * inter + eps) / (probs.sum() + labels.sum() + eps)


criterion = Focal(alpha=0.25, gamma=0.5)
`;

/** What is typed, on a new line after `pt = torch.exp(-ce)` in `focal_multiclass`, and then removed again. */
const TYPED = ['mod = (1 - pt) ** gamma', 'weighted = alpha * mod * ce', 'total = weighted.sum() / max(1, labels.numel())'];
const CLOSERS: Record<string, string> = { '(': ')', '[': ']' };

/**
 * The warm-up's keystrokes, as an editor sends them: Enter (with the indentation), then each
 * character, brackets auto-closed and typed over; once all of TYPED is in, one change removes it.
 */
export function* warmupEdits(source: string = WARMUP_SOURCE): Generator<ContentChange> {
  const lines = source.split('\n');
  const anchor = lines.findIndex((l) => l === '    pt = torch.exp(-ce)');
  const at = (line: number, character: number) => ({ line, character });
  for (;;) {
    let line = anchor;
    for (const statement of TYPED) {
      const indent = '    ';
      const end = line === anchor ? lines[anchor].length : indent.length + TYPED[line - anchor - 1].length;
      yield { range: { start: at(line, end), end: at(line, end) }, text: `\n${indent}` };
      line++;
      let col = indent.length;
      const pending: string[] = [];
      for (const ch of statement) {
        if (pending.length && pending[pending.length - 1] === ch) {
          yield { range: { start: at(line, col), end: at(line, col + 1) }, text: ch };
          pending.pop();
        } else if (CLOSERS[ch]) {
          yield { range: { start: at(line, col), end: at(line, col) }, text: ch + CLOSERS[ch] };
          pending.push(CLOSERS[ch]);
        } else {
          yield { range: { start: at(line, col), end: at(line, col) }, text: ch };
        }
        col++;
      }
    }
    // Back to the source: remove the typed lines (with the line break before the first).
    const last = anchor + TYPED.length;
    yield { range: { start: at(anchor, lines[anchor].length), end: at(last, 4 + TYPED[TYPED.length - 1].length) }, text: '' };
  }
}

/** How a warm-up ended. */
export interface WarmupEnd {
  /** Keystrokes typed (the first analysis of the document counts as one). */
  keystrokes: number;
  /** Time spent in them (not the wall time in between). */
  busyMs: number;
  why: 'done' | 'stopped' | 'failed';
}

/** Types up to `keystrokes` keystrokes into a private document, one per event-loop turn, until stopped. */
export class Warmup {
  private immediate: NodeJS.Immediate | undefined;
  private typed = 0;
  private busyMs = 0;
  private state: 'new' | 'running' | 'ended' = 'new';

  constructor(
    private readonly keystrokes = WARMUP_KEYSTROKES,
    private readonly onEnd: (end: WarmupEnd, error?: unknown) => void = () => undefined,
  ) {}

  /** Keystrokes typed so far. */
  get count(): number {
    return this.typed;
  }

  /** Whether it has ended (all keystrokes typed, stopped, or failed). */
  get done(): boolean {
    return this.state === 'ended';
  }

  start(): void {
    if (this.state !== 'new') return;
    this.state = 'running';
    let doc: ParsedDocument;
    let analyzer: IncrementalAnalyzer;
    let edits: Generator<ContentChange>;
    const step = (): void => {
      this.immediate = undefined;
      if (this.state !== 'running') return;
      const t0 = performance.now();
      try {
        if (this.typed === 0) {
          doc = ParsedDocument.parse(WARMUP_SOURCE);
          analyzer = new IncrementalAnalyzer();
          edits = warmupEdits();
        } else {
          doc.applyChanges([edits.next().value as ContentChange]);
        }
        const findings = analyzer.analyze(doc, DEFAULT_SETTINGS);
        JSON.stringify(findings.map((f) => toDiagnostic(f, this.typed)));
        this.typed++;
      } catch (error) {
        this.end('failed', error);
        return;
      } finally {
        this.busyMs += performance.now() - t0;
      }
      if (this.typed >= this.keystrokes) this.end('done');
      else this.immediate = setImmediate(step);
    };
    this.immediate = setImmediate(step);
  }

  /** Ends the warm-up for good (the first real edit, shutdown); nothing if it has ended already. */
  stop(): void {
    if (this.state === 'running') this.end('stopped');
    this.state = 'ended';
  }

  private end(why: WarmupEnd['why'], error?: unknown): void {
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
    this.state = 'ended';
    this.onEnd({ keystrokes: this.typed, busyMs: this.busyMs, why }, error);
  }
}
