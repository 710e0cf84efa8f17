// What the figures were measured on: CPU, cores, memory, Node, ONNX Runtime and workerd versions,
// and the load average (other processes share this machine's cores).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { ortVersion } from '../../../model-host/engine/onnx.ts';
import { projectRoot, workerdBinary } from '../../../edge/paths.ts';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  onnxruntime: string;
  workerd: string;
  edgennCommit: string;
  loadAverage: number[];
}

function tryRun(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
  } catch {
    return 'unknown';
  }
}

function workerdVersion(): string {
  try {
    return tryRun(workerdBinary(), ['--version']).replace(/^workerd /, '');
  } catch {
    return 'not installed';
  }
}

function ortPackageVersion(): string {
  try {
    return (JSON.parse(readFileSync(`${projectRoot}/node_modules/onnxruntime-node/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return ortVersion();
  }
}

export function describeMachine(): Machine {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    onnxruntime: ortPackageVersion(),
    workerd: workerdVersion(),
    edgennCommit: tryRun('git', ['-C', projectRoot, 'rev-parse', '--short', 'HEAD']),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.os}; Node ${m.node}, ONNX Runtime ${m.onnxruntime}, workerd ${m.workerd}; edgenn ${m.edgennCommit}; load average at start ${m.loadAverage.join(' / ')}`;
}
