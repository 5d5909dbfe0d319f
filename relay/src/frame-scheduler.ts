// A fair share of the event loop for every app (tenant) on a node. The frame budget (PROTOCOL §8)
// bounds what one connection may send; this bounds how long one app's frames may hold the event loop
// in one turn, however many connections it has and whatever its frames cost (a subscribe's presence
// fan-out, a direct send to 32 connections, thousands of frames in one TCP read).
//
// A frame is handled where it arrives while its app has spent less than `allowanceMs` in the current
// turn of the event loop. Past that, the connection's frames wait in its backlog, its socket paused so
// the kernel holds the rest, and later turns handle them: one app's batch per turn, apps and their
// connections taking turns, each batch up to the allowance. Between two batches the event loop polls
// I/O, so another app's frame waits at most for the batch in progress, not for the busy app's backlog.
// With nothing waiting, a frame is handled at once, as before; one busy app alone still gets the
// whole node, in batches.
//
// Time is charged at checkpoints: handling a frame first charges the time since the last checkpoint to
// the app whose frame ran before it. That includes the microtasks after that frame (the continuation of
// an asynchronous subscribe or send), because each batch and each TCP read holds one app's frames. Those
// continuations run only after the checks that let their frames in, so an app may also start only a few
// asynchronous frames per turn: each of them may fan out to a whole channel once it continues.
//
// Frames of one connection keep their order: a frame that waits (presence, a recharge, a cross-node
// send) holds the connection's later frames in its backlog until it is done.
//
// An app's other work takes its turn the same way: a connection's upgrade (token check, claims,
// handshake) runs now within the app's share, or waits for a later turn (`runInTurn`).
/** A connection as the scheduler sees it. */
export interface ScheduledConnection {
  readonly appId: string;
  readonly isClosing: boolean;
  /** Frames waiting their turn, oldest first; null when none. */
  backlog: string[] | null;
  backlogBytes: number;
  /** A frame of this connection is still being handled asynchronously. */
  busy: boolean;
  /** Stops and restarts reading the connection's socket. */
  pauseReading(): void;
  resumeReading(): void;
}

export interface FrameSchedulerOptions<C extends ScheduledConnection> {
  /** How long one app's frames may run in one turn before the rest wait. */
  allowanceMs: number;
  /** Most frames of one batch. */
  maxBatchFrames: number;
  /** Most frames one app may start per turn that continue asynchronously (their continuations are charged late). */
  maxAsyncFramesPerTurn: number;
  /** Bytes a connection's backlog may hold; past it `onOverflow`. */
  maxBacklogBytes: number;
  /** Handles a frame; a promise when it continues asynchronously. */
  run(connection: C, text: string): Promise<void> | undefined;
  /** The backlog passed its byte cap (the caller closes the connection). */
  onOverflow(connection: C): void;
  /** Milliseconds on a monotonic clock; the event loop's own by default (tests give a clock they advance). */
  now?: () => number;
}

/** Frames of one connection run in a row before the batch moves on to the app's next waiting connection. */
const FRAMES_PER_VISIT = 16;

export const DEFAULT_FRAME_SCHEDULER = { allowanceMs: 1, maxBatchFrames: 64, maxAsyncFramesPerTurn: 8, maxBacklogBytes: 4 * 1024 * 1024 } as const;

export class FrameScheduler<C extends ScheduledConnection> {
  /** Time each app spent in the current turn, and how many asynchronous frames it started. */
  private readonly spentMs = new Map<string, number>();
  private readonly asyncStarted = new Map<string, number>();
  private chargedApp: string | null = null;
  private checkpointMs = 0;
  private turnEndScheduled = false;
  /** Apps with connections whose backlog may run now (not busy), each in the order they should take turns. */
  private readonly runnable = new Map<string, Set<C>>();
  /** Other work of an app that waits for its share (upgrades of its connections), oldest first. */
  private readonly deferred = new Map<string, Array<() => void>>();

  private readonly now: () => number;

  constructor(private readonly options: FrameSchedulerOptions<C>) {
    this.now = options.now ?? (() => performance.now());
  }

  /** A text frame arrived: handled now, or queued behind the connection's backlog or its app's allowance. */
  accept(connection: C, text: string): void {
    // Whether or not the frame runs now, what follows is this app's work (a queued frame costs a little too).
    this.checkpoint(connection.appId);
    if (connection.backlog === null && !connection.busy && this.mayStart(connection.appId)) {
      this.track(connection, this.options.run(connection, text));
      return;
    }
    this.enqueue(connection, text);
  }

  /**
   * Other work of the app (a connection's upgrade): run now, and its result returned, while the app's
   * share of this turn allows; else run in a later turn, after the app's work deferred before it, and
   * a promise of its result returned. Its time is charged to the app either way.
   */
  runInTurn(appId: string, work: () => Promise<void> | void): Promise<void> | void {
    this.checkpoint(appId);
    if (!this.deferred.has(appId) && this.mayStart(appId)) return work();
    return new Promise<void>((resolve, reject) =>
      this.defer(appId, () => {
        try {
          resolve(work());
        } catch (error) {
          reject(error);
        }
      }),
    );
  }

