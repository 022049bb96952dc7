export { ApiClient, apiSettings } from './api-client.ts';
export { startLocalStack } from './stack/local-stack.ts';
