// How a demo pipeline calls a model: `env.AI.run` inside a handler, ONNX Runtime directly in tests.
import type { NamedTensors, RunOptions } from '../../wit/types.ts';

/** `options.outputs` names the outputs the pipeline reads, so the others are never computed or sent. */
export type Infer = (model: string, inputs: NamedTensors, options?: RunOptions) => Promise<NamedTensors>;
