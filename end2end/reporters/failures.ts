// Writes each failed test and the start of its error to a file, which `make test-e2e`
// prints after `cargo leptos end-to-end` fails: cargo-leptos ends a failed run with its own
// backtrace, and CI keeps only the tail of the output, so the list reporter's summary is lost.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Reporter, TestCase, TestResult } from "@playwright/test/reporter";

const ERROR_CHARS = 1_500;

export default class FailuresReporter implements Reporter {
  private readonly file = process.env.E2E_FAILURES_FILE;
  private readonly lines: string[] = [];

  onTestEnd(test: TestCase, result: TestResult) {
    if (result.status === "passed" || result.status === "skipped") return;
    const where = `${path.basename(test.location.file)}:${test.location.line}`;
    const title = test.titlePath().filter(Boolean).slice(1).join(" › ");
    const error = result.errors
      .map((e) => e.message ?? e.value ?? "")
      .join("\n")
      .replace(/\x1b\[[0-9;]*m/g, "");
    this.lines.push(
      `✘ ${title} (${where}), attempt ${result.retry + 1}: ${result.status}`,
      error.slice(0, ERROR_CHARS),
      "",
    );
  }

  onEnd() {
    if (!this.file) return;
    const text = this.lines.length
      ? this.lines.join("\n")
      : "no test failed: the run failed around them (see above)\n";
    fs.writeFileSync(this.file, text);
  }
}
