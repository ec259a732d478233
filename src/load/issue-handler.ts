import type { Dispatcher } from 'undici';

/** What a handler reports its answer to (the engine). */
export interface HandlerSink {
  /** keep 5xx bodies (a foreign dialect may match on them) */
  readonly keeps5xxBodies: boolean;
  complete(h: IssueHandler, status: number, body: Buffer | undefined, err: string | undefined): void;
}

/** Legacy undici handler shape: undici passes it through without wrapping (cheapest path). */
export class IssueHandler implements Dispatcher.DispatchHandler {
  /** when fire() handed the request to undici */
  dispatched = 0;
  /** when undici started writing it on a connected socket (= dispatched if it never got that far) */
  sent = 0;
  private status = 0;
  private chunk: Buffer | undefined;
  private chunks: Buffer[] | undefined;
  private finished = false;

  constructor(
    private readonly engine: HandlerSink,
    readonly slot: number,
    public templateId: number,
    public userId: number,
    public intended: number,
    public done: (slot: number) => void,
  ) {}

  /** Answered (or failed): the object can carry the slot's next request. */
  get idle(): boolean {
    return this.finished;
  }

  /** Reuse for the slot's next request (lean client: nothing refers to an answered handler). */
  reset(templateId: number, userId: number, intended: number, done: (slot: number) => void): void {
    this.templateId = templateId;
    this.userId = userId;
    this.intended = intended;
    this.done = done;
    this.status = 0;
    this.chunk = undefined;
    this.chunks = undefined;
    this.finished = false;
    this.abort = undefined;
  }

  private abort: ((err?: Error) => void) | undefined;

  onConnect(abort: (err?: Error) => void, immediate?: boolean): void {
    this.abort = abort;
    // Called just before the request is written: at once on a kept-alive connection (the lean
    // client says so, and the dispatch time stands), after the handshake on a new one.
    if (immediate !== true) this.sent = performance.now();
  }

  /** The request outlived the run's timeout: give up on it (the server may still act on it). */
  timeout(cancel?: (err: Error) => void): void {
    if (this.finished) return;
    const err = Object.assign(new Error('request timed out'), { code: 'REQUEST_TIMEOUT' });
    if (cancel) cancel(err);
    else if (this.abort) this.abort(err);
    else this.onError(err);
  }

  onHeaders(statusCode: number): boolean {
    this.status = statusCode;
    return true;
  }

  onData(chunk: Buffer): boolean {
    // 5xx bodies are not needed to classify the bundled contract's answers; skip keeping them.
    if (this.status >= 500 && !this.engine.keeps5xxBodies) return true;
    if (this.chunk === undefined) this.chunk = chunk;
    else (this.chunks ??= [this.chunk]).push(chunk);
    return true;
  }

  onComplete(): void {
    if (this.finished) return;
    this.finished = true;
    this.engine.complete(this, this.status, this.chunks ? Buffer.concat(this.chunks) : this.chunk, undefined);
  }

  onError(err: Error & { code?: string }): void {
    if (this.finished) return;
    this.finished = true;
    // Any error before a complete answer: the request may or may not have taken effect.
    this.engine.complete(this, 0, undefined, err.code ?? err.name);
  }
}
