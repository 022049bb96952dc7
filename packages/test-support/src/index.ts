export * from './files.ts';
export * from './services.ts';
