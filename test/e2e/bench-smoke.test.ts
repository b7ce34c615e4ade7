/**
 * The benchmark, run tiny: every figure of `npm run bench` is produced and is a real measurement, so
 * the benchmark cannot rot between the runs that publish numbers. No timing is asserted here.
 */
import { expect, it } from 'vitest';
import { brokenGates, markdownTable, runBenchmarks, runGates, SMOKE } from '../../bench/run.js';

it('produces every figure of the benchmark', async () => {
  const r = await runBenchmarks(SMOKE);
  const numbers = [
    r.cold_start.warm_ms,
    r.cold_start.cold_ms,
    r.cold_start.minimal_ms,
    r.cold_start.first_call_ms,
    r.per_call.mcp_ms,
    r.per_call.direct_ms,
    r.encode.ms,
    r.encode.peak_rss_above_idle_mb,
    r.upload.ours_mb_s,
    r.upload.curl_mb_s,
    r.upload.peak_rss_above_idle_mb,
    r.concurrency.one_ms,
    r.concurrency.all_ms,
    r.polling.finish_to_return_median_ms,
    r.polling.task_qps_max_1s,
    r.streaming.first_words_ms,
    r.streaming.whole_ms,
    r.agent.short_content_bytes,
    r.agent.long_content_bytes,
    r.agent.streamed_notices,
    r.agent.max_notices_in_1s,
    r.agent.largest_resource_reply_bytes,
    r.agent.tools_list_bytes,
    r.long_recording.bucket.cpu_after_finish_s,
    r.long_recording.temporary.peak_rss_mb,
    r.batch.serial_ms,
    r.batch.batch_ms,
    r.batch.task_qps_max_1s,
  ];
  for (const n of numbers) expect(Number.isFinite(n)).toBe(true);
  expect(r.cold_start.warm_ms).toBeGreaterThan(0);
  expect(r.polling.tasks).toBe(SMOKE.pollTasks);
  // The streamed call really streamed: its first words came before the whole answer.
  expect(r.streaming.first_words_ms).toBeGreaterThan(0);
  expect(r.streaming.first_words_ms).toBeLessThan(r.streaming.whole_ms);
  expect(r.figures.length).toBe(18);
  expect(r.long_recording.bucket.saved).toEqual(['json', 'srt', 'txt', 'vtt']);
  expect(r.agent.largest_resource_reply_bytes).toBeGreaterThan(0);
  expect(r.batch.items).toBe(SMOKE.batchItems);
  expect(markdownTable(r)).toMatch(/^Run of .*\n\n\| figure \| ours/);
}, 120_000);

it('runs the gated figures alone, and names each gate a run breaks', async () => {
  const r = await runGates(SMOKE);
  expect(r.figures.map((f) => f.gate?.rule)).toEqual(['≤ 1.1×', '≤ 1.25×', '≤ 1.1× curl and ≤ +8 MB']);
  expect(Number.isFinite(r.cold_start.warm_ratio) && Number.isFinite(r.upload.ratio)).toBe(true);
  expect(markdownTable(r)).toMatch(/\| gate \|/);
  const broken = r.figures.map((f) => ({ ...f, ratio: 2, gate: { rule: f.gate!.rule, kept: false } }));
  expect(brokenGates(broken)).toEqual(
    broken.map((f) => `${f.name}: ${f.value} (2×) breaks the gate ${f.gate.rule}`),
  );
  expect(brokenGates(r.figures.map((f) => ({ ...f, gate: { rule: f.gate!.rule, kept: true } })))).toEqual([]);
}, 120_000);
