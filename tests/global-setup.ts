// Tests spawn the bundled entrypoints (model-host, CPU workers, CLI): build them fresh once per run.
// @ts-expect-error build.mjs is plain JavaScript
import { build } from '../edge/build.mjs';

export default async function setup(): Promise<void> {
  await build({ quiet: true });
}
