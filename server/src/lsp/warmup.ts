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
import { IncrementalAnalyzer } from '../analysis/incremental';
import { ParsedDocument, type ContentChange } from '../core/document';
import { DEFAULT_SETTINGS } from '../core/types';
import { toDiagnostic } from './handlers/diagnostics';

/** Whether the server warms up: yes unless LOSSLINT_WARMUP=0 (bench/lsp-latency.mjs compares both). */
export function warmupEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.LOSSLINT_WARMUP !== '0';
}

/** Keystrokes typed at most (0.7-0.9 s of CPU on a fresh server of the bench machine, in steps of a few ms). */
export const WARMUP_KEYSTROKES = 400;

/**
 * Loss code in the shapes the server meets (functions, closures, loops, classes with `__init__` and
 * `forward`, calls between functions, module-level configuration and calls), written for the warm-up
 * only. The more shapes V8 sees here, the fewer times it re-optimizes for the first real file: 11-18
 * deoptimizations in the first keystrokes of the bench file after this warm-up, 20-40 after one on a
 * file of functions and one class.
 */
export const WARMUP_SOURCE = `"""Losses for a detector: the shapes of code the server reads, written for the warm-up only."""
import math
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F

SMOOTH = 1e-6
CONFIG = {"alpha": 0.25, "gamma": 2.0, "reduction": "mean"}
LEVELS = (8, 16, 32)


def weighted_ce(logits, labels, weight=None, ignore_index=-100):
    ce = F.cross_entropy(logits, labels, weight=weight, ignore_index=ignore_index, reduction="none")
    valid = (labels != ignore_index).float()
    return (ce * valid).sum() / valid.sum().clamp(min=1.0)


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


def focal_from_log_probs(logits, target, gamma=2.0, eps=SMOOTH):
    log_p = F.log_softmax(logits, dim=-1)
    log_pt = log_p.gather(1, target.unsqueeze(1)).squeeze(1)
    pt = log_pt.exp().clamp(min=eps, max=1.0 - eps)
    return (-((1 - pt) ** gamma) * log_pt).mean()


def log_loss(probs, labels):
    return -(labels * torch.log(probs)).sum(dim=1).mean()


def soft_dice(probs, labels, eps=SMOOTH, dims=(2, 3)):
    inter = (probs * labels).sum(dim=dims)
    union = probs.sum(dim=dims) + labels.sum(dim=dims)
    return 1 - ((2 * inter + eps) / (union + eps)).mean()


def make_focal(gamma=CONFIG["gamma"], alpha=None):
    def inner(logits, labels):
        p = logits.sigmoid().clamp(SMOOTH, 1 - SMOOTH)
        w = (1 - p) ** gamma
        if alpha is not None:
            w = w * (alpha * labels + (1 - alpha) * (1 - labels))
        return (w * F.binary_cross_entropy(p, labels, reduction="none")).mean()

    return inner


def multi_level(outputs, targets, weights=None):
    total = 0.0
    weights = weights or [1.0] * len(outputs)
    for level, (out, tgt) in enumerate(zip(outputs, targets)):
        if out.numel() == 0:
            continue
        total = total + weights[level] * focal_multiclass(out, tgt)
    return total / len(outputs)


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
        elif self.reduction == "sum":
            return loss.sum()
        return loss


class ClassBalanced(nn.Module):
    def __init__(self, counts, beta=0.999, gamma=2.0):
        super().__init__()
        effective = 1.0 - torch.pow(beta, torch.tensor(counts, dtype=torch.float32))
        weights = (1.0 - beta) / effective
        self.register_buffer("weights", weights / weights.sum() * len(counts))
        self.gamma = gamma

    def forward(self, logits, labels):
        one_hot = F.one_hot(labels, logits.shape[-1]).float()
        probs = logits.softmax(dim=-1)
        pt = (probs * one_hot).sum(dim=-1)
        alpha_t = self.weights[labels]
        with torch.no_grad():
            scale = (1 - pt) ** self.gamma
        return (alpha_t * scale * F.cross_entropy(logits, labels, reduction="none")).mean()


def smooth_l1(pred, target, beta=1.0 / 9):
    diff = (pred - target).abs()
    loss = torch.where(diff < beta, 0.5 * diff ** 2 / beta, diff - 0.5 * beta)
    return loss.sum()


def total_loss(cls_out, box_out, labels, boxes, num_pos):
    cls = focal_binary(cls_out, labels) / max(num_pos, 1)
    box = smooth_l1(box_out, boxes) / max(num_pos, 1)
    return {"cls": cls, "box": box, "total": cls + box}


criterion = Focal(alpha=0.25, gamma=0.5)
binary = make_focal(gamma=0.5)
balanced = partial(focal_multiclass, alpha=CONFIG["alpha"])
scales = [math.log(s) for s in LEVELS]
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
