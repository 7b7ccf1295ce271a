/**
 * lsp/idle-gc.ts: after a publish, a young-generation collection once the server has been idle a
 * while, only when the young generation is over half full, never when an edit came or when turned off.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { IDLE_MS, IdleGc, idleGcEnabled, youngFill, YOUNG_FILL } from '../../server/src/lsp/idle-gc';

const tick = () => new Promise((resolve) => setImmediate(resolve));
const idle = () => new Promise((resolve) => setTimeout(resolve, IDLE_MS + 15));

/** The kinds of the garbage collections V8 reports while `run` runs (and a few ticks after). */
async function gcKinds(run: () => Promise<void>): Promise<number[]> {
  const kinds: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) kinds.push((e as unknown as { detail: { kind: number } }).detail.kind);
  });
  observer.observe({ entryTypes: ['gc'] });
  await run();
  await new Promise((resolve) => setTimeout(resolve, 20));
  observer.disconnect();
  return kinds;
}

describe('IdleGc', () => {
  it('collects the young generation once idle after a publish, when it is over half full', async () => {
    const gc = new IdleGc(true, () => YOUNG_FILL + 0.1);
    const kinds = await gcKinds(async () => {
      gc.schedule();
      gc.schedule(); // one collection for a burst of publishes
      await tick();
      expect(gc.collections).toBe(0); // not at once: the next keystroke may be on its way
      await idle();
    });
    expect(gc.collections).toBe(1);
    expect(kinds).toContain(constants.NODE_PERFORMANCE_GC_MINOR);
  });

  it('does not collect when an edit comes before the server was idle', async () => {
    const gc = new IdleGc(true, () => 1);
    gc.schedule();
    await tick();
    gc.cancel();
    await idle();
    expect(gc.collections).toBe(0);
    gc.schedule(); // the next publish
    await idle();
    expect(gc.collections).toBe(1);
  });

  it('makes one full collection on the next turn after the warm-up, unless off', async () => {
    const gc = new IdleGc(true, () => 0);
    const off = new IdleGc(false, () => 0);
    const kinds = await gcKinds(async () => {
      gc.scheduleFull();
      off.scheduleFull();
      expect(gc.collections).toBe(0);
      await tick();
      await tick();
    });
    expect([gc.collections, off.collections]).toEqual([1, 0]);
    expect(kinds).toContain(constants.NODE_PERFORMANCE_GC_MAJOR);
  });

  it('does nothing when the young generation has room, when off, or once disposed', async () => {
    const roomy = new IdleGc(true, () => YOUNG_FILL - 0.1);
    const off = new IdleGc(false, () => 1);
    const disposed = new IdleGc(true, () => 1);
    roomy.schedule();
    off.schedule();
    disposed.schedule();
    disposed.dispose();
    await idle();
    expect([roomy.collections, off.collections, disposed.collections]).toEqual([0, 0, 0]);
  });

  it('reads the fill of the young generation between 0 and 1, and is on unless LOSSLINT_IDLE_GC=0', () => {
    const fill = youngFill();
    expect(fill).toBeGreaterThanOrEqual(0);
    expect(fill).toBeLessThanOrEqual(1);
    expect(idleGcEnabled({})).toBe(true);
    expect(idleGcEnabled({ LOSSLINT_IDLE_GC: '0' })).toBe(false);
  });
});
