/**
 * scripts/ci-comment.sh (npm test: a stand-in `gh` that records its calls): the gate's comment is
 * prepared from the newest report (or says there is none), posted once and then updated in place
 * (its own comment, not a user's with the same marker), cut at a character boundary; refused when
 * the artifact's number is not a number, and not posted when it names a pull request whose head is
 * not the gated commit (an artifact from a fork is data, never trusted).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../scripts/ci-comment.sh', import.meta.url));
const MARKER = '<!-- ws-actor-vs-mutex performance gate -->';
const HEAD = 'a'.repeat(40);

/**
 * A stand-in gh: answers the pull request and its comments as the API would (JSON, through the
 * caller's own --jq filter, run by jq), and records posts and patches with their bodies.
 */
function fakeGh(dir: string, o: { prHead: string; comments?: readonly { id: number; user: string; body: string }[] }): string {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  const log = path.join(dir, 'gh.log');
  writeFileSync(path.join(dir, 'pull.json'), JSON.stringify({ head: { sha: o.prHead } }));
  writeFileSync(path.join(dir, 'comments.json'), JSON.stringify((o.comments ?? []).map((c) => ({ id: c.id, user: { login: c.user }, body: c.body }))));
  writeFileSync(
    path.join(bin, 'gh'),
    `#!/bin/bash
echo "$*" >> '${log}'
filter=.; previous=
for a in "$@"; do if [ "$previous" = --jq ]; then filter="$a"; fi; previous="$a"; done
case "$*" in
  *"/pulls/"*) jq -r "$filter" '${dir}/pull.json' ;;
  *"--paginate"*) jq -r "$filter" '${dir}/comments.json' ;;
  *"-X POST"*|*"-X PATCH"*) for a in "$@"; do case "$a" in body=@*) cat "\${a#body=@}" > '${dir}/posted.md' ;; esac; done ;;
  *) echo "unexpected gh $*" >&2; exit 1 ;;
esac
`,
  );
  chmodSync(path.join(bin, 'gh'), 0o755);
  return bin;
}

function run(dir: string, args: string[], bin?: string): { status: number | null; out: string } {
  const r = spawnSync('bash', [SCRIPT, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...(bin && { PATH: `${bin}:${process.env.PATH}` }) } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function prepared(report?: string, number = '17'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ci-comment-'));
  const results = path.join(dir, 'perf-results');
  if (report !== undefined) {
    mkdirSync(path.join(results, '2026-12-05T10-00-00-000Z-regress'), { recursive: true });
    mkdirSync(path.join(results, '2026-12-05T09-00-00-000Z-regress'), { recursive: true });
    writeFileSync(path.join(results, '2026-12-05T09-00-00-000Z-regress', 'regress.md'), 'an older report');
    writeFileSync(path.join(results, '2026-12-05T10-00-00-000Z-regress', 'regress.md'), report);
  }
  expect(run(dir, ['prepare', 'perf-comment', number, 'perf-results']).status).toBe(0);
  return dir;
}

describe('scripts/ci-comment.sh', () => {
  it('prepares the newest report under its marker, or says there is none', () => {
    const dir = prepared('## Performance gate: PASSED\n');
    expect(readFileSync(path.join(dir, 'perf-comment', 'comment.md'), 'utf8')).toBe(`${MARKER}\n## Performance gate: PASSED\n`);
    expect(readFileSync(path.join(dir, 'perf-comment', 'pr-number'), 'utf8')).toBe('17\n');
    const none = prepared(undefined);
    expect(readFileSync(path.join(none, 'perf-comment', 'comment.md'), 'utf8')).toContain('no report');
  });

  it('comments once, then updates its own comment in place', () => {
    const first = prepared('## Performance gate: REGRESSED\n');
    const bin = fakeGh(first, { prHead: HEAD });
    const posted = run(first, ['post', 'perf-comment', 'owner/repo', HEAD, 'https://example/run/1'], bin);
    expect(posted).toMatchObject({ status: 0 });
    expect(posted.out).toContain('commented on #17');
    expect(readFileSync(path.join(first, 'gh.log'), 'utf8')).toContain('-X POST repos/owner/repo/issues/17/comments');
    const body = readFileSync(path.join(first, 'posted.md'), 'utf8');
    expect(body.startsWith(`${MARKER}\n## Performance gate: REGRESSED`)).toBe(true);
    expect(body).toContain('(https://example/run/1)');

    const second = prepared('## Performance gate: PASSED\n');
    // Its earlier comment (991) is found among others, one of them a user's that begins with the same marker.
    const comments = [
      { id: 990, user: 'someone', body: `${MARKER}\nnot the gate's` },
      { id: 991, user: 'github-actions[bot]', body: `${MARKER}\n## Performance gate: REGRESSED` },
      { id: 992, user: 'github-actions[bot]', body: 'another bot comment' },
    ];
    const again = run(second, ['post', 'perf-comment', 'owner/repo', HEAD, 'https://example/run/2'], fakeGh(second, { prHead: HEAD, comments }));
    expect(again.out).toContain("updated the gate's comment on #17");
    expect(readFileSync(path.join(second, 'gh.log'), 'utf8')).toContain('-X PATCH repos/owner/repo/issues/comments/991');
  });

  it('puts its marker first even when the artifact\u2019s text lacks it', () => {
    const dir = prepared('## x\n');
    writeFileSync(path.join(dir, 'perf-comment', 'comment.md'), 'no marker here\n');
    expect(run(dir, ['post', 'perf-comment', 'owner/repo', HEAD, 'u'], fakeGh(dir, { prHead: HEAD })).status).toBe(0);
    expect(readFileSync(path.join(dir, 'posted.md'), 'utf8').split('\n').slice(0, 2)).toEqual([MARKER, 'no marker here']);
  });

  it('cuts a long report at a character boundary', () => {
    const dir = prepared(`${'·'.repeat(40_000)}\n`);
    const text = readFileSync(path.join(dir, 'perf-comment', 'comment.md'));
    expect(text.length).toBeLessThanOrEqual(60_000 + MARKER.length + 1);
    expect(Buffer.from(text.toString('utf8'), 'utf8').equals(text)).toBe(true);
  });

  it('refuses an artifact whose number is not a number, or names a pull request whose head is not the gated commit', () => {
    const bad = prepared('## x\n', '17; rm -rf /');
    const refusedNumber = run(bad, ['post', 'perf-comment', 'owner/repo', HEAD, 'u'], fakeGh(bad, { prHead: HEAD }));
    expect(refusedNumber.status).toBe(1);
    expect(refusedNumber.out).toContain('not a number');
    const other = prepared('## x\n', '18');
    const refusedHead = run(other, ['post', 'perf-comment', 'owner/repo', HEAD, 'u'], fakeGh(other, { prHead: 'b'.repeat(40) }));
    // Stale (pushed to since) or forged, it gets no comment; a notice, not a red job.
    expect(refusedHead.status).toBe(0);
    expect(refusedHead.out).toContain("pull request #18's head is now bbbbbbbbbbbb, not the gated aaaaaaaaaaaa: no comment");
    expect(existsSync(path.join(other, 'posted.md'))).toBe(false);
  });
});
