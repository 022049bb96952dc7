export { type ApiDeps, buildApi } from './app.ts';
export { type ApiConfig, ApiEnv, parseApiConfig } from './env.ts';
export { closeBounded, type RunningApi, startApi } from './start-api.ts';
