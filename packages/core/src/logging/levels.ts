/** The error log levels, least to most severe (Gunicorn's names). */
export const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];
