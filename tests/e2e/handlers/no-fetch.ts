// A handler that bundles but is not one: its default export has no fetch(), so workerd refuses it.
export default { hello: 'world' };
