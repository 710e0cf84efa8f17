// Structured logs: one JSON object per line ({ time, level, msg, ...fields }), to stderr by default.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type Log = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

export function createJsonLog(write: (line: string) => void = (line) => process.stderr.write(line)): Log {
  return function log(level, msg, fields) {
    write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  };
}

/** For parts whose option is a plain line logger (the model-host, workerd): their lines become `info` entries. */
export function lineLog(log: Log, component: string): (line: string) => void {
  return (line) => log('info', line, { component });
}

export const silentLog: Log = () => {};