  private defer(appId: string, work: () => void): void {
    const queue = this.deferred.get(appId);
    if (queue) queue.push(work);
    else this.deferred.set(appId, [work]);
    if (!this.turnEndScheduled) {
      this.turnEndScheduled = true;
      setImmediate(this.endTurn);
    }
  }

  /** Frames waiting in backlogs across the node (for tests and metrics). */
  waitingConnections(): number {
    let count = 0;
    for (const connections of this.runnable.values()) count += connections.size;
    return count;
  }

  /** Charges the time since the last checkpoint to the app that ran then; `appId` runs from now on. */
  private checkpoint(appId: string | null): void {
    const nowMs = this.now();
    if (this.chargedApp !== null) this.spentMs.set(this.chargedApp, (this.spentMs.get(this.chargedApp) ?? 0) + nowMs - this.checkpointMs);
    this.chargedApp = appId;
    this.checkpointMs = nowMs;
    if (appId !== null && !this.turnEndScheduled) {
      this.turnEndScheduled = true;
      setImmediate(this.endTurn);
    }
  }

  private mayStart(appId: string): boolean {
    return (this.spentMs.get(appId) ?? 0) < this.options.allowanceMs && (this.asyncStarted.get(appId) ?? 0) < this.options.maxAsyncFramesPerTurn;
  }

  /** A frame that continues asynchronously holds the connection's next frames until it is done. */
  private track(connection: C, pending: Promise<void> | undefined): void {
    if (!pending) return;
    this.asyncStarted.set(connection.appId, (this.asyncStarted.get(connection.appId) ?? 0) + 1);
    connection.busy = true;
    void pending.then(() => {
      connection.busy = false;
      if (connection.backlog !== null) this.markRunnable(connection);
    });
  }

  private enqueue(connection: C, text: string): void {
    if (connection.backlogBytes + text.length > this.options.maxBacklogBytes) {
      this.drop(connection);
      this.options.onOverflow(connection);
      return;
    }
    if (connection.backlog === null) {
      connection.backlog = [text];
      connection.pauseReading();
    } else {
      connection.backlog.push(text);
    }
    connection.backlogBytes += text.length;
    if (!connection.busy) this.markRunnable(connection);
  }

  private markRunnable(connection: C): void {
    let connections = this.runnable.get(connection.appId);
    if (!connections) {
      connections = new Set();
      this.runnable.set(connection.appId, connections);
    }
    connections.add(connection);
    if (!this.turnEndScheduled) {
      this.turnEndScheduled = true;
      setImmediate(this.endTurn);
    }
  }

  private drop(connection: C): void {
    connection.backlog = null;
    connection.backlogBytes = 0;
    this.runnable.get(connection.appId)?.delete(connection);
  }

  /** Once per turn that ran frames: a new turn of allowances, and the next app's batch from the backlogs. */
  private readonly endTurn = (): void => {
    this.turnEndScheduled = false;
    this.checkpoint(null);
    this.spentMs.clear();
    this.asyncStarted.clear();
    const next = this.runnable.entries().next().value;
    if (next) {
      const [appId, connections] = next;
      // The app goes to the back of the line, whatever its batch leaves.
      this.runnable.delete(appId);
      this.runBatch(appId, connections);
      if (connections.size > 0) this.runnable.set(appId, this.mergeRunnable(appId, connections));
    }
    this.runDeferred();
    if ((this.runnable.size > 0 || this.deferred.size > 0) && !this.turnEndScheduled) {
      this.turnEndScheduled = true;
      setImmediate(this.endTurn);
    }
  };

  /** Each app's deferred work, as much as its share of this turn allows. */
  private runDeferred(): void {
    for (const [appId, queue] of this.deferred) {
      this.checkpoint(appId);
      while (queue.length > 0 && this.mayStart(appId)) {
        queue.shift()?.();
        this.checkpoint(appId);
      }
      if (queue.length === 0) this.deferred.delete(appId);
    }
  }

  /** Connections that became runnable while the app's batch ran join the ones it left. */
  private mergeRunnable(appId: string, left: Set<C>): Set<C> {
    const joined = this.runnable.get(appId);
    if (joined) for (const connection of joined) left.add(connection);
    return left;
  }

  /**
   * Frames of the app's waiting connections until the allowance or the batch is spent: a few of one
   * connection's frames at a time (they tend to share what they need warm: the same key and claims),
   * then the next connection's.
   */
  private runBatch(appId: string, connections: Set<C>): void {
    let frames = 0;
    while (connections.size > 0 && frames < this.options.maxBatchFrames) {
      const connection = connections.values().next().value as C;
      connections.delete(connection);
      for (let visit = 0; visit < FRAMES_PER_VISIT && frames < this.options.maxBatchFrames; visit++) {
        this.checkpoint(appId);
        if (!this.mayStart(appId)) {
          connections.add(connection);
          return;
        }
        const text = connection.backlog?.shift();
        if (connection.isClosing || text === undefined) {
          this.drop(connection);
          break;
        }
        connection.backlogBytes -= text.length;
        if (connection.backlog?.length === 0) {
          connection.backlog = null;
          connection.resumeReading();
        }
        frames += 1;
        this.track(connection, this.options.run(connection, text));
        if (connection.busy || connection.backlog === null) break;
      }
      if (!connection.busy && connection.backlog !== null) connections.add(connection);
    }
  }
}
