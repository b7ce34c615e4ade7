// esbuild plugins that keep code stdio never runs out of the start-up bundle (scripts/build.mjs).
// A start without a code cache parses every byte of server.cjs, so each of these is start-up time:
// - zod's 40 message locales (a quarter of the bundle): only English is kept, which zod configures
//   itself; `z.locales` then holds `en` alone. Nothing here sets another locale.
// - The MCP SDK's optional parts: its ajv JSON Schema validator (used only to check elicitation
//   answers; this server never elicits) and its zod 3 support (we define zod 4 schemas only) go to
//   a file of their own, dist/sdk-optional.cjs, required the first time anything calls them.
// - undici: its own file, dist/undici.cjs, required by the first HTTP request.
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

const require = createRequire(import.meta.url);

/** zod's locale index, from inside zod: only `en`. */
export const englishOnlyZod = {
  name: 'english-only-zod',
  setup(b) {
    // The stand-in's name is relative, so the source map names no folder of the machine that built it.
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? {
            path: relative(process.cwd(), join(dirname(args.importer), '..', 'locales', 'en.js')),
            namespace: 'zod-en',
          }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-en' }, (args) => ({
      contents: "export { default as en } from './en.js';",
      loader: 'js',
      resolveDir: dirname(join(process.cwd(), args.path)),
    }));
  },
};

/** The MCP SDK's own folder (dist/esm): the entry below resolves its packages as the SDK does. */
export const SDK_DIR = join(dirname(require.resolve('@modelcontextprotocol/sdk/server/index.js')), '..');

/** The entry of dist/sdk-optional.cjs (resolved from SDK_DIR): what the stand-ins below load. */
export const SDK_OPTIONAL_ENTRY = `
export { AjvJsonSchemaValidator } from './validation/ajv-provider.js';
export { object } from 'zod/v3';
export { zodToJsonSchema } from 'zod-to-json-schema';
`;

const LOAD = "let loaded; const load = () => (loaded ??= require('./sdk-optional.cjs'));";

// Each stand-in has exactly the exports the SDK imports from the module it replaces (SDK 1.32: the
// server imports AjvJsonSchemaValidator, zod-compat uses `z3rt.object`, zod-json-schema-compat imports
// zodToJsonSchema). If a later SDK imports more, the build fails: it turns esbuild's
// "import-is-undefined" warning into an error.
const STAND_INS = {
  ajv: `${LOAD}
export class AjvJsonSchemaValidator {
  #args; #inner;
  constructor(...args) { this.#args = args; }
  getValidator(schema) {
    this.#inner ??= new (load().AjvJsonSchemaValidator)(...this.#args);
    return this.#inner.getValidator(schema);
  }
}`,
  'zod-v3': `${LOAD}\nexport const object = (...args) => load().object(...args);`,
  'zod-to-json-schema': `${LOAD}\nexport const zodToJsonSchema = (...args) => load().zodToJsonSchema(...args);`,
};

/** The SDK's optional parts as lazy stand-ins (built from the SDK's own imports). */
export const sdkOptionalApart = {
  name: 'sdk-optional-apart',
  setup(b) {
    const fromSdk = (args) => /[\\/]@modelcontextprotocol[\\/]sdk[\\/]/.test(args.importer);
    b.onResolve({ filter: /^\.\.\/validation\/ajv-provider\.js$/ }, (args) =>
      fromSdk(args) ? { path: 'ajv', namespace: 'sdk-optional' } : undefined,
    );
    b.onResolve({ filter: /^zod\/v3$/ }, (args) =>
      fromSdk(args) ? { path: 'zod-v3', namespace: 'sdk-optional' } : undefined,
    );
    b.onResolve({ filter: /^zod-to-json-schema$/ }, (args) =>
      fromSdk(args) ? { path: 'zod-to-json-schema', namespace: 'sdk-optional' } : undefined,
    );
    b.onResolve({ filter: /^\.\/sdk-optional\.cjs$/ }, (args) => ({ path: args.path, external: true }));
    b.onLoad({ filter: /.*/, namespace: 'sdk-optional' }, (args) => ({
      contents: STAND_INS[args.path],
      loader: 'js',
    }));
  },
};

/**
 * undici as a stand-in module that requires the file at run time: the bundle's `import('undici')`
 * then stays a lazy require (a real dynamic import would need an ES module loader the code cache
 * path lacks). undici shares no classes with our code.
 */
export const undiciApart = {
  name: 'undici-apart',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, () => ({ path: 'undici', namespace: 'undici-apart' }));
    b.onResolve({ filter: /^\.\/undici\.cjs$/ }, (args) => ({ path: args.path, external: true }));
    b.onLoad({ filter: /.*/, namespace: 'undici-apart' }, () => ({
      contents: "module.exports = require('./undici.cjs');",
      loader: 'js',
    }));
  },
};
