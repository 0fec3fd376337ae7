import type { Recorder, Second, Summary } from './recorder.js';

export interface ScenarioOptions {
  rate?: number;
  durationS?: number;
}

export interface ScenarioResult<Extra extends object = Record<string, unknown>> {
  name: string;
  summary: Summary;
  timeline: Second[];
  /** Figures particular to the scenario (backlog, drain time, audit…). */
  extra: Extra;
}

export const result = <Extra extends object = Record<string, unknown>>(
  name: string,
  recorder: Recorder,
  extra: Extra = {} as Extra,
): ScenarioResult<Extra> => ({
  name,
  summary: recorder.summary(),
  timeline: recorder.timeline,
  extra,
});
