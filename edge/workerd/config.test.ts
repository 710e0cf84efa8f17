import { describe, expect, it } from 'vitest';
import { capnpString, renderConfig } from './config.ts';
import type { DeploymentManifest } from '../contracts.ts';

const manifest: DeploymentManifest = {
  name: 'cfg',
  routes: [{ pattern: '/cfg' }],
  models: ['m'],
  limits: { requestTimeoutMs: 1000, memoryMb: 96 },
  compatibilityDate: '2024-09-23',
  compatibilityFlags: ['nodejs_compat'],
  vars: { GREETING: 'a "quoted"\\ line\n\u0001é' },
};
const input = { manifest, serviceName: 'cfg', listenSocket: '/run/w.sock', hostSocket: '/run/h.sock', hostKey: 'k3y', files: { handler: 'handler.js', entry: 'entry.js', binding: 'binding.js' } };

describe('workerd config', () => {
  it('escapes Cap\'n Proto text literals', () => {
    expect(capnpString('a "quoted"\\ line\n\u0001é')).toBe('"a \\"quoted\\"\\\\ line\\n\\x01é"');
  });

  it('caps the heap, keeps fetch off local addresses, and hides the host socket behind the wrapped binding', () => {
    const text = renderConfig(input);
    expect(text).toContain('v8Flags = ["--max-old-space-size=96", "--max-semi-space-size=2"]');
    expect(text).toContain('(name = "internet", network = (allow = ["public"], deny = ["local"]))');
    expect(text).toContain('(name = "edgenn-host", external = (address = "unix:/run/h.sock", http = ()))');
    expect(text).toContain('(name = "AI", wrapped = (moduleName = "edgenn:ai", innerBindings = [');
    expect(text).toContain('(name = "key", text = "k3y")');
    expect(text).toContain('(name = "edgenn:ai", internal = true, esModule = embed "binding.js")');
    expect(text).toContain('compatibilityFlags = ["nodejs_compat"]');
    expect(text).toContain('(name = "GREETING", text = "a \\"quoted\\"\\\\ line\\n\\x01é")');
  });

  it('refuses manifest values workerd would misread', () => {
    expect(() => renderConfig({ ...input, manifest: { ...manifest, compatibilityFlags: ['x", y = "z'] } })).toThrow(/not a workerd flag/);
    expect(() => renderConfig({ ...input, manifest: { ...manifest, compatibilityDate: 'soon' } })).toThrow(/compatibility date/);
    expect(() => renderConfig({ ...input, manifest: { ...manifest, vars: { 'bad-name': 'x' } } })).toThrow(/JavaScript identifier/);
    expect(() => renderConfig({ ...input, manifest: { ...manifest, limits: { requestTimeoutMs: 1, memoryMb: 1 } } })).toThrow(/memoryMb/);
  });
});
