import type { Recorder, Second, Summary } from './recorder.js';

export interface ScenarioOptions {
  rate?: number;
  durationS?: number;
}

export interface ScenarioResult {
  name: string;
  summary: Summary;
  timeline: Second[];
  /** Figures particular to the scenario (backlog, drain time, audit…). */
  extra: Record<string, unknown>;
}

export const result = (name: string, recorder: Recorder, extra: Record<string, unknown> = {}): ScenarioResult => ({
  name,
  summary: recorder.summary(),
  timeline: recorder.timeline,
  extra,
});
