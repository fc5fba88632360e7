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
 * synchronous write(2) at the moment the request is written to the upstream. A write(2) survives
 * a SIGKILL of the process (it is in the kernel's page cache), so after a crash the journal holds
 * every request the upstream was sent, also those the ledger had not committed yet.
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

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.prefix = `${process.pid}-${Date.now()}`;
    this.rotate();
  }

  /** Appends one line, newline included; throws when the journal cannot be written (the request must not go on). */
  append(line: string): void {
    writeSync(this.fd, line);
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
