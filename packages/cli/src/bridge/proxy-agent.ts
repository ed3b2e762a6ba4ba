// undici's proxy agent, in a module of its own that http.ts imports lazily (only with HTTP(S)_PROXY
// set). A static named import, because the published bundle inlines undici (CommonJS): a dynamic
// import() of a bundled CommonJS module yields only its default export.
export { EnvHttpProxyAgent } from 'undici';
