// How a demo pipeline calls a model: `env.AI.run` inside a handler, ONNX Runtime directly in tests.
import type { NamedTensors } from '../../wit/types.ts';

export type Infer = (model: string, inputs: NamedTensors) => Promise<NamedTensors>;
