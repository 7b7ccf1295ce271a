/**
 * A young-generation garbage collection between keystrokes instead of during one.
 *
 * A keystroke allocates about 1 MB (a new text, a new tree's wrappers, the re-checked statements'
 * IR and facts). V8 collects the young generation when it is full, which is in the middle of some
 * keystroke, while that keystroke's own objects are alive and must be copied: 2.5-10 ms, a few times
 * per hundred keystrokes, and most of the slowest keystrokes. Right after diagnostics are published
 * almost nothing young is alive: the same collection takes about 0.4 ms (bench/RESULTS.md). So once
 * the young generation is more than half full and no edit has come for IDLE_MS after a publish, the
 * server collects it then, as browsers do in idle time. Not in the CLI; LOSSLINT_IDLE_GC=0 turns it off.
 */
import * as v8 from 'node:v8';
import { v8Gc } from '../core/trees';

/** V8's gc(): a full collection without options; `{ type: 'minor' }` for the young generation only (Node 20's V8 reads `{ type: 'major' }` as minor). */
type Gc = (options?: { type: 'minor' }) => void;

/** The young generation's fill above which a publish is followed by a collection. */
export const YOUNG_FILL = 0.5;

/** V8's gc() (core/trees.ts: exposed in a context of its own, as jest's leak detector does); null where that fails. */
function gc(): Gc | null {
  return v8Gc();
}

/** How full the young generation's current semispace is, from 0 to 1. */
export function youngFill(): number {
  const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
  if (!s) return 0;
  const usable = s.space_used_size + s.space_available_size;
  return usable > 0 ? s.space_used_size / usable : 0;
}

export function idleGcEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.LOSSLINT_IDLE_GC !== '0';
}

/** How long the server must have been idle after a publish before the collection (no edit came). */
export const IDLE_MS = 10;

/** Collects the young generation once the server has been idle IDLE_MS after a publish, when it is over YOUNG_FILL full. */
export class IdleGc {
  private timer: NodeJS.Timeout | undefined;
  /** Collections made (tests, logs). */
  collections = 0;

  constructor(
    private readonly enabled = idleGcEnabled(),
    private readonly fill: () => number = youngFill,
    private readonly idleMs = IDLE_MS,
  ) {}

  /**
   * After a publish: the keystroke's objects are garbage now. Not at once: when the next keystroke is
   * already on its way (a fast typist, a replay), the collection would only delay it.
   */
  schedule(): void {
    if (!this.enabled || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.fill() < YOUNG_FILL) return;
      const collect = gc();
      if (!collect) return;
      collect({ type: 'minor' });
      this.collections++;
    }, this.idleMs);
    this.timer.unref();
  }

  /** An edit came: the server is not idle (the next publish schedules again). */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * A full collection on the next turn, once the warm-up has ended: what the open analyses and the
   * warm-up made and still hold moves to the old generation now, instead of being copied by the
   * young-generation collections of the first keystrokes (7-9 ms each before).
   */
  scheduleFull(): void {
    if (!this.enabled) return;
    setImmediate(() => {
      const collect = gc();
      if (!collect) return;
      collect();
      this.collections++;
    });
  }

  dispose(): void {
    this.cancel();
  }
}
