// A handler with a syntax error on purpose: esbuild must refuse it before anything is uploaded.
export default {
  async fetch(request) {
    return new Response('never' +;
  },
};
