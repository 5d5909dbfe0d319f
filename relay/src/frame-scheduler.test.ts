import { describe, expect, it } from "vitest";
import { FrameScheduler } from "./frame-scheduler";
import type { ScheduledConnection } from "./frame-scheduler";

class FakeConnection implements ScheduledConnection {
  backlog: string[] | null = null;
  backlogBytes = 0;
  busy = false;
  isClosing = false;
  paused = false;
  constructor(readonly appId: string) {}
  pauseReading(): void {
    this.paused = true;
  }
  resumeReading(): void {
    this.paused = false;
  }
}

/**
 * The scheduler's clock. A frame "costs" `ms` by moving it forward, so the scheduler sees exactly the
 * costs a test gives, however loaded the machine running it is.
 */
let clockMs = 0;
function busyFor(ms: number): void {
  clockMs += ms;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Turns of the event loop until no backlog is waiting (a frame that just finished may add one in its turn). */
async function untilIdle(scheduler: FrameScheduler<FakeConnection>): Promise<void> {
  await nextTurn();
  for (let turn = 0; turn < 10_000 && scheduler.waitingConnections() > 0; turn++) await nextTurn();
  await nextTurn();
}

function scheduler(options: { costMs?: (text: string) => number; asyncFrames?: Map<string, Promise<void>>; maxBacklogBytes?: number } = {}) {
  const ran: string[] = [];
  const overflowed: FakeConnection[] = [];
  clockMs = 0;
  const frames = new FrameScheduler<FakeConnection>({
    allowanceMs: 1,
    maxBatchFrames: 64,
    maxAsyncFramesPerTurn: 4,
    maxBacklogBytes: options.maxBacklogBytes ?? 1_000_000,
    run: (connection, text) => {
      ran.push(`${connection.appId}:${text}`);
      busyFor(options.costMs?.(text) ?? 0);
      return options.asyncFrames?.get(text);
    },
    onOverflow: (connection) => overflowed.push(connection),
    now: () => clockMs,
  });
  return { frames, ran, overflowed };
}

describe("FrameScheduler", () => {
  it("runs cheap frames at once, in order", () => {
    const { frames, ran } = scheduler();
    const connection = new FakeConnection("app_a");
    for (const text of ["1", "2", "3"]) frames.accept(connection, text);
    expect(ran).toEqual(["app_a:1", "app_a:2", "app_a:3"]);
    expect(connection.paused).toBe(false);
  });

  it("holds an app's frames once it spent its allowance in a turn, while another app's frame runs at once", async () => {
    const { frames, ran } = scheduler({ costMs: () => 0.6 });
    const busy = new FakeConnection("app_busy");
    const quiet = new FakeConnection("app_quiet");
    for (let i = 0; i < 20; i++) frames.accept(busy, `b${i}`);
    // 0.6 ms each against a 1 ms allowance: the second frame used it up.
    expect(ran).toEqual(["app_busy:b0", "app_busy:b1"]);
    expect(busy.paused).toBe(true);
    frames.accept(quiet, "q0");
    expect(ran.at(-1)).toBe("app_quiet:q0");
    await untilIdle(frames);
    // Every held frame ran later, in order, and reading resumed.
    expect(ran.filter((entry) => entry.startsWith("app_busy"))).toEqual(Array.from({ length: 20 }, (_, i) => `app_busy:b${i}`));
    expect(busy.paused).toBe(false);
    expect(busy.backlog).toBeNull();
  });

  it("runs a backlog in batches of about the allowance, polling I/O between them", async () => {
    const { frames, ran } = scheduler({ costMs: () => 0.25 });
    const busy = new FakeConnection("app_busy");
    for (let i = 0; i < 40; i++) frames.accept(busy, `b${i}`);
    const perTurn: number[] = [];
    let seen = ran.length;
    while (frames.waitingConnections() > 0) {
      await nextTurn();
      perTurn.push(ran.length - seen);
      seen = ran.length;
    }
    // 0.25 ms frames and a 1 ms allowance: four a turn, never the whole backlog at once.
    expect(Math.max(...perTurn)).toBe(4);
    expect(ran).toHaveLength(40);
  });

  it("takes turns between the waiting connections of an app and between apps", async () => {
    const { frames, ran } = scheduler({ costMs: () => 0.3 });
    const a1 = new FakeConnection("app_a");
    const a2 = new FakeConnection("app_a");
    const b1 = new FakeConnection("app_b");
    for (let i = 0; i < 10; i++) frames.accept(a1, `a1-${i}`);
    for (let i = 0; i < 10; i++) frames.accept(a2, `a2-${i}`);
    for (let i = 0; i < 10; i++) frames.accept(b1, `b1-${i}`);
    await untilIdle(frames);
    const order = ran.slice(ran.indexOf("app_a:a1-3"));
    // a2's frames do not all wait for a1's, and app_b runs before app_a is done.
    expect(order.indexOf("app_a:a2-0")).toBeLessThan(order.indexOf("app_a:a1-9"));
    expect(ran.indexOf("app_b:b1-9")).toBeLessThan(ran.indexOf("app_a:a1-9"));
    for (const prefix of ["app_a:a1-", "app_a:a2-", "app_b:b1-"]) {
      expect(ran.filter((entry) => entry.startsWith(prefix))).toEqual(Array.from({ length: 10 }, (_, i) => `${prefix}${i}`));
    }
  });

  it("holds a connection's later frames behind one that continues asynchronously", async () => {
    let finish = () => undefined as void;
    const asyncFrames = new Map([["slow", new Promise<void>((resolve) => (finish = resolve))]]);
    const { frames, ran } = scheduler({ asyncFrames });
    const connection = new FakeConnection("app_a");
    const other = new FakeConnection("app_a");
    frames.accept(connection, "slow");
    frames.accept(connection, "after");
    frames.accept(other, "independent");
    await nextTurn();
    expect(ran).toEqual(["app_a:slow", "app_a:independent"]);
    expect(connection.paused).toBe(true);
    finish();
    await untilIdle(frames);
    expect(ran).toEqual(["app_a:slow", "app_a:independent", "app_a:after"]);
    expect(connection.paused).toBe(false);
  });

  it("gives up a backlog past its byte cap, and drops the backlog of a closing connection", async () => {
    const { frames, ran, overflowed } = scheduler({ costMs: () => 2, maxBacklogBytes: 10 });
    const flooding = new FakeConnection("app_a");
    frames.accept(flooding, "first");
    frames.accept(flooding, "12345");
    frames.accept(flooding, "123456");
    expect(overflowed).toEqual([flooding]);
    expect(flooding.backlog).toBeNull();

    const closing = new FakeConnection("app_b");
    frames.accept(closing, "x");
    frames.accept(closing, "held");
    closing.isClosing = true;
    await untilIdle(frames);
    expect(ran).not.toContain("app_b:held");
  });

  it("runs other work of an app (upgrades) now within its share, else in later turns in order, while another app's runs at once", async () => {
    const { frames } = scheduler({ costMs: () => 0.6 });
    const busy = new FakeConnection("app_busy");
    for (let i = 0; i < 3; i++) frames.accept(busy, `b${i}`);
    // app_busy spent its allowance on frames: its upgrades wait; app_quiet's runs now.
    const done: string[] = [];
    const upgrade = (appId: string, name: string) => {
      const work = () => {
        busyFor(0.4);
        done.push(name);
      };
      void frames.runInTurn(appId, work);
    };
    for (let i = 0; i < 6; i++) upgrade("app_busy", `u${i}`);
    upgrade("app_quiet", "quiet");
    expect(done).toEqual(["quiet"]);
    const perTurn: number[] = [];
    for (let turn = 0; turn < 50 && done.length < 7; turn++) {
      const before = done.length;
      await nextTurn();
      perTurn.push(done.length - before);
    }
    expect(done).toEqual(["quiet", "u0", "u1", "u2", "u3", "u4", "u5"]);
    // 0.4 ms each against a 1 ms share: three a turn, never all of them at once.
    expect(Math.max(...perTurn)).toBe(3);
  });
});
