import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";

/**
 * The admission journal: an append-only file per process, one line per request, written with a
 * synchronous write(2) before the request is written to the upstream. A write(2) survives a
 * SIGKILL of the process (it is in the kernel's page cache), so after a crash the journal holds
 * every request the upstream was sent, also those the ledger had not committed yet. Lines are
 * appended to a batch and written together by `flush`: one write(2) for the requests of one
 * turn of the event loop (see `UsageLedger.admit`).
 *
 * The journal is cut into segments: each ledger commit takes the current segment whole and
 * starts a new one, and records the segment's name in the same transaction as its counts. A
 * segment whose name is recorded is applied and can go; one whose name is not is replayed.
 */
export class AdmissionJournal {
  private fd = -1;
  private segment = "";
  private sequence = 0;
  private readonly prefix: string;
  /** Lines appended since the last flush. */
  private batch = "";
  /** The last write(2) was cut short: the next one starts on a new line. */
  private torn = false;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.prefix = `${process.pid}-${Date.now()}`;
    this.rotate();
  }

  /** Adds one line to the batch that the next `flush` writes. */
  append(line: string): void {
    this.batch += `${line}\n`;
  }

  /**
   * Writes the batch in one write(2). Throws when it cannot be written whole: its lines are
   * dropped then, and their requests must not go on (a torn line is skipped at recovery).
   */
  flush(): void {
    if (this.batch === "") return;
    const text = this.torn ? `\n${this.batch}` : this.batch;
    this.batch = "";
    const bytes = Buffer.byteLength(text);
    this.torn = true;
    if (writeSync(this.fd, text) !== bytes) throw new Error("the usage journal was written only in part");
    this.torn = false;
  }

  /** Closes the current segment and starts the next; returns the closed segment's name. */
  rotate(): string {
    const closed = this.segment;
    if (this.fd !== -1) closeSync(this.fd);
    this.segment = `${this.prefix}-${++this.sequence}.journal`;
    this.fd = openSync(join(this.dir, this.segment), "a");
    return closed;
  }

  /** Deletes a segment whose counts are committed. */
  discard(segment: string): void {
    AdmissionJournal.discard(this.dir, segment);
  }

  static discard(dir: string, segment: string): void {
    const file = join(dir, segment);
    if (existsSync(file)) unlinkSync(file);
  }

  close(): void {
    const last = this.segment;
    closeSync(this.fd);
    this.fd = -1;
    // An empty last segment holds nothing to keep.
    if (statSync(join(this.dir, last)).size === 0) this.discard(last);
  }

  /** Segments left by processes that are gone, oldest first: they are this process's to recover. */
  static orphans(dir: string): Array<{ segment: string; lines: string[] }> {
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((name) => name.endsWith(".journal") && !isAlive(Number(name.split("-")[0])))
      .sort()
      .map((segment) => ({
        segment,
        lines: readFileSync(join(dir, segment), "utf8").split("\n").filter(Boolean),
      }));
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return false; // an earlier life of this pid: this process just started
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
