import { describe, expect, it } from 'vitest';
import { addModel } from '../../tests/fixtures/onnx-models.ts';
import { fixVadWindow } from './vad-window.ts';

describe('fixVadWindow', () => {
  it('refuses a model that is not Silero VAD (no input and sr to fix) rather than publishing a broken one', () => {
    expect(() => fixVadWindow(addModel())).toThrow(/not a Silero VAD/);
  });
});
