import { describe, expect, it } from 'vitest';
import { ReadScheduler } from '../src/store/read-scheduler.js';

// Who runs next among the heavy reads: tasks here are promises the test settles, so the order in
// which the scheduler starts them is exact.

interface Task {
  name: string;
  finish(): void;
  fail(error: Error): void;
}

function harness(slots: number, perWorkspace = slots) {
  const scheduler = new ReadScheduler({ slots, perWorkspace });
  const started: string[] = [];
  const running = new Map<string, Task>();
  const submit = (workspace: string, name: string, signal?: AbortSignal) =>
    scheduler.run(workspace, signal, () => {
      started.push(name);
      return new Promise<string>((resolve, reject) => {
        running.set(name, { name, finish: () => resolve(name), fail: reject });
      });
    });
  /** Lets the scheduler react to what settled (its bookkeeping runs in promise callbacks). */
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const finish = async (name: string) => {
    running.get(name)!.finish();
    running.delete(name);
    await settle();
  };
  return { scheduler, started, submit, finish, settle, running };
}

describe('ReadScheduler', () => {
  it('runs as many reads as it has slots, the rest in turn as slots free', async () => {
    const h = harness(2);
    const done = ['a1', 'a2', 'a3'].map((name) => h.submit('A', name));
    await h.settle();
    expect(h.started).toEqual(['a1', 'a2']);
    expect(h.scheduler.stats()).toMatchObject({ slots: 2, running: 2, waiting: 1 });
    await h.finish('a1');
    expect(h.started).toEqual(['a1', 'a2', 'a3']);
    await h.finish('a2');
    await h.finish('a3');
    expect(await Promise.all(done)).toEqual(['a1', 'a2', 'a3']);
    expect(h.scheduler.stats()).toMatchObject({ running: 0, waiting: 0, completed: 3, dropped: 0 });
  });

  it('gives a freed slot to a waiting workspace before a workspace already holding its share', async () => {
    const h = harness(2);
    for (let i = 1; i <= 6; i++) void h.submit('A', `a${i}`);
    await h.settle();
    void h.submit('B', 'b1');
    await h.settle();
    // A alone took both slots; B waits for the first to free, then A and B hold one each.
    expect(h.started).toEqual(['a1', 'a2']);
    await h.finish('a1');
    expect(h.started).toEqual(['a1', 'a2', 'b1']);
    await h.finish('a2');
    expect(h.started.at(-1)).toBe('a3');
    // B has nothing waiting: A may use both slots again.
    await h.finish('b1');
    expect(h.started).toEqual(['a1', 'a2', 'b1', 'a3', 'a4']);
  });

  it('shares the slots among every waiting workspace, oldest first among equals', async () => {
    const h = harness(3);
    for (const name of ['a1', 'a2', 'a3', 'a4']) void h.submit('A', name);
    await h.settle();
    void h.submit('B', 'b1');
    void h.submit('B', 'b2');
    void h.submit('C', 'c1');
    await h.settle();
    expect(h.started).toEqual(['a1', 'a2', 'a3']);
    // Three workspaces on three slots: one each, B (waiting longer) before C.
    await h.finish('a1');
    expect(h.started.at(-1)).toBe('b1');
    await h.finish('a2');
    expect(h.started.at(-1)).toBe('c1');
    await h.finish('a3');
    // A holds nothing now and has the oldest waiting read.
    expect(h.started.at(-1)).toBe('a4');
    await h.finish('b1');
    expect(h.started.at(-1)).toBe('b2');
  });

  it('never lets one workspace run more than the per-workspace bound, even alone', async () => {
    const h = harness(3, 1);
    for (const name of ['a1', 'a2']) void h.submit('A', name);
    void h.submit('B', 'b1');
    await h.settle();
    expect(h.started).toEqual(['a1', 'b1']);
    expect(h.scheduler.stats()).toMatchObject({ running: 2, waiting: 1 });
    await h.finish('a1');
    expect(h.started).toEqual(['a1', 'b1', 'a2']);
  });

  it('drops a read whose client went away while it waited, and never runs it', async () => {
    const h = harness(1);
    void h.submit('A', 'a1');
    const controller = new AbortController();
    const gone = h.submit('A', 'a2', controller.signal);
    const next = h.submit('B', 'b1');
    await h.settle();
    controller.abort();
    await expect(gone).rejects.toThrow(/abort/i);
    await h.finish('a1');
    await h.finish('b1');
    expect(await next).toBe('b1');
    expect(h.started).toEqual(['a1', 'b1']);
    expect(h.scheduler.stats()).toMatchObject({ dropped: 1, completed: 2 });
    // A signal that is already aborted is refused at once.
    await expect(h.submit('A', 'a3', AbortSignal.abort())).rejects.toThrow(/abort/i);
    expect(h.scheduler.stats().dropped).toBe(2);
  });

  it('frees the slot of a read that fails', async () => {
    const h = harness(1);
    const failing = h.submit('A', 'a1');
    const after = h.submit('A', 'a2');
    await h.settle();
    h.running.get('a1')!.fail(new Error('disk I/O error'));
    await expect(failing).rejects.toThrow('disk I/O error');
    await h.settle();
    await h.finish('a2');
    expect(await after).toBe('a2');
  });

  it('refuses sizes that are not whole numbers of at least 1', () => {
    expect(() => new ReadScheduler({ slots: 0, perWorkspace: 1 })).toThrow(/slots/);
    expect(() => new ReadScheduler({ slots: 2, perWorkspace: 1.5 })).toThrow(/per-workspace/);
  });
});
