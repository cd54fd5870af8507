import { defineSearchAttributeKey } from '@temporalio/common';

/**
 * Custom search attributes the workflows keep up to date, so operators can find pipelines in the
 * Web UI and through `starter list` by provider, job id and phase.
 */
export const PROVIDER_KEY = defineSearchAttributeKey('FtpProvider', 'KEYWORD');
export const JOB_ID_KEY = defineSearchAttributeKey('FtpJobId', 'KEYWORD');
export const PHASE_KEY = defineSearchAttributeKey('FtpPhase', 'KEYWORD');

export const CUSTOM_SEARCH_ATTRIBUTES = [PROVIDER_KEY, JOB_ID_KEY, PHASE_KEY];
